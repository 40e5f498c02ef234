// Reference side of tests/ref/tokenizer_parity.sh: the same JSON lines as
// tok_driver.c reads, encoded by Hugging Face's Rust `tokenizers` (npm).
// Usage: NODE_PATH=build/node_modules node tok_oracle.js MODEL_DIR < cases.jsonl
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const strategies = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' };
(async () => {
  const tok = Tokenizer.fromFile(process.argv[2] + '/tokenizer.json');
  // pad as transformers does: with tokenizer_config.json's pad_token (Qwen's
  // <|endoftext|>) when it names one, else the binding's default
  let pad = {};
  try {
    const p = JSON.parse(fs.readFileSync(process.argv[2] + '/tokenizer_config.json', 'utf8')).pad_token;
    const name = typeof p === 'string' ? p : p && p.content;
    const id = name ? tok.tokenToId(name) : undefined;
    if (id !== undefined && id !== null) pad = { padId: id, padToken: name };
  } catch (e) { /* no tokenizer_config.json */ }
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter(l => l.length);
  const out = [];
  for (const l of lines) {
    const c = JSON.parse(l);
    try {
      if (c.decode) {
        const text = await tok.decode(c.decode, !!c.skip);
        out.push(JSON.stringify({ hex: Buffer.from(text, 'utf8').toString('hex') }));
        continue;
      }
      if (c.truncation && c.max_length) tok.setTruncation(c.max_length, { strategy: strategies[c.truncation] });
      else tok.disableTruncation();
      if (c.padding === 'max_length' && c.max_length) tok.setPadding({ maxLength: c.max_length, ...pad });
      else tok.disablePadding();
      const e = await tok.encode(c.a, c.b === undefined ? null : c.b, { addSpecialTokens: c.special !== false });
      out.push(JSON.stringify({ ids: e.getIds(), type_ids: e.getTypeIds(), attention_mask: e.getAttentionMask() }));
    } catch (err) {
      out.push(JSON.stringify({ error: true }));
    }
  }
  process.stdout.write(out.join('\n') + '\n');
})();
