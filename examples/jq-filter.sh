#!/bin/sh
# jq between two ft tools: tokenize the medical questions, then with jq drop
# the over-long ones and merge two departments into one label, and train on
# what is left.  ft-cat --header turns the token stream into JSON lines with
# its header first, jq passes the header through untouched, and ft-cat
# --to-stream turns the lines back into a stream carrying that header, so
# ft-train still checks that the tokens come from its model's tokenizer.
#
#   ft-tokenize ... | ft-cat --header | jq 'select(...) | .labels |= ...' \
#     | ft-cat --to-stream | ft-train ...
#
# Prints one JSON line: records in and kept, the label counts after merging,
# and the last training loss.
# Environment: ROWS (2000) of DATA (../shared/data/medical/medical_texts.csv),
# MAX_TOKENS (64), EPOCHS (1), OUT (out/examples/jq-filter), THREADS.
. "$(dirname "$0")/common.sh"
ROWS=${ROWS:-2000} MAX_TOKENS=${MAX_TOKENS:-64} EPOCHS=${EPOCHS:-1}

small_bert "$OUT/model" "$shared/models/bert-base-chinese"

# Departments 3 (cardiology) and 4 (endocrinology) become one label, 3.
head -n $((ROWS + 1)) "$DATA" | ft-tokenize --model "$OUT/model" --threads "$THREADS" \
    | ft-cat --header \
    | jq -c --argjson max "$MAX_TOKENS" '
        if has("ft_header") or has("ft_trailer") then .
        else select(.input_ids | length <= $max) | .labels |= (if . == 4 then 3 else . end) end' \
    | ft-cat --to-stream -o "$OUT/kept.ft"

ft-train --model "$OUT/model" --from-scratch --num-labels 4 --output-dir "$OUT/run" \
    --num-train-epochs "$EPOCHS" --per-device-train-batch-size 16 --learning-rate 1e-3 \
    --save-strategy no --logging-strategy epoch --threads "$THREADS" --quiet "$OUT/kept.ft" > "$OUT/train_log.jsonl"

ft-cat "$OUT/kept.ft" | jq -s -c --argjson rows "$ROWS" --slurpfile log "$OUT/train_log.jsonl" '{
    records_in: $rows, kept: length,
    labels: (group_by(.labels) | map({key: (.[0].labels | tostring), value: length}) | from_entries),
    last_loss: ([$log[] | select(.loss) | .loss] | last)}'
