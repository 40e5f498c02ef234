// The checks of tests/ref/chat_completion.sh on one model and one form.  The
// reference is built here as TRL's SFTTrainer builds it: HF tokenizers
// encoding the prompt and prompt + completion (standard form: the strings,
// the eos appended unless the completion ends with it, special tokens
// added; conversational: the two renders of jinja2, without adding special
// tokens), labels -100 on the first len(prompt ids).  Checks:
//  - ft's --completion-only-loss ids and labels equal the reference;
//  - ft's --prompt-completion labels are the ids;
//  - where the prompt's ids are a prefix of the whole's, the labelled tokens
//    decode (HF tokenizers) to exactly the completion (+ eos; the render's
//    tail after the prompt's render in the conversational form);
//  - optionally, --assistant-only-loss with --completion-only-loss labels
//    what --assistant-only-loss labels on the whole conversation, past the
//    prompt's tokens.
// Usage: node completion_check.js MODEL_DIR standard|conversational RECORDS
//          FT_ONLY FT_ALL [RENDERS [FT_BOTH FT_ASSISTANT]]
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const read = f => fs.readFileSync(f, 'utf8').split('\n').filter(x => x).map(x => JSON.parse(x));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const [dir, form, recf, onlyf, allf, rendf, bothf, asf] = process.argv.slice(2);
(async () => {
  const tok = Tokenizer.fromFile(dir + '/tokenizer.json');
  const cfg = JSON.parse(fs.readFileSync(dir + '/tokenizer_config.json', 'utf8'));
  const eos = typeof cfg.eos_token === 'string' ? cfg.eos_token : cfg.eos_token.content;
  const recs = read(recf), only = read(onlyf), all = read(allf);
  const rend = rendf ? read(rendf).map(x => x.hex === undefined ? null : Buffer.from(x.hex, 'hex').toString('utf8')) : [];
  const both = bothf ? read(bothf) : null, asst = asf ? read(asf) : null;
  let bad = 0, nids = 0, nprefix = 0, ndecoded = 0, nboth = 0;
  const complain = (i, what) => { if (++bad < 6) console.log(`record ${i}: ${what}`); };
  if (only.length !== recs.length || all.length !== recs.length) { console.log('record counts differ'); process.exit(1); }
  for (let i = 0; i < recs.length; i++) {
    let ptext, wtext, special;
    if (form === 'standard') {
      const c = recs[i].completion;
      ptext = recs[i].prompt;
      wtext = ptext + c + (c.endsWith(eos) ? '' : eos);
      special = true;
    } else {
      ptext = rend[2 * i]; wtext = rend[2 * i + 1]; special = false;
      if (ptext === null || wtext === null) { complain(i, 'the reference could not render it'); continue; }
    }
    const p = (await tok.encode(ptext, null, { addSpecialTokens: special })).getIds();
    const w = (await tok.encode(wtext, null, { addSpecialTokens: special })).getIds();
    const want = w.map((x, k) => k < p.length ? -100 : x);
    nids += w.length;
    if (!same(only[i].input_ids, w)) complain(i, 'input_ids differ from the reference');
    else if (!same(only[i].labels, want)) complain(i, '--completion-only-loss labels differ from the reference');
    if (!same(all[i].input_ids, w) || !same(all[i].labels, w)) complain(i, '--prompt-completion labels are not the ids');
    if (same(w.slice(0, p.length), p)) {
      nprefix++;
      const got = await tok.decode(only[i].input_ids.filter((x, k) => only[i].labels[k] !== -100), false);
      if (wtext.startsWith(ptext) && got === wtext.slice(ptext.length)) ndecoded++;
      else complain(i, `labelled tokens decode to ${JSON.stringify(got)}, not the completion ${JSON.stringify(wtext.slice(ptext.length))}`);
    }
    if (both) {
      const wantb = asst[i].labels.map((x, k) => k < p.length ? -100 : x);
      if (!same(both[i].input_ids, w) || !same(both[i].labels, wantb)) complain(i, 'assistant-only + completion-only labels are not the AND of the two masks');
      else nboth++;
    }
  }
  console.log(`${recs.length} records, ${nids} ids equal; ${nprefix} with the prompt's ids a prefix, ${ndecoded} of them ` +
              `labelled exactly the completion; ${recs.length - nprefix} not a prefix, labelled by position` +
              (both ? `; ${nboth} with --assistant-only-loss too` : '') + `; ${bad} failures`);
  process.exit(bad ? 1 : 0);
})();
