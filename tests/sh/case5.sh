# Case 5 end to end on a few hundred real rows and a tiny BERT: every method
# runs the task sequence, the choice of λ comes from the validation split, and
# the last line maps each method to its R matrix and summary numbers.
. "$FT_ROOT/tests/lib.sh"
ROWS=200 EPOCHS=1 HIDDEN_SIZE=32 THREADS=1 L2SP_GRID="0.01 1" EWC_GRID=1000 REPLAY_GRID=0.3 OUT=$TMP/c5 \
    "$FT_ROOT/pipelines/case5-continual.sh" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
check case5_runs [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -5 "$TMP/err.txt"
tail -1 "$TMP/out.txt" > "$TMP/r.json"
check case5_methods sh -c '[ "$(jq -c "keys" "$1")" = "[\"ewc\",\"l2sp\",\"naive\",\"replay\"]" ]' _ "$TMP/r.json"
check case5_summary_fields sh -c 'jq -e "[.[] | (.forgetting, .new_task_accuracy, .average_accuracy, .backward_transfer) | numbers] | length == 16" "$1" > /dev/null' _ "$TMP/r.json"
# R is lower-triangular over the two tasks; the summaries follow from it
check case5_metrics_from_R $PY - "$TMP/r.json" <<'P'
import json, sys
for m, r in json.load(open(sys.argv[1])).items():
    R = r['R']
    assert [len(x) for x in R] == [1, 2], R
    assert abs(r['average_accuracy'] - (R[1][0] + R[1][1]) / 2) < 1e-9
    assert abs(r['backward_transfer'] - (R[1][0] - R[0][0])) < 1e-9
    assert abs(r['forgetting'] - (R[0][0] - R[1][0])) < 1e-9
    assert r['new_task_accuracy'] == R[1][1]
P
check case5_choice_from_grid sh -c 'jq -e ".l2sp.choice == 0.01 or .l2sp.choice == 1" "$1" > /dev/null' _ "$TMP/r.json"
check case5_validation_logged grep -q 'case5: validation l2sp 1:' "$TMP/err.txt"
check case5_fisher_online [ -s "$TMP/c5/train/ewc-1000.fisher1" ]
expect_fail case5_missing_data 'nope.csv or' env DATA=/nope/nope.csv OUT=$TMP/x "$FT_ROOT/pipelines/case5-continual.sh"
