# Shared helpers for shell tests: source it, then call ok/fail/skip/expect_fail.
set -u
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
SHARED=${FT_SHARED:-$FT_ROOT/../shared}
# the reference tools are Debian packages for the system interpreter
PY=/usr/bin/python3
ok()   { echo "ok $1"; }
fail() { echo "FAIL $1"; }
# skip NAME (why): the test could not run here (its data is missing); tests/run
# counts it as skipped, never as passed
skip() { echo "skip $1"; }
check() { local _n=$1; shift; if "$@"; then ok "$_n"; else fail "$_n"; fi; }
# jq_true FILTER FILE: the filter holds for FILE (quietly, for check)
jq_true() { jq -e "$@" > /dev/null; }
# expect_fail NAME PATTERN CMD...: CMD must exit non-zero with PATTERN on stderr.
expect_fail() {
    local name=$1 pat=$2; shift 2
    if "$@" > "$TMP/out" 2> "$TMP/err"; then fail "$name (exit 0)"; return; fi
    if grep -q -- "$pat" "$TMP/err"; then ok "$name"
    else echo "  stderr: $(cat "$TMP/err")"; fail "$name"; fi
}

# A tiny BERT (config.json in the current directory) and token records whose
# label (0-2) shows in their tokens: train.jsonl (300) and val.jsonl (100).
tiny_bert_task() {
    cat > config.json <<'J'
{"architectures":["BertForMaskedLM"],"model_type":"bert","vocab_size":100,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":64,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
    $PY - <<'P'
import json, random
r = random.Random(0)
def gen(n, path):
    with open(path, 'w') as o:
        for i in range(n):
            lab = r.randrange(3)
            ids = [1] + [r.randrange(10, 40) + 20 * lab if r.random() < 0.5 else r.randrange(10, 99)
                         for _ in range(r.randrange(5, 20))] + [2]
            o.write(json.dumps({"input_ids": ids, "attention_mask": [1] * len(ids),
                                "token_type_ids": [0] * len(ids), "labels": lab}) + "\n")
gen(300, 'train.jsonl'); gen(100, 'val.jsonl')
P
}

# random_model NAME TOKDIR CONFIG_JSON: $TMP/NAME, a model of that config,
# randomly initialised, with TOKDIR's tokenizer.json and tokenizer_config.json
# (one training step of ft-train --from-scratch writes it).  Returns ft-train's status.
random_model() {
    mkdir -p "$TMP/$1.init"
    cp "$2/tokenizer.json" "$2/tokenizer_config.json" "$TMP/$1.init/"
    echo "$3" > "$TMP/$1.init/config.json"
    echo '{"text": "A tiny model."}' | ft-tokenize -m "$TMP/$1.init" -o "$TMP/$1.ft"
    ft-train --model "$TMP/$1.init" --from-scratch --task causal-lm --output-dir "$TMP/$1" --max-steps 1 \
        --save-strategy no --threads 1 --quiet "$TMP/$1.ft" > /dev/null 2>&1
}
