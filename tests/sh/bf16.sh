# --bf16 through the tools on a tiny BERT and GPT-2: it trains and learns,
# writes fp32 checkpoints, resumes bit-exact, evaluates and generates; a CPU
# without AVX512-BF16 is refused with a message (FT_BF16_CPU=absent pretends
# so; on such a CPU the rest runs on the emulation, FT_BF16_CPU=emulate).
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
expect_fail bf16_cpu_without_avx512_bf16 'needs a CPU with AVX512-BF16' \
    env FT_BF16_CPU=absent ft-train --bf16 --model . --output-dir nope train.jsonl
check bf16_refused_leaves_nothing [ ! -e nope ]
grep -q avx512_bf16 /proc/cpuinfo || { echo "# no AVX512-BF16: emulated bf16"; export FT_BF16_CPU=emulate; }
tiny_bert_task
T="--model . --from-scratch --num-labels 3 --per-device-train-batch-size 16 --learning-rate 1e-3 --quiet"

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
