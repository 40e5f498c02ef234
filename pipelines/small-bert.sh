# Sourced by the pipelines: small_bert DIR TOKENIZER writes into DIR a config
# for a small BERT with TOKENIZER's vocabulary and copies the tokenizer files,
# for training from scratch when no pretrained weights are at hand.  Its size
# comes from the environment: HIDDEN_SIZE (128), NUM_LAYERS (2), NUM_HEADS
# (HIDDEN_SIZE/64), INTERMEDIATE_SIZE (4·HIDDEN_SIZE), DROPOUT (0.1).
small_bert() {
    [ -r "$2/vocab.txt" ] || { echo "$(basename "$0"): $2: no vocab.txt (set TOKENIZER or MODEL)" >&2; exit 1; }
    _h=${HIDDEN_SIZE:-128}
    mkdir -p "$1"
    cp "$2"/tokenizer.json "$2"/vocab.txt "$2"/tokenizer_config.json "$1"/ 2>/dev/null || true
    cat > "$1/config.json" <<JSON
{"architectures": ["BertForSequenceClassification"], "model_type": "bert",
 "vocab_size": $(grep -c '' "$2/vocab.txt"), "hidden_size": $_h, "num_hidden_layers": ${NUM_LAYERS:-2},
 "num_attention_heads": ${NUM_HEADS:-$((_h >= 64 ? _h / 64 : 1))}, "intermediate_size": ${INTERMEDIATE_SIZE:-$((_h * 4))},
 "hidden_act": "gelu", "hidden_dropout_prob": ${DROPOUT:-0.1}, "attention_probs_dropout_prob": ${DROPOUT:-0.1},
 "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
 "initializer_range": 0.02, "pad_token_id": 0}
JSON
}
