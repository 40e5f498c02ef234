#!/bin/sh
# make as a cache of tokenized shards (shards.mk): the first run tokenizes
# every shard, a second run tokenizes nothing, a changed input re-tokenizes
# its own shard only, and a changed tokenizer file all of them.  make -j runs
# the shards in parallel.
#
# Prints one line per run: what it was and which shards ft-tokenize (re)wrote.
# Environment: ROWS (4000) of DATA (../shared/data/medical/medical_texts.csv),
# SHARDS (4), JOBS (nproc), OUT (out/examples/make-cache).
. "$(dirname "$0")/common.sh"
ROWS=${ROWS:-4000} SHARDS=${SHARDS:-4} JOBS=${JOBS:-$(nproc)}
rm -rf "$OUT" && mkdir -p "$OUT/data"
small_bert "$OUT/model" "$shared/models/bert-base-chinese"
# CSV shards, each with the header line
head -n $((ROWS + 1)) "$DATA" | tail -n +2 > "$OUT/rows.csv"
split -n l/"$SHARDS" -d "$OUT/rows.csv" "$OUT/data/part-"
for f in "$OUT"/data/part-*; do { head -n 1 "$DATA"; cat "$f"; } > "$f.csv" && rm "$f"; done

run() {  # run LABEL: make, then list the ft-tokenize commands it ran
    made=$(make -s -j "$JOBS" -f "$here/shards.mk" MODEL="$OUT/model" DATA="$OUT/data" SHARDS="$OUT/shards" \
             --no-print-directory -n | sed -n 's/.* -o \([^ ]*\) .*/\1/p' | xargs -r -n1 basename | sort | tr '\n' ' ' | sed 's/ $//')
    make -s -j "$JOBS" -f "$here/shards.mk" MODEL="$OUT/model" DATA="$OUT/data" SHARDS="$OUT/shards"
    echo "$1: ${made:-nothing}"
}
run "first run"
run "second run"
sleep 1; touch "$OUT/data/part-01.csv"
run "part-01.csv changed"
sleep 1; touch "$OUT/model/vocab.txt"
run "tokenizer changed"
