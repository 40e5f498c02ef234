# make install: a staged install (DESTDIR) lays out tools, man pages, bash
# completions, libft (static and shared), its public headers and ft.pc for the
# final PREFIX; a real install into a temp prefix lets examples/libft.sh build
# a program against it with pkg-config, linked shared and static, and that
# program counts the same tokens as ft-tokenize.
. "$FT_ROOT/tests/lib.sh"
mk() { make -s -C "$FT_ROOT" "$@" > "$TMP/make.log" 2>&1 || { tail -5 "$TMP/make.log"; return 1; }; }
check install_staged mk install PREFIX=/usr DESTDIR="$TMP/stage"
s=$TMP/stage/usr
check staged_tools sh -c '[ -x "$1/bin/ft-train" ] && [ -s "$1/share/man/man1/ft-train.1" ] &&
    [ -s "$1/share/bash-completion/completions/ft-train" ]' _ "$s"
check staged_libs sh -c '[ -s "$1/lib/libft.a" ] && [ -s "$1/lib/libft.so.0.1.0" ] &&
    [ "$(readlink "$1/lib/libft.so")" = libft.so.0 ] && [ "$(readlink "$1/lib/libft.so.0")" = libft.so.0.1.0 ]' _ "$s"
check staged_soname sh -c 'objdump -p "$1/lib/libft.so.0.1.0" | grep -q "SONAME *libft.so.0$"' _ "$s"
check staged_headers sh -c '[ -s "$1/include/ft/stream.h" ] && [ -s "$1/include/ft/tokenizer.h" ]' _ "$s"
check staged_pc_final_prefix grep -qx 'prefix=/usr' "$s/lib/pkgconfig/ft.pc"

p=$TMP/usr
check install_prefix mk install-lib PREFIX="$p"
export PKG_CONFIG_PATH=$p/lib/pkgconfig
check pkg_config_finds_ft sh -c '[ "$(pkg-config --modversion ft)" = 0.1.0 ] &&
    [ "$(echo $(pkg-config --cflags ft))" = "-I$1/include" ]' _ "$p"
# every public header compiles on its own (its includes are installed too)
for h in "$p"/include/ft/*.h; do
    check "header_alone_$(basename "$h")" sh -c 'echo "#include <ft/$1>" |
        cc -fsyntax-only -x c - $(pkg-config --cflags ft)' _ "$(basename "$h")"
done

# the example, linked against libft.so
head -n 301 "$SHARED/data/medical/medical_texts.csv" > "$TMP/q.csv"
model=$SHARED/models/bert-base-chinese
want=$(ft-tokenize --model "$model" --truncation none "$TMP/q.csv" | ft-cat | jq -s -c '{records: length,
    tokens: (map(.input_ids | length) | add), longest: (map(.input_ids | length) | max)}')
LD_LIBRARY_PATH=$p/lib DATA=$TMP/q.csv MODEL=$model OUT=$TMP/ex "$FT_ROOT/examples/libft.sh" > "$TMP/shared.json"
echo "  count-tokens: $(cat "$TMP/shared.json")"
check example_shared_counts sh -c '[ "$(jq -c "{records, tokens, longest}" "$1")" = "$2" ]' _ "$TMP/shared.json" "$want"
check example_uses_libft_so sh -c 'LD_LIBRARY_PATH="$1/lib" ldd "$2" | grep -q "libft.so.0 => $1/lib/libft.so.0"' _ "$p" "$TMP/ex/count-tokens"
expect_fail example_reports_bad_input 'count-tokens: .*no text column' \
    env LD_LIBRARY_PATH="$p/lib" "$TMP/ex/count-tokens" "$model" "$SHARED/data/medical/labels.txt"

# and against libft.a: no libft at run time
cc -o "$TMP/static" "$FT_ROOT/examples/libft/count-tokens.c" $(pkg-config --cflags ft) \
    $(pkg-config --static --libs ft | sed 's/-lft /-l:libft.a /') 2> "$TMP/cc.err" || cat "$TMP/cc.err"
check example_static_no_libft_so sh -c '[ -x "$1" ] && ! ldd "$1" | grep -q libft' _ "$TMP/static"
check example_static_counts sh -c '[ "$("$1" "$2" "$3" | jq -c "{records, tokens, longest}")" = "$4" ]' _ \
    "$TMP/static" "$model" "$TMP/q.csv" "$want"
