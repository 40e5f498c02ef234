// The --assistant-only-loss invariant of tests/ref/chat.sh, checked with
// Hugging Face's tokenizers decoding ft's labelled tokens: in every
// conversation, each line of each assistant message's content (think tags
// and the template's trimming aside) lies inside one run of labelled tokens,
// and no line of a system, user or tool message does (unless an assistant
// message of the conversation says the same line); lines the template leaves
// out of the render (Qwen3 drops earlier turns' <think> blocks) are counted apart.
// Usage: NODE_PATH=... node chat_mask_check.js MODEL_DIR cases.jsonl ft.jsonl
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const read = f => fs.readFileSync(f, 'utf8').split('\n').filter(x => x).map(x => JSON.parse(x));
(async () => {
  const tok = Tokenizer.fromFile(process.argv[2] + '/tokenizer.json');
  const cases = read(process.argv[3]), recs = read(process.argv[4]);
  if (cases.length !== recs.length) { console.log(`record count ${recs.length} != ${cases.length}`); process.exit(1); }
  let nin = 0, nout = 0, bad = 0, ndropped = 0;
  const lines = s => s.replace(/<\/?think>/g, '\n').split('\n').map(x => x.trim()).filter(x => x);
  for (let i = 0; i < cases.length; i++) {
    const ids = recs[i].input_ids, labels = recs[i].labels, runs = [];
    for (let k = 0; k < ids.length;) {
      if (labels[k] === -100) { k++; continue; }
      let j = k;
      while (j < ids.length && labels[j] !== -100) { if (labels[j] !== ids[j]) { console.log(`case ${i}: label ${j} is not its id`); bad++; } j++; }
      runs.push(await tok.decode(ids.slice(k, j), false));
      k = j;
    }
    const all = await tok.decode(ids, false), said = new Set();
    for (const m of cases[i].messages) if (m.role === 'assistant') lines(m.content || '').forEach(l => said.add(l));
    for (const m of cases[i].messages) {
      for (const l of lines(m.content || '')) {
        if (!all.includes(l)) { ndropped++; continue; }   // not rendered (Qwen3's earlier <think> blocks)
        const inside = runs.some(r => r.includes(l));
        if (m.role === 'assistant') { nin++; if (!inside) { bad++; if (bad < 4) console.log(`case ${i}: assistant line not labelled: ${JSON.stringify(l)}`); } }
        else if (!said.has(l)) { nout++; if (inside) { bad++; if (bad < 4) console.log(`case ${i}: ${m.role} line labelled: ${JSON.stringify(l)}`); } }
      }
    }
  }
  console.log(`${nin} assistant lines inside the labels, ${nout} other lines outside, ${ndropped} not rendered, ${bad} violations`);
  process.exit(bad ? 1 : 0);
})();
