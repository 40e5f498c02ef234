# Case 3 end to end at toy size: pretrain a one-layer GPT-2 on the fortunes
# for a few steps, adapt it with LoRA to news, merge, and report.  Asserts
# what the pipeline promises: the JSON line, a PEFT adapter, a merged plain
# checkpoint, perplexity falling on the held-out news, generations.
. "$FT_ROOT/tests/lib.sh"
PRETRAIN_STEPS=30 LORA_STEPS=30 LAYERS=1 WIDTH=32 BLOCK=32 BATCH=4 HELDOUT=40 LORA_LR=5e-3 THREADS=1 \
    OUT=$TMP/c3 "$FT_ROOT/pipelines/case3-lora.sh" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
check case3_runs [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -5 "$TMP/err.txt"
tail -1 "$TMP/out.txt" > "$TMP/r.json"
check case3_adapter_peft_layout sh -c '[ -s "$1/adapter_config.json" ] && [ -s "$1/adapter_model.safetensors" ] &&
    jq -e ".peft_type == \"LORA\" and .r == 8 and .lora_alpha == 32" "$1/adapter_config.json" > /dev/null' _ "$TMP/c3/lora"
check case3_merged_plain sh -c '[ -s "$1/model.safetensors" ] && [ ! -e "$1/adapter_config.json" ] && [ -s "$1/vocab.json" ]' _ "$TMP/c3/merged"
echo "  perplexity $(jq -c '[.perplexity_before, .perplexity_after]' "$TMP/r.json"), trainable $(jq .trainable_percent "$TMP/r.json")%"
check case3_perplexity_falls jq_true '.perplexity_after < .perplexity_before' "$TMP/r.json"
check case3_trainable_fraction jq_true '.trainable_params > 0 and .trainable_params < .all_params' "$TMP/r.json"
check case3_generations jq_true '.generations | length == 3 and all(.after | type == "string")' "$TMP/r.json"
# evaluating base + adapter unmerged gives the merged model's loss
ft-eval --model "$TMP/c3/base" --adapter "$TMP/c3/lora" --task causal-lm --threads 1 \
    "$TMP/c3/domain-test.ft" > "$TMP/unmerged.json"
check eval_adapter_equals_merged $PY -c "
import json, sys
a, b = json.load(open('$TMP/unmerged.json')), json.load(open('$TMP/c3/eval-after.json'))
print('  unmerged %.6f merged %.6f' % (a['eval_loss'], b['eval_loss'])); sys.exit(abs(a['eval_loss'] - b['eval_loss']) > 1e-4)"
expect_fail eval_adapter_missing 'nope' ft-eval --model "$TMP/c3/base" --adapter "$TMP/nope" --task causal-lm "$TMP/c3/domain-test.ft"
