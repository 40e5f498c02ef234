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
# numeric classes sort as numbers (2 < 10 < 100), not as text; "02" is 2
pd.DataFrame({"id": range(60), "label": [(2, 10, 100, 7.5)[i % 4] for i in range(60)]}).to_csv("num.csv", index=False)
pd.DataFrame({"id": range(60), "label": [(2, 10, 100)[i % 3] for i in range(60)]}).to_csv("int.csv", index=False)
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
    run "strat_float_s${seed}" num.csv 0.3 - $seed 1 label
    run "strat_int_s${seed}" int.csv 0.3 - $seed 1 label
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

# ---- formats: every row once, header and bytes kept, conversions ----
ft-split --seed 3 --train tr.csv --test te.csv n40.csv
check csv_header_kept sh -c 'head -1 tr.csv | cmp -s - "$1" && head -1 te.csv | cmp -s - "$1"' _ "$(head -1 n40.csv > h; echo h)"
check csv_rows_verbatim sh -c '{ tail -n +2 tr.csv; tail -n +2 te.csv; } | sort | cmp -s - "$1"' _ "$(tail -n +2 n40.csv | sort > rows; echo rows)"
printf '\357\273\277id,t\r\n0,"a\r\nb"\r\n\r\n1,x\r\n2,"q""q"\r\n3,last' > crlf.csv
ft-split --no-shuffle --test-size 2 --train tr.csv --test te.csv crlf.csv
check crlf_bom_blank_lastrow sh -c 'printf "\357\273\277id,t\r\n0,\"a\r\nb\"\r\n1,x\r\n" | cmp -s - tr.csv && printf "\357\273\277id,t\r\n2,\"q\"\"q\"\r\n3,last\r\n" | cmp -s - te.csv'
ft-split --seed 5 --train tr.jsonl --test te.ft med.csv
ft-split --seed 5 --train trr.csv --test ter.csv med.csv
check csv_to_jsonl_same_rows sh -c 'ft-cat tr.jsonl | jq -r .id > a; ft-cat trr.csv | jq -r .id > b; cmp -s a b'
check csv_to_stream_same_rows sh -c 'ft-cat te.ft | cmp -s - "$1"' _ "$(ft-cat ter.csv > cv; echo cv)"
ft-cat -o med.ftz med.csv
ft-split --seed 5 --train s.csv --test t.jsonl med.ftz
check zstd_stream_input sh -c 'cmp -s s.csv trr.csv && ft-cat t.jsonl | cmp -s - cv'
ft-split --seed 5 --test-size 0.3 --train s.ftz --test t.ftz med.ftz
check stream_to_stream sh -c '[ "$(ft-cat s.ftz | wc -l)" = 3173 ] && [ "$(ft-cat t.ftz | wc -l)" = 1360 ] && ft-cat s.ftz | head -1 | jq -e .id > /dev/null'
cat med.csv | ft-split --seed 5 --train s.csv --test t.csv
check stdin_csv sh -c 'cmp -s s.csv trr.csv && cmp -s t.csv ter.csv'
zstd -q -c med.csv | ft-split --seed 5 --train s.csv --test t.csv
check stdin_zstd_csv sh -c 'cmp -s s.csv trr.csv && cmp -s t.csv ter.csv'
ft-split --seed 5 --train s.csv --test t.csv < med.ftz
check stdin_stream_to_csv sh -c 'cmp -s s.csv trr.csv && cmp -s t.csv ter.csv'
ft-split --seed 5 --format jsonl --train s.out --test t.out med.csv
check format_flag sh -c 'cmp -s s.out tr.jsonl'
ft-cat --to tsv -o med.tsv med.csv
ft-split --seed 5 --train s.tsv --test t.tsv med.tsv
check tsv_to_tsv sh -c 'ft-cat s.tsv | cmp -s - "$1"' _ "$(ft-cat trr.csv > d; echo d)"
ft-split --seed 5 --stratify label --train s.jsonl --test t.jsonl med.ftz
ft-split --seed 5 --stratify label --train s.csv --test t.csv med.csv
check stratify_stream_input sh -c 'ft-cat s.jsonl | cmp -s - "$1"' _ "$(ft-cat s.csv > e; echo e)"

# ---- bad input: FILE:LINE: message, non-zero exit, no output left behind ----
noout() { [ ! -e o1.csv ] && [ ! -e o2.csv ] && [ -z "$(ls | grep '\.tmp\.')" ]; }
bad() { name=$1 pat=$2; shift 2; expect_fail "$name" "$pat" ft-split --seed 1 --train o1.csv --test o2.csv "$@"
        check "${name}_no_output" noout; }
printf 'a,b\n1,2\n3,"4\n5,6\n' > unt.csv;  bad unterminated_quote 'unt.csv:3: unterminated quoted field' unt.csv
printf 'a,b\n1,2\n3\n' > rag.csv;          bad ragged_row 'rag.csv:3: row has 1 fields, the header has 2' rag.csv
printf 'a,b\n1,2\n"x\ny",\377z\n' > u8.csv; bad invalid_utf8 'u8.csv:3: invalid UTF-8 in column 2' u8.csv
bad missing_stratify_column 'med.csv:1: column "nope" missing' --stratify nope med.csv
bad missing_stratify_field 'med.ftz: record 1: column "nope" missing' --stratify nope med.ftz
printf 'a,b\n1,x\n2,\n3,x\n' > hole.csv;   bad empty_stratify_value 'hole.csv:3: column "b" is empty' --stratify b hole.csv
: > empty.csv;                             bad empty_input 'empty.csv: empty input' empty.csv
printf 'a,b\n' > hdr.csv;                  bad header_only 'hdr.csv: With n_samples=0' hdr.csv
bad stream_as_csv 'med.ftz: expected csv text, got an ft stream' --input-format csv med.ftz
bad csv_as_stream 'med.csv: not an ft stream' --input-format ft med.csv
bad bad_jsonl_late 'bad.jsonl:3: invalid JSON' --train o1.csv "$(printf '{"a":1}\n{"a":2}\n{"a":\n' > bad.jsonl; echo bad.jsonl)"
bad n_one 'With n_samples=1, test_size=0.25 and train_size=None, the resulting train set will be empty' n1.csv
bad seed_range 'seed.*4294967296' --seed 4294967296 med.csv
bad seed_negative 'seed' --seed -1 med.csv
bad size_not_number '"abc" is not a number' --test-size abc med.csv
bad stratify_no_shuffle 'Stratified train/test split is not implemented for shuffle=False' --no-shuffle --stratify label med.csv
expect_fail missing_outputs 'both --train FILE and --test FILE are required' ft-split --train o1.csv med.csv
expect_fail missing_file 'nope.csv: cannot open' ft-split --train o1.csv --test o2.csv nope.csv
# every option --help lists is documented in the man page, and the reverse
sed 's/\\-/-/g' "$FT_ROOT/docs/man/ft-split.1" | grep -o -- '--[a-z][a-z-]*' | sort -u > man.opts
ft-split --help | grep -o -- '--[a-z][a-z-]*' | sort -u > help.opts
check help_matches_man cmp -s man.opts help.opts
printf 'a,b\n1,2\n3\n' | expect_fail stdin_named 'stdin:3: row has 1 fields' ft-split --train o1.csv --test o2.csv

# without --seed: every row exactly once, a different order each run
ft-split --train r1.csv --test r2.csv med.csv
ft-split --train r3.csv --test r4.csv med.csv
check unseeded_all_rows sh -c '[ "$(cat r1.csv r2.csv | sort | uniq -c | grep -vc "^ *1 ")" = 1 ] && [ "$(cat r1.csv r2.csv | wc -l)" = 4535 ]'
check unseeded_differs sh -c '! cmp -s r1.csv r3.csv'
# a stream keeps its header (kind, producer) through the split
check stream_header_kept sh -c 'ft-cat --header s.ftz | head -1 | jq -e ".ft_header.kind == \"records\"" > /dev/null'
expect_fail same_output_twice 'name the same file' ft-split --train o1.csv --test o1.csv med.csv
expect_fail both_stdout 'cannot both be stdout' ft-split --train - --test - med.csv
ft-split --seed 5 --train - --test t.csv med.csv > s.csv
check train_to_stdout sh -c 'cmp -s s.csv trr.csv && cmp -s t.csv ter.csv'
