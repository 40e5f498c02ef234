#!/bin/bash
# Case 5 — continual learning: one BERT encoder learns a sequence of tasks
# (a classification head per task) and should not forget the earlier ones.
# Four ways to train each later task, compared on the same splits:
#   naive   plain fine-tuning on the new task
#   l2sp    + (λ/2)·Σ(θ−θ0)², θ0 = the weights before this task
#   ewc     + (λ/2)·Σ F·(θ−θ0)², F = diagonal Fisher of the earlier tasks
#           (ft-eval --fisher-out; online EWC accumulates it over tasks)
#   replay  the earlier tasks' training records mixed into each epoch (ratio R)
# The Python it replaces (the seed's ContinualLearningTrainer) added
# 0.01·weight_change computed with .item(): no gradient, no restraint.
#
# λ and R are chosen on a validation split, never on the reported numbers:
# every task's data is split 80/20 into train and test (test is reported);
# train is split again 80/20 into fit and val, the whole sequence is run on
# fit for each candidate and scored on val, and the chosen value is the one
# with the least forgetting among those whose new-task accuracy stays within
# TOLERANCE of naive's (the most accurate if none does).  Then every method
# runs once more on the full train splits and is evaluated on test.
#
# Inputs (environment, with defaults):
#   CSV...   (arguments, or DATA: a blank-separated list; a path with spaces
#            must be an argument)
#   DATA     CSVs with columns text,label, in training order; a task is named
#            after its CSV's directory, its labels are labels.txt beside it
#            ("../shared/data/medical/medical_texts.csv
#              ../shared/data/tasks/chnsenticorp/chnsenticorp.csv")
#   MODEL    a BERT directory to start from; empty: a small BERT from a config
#            (pipelines/small-bert.sh: HIDDEN_SIZE, NUM_LAYERS, ...) trained
#            from scratch with TOKENIZER's vocabulary (../shared/models/bert-base-chinese)
#   ROWS     use at most this many rows of each CSV (0 = all; default 0)
#   OUT (out/case5)  SEED (42)  EPOCHS (3)  MAX_LENGTH (64)  BATCH (16)  LR  THREADS
#   L2SP_GRID ("0.001 0.01 0.1")  EWC_GRID ("1000 10000 100000")
#   REPLAY_GRID ("0.1 0.2 0.3")   TOLERANCE (0.02)
# The last line of stdout is one JSON object mapping each method to
# {forgetting, new_task_accuracy, average_accuracy, backward_transfer, R, choice}:
# R[i][j] = test accuracy on task j after training task i (j <= i);
# average_accuracy = mean_j R[T-1][j]; backward_transfer = mean_{j<T-1}
# (R[T-1][j] - R[j][j]) (Lopez-Paz & Ranzato 2017); forgetting = mean_{j<T-1}
# (max_{l<T-1} R[l][j] - R[T-1][j]) (Chaudhry et al. 2018).
set -euo pipefail
. "$(dirname "$0")/small-bert.sh"
. "$(dirname "$0")/env.sh"

# the CSVs in training order: the arguments, else DATA (split on blanks), else the two below
if [ $# -gt 0 ]; then data=("$@")
elif [ -n "${DATA:-}" ]; then read -r -a data <<< "$DATA"
else data=("$shared/data/medical/medical_texts.csv" "$shared/data/tasks/chnsenticorp/chnsenticorp.csv"); fi
MODEL=${MODEL:-}
TOKENIZER=${TOKENIZER:-$shared/models/bert-base-chinese}
OUT=${OUT:-out/case5}
SEED=${SEED:-42}
EPOCHS=${EPOCHS:-3}
MAX_LENGTH=${MAX_LENGTH:-64}
BATCH=${BATCH:-16}
THREADS=${THREADS:-$(nproc)}
L2SP_GRID=${L2SP_GRID:-"0.001 0.01 0.1"}
EWC_GRID=${EWC_GRID:-"1000 10000 100000"}
REPLAY_GRID=${REPLAY_GRID:-"0.1 0.2 0.3"}
TOLERANCE=${TOLERANCE:-0.02}
ROWS=${ROWS:-0}
mkdir -p "$OUT"

if [ -z "$MODEL" ]; then
    MODEL=$OUT/init
    small_bert "$MODEL" "$TOKENIZER"
    scratch=--from-scratch
    LR=${LR:-1e-3}
else
    scratch=
    LR=${LR:-5e-5}
fi

# ---- data: per task train/test, and train split again into fit/val ----
tasks=()
for csv in "${data[@]}"; do
    t=$(basename "$(dirname "$csv")")
    labels=$(dirname "$csv")/labels.txt
    [ -r "$csv" ] && [ -r "$labels" ] || { echo "case5: $csv or $labels: not readable" >&2; exit 1; }
    for u in "${tasks[@]}"; do
        [ "$u" != "$t" ] || { echo "case5: task $t twice in the CSVs" >&2; exit 1; }
    done
    tasks+=("$t")
    cp "$labels" "$OUT/$t.labels"
    if [ "$ROWS" -gt 0 ]; then
        ft-split --train-size "$ROWS" --seed "$SEED" --train "$OUT/$t.rows.csv" --test "$OUT/$t.rest.csv" "$csv"
        csv=$OUT/$t.rows.csv
    fi
    ft-split --test-size 0.2 --seed "$SEED" --train "$OUT/$t.train.csv" --test "$OUT/$t.test.csv" "$csv"
    ft-split --test-size 0.2 --seed "$SEED" --train "$OUT/$t.fit.csv" --test "$OUT/$t.val.csv" "$OUT/$t.train.csv"
    for part in train test fit val; do
        ft-tokenize --model "$MODEL" --max-length "$MAX_LENGTH" --task "$t" -o "$OUT/$t.$part.tok" "$OUT/$t.$part.csv"
    done
done
T=${#tasks[@]}

common=(--per-device-train-batch-size "$BATCH" --per-device-eval-batch-size "$BATCH" --learning-rate "$LR"
        --warmup-ratio 0.06 --weight-decay 0.01 --num-train-epochs "$EPOCHS" --save-strategy no
        --logging-steps 50 --seed "$SEED" --threads "$THREADS" --quiet)

# evaluate DIR PART STAGE → $DIR.R: one line "i j accuracy" per task seen so far
evaluate() {
    _j=0
    for _t in "${tasks[@]}"; do
        [ $_j -le "$3" ] || break
        ft-eval --model "$1" --threads "$THREADS" --per-device-eval-batch-size "$BATCH" \
            -o "$1.$_t.json" "$OUT/$_t.$2.tok"
        echo "$3 $_j $(jq ".eval_${_t}_accuracy // .eval_accuracy" "$1.$_t.json")" >> "$4"
        _j=$((_j + 1))
    done
}

# run_sequence PART(fit|train) EVALPART(val|test) METHOD VALUE → $OUT/PART/METHOD-VALUE.R
# The first task is trained once per PART and shared by all methods.
run_sequence() {
    part=$1 ev=$2 method=$3 value=$4
    dir=$OUT/$part
    mkdir -p "$dir"
    set -- "${tasks[@]}"
    if [ ! -f "$dir/task0/model.safetensors" ]; then
        ft-train --model "$MODEL" $scratch "${common[@]}" --task-labels "$1=$(grep -c . "$OUT/$1.labels"):$OUT/$1.labels" \
            --output-dir "$dir/task0" "$OUT/$1.$part.tok" > "$dir/task0.log"
        : > "$dir/task0.R"
        evaluate "$dir/task0" "$ev" 0 "$dir/task0.R"
    fi
    run=$dir/$method-$value
    cp "$dir/task0.R" "$run.R"
    prev=$dir/task0 prev_data=$OUT/$1.$part.tok fisher= seen=("$prev_data")
    i=1
    shift
    for t in "$@"; do
        extra=()
        case $method in
        l2sp) extra=(--l2sp "$value") ;;
        ewc)
            # the Fisher of every earlier task, accumulated (online EWC, gamma 1)
            ft-eval --model "$prev" --threads "$THREADS" --fisher-out "$run.fisher$i" \
                ${fisher:+--fisher-in "$fisher"} "$prev_data" > /dev/null
            fisher=$run.fisher$i
            extra=(--ewc "$value" --fisher "$fisher") ;;
        replay)
            cat "${seen[@]}" > "$run.replay$i.tok"
            extra=(--replay "$run.replay$i.tok" --replay-ratio "$value") ;;
        esac
        ft-train --model "$prev" "${common[@]}" "${extra[@]}" --task-labels "$t=$(grep -c . "$OUT/$t.labels"):$OUT/$t.labels" \
            --output-dir "$run.task$i" "$OUT/$t.$part.tok" > "$run.task$i.log"
        evaluate "$run.task$i" "$ev" "$i" "$run.R"
        prev=$run.task$i prev_data=$OUT/$t.$part.tok
        seen+=("$prev_data")
        i=$((i + 1))
    done
}

# metrics R-FILE → {R, average_accuracy, backward_transfer, forgetting, new_task_accuracy}
metrics() {
    jq -sR --argjson T "$T" '
        [split("\n")[] | select(length > 0) | split(" ") | map(tonumber)] as $rows
        | [range(0; $T) as $i | [range(0; $i + 1) as $j | ($rows[] | select(.[0] == $i and .[1] == $j) | .[2])]] as $R
        | ($T - 1) as $L
        | {R: $R,
           average_accuracy: ([range(0; $T) as $j | $R[$L][$j]] | add / length),
           backward_transfer: (if $T > 1 then [range(0; $L) as $j | $R[$L][$j] - $R[$j][$j]] | add / length else 0 end),
           forgetting: (if $T > 1 then [range(0; $L) as $j | ([range($j; $L) as $l | $R[$l][$j]] | max) - $R[$L][$j]] | add / length else 0 end),
           new_task_accuracy: $R[$L][$L]}' "$1"
}

# ---- choose each method's λ (or ratio) on the validation split ----
run_sequence fit val naive 0
naive_val=$(metrics "$OUT/fit/naive-0.R")
choices='{"naive": 0}'
for method in l2sp ewc replay; do
    case $method in l2sp) grid=$L2SP_GRID ;; ewc) grid=$EWC_GRID ;; replay) grid=$REPLAY_GRID ;; esac
    scores='[]'
    for v in $grid; do
        run_sequence fit val "$method" "$v"
        scores=$(metrics "$OUT/fit/$method-$v.R" | jq -c --argjson s "$scores" --arg v "$v" '$s + [. + {value: ($v | tonumber)}]')
        echo "case5: validation $method $v: $(echo "$scores" | jq -c '.[-1] | {forgetting, new_task_accuracy, average_accuracy}')" >&2
    done
    pick=$(echo "$scores" | jq --argjson n "$naive_val" --argjson tol "$TOLERANCE" '
        (map(select(.new_task_accuracy >= $n.new_task_accuracy - $tol)) | sort_by(.forgetting, -.average_accuracy) | .[0])
        // (sort_by(-.new_task_accuracy) | .[0]) | .value')
    choices=$(echo "$choices" | jq -c --arg m "$method" --argjson v "$pick" '. + {($m): $v}')
done
echo "$choices" > "$OUT/choices.json"
echo "case5: chosen on validation: $choices" >&2

# ---- the reported run: full train splits, test sets ----
result='{}'
for method in naive l2sp ewc replay; do
    v=$(jq -r --arg m "$method" '.[$m]' "$OUT/choices.json")
    run_sequence train test "$method" "$v"
    result=$(metrics "$OUT/train/$method-$v.R" | jq -c --argjson r "$result" --arg m "$method" --argjson v "$v" \
        '$r + {($m): (. + {choice: $v})}')
done
echo "$result" | jq . > "$OUT/results.json"
echo "case5: tasks ${tasks[*]}; results in $OUT/results.json, models in $OUT/train/" >&2
echo "$result"
