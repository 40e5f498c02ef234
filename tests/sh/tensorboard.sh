# ft-train --report-to tensorboard: event files where HF puts them, every
# record framed and checksummed as TFRecord, every logged number an Event
# scalar named as HF's TensorBoardCallback names it — read back with an
# independent reader (tests/tfevents.py: struct and a hand protobuf decoder).
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
cat > config.json <<'J'
{"architectures":["BertForSequenceClassification"],"model_type":"bert","vocab_size":100,"hidden_size":16,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":32,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
$PY - <<'P'
import json, random
r = random.Random(1)
for n, path in ((96, 'train.jsonl'), (32, 'val.jsonl')):
    with open(path, 'w') as o:
        for i in range(n):
            lab = r.randrange(3)
            ids = [1] + [r.randrange(10, 40) + 20 * lab for _ in range(r.randrange(4, 10))] + [2]
            o.write(json.dumps({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": lab}) + "\n")
P
COMMON="--model . --from-scratch --num-labels 3 --per-device-train-batch-size 8 --learning-rate 1e-3 --quiet
  --num-train-epochs 2 --logging-steps 5 --eval-data val.jsonl --eval-strategy epoch --save-strategy no"

ft-train $COMMON --output-dir run --report-to tensorboard train.jsonl > /dev/null 2> err.txt
host=$(hostname)
ev=$(ls run/runs/*/events.out.tfevents.* 2> /dev/null | head -1)
check tb_default_layout sh -c 'echo "$1" | grep -Eq "^run/runs/[A-Z][a-z]{2}[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}_$2/events\.out\.tfevents\.[0-9]{10}\.$2\.[0-9]+\.0$"' _ "$ev" "$host"

# every number of every log line, in order, at its step, as float32
cat > compare.py <<'P'
import json, struct, sys
sys.path.insert(0, sys.argv[3])
import tfevents
events = tfevents.read(sys.argv[1])
assert events[0].get("file_version") == "brain.Event:2", events[0]
want = []
for line in open(sys.argv[2]):
    j = json.loads(line)
    for k, v in j.items():
        if k == "step" or not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        tag = "eval/" + k[5:] if k.startswith("eval_") else "test/" + k[5:] if k.startswith("test_") else "train/" + k
        want.append((j["step"], tag, v))
got = []
last_wall = events[0]["wall_time"]
for e in events[1:]:
    assert len(e["values"]) == 1, e
    assert e["wall_time"] >= last_wall, e
    last_wall = e["wall_time"]
    got.append((e["step"], e["values"][0]["tag"], e["values"][0]["simple_value"]))
assert len(got) == len(want), (len(got), len(want))
for (gs, gt, gv), (ws, wt, wv) in zip(got, want):
    assert (gs, gt) == (ws, wt), ((gs, gt), (ws, wt))
    f32 = struct.unpack("<f", struct.pack("<f", wv))[0]
    assert abs(gv - f32) <= 3e-7 * max(1.0, abs(f32)), (gt, gs, gv, wv)
tags = {t for _, t, _ in got}
for t in sys.argv[4:]:
    assert t in tags, (t, sorted(tags))
print(len(got), "scalars match")
P
check tb_values_match_log $PY compare.py "$ev" run/train_log.jsonl "$FT_ROOT/tests" \
  train/loss train/learning_rate train/grad_norm train/epoch eval/loss eval/accuracy eval/f1_macro

# a corrupted byte is caught by the data CRC; a cut-off file by its length
cp "$ev" bad.tfevents
printf 'X' | dd of=bad.tfevents bs=1 seek=40 conv=notrunc 2> /dev/null
check tb_reader_catches_corruption sh -c '! "$1" "$2/tests/tfevents.py" bad.tfevents > /dev/null 2>&1' _ "$PY" "$FT_ROOT"
head -c $(( $(wc -c < "$ev") - 3 )) "$ev" > cut.tfevents
check tb_reader_catches_truncation sh -c '! "$1" "$2/tests/tfevents.py" cut.tfevents > /dev/null 2>&1' _ "$PY" "$FT_ROOT"

# --logging-dir DIR: the events go straight into DIR, train_log.jsonl beside them
ft-train $COMMON --output-dir run2 --logging-dir logs --report-to all --max-steps 6 train.jsonl > /dev/null 2>&1
ev2=$(ls logs/events.out.tfevents.* 2> /dev/null | head -1)
check tb_logging_dir sh -c '[ -n "$1" ] && [ -s logs/train_log.jsonl ] && [ ! -d run2/runs ]' _ "$ev2"
check tb_logging_dir_values $PY compare.py "$ev2" logs/train_log.jsonl "$FT_ROOT/tests" train/loss

# without --report-to (HF 5's default "none") there are no event files
ft-train $COMMON --output-dir run3 --max-steps 2 train.jsonl > /dev/null 2>&1
check tb_off_by_default [ ! -d run3/runs ]
expect_fail tb_unknown_integration "'wandb' is not supported" ft-train $COMMON --output-dir run4 --report-to wandb train.jsonl
