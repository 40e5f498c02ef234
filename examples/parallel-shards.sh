#!/bin/sh
# Tokenizing in parallel over shards with xargs -P, then training on all of
# them.  The input is cut into SHARDS JSON-lines files (whole records, so any
# CSV quoting is already resolved), one single-threaded ft-tokenize per shard
# runs JOBS at a time, and ft-cat joins the token streams back into one (ft
# streams concatenate: header, records, trailer, next header ...).  Joined in
# shard order, the tokens equal one ft-tokenize over the whole input.
#
#   ls shards/*.jsonl | xargs -P 4 -I{} ft-tokenize -m MODEL -j 1 -o {}.ft {}
#   ft-cat --to ft shards/*.ft | ft-train ...
#
# Prints one JSON line: shards, records per shard, whether the joined tokens
# equal a single-process run, and the number of training steps.
# Environment: ROWS (4000) of DATA (../shared/data/medical/medical_texts.csv),
# SHARDS (4), JOBS (nproc), EPOCHS (1), OUT (out/examples/parallel-shards).
. "$(dirname "$0")/common.sh"
ROWS=${ROWS:-4000} SHARDS=${SHARDS:-4} JOBS=${JOBS:-$(nproc)} EPOCHS=${EPOCHS:-1}

rm -rf "$OUT/shards" && mkdir -p "$OUT/shards"
small_bert "$OUT/model" "$shared/models/bert-base-chinese"

head -n $((ROWS + 1)) "$DATA" | ft-cat > "$OUT/all.jsonl"
split -n l/"$SHARDS" -d --additional-suffix=.jsonl "$OUT/all.jsonl" "$OUT/shards/part-"
ls "$OUT"/shards/part-*.jsonl | xargs -P "$JOBS" -I{} \
    ft-tokenize --model "$OUT/model" --max-length 128 --threads 1 -o {}.ft {}

# the same tokens as one process over the whole input?
ft-tokenize --model "$OUT/model" --max-length 128 "$OUT/all.jsonl" | ft-cat > "$OUT/one.jsonl"
ft-cat "$OUT"/shards/part-*.ft > "$OUT/joined.jsonl"
same=$(cmp -s "$OUT/one.jsonl" "$OUT/joined.jsonl" && echo true || echo false)

ft-cat --to ft "$OUT"/shards/part-*.ft | ft-train --model "$OUT/model" --from-scratch --num-labels 5 \
    --output-dir "$OUT/run" --num-train-epochs "$EPOCHS" --per-device-train-batch-size 16 \
    --learning-rate 1e-3 --save-strategy no --logging-steps 50 --quiet > "$OUT/train_log.jsonl"

for s in "$OUT"/shards/part-*.ft; do ft-cat "$s" | wc -l; done | jq -s -c --argjson same "$same" \
    --slurpfile log "$OUT/train_log.jsonl" \
    '{shards: length, records: ., total: add, same_as_one_process: $same, steps: ($log | last | .step)}'
