#!/bin/sh
# ft --bf16 against PyTorch 1.13 under torch.autocast("cpu", torch.bfloat16):
# one forward and backward of BERT (classification, masked LM), GPT-2 (full
# and LoRA) and T5 (ReLU tied, gated-GELU), each judged against float64 with
# the rules in bf16_ref.py (ft no less accurate than torch's bf16 step).  On a
# CPU without AVX512-BF16 the emulation (FT_BF16_CPU=emulate, gemm.h) runs.
. "$FT_ROOT/tests/lib.sh"
B=${FT_BUILD:-$FT_ROOT/build}
DRV=$B/ref/bf16_drv
REF=$FT_ROOT/tests/ref/bf16_ref.py
grep -q avx512_bf16 /proc/cpuinfo || { echo "# no AVX512-BF16: emulated bf16"; export FT_BF16_CPU=emulate; }
parity() {  # NAME DIR BATCH TASK REF.npz [ADAPTER]
    name=$1 dir=$2 batch=$3 task=$4 ref=$5; shift 5
    "$DRV" "$dir" "$batch" "$task" bf16 "$TMP/$name.st" "$@" 2> "$TMP/err" || { cat "$TMP/err"; fail "bf16_$name"; return; }
    $PY "$REF" compare "$TMP/$name.st" "$ref" "$name"
}
for task in seq-cls masked-lm; do
    d=$TMP/bert_$task
    $PY "$REF" bert "$d" $task || { fail "bf16_bert_${task}_reference"; continue; }
    parity "bert_$task" "$d" "$d/batch.safetensors" $task "$d/ref.npz"
done
for v in "relu 1" "gated-gelu 0"; do
    set -- $v
    d=$TMP/t5_$1
    $PY "$REF" t5 "$d" $1 $2 || { fail "bf16_t5_$1_reference"; continue; }
    parity "t5_$1" "$d" "$d/batch.safetensors" seq2seq "$d/ref.npz"
done
d=$TMP/gpt2; mkdir -p "$d"
if $PY "$FT_ROOT/tests/ref/gpt2_ref.py" "$d" > /dev/null; then
    parity gpt2 "$d/model2" "$d/batch.safetensors" causal-lm "$d/bf16_ref.npz"
    parity gpt2_lora "$d/model2" "$d/batch.safetensors" causal-lm "$d/bf16_lora_ref.npz" "$d/bf16_adapter"
else fail bf16_gpt2_reference; fi
