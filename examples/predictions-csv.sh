#!/bin/sh
# Evaluation predictions as a CSV for a spreadsheet: ft-eval --predictions
# writes one record per example (id = its row, true and predicted label,
# probabilities); jq joins them with the texts and the department names, and
# ft-cat writes CSV (RFC 4180 quoting, so texts with commas and quotes stay in
# their cell).  Columns: text, department, predicted, confidence, correct.
#
# Prints ft-eval's accuracy, then the CSV's first lines; the CSV is
# OUT/predictions.csv.
# Environment: ROWS (2000) of DATA (../shared/data/medical/medical_texts.csv),
# EPOCHS (3), OUT (out/examples/predictions-csv), THREADS.
. "$(dirname "$0")/common.sh"
LABELS=${LABELS:-$shared/data/medical/labels.txt}
ROWS=${ROWS:-2000} EPOCHS=${EPOCHS:-3}
small_bert "$OUT/model" "$shared/models/bert-base-chinese"

head -n $((ROWS + 1)) "$DATA" | ft-split --test-size 0.2 --seed 1 --train "$OUT/train.csv" --test "$OUT/val.csv"
ft-tokenize --model "$OUT/model" --max-length 64 -o "$OUT/train.ft" "$OUT/train.csv"
ft-tokenize --model "$OUT/model" --max-length 64 -o "$OUT/val.ft" "$OUT/val.csv"
ft-train --model "$OUT/model" --from-scratch --labels "$LABELS" --num-labels "$(grep -c . "$LABELS")" \
    --output-dir "$OUT/run" --num-train-epochs "$EPOCHS" --per-device-train-batch-size 16 \
    --learning-rate 1e-3 --save-strategy no --threads "$THREADS" --quiet "$OUT/train.ft" > /dev/null 2>&1
ft-eval --model "$OUT/run" --predictions "$OUT/predictions.jsonl" --threads "$THREADS" "$OUT/val.ft" > "$OUT/metrics.json"

# row i of val.csv is prediction id i
ft-cat "$OUT/val.csv" | jq -c -n --slurpfile p "$OUT/predictions.jsonl" --rawfile names "$LABELS" '
    ($names | split("\n") | map(select(length > 0))) as $n |
    [inputs] as $rows | $p[] | . as $q | {
        text: $rows[$q.id].text, department: $n[$q.label], predicted: $q.predicted_label,
        confidence: ($q.probabilities | max * 1000 | round / 1000), correct: ($q.label == $q.prediction)}' |
    ft-cat -o "$OUT/predictions.csv"
jq -c '{eval_accuracy}' "$OUT/metrics.json"
head -n 4 "$OUT/predictions.csv"
