# tests/run itself: a skipped test counts as skipped, never as passed, and the
# closing line reads "N passed, N failed, N skipped".
. "$FT_ROOT/tests/lib.sh"
mkdir -p "$TMP/r/tests/sh" "$TMP/r/tests/ref"
cp "$FT_ROOT/tests/run" "$FT_ROOT/tests/lib.sh" "$TMP/r/tests/"
printf 'echo "ok a"\necho "skip b (no data)"\n' > "$TMP/r/tests/sh/one.sh"
printf 'echo "skip c (no data)"\n' > "$TMP/r/tests/sh/two.sh"
FT_BUILD=none sh "$TMP/r/tests/run" > "$TMP/out" 2>&1
rc=$?
check runner_counts_skips [ "$(tail -1 "$TMP/out")" = "1 passed, 0 failed, 2 skipped" ]
check runner_skips_are_not_failures [ $rc = 0 ]
printf 'echo "FAIL d"\n' > "$TMP/r/tests/sh/three.sh"
FT_BUILD=none sh "$TMP/r/tests/run" > "$TMP/out" 2>&1
rc=$?
check runner_counts_failures sh -c '[ "$(tail -1 "$1")" = "1 passed, 1 failed, 2 skipped" ] && [ $2 != 0 ]' _ "$TMP/out" $rc
# case2 without its data says skip, not ok
FT_SHARED=$TMP/none sh "$FT_ROOT/tests/sh/case2.sh" > "$TMP/c2" 2>&1
check case2_missing_data_is_a_skip sh -c 'grep -q "^skip case2" "$1" && ! grep -q "^ok" "$1"' _ "$TMP/c2"
