# ft-tokenize --block-size: run_clm's group_texts (per 1000-record batch,
# remainder dropped, labels = input_ids), checked against the plain ids.
. "$FT_ROOT/tests/lib.sh"
M=$SHARED/models/gpt2
$PY -c "
import json, random
random.seed(3)
words = 'the cat sat on a mat and then it ran far away from home while dogs barked'.split()
for i in range(2300):
    print(json.dumps({'text': ' '.join(random.choice(words) for _ in range(random.randrange(1, 12)))}))" > "$TMP/c.jsonl"
ft-tokenize -m "$M" -o "$TMP/plain.jsonl" "$TMP/c.jsonl"
ft-tokenize -m "$M" --block-size 64 -o "$TMP/blocks.jsonl" "$TMP/c.jsonl"
check block_size_group_texts $PY - "$TMP/plain.jsonl" "$TMP/blocks.jsonl" <<'P'
import json, sys
plain = [json.loads(l)["input_ids"] for l in open(sys.argv[1])]
blocks = [json.loads(l) for l in open(sys.argv[2])]
want = []
for s in range(0, len(plain), 1000):           # datasets.map(batched=True) batches
    cat = [t for ids in plain[s:s + 1000] for t in ids]
    n = len(cat) // 64 * 64 if len(cat) >= 64 else len(cat)
    want += [cat[i:i + 64] for i in range(0, n, 64)]
got = [b["input_ids"] for b in blocks]
assert got == want, (len(got), len(want))
# no padding in a block: the all-ones attention mask is left out of the record
assert all(b["labels"] == b["input_ids"] and "attention_mask" not in b for b in blocks)
P
expect_fail block_size_refuses_padding "block-size" ft-tokenize -m "$M" --block-size 8 --max-length 8 "$TMP/c.jsonl"
