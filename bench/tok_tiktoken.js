// bench helper: encode every line of FILE with tiktoken (npm, OpenAI's Rust
// BPE compiled to wasm) using its "gpt2" encoding, one thread; prints
// "WALL_MB/s CPU_MB/s tokens lines".  Usage: node tok_tiktoken.js FILE
const { get_encoding } = require('tiktoken');
const fs = require('fs');
const enc = get_encoding('gpt2');
const buf = fs.readFileSync(process.argv[2]);
const lines = buf.toString('utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
let tokens = 0;
const t0 = process.hrtime.bigint(), u0 = process.cpuUsage();
for (const l of lines) tokens += enc.encode_ordinary(l).length;
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
const u = process.cpuUsage(u0), cpu = (u.user + u.system) / 1e6;
console.log((buf.length / dt / 1e6).toFixed(2), (buf.length / cpu / 1e6).toFixed(2), tokens, lines.length);
