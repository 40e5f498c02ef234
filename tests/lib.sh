# Shared helpers for shell tests: source it, then call ok/fail/skip/expect_fail.
set -u
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
SHARED=${FT_SHARED:-$FT_ROOT/../shared}
# the reference tools are Debian packages for the system interpreter
PY=/usr/bin/python3
ok()   { echo "ok $1"; }
fail() { echo "FAIL $1"; }
# skip NAME (why): the test could not run here (its data is missing); tests/run
# counts it as skipped, never as passed
skip() { echo "skip $1"; }
check() { local _n=$1; shift; if "$@"; then ok "$_n"; else fail "$_n"; fi; }
# jq_true FILTER FILE: the filter holds for FILE (quietly, for check)
jq_true() { jq -e "$@" > /dev/null; }
# expect_fail NAME PATTERN CMD...: CMD must exit non-zero with PATTERN on stderr.
expect_fail() {
    local name=$1 pat=$2; shift 2
    if "$@" > "$TMP/out" 2> "$TMP/err"; then fail "$name (exit 0)"; return; fi
    if grep -q -- "$pat" "$TMP/err"; then ok "$name"
    else echo "  stderr: $(cat "$TMP/err")"; fail "$name"; fi
}
