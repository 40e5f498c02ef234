#!/bin/sh
# T5 parity against a plain-PyTorch T5ForConditionalGeneration (t5_ref.py):
# logits, loss, gradients and weights after 3 AdamW steps (lr 1e-3, weight
# decay 0.01 by HF Trainer's rule: none for relative_attention_bias), for ReLU (v1.0 /
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
# generation: greedy and HF beam search (BeamSearchScorer) on the tiny models;
# fields: mode beams max_new length_penalty early_stopping no_repeat_ngram repetition_penalty
for v in relu gated-gelu; do
    d=$TMP/$v
    [ -f "$d/model.safetensors" ] || continue
    for g in "greedy 1 12 1.0 0 0 1.0" "greedy 1 10 1.0 0 2 1.0" "greedy 1 12 1.0 0 0 1.5" \
             "beam 4 12 1.0 0 0 1.0" "beam 3 10 2.0 1 0 1.0" "beam 4 9 0.6 0 2 1.0" "beam 2 14 1.0 0 3 1.0" \
             "beam 3 12 1.0 0 0 3.0"; do
        name="t5_generate_${v}_$(echo $g | tr ' ' _)"
        "$T5" --gen "$d" $g > "$TMP/c.txt" 2> "$TMP/err" || { cat "$TMP/err"; fail "$name"; continue; }
        $PY "$REF" gen "$d" $g > "$TMP/py.txt" || { fail "$name (reference)"; continue; }
        if cmp -s "$TMP/c.txt" "$TMP/py.txt"; then ok "$name"
        else echo "  ft:"; cat "$TMP/c.txt"; echo "  torch:"; cat "$TMP/py.txt"; fail "$name"; fi
    done
done
