// bench helper: encode every line of FILE with Hugging Face tokenizers (npm,
// the Rust library) in batches of 4096, as a Python user's batched map would;
// prints "WALL_MB/s CPU_MB/s tokens lines".  TOKENIZERS_PARALLELISM=false: one thread.
// Usage: node tok_hf.js MODEL_DIR FILE
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
  const tok = Tokenizer.fromFile(process.argv[2] + '/tokenizer.json');
  const buf = fs.readFileSync(process.argv[3]);
  const lines = buf.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let tokens = 0;
  const t0 = process.hrtime.bigint(), u0 = process.cpuUsage();
  for (let i = 0; i < lines.length; i += 4096) {
    const enc = await tok.encodeBatch(lines.slice(i, i + 4096));
    for (const e of enc) tokens += e.getLength();
  }
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  const u = process.cpuUsage(u0), cpu = (u.user + u.system) / 1e6;
  console.log((buf.length / dt / 1e6).toFixed(2), (buf.length / cpu / 1e6).toFixed(2), tokens, lines.length);
})();
