# Bash completion (build/completion/ft-*, from scripts/gen-completion): each
# tool's completion offers exactly the long flags of its option table in
# tools/*.c, all of them named in its --help, and completes a flag's value as
# the help describes it (FILE files, DIR directories, a|b words).
. "$FT_ROOT/tests/lib.sh"
comp=$FT_ROOT/${FT_BUILD:-build}/completion
# complete FILE WORD...: the completions bash offers for the last WORD
complete_words() {
    local file=$1; shift
    (cd "$TMP/files" && bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        f=$(complete -p "$1" | sed "s/.* -F \([^ ]*\) .*/\1/"); "$f"; printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$file" "$@")
}
mkdir -p "$TMP/files/models/bert" && : > "$TMP/files/train.csv" && : > "$TMP/files/models.txt"
for src in "$FT_ROOT"/tools/ft-*.c; do
    name=$(basename "$src" .c)
    if [ ! -s "$comp/$name" ]; then fail "${name}_completion (missing $comp/$name)"; continue; fi
    check "${name}_completion_parses" bash -n "$comp/$name"
    # the option table: {"name", has_arg or FT_OPT_KIND, ...} entries (getopt or lib/common/opts.h)
    grep -oE '\{"[a-z][a-z0-9-]*", *[0-9A-Za-z_]+,' "$src" | sed -E 's/\{"([^"]*)".*/--\1/' | sort -u > "$TMP/table"
    complete_words "$comp/$name" "$name" -- > "$TMP/offered"
    if cmp -s "$TMP/table" "$TMP/offered"; then ok "${name}_completion_is_getopt_table"
    else echo "  table vs completion: $(diff "$TMP/table" "$TMP/offered" | grep '^[<>]' | tr '\n' ' ')"; fail "${name}_completion_is_getopt_table"; fi
    "$name" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$TMP/help"
    check "${name}_completion_flags_in_help" sh -c '[ -z "$(comm -23 "$1" "$2")" ]' _ "$TMP/offered" "$TMP/help"
done
check complete_prefix sh -c '[ "$(echo $1)" = "--to --to-stream" ]' _ "$(complete_words "$comp/ft-cat" ft-cat --to)"
check complete_output_file sh -c '[ "$1" = "train.csv" ]' _ "$(complete_words "$comp/ft-cat" ft-cat -o tr)"
check complete_model_dir sh -c '[ "$1" = "models" ]' _ "$(complete_words "$comp/ft-train" ft-train --model mo)"
check complete_choices sh -c '[ "$(echo $1)" = "constant constant_with_warmup cosine linear" ]' _ \
    "$(complete_words "$comp/ft-train" ft-train --lr-scheduler-type '')"
check complete_number_nothing sh -c '[ -z "$1" ]' _ "$(complete_words "$comp/ft-train" ft-train --seed '')"
check complete_positional_file sh -c '[ "$1" = "train.csv" ]' _ "$(complete_words "$comp/ft-train" ft-train --quiet tr)"
