// Reference side of tests/ref/chat.sh: each case rendered with MODEL_DIR's
// tokenizer_config.json chat_template by @huggingface/jinja (the renderer
// Hugging Face ships for JavaScript), with the special tokens as
// apply_chat_template passes them.  Prints {"hex": ...} or {"error": true}.
// Usage: NODE_PATH=build/node_modules node chat_oracle.js MODEL_DIR < cases.jsonl
const { Template } = require('@huggingface/jinja');
const fs = require('fs');
const cfg = JSON.parse(fs.readFileSync(process.argv[2] + '/tokenizer_config.json', 'utf8'));
const special = {};
for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
  const v = cfg[k];
  const s = typeof v === 'string' ? v : v && v.content;
  if (typeof s === 'string') special[k] = s;
}
const tpl = new Template(cfg.chat_template);
const out = [];
for (const l of fs.readFileSync(0, 'utf8').split('\n').filter(x => x)) {
  const c = JSON.parse(l);
  try {
    const text = tpl.render({ ...special, ...c, add_generation_prompt: !!c.add_generation_prompt });
    out.push(JSON.stringify({ hex: Buffer.from(text, 'utf8').toString('hex') }));
  } catch (e) {
    out.push(JSON.stringify({ error: true }));
  }
}
process.stdout.write(out.join('\n') + '\n');
