// Writes variants of the shared tokenizer.json files into OUT/NAME/ for
// tests/ref/tokenizer_parity.sh, to test normalizers and pre-tokenizers that
// the four real models do not use (lower-casing, accent stripping, NFKC,
// Digits, ...) against the oracle on the same corpus.  Nothing is written
// into the repository; the vocabularies stay the real ones.
// Usage: node tok_variants.js SHARED_DIR OUT_DIR  (prints the variant names)
const fs = require('fs');
const [shared, out] = process.argv.slice(2);
const load = m => JSON.parse(fs.readFileSync(`${shared}/models/${m}/tokenizer.json`, 'utf8'));
const llama3Re = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const splitThenBytes = (pattern, behavior, invert) => ({ type: 'Sequence', pretokenizers: [
  { type: 'Split', pattern, behavior, invert },
  { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] });
const variants = {
  'bert-uncased': ['bert-base-chinese', j => { j.normalizer.lowercase = true; j.normalizer.strip_accents = null; }],
  'bert-lower-keep-accents': ['bert-base-chinese', j => { j.normalizer.lowercase = true; j.normalizer.strip_accents = false; }],
  'bert-raw': ['bert-base-chinese', j => { j.normalizer.clean_text = false; j.normalizer.handle_chinese_chars = false; }],
  'bert-whitespace': ['bert-base-chinese', j => { j.pre_tokenizer = { type: 'Whitespace' }; }],
  'bert-digits-punct': ['bert-base-chinese', j => { j.pre_tokenizer = { type: 'Sequence', pretokenizers: [
      { type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }, { type: 'Punctuation', behavior: 'Isolated' }] }; }],
  'bert-digits-runs': ['bert-base-chinese', j => { j.pre_tokenizer = { type: 'Sequence', pretokenizers: [
      { type: 'BertPreTokenizer' }, { type: 'Digits', individual_digits: false }] }; }],
  'gpt2-nfkc-lower': ['gpt2', j => { j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] }; }],
  'gpt2-nfd-strip': ['gpt2', j => { j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }] }; }],
  'gpt2-nfc-replace-prepend': ['gpt2', j => { j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFC' },
      { type: 'Replace', pattern: { String: '  ' }, content: ' ' }, { type: 'Prepend', prepend: '>' }] }; }],
  'gpt2-nfkd-strip-both': ['gpt2', j => { j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKD' },
      { type: 'Strip', strip_left: true, strip_right: true }] }; }],
  'gpt2-prefix-space': ['gpt2', j => { j.pre_tokenizer.add_prefix_space = true; }],
  'gpt2-no-regex': ['gpt2', j => { j.pre_tokenizer.use_regex = false; }],
  'gpt2-split-regex': ['gpt2', j => { j.pre_tokenizer = { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+" },
        behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] }; }],
  'bert-split-literals': ['bert-base-chinese', j => { j.pre_tokenizer = { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { String: ' ' }, behavior: 'Removed', invert: false },
      { type: 'Split', pattern: { String: '，' }, behavior: 'Isolated', invert: false },
      { type: 'Split', pattern: { String: 'e' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Split', pattern: { String: 'a' }, behavior: 'MergedWithNext', invert: false },
      { type: 'Split', pattern: { String: '的' }, behavior: 'Contiguous', invert: false }] }; }],
  't5-llama-decoders': ['t5-small', j => { j.decoder = { type: 'Sequence', decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 }] }; }],
  'gpt2-bpe-decoder': ['gpt2', j => { j.decoder = { type: 'Sequence', decoders: [
      { type: 'BPEDecoder', suffix: 'e' }, { type: 'Strip', content: 'a', start: 2, stop: 0 }] }; }],
  // Split regexes run on Oniguruma: Llama 3's pattern on GPT-2's vocabulary,
  // and every behaviour, invert, and a regex with empty matches
  'gpt2-llama3-regex': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ Regex: llama3Re }, 'Isolated', false); }],
  'gpt2-regex-removed-invert': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ Regex: '\\p{L}+' }, 'Removed', true); }],
  'gpt2-regex-merged-previous': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ Regex: '\\s+' }, 'MergedWithPrevious', false); }],
  'gpt2-regex-merged-next': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ Regex: '\\p{P}' }, 'MergedWithNext', false); }],
  'gpt2-regex-contiguous-invert': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ Regex: '\\p{N}|[a-e]' }, 'Contiguous', true); }],
  'gpt2-regex-empty-matches': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ Regex: '(?i)e*|\\b' }, 'Isolated', false); }],
  'gpt2-literal-invert': ['gpt2', j => { j.pre_tokenizer = splitThenBytes({ String: ' ' }, 'MergedWithNext', true); }],
  't5-metaspace-first': ['t5-small', j => { const m = j.pre_tokenizer.pretokenizers[1];
      delete m.add_prefix_space; m.prepend_scheme = 'first'; m.split = true; }],
};
for (const [name, [base, edit]] of Object.entries(variants)) {
  const j = load(base);
  edit(j);
  fs.mkdirSync(`${out}/${name}`, { recursive: true });
  fs.writeFileSync(`${out}/${name}/tokenizer.json`, JSON.stringify(j));
  console.log(name);
}
