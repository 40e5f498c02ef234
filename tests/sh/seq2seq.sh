#!/bin/sh
# Seq2seq end to end on a tiny T5 from a config: ft-train --task seq2seq
# learns a few dozen pairs by heart (greedy and beam reproduce them), ft-eval
# gives eval_loss and the generation metrics; pass@1 on MBPP tasks with
# canned programs (right, wrong, hanging, crashing) scores exactly and the
# evaluation survives the bad ones.
. "$FT_ROOT/tests/lib.sh"
cat > "$TMP/config.json" <<'J'
{"model_type": "t5", "architectures": ["T5ForConditionalGeneration"], "vocab_size": 40, "d_model": 32,
 "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4,
 "relative_attention_num_buckets": 16, "relative_attention_max_distance": 32, "dropout_rate": 0.0,
 "feed_forward_proj": "relu", "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
 "is_encoder_decoder": true}
J
$PY - "$TMP/train.jsonl" <<'P'
import json, random, sys
r = random.Random(5)
with open(sys.argv[1], 'w') as f:
    for i in range(40):
        src = [r.randrange(3, 40) for _ in range(r.randint(4, 9))]
        tgt = [r.randrange(3, 40) for _ in range(r.randint(3, 8))] + [1]
        f.write(json.dumps({"id": i, "input_ids": src + [1], "attention_mask": [1] * (len(src) + 1),
                            "labels": tgt}) + "\n")
P
ft-train --model "$TMP" --from-scratch --task seq2seq --num-train-epochs 60 --per-device-train-batch-size 8 \
    --learning-rate 1e-2 --output-dir "$TMP/mdl" --logging-steps 100 "$TMP/train.jsonl" > "$TMP/train.log" 2> "$TMP/train.err"
check "s2s_train_tiny_t5" test -f "$TMP/mdl/model.safetensors"
ft-generate --model "$TMP/mdl" --max-new-tokens 12 "$TMP/train.jsonl" > "$TMP/greedy.jsonl"
ft-generate --model "$TMP/mdl" --max-new-tokens 12 --num-beams 4 --batch-size 3 "$TMP/train.jsonl" > "$TMP/beam.jsonl"
for g in greedy beam; do
    ft-eval --task seq2seq --references "$TMP/train.jsonl" "$TMP/$g.jsonl" > "$TMP/$g.json"
    check "s2s_memorises_training_pairs_$g (exact match $(jq .eval_exact_match "$TMP/$g.json"))" \
        $PY -c "import json,sys; sys.exit(json.load(open('$TMP/$g.json'))['eval_exact_match'] < 0.95)"
done
# sampling draws from a stream per input: the batch size does not change it
ft-generate --model "$TMP/mdl" --max-new-tokens 12 --do-sample --top-k 5 --seed 3 --batch-size 8 \
    "$TMP/train.jsonl" > "$TMP/s8.jsonl"
ft-generate --model "$TMP/mdl" --max-new-tokens 12 --top-k 5 --seed 3 --batch-size 3 \
    "$TMP/train.jsonl" > "$TMP/s3.jsonl"
check "s2s_sampling_independent_of_batching" sh -c "[ \$(wc -l < '$TMP/s8.jsonl') = 40 ] && cmp -s '$TMP/s8.jsonl' '$TMP/s3.jsonl'"
# flags the seq2seq path does not take fail, naming the flag
expect_fail "s2s_generate_refuses_adapter" "ft-generate: --adapter: not supported for t5 models yet" \
    ft-generate --model "$TMP/mdl" --adapter "$TMP/mdl" "$TMP/train.jsonl"
expect_fail "s2s_generate_length_penalty_needs_beams" "--length-penalty: applies to beam search only" \
    ft-generate --model "$TMP/mdl" --length-penalty 2 "$TMP/train.jsonl"
expect_fail "s2s_generate_no_beam_sampling" "--do-sample: not supported with --num-beams" \
    ft-generate --model "$TMP/mdl" --num-beams 2 --top-p 0.9 "$TMP/train.jsonl"
printf '{"id": 0, "input_ids": [5, 6, 1]}\n{"id": 1, "input_ids": [5, 99]}\n' > "$TMP/oov.jsonl"
expect_fail "s2s_generate_bad_token_names_the_line" "ft-generate: .*oov.jsonl:2: token id 99 outside the vocabulary of 40" \
    ft-generate --model "$TMP/mdl" -o "$TMP/oov.out" "$TMP/oov.jsonl"
check "s2s_generate_no_half_written_output" test ! -e "$TMP/oov.out"
ft-eval --model "$TMP/mdl" --task seq2seq "$TMP/train.jsonl" > "$TMP/loss.json"
check "s2s_eval_loss_low" $PY -c "import json,sys; sys.exit(json.load(open('$TMP/loss.json'))['eval_loss'] > 0.2)"
check "s2s_saved_config_keeps_t5" sh -c "jq -e '.architectures[0] == \"T5ForConditionalGeneration\" and .model_type == \"t5\"' '$TMP/mdl/config.json' > /dev/null"

# pass@1 on the first 6 MBPP tasks: gold, wrong, gold, hang, crash, syntax error
head -6 "$SHARED/data/code/mbpp.jsonl" > "$TMP/mbpp.jsonl"
$PY - "$TMP/mbpp.jsonl" > "$TMP/gen.jsonl" <<'P'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = {1: "def nothing(): pass", 3: "import time\nwhile True: time.sleep(1)", 4: "import os\nos.kill(os.getpid(), 11)",
       5: "def broken(:"}
for i, r in enumerate(rows):
    print(json.dumps({"id": i, "generated_text": bad.get(i, r["code"])}))
P
ft-eval --task seq2seq --references "$TMP/mbpp.jsonl" --exec-timeout 2 --python /usr/bin/python3 \
    --predictions "$TMP/per.jsonl" "$TMP/gen.jsonl" > "$TMP/m.json"
check "s2s_pass_at_1_mbpp (2 of 6; hang, crash, syntax error are failures)" \
    sh -c "jq -e '(.[\"eval_pass@1\"] - 2/6 | fabs) < 1e-5 and .eval_exec.timeout == 1 and .eval_exec.crashed == 1 and .eval_exec.failed == 2 and (.eval_exact_match - 2/6 | fabs) < 1e-5' '$TMP/m.json' > /dev/null"
check "s2s_predictions_file" sh -c "[ \$(wc -l < '$TMP/per.jsonl') = 6 ] && grep -q '\"exec\":\"timeout\"' '$TMP/per.jsonl'"
ft-eval --task seq2seq --references "$TMP/mbpp.jsonl" --no-exec "$TMP/gen.jsonl" > "$TMP/n.json"
check "s2s_no_exec" sh -c "jq -e 'has(\"eval_pass@1\") | not' '$TMP/n.json' > /dev/null"
expect_fail "s2s_references_need_seq2seq" "seq2seq" ft-eval --task seq-cls --references "$TMP/mbpp.jsonl" "$TMP/gen.jsonl"
printf '{"id": 0, "input_ids": [5, 6, 1]}\n' > "$TMP/nolab.jsonl"
expect_fail "s2s_train_without_targets" "target" ft-train --model "$TMP" --from-scratch --task seq2seq \
    --output-dir "$TMP/o2" "$TMP/nolab.jsonl"
expect_fail "t5_refuses_seq_cls" "seq2seq" ft-train --model "$TMP" --from-scratch --output-dir "$TMP/o3" "$TMP/train.jsonl"
