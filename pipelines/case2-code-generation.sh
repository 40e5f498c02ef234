#!/bin/bash
# Case 2 — code generation with (Code)T5, as this Python would do it:
#
#   tok = AutoTokenizer.from_pretrained("Salesforce/codet5-base")
#   enc = lambda d: tok(["生成代码: " + t for t in d["text"]], text_target=d["code"],
#                       max_length=128, truncation=True)
#   model = T5ForConditionalGeneration.from_pretrained("Salesforce/codet5-base")
#   Seq2SeqTrainer(model, Seq2SeqTrainingArguments(output_dir, num_train_epochs=5,
#           per_device_train_batch_size=8, learning_rate=5e-5),
#           train_dataset=enc(train), data_collator=DataCollatorForSeq2Seq(tok, model)).train()
#   out = model.generate(**tok(test_texts, ...), num_beams=4, max_new_tokens=128)
#   exact match, BLEU (sacrebleu), pass@1 by running MBPP's tests
#
# Inputs (environment, with defaults):
#   DATASET  mbpp (train: task ids 511-974, test: 11-510, with tests for pass@1)
#            or conala (CoNaLa curated train/test; exact match and BLEU only)
#   DATA_DIR  where mbpp.jsonl / conala-*.json live     (../shared/data/code)
#   MODEL    a T5/CodeT5 directory to fine-tune (e.g. codet5-base with its
#            model.safetensors); empty: a small T5 made from a config with the
#            real codet5-base tokenizer (TOKENIZER), trained from scratch
#   TOKENIZER  (../shared/models/codet5-base)
#   OUT (out/case2)  PREFIX ("生成代码: ")  EPOCHS (5; 10 from scratch)  BATCH (8)
#   LR (5e-5; 1e-3 from scratch)  MAX_LENGTH (128)  MAX_TARGET_LENGTH (128)
#   NUM_BEAMS (4)  MAX_NEW_TOKENS (128)  TEST_LIMIT (all)  TRAIN_LIMIT (all)
#   SEED (42)  THREADS (all CPUs)  SMALL_D_MODEL (128)  SMALL_LAYERS (2)
# The last line of stdout is the evaluation as one JSON object.
set -euo pipefail
. "$(dirname "$0")/env.sh"

DATASET=${DATASET:-mbpp}
DATA_DIR=${DATA_DIR:-$shared/data/code}
MODEL=${MODEL:-}
TOKENIZER=${TOKENIZER:-$shared/models/codet5-base}
OUT=${OUT:-out/case2}
PREFIX=${PREFIX:-生成代码: }
BATCH=${BATCH:-8}
MAX_LENGTH=${MAX_LENGTH:-128}
MAX_TARGET_LENGTH=${MAX_TARGET_LENGTH:-128}
NUM_BEAMS=${NUM_BEAMS:-4}
MAX_NEW_TOKENS=${MAX_NEW_TOKENS:-128}
TEST_LIMIT=${TEST_LIMIT:-0}
TRAIN_LIMIT=${TRAIN_LIMIT:-0}
SEED=${SEED:-42}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$OUT"

# ---- data: {text, code[, test_list, test_setup_code]} JSON lines ----
# the first N lines (0: all); reads to the end, as `head` would not: with
# pipefail the writer killed by SIGPIPE when head leaves would fail the job
limit() { if [ "$1" -gt 0 ]; then awk -v n="$1" 'NR <= n'; else cat; fi; }
case $DATASET in
mbpp)
    src=$DATA_DIR/mbpp.jsonl
    [ -r "$src" ] || { echo "case2: $src: not readable (set DATA_DIR)" >&2; exit 1; }
    # the published split: 1-10 prompts, 11-510 test, 511-600 validation, 601-974 train
    jq -c 'select(.task_id >= 511)' "$src" | limit "$TRAIN_LIMIT" > "$OUT/train.jsonl"
    jq -c 'select(.task_id >= 11 and .task_id <= 510)' "$src" | limit "$TEST_LIMIT" > "$OUT/test.jsonl" ;;
conala)
    for f in conala-train.json conala-test.json; do
        [ -r "$DATA_DIR/$f" ] || { echo "case2: $DATA_DIR/$f: not readable (set DATA_DIR)" >&2; exit 1; }
    done
    jq -c '.[] | {text: (.rewritten_intent // .intent), code: .snippet}' "$DATA_DIR/conala-train.json" \
        | limit "$TRAIN_LIMIT" > "$OUT/train.jsonl"
    jq -c '.[] | {text: (.rewritten_intent // .intent), code: .snippet}' "$DATA_DIR/conala-test.json" \
        | limit "$TEST_LIMIT" > "$OUT/test.jsonl" ;;
*) echo "case2: DATASET must be mbpp or conala" >&2; exit 1 ;;
esac

# ---- model ----
if [ -z "$MODEL" ]; then
    # No pretrained weights can be downloaded here: a small T5 (CodeT5's
    # architecture: ReLU FFN, tied head) with the real codet5-base tokenizer.
    [ -r "$TOKENIZER/vocab.json" ] || { echo "case2: $TOKENIZER: no vocab.json (set TOKENIZER or MODEL)" >&2; exit 1; }
    MODEL=$OUT/init
    mkdir -p "$MODEL"
    for f in vocab.json merges.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
        if [ -r "$TOKENIZER/$f" ]; then cp "$TOKENIZER/$f" "$MODEL/"; fi
    done
    d=${SMALL_D_MODEL:-128} l=${SMALL_LAYERS:-2}
    cat > "$MODEL/config.json" <<JSON
{"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": 32100,
 "d_model": $d, "d_kv": 32, "d_ff": $((d * 4)), "num_layers": $l, "num_decoder_layers": $l,
 "num_heads": $((d / 32)), "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
 "dropout_rate": 0.1, "layer_norm_epsilon": 1e-6, "initializer_factor": 1.0,
 "feed_forward_proj": "relu", "tie_word_embeddings": true, "is_encoder_decoder": true,
 "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 0}
JSON
    scratch=--from-scratch
    EPOCHS=${EPOCHS:-10}
    LR=${LR:-1e-3}
else
    scratch=
    EPOCHS=${EPOCHS:-5}
    LR=${LR:-5e-5}
fi

# ---- the pipeline ----
tokenize() {   # INPUT [OUTPUT]: text -> input_ids, code -> labels
    ft-tokenize --model "$MODEL" --text-column text --target-column code --prefix "$PREFIX" \
        --max-length "$MAX_LENGTH" --max-target-length "$MAX_TARGET_LENGTH" ${2:+-o "$2"} "$1"
}
tokenize "$OUT/test.jsonl" "$OUT/test.tok"
tokenize "$OUT/train.jsonl" |
ft-train --model "$MODEL" $scratch --task seq2seq --num-train-epochs "$EPOCHS" \
    --per-device-train-batch-size "$BATCH" --learning-rate "$LR" --logging-steps 50 \
    --save-strategy no --seed "$SEED" --threads "$THREADS" \
    --output-dir "$OUT/model" > "$OUT/train_log.jsonl"
ft-generate --model "$OUT/model" --num-beams "$NUM_BEAMS" --max-new-tokens "$MAX_NEW_TOKENS" \
    --text-column text --prefix "$PREFIX" --max-length "$MAX_LENGTH" --threads "$THREADS" \
    -o "$OUT/gen.jsonl" "$OUT/test.jsonl"
ft-eval --model "$OUT/model" --task seq2seq --threads "$THREADS" "$OUT/test.tok" > "$OUT/loss.json"
ft-eval --task seq2seq --references "$OUT/test.jsonl" --predictions "$OUT/per_example.jsonl" \
    --jobs "$THREADS" "$OUT/gen.jsonl" > "$OUT/gen_metrics.json"
jq -c -s '.[0] * .[1] | del(.eval_runtime, .eval_samples_per_second)' "$OUT/loss.json" "$OUT/gen_metrics.json" \
    | tee "$OUT/metrics.json"
