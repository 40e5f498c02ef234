#!/bin/bash
# Case 1 — text classification with BERT, as this Python would do it:
#
#   train, val = train_test_split(df, test_size=0.2, random_state=42)
#   tok = AutoTokenizer.from_pretrained("bert-base-chinese")
#   enc = lambda d: tok(d.text, truncation=True, padding="max_length", max_length=128)
#   model = AutoModelForSequenceClassification.from_pretrained("bert-base-chinese", num_labels=5)
#   Trainer(model, TrainingArguments(output_dir, num_train_epochs=3,
#           per_device_train_batch_size=16, warmup_steps=500, weight_decay=0.01,
#           eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True),
#           train_dataset=enc(train), eval_dataset=enc(val)).train()
#
# Inputs (environment, with defaults):
#   DATA     a CSV with columns text,label       (../shared/data/medical/medical_texts.csv)
#   LABELS   label names, one a line             (labels.txt beside DATA)
#   MODEL    a BERT directory to fine-tune; empty: a small BERT made from a config
#            with TOKENIZER's vocabulary, trained from scratch (hidden 128, one
#            layer: HIDDEN_SIZE, NUM_LAYERS, ... as in pipelines/small-bert.sh)
#   TOKENIZER  tokenizer files for that small BERT (../shared/models/bert-base-chinese)
#   OUT      where everything goes               (out/case1)
#   SEED (42)  EPOCHS (3; 10 from scratch)  MAX_LENGTH (128)  BATCH (16)
#   LR (5e-5; from scratch 5e-4, or 1e-3 without pretraining)  THREADS
#   WARMUP_STEPS (500; 100 from scratch)  WEIGHT_DECAY (0.01)
#   LABEL_SMOOTHING (0; 0.1 from scratch)
#   BF16 (empty; 1: ft-train and ft-eval with --bf16, TrainingArguments(bf16=True))
# A model from scratch is first pretrained as a masked LM (BertForMaskedLM,
# as run_mlm.py --line_by_line) on the training texts — never the validation
# texts, labels unused — and the classifier fine-tunes from its encoder:
#   PRETRAIN_TOKENS (5000000)  epochs enough to see about this many tokens,
#                   at most PRETRAIN_MAX_EPOCHS (100)
#   PRETRAIN_EPOCHS (from PRETRAIN_TOKENS; 0 = no pretraining, the default with a MODEL)
#   PRETRAIN_LR (1e-3)  MLM_PROBABILITY (0.15)
#   PRETRAIN_TEXT   more CSVs with a text column to pretrain on, separated by ":" as
#                   in PATH (so a path may hold spaces) (none)
# The from-scratch defaults were chosen on a validation split by bench/case1_tune
# (docs/case1-text-classification.md).
# The last line of stdout is the final evaluation as one JSON object.
set -euo pipefail
. "$(dirname "$0")/small-bert.sh"
. "$(dirname "$0")/env.sh"

DATA=${DATA:-$shared/data/medical/medical_texts.csv}
LABELS=${LABELS:-$(dirname "$DATA")/labels.txt}
MODEL=${MODEL:-}
TOKENIZER=${TOKENIZER:-$shared/models/bert-base-chinese}
OUT=${OUT:-out/case1}
SEED=${SEED:-42}
MAX_LENGTH=${MAX_LENGTH:-128}
BATCH=${BATCH:-16}
THREADS=${THREADS:-$(nproc)}
WEIGHT_DECAY=${WEIGHT_DECAY:-0.01}
bf16=; [ "${BF16:-}" = 1 ] && bf16=--bf16

for f in "$DATA" "$LABELS"; do
    [ -r "$f" ] || { echo "case1: $f: not readable (set DATA and LABELS)" >&2; exit 1; }
done
mkdir -p "$OUT"
num_labels=$(grep -c . "$LABELS")

if [ -z "$MODEL" ]; then
    # No pretrained weights can be downloaded here: start from a small BERT
    # with the real vocabulary, pretrain it on the training texts, then
    # fine-tune.  A pretrained MODEL wants the HF defaults (lr 5e-5, 500
    # warmup steps, 3 epochs); this one learns faster at a higher rate.
    MODEL=$OUT/init
    NUM_LAYERS=${NUM_LAYERS:-1}
    small_bert "$MODEL" "$TOKENIZER"
    scratch=--from-scratch
    EPOCHS=${EPOCHS:-10}
    PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-auto}
    if [ "$PRETRAIN_EPOCHS" = 0 ]; then LR=${LR:-1e-3}; else LR=${LR:-5e-4}; fi
    WARMUP_STEPS=${WARMUP_STEPS:-100}
    LABEL_SMOOTHING=${LABEL_SMOOTHING:-0.1}
else
    scratch=
    EPOCHS=${EPOCHS:-3}
    LR=${LR:-5e-5}
    WARMUP_STEPS=${WARMUP_STEPS:-500}
    LABEL_SMOOTHING=${LABEL_SMOOTHING:-0}
    PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-0}
fi
PRETRAIN_LR=${PRETRAIN_LR:-1e-3}
PRETRAIN_TOKENS=${PRETRAIN_TOKENS:-5000000}
PRETRAIN_MAX_EPOCHS=${PRETRAIN_MAX_EPOCHS:-100}
PRETRAIN_TEXT=${PRETRAIN_TEXT:-}
MLM_PROBABILITY=${MLM_PROBABILITY:-0.15}

ft-split --test-size 0.2 --seed "$SEED" --train "$OUT/train.csv" --test "$OUT/val.csv" "$DATA"
if [ "$PRETRAIN_EPOCHS" != 0 ]; then
    # One text a row (run_mlm --line_by_line): blocks of concatenated texts
    # (ft-tokenize --block-size) left a one-layer model stuck at unigram loss.
    # Batches of similar length (--group-by-length): the medical texts' batches
    # are then 98 % tokens instead of 62 %, the rest padding.
    IFS=: read -r -a more_text <<< "$PRETRAIN_TEXT"
    ft-tokenize --model "$MODEL" --max-length "$MAX_LENGTH" -o "$OUT/pretrain.tok" "$OUT/train.csv" "${more_text[@]}"
    if [ "$PRETRAIN_EPOCHS" = auto ]; then
        tokens=$(ft-cat "$OUT/pretrain.tok" | jq -n '[inputs.input_ids | length] | add')
        PRETRAIN_EPOCHS=$(( (PRETRAIN_TOKENS + tokens - 1) / tokens ))
        [ "$PRETRAIN_EPOCHS" -le "$PRETRAIN_MAX_EPOCHS" ] || PRETRAIN_EPOCHS=$PRETRAIN_MAX_EPOCHS
        echo "case1: masked-LM pretraining: $PRETRAIN_EPOCHS epochs over $tokens tokens" >&2
    fi
    ft-train --model "$MODEL" $scratch --task masked-lm --mlm-probability "$MLM_PROBABILITY" \
        --output-dir "$OUT/mlm" --num-train-epochs "$PRETRAIN_EPOCHS" \
        --per-device-train-batch-size "$BATCH" --learning-rate "$PRETRAIN_LR" --group-by-length \
        --warmup-ratio 0.06 --weight-decay "$WEIGHT_DECAY" --save-strategy no --logging-strategy epoch \
        --seed "$SEED" --threads "$THREADS" $bf16 "$OUT/pretrain.tok" > "$OUT/mlm_log.jsonl"
    MODEL=$OUT/mlm
    scratch=
fi
ft-tokenize --model "$MODEL" --max-length "$MAX_LENGTH" --padding max_length -o "$OUT/val.tok" "$OUT/val.csv"
# the training records go straight from the tokenizer into the trainer
ft-tokenize --model "$MODEL" --max-length "$MAX_LENGTH" --padding max_length "$OUT/train.csv" |
ft-train --model "$MODEL" $scratch --task seq-cls --num-labels "$num_labels" --labels "$LABELS" \
    --output-dir "$OUT/model" --num-train-epochs "$EPOCHS" \
    --per-device-train-batch-size "$BATCH" --per-device-eval-batch-size "$BATCH" \
    --learning-rate "$LR" --warmup-steps "$WARMUP_STEPS" --weight-decay "$WEIGHT_DECAY" \
    --label-smoothing-factor "$LABEL_SMOOTHING" \
    --eval-data "$OUT/val.tok" --eval-strategy epoch --save-strategy epoch --save-total-limit 2 \
    --load-best-model-at-end --metric-for-best-model accuracy --logging-steps 50 \
    --seed "$SEED" --threads "$THREADS" $bf16 > "$OUT/train_log.jsonl"
ft-eval --model "$OUT/model" --per-device-eval-batch-size "$BATCH" --threads "$THREADS" $bf16 \
    --predictions "$OUT/predictions.jsonl" -o "$OUT/metrics.json" "$OUT/val.tok"
echo "case1: model in $OUT/model, metrics in $OUT/metrics.json, predictions in $OUT/predictions.jsonl" >&2
jq -c '{eval_accuracy, eval_f1_macro, eval_f1_weighted, eval_loss, eval_samples}' "$OUT/metrics.json"
