#!/bin/sh
# GPT-2 and LoRA against a plain-PyTorch GPT2LMHeadModel / PEFT LoRA
# (tests/ref/gpt2_ref.py): logits, loss, gradients, weights after 3 AdamW
# steps, LoRA (B = 0 logits, gradients, 3 steps), legacy and HF checkpoint
# layouts; merged logits; greedy generation with a KV cache.
. "$FT_ROOT/tests/lib.sh"
B=${FT_BUILD:-$FT_ROOT/build}
$PY "$FT_ROOT/tests/ref/gpt2_ref.py" "$TMP" || { fail gpt2_reference; exit 1; }
"$B/tests/test_gpt2" --ref "$TMP"

# greedy generation with the KV cache equals the reference (left padding, EOS)
$PY -c "
import json; g = json.load(open('$TMP/gen.json'))
for i, p in enumerate(g['prompts']): print(json.dumps({'id': i, 'input_ids': p}))" > "$TMP/prompts.jsonl"
gen_matches() {  # KEY ARGS...
    key=$1; shift
    ft-generate --model "$TMP/model" --max-new-tokens 12 "$@" "$TMP/prompts.jsonl" > "$TMP/gen.out" &&
    $PY -c "
import json, sys
want = json.load(open('$TMP/gen.json'))['$key']
got = [json.loads(l)['generated_ids'] for l in open('$TMP/gen.out')]
sys.exit(got != want)"
}
check generate_greedy_matches_reference gen_matches greedy
check generate_greedy_batch1 gen_matches greedy --batch-size 1
check generate_lora_unmerged_matches_reference gen_matches greedy_lora --adapter "$TMP/adapter" --batch-size 2
check generate_repetition_penalty_matches_reference gen_matches greedy_rep --repetition-penalty 1.5
check generate_no_repeat_ngram_matches_reference gen_matches greedy_nr2 --no-repeat-ngram-size 2 --batch-size 2
# beam search (HF's BeamSearchScorer; the prompt is not counted in generated_len)
check generate_beam_matches_reference gen_matches beam3 --num-beams 3
check generate_beam_batch1 gen_matches beam3 --num-beams 3 --batch-size 1
check generate_beam_lp_early_stopping gen_matches beam4_lp2_es --num-beams 4 --length-penalty 2 --early-stopping
check generate_beam_lp_no_repeat_ngram gen_matches beam2_lp05_nr2 --num-beams 2 --length-penalty 0.5 --no-repeat-ngram-size 2
check generate_beam_repetition_penalty gen_matches beam3_rep --num-beams 3 --repetition-penalty 1.5
expect_fail generate_length_penalty_needs_beams "--length-penalty: applies to beam search only" \
    ft-generate --model "$TMP/model" --length-penalty 2 "$TMP/prompts.jsonl"

# the adapter is in PEFT's layout
check adapter_peft_layout $PY - "$TMP/adapter" <<'P'
import json, struct, sys
d = sys.argv[1]
c = json.load(open(d + "/adapter_config.json"))
assert c["peft_type"] == "LORA" and c["r"] == 4 and c["lora_alpha"] == 8 and c["fan_in_fan_out"] is True
assert c["task_type"] == "CAUSAL_LM" and sorted(c["target_modules"]) == ["c_attn", "c_proj"]
f = open(d + "/adapter_model.safetensors", "rb")
n = struct.unpack("<Q", f.read(8))[0]
h = json.loads(f.read(n))
keys = sorted(k for k in h if k != "__metadata__")
assert "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight" in keys, keys
assert h["base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"]["shape"] == [4, 32]
assert h["base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight"]["shape"] == [32, 4]
assert len(keys) == 12, keys
P

# merged logits equal base + adapter (greedy output identical, logits compared in C test)
ft-merge-lora --base "$TMP/model" --adapter "$TMP/adapter" --output-dir "$TMP/merged" 2> "$TMP/merge.err"
check merge_writes_checkpoint test -s "$TMP/merged/model.safetensors" -a -s "$TMP/merged/config.json"
check merged_generation_matches sh -c "ft-generate --model '$TMP/merged' --max-new-tokens 12 '$TMP/prompts.jsonl' > '$TMP/m.out' &&
    ft-generate --model '$TMP/model' --adapter '$TMP/adapter' --max-new-tokens 12 '$TMP/prompts.jsonl' | cmp -s - '$TMP/m.out'"
mkdir -p "$TMP/bad"
$PY - "$TMP/adapter" "$TMP/bad" <<'P'
import json, struct, sys
src, dst = sys.argv[1:]
c = json.load(open(src + "/adapter_config.json")); json.dump(c, open(dst + "/adapter_config.json", "w"))
f = open(src + "/adapter_model.safetensors", "rb"); n = struct.unpack("<Q", f.read(8))[0]
h = json.loads(f.read(n)); data = f.read()
k = "base_model.model.transformer.h.1.attn.c_attn.lora_A.weight"
h[k]["shape"] = [2, 64]
b = json.dumps(h).encode(); b += b" " * ((8 - len(b) % 8) % 8)
open(dst + "/adapter_model.safetensors", "wb").write(struct.pack("<Q", len(b)) + b + data)
P
expect_fail merge_refuses_wrong_shape "h.1.attn.c_attn.lora_A.weight" \
    ft-merge-lora --base "$TMP/model" --adapter "$TMP/bad" --output-dir "$TMP/merged2"
$PY -c "
import json; c = json.load(open('$TMP/adapter/adapter_config.json')); c['target_modules'] = ['q_proj']
json.dump(c, open('$TMP/bad/adapter_config.json', 'w'))"
cp "$TMP/adapter/adapter_model.safetensors" "$TMP/bad/"
expect_fail merge_refuses_wrong_targets "q_proj" \
    ft-merge-lora --base "$TMP/model" --adapter "$TMP/bad" --output-dir "$TMP/merged2"
check merge_left_nothing test ! -e "$TMP/merged2/model.safetensors"

# ft-train with LoRA end to end, then continue the adapter, then ft-eval perplexity
$PY -c "
import json, random
random.seed(1)
for i in range(24):
    ids = [random.randrange(4, 20) for _ in range(9)]
    print(json.dumps({'input_ids': ids, 'attention_mask': [1]*9, 'labels': ids}))" > "$TMP/train.jsonl"
ft-train --model "$TMP/model" --task causal-lm --lora-r 4 --lora-alpha 16 --lora-dropout 0.1 \
    --target-modules c_attn,c_proj --output-dir "$TMP/lora-out" --learning-rate 5e-3 \
    --num-train-epochs 4 --per-device-train-batch-size 4 --logging-steps 6 --save-strategy no --quiet \
    "$TMP/train.jsonl" > "$TMP/train.log" 2> "$TMP/train.err"
check train_lora_runs test -s "$TMP/lora-out/adapter_model.safetensors"
check train_prints_trainable grep -q "^trainable params: 2,304 || all params: 23,840 || trainable%: [0-9.]*$" "$TMP/train.err"
check train_lora_loss_falls $PY -c "
import json; l = [json.loads(x) for x in open('$TMP/train.log')]; l = [x['loss'] for x in l if 'loss' in x]
import sys; sys.exit(not l[-1] < l[0])"
ft-train --model "$TMP/model" --task causal-lm --adapter "$TMP/lora-out" --output-dir "$TMP/lora-out2" \
    --max-steps 2 --save-strategy no --quiet "$TMP/train.jsonl" > /dev/null 2>&1
check train_continues_adapter test -s "$TMP/lora-out2/adapter_config.json"
ft-eval --model "$TMP/model" --task causal-lm "$TMP/train.jsonl" > "$TMP/eval.json" 2>/dev/null
check eval_perplexity $PY -c "
import json, math; e = json.load(open('$TMP/eval.json'))
assert abs(e['eval_perplexity'] - math.exp(e['eval_loss'])) < 1e-4 * e['eval_perplexity'] and e['eval_loss'] > 0, e"
