#!/bin/sh
# LoRA on a Llama-family model (Llama, Mistral, Qwen2, Qwen3): a directory
# with config.json, safetensors and tokenizer files goes through the same
# tools as GPT-2 — ft-tokenize (the model's own tokenizer.json), ft-train
# with LoRA on the family's default targets (q_proj, v_proj, as PEFT's
# LoraConfig without target_modules), ft-merge-lora, ft-generate:
#
#   ft-tokenize -m llama --block-size 64 -o news.ft news.jsonl
#   ft-train --model llama --task causal-lm --lora-r 8 --lora-alpha 16 --output-dir lora news.ft
#   ft-merge-lora --base llama --adapter lora --output-dir merged
#   ft-generate --model merged --max-new-tokens 12 prompts.jsonl
#
# MODEL=dir uses yours.  Without one, as no pretrained weights can be
# downloaded here, a small Llama with the real Llama 3 tokenizer (128,256
# ids; the files that scripts/npm-oracles installs as test data, or
# TOKENIZER=dir) is trained briefly from scratch on the fortunes first
# (small_llama, shared with export-llamacpp.sh).
#
# Prints one JSON line: the model_type, LoRA's target modules and trainable
# parameters, the held-out loss of the base and of the merged model, and per
# prompt the greedy continuation of the base and of the adapted model
# (adapter unmerged), and whether the merged model continues it the same way.
# Environment: MODEL (empty: train one), TOKENIZER, HIDDEN_SIZE (64),
# NUM_LAYERS (2), PRETRAIN_STEPS (100), LORA_STEPS (60), BLOCK (64),
# ROWS (1000) of ag_news, OUT (out/examples/llama-lora), THREADS.
. "$(dirname "$0")/common.sh"
NEWS=$shared/data/tasks/ag_news/ag_news.csv
MODEL=${MODEL:-} HIDDEN_SIZE=${HIDDEN_SIZE:-64} NUM_LAYERS=${NUM_LAYERS:-2}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-100} LORA_STEPS=${LORA_STEPS:-60} BLOCK=${BLOCK:-64} ROWS=${ROWS:-1000}

T="--task causal-lm --threads $THREADS --quiet --save-strategy no --logging-steps 1000 --per-device-train-batch-size 8"

if [ -z "$MODEL" ]; then MODEL=$OUT/base; small_llama "$MODEL"; fi

# sports news (ag_news label 1): the first rows to train on, the last 50 held out
ft-cat "$NEWS" | jq -c 'select((.label | tostring) == "1") | {text}' | head -n "$ROWS" > "$OUT/news.jsonl"
head -n -50 "$OUT/news.jsonl" | ft-tokenize -m "$MODEL" --block-size "$BLOCK" -o "$OUT/train.ft"
tail -n 50 "$OUT/news.jsonl" | ft-tokenize -m "$MODEL" --block-size "$BLOCK" -o "$OUT/test.ft"

ft-train --model "$MODEL" --lora-r 8 --lora-alpha 16 --output-dir "$OUT/lora" --max-steps "$LORA_STEPS" \
    --learning-rate 2e-3 $T "$OUT/train.ft" > /dev/null 2> "$OUT/lora.err"
ft-merge-lora --base "$MODEL" --adapter "$OUT/lora" --output-dir "$OUT/merged" 2> /dev/null
ft-eval --model "$MODEL" --task causal-lm --threads "$THREADS" "$OUT/test.ft" > "$OUT/eval-base.json"
ft-eval --model "$OUT/merged" --task causal-lm --threads "$THREADS" "$OUT/test.ft" > "$OUT/eval-merged.json"

printf '%s\n' '{"text": "The team won"}' '{"text": "In the second half,"}' > "$OUT/prompts.jsonl"
G="--max-new-tokens 12 --repetition-penalty 1.3 --threads $THREADS"
ft-generate --model "$MODEL" $G "$OUT/prompts.jsonl" > "$OUT/gen-base.jsonl"
ft-generate --model "$MODEL" --adapter "$OUT/lora" $G "$OUT/prompts.jsonl" > "$OUT/gen-adapter.jsonl"
ft-generate --model "$OUT/merged" $G "$OUT/prompts.jsonl" > "$OUT/gen-merged.jsonl"
jq -n -c --slurpfile cfg "$MODEL/config.json" --slurpfile ac "$OUT/lora/adapter_config.json" \
    --arg t "$(grep '^trainable params' "$OUT/lora.err")" \
    --slurpfile eb "$OUT/eval-base.json" --slurpfile em "$OUT/eval-merged.json" \
    --slurpfile p "$OUT/prompts.jsonl" --slurpfile b "$OUT/gen-base.jsonl" \
    --slurpfile a "$OUT/gen-adapter.jsonl" --slurpfile m "$OUT/gen-merged.jsonl" '{
    model_type: $cfg[0].model_type, target_modules: $ac[0].target_modules,
    trainable_params: ($t | capture("trainable params: (?<x>[0-9,]+)").x | gsub(",";"") | tonumber),
    eval_loss_base: $eb[0].eval_loss, eval_loss_merged: $em[0].eval_loss,
    generations: [range(0; $p | length) as $i | {prompt: $p[$i].text, base: $b[$i].generated_text,
        adapted: $a[$i].generated_text, merged_same: ($m[$i].generated_ids == $a[$i].generated_ids)}]}'
