// Probes the Hugging Face `tokenizers` library (npm) for the character
// classes its fast tokenizers use, one code point at a time, and prints them
// as runs "FIRST LAST CLASSBITS" (hex).  The Rust crate takes its BERT classes
// from the `unicode_categories` crate (an old Unicode) and the byte-level
// regex classes from Oniguruma, so neither matches utf8proc's current tables;
// lib/tok/tok_unicode_tables.c is generated from this output by
// scripts/gen_unicode_tables.sh.
// Usage: NODE_PATH=build/node_modules node scripts/probe_unicode.js > runs.txt
const tk = require('tokenizers');
const norm = tk.bertNormalizer({ cleanText: true, handleChineseChars: false,
                                 stripAccents: false, lowercase: false });
const cjk = tk.bertNormalizer({ cleanText: false, handleChineseChars: true,
                                stripAccents: false, lowercase: false });
const bpre = tk.bertPreTokenizer();
const blev = tk.byteLevelPreTokenizer(false, true);
const wsplit = tk.whitespaceSplitPreTokenizer();
const wpre = tk.whitespacePreTokenizer();
const strip = tk.stripAccentsNormalizer();
const bstrip = tk.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
const CTRL = 1, WS = 2, PUNCT = 4, CJK = 8, L = 16, N = 32, S = 64, RWS = 128,
      W = 256, RS = 512, MARK = 1024, MN = 2048;
let out = [], runStart = 0, runBits = -1;
function flush(last) { if (runBits > 0) out.push(runStart.toString(16) + ' ' + last.toString(16) + ' ' + runBits.toString(16)); }
for (let c = 0; c <= 0x10ffff; c++) {
  let bits = 0;
  if (c >= 0xd800 && c <= 0xdfff) { bits = 0; }
  else {
    const ch = String.fromCodePoint(c);
    const n = norm.normalizeString('a' + ch + 'a');
    if (n === 'aa') bits |= CTRL;
    else if (n === 'a a' && ch !== ' ') bits |= WS;
    if (c === 0x20) bits |= WS;
    if (cjk.normalizeString(ch) === ' ' + ch + ' ') bits |= CJK;
    const p = bpre.preTokenizeString('a' + ch + 'a');
    if (p.length === 3 && p[1][0] === ch) bits |= PUNCT;
    // Rust char::is_whitespace, as WhitespaceSplit uses it
    if (wsplit.preTokenizeString('a' + ch + 'a').length === 2) bits |= RWS;
    // Whitespace pre-tokenizer, \w+|[^\w\s]+ (Rust regex classes)
    const w = wpre.preTokenizeString('a' + ch + 'a');
    if (w.length === 1) bits |= W;
    else if (w.length === 2) bits |= RS;
    // StripAccents drops combining marks; BertNormalizer strip_accents drops Mn
    if (strip.normalizeString('a' + ch) === 'a') bits |= MARK;
    if (bstrip.normalizeString('a' + ch) === 'a') bits |= MN;
    // byte-level regex: 'a'+ch is one piece iff ch is a letter, '1'+ch iff a
    // number, '!'+ch iff neither letter, number nor space; otherwise a space.
    if (blev.preTokenizeString('a' + ch).length === 1) bits |= L;
    else if (blev.preTokenizeString('1' + ch).length === 1) bits |= N;
    else if (blev.preTokenizeString('!' + ch).length !== 1) bits |= S;
  }
  if (bits !== runBits) { flush(c - 1); runStart = c; runBits = bits; }
}
flush(0x10ffff);
process.stdout.write(out.join('\n') + '\n');
