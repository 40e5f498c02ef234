# T5 span-corruption pretraining (ft-train --task span-corruption) on real
# Python sources (the standard library's json package) with the real
# codet5-base tokenizer and a tiny T5: the loss falls, ft-eval reports loss
# and token accuracy repeatably, resume is exact (spans are keyed by the
# step), the checkpoint fine-tunes as seq2seq, and bad flags are refused.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"; [ -n "${KEEP:-}" ] && trap - EXIT && echo "# kept $TMP"
tok=$SHARED/models/codet5-base
mkdir init
for f in vocab.json merges.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do cp "$tok/$f" init/; done
cat > init/config.json <<'J'
{"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": 32100,
 "d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 1, "num_decoder_layers": 1, "num_heads": 4,
 "relative_attention_num_buckets": 8, "relative_attention_max_distance": 32, "dropout_rate": 0.1,
 "layer_norm_epsilon": 1e-6, "initializer_factor": 1.0, "feed_forward_proj": "relu",
 "tie_word_embeddings": true, "is_encoder_decoder": true, "pad_token_id": 0, "eos_token_id": 2,
 "decoder_start_token_id": 0}
J
src=$(ls -d /usr/lib/python3.*/json 2>/dev/null | head -1)
[ -n "$src" ] || { fail "span_corruption (no /usr/lib/python3.*/json)"; exit 0; }
for f in "$src"/*.py; do jq -Rsc --arg f "$f" '{file: $f, text: .}' "$f"; done > code.jsonl
check span_block_size sh -c '[ "$(ft-train --span-block-size 512 2>/dev/null)" = 568 ] &&
    [ "$(ft-train --span-block-size 40 --mlm-probability 0.3 --mean-noise-span-length 2 2>/dev/null)" = 46 ]'
block=$(ft-train --span-block-size 40 2>/dev/null)
ft-tokenize --model init --block-size "$block" -o blocks.tok code.jsonl
ft-cat blocks.tok | head -16 | ft-cat -o val.tok
ft-cat blocks.tok | sed -n 17,80p | ft-cat -o train.tok
M="--model init --from-scratch --task span-corruption --per-device-train-batch-size 8 --learning-rate 3e-3 --quiet --threads 2"

ft-train $M --output-dir sc --num-train-epochs 3 --warmup-ratio 0.1 --eval-data val.tok \
    --eval-strategy epoch --save-strategy no --logging-steps 10 train.tok > log.jsonl 2> err.txt || cat err.txt
first=$(jq -r 'select(.eval_loss) | .eval_loss' log.jsonl | head -1)
last=$(jq -r 'select(.eval_loss) | .eval_loss' log.jsonl | tail -1)
check span_eval_loss_falls $PY -c "import sys; sys.exit(not ($last < $first - 0.3))"
# blocks of 44 for inputs of 40: targets of 7 noise tokens in 2 spans, 2 sentinels, </s>
check span_metrics jq_true -s 'map(select(.eval_loss)) | length == 3 and
    all(.eval_perplexity > 1 and .eval_accuracy > 0 and .eval_accuracy < 1 and .eval_target_tokens == 16 * 10)' log.jsonl
check span_config jq_true '.architectures == ["T5ForConditionalGeneration"]' sc/config.json
ft-eval --model sc --task span-corruption val.tok | jq -c 'del(.eval_runtime, .eval_samples_per_second)' > e1.json
ft-eval --model sc --task span-corruption val.tok | jq -c 'del(.eval_runtime, .eval_samples_per_second)' > e2.json
check span_eval_repeatable cmp -s e1.json e2.json
check span_eval_equals_last_train_eval $PY -c "
import json, sys
e = json.load(open('e1.json')); t = [json.loads(l) for l in open('log.jsonl') if 'eval_loss' in l][-1]
sys.exit(not (abs(e['eval_loss'] - t['eval_loss']) < 1e-5 * t['eval_loss'] and e['eval_accuracy'] == t['eval_accuracy']))"
# another noise density: other targets
ft-eval --model sc --task span-corruption --mlm-probability 0.3 --mean-noise-span-length 2 val.tok > e3.json
check span_eval_density jq_true '.eval_target_tokens > 16 * 10' e3.json

# resume from a checkpoint: the same weights, bit for bit
R="$M --num-train-epochs 2 --warmup-steps 2 --save-strategy epoch"
ft-train $R --output-dir r1 train.tok > /dev/null 2>&1
ck=$(ls -d r1/checkpoint-* | sort -t- -k2 -n | head -1)
mkdir r2 && cp -r "$ck" r2/
ft-train $R --output-dir r2 --resume-from-checkpoint "r2/$(basename "$ck")" train.tok > /dev/null 2>&1
check span_resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors
# another seed spans (and initialises) differently
ft-train $R --output-dir r3 --seed 7 --save-strategy no train.tok > /dev/null 2>&1
check span_seed_matters sh -c '! cmp -s r1/model.safetensors r3/model.safetensors'

# the pretrained model fine-tunes as a seq2seq model (text -> code pairs)
jq -c '{text: ("def " + (.file | split("/") | last)), code: (.text[0:200])}' code.jsonl > pairs.jsonl
ft-tokenize --model sc --text-column text --target-column code --max-length 32 -o pairs.tok pairs.jsonl
check span_then_seq2seq sh -c 'ft-train --model sc --task seq2seq --output-dir s2s --max-steps 2 \
    --per-device-train-batch-size 4 --quiet --threads 2 pairs.tok > /dev/null 2> s2s.err && ! grep -q "newly initialized" s2s.err'

# bad flags and models
expect_fail span_mean_needs_task "is for --task span-corruption" \
    ft-train --model init --from-scratch --task seq2seq --mean-noise-span-length 3 --output-dir x train.tok
expect_fail span_density_below_one "noise density in (0, 1)" \
    ft-train $M --mlm-probability 1 --output-dir x train.tok
expect_fail span_mean_at_least_one "mean-noise-span-length" \
    ft-train $M --mean-noise-span-length 0.5 --output-dir x train.tok
expect_fail span_eval_no_predictions "not --task span-corruption" \
    ft-eval --model sc --task span-corruption --predictions p.jsonl val.tok
mkdir nosent
cp "$SHARED/models/bert-base-chinese/vocab.txt" "$SHARED/models/bert-base-chinese/tokenizer.json" nosent/
cp init/config.json nosent/
expect_fail span_needs_sentinels "no sentinel tokens (<extra_id_0>" \
    ft-train --model nosent --from-scratch --task span-corruption --allow-tokenizer-mismatch --output-dir x train.tok
mkdir bert
cp "$SHARED/models/bert-base-chinese/vocab.txt" bert/
echo '{"model_type":"bert","vocab_size":32100,"hidden_size":16,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":32,"max_position_embeddings":64}' > bert/config.json
expect_fail span_needs_t5 "pretrains T5 models" \
    ft-train --model bert --from-scratch --task span-corruption --allow-tokenizer-mismatch --output-dir x train.tok
