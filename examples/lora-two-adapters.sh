#!/bin/sh
# Two LoRA adapters on one base model: a small GPT-2 (the real gpt2
# vocabulary, trained briefly from scratch on the fortunes, as no pretrained
# weights can be downloaded here; BASE=dir uses yours) gets one adapter for
# sports news and one for business news (ag_news).  Each adapter is a few
# hundred kB beside a base of any size; ft-generate applies either one
# unmerged (--adapter), and ft-merge-lora bakes one into a plain checkpoint
# that generates the same text without it.
#
# Prints one JSON line per prompt: the greedy continuation with each adapter,
# and whether the merged model's continuation equals the sports adapter's.
# Environment: BASE (empty: train one), PRETRAIN_STEPS (200), LORA_STEPS (100),
# LAYERS (2), WIDTH (64), BLOCK (64), ROWS (2000) of ag_news per adapter,
# OUT (out/examples/lora-two-adapters), THREADS.
. "$(dirname "$0")/common.sh"
TOKENIZER=$shared/models/gpt2 NEWS=$shared/data/tasks/ag_news/ag_news.csv
BASE=${BASE:-} PRETRAIN_STEPS=${PRETRAIN_STEPS:-200} LORA_STEPS=${LORA_STEPS:-100}
LAYERS=${LAYERS:-2} WIDTH=${WIDTH:-64} BLOCK=${BLOCK:-64} ROWS=${ROWS:-2000}

T="--threads $THREADS --quiet --save-strategy no --logging-steps 1000 --per-device-train-batch-size 8"

if [ -z "$BASE" ]; then
    BASE=$OUT/base
    mkdir -p "$OUT/base-init"
    cp "$TOKENIZER"/tokenizer.json "$TOKENIZER"/tokenizer_config.json "$TOKENIZER"/vocab.json \
       "$TOKENIZER"/merges.txt "$OUT/base-init/"
    jq --argjson L "$LAYERS" --argjson C "$WIDTH" --argjson P "$BLOCK" \
       '.n_layer = $L | .n_embd = $C | .n_head = ($C / 32 | floor) | .n_positions = $P | .n_ctx = $P' \
       "$TOKENIZER/config.json" > "$OUT/base-init/config.json"
    cat /usr/share/games/fortunes/computers /usr/share/games/fortunes/science |
        jq -R -s -c 'split("\n%\n")[] | select(length > 0) | {text: .}' |
        ft-tokenize -m "$OUT/base-init" --block-size "$BLOCK" -o "$OUT/general.ft"
    ft-train --model "$OUT/base-init" --from-scratch --task causal-lm --output-dir "$BASE" \
        --max-steps "$PRETRAIN_STEPS" --learning-rate 1e-3 $T "$OUT/general.ft" > /dev/null 2>&1
fi

# one adapter per topic (ag_news labels: 1 Sports, 2 Business), same base
for topic in sports:1 business:2; do
    name=${topic%:*}
    ft-cat "$NEWS" | jq -c --arg l "${topic#*:}" 'select((.label | tostring) == $l) | {text}' | head -n "$ROWS" |
        ft-tokenize -m "$BASE" --block-size "$BLOCK" -o "$OUT/$name.ft"
    ft-train --model "$BASE" --task causal-lm --lora-r 8 --lora-alpha 16 --target-modules c_attn,c_proj \
        --output-dir "$OUT/$name" --max-steps "$LORA_STEPS" --learning-rate 2e-3 $T "$OUT/$name.ft" > /dev/null 2>&1
done
ft-merge-lora --base "$BASE" --adapter "$OUT/sports" --output-dir "$OUT/sports-merged" 2> /dev/null

printf '%s\n' '{"text": "The team won"}' '{"text": "Shares of the company"}' > "$OUT/prompts.jsonl"
G="--max-new-tokens 12 --threads $THREADS"
ft-generate --model "$BASE" --adapter "$OUT/sports" $G "$OUT/prompts.jsonl" > "$OUT/gen-sports.jsonl"
ft-generate --model "$BASE" --adapter "$OUT/business" $G "$OUT/prompts.jsonl" > "$OUT/gen-business.jsonl"
ft-generate --model "$OUT/sports-merged" $G "$OUT/prompts.jsonl" > "$OUT/gen-merged.jsonl"
jq -n -c --slurpfile p "$OUT/prompts.jsonl" --slurpfile s "$OUT/gen-sports.jsonl" \
    --slurpfile b "$OUT/gen-business.jsonl" --slurpfile m "$OUT/gen-merged.jsonl" '
    range(0; $p | length) as $i | {prompt: $p[$i].text, sports: $s[$i].generated_text,
        business: $b[$i].generated_text, merged_equals_sports: ($m[$i].generated_ids == $s[$i].generated_ids)}'
