# Masked-LM pretraining (ft-train --task masked-lm) on real Chinese queries
# with the real bert-base-chinese tokenizer and a tiny BERT: the loss falls,
# the checkpoint is a BertForMaskedLM in HF layout, resume is exact (masks are
# keyed by the step), evaluation is repeatable, and a classifier fine-tunes
# from it as from_pretrained would (head dropped, pooler/classifier new).
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"; [ -n "${KEEP:-}" ] && trap - EXIT && echo "# kept $TMP"
tok=$SHARED/models/bert-base-chinese
mkdir init
cp "$tok"/tokenizer.json "$tok"/vocab.txt "$tok"/tokenizer_config.json init/
cat > init/config.json <<'J'
{"architectures":["BertForSequenceClassification"],"model_type":"bert","vocab_size":21128,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":64,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
head -401 "$SHARED/data/tasks/kuake_qic/kuake_qic.csv" > all.csv
ft-split --test-size 0.25 --seed 1 --train train.csv --test val.csv all.csv
ft-tokenize --model init --max-length 48 -o train.tok train.csv
ft-tokenize --model init --max-length 48 -o val.tok val.csv
M="--model init --from-scratch --task masked-lm --per-device-train-batch-size 16 --learning-rate 2e-3 --quiet --threads 2"

ft-train $M --output-dir mlm --num-train-epochs 8 --warmup-ratio 0.1 --eval-data val.tok \
    --eval-strategy epoch --save-strategy no --logging-steps 10 train.tok > log.jsonl 2> err.txt
first=$(jq -r 'select(.eval_loss) | .eval_loss' log.jsonl | head -1)
last=$(jq -r 'select(.eval_loss) | .eval_loss' log.jsonl | tail -1)
check mlm_eval_loss_falls $PY -c "import sys; sys.exit(not ($last < $first - 0.5))"
check mlm_metrics jq_true -s 'map(select(.eval_loss)) | length == 8 and
    all(.eval_perplexity > 1 and .eval_accuracy >= 0 and .eval_masked_tokens > 100)' log.jsonl
check mlm_config jq_true '.architectures == ["BertForMaskedLM"]' mlm/config.json
check mlm_head_saved_tied $PY -c "
import json, struct, sys
f = open('mlm/model.safetensors', 'rb'); n = struct.unpack('<Q', f.read(8))[0]; h = json.loads(f.read(n))
k = set(h) - {'__metadata__'}
sys.exit(not ('cls.predictions.bias' in k and 'cls.predictions.transform.dense.weight' in k
              and not any('pooler' in x or 'decoder' in x or x.startswith('classifier') for x in k)))"

# evaluation masks the same way every time
ft-eval --model mlm --task masked-lm val.tok | jq -c 'del(.eval_runtime, .eval_samples_per_second)' > e1.json
ft-eval --model mlm --task masked-lm val.tok | jq -c 'del(.eval_runtime, .eval_samples_per_second)' > e2.json
check mlm_eval_repeatable cmp -s e1.json e2.json
check mlm_eval_equals_last_train_eval $PY -c "
import json, sys
e = json.load(open('e1.json')); t = [json.loads(l) for l in open('log.jsonl') if 'eval_loss' in l][-1]
sys.exit(not abs(e['eval_loss'] - t['eval_loss']) < 1e-5 * t['eval_loss'])"

# resume from a checkpoint: the same weights, bit for bit
R="$M --num-train-epochs 3 --warmup-steps 4 --save-strategy epoch"
ft-train $R --output-dir r1 train.tok > /dev/null 2>&1
mkdir r2 && cp -r r1/checkpoint-19 r2/
ft-train $R --output-dir r2 --resume-from-checkpoint r2/checkpoint-19 train.tok > /dev/null 2>&1
check mlm_resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors

# fine-tuning a classifier from the pretrained encoder
ft-train --model mlm --task seq-cls --num-labels 11 --output-dir cls --num-train-epochs 1 \
    --per-device-train-batch-size 16 --quiet train.tok > /dev/null 2> cls.err
check mlm_to_classifier_warns sh -c "grep -q 'not used when initializing BertForSequenceClassification.*cls.predictions.bias' cls.err &&
    grep -q 'newly initialized.*bert.pooler.dense.weight.*classifier.weight' cls.err"
check mlm_to_classifier_keeps_encoder $PY -c "
import json, struct, sys
def read(p):
    f = open(p, 'rb'); n = struct.unpack('<Q', f.read(8))[0]; h = json.loads(f.read(n)); d = f.read()
    return {k: d[v['data_offsets'][0]:v['data_offsets'][1]] for k, v in h.items() if k != '__metadata__'}
a, b = read('mlm/model.safetensors'), read('cls/model.safetensors')
k = 'bert.encoder.layer.0.output.dense.weight'
sys.exit(not (k in b and a[k] != b[k] and len(a[k]) == len(b[k])))"

# bad flags
expect_fail mlm_probability_needs_task 'is for --task masked-lm' ft-train --model init --from-scratch --output-dir x --mlm-probability 0.2 train.tok
expect_fail mlm_no_num_labels 'predicts tokens' ft-train $M --output-dir x --num-labels 3 train.tok
expect_fail mlm_probability_range 'mlm-probability' ft-train $M --output-dir x --mlm-probability 1.5 train.tok
mkdir notok && cp init/config.json notok/
expect_fail mlm_needs_tokenizer 'needs the model.s tokenizer' ft-train --model notok --from-scratch --task masked-lm --output-dir x train.tok
expect_fail mlm_eval_no_predictions 'are for classification' ft-eval --model mlm --task masked-lm --predictions p.jsonl val.tok
# (BERT's tokens into GPT-2, past the tokenizer check: the task is what is refused)
expect_fail mlm_gpt2_refused 'GPT-2 supports --task causal-lm' ft-train --model "$SHARED/models/gpt2" --from-scratch \
    --allow-tokenizer-mismatch --task masked-lm --output-dir x train.tok
check mlm_no_output_on_error [ ! -e x ]

# ft-eval takes the task from config.json when --task is not given
ft-eval --model mlm val.tok | jq -c 'del(.eval_runtime, .eval_samples_per_second)' > e3.json
check eval_task_from_config cmp -s e1.json e3.json
check eval_task_from_config_seq_cls jq_true 'has("eval_f1_macro")' "$(ft-eval --model cls val.tok > e4.json; echo e4.json)"
