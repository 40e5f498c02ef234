# Multi-task fine-tuning: records of two tasks train one shared encoder with a
# head per task (classifier.<task>.*, ft_tasks in config.json); ft-eval
# reports each task and their average; the sampling flags; round trip.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
jqt() { jq -e "$@" > /dev/null; }
cat > config.json <<'J'
{"architectures":["BertForMaskedLM"],"model_type":"bert","vocab_size":120,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":64,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
# task "a": 3 classes marked by tokens 10..39 / 35..64 / 60..89 ...; task "b":
# 2 classes by the parity of a marker token, fewer records
$PY - <<'P'
import json, random
r = random.Random(7)
def rec(task, k):
    if task == 'a':
        lab = r.randrange(3)
        ids = [1] + [r.randrange(10, 30) + 25 * lab if r.random() < 0.5 else r.randrange(10, 99)
                     for _ in range(r.randrange(5, 14))] + [2]
    else:
        lab = r.randrange(2)
        ids = [1] + [100 + 2 * r.randrange(8) + lab if r.random() < 0.5 else r.randrange(10, 99)
                     for _ in range(r.randrange(5, 14))] + [2]
    return {"id": k, "input_ids": ids, "labels": lab, "task": task}
for path, n in (('train.jsonl', (240, 120)), ('val.jsonl', (60, 40))):
    recs = [rec('a', i) for i in range(n[0])] + [rec('b', n[0] + i) for i in range(n[1])]
    r.shuffle(recs)
    with open(path, 'w') as o:
        for x in recs: o.write(json.dumps(x) + "\n")
P
printf 'neg\npos\n' > b.labels
C="--per-device-train-batch-size 16 --learning-rate 2e-3 --save-strategy no --logging-steps 5 --quiet --seed 3"
ft-train --model . --from-scratch $C --num-train-epochs 4 --task-labels b=2:b.labels --output-dir M train.jsonl > m.log 2> m.err
check train_two_tasks_runs sh -c 'grep -q "360 examples, 23 batches of 16" m.err && [ -s M/model.safetensors ]'
check config_lists_tasks sh -c '[ "$(jq -c "[.ft_tasks[] | [.name, .num_labels]] | sort" M/config.json)" = "[[\"a\",3],[\"b\",2]]" ] &&
    [ "$(jq -r ".ft_tasks[] | select(.name == \"b\") | .id2label[\"1\"]" M/config.json)" = pos ]'
check heads_per_task $PY -c "
import json, struct
b = open('M/model.safetensors', 'rb').read(); h = json.loads(b[8:8 + struct.unpack('<Q', b[:8])[0]])
assert h['classifier.a.weight']['shape'] == [3, 32] and h['classifier.b.bias']['shape'] == [2], h.keys()
assert 'classifier.weight' not in h"
ft-eval --model M val.jsonl > ev.json
check eval_per_task jqt '.eval_a_accuracy and .eval_b_accuracy and .eval_loss and
    (.eval_average_accuracy - (.eval_a_accuracy + .eval_b_accuracy) / 2 | fabs) < 1e-5' ev.json
# both tasks learn (chance: 1/3 and 1/2)
check both_tasks_learn jqt '.eval_a_accuracy > 0.5 and .eval_b_accuracy > 0.7' ev.json
echo "  a $(jq .eval_a_accuracy ev.json), b $(jq .eval_b_accuracy ev.json)"
ft-eval --model M --predictions p.jsonl val.jsonl > /dev/null
check predictions_name_task sh -c 'ft-cat p.jsonl | jq -r "select(.task == \"b\") | .predicted_label" | sort -u | grep -qx "neg\|pos"'

# save/load round trip: continuing from M keeps its heads and weights
ft-train --model M $C --max-steps 1 --learning-rate 0 --output-dir M2 train.jsonl > /dev/null 2>&1
check roundtrip_same_weights $PY -c "
import json, struct, sys
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n])
    return {k: b[8+n+v['data_offsets'][0]:8+n+v['data_offsets'][1]] for k, v in h.items() if k != '__metadata__'}
a, b = load('M/model.safetensors'), load('M2/model.safetensors')
sys.exit(not (a.keys() == b.keys() and all(a[k] == b[k] for k in a)))"
ft-eval --model M2 val.jsonl > ev2.json
check roundtrip_same_metrics sh -c '[ "$(jq .eval_a_accuracy ev.json)" = "$(jq .eval_a_accuracy ev2.json)" ]'

# sampling: the same batches each epoch, in another order; weights change the loss
for s in proportional temperature round-robin; do
    ft-train --model . --from-scratch $C --max-steps 6 --task-sampling $s --task-temperature 5 \
        --output-dir S-$s train.jsonl > s-$s.log 2>&1
done
check sampling_modes_run sh -c '[ -s S-proportional/model.safetensors ] && [ -s S-temperature/model.safetensors ] &&
    [ -s S-round-robin/model.safetensors ]'
check sampling_changes_order sh -c '! cmp -s S-proportional/model.safetensors S-round-robin/model.safetensors'
ft-train --model . --from-scratch $C --max-steps 5 --task-weights a=2,b=0.5 --output-dir W train.jsonl > w.log 2> /dev/null
ft-train --model . --from-scratch $C --max-steps 5 --output-dir U train.jsonl > u.log 2> /dev/null
check task_weights_change_loss sh -c '[ "$(jq -s ".[0].loss" w.log)" != "$(jq -s ".[0].loss" u.log)" ]'
expect_fail bad_sampling "--task-sampling: 'x' is not" ft-train --model . --from-scratch $C --task-sampling x --output-dir X train.jsonl
expect_fail weight_unknown_task 'no task "c"' ft-train --model . --from-scratch $C --task-weights c=1 --output-dir X train.jsonl
expect_fail task_labels_unknown 'no such task' ft-train --model . --from-scratch $C --task-labels c=2 --output-dir X train.jsonl
expect_fail task_labels_too_few 'has label 2, but its head has 2 labels' ft-train --model . --from-scratch $C --task-labels a=2 --output-dir X train.jsonl
jq -c '.task = "c"' val.jsonl > c.jsonl
expect_fail eval_unknown_task 'task "c" has no head' ft-eval --model M c.jsonl

# resume is bit-exact: the batch plan and the per-tensor AdamW steps come back
R="--per-device-train-batch-size 16 --learning-rate 2e-3 --quiet --seed 3 --num-train-epochs 2 --save-strategy epoch --task-sampling temperature"
ft-train --model . --from-scratch $R --output-dir r1 train.jsonl > /dev/null 2>&1
mkdir r2 && cp -r r1/checkpoint-23 r2/
ft-train --model . --from-scratch $R --output-dir r2 --resume-from-checkpoint r2/checkpoint-23 train.jsonl > /dev/null 2>&1
check resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors
