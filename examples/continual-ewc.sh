#!/bin/sh
# Continuing training on new data without forgetting the old (EWC): a model
# trained on the old questions (departments 0-2) is trained further on new
# questions (departments 2-4), once plainly and once with --ewc, which holds
# the weights that mattered to the old data (their Fisher information, from
# ft-eval --fisher-out) near their old values.
#
#   ft-eval --model old --fisher-out old.fisher old-train.ft
#   ft-train --model old --ewc 5000 --fisher old.fisher ... new-train.ft
#
# Prints one JSON line: accuracy on held-out old and new questions for the old
# model, the plainly continued one and the EWC one.
# Environment: ROWS (4000) of DATA (../shared/data/medical/medical_texts.csv),
# EPOCHS (3), EWC (5000), OUT (out/examples/continual-ewc), THREADS.
. "$(dirname "$0")/common.sh"
ROWS=${ROWS:-4000} EPOCHS=${EPOCHS:-3} EWC=${EWC:-5000}

small_bert "$OUT/model" "$shared/models/bert-base-chinese"

head -n $((ROWS + 1)) "$DATA" | ft-tokenize --model "$OUT/model" --max-length 64 | ft-cat > "$OUT/all.jsonl"
for part in old:'.labels <= 2' new:'.labels >= 2'; do
    jq -c "select(${part#*:})" "$OUT/all.jsonl" > "$OUT/${part%%:*}.jsonl"
    ft-split --test-size 0.2 --seed 1 --train "$OUT/${part%%:*}-train.jsonl" --test "$OUT/${part%%:*}-val.jsonl" \
        "$OUT/${part%%:*}.jsonl"
done
T="--num-labels 5 --num-train-epochs $EPOCHS --per-device-train-batch-size 16 --learning-rate 1e-3
   --save-strategy no --logging-strategy epoch --threads $THREADS --quiet"
ft-train --model "$OUT/model" --from-scratch $T --output-dir "$OUT/old" "$OUT/old-train.jsonl" > /dev/null 2>&1
ft-eval --model "$OUT/old" --fisher-out "$OUT/old.fisher" --threads "$THREADS" "$OUT/old-train.jsonl" > /dev/null
ft-train --model "$OUT/old" $T --output-dir "$OUT/plain" "$OUT/new-train.jsonl" > /dev/null 2>&1
ft-train --model "$OUT/old" $T --ewc "$EWC" --fisher "$OUT/old.fisher" --output-dir "$OUT/ewc" \
    "$OUT/new-train.jsonl" > "$OUT/ewc-log.jsonl" 2> /dev/null

acc() { ft-eval --model "$1" --threads "$THREADS" "$2" | jq .eval_accuracy; }
for m in old plain ewc; do
    printf '{"model": "%s", "old": %s, "new": %s}\n' "$m" "$(acc "$OUT/$m" "$OUT/old-val.jsonl")" \
        "$(acc "$OUT/$m" "$OUT/new-val.jsonl")"
done | jq -s -c 'map({key: .model, value: {accuracy_old: .old, accuracy_new: .new}}) | from_entries'
