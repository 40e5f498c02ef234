# Sourced by the pipelines: small_bert DIR TOKENIZER writes into DIR a config
# for a small BERT (hidden 128, 2 layers, 2 heads, FFN 512) with TOKENIZER's
# vocabulary and copies the tokenizer files, for training from scratch when
# no pretrained weights are at hand.
small_bert() {
    [ -r "$2/vocab.txt" ] || { echo "$(basename "$0"): $2: no vocab.txt (set TOKENIZER or MODEL)" >&2; exit 1; }
    mkdir -p "$1"
    cp "$2"/tokenizer.json "$2"/vocab.txt "$2"/tokenizer_config.json "$1"/ 2>/dev/null || true
    cat > "$1/config.json" <<JSON
{"architectures": ["BertForSequenceClassification"], "model_type": "bert",
 "vocab_size": $(grep -c '' "$2/vocab.txt"), "hidden_size": 128, "num_hidden_layers": 2,
 "num_attention_heads": 2, "intermediate_size": 512, "hidden_act": "gelu",
 "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
 "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
 "initializer_range": 0.02, "pad_token_id": 0}
JSON
}
