// bench helper: the whole job ft-tokenize does, done by a peer library, file
// in -> file out: read a JSONL file, parse each line, tokenize its "text"
// (HF tokenizers in batches of 1000 as datasets.map(batched=True) would, or
// tiktoken's gpt2 encoding line by line), write the ids (and HF's attention
// mask) as raw int32 to OUT.  Raw arrays are the cheapest output there is,
// so the peer pays less for writing than ft does for its stream.
// Usage: node tok_tool_peer.js hf MODEL_DIR IN OUT | tiktoken - IN OUT
// Prints "tokens records".
const fs = require('fs');
const [lib, model, inPath, outPath] = process.argv.slice(2);
const lines = fs.readFileSync(inPath, 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
const out = fs.openSync(outPath, 'w');
let tokens = 0;
function write(ids) {
  const a = Int32Array.from(ids);
  fs.writeSync(out, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  tokens += ids.length;
}
(async () => {
  if (lib === 'hf') {
    const { Tokenizer } = require('tokenizers');
    const tok = Tokenizer.fromFile(model + '/tokenizer.json');
    for (let i = 0; i < lines.length; i += 1000) {
      const texts = lines.slice(i, i + 1000).map(l => JSON.parse(l).text);
      for (const e of await tok.encodeBatch(texts)) { write(e.getIds()); write(e.getAttentionMask()); tokens -= e.getLength(); }
    }
  } else {
    const { get_encoding } = require('tiktoken');
    const enc = get_encoding('gpt2');
    for (const l of lines) write(enc.encode_ordinary(JSON.parse(l).text));
  }
  fs.closeSync(out);
  console.log(tokens, lines.length);
})();
