#!/bin/bash
# The README's first command: case 1 end to end on data that a Debian package
# installs.  fortunes-zh holds Tang poems (tang300), Song ci (song100) and
# Chinese sayings (chinese); the task is to tell which collection a text comes
# from.  The sayings are thinned to every 12th entry so the classes are of
# similar size.  The model is a small BERT made from a config with the real
# bert-base-chinese vocabulary (../shared/models), pretrained as a masked LM
# on the training texts and then fine-tuned.
set -euo pipefail
. "$(dirname "$0")/env.sh"    # here, root, PATH with the checkout's bin/
fortunes=${FORTUNES:-/usr/share/games/fortunes}
OUT=${OUT:-out/demo}
for f in tang300 song100 chinese; do
    [ -r "$fortunes/$f" ] || { echo "demo: $fortunes/$f missing: install fortunes-zh (make deps)" >&2; exit 1; }
done
mkdir -p "$OUT"
printf 'tang_poem\nsong_ci\nsaying\n' > "$OUT/labels.txt"

# One CSV row per fortune: colour escapes dropped, lines joined by spaces.
to_csv() {   # FILE LABEL KEEP_EVERY
    awk -v label="$2" -v every="$3" '
        BEGIN { RS = "\n%\n"; n = 0 }
        {
            gsub(/\033\[[0-9;]*m/, "")
            gsub(/[ \t]*\n[ \t]*/, " ")
            gsub(/^ +| +$/, "")
            if ($0 == "") next
            if (n++ % every) next
            gsub(/"/, "\"\"")
            printf "\"%s\",%d\n", $0, label
        }' "$1"
}
{
    echo "text,label"
    to_csv "$fortunes/tang300" 0 1
    to_csv "$fortunes/song100" 1 1
    to_csv "$fortunes/chinese" 2 12
} > "$OUT/fortunes.csv"
echo "demo: $(($(wc -l < "$OUT/fortunes.csv") - 1)) texts from fortunes-zh in $OUT/fortunes.csv" >&2

DATA=$OUT/fortunes.csv LABELS=$OUT/labels.txt OUT=$OUT \
    "$here/case1-text-classification.sh"

# The curves to look at, next to the model: training loss, eval loss and
# accuracy per epoch (ft-plot draws train_log.jsonl with gnuplot).
ft-plot -o "$OUT/curves.png" -o "$OUT/curves.svg" -m loss -m eval_loss -m eval_accuracy \
    --title "demo: case 1 on fortunes-zh" "fine-tune=$OUT/model"
echo "demo: curves in $OUT/curves.png and $OUT/curves.svg" >&2
