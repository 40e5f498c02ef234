#!/bin/sh
# Span corruption against DataCollatorForT5MLM's numpy code (spans_ref.py),
# fed the same shuffle draws: inputs and labels identical for several block
# lengths, noise densities and mean span lengths, on the real codet5-base
# tokenizer's sentinels.
. "$FT_ROOT/tests/lib.sh"
tok=$SHARED/models/codet5-base
"$FT_ROOT/build/ref/spans_drv" "$tok" > "$TMP/spans.jsonl" 2> "$TMP/err" || { cat "$TMP/err"; fail spans_ref_driver; exit 0; }
check "spans_equal_hf_collator ($(wc -l < "$TMP/spans.jsonl") batches)" $PY "$FT_ROOT/tests/ref/spans_ref.py" "$tok" < "$TMP/spans.jsonl"
