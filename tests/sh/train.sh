# ft-batch, ft-train, ft-eval on a tiny BERT and synthetic token records whose
# label shows in their tokens: training must learn it, resume must be exact.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
tiny_bert_task
printf 'red\ngreen\nblue\n' > labels.txt
COMMON="--model . --from-scratch --num-labels 3 --per-device-train-batch-size 16 --learning-rate 1e-3 --quiet"

# ft-batch: header states steps; shuffling is reproducible and differs per epoch
ft-batch -b 16 --epochs 2 --shuffle --seed 7 -o b1.ft train.jsonl
ft-batch -b 16 --epochs 2 --shuffle --seed 7 -o b2.ft train.jsonl
check batch_header_steps sh -c '[ "$(ft-cat --header b1.ft | head -1 | jq .ft_header.total_steps)" = 38 ]'
check batch_reproducible sh -c "ft-cat b1.ft | cmp -s - \"\$0\"" "$(ft-cat b2.ft > b2.jsonl; echo b2.jsonl)"
check batch_epochs_differ sh -c '[ "$(ft-cat b1.ft | jq -c .id | sed -n 1p)" != "$(ft-cat b1.ft | jq -c .id | sed -n 20p)" ]'
check batch_padding_longest sh -c 'ft-cat b1.ft | jq -e "(.input_ids[0]|length) == (.attention_mask[0]|length)" > /dev/null'
ft-batch -b 4 --padding max_length --max-length 24 train.jsonl | ft-cat | head -1 > pm.json
check batch_padding_max_length sh -c '[ "$(jq ".input_ids[0]|length" pm.json)" = 24 ]'
expect_fail batch_too_long 'more than --max-length 8' ft-batch --padding max_length --max-length 8 -o x.ft train.jsonl
check batch_no_output_on_error [ ! -e x.ft ]

# training learns: loss falls, accuracy beats chance clearly
ft-train $COMMON --labels labels.txt --output-dir run --num-train-epochs 20 --warmup-ratio 0.1 \
  --weight-decay 0.01 --eval-data val.jsonl --eval-strategy epoch --save-strategy epoch \
  --save-total-limit 2 --load-best-model-at-end --metric-for-best-model accuracy \
  --logging-steps 19 train.jsonl > log.jsonl 2> err.txt
first=$(jq -r 'select(.loss) | .loss' log.jsonl | head -1)
last=$(jq -r 'select(.loss) | .loss' log.jsonl | tail -1)
check loss_falls $PY -c "import sys; sys.exit(not ($last < 0.6 * $first))"
best=$(jq -r 'select(.eval_accuracy) | .eval_accuracy' log.jsonl | sort -g | tail -1)
check accuracy_beats_chance $PY -c "import sys; sys.exit(not ($best > 0.6))"
check hf_layout sh -c '[ -s run/config.json ] && [ -s run/model.safetensors ] && [ -s run/trainer_state.json ]'
check id2label_written sh -c '[ "$(jq -r ".id2label[\"2\"]" run/config.json)" = blue ]'
check save_total_limit sh -c '[ "$(ls -d run/checkpoint-* | wc -l)" -le 3 ]'
bestck=$(jq -r .best_model_checkpoint run/trainer_state.json)
check best_checkpoint_kept [ -d "$bestck" ]
ft-eval --model run val.jsonl > m.json
check best_model_loaded $PY -c "
import json; m = json.load(open('m.json')); s = json.load(open('run/trainer_state.json'))
import sys; sys.exit(not abs(m['eval_accuracy'] - s['best_metric']) < 1e-6)"

# metrics equal sklearn's on the predictions ft-eval writes
ft-eval --model run --predictions p.jsonl val.jsonl > m2.json
check metrics_match_sklearn $PY -c "
import json, sys
from sklearn.metrics import accuracy_score, f1_score, precision_score, confusion_matrix
p = [json.loads(l) for l in open('p.jsonl')]
y = [r['label'] for r in p]; q = [r['prediction'] for r in p]
m = json.load(open('m2.json'))
ok = abs(m['eval_accuracy'] - accuracy_score(y, q)) < 1e-6
ok &= abs(m['eval_f1_macro'] - f1_score(y, q, average='macro', zero_division=0)) < 1e-6
ok &= abs(m['eval_f1_weighted'] - f1_score(y, q, average='weighted', zero_division=0)) < 1e-6
ok &= abs(m['eval_precision_macro'] - precision_score(y, q, average='macro', zero_division=0)) < 1e-6
ok &= m['eval_confusion_matrix'] == confusion_matrix(y, q, labels=[0,1,2]).tolist()
ok &= p[0]['predicted_label'] in ('red', 'green', 'blue')
sys.exit(not ok)"

# ft-train takes ft-batch's batches as they are: same result as batching itself? no (own
# order), but it must learn from them and take epochs and steps from the header
ft-batch -b 16 --epochs 12 --shuffle train.jsonl | ft-train $COMMON --output-dir fromb --save-strategy no > fromb.log 2>&1
check train_from_batches_steps sh -c 'grep -q "228 optimisation steps" fromb.log'
check train_from_batches_learns $PY -c "
import json, subprocess, sys
m = json.loads(subprocess.check_output(['ft-eval', '--model', 'fromb', 'val.jsonl']))
sys.exit(not m['eval_accuracy'] > 0.6)"

# resume from a checkpoint gives the same final weights, bit for bit
R="$COMMON --num-train-epochs 4 --warmup-steps 5 --weight-decay 0.01 --save-strategy epoch --gradient-accumulation-steps 2"
ft-train $R --output-dir r1 train.jsonl > /dev/null 2>&1
mkdir r2 && cp -r r1/checkpoint-20 r2/
ft-train $R --output-dir r2 --resume-from-checkpoint r2/checkpoint-20 train.jsonl > /dev/null 2>&1
check resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors

# SIGTERM saves a checkpoint and exits; resuming from it finishes the run
ft-train $COMMON --num-train-epochs 200 --save-strategy no --output-dir sig train.jsonl > /dev/null 2> sig.err &
pid=$!; sleep 1; kill -TERM $pid; wait $pid; rc=$?
check sigterm_exit_status [ $rc -eq 143 ]
check sigterm_checkpoint sh -c 'ls -d sig/checkpoint-* > /dev/null 2>&1 && grep -q "resume-from-checkpoint" sig.err'

# bad flags and inputs
expect_fail missing_model '--model DIR is required' ft-train --output-dir o train.jsonl
expect_fail missing_output '--output-dir DIR is required' ft-train --model . train.jsonl
expect_fail bad_lr "--learning-rate: 'abc' is not a number" ft-train $COMMON --output-dir o --learning-rate abc train.jsonl
expect_fail bad_strategy "--eval-strategy: 'sometimes' is not one of" ft-train $COMMON --output-dir o --eval-strategy sometimes train.jsonl
expect_fail bad_scheduler "--lr-scheduler-type: 'wavy'" ft-train $COMMON --output-dir o --lr-scheduler-type wavy train.jsonl
expect_fail eval_without_data 'needs --eval-data' ft-train $COMMON --output-dir o --eval-strategy epoch train.jsonl
expect_fail best_needs_matching 'save and eval strategy to match' ft-train $COMMON --output-dir o --eval-data val.jsonl --eval-strategy epoch --save-strategy steps --load-best-model-at-end train.jsonl
expect_fail missing_train_file 'nope.jsonl: cannot open' ft-train $COMMON --output-dir o nope.jsonl
expect_fail label_out_of_range 'has label 2, but the model has 2 labels' ft-train --model . --from-scratch --num-labels 2 --output-dir o train.jsonl
printf '{"text":"hello","label":1}\n' > raw.jsonl
expect_fail untokenized_input 'field "input_ids" missing' ft-train $COMMON --output-dir o raw.jsonl
printf '{"input_ids":[1,500,2],"labels":0}\n' > oov.jsonl
expect_fail foreign_tokens 'outside the model.s vocabulary' ft-train $COMMON --output-dir o oov.jsonl
expect_fail eval_missing_model '--model DIR is required' ft-eval val.jsonl

# Padding to max_length costs nothing and changes nothing: batches drop the
# trailing columns no row uses, so padded records give the same loss and
# predictions as unpadded ones (and train at the same token count).
$PY - <<'P'
import json
with open('val.jsonl') as f, open('val_padded.jsonl', 'w') as o:
    for l in f:
        r = json.loads(l); n = 40 - len(r['input_ids'])
        r['input_ids'] += [0] * n; r['attention_mask'] += [0] * n; r['token_type_ids'] += [0] * n
        o.write(json.dumps(r) + '\n')
P
ft-eval --model run --predictions p1.jsonl val.jsonl > e1.json
ft-eval --model run --predictions p2.jsonl val_padded.jsonl > e2.json
check padded_records_same_loss $PY -c "
import json, sys; a, b = json.load(open('e1.json')), json.load(open('e2.json'))
sys.exit(not (abs(a['eval_loss'] - b['eval_loss']) < 1e-6 and a['eval_accuracy'] == b['eval_accuracy']))"
check padded_records_same_predictions sh -c 'jq -c .prediction p1.jsonl | cmp -s - "$0"' "$(jq -c .prediction p2.jsonl > pp2; echo pp2)"
ft-batch -b 8 val_padded.jsonl | ft-cat | head -1 > pb.json
check batch_drops_padding_columns sh -c '[ "$(jq ".input_ids[0]|length" pb.json)" -lt 40 ]'
