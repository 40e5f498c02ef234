# --bf16 through the tools on a tiny BERT and GPT-2: it trains and learns,
# writes fp32 checkpoints, resumes bit-exact, evaluates and generates; a CPU
# without AVX512-BF16 (FT_BF16_CPU=absent pretends so) runs the emulation with
# one notice, and a run resumes across the two paths.  On such a CPU the rest
# runs on the emulation (FT_BF16_CPU=emulate) and the cross-path resume says skip.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
native=1
grep -q avx512_bf16 /proc/cpuinfo || { echo "# no AVX512-BF16: emulated bf16"; export FT_BF16_CPU=emulate; native=0; }
tiny_bert_task
T="--model . --from-scratch --num-labels 3 --per-device-train-batch-size 16 --learning-rate 1e-3 --quiet"

# no AVX512-BF16: the emulation, one notice line, a model that learns
env FT_BF16_CPU=absent ft-train $T --bf16 --output-dir a --num-train-epochs 8 --logging-steps 19 \
    --save-strategy no train.jsonl > a.log 2> a.err
check bf16_absent_runs [ $? -eq 0 ]
check bf16_absent_one_notice sh -c '[ "$(grep -c "no AVX512-BF16.*emulating" a.err)" = 1 ] && [ "$(grep -c bf16 a.err)" = 1 ]'
ft-eval --model a val.jsonl > ma.json
check bf16_absent_learns $PY -c "
import json, sys
l = [json.loads(x)['loss'] for x in open('a.log') if '\"loss\"' in x]
sys.exit(not (len(l) == 8 and l[-1] < 0.8 * l[0] and json.load(open('ma.json'))['eval_accuracy'] > 0.6))"

# learns like fp32, and is not fp32
ft-train $T --bf16 --output-dir b --num-train-epochs 8 --save-strategy no train.jsonl > b.log 2>&1
ft-train $T --output-dir f --num-train-epochs 8 --save-strategy no train.jsonl > f.log 2>&1
ft-eval --model b val.jsonl > mb.json && ft-eval --model f val.jsonl > mf.json
check bf16_train_learns jq_true '.eval_accuracy > 0.6' mb.json
check bf16_train_within_of_fp32 $PY -c "
import json, sys
b, f = json.load(open('mb.json')), json.load(open('mf.json'))
sys.exit(not abs(b['eval_accuracy'] - f['eval_accuracy']) <= 0.05)"
check bf16_train_is_not_fp32 sh -c '! cmp -s b/model.safetensors f/model.safetensors'
check bf16_checkpoint_is_fp32 $PY -c "
import json, struct, sys
f = open('b/model.safetensors', 'rb'); n = struct.unpack('<Q', f.read(8))[0]
h = json.loads(f.read(n)); h.pop('__metadata__', None)
sys.exit(not all(v['dtype'] == 'F32' for v in h.values()))"

# evaluation in bf16: the same model, the loss within bf16 error of fp32's
ft-eval --bf16 --model f val.jsonl > mfb.json
check bf16_eval_close $PY -c "
import json, sys
a, b = json.load(open('mf.json')), json.load(open('mfb.json'))
sys.exit(not (abs(a['eval_loss'] - b['eval_loss']) <= 2e-2 * abs(a['eval_loss']) and a['eval_loss'] != b['eval_loss']
              and abs(a['eval_accuracy'] - b['eval_accuracy']) <= 0.03))"

# resume under --bf16 is bit-exact (the bf16 weight copies follow the loaded weights)
R="$T --bf16 --num-train-epochs 2 --save-steps 10"
ft-train $R --output-dir r1 train.jsonl > /dev/null 2>&1
ft-train $R --output-dir r2 --resume-from-checkpoint r1/checkpoint-10 train.jsonl > /dev/null 2>&1
check bf16_resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors

# across CPUs: a run on the emulation resumed with oneDNN and the other way
# round (FT_BF16_CPU picks the path).  The two paths round the same inputs to
# bf16 and differ only in the fp32 summation order of each GEMM (OpenBLAS vs
# oneDNN), which now and then flips an activation's bf16 rounding; so the
# uninterrupted runs on the two paths end a distance D apart (max |w1 - w2|,
# ~2e-4 here), and a resumed run must end within 3·D of both: well below what
# its last 8 of 38 steps moved the weights (~1e-3), so a resume that lost the
# optimiser state or the data order would not pass.
maxdiff() {     # max |a - b| over the tensors of two fp32 safetensors files
    $PY -c "
import array, json, struct, sys
def load(p):
    f = open(p, 'rb'); n = struct.unpack('<Q', f.read(8))[0]
    h = json.loads(f.read(n)); h.pop('__metadata__', None); b = f.read()
    return {k: array.array('f', b[v['data_offsets'][0]:v['data_offsets'][1]]) for k, v in h.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
print(max(abs(x - y) for k in a for x, y in zip(a[k], b[k])))" "$1" "$2"
}
if [ $native = 1 ]; then
    FT_BF16_CPU=emulate ft-train $R --output-dir e1 train.jsonl > /dev/null 2>&1
    ft-train $R --output-dir en --resume-from-checkpoint e1/checkpoint-10 train.jsonl > /dev/null 2>&1
    FT_BF16_CPU=emulate ft-train $R --output-dir ne --resume-from-checkpoint r1/checkpoint-10 train.jsonl > /dev/null 2>&1
    D=$(maxdiff e1/model.safetensors r1/model.safetensors)
    late=$(maxdiff e1/checkpoint-30/model.safetensors e1/model.safetensors)
    echo "# uninterrupted emulated vs oneDNN: D = $D; last 8 steps moved up to $late"
    for x in "en e1" "en r1" "ne e1" "ne r1"; do set -- $x; echo "# $1 vs $2: $(maxdiff $1/model.safetensors $2/model.safetensors)"; done
    within() { $PY -c "import sys; sys.exit(not ($(maxdiff $1/model.safetensors e1/model.safetensors) <= 3 * $D and
                                                 $(maxdiff $1/model.safetensors r1/model.safetensors) <= 3 * $D))"; }
    check bf16_resume_emulated_then_onednn within en
    check bf16_resume_onednn_then_emulated within ne
    check bf16_resume_tolerance_tells $PY -c "import sys; sys.exit(not (0 < $D and 3 * $D < $late))"
else
    skip "bf16_resume_emulated_then_onednn (this CPU has no AVX512-BF16: no oneDNN path to resume on)"
    skip "bf16_resume_onednn_then_emulated (this CPU has no AVX512-BF16)"
fi

# generation: a tiny GPT-2 (random weights) greedy-decodes under --bf16
cat > g.json <<'J'
{"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"vocab_size":60,"n_embd":32,"n_layer":2,"n_head":4,"n_positions":64,"n_inner":64,"activation_function":"gelu_new","layer_norm_epsilon":1e-5,"initializer_range":0.02,"resid_pdrop":0.0,"embd_pdrop":0.0,"attn_pdrop":0.0,"bos_token_id":1,"eos_token_id":1}
J
mkdir -p g && cp g.json g/config.json
printf '{"input_ids":[5,6,7,8]}\n{"input_ids":[9,10]}\n{"input_ids":[11,12,13]}\n' > p.jsonl
ft-train --model g --from-scratch --task causal-lm --output-dir g2 --max-steps 1 --save-strategy no --quiet \
    --per-device-train-batch-size 2 p.jsonl > /dev/null 2>&1
ft-generate --model g2 --max-new-tokens 8 --eos-token-id -1 p.jsonl > gf.jsonl
ft-generate --bf16 --model g2 --max-new-tokens 8 --eos-token-id -1 p.jsonl > gb.jsonl
check bf16_generate_runs $PY -c "
import json, sys
b = [json.loads(l) for l in open('gb.jsonl')]
sys.exit(not (len(b) == 3 and all(len(r['generated_ids']) == 8 for r in b)))"
