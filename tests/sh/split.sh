# ft-split against scikit-learn's train_test_split: same rows, same order.
. "$FT_ROOT/tests/lib.sh"
MED=$SHARED/data/medical/medical_texts.csv
PY=/usr/bin/python3          # Debian's, with numpy, pandas and sklearn
cd "$TMP"

# Data: the medical set with an id column, and small sets of 1, 2, 3, 10 rows.
$PY - "$MED" <<'P'
import sys, pandas as pd
d = pd.read_csv(sys.argv[1]); d.insert(0, "id", range(len(d))); d.to_csv("med.csv", index=False)
for n in (1, 2, 3, 10, 40):
    pd.DataFrame({"id": range(n), "text": [f'row "{i}",\nline two' for i in range(n)],
                  "label": [("b", "a", "c")[i % 3] for i in range(n)]}).to_csv(f"n{n}.csv", index=False)
P

# run NAME DATA TEST_SIZE TRAIN_SIZE SEED SHUFFLE STRATIFY: ft-split now, sklearn later.
run() {
    name=$1 data=$2 te=$3 tr=$4 seed=$5 sh=$6 st=$7
    mkdir -p "c/$name"
    set --
    [ "$te" != - ] && set -- "$@" --test-size "$te"
    [ "$tr" != - ] && set -- "$@" --train-size "$tr"
    [ "$seed" != - ] && set -- "$@" --seed "$seed"
    [ "$sh" = 0 ] && set -- "$@" --no-shuffle
    [ "$st" != - ] && set -- "$@" --stratify "$st"
    ft-split "$@" --train "c/$name/train.csv" --test "c/$name/test.csv" "$data" 2> "c/$name/err" ||
        [ -s "c/$name/err" ] || echo "failed without a message" > "c/$name/err"
    [ -s "c/$name/err" ] || rm -f "c/$name/err"
    echo "$name $data c/$name $te $tr $seed $sh $st" >> cases
}
: > cases
for seed in 0 1 42 12345 4294967295; do
    for n in 1 2 3 10 40; do
        run "exact_n${n}_s${seed}" n$n.csv - - $seed 1 -
        run "exact_n${n}_s${seed}_t1" n$n.csv 1 - $seed 1 -
        run "exact_n${n}_s${seed}_f33" n$n.csv 0.33 - $seed 1 -
    done
    run "exact_med_s${seed}" med.csv - - $seed 1 -
    run "exact_med_s${seed}_f1" med.csv 0.1 - $seed 1 -
    run "exact_med_s${seed}_c500" med.csv 500 - $seed 1 -
    run "exact_med_s${seed}_train07" med.csv - 0.7 $seed 1 -
    run "exact_med_s${seed}_both" med.csv 0.2 0.5 $seed 1 -
    run "exact_med_s${seed}_bothcount" med.csv 100 1000 $seed 1 -
    run "strat_med_s${seed}" med.csv - - $seed 1 label
    run "strat_med_s${seed}_f33" med.csv 0.33 0.5 $seed 1 label
    run "strat_n40_s${seed}" n40.csv 0.5 - $seed 1 label
    run "strat_n10_s${seed}_text" n10.csv 0.4 - $seed 1 label
done
run noshuffle_med med.csv 0.2 - - 0 -
run noshuffle_both med.csv 100 200 - 0 -
run noshuffle_n10 n10.csv 0.3 0.5 - 0 -
# invalid sizes: sklearn's own messages
run bad_test_zero med.csv 0 - 1 1 -
run bad_test_frac med.csv 1.5 - 1 1 -
run bad_test_neg med.csv -0.2 - 1 1 -
run bad_test_one med.csv 1.0 - 1 1 -
run bad_test_count med.csv 4533 - 1 1 -
run bad_train_neg med.csv - -3 1 1 -
run bad_sum_frac med.csv 0.6 0.6 1 1 -
run bad_sum_count med.csv 3000 2000 1 1 -
run bad_strat_few n3.csv 0.5 - 1 1 label
run bad_strat_test n10.csv 2 - 1 1 label
$PY "$FT_ROOT/tests/ref/split_ref.py" cases
