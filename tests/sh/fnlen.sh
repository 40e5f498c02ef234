# scripts/check-fnlen (run by make on lib/ and tools/): no function over 120 lines (signature
# to closing brace); one of 121 lines is caught whatever its signature's shape,
# one of 120 is not.
. "$FT_ROOT/tests/lib.sh"
CHK=$FT_ROOT/scripts/check-fnlen
# fn FILE NAME LINES SIGNATURE...: a function of LINES lines in all
fn() {
    f=$1 name=$2 n=$3; shift 3
    for s in "$@"; do printf '%s\n' "$s"; done > "$f"
    printf '{\n' >> "$f"
    i=$(( $# + 2 ))
    while [ $i -lt "$n" ]; do printf '    x++; /* { */ { "}" ; }\n' >> "$f"; i=$((i + 1)); done
    printf '}\n' >> "$f"
}
mkdir -p "$TMP/d"
fn "$TMP/d/a.c" long 121 'static int long(int a,' '                int b)'
fn "$TMP/d/b.c" fits 120 'int fits(void)'
fn "$TMP/d/c.h" inl 121 '__attribute__((unused))' 'static inline void inl(void)'
"$CHK" "$TMP/d" > "$TMP/out" 2>&1
st=$?
check fnlen_121_fails sh -c '[ $1 != 0 ] && grep -qx ".*/d/a.c:long:121" "$2"' _ $st "$TMP/out"
check fnlen_inline_in_header_counted sh -c 'grep -qx ".*/d/c.h:inl:121" "$1"' _ "$TMP/out"
check fnlen_120_passes sh -c '! grep -q "fits" "$1"' _ "$TMP/out"
rm "$TMP/d/a.c" "$TMP/d/c.h"
check fnlen_clean_dir_passes "$CHK" "$TMP/d"
