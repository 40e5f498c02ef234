#!/bin/sh
# T5 parity against a plain-PyTorch T5ForConditionalGeneration (t5_ref.py):
# logits, loss, gradients and weights after 3 AdamW steps, for ReLU (v1.0 /
# CodeT5, tied head) and gated-GELU (v1.1, separate lm_head); relative
# position buckets over a range of offsets.
. "$FT_ROOT/tests/lib.sh"
REF=$FT_ROOT/tests/ref/t5_ref.py
T5=$FT_ROOT/build/tests/test_t5
for v in "relu 1" "gated-gelu 0"; do
    set -- $v
    d=$TMP/$1; mkdir -p "$d"
    $PY "$REF" make "$d" $1 $2 || { fail "t5_ref_make_$1"; continue; }
    "$T5" --dump "$d" 2> "$TMP/err" || { cat "$TMP/err"; fail "t5_parity_$1"; continue; }
    check "t5_parity_$1 (logits, loss, grads, 3 AdamW steps)" $PY "$REF" check "$d"
done
