#!/bin/sh
# From a LoRA fine-tune to llama.cpp: the adapter is merged and the merged
# model exported as GGUF (f32, and q8_0: 34 bytes per 32 weights), the
# adapter also exported alone to be applied by llama.cpp on the base model's
# GGUF; then llama.cpp continues the same prompts as ft-generate:
#
#   ft-train --model llama --task causal-lm --lora-r 8 --lora-alpha 16 --output-dir lora news.ft
#   ft-merge-lora --base llama --adapter lora --output-dir merged
#   ft-export --format gguf merged merged.gguf
#   ft-export --format gguf --outtype q8_0 merged merged-q8_0.gguf
#   ft-export --format gguf llama base.gguf
#   ft-export --format gguf --base llama lora lora.gguf
#   ft-tokenize -m merged -o prompts.ft prompts.jsonl
#   ft-generate --model merged --no-do-sample --eos-token-id -1 --max-new-tokens 16 prompts.ft
#   node examples/llamacpp-generate.js merged.gguf prompts-ids.jsonl
#   node examples/llamacpp-generate.js --lora lora.gguf base.gguf prompts-ids.jsonl
#
# llama.cpp here is the npm package node-llama-cpp 3.21.1 (its prebuilt CPU
# build, run offline), which scripts/npm-oracles installs into
# build/node_modules; ft itself needs no Node, and any llama.cpp loads these
# files (llama-cli -m merged.gguf; -m base.gguf --lora lora.gguf).
# Both sides continue the same prompt ids: ft-tokenize's, fed to ft-generate
# and to llama.cpp; llama.cpp's own tokenization of the text is reported
# beside them.  Greedy, 16 new tokens, no stop at end-of-text on either side.
#
# MODEL=dir uses yours (GPT-2 or the Llama family).  Without one, a small
# Llama with the real Llama 3 tokenizer is trained briefly from scratch on
# the fortunes first (small_llama, shared with llama-lora.sh), then LoRA on
# sports news.
#
# Prints one JSON line: the model_type, LoRA's target modules, the GGUF
# sizes in bytes, and per prompt ft-generate's continuation and llama.cpp's
# from the merged f32 GGUF, the base GGUF with the adapter GGUF, and the
# merged q8_0 GGUF, each with whether its ids equal ft-generate's; "same"
# says whether the two f32 ones all do.  Exits 1 if they do not (q8_0 is
# reported, not required: quantising moves the log-probabilities).
# Environment: MODEL (empty: train one), TOKENIZER, HIDDEN_SIZE (64),
# NUM_LAYERS (2), PRETRAIN_STEPS (100), LORA_STEPS (60), BLOCK (64),
# ROWS (1000) of ag_news, MAX_NEW_TOKENS (16), OUT
# (out/examples/export-llamacpp), THREADS.
. "$(dirname "$0")/common.sh"
NEWS=$shared/data/tasks/ag_news/ag_news.csv
MODEL=${MODEL:-} HIDDEN_SIZE=${HIDDEN_SIZE:-64} NUM_LAYERS=${NUM_LAYERS:-2}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-100} LORA_STEPS=${LORA_STEPS:-60} BLOCK=${BLOCK:-64} ROWS=${ROWS:-1000}
N=${MAX_NEW_TOKENS:-16}
FT_NODE_MODULES=$("$root/scripts/npm-oracles") ||
    { echo "export-llamacpp: scripts/npm-oracles could not install node-llama-cpp (llama.cpp)" >&2; exit 1; }
export FT_NODE_MODULES

if [ -z "$MODEL" ]; then MODEL=$OUT/base; small_llama "$MODEL"; fi

# LoRA on sports news (ag_news label 1), then merged into the base
ft-cat "$NEWS" | jq -c 'select((.label | tostring) == "1") | {text}' | head -n "$ROWS" |
    ft-tokenize -m "$MODEL" --block-size "$BLOCK" -o "$OUT/train.ft"
ft-train --model "$MODEL" --task causal-lm --lora-r 8 --lora-alpha 16 --output-dir "$OUT/lora" \
    --max-steps "$LORA_STEPS" --learning-rate 2e-3 --threads "$THREADS" --quiet --save-strategy no \
    --logging-steps 1000 --per-device-train-batch-size 8 "$OUT/train.ft" > /dev/null 2>&1
ft-merge-lora --base "$MODEL" --adapter "$OUT/lora" --output-dir "$OUT/merged" 2> /dev/null

ft-export --format gguf "$OUT/merged" "$OUT/merged.gguf"
ft-export --format gguf --outtype q8_0 "$OUT/merged" "$OUT/merged-q8_0.gguf"
ft-export --format gguf "$MODEL" "$OUT/base.gguf"
ft-export --format gguf --base "$MODEL" "$OUT/lora" "$OUT/lora.gguf"

# the prompts' ids are ft-tokenize's on both sides, so that a difference in
# the continuations is the model's, never the tokenizer's
printf '%s\n' '{"text": "The team won"}' '{"text": "In the second half,"}' \
    '{"text": "The coach said on Sunday that"}' > "$OUT/prompts.jsonl"
ft-tokenize -m "$OUT/merged" -o "$OUT/prompts.ft" "$OUT/prompts.jsonl"
ft-cat "$OUT/prompts.ft" | jq -c --slurpfile p "$OUT/prompts.jsonl" -n \
    '[inputs] | to_entries[] | {text: $p[.key].text, input_ids: .value.input_ids}' > "$OUT/prompts-ids.jsonl"

# --no-do-sample: greedy even where a model's generation_config.json samples
ft-generate --model "$OUT/merged" --no-do-sample --eos-token-id -1 --max-new-tokens "$N" \
    --threads "$THREADS" "$OUT/prompts.ft" > "$OUT/ft.jsonl"
gen() { node "$root/examples/llamacpp-generate.js" --max-new-tokens "$N" --threads "$THREADS" "$@"; }
gen "$OUT/merged.gguf" "$OUT/prompts-ids.jsonl" > "$OUT/llamacpp-merged.jsonl"
gen --lora "$OUT/lora.gguf" "$OUT/base.gguf" "$OUT/prompts-ids.jsonl" > "$OUT/llamacpp-adapter.jsonl"
gen "$OUT/merged-q8_0.gguf" "$OUT/prompts-ids.jsonl" > "$OUT/llamacpp-q8_0.jsonl"

size() { stat -c %s "$1"; }
jq -n -c --slurpfile cfg "$MODEL/config.json" --slurpfile ac "$OUT/lora/adapter_config.json" \
    --argjson f32 "$(size "$OUT/merged.gguf")" --argjson q8 "$(size "$OUT/merged-q8_0.gguf")" \
    --argjson base "$(size "$OUT/base.gguf")" --argjson lora "$(size "$OUT/lora.gguf")" \
    --slurpfile p "$OUT/prompts-ids.jsonl" --slurpfile f "$OUT/ft.jsonl" \
    --slurpfile m "$OUT/llamacpp-merged.jsonl" --slurpfile a "$OUT/llamacpp-adapter.jsonl" \
    --slurpfile q "$OUT/llamacpp-q8_0.jsonl" '
    def same($x; $i): $x[$i].generated_ids == $f[$i].generated_ids;
    [range(0; $p | length) as $i | {prompt: $p[$i].text, input_ids: $p[$i].input_ids,
        llamacpp_tokenizes_same: ($m[$i].text_ids == $p[$i].input_ids),
        ft_generate: $f[$i].generated_text,
        llamacpp_merged: $m[$i].generated_text, merged_same: same($m; $i),
        llamacpp_adapter: $a[$i].generated_text, adapter_same: same($a; $i),
        llamacpp_q8_0: $q[$i].generated_text, q8_0_same: same($q; $i)}] as $g |
    {model_type: $cfg[0].model_type, target_modules: $ac[0].target_modules, max_new_tokens: '"$N"',
     gguf_bytes: {merged_f32: $f32, merged_q8_0: $q8, base_f32: $base, adapter_f32: $lora},
     generations: $g, same: ($g | all(.merged_same and .adapter_same))}' > "$OUT/result.json"
cat "$OUT/result.json"
jq -e .same "$OUT/result.json" > /dev/null ||
    { echo "export-llamacpp: llama.cpp's greedy continuation differs from ft-generate's" >&2; exit 1; }
