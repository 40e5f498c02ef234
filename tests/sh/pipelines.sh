# The pipelines as a shell user runs them: bash with pipefail (a tool failing
# inside a pipe stops the job), paths with spaces, a list of CSVs as arguments.
. "$FT_ROOT/tests/lib.sh"
for p in "$FT_ROOT"/pipelines/case*.sh "$FT_ROOT"/pipelines/demo.sh; do
    n=$(basename "$p" .sh)
    check "${n}_bash_pipefail" sh -c 'head -1 "$1" | grep -qx "#!/bin/bash" && grep -qx "set -euo pipefail" "$1"' _ "$p"
done

# pipefail: jq failing on a malformed MBPP file in `jq ... | head` stops case 2
# before it builds a model (without pipefail head's status 0 hid it)
mkdir "$TMP/bad data"
printf '%s\n' '{"task_id": 600, "text": "t", "code": "c"}' '{"task_id": 601, "text": ' > "$TMP/bad data/mbpp.jsonl"
if DATA_DIR="$TMP/bad data" OUT="$TMP/c2 out" TRAIN_LIMIT=5 "$FT_ROOT/pipelines/case2-code-generation.sh" \
    > /dev/null 2> "$TMP/err2"; then fail "case2_stops_on_failure_in_pipe (exit 0)"
else check case2_stops_on_failure_in_pipe [ ! -e "$TMP/c2 out/init" ]; fi

# case 4 on two tasks whose CSVs and output lie under paths with spaces, given
# as arguments
[ -r "$SHARED/models/bert-base-chinese/vocab.txt" ] || { skip "case4_paths_with_spaces (no bert-base-chinese)"; exit 0; }
for t in chnsenticorp kuake_qic; do
    [ -r "$SHARED/data/tasks/$t/$t.csv" ] || { skip "case4_paths_with_spaces (no $t)"; exit 0; }
    mkdir -p "$TMP/my data/$t"
    head -121 "$SHARED/data/tasks/$t/$t.csv" > "$TMP/my data/$t/$t rows.csv"
    cp "$SHARED/data/tasks/$t/labels.txt" "$TMP/my data/$t/"
done
OUT="$TMP/case 4" EPOCHS=1 HIDDEN_SIZE=32 NUM_LAYERS=1 MAX_LENGTH=32 THREADS=1 \
    "$FT_ROOT/pipelines/case4-multitask.sh" "$TMP/my data/chnsenticorp/chnsenticorp rows.csv" \
    "$TMP/my data/kuake_qic/kuake_qic rows.csv" > "$TMP/out4" 2> "$TMP/err4"
rc=$?
[ $rc -eq 0 ] || tail -5 "$TMP/err4"
check case4_paths_with_spaces [ $rc -eq 0 ]
check case4_result_per_task jq_true '(.multitask | keys) == ["chnsenticorp", "kuake_qic"] and (.single | length) == 2' "$TMP/out4"
