// Greedy continuation of prompts by llama.cpp — the npm package
// node-llama-cpp, its prebuilt CPU build — from a GGUF file that ft-export
// wrote, optionally with a LoRA adapter GGUF applied on it
// (examples/export-llamacpp.sh).  ft itself never needs Node; this is only
// a way to run llama.cpp without building it.
//
//   node llamacpp-generate.js [--lora ADAPTER.gguf] [--max-new-tokens N]
//                             [--threads N] MODEL.gguf [PROMPTS.jsonl]
//
// Reads JSONL (default stdin) as ft-generate does: a record's input_ids,
// else its text, tokenized by llama.cpp (BOS first where the GGUF says).
// Writes one line per record in ft-generate's shape: input_ids (what was
// evaluated), generated_ids, generated_text, and text_ids: llama.cpp's own
// tokenization of the record's text, when it has one, to compare with
// ft-tokenize's.  Greedy, exactly N new tokens (16): no stop at an
// end-of-generation token, as ft-generate --eos-token-id -1.
// node_modules: $FT_NODE_MODULES, else build/node_modules of this checkout
// (scripts/npm-oracles installs it).
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");
const nm = process.env.FT_NODE_MODULES || path.join(__dirname, "../build/node_modules");

function parseArgs(argv) {
    const o = { lora: null, maxNew: 16, threads: 0, files: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--lora") o.lora = argv[++i];
        else if (a === "--max-new-tokens") o.maxNew = parseInt(argv[++i], 10);
        else if (a === "--threads") o.threads = parseInt(argv[++i], 10);
        else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
        else o.files.push(a);
    }
    if (o.files.length < 1 || o.files.length > 2 || !(o.maxNew > 0))
        throw new Error("usage: llamacpp-generate.js [--lora ADAPTER.gguf] [--max-new-tokens N] [--threads N] MODEL.gguf [PROMPTS.jsonl]");
    return o;
}

// the text as llama.cpp tokenizes it for generation: special-token text
// stays plain text (as ft-tokenize), BOS prepended where the GGUF asks
function tokenizeText(model, text) {
    const ids = model.tokenize(text, false);
    const bos = model.tokens.bos;
    return model.tokens.shouldPrependBosToken && bos != null ? [bos, ...ids] : ids;
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const input = fs.readFileSync(o.files[1] || 0, "utf8");
    const records = input.split("\n").filter((l) => l.trim()).map((l, i) => {
        try { return JSON.parse(l); } catch (e) { throw new Error(`${o.files[1] || "stdin"}: record ${i + 1}: ${e.message}`); }
    });
    // an ES module with top-level await: import(), not require()
    const { getLlama, LlamaLogLevel } = await import(pathToFileURL(path.join(nm, "node-llama-cpp/dist/index.js")).href);
    // build "never": the prebuilt binaries only, never a download or a compiler
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: o.files[0], gpuLayers: 0 });
    const prompts = records.map((r) => r.input_ids || tokenizeText(model, String(r.text ?? "")));
    const longest = Math.max(1, ...prompts.map((p) => p.length));
    // KV cache F32 and flash attention off: an f32 GGUF then computes what
    // ft computes, up to float rounding, so greedy ids can be compared
    // exactly (llama.cpp's default F16 cache rounds keys and values)
    const ctxOpts = { contextSize: longest + o.maxNew, batchSize: longest, flashAttention: false,
                      experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" };
    if (o.threads > 0) ctxOpts.threads = o.threads;
    if (o.lora) ctxOpts.lora = { adapters: [{ filePath: o.lora, scale: 1 }] };
    const ctx = await model.createContext(ctxOpts);
    const seq = ctx.getSequence();
    for (let i = 0; i < records.length; i++) {
        await seq.clearHistory();
        const generated = [];
        // temperature 0: greedy; yieldEogToken: go on past end-of-text
        for await (const t of seq.evaluate(prompts[i], { temperature: 0, yieldEogToken: true })) {
            generated.push(t);
            if (generated.length === o.maxNew) break;
        }
        const out = { input_ids: prompts[i], generated_ids: generated,
                      generated_text: model.detokenize(generated, false, prompts[i]) };
        if (records[i].text != null) out.text_ids = tokenizeText(model, String(records[i].text));
        console.log(JSON.stringify(out));
    }
    await ctx.dispose();
    await model.dispose();
    await llama.dispose();
}
main().catch((e) => { console.error("llamacpp-generate.js: " + (e && e.message || e)); process.exit(1); });
