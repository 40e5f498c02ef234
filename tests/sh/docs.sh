# Every tool answers --help, has a man page, and the two list the same long options.
. "$FT_ROOT/tests/lib.sh"
for tool in "$FT_ROOT"/bin/ft-*; do
    name=$(basename "$tool")
    check "${name}_help" sh -c '"$1" --help > /dev/null' _ "$tool"
    man=$FT_ROOT/docs/man/$name.1
    if [ ! -f "$man" ]; then fail "${name}_man_page (missing $man)"; continue; fi
    check "${name}_man_renders" sh -c 'man -l "$1" > /dev/null 2>&1 || groff -man -Tutf8 "$1" > /dev/null' _ "$man"
    "$tool" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$TMP/help"
    sed 's/\\-/-/g' "$man" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$TMP/man"
    if cmp -s "$TMP/help" "$TMP/man"; then ok "${name}_help_matches_man"
    else echo "  help vs man: $(diff "$TMP/help" "$TMP/man" | grep '^[<>]' | tr '\n' ' ')"; fail "${name}_help_matches_man"; fi
done
