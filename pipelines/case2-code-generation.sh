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
#   OUT (out/case2)  PREFIX ("生成代码: ")  EPOCHS (5; 13 from scratch)  BATCH (8)
#   LR (5e-5; 1e-3 from scratch)  MAX_LENGTH (128)  MAX_TARGET_LENGTH (128)
#   NUM_BEAMS (4)  MAX_NEW_TOKENS (128)  TEST_LIMIT (all)  TRAIN_LIMIT (all)
#   SEED (42)  THREADS (all CPUs)  SMALL_D_MODEL (128)  SMALL_LAYERS (2)
# PRETRAIN=yes first pretrains the model with T5's span corruption
# (run_t5_mlm_flax.py's DataCollatorForT5MLM) on unlabelled code and starts
# the fine-tuning from it: for a model from scratch, or for a given MODEL
# (domain-adaptive pretraining on your own code before fine-tuning).  Off by
# default: at the default model size the same CPU spent on fine-tuning
# epochs scores better on MBPP (docs/case2-code-generation.md, "Defaults"):
#   PRETRAIN (no)
#   PRETRAIN_CODE   source files or directories (*.py in them) to pretrain on,
#                   separated by ":" (default: the Python standard library,
#                   /usr/lib/python3.*, tests excluded)
#   PRETRAIN_TEXT   CSV/JSONL files with a text column to pretrain on too,
#                   separated by ":" (none)
#   PRETRAIN_TOKENS (300000)  blocks seen, counted in tokens
#   PRETRAIN_INPUT_LENGTH (MAX_LENGTH)  encoder inputs after corruption; the
#                   blocks are longer (ft-train --span-block-size)
#   PRETRAIN_LR (1e-3; 1e-4 with a MODEL)  MLM_PROBABILITY (0.15)  MEAN_NOISE_SPAN_LENGTH (3)
# The last line of stdout is the evaluation as one JSON object; each stage's
# wall time and CPU time (user+sys of its processes) go to stderr and to
# $OUT/stages.jsonl, so runs on a shared machine compare by CPU seconds.
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

# stage NAME: the wall and CPU seconds since the previous call.  `times` runs
# in this shell (in a subshell it would see none of our children) and its
# second line is the finished children's user and system time.
: > "$OUT/stages.jsonl"
stage_wall=$(date +%s.%N) stage_cpu=0
stage() {
    local now cpu
    now=$(date +%s.%N)
    times > "$OUT/.times"
    cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }' "$OUT/.times")
    rm -f "$OUT/.times"
    jq -nc --arg s "$1" --argjson w "$(awk -v a="$now" -v b="$stage_wall" 'BEGIN { printf "%.1f", a - b }')" \
        --argjson c "$(awk -v a="$cpu" -v b="$stage_cpu" 'BEGIN { printf "%.1f", a - b }')" \
        '{stage: $s, wall_s: $w, cpu_s: $c}' | tee -a "$OUT/stages.jsonl" | sed 's/^/case2: /' >&2
    stage_wall=$now stage_cpu=$cpu
}

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
    EPOCHS=${EPOCHS:-13}
    LR=${LR:-1e-3}
    PRETRAIN=${PRETRAIN:-no}
    PRETRAIN_LR=${PRETRAIN_LR:-1e-3}
else
    scratch=
    EPOCHS=${EPOCHS:-5}
    LR=${LR:-5e-5}
    PRETRAIN=${PRETRAIN:-no}
    PRETRAIN_LR=${PRETRAIN_LR:-1e-4}
fi
PRETRAIN_TOKENS=${PRETRAIN_TOKENS:-300000}
PRETRAIN_INPUT_LENGTH=${PRETRAIN_INPUT_LENGTH:-$MAX_LENGTH}
MLM_PROBABILITY=${MLM_PROBABILITY:-0.15}
MEAN_NOISE_SPAN_LENGTH=${MEAN_NOISE_SPAN_LENGTH:-3}

# ---- span-corruption pretraining on unlabelled code ----
if [ "$PRETRAIN" = yes ]; then
    if [ -z "${PRETRAIN_CODE+set}" ]; then
        PRETRAIN_CODE=
        for d in /usr/lib/python3.*; do [ -d "$d" ] && PRETRAIN_CODE=$d && break; done
        [ -n "$PRETRAIN_CODE" ] || { echo "case2: no /usr/lib/python3.*: set PRETRAIN_CODE or PRETRAIN_TEXT" >&2; exit 1; }
    fi
    code=() text=()
    [ -z "$PRETRAIN_CODE" ] || IFS=: read -r -a code <<< "$PRETRAIN_CODE"
    [ -z "${PRETRAIN_TEXT:-}" ] || IFS=: read -r -a text <<< "$PRETRAIN_TEXT"
    # one {"file", "text"} record per source file (one jq for all of them)
    : > "$OUT/pretrain.jsonl"
    if [ ${#code[@]} -gt 0 ]; then
        find "${code[@]}" -type f -name '*.py' -not -path '*/test/*' -not -path '*/tests/*' \
                -not -path '*-packages/*' -size +0 -print0 | LC_ALL=C sort -z \
            | xargs -0 -r jq -nRc 'reduce inputs as $l ({}; .[input_filename] += $l + "\n")
                                    | to_entries[] | {file: .key, text: .value}' >> "$OUT/pretrain.jsonl"
    fi
    [ -s "$OUT/pretrain.jsonl" ] && text=("$OUT/pretrain.jsonl" ${text[@]+"${text[@]}"})
    [ ${#text[@]} -gt 0 ] || { echo "case2: no code to pretrain on (PRETRAIN_CODE, PRETRAIN_TEXT)" >&2; exit 1; }
    block=$(ft-train --task span-corruption --mlm-probability "$MLM_PROBABILITY" \
        --mean-noise-span-length "$MEAN_NOISE_SPAN_LENGTH" --span-block-size "$PRETRAIN_INPUT_LENGTH" 2>/dev/null)
    # texts concatenated and cut into blocks, as run_t5_mlm_flax's group_texts
    ft-tokenize --model "$MODEL" --block-size "$block" -o "$OUT/pretrain.tok" "${text[@]}"
    steps=$(( (PRETRAIN_TOKENS + block * BATCH - 1) / (block * BATCH) ))
    echo "case2: span-corruption pretraining: $steps steps of $BATCH blocks of $block tokens" >&2
    ft-train --model "$MODEL" $scratch --task span-corruption --mlm-probability "$MLM_PROBABILITY" \
        --mean-noise-span-length "$MEAN_NOISE_SPAN_LENGTH" --max-steps "$steps" \
        --per-device-train-batch-size "$BATCH" --learning-rate "$PRETRAIN_LR" --warmup-ratio 0.06 \
        --logging-steps 50 --save-strategy no --seed "$SEED" --threads "$THREADS" \
        --output-dir "$OUT/pretrained" "$OUT/pretrain.tok" > "$OUT/pretrain_log.jsonl"
    MODEL=$OUT/pretrained
    scratch=
    stage pretraining
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
stage fine-tuning
ft-generate --model "$OUT/model" --num-beams "$NUM_BEAMS" --max-new-tokens "$MAX_NEW_TOKENS" \
    --text-column text --prefix "$PREFIX" --max-length "$MAX_LENGTH" --threads "$THREADS" \
    -o "$OUT/gen.jsonl" "$OUT/test.jsonl"
stage generation
ft-eval --model "$OUT/model" --task seq2seq --threads "$THREADS" "$OUT/test.tok" > "$OUT/loss.json"
ft-eval --task seq2seq --references "$OUT/test.jsonl" --predictions "$OUT/per_example.jsonl" \
    --jobs "$THREADS" "$OUT/gen.jsonl" > "$OUT/gen_metrics.json"
stage evaluation
jq -c -s '.[0] * .[1] | del(.eval_runtime, .eval_samples_per_second)' "$OUT/loss.json" "$OUT/gen_metrics.json" \
    | tee "$OUT/metrics.json"
