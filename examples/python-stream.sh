#!/bin/sh
# ft streams and Python: ft-tokenize writes a zstd-compressed token stream,
# a Python script with nothing but msgpack, zstandard and xxhash (Debian's
# python3-msgpack, python3-zstandard, python3-xxhash) reads it, drops the
# duplicate questions and writes a stream of its own, and ft-train trains on
# that.  See ftstream.py for the reader and writer (about 60 lines).
#
# Prints three JSON lines: ftstream.py's statistics of the tokenized stream,
# what dedupe read and wrote, and ft-train's record count for the Python stream.
# Environment: ROWS (2000) of DATA (../shared/data/medical/medical_texts.csv),
# OUT (out/examples/python-stream), THREADS.
. "$(dirname "$0")/common.sh"
ROWS=${ROWS:-2000}
small_bert "$OUT/model" "$shared/models/bert-base-chinese"

# twice the same rows: every question appears two times
{ head -n $((ROWS + 1)) "$DATA"; head -n $((ROWS + 1)) "$DATA" | tail -n +2; } |
    ft-tokenize --model "$OUT/model" --max-length 64 --threads "$THREADS" -o "$OUT/tokens.ftz"
/usr/bin/python3 "$here/ftstream.py" stats "$OUT/tokens.ftz"
/usr/bin/python3 "$here/ftstream.py" dedupe "$OUT/tokens.ftz" "$OUT/unique.ftz"
ft-train --model "$OUT/model" --from-scratch --num-labels 5 --output-dir "$OUT/run" \
    --num-train-epochs 1 --per-device-train-batch-size 16 --learning-rate 1e-3 --save-strategy no \
    --threads "$THREADS" --quiet "$OUT/unique.ftz" 2> "$OUT/train.err" > /dev/null
sed -n 's/^ft-train: \([0-9]*\) examples.*/{"trained_on": \1}/p' "$OUT/train.err"
