#!/bin/sh
# The Llama family (llama: GQA, llama3 rope scaling, untied, sharded
# checkpoint; qwen2: q/k/v bias, tied head; qwen3: q/k norm, head_dim × heads
# ≠ hidden) against the float64 PyTorch reference tests/ref/llama_ref.py:
# through the generic model API (build/ref/causal_drv: logits, loss, every
# gradient, 3 AdamW steps, LoRA, merge), then through the tools users run
# (ft-train full and LoRA for 3 steps, also with --gradient-checkpointing and --bf16;
# ft-merge-lora; ft-generate greedy),
# and 2 ranks × batch 1 = 1 × batch 2 under mpirun.
. "$FT_ROOT/tests/lib.sh"
B=${FT_BUILD:-$FT_ROOT/build}
drv=$B/ref/causal_drv
[ -x "$drv" ] || { fail "llama ($drv not built)"; exit 0; }
if ! $PY -c 'import torch' 2>/dev/null; then fail "llama (python3-torch missing: make deps)"; exit 0; fi
ref() { $PY "$FT_ROOT/tests/ref/llama_ref.py" "$@"; }
OMP_NUM_THREADS=1 ref "$TMP" || { fail llama_reference; exit 1; }
export OMP_NUM_THREADS=2

# ft-generate's generated_ids equal the reference's KEY ids
gen_matches() {  # DIR KEY ARGS...
    d=$1 key=$2; shift 2
    ft-generate --max-new-tokens 10 "$@" "$d/prompts.jsonl" > "$d/gen.out" 2> "$d/gen.err" &&
    $PY - "$d" "$key" <<'P'
import json, sys
d, key = sys.argv[1:]
want = json.load(open(f"{d}/gen.json"))[key]
got = [json.loads(l)["generated_ids"] for l in open(f"{d}/gen.out")]
if got != want: print(f"  {key}: ft {got}\n  {key}: ref {want}")
sys.exit(got != want)
P
}

S="--task causal-lm --max-steps 3 --per-device-train-batch-size 3 --lr-scheduler-type constant
   --weight-decay 0.01 --max-grad-norm 1.0 --save-strategy no --quiet --threads 2"
for m in llama qwen2 qwen3; do
    d=$TMP/$m
    "$drv" "$d" || fail "${m}_driver (exit $?)"

    # full fine-tuning: the saved weights after 3 steps
    ft-train --model "$d/model" $S --learning-rate 1e-3 --output-dir "$d/full" "$d/train.jsonl" > /dev/null 2> "$d/full.err"
    check ${m}_ft_train_3_steps ref cmp "$d/full/model.safetensors" "$d/ref.safetensors" step3. 2e-5 grad. 1e-3

    # LoRA continued from adapter0 (B random), then merged
    ft-train --model "$d/model" $S --adapter "$d/adapter0" --learning-rate 1e-2 --output-dir "$d/lora" \
        "$d/train.jsonl" > /dev/null 2> "$d/lora.err"
    check ${m}_ft_train_lora_3_steps ref cmp "$d/lora/adapter_model.safetensors" "$d/ref.safetensors" \
        adapter:lora_step3 2e-5 lora_grad 1e-2
    ft-merge-lora --base "$d/model" --adapter "$d/lora" --output-dir "$d/merged" 2> "$d/merge.err"
    check ${m}_ft_merge_lora ref cmp "$d/merged/model.safetensors" "$d/ref.safetensors" merged. 2e-5

    # greedy generation of a left-padded batch, eos stopping a row
    check ${m}_generate_greedy gen_matches "$d" greedy --model "$d/model"
    check ${m}_generate_greedy_batch1 gen_matches "$d" greedy --model "$d/model" --batch-size 1
    check ${m}_generate_lora gen_matches "$d" greedy_lora --model "$d/model" --adapter "$d/lora"
    check ${m}_generate_merged gen_matches "$d" greedy_lora --model "$d/merged"
done

# gradient checkpointing (recompute each layer in backward): the same 3 steps
for m in llama qwen3; do
    d=$TMP/$m
    ft-train --model "$d/model" $S --gradient-checkpointing --learning-rate 1e-3 --output-dir "$d/gc" \
        "$d/train.jsonl" > /dev/null 2> "$d/gc.err"
    check ${m}_ft_train_gradient_checkpointing ref cmp "$d/gc/model.safetensors" "$d/ref.safetensors" \
        step3. 2e-5 grad. 1e-3
    ft-train --model "$d/model" $S --gradient-checkpointing --adapter "$d/adapter0" --learning-rate 1e-2 \
        --output-dir "$d/gcl" "$d/train.jsonl" > /dev/null 2> "$d/gcl.err"
    check ${m}_ft_train_lora_gradient_checkpointing ref cmp "$d/gcl/adapter_model.safetensors" \
        "$d/ref.safetensors" adapter:lora_step3 2e-5 lora_grad 1e-2
done

# --bf16 (bf16 matmul inputs, fp32 accumulation; emulated on a CPU without
# AVX512-BF16): the same 3 steps within bf16's rounding of the fp32
# reference, and not the fp32 run itself
for m in llama qwen2; do
    d=$TMP/$m
    ft-train --model "$d/model" $S --bf16 --learning-rate 1e-3 --output-dir "$d/bf16" "$d/train.jsonl" \
        > /dev/null 2> "$d/bf16.err"
    check ${m}_ft_train_bf16_close env LLAMA_REF_GRAD_NOISE=1e-2 $PY "$FT_ROOT/tests/ref/llama_ref.py" cmp \
        "$d/bf16/model.safetensors" "$d/ref.safetensors" step3. 3e-3 grad. 1e-3
    check ${m}_ft_train_bf16_is_not_fp32 sh -c "! cmp -s '$d/bf16/model.safetensors' '$d/full/model.safetensors'"
done

# data parallel: 2 ranks × batch 1 = 1 process × batch 2 (rows of 9 and 6 tokens)
if command -v mpirun > /dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    d=$TMP/qwen3
    head -2 "$d/train.jsonl" > "$d/two.jsonl"
    M="--model $d/model --task causal-lm --max-steps 3 --logging-steps 1 --save-strategy no --quiet --threads 1
       --learning-rate 1e-3 --weight-decay 0.01"
    ft-train $M --per-device-train-batch-size 2 --output-dir "$d/dp1" "$d/two.jsonl" > /dev/null 2>&1
    OMP_NUM_THREADS=1 mpirun -np 2 ft-train $M --per-device-train-batch-size 1 --output-dir "$d/dp2" \
        "$d/two.jsonl" > /dev/null 2>&1
    check qwen3_mpi_2x1_equals_1x2 $PY "$FT_ROOT/tests/same_run.py" "$d/dp1" "$d/dp2"
    L="--learning-rate 1e-2 --lora-r 4 --target-modules q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    ft-train $M $L --per-device-train-batch-size 2 --output-dir "$d/dpl1" "$d/two.jsonl" > /dev/null 2>&1
    OMP_NUM_THREADS=1 mpirun -np 2 ft-train $M $L --per-device-train-batch-size 1 --output-dir "$d/dpl2" \
        "$d/two.jsonl" > /dev/null 2>&1
    check qwen3_mpi_lora_2x1_equals_1x2 $PY "$FT_ROOT/tests/same_run.py" "$d/dpl1" "$d/dpl2"
else
    skip "llama_mpi (no mpirun: scripts/deps installs openmpi-bin)"
fi
