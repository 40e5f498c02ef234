# Continual learning: the Fisher that ft-eval writes, L2-SP and EWC penalties in
# ft-train's logs, replay mixing old records in, resume with a penalty.
# (The penalties' gradients are checked by finite differences in test_penalty.)
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
cat > config.json <<'J'
{"architectures":["BertForMaskedLM"],"model_type":"bert","vocab_size":120,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":64,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
$PY - <<'P'
import json, random
r = random.Random(5)
def gen(n, path, off):
    with open(path, 'w') as o:
        for i in range(n):
            lab = r.randrange(3)
            ids = [1] + [r.randrange(10, 30) + 25 * lab + off if r.random() < 0.5 else r.randrange(10, 99)
                         for _ in range(r.randrange(5, 20))] + [2]
            o.write(json.dumps({"input_ids": ids, "labels": lab + (3 if off else 0)}) + "\n")
gen(200, 'a.jsonl', 0); gen(200, 'b.jsonl', 5)
P
C="--num-labels 6 --per-device-train-batch-size 16 --learning-rate 1e-3 --save-strategy no --logging-steps 13 --quiet"
ft-train --model . --from-scratch $C --num-train-epochs 3 --output-dir A a.jsonl > /dev/null 2>&1
ft-eval --model A --fisher-out A.fisher a.jsonl > fa.json
check fisher_written sh -c '[ "$(jq .fisher_samples fa.json)" = 200 ] && [ -s A.fisher ]'
ft-eval --model A --fisher-out A2.fisher --fisher-in A.fisher --ewc-gamma 0.5 a.jsonl > fa2.json
check fisher_online_accumulates sh -c '[ "$(jq .fisher_samples fa2.json)" = 400 ]'

ft-train --model A $C --num-train-epochs 2 --l2sp 0.5 --output-dir L b.jsonl > l.log 2> /dev/null
check l2sp_logged sh -c 'jq -e "select(.l2sp_penalty) | .l2sp_penalty > 0 and .total_loss > .loss" l.log | grep -q true'
ft-train --model A $C --num-train-epochs 2 --ewc 1e4 --fisher A.fisher --output-dir E b.jsonl > e.log 2> /dev/null
check ewc_logged sh -c 'jq -e "select(.ewc_penalty) | .ewc_penalty > 0" e.log | grep -q true'
ft-train --model A $C --num-train-epochs 2 --output-dir N b.jsonl > n.log 2> /dev/null
# EWC holds the weights that matter to task A (high Fisher) near A's values:
# the Fisher-weighted distance from A is far smaller than naive training's
check ewc_restrains_weights $PY -c "
import json, struct, sys
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); d = b[8+n:]
    import array
    out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        a = array.array('f'); a.frombytes(d[v['data_offsets'][0]:v['data_offsets'][1]]); out[k] = a
    return out
a, n, e, F = load('A/model.safetensors'), load('N/model.safetensors'), load('E/model.safetensors'), load('A.fisher')
dist = lambda x: sum(f * (p - q) ** 2 for k in F for p, q, f in zip(x[k], a[k], F[k]))
de, dn = dist(e), dist(n); print('  Fisher-weighted distance from A: ewc %.4g, naive %.4g' % (de, dn)); sys.exit(not de < 0.5 * dn)"
ft-train --model A $C --num-train-epochs 2 --replay a.jsonl --replay-ratio 0.5 --output-dir R b.jsonl > r.log 2>&1
check replay_grows_epoch sh -c 'grep -q "25 batches of 16" r.log'
expect_fail ewc_needs_fisher '--ewc needs --fisher FILE' ft-train --model A $C --ewc 1 --output-dir X b.jsonl
expect_fail fisher_not_fisher 'not a Fisher file' ft-train --model A $C --ewc 1 --fisher A/model.safetensors --output-dir X b.jsonl
expect_fail bad_replay_ratio '--replay-ratio: 1.5 is out of range' ft-train --model A $C --replay a.jsonl --replay-ratio 1.5 --output-dir X b.jsonl

# resume with a penalty and replay is bit-exact
R="$C --num-train-epochs 3 --l2sp 0.5 --replay a.jsonl --replay-ratio 0.3 --save-strategy epoch"
ft-train --model A $R --output-dir r1 b.jsonl > /dev/null 2>&1
mkdir r2 && cp -r r1/checkpoint-18 r2/
ft-train --model A $R --output-dir r2 --resume-from-checkpoint r2/checkpoint-18 b.jsonl > /dev/null 2>&1
check resume_with_penalty_bit_exact cmp -s r1/model.safetensors r2/model.safetensors

# Task-incremental: a head per task.  Training on task b from a model of task
# a keeps a's head (unchanged: no batch of a reaches it) and adds b's; replay
# mixes a's records in as batches of a's head, the same number every epoch.
jq -c '. + {task: "a"}' a.jsonl > ta.jsonl
jq -c '. + {task: "b", labels: (.labels - 3)}' b.jsonl > tb.jsonl
T="--per-device-train-batch-size 16 --learning-rate 1e-3 --save-strategy no --logging-steps 13 --quiet"
ft-train --model . --from-scratch $T --task-labels a=3 --num-train-epochs 3 --output-dir TA ta.jsonl > /dev/null 2>&1
check one_task_head sh -c '[ "$(jq -c "[.ft_tasks[].name]" TA/config.json)" = "[\"a\"]" ]'
ft-train --model TA $T --num-train-epochs 1 --output-dir TB tb.jsonl > /dev/null 2>&1
check new_task_head_added sh -c '[ "$(jq -c "[.ft_tasks[] | [.name, .num_labels]]" TB/config.json)" = "[[\"a\",3],[\"b\",3]]" ]'
check old_head_untouched $PY -c "
import json, struct, sys
def heads(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); d = b[8+n:]
    return {k: d[v['data_offsets'][0]:v['data_offsets'][1]] for k, v in h.items() if k.startswith('classifier.a.')}
a, b = heads('TA/model.safetensors'), heads('TB/model.safetensors'); sys.exit(not (a and a == b))"
cat ta.jsonl tb.jsonl > tab.jsonl
ft-eval --model TB tab.jsonl > tb.json
check eval_per_task_after_continual sh -c "jq -e '.eval_a_accuracy and .eval_b_accuracy' tb.json > /dev/null"
ft-train --model TA $T --num-train-epochs 2 --replay ta.jsonl --replay-ratio 0.5 --output-dir TR tb.jsonl > tr.log 2>&1
check replay_with_task_heads sh -c 'grep -q "400 examples, 26 batches of 16" tr.log'
expect_fail task_labels_clash 'the model'"'"'s head for a has 3 labels' \
    ft-train --model TA $T --task-labels a=4 --output-dir X ta.jsonl
