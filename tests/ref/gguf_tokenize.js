// llama.cpp's tokenizer (node-llama-cpp, prebuilt CPU build, offline) on the
// vocabulary ft-export wrote into a GGUF file, for tests/sh/export_tokenizer.sh.
//   node gguf_tokenize.js lines SHARED_DIR > lines.jsonl
//     the corpus: {"text": ...} records, hand-made traps and real lines of
//     SHARED_DIR/data (Chinese medical questions and reviews, English news,
//     Python code with tabs and CRLF)
//   node gguf_tokenize.js MODEL.gguf < lines.jsonl > ids.jsonl
//     per record {"ids": [...]}: llama_tokenize with add_special false (no
//     BOS/EOS, as ft-tokenize --no-add-special-tokens) and parse_special
//     true (special-token text in a line is that token, as Hugging Face
//     tokenizers and ft-tokenize read it); "nfc_ids": the ids of the line's
//     NFC form where that differs from the line; "control": the texts of
//     ordinary tokens that llama.cpp makes control tokens, where the line
//     holds one
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");
const nm = process.env.FT_NODE_MODULES || path.join(__dirname, "../../build/node_modules");

const hand = [
    "", " ", "  ", "   leading spaces", "trailing spaces   ", "a  b   c    d", "a \t b\t\tc",
    "line one\nline two", "two\n\nblank lines\n\n\n", "\n", "\r\n", "CRLF\r\nline", " \n ", "\t",
    "tab\tseparated\tvalues\t", "indent\n    four\n\ttab\n  \n", "  hello", "hello  ", " hello world ",
    "1", "12", "123", "1234", "12345678901234567890", "3.14159 2,718 1e-9 0x1F", "year 2024, 1 000 000, ١٢٣ ２０２４",
    "I'm don't you're we've they'll she'd it's", "I'M DON'T YOU'LL IT'S", "'s 'll 've 're 'd 't 'm", "O'Reilly's rock'n'roll ''s",
    "emoji 😀👍🏽👨‍👩‍👧 🥰 🫠 ❤️ ✨", "🙂🙂🙂", "flags 🇫🇷🇯🇵",
    "café naïve résumé Ångström ÉCOLE", "cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m",
    "e\u0301 a\u0300 o\u0308 combining marks\u0327", "ﬁ ﬂ Ⅻ ㎏ ㈱ ½ ⅔ ①",
    "你好，世界！今天天气很好。", "浅表性胃炎的日常注意事项是什么？", "日本語のテキスト カタカナ ひらがな", "한국어 문장입니다",
    "ＡＢＣ１２３，．！？（全角）", "mixed中文English混合text123数字",
    "Ελληνικά Русский עברית العربية हिन्दी ไทย",
    "<|endoftext|>", "text<|endoftext|>more", "a <|endoftext|> b", "<|begin_of_text|>Hello", "<|end_of_text|>",
    "<|im_start|>user\nhi<|im_end|>", "<s> </s> <unk>", "x<s>y</s>z", "<pad> [CLS] <mask> <extra_id_0>",
    "def f(x):\n    return x**2  # square", "for (int i = 0; i < n; i++) { s += a[i]; }",
    "x = {\"k\": [1, 2, 3], 'y': None}", "if a != b && c >= d || !e: pass", "https://example.com/a?b=c&d=e#f a.b@c.de",
    "¿Qué? ¡Sí! «guillemets» „Anführung“ ‘single’ “double” — – … · •", "nbsp\u00a0thin\u2009ideo\u3000space",
    "zero\u200bwidth\u200djoiner\ufeffbom", "line\u2028sep\u2029para", "İstanbul ǅ ß ẞ Σσς",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "supercalifragilisticexpialidocious", "汉汉汉汉汉汉汉汉汉汉汉汉",
    "▁ metaspace ▁▁ chars", "<0x41> byte token text", "  \n\t  \r\n  ",
];

// every k-th of n lines: spread over the file rather than its head
const spread = (a, n) => a.filter((_, i) => i % Math.max(1, Math.floor(a.length / n)) === 0).slice(0, n);
// a CSV line's text column: quoted ("" inside) or up to the last comma
function csvText(l) {
    if (l.startsWith('"')) { const e = l.lastIndexOf('",'); return l.slice(1, e).replace(/""/g, '"'); }
    return l.slice(0, l.lastIndexOf(","));
}

function corpus(shared) {
    const d = shared + "/data/";
    const csv = (f, n) => spread(fs.readFileSync(d + f, "utf8").split("\n").slice(1).filter((l) => l), n).map(csvText);
    const mbpp = fs.readFileSync(d + "code/mbpp.jsonl", "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
    const conala = JSON.parse(fs.readFileSync(d + "code/conala-test.json", "utf8"));
    return [...hand,
        ...csv("medical/medical_texts.csv", 60), ...csv("tasks/chnsenticorp/chnsenticorp.csv", 30),
        ...csv("tasks/ag_news/ag_news.csv", 60), ...csv("tasks/kuake_qic/kuake_qic.csv", 20),
        ...csv("tasks/online_shopping_cats/online_shopping_cats.csv", 20),
        ...spread(mbpp, 30).map((j) => j.code), ...spread(mbpp, 10).map((j) => j.text),
        ...spread(conala, 30).map((j) => j.snippet), ...spread(conala, 20).map((j) => j.rewritten_intent || j.intent)];
}

// The GGUF's ordinary (type 1) tokens that llama.cpp nonetheless makes
// control tokens: it marks end-of-generation tokens by their text
// ("</s>", "<|endoftext|>", ...; llama-vocab.cpp) whatever type the file gives.
function overridden(model) {
    const types = model.fileInfo.metadata.tokenizer.ggml.token_type;
    const toks = model.fileInfo.metadata.tokenizer.ggml.tokens;
    const out = [];
    for (let i = 0; i < types.length; i++)
        if (types[i] === 1 && model.getTokenAttributes(i).control) out.push(toks[i]);
    return out;
}

async function tokenize(modelPath) {
    const { getLlama, LlamaLogLevel } = await import(pathToFileURL(path.join(nm, "node-llama-cpp/dist/index.js")).href);
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0, vocabOnly: true });
    const ctl = overridden(model);
    const out = [];
    for (const l of fs.readFileSync(0, "utf8").split("\n").filter((x) => x)) {
        const text = JSON.parse(l).text, nfc = text.normalize("NFC");
        // ids; nfc_ids: on the NFC form, where it differs; control: the
        // overridden token texts the line holds
        const r = { ids: model.tokenize(text, true) };
        if (nfc !== text) r.nfc_ids = model.tokenize(nfc, true);
        const c = ctl.filter((t) => text.includes(t));
        if (c.length) r.control = c;
        out.push(JSON.stringify(r));
    }
    process.stdout.write(out.join("\n") + "\n");
    await model.dispose();
    await llama.dispose();
}

const [a, b] = process.argv.slice(2);
if (a === "lines") process.stdout.write(corpus(b).map((text) => JSON.stringify({ text })).join("\n") + "\n");
else tokenize(a).catch((e) => { console.error("gguf_tokenize.js: " + (e && e.stack || e)); process.exit(1); });
