#!/bin/bash
# Case 4 — multi-task fine-tuning: one shared BERT encoder with a
# classification head per task, trained on the tasks' batches interleaved,
# next to one model per task on the same splits.  The Python it replaces:
#
#   heads = nn.ModuleDict({t: nn.Linear(768, n_labels[t]) for t in tasks})
#   for batch, task in interleave(per_task_loaders, sampling="proportional"):
#       loss = ce(heads[task](bert(**batch).pooler_output), batch.labels)
#
# Inputs (environment, with defaults):
#   CSV...   (arguments, or DATA: a blank-separated list; a path with spaces
#            must be an argument)
#   DATA     CSVs with columns text,label, one per task; the task is named
#            after the CSV's directory, its labels are labels.txt beside it
#            ("../shared/data/medical/medical_texts.csv
#              ../shared/data/tasks/kuake_qic/kuake_qic.csv
#              ../shared/data/tasks/chnsenticorp/chnsenticorp.csv")
#   TOKENIZER  tokenizer of the small BERT trained from scratch (../shared/models/bert-base-chinese)
#   OUT      where everything goes               (out/case4)
#   SEED (42)  EPOCHS (3)  MAX_LENGTH (64)  BATCH (16)  LR (1e-3)  THREADS
#   ROWS     use at most this many rows of each CSV (0 = all; default 0)
#   SAMPLING proportional|temperature|round-robin (proportional)
# Also the seed's approach on the same splits: every task folded into one label
# space (task k's labels shifted by the label counts of the tasks before it),
# one head, accuracy per task over that whole space ("folded").
# The last line of stdout is one JSON object: {"multitask": {task: accuracy,
# ...}, "single": {...}, "folded": {...}}.
set -euo pipefail
. "$(dirname "$0")/small-bert.sh"
. "$(dirname "$0")/env.sh"

# the CSVs: the arguments, else DATA (split on blanks), else the three below
if [ $# -gt 0 ]; then data=("$@")
elif [ -n "${DATA:-}" ]; then read -r -a data <<< "$DATA"
else data=("$shared/data/medical/medical_texts.csv" "$shared/data/tasks/kuake_qic/kuake_qic.csv"
           "$shared/data/tasks/chnsenticorp/chnsenticorp.csv"); fi
TOKENIZER=${TOKENIZER:-$shared/models/bert-base-chinese}
OUT=${OUT:-out/case4}
SEED=${SEED:-42}
EPOCHS=${EPOCHS:-3}
MAX_LENGTH=${MAX_LENGTH:-64}
BATCH=${BATCH:-16}
LR=${LR:-1e-3}
ROWS=${ROWS:-0}
SAMPLING=${SAMPLING:-proportional}
THREADS=${THREADS:-$(nproc)}

MODEL=$OUT/init
small_bert "$MODEL" "$TOKENIZER"

train=(--per-device-train-batch-size "$BATCH" --per-device-eval-batch-size "$BATCH" --learning-rate "$LR"
       --warmup-ratio 0.06 --weight-decay 0.01 --num-train-epochs "$EPOCHS" --save-strategy no
       --logging-steps 50 --seed "$SEED" --threads "$THREADS" --quiet --from-scratch)
: > "$OUT/train.jsonl"; : > "$OUT/val.jsonl"
task_labels=() tasks=() offsets='{}' total=0
for csv in "${data[@]}"; do
    t=$(basename "$(dirname "$csv")")
    labels=$(dirname "$csv")/labels.txt
    [ -r "$csv" ] && [ -r "$labels" ] || { echo "case4: $csv or $labels: not readable" >&2; exit 1; }
    tasks+=("$t")
    offsets=$(jq -nc --argjson o "$offsets" --arg t "$t" --argjson n "$total" '$o + {($t): $n}')
    total=$((total + $(grep -c . "$labels")))
    task_labels+=(--task-labels "$t=$(grep -c . "$labels"):$labels")
    src=$csv
    if [ "$ROWS" -gt 0 ]; then
        ft-split --train-size "$ROWS" --seed "$SEED" --train "$OUT/$t.rows.csv" --test "$OUT/$t.rest.csv" "$csv"
        src=$OUT/$t.rows.csv
    fi
    ft-split --test-size 0.2 --seed "$SEED" --train "$OUT/$t.train.csv" --test "$OUT/$t.val.csv" "$src"
    for part in train val; do
        ft-tokenize --model "$MODEL" --max-length "$MAX_LENGTH" --task "$t" \
            -o "$OUT/$t.$part.jsonl" "$OUT/$t.$part.csv"
        cat "$OUT/$t.$part.jsonl" >> "$OUT/$part.jsonl"
    done
    # the baseline: this task alone
    ft-train --model "$MODEL" "${train[@]}" --num-labels "$(grep -c . "$labels")" --labels "$labels" \
        --output-dir "$OUT/single-$t" "$OUT/$t.train.jsonl" > "$OUT/single-$t.log"
    ft-eval --model "$OUT/single-$t" --threads "$THREADS" -o "$OUT/single-$t.json" "$OUT/$t.val.jsonl"
done

# one encoder, a head per task
ft-train --model "$MODEL" "${train[@]}" "${task_labels[@]}" --task-sampling "$SAMPLING" \
    --output-dir "$OUT/multitask" "$OUT/train.jsonl" > "$OUT/multitask.log"
ft-eval --model "$OUT/multitask" --threads "$THREADS" -o "$OUT/multitask.json" "$OUT/val.jsonl"

# the seed's way: one label space, label + the task's offset
for part in train val; do
    jq -c --argjson o "$offsets" '.labels += $o[.task] | del(.task)' "$OUT/$part.jsonl" > "$OUT/folded.$part.jsonl"
done
ft-train --model "$MODEL" "${train[@]}" --num-labels "$total" --output-dir "$OUT/folded" "$OUT/folded.train.jsonl" \
    > "$OUT/folded.log"
ft-eval --model "$OUT/folded" --threads "$THREADS" --predictions "$OUT/folded.predictions.jsonl" \
    -o "$OUT/folded.json" "$OUT/folded.val.jsonl"
# predictions come in input order: pair them with the records' tasks
folded=$(jq -n --slurpfile v "$OUT/val.jsonl" --slurpfile p "$OUT/folded.predictions.jsonl" --argjson o "$offsets" '
    [range(0; $v | length) as $i | {t: $v[$i].task, ok: ($v[$i].labels + $o[$v[$i].task] == $p[$i].prediction)}]
    | group_by(.t) | map({(.[0].t): ((map(select(.ok)) | length) / length)}) | add')

echo "case4: models in $OUT/multitask and $OUT/single-*, metrics in $OUT/*.json" >&2
single='{}'
for t in "${tasks[@]}"; do
    single=$(jq -c --arg t "$t" --argjson s "$single" '$s + {($t): .eval_accuracy}' "$OUT/single-$t.json")
done
jq -c --argjson s "$single" --argjson f "$folded" '{multitask: (with_entries(select(.key |
    test("^eval_.*_accuracy$") and (test("^eval_average_") | not)))
    | with_entries(.key |= sub("^eval_"; "") | .key |= sub("_accuracy$"; ""))), single: $s, folded: $f}' \
    "$OUT/multitask.json"
