#!/bin/sh
# Data-parallel ft-train under mpirun (docs/distributed.md): 2 ranks × batch 4
# train as 1 process × batch 8 — the same loss log and eval metrics, weights
# within fp32 summation tolerance after 3 AdamW steps — for BERT
# classification, GPT-2 + LoRA (also packed) and T5 (the bound: tests/same_run.py), over shared memory and over TCP on
# loopback; resume is exact, another rank count is refused, SIGTERM saves one
# checkpoint, a killed rank ends the job with an error; ft-eval shares the
# batches and writes one process's metrics, predictions and Fisher; ft-generate
# shares the batches and writes one process's output.
. "$FT_ROOT/tests/lib.sh"
if ! command -v mpirun > /dev/null; then skip "mpi (no mpirun: scripts/deps installs openmpi-bin)"; exit 0; fi
cd "$TMP"
# as root Open MPI wants to be told; --oversubscribe: 2 ranks on fewer cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
SHM="mpirun -np 2"
TCP="mpirun -np 2 --mca btl tcp,self --mca btl_tcp_if_include lo"
same() { $PY "$FT_ROOT/tests/same_run.py" "$@"; }

mkdir bert gpt2 t5
cat > bert/config.json <<'J'
{"architectures":["BertForSequenceClassification"],"model_type":"bert","vocab_size":100,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":64,"hidden_act":"gelu","hidden_dropout_prob":0.0,"attention_probs_dropout_prob":0.0,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
cat > gpt2/config.json <<'J'
{"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","vocab_size":100,"n_embd":16,"n_layer":2,"n_head":2,"n_positions":64,"activation_function":"gelu_new","layer_norm_epsilon":1e-5,"initializer_range":0.02,"bos_token_id":1,"eos_token_id":2,"resid_pdrop":0.0,"embd_pdrop":0.0,"attn_pdrop":0.0}
J
cat > t5/config.json <<'J'
{"model_type": "t5", "architectures": ["T5ForConditionalGeneration"], "vocab_size": 40, "d_model": 32,
 "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4,
 "relative_attention_num_buckets": 16, "relative_attention_max_distance": 32, "dropout_rate": 0.0,
 "feed_forward_proj": "relu", "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
 "is_encoder_decoder": true}
J
# odd counts (the sampler pads), rows of different lengths (ranks hold
# different numbers of tokens), a few unlabelled classification rows
$PY - <<'P'
import json, random
r = random.Random(3)
def rows(path, n, make):
    with open(path, 'w') as f:
        for i in range(n): f.write(json.dumps(make(i)) + "\n")
def cls(i):
    lab = r.randrange(3); ids = [1] + [r.randrange(10, 99) for _ in range(r.randrange(4, 20))] + [2]
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": lab if i % 7 else -100}
def lm(i):
    ids = [r.randrange(3, 100) for _ in range(r.randint(3, 20))]
    return {"input_ids": ids, "attention_mask": [1] * len(ids)}
def s2s(i):
    src = [r.randrange(3, 40) for _ in range(r.randint(4, 9))]
    return {"id": i, "input_ids": src + [1], "attention_mask": [1] * (len(src) + 1),
            "labels": [r.randrange(3, 40) for _ in range(r.randint(1, 12))] + [1]}
rows('cls.jsonl', 37, cls); rows('val.jsonl', 21, cls); rows('lm.jsonl', 29, lm); rows('s2s.jsonl', 27, s2s)
P
S="--quiet --threads 1 --max-steps 3 --logging-steps 1 --save-strategy no --learning-rate 1e-2"
B="--model bert --from-scratch --num-labels 3 $S --eval-data val.jsonl --eval-strategy steps --eval-steps 1"
G="--model gpt2 --from-scratch --task causal-lm --lora-r 4 --target-modules c_attn $S"
T="--model t5 --from-scratch --task seq2seq $S"

ft-train $B --per-device-train-batch-size 8 --output-dir b1 cls.jsonl > b1.log 2> b1.err
$SHM ft-train $B --per-device-train-batch-size 4 --output-dir b2 cls.jsonl > b2.log 2> b2.err
check mpi_bert_2x4_equals_1x8_shm same b1 b2
check mpi_rank0_alone_logs sh -c '[ $(wc -l < b2.log) = $(wc -l < b1.log) ] && [ $(grep -c "model written" b2.err) = 1 ]'
check mpi_eval_metrics_equal sh -c '[ "$(jq -c "select(.eval_loss) | [.eval_accuracy, .eval_loss]" b1.log)" = \
    "$(jq -c "select(.eval_loss) | [.eval_accuracy, .eval_loss]" b2.log)" ]'
$TCP ft-train $B --per-device-train-batch-size 4 --output-dir b3 cls.jsonl > /dev/null 2>&1
check mpi_bert_2x4_equals_1x8_tcp same b1 b3
mpirun -np 1 ft-train $B --per-device-train-batch-size 8 --output-dir b4 cls.jsonl > /dev/null 2>&1
check mpi_one_rank_is_plain_run cmp -s b1/model.safetensors b4/model.safetensors

ft-train $G --per-device-train-batch-size 8 --output-dir g1 lm.jsonl > /dev/null 2>&1
$SHM ft-train $G --per-device-train-batch-size 4 --output-dir g2 lm.jsonl > /dev/null 2>&1
check mpi_gpt2_lora_2x4_equals_1x8 same g1 g2
# --packing: every rank packs the same rows and takes its shard of them
P="--max-length 16 --packing --max-steps 2"
ft-train $G $P --per-device-train-batch-size 8 --output-dir p1 lm.jsonl > /dev/null 2>&1
$SHM ft-train $G $P --per-device-train-batch-size 4 --output-dir p2 lm.jsonl > /dev/null 2>&1
check mpi_gpt2_packed_2x4_equals_1x8 same p1 p2
ft-train $T --per-device-train-batch-size 4 --gradient-accumulation-steps 2 --output-dir t1 s2s.jsonl > /dev/null 2>&1
$TCP ft-train $T --per-device-train-batch-size 2 --gradient-accumulation-steps 2 --output-dir t2 s2s.jsonl > /dev/null 2>&1
# Adam divides by the gradient's own size: where a gradient is near zero,
# fp32 summation noise moves the step by a share of the learning rate (1e-2);
# the logged grad_norm still agrees to 1e-7
check mpi_t5_accumulation_2x2x2_equals_1x4x2 same t1 t2 --atol 1e-4

# the sum overlapped with backward (the default) gives the very weights of
# the sum after it (FT_DIST_OVERLAP=0), with one bucket or many (small
# buckets: the hook starts several during backward)
for run in "b 4 1 cls model" "g 4 1 lm adapter_model" "t 2 2 s2s model"; do
    set -- $run
    case $1 in b) A=$B ;; g) A=$G ;; t) A=$T ;; esac
    A="$A --per-device-train-batch-size $2 --gradient-accumulation-steps $3"
    FT_DIST_OVERLAP=0 $SHM ft-train $A --output-dir $1off $4.jsonl > /dev/null 2>&1
    FT_DIST_BUCKET_BYTES=2048 $SHM ft-train $A --output-dir $1on $4.jsonl > /dev/null 2>&1
    check mpi_overlap_bit_identical_$1 sh -c "cmp $1off/$5.safetensors $1on/$5.safetensors && cmp $1off/$5.safetensors ${1}2/$5.safetensors"
done

# ft-eval under mpirun: the ranks share the batches, rank 0 writes one
# process's metrics (classification: counts; seq2seq: the loss)
metrics() { jq -cS 'del(.eval_runtime, .eval_samples_per_second)' "$1"; }
for m in b1:val.jsonl t1:s2s.jsonl; do
    ft-eval --model ${m%%:*} --per-device-eval-batch-size 4 ${m#*:} > e1.json 2> /dev/null
    $SHM ft-eval --model ${m%%:*} --per-device-eval-batch-size 4 ${m#*:} > e2.json 2> /dev/null
    check "mpi_eval_tool_sharded_${m%%:*}" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$(metrics e1.json)" "$(metrics e2.json)"
done
# --predictions: each rank predicts its batches, rank 0 writes them all in
# input order (21 rows in batches of 4: an odd count, a short last batch)
ft-eval --model b1 --per-device-eval-batch-size 4 --predictions p1.jsonl val.jsonl > /dev/null 2>&1
$TCP ft-eval --model b1 --per-device-eval-batch-size 4 --predictions p2.jsonl val.jsonl > /dev/null 2>&1
check mpi_eval_predictions_in_input_order sh -c '[ $(wc -l < p1.jsonl) = 21 ] && cmp -s p1.jsonl p2.jsonl'
# --fisher-out: a sum over examples, so the ranks' sums add up (another fp32
# order: equal within summation rounding); rank 0 saves.  same_run.py reads
# the file as a model's weights, beside an empty log
mkdir fi1 fi2 && touch fi1/train_log.jsonl fi2/train_log.jsonl
ft-eval --model b1 --fisher-out fi1/model.safetensors val.jsonl > fi1.json 2> /dev/null
$SHM ft-eval --model b1 --fisher-out fi2/model.safetensors val.jsonl > fi2.json 2> /dev/null
check mpi_eval_fisher_summed sh -c '[ "$(jq .fisher_samples fi1.json)" = 18 ] && [ "$(jq .fisher_samples fi2.json)" = 18 ] &&
    $0 "$1" fi1 fi2 --rtol 1e-5 --atol 1e-9' $PY "$FT_ROOT/tests/same_run.py"
expect_fail mpi_eval_references_one_process '--references: one process only' \
    $SHM ft-eval --task seq2seq --references s2s.jsonl s2s.jsonl

# ft-generate: rank r generates batches r, r+N, …; rank 0 writes every
# record in input order, the bytes of one process (sampling is keyed by the
# seed and the input row, so it does not depend on the rank count)
head -n 5 lm.jsonl > lm5.jsonl
head -n 9 s2s.jsonl > s2s9.jsonl
ft-train --model gpt2 --from-scratch --task causal-lm $S --output-dir gg lm.jsonl > /dev/null 2>&1
N="--quiet --threads 1 --batch-size 2 --max-new-tokens 6"
for c in gg:lm5.jsonl:greedy: gg:lm5.jsonl:beam:--num-beams=3 gg:lm5.jsonl:sample:--do-sample=--seed=7 \
         t1:s2s9.jsonl:greedy: t1:s2s9.jsonl:beam:--num-beams=2 t1:s2s9.jsonl:sample:--do-sample=--top-k=5; do
    IFS=: read -r mdl data kind opt <<EOF2
$c
EOF2
    opt=$(echo "$opt" | tr = ' ')
    ft-generate --model $mdl $N $opt $data > y1.jsonl 2> /dev/null
    $SHM ft-generate --model $mdl $N $opt -o y2.jsonl $data > /dev/null 2>&1
    check "mpi_generate_${mdl}_${kind}_same_bytes" sh -c '[ $(wc -l < y1.jsonl) = $(wc -l < "$1") ] && cmp -s y1.jsonl y2.jsonl' _ $data
done

# resume: the same rank count continues bit for bit; another is refused
R="--model bert --from-scratch --num-labels 3 --quiet --threads 1 --max-steps 6 --save-steps 3 --per-device-train-batch-size 4"
$SHM ft-train $R --output-dir r1 cls.jsonl > /dev/null 2>&1
$SHM ft-train $R --output-dir r2 cls.jsonl > /dev/null 2>&1
rm -r r2/checkpoint-6 r2/model.safetensors
$SHM ft-train $R --output-dir r2 --resume-from-checkpoint r2/checkpoint-3 cls.jsonl > /dev/null 2>&1
check mpi_resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors
check mpi_checkpoint_says_ranks jq_true '.ft_world_size == 2' r1/checkpoint-3/trainer_state.json
expect_fail mpi_resume_other_rank_count 'trained on 2 processes, this one has 1: resume it with mpirun -np 2' \
    ft-train $R --output-dir r1 --resume-from-checkpoint r1/checkpoint-3 cls.jsonl

# SIGTERM to mpirun reaches every rank: they stop at one step, rank 0 saves
L="--model bert --from-scratch --num-labels 3 --quiet --threads 1 --per-device-train-batch-size 4 --max-steps 1000000 --save-steps 1000000"
$SHM ft-train $L --output-dir s cls.jsonl > /dev/null 2> s.err &
mp=$!
for _ in $(seq 100); do grep -q optimisation s.err 2> /dev/null && break; sleep 0.1; done
sleep 2; kill -TERM $mp; wait $mp
check mpi_sigterm_saves_one_checkpoint sh -c '[ $(ls -d s/checkpoint-* | wc -l) = 1 ] && grep -q "interrupted: checkpoint saved" s.err' ||
    sed 's/^/  /' s.err

# Runs "$@" (an mpirun line) in the background, kills its last rank (a
# child named TOOL) after 2 s and waits for the job, 30 s at most: sets rc
# and secs (from the kill to the job's end).
kill_a_rank() {
    tool=$1; shift
    "$@" &
    mp=$!
    sleep 2
    kill -9 "$(pgrep -P $mp "$tool" | tail -1)"
    start=$(date +%s)
    ( sleep 30; kill -9 $mp 2> /dev/null ) & watchdog=$!
    wait $mp; rc=$?
    kill $watchdog 2> /dev/null
    secs=$(( $(date +%s) - start ))
}

# a rank killed mid-run ends the job with an error within seconds, no hang
kill_a_rank ft-train $SHM ft-train $L --output-dir k cls.jsonl > /dev/null 2> k.err
check "mpi_killed_rank_ends_job (exit $rc after ${secs}s)" \
    sh -c "[ $rc -ne 0 ] && [ $secs -lt 30 ] && grep -q 'exited on signal 9' k.err"

# the same for ft-generate while rank 0 waits to gather: an error, no output file
for _ in $(seq 400); do cat lm.jsonl; done > lm400.jsonl   # long enough to outlast the 2 s before the kill
kill_a_rank ft-generate $SHM ft-generate --model gg --quiet --threads 1 --max-new-tokens 40 --num-beams 4 \
    -o kg.jsonl lm400.jsonl > /dev/null 2> kg.err
check "mpi_generate_killed_rank_ends_job (exit $rc after ${secs}s)" \
    sh -c "[ $rc -ne 0 ] && [ $secs -lt 30 ] && grep -q 'exited on signal 9' kg.err && [ ! -e kg.jsonl ]"

expect_fail mpi_refuses_ready_batches 'ready batches (ft-batch) train in one process only' \
    sh -c "ft-batch -b 4 -o b.ft cls.jsonl && $SHM ft-train --model bert --from-scratch --num-labels 3 --quiet --output-dir x b.ft"
