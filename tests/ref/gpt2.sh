#!/bin/sh
# GPT-2 and LoRA against a plain-PyTorch GPT2LMHeadModel / PEFT LoRA
# (tests/ref/gpt2_ref.py): logits, loss, gradients, weights after 3 AdamW
# steps, LoRA (B = 0 logits, gradients, 3 steps), legacy and HF checkpoint
# layouts; merged logits; greedy generation with a KV cache.
. "$FT_ROOT/tests/lib.sh"
B=${FT_BUILD:-$FT_ROOT/build}
$PY "$FT_ROOT/tests/ref/gpt2_ref.py" "$TMP" || { fail gpt2_reference; exit 1; }
"$B/tests/test_gpt2" --ref "$TMP"
