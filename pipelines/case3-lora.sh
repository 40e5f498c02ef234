#!/bin/bash
# Case 3 — LoRA domain adaptation of GPT-2 (or a Llama-family model), as this
# Python would do it:
#
#   tok = AutoTokenizer.from_pretrained("gpt2")
#   lm = lambda ds: ds.map(tokenize, batched=True).map(group_texts, batched=True)  # run_clm
#   model = AutoModelForCausalLM.from_pretrained("gpt2")
#   model = get_peft_model(model, LoraConfig(r=8, lora_alpha=32, lora_dropout=0.1,
#                          target_modules=["c_attn", "c_proj"], task_type="CAUSAL_LM"))
#   model.print_trainable_parameters()
#   Trainer(model, args, train_dataset=lm(domain_train)).train(); model.save_pretrained(out)
#   merged = model.merge_and_unload(); merged.save_pretrained(out + "/merged")
#   perplexity = exp(Trainer(merged).evaluate(lm(domain_test))["eval_loss"])
#
# No pretrained GPT-2 can be downloaded here, so by default a small GPT-2 with
# the real gpt2 vocabulary is first trained from scratch on a general English
# corpus a Debian package installs (the `fortunes` package), then adapted with
# LoRA to another domain (English news, ag_news); MODEL=/path/to/gpt2 uses a
# real checkpoint instead and skips that step.  MODEL may also be a Llama,
# Mistral, Qwen2 or Qwen3 directory (config.json, safetensors, tokenizer
# files); LoRA then targets what PEFT's LoraConfig without target_modules
# does for that model_type (q_proj, v_proj), unless TARGETS says otherwise.
#
# Inputs (environment, with defaults):
#   MODEL      a GPT-2 or Llama-family directory to adapt; empty: pretrain a small
#              GPT-2 on GENERAL
#   TARGETS    LoRA's target modules (c_attn,c_proj for GPT-2; empty for any other
#              model_type: the family's default, ft-train without --target-modules;
#              MODEL a hub name: c_attn,c_proj unless TARGETS is set)
#   TOKENIZER  tokenizer files for that small GPT-2  (../shared/models/gpt2)
#   GENERAL    fortune files, general English        (/usr/share/games/fortunes)
#   DOMAIN     CSV with a text column, the new domain (../shared/data/tasks/ag_news/ag_news.csv)
#   HELDOUT    rows of DOMAIN held out for perplexity (200, the last ones)
#   OUT        where everything goes                  (out/case3)
#   BLOCK (128)  PRETRAIN_STEPS (300)  LORA_STEPS (150)  BATCH (8)  LORA_LR (2e-3)
#   LAYERS (4)  WIDTH (128)  SEED (42)  THREADS (all)
# The last line of stdout is one JSON object: perplexity before and after,
# trainable parameters, and a few generations.
set -euo pipefail
. "$(dirname "$0")/env.sh"

MODEL=${MODEL:-}
TOKENIZER=${TOKENIZER:-$shared/models/gpt2}
GENERAL=${GENERAL:-/usr/share/games/fortunes}
DOMAIN=${DOMAIN:-$shared/data/tasks/ag_news/ag_news.csv}
HELDOUT=${HELDOUT:-200}
OUT=${OUT:-out/case3}
BLOCK=${BLOCK:-128} PRETRAIN_STEPS=${PRETRAIN_STEPS:-300} LORA_STEPS=${LORA_STEPS:-150}
BATCH=${BATCH:-8} LORA_LR=${LORA_LR:-2e-3} LAYERS=${LAYERS:-4} WIDTH=${WIDTH:-128}
SEED=${SEED:-42} THREADS=${THREADS:-$(nproc)}
mkdir -p "$OUT"
log() { echo "case3: $*" >&2; }

# 1. the base model: given, or a small GPT-2 pretrained on general English
if [ -z "$MODEL" ]; then
    [ -d "$GENERAL" ] || { echo "case3: $GENERAL missing: apt-get install fortunes" >&2; exit 1; }
    # every English fortune file, one record per fortune (they end at a "%" line)
    for f in "$GENERAL"/*; do
        case $f in *.dat|*.u8|*/chinese|*/song100|*/tang300|*/ascii-art|*/art) continue ;; esac
        if [ -f "$f" ]; then cat "$f"; printf '%%\n'; fi
    done | jq -R -s -c 'split("\n%\n")[] | select(length > 0) | {text: .}' > "$OUT/general.jsonl"
    mkdir -p "$OUT/base-init"
    for f in tokenizer.json tokenizer_config.json vocab.json merges.txt; do
        if [ -f "$TOKENIZER/$f" ]; then cp "$TOKENIZER/$f" "$OUT/base-init/"; fi
    done
    jq --argjson L "$LAYERS" --argjson C "$WIDTH" --argjson P "$BLOCK" \
       '.n_layer = $L | .n_embd = $C | .n_head = ($C / 32 | floor) | .n_positions = $P | .n_ctx = $P' \
       "$TOKENIZER/config.json" > "$OUT/base-init/config.json"
    log "pretraining a ${LAYERS}-layer, ${WIDTH}-wide GPT-2 on $(wc -l < "$OUT/general.jsonl") fortunes"
    ft-tokenize -m "$TOKENIZER" --block-size "$BLOCK" "$OUT/general.jsonl" |
    ft-train --model "$OUT/base-init" --from-scratch --task causal-lm --output-dir "$OUT/base" \
        --max-steps "$PRETRAIN_STEPS" --per-device-train-batch-size "$BATCH" --learning-rate 1e-3 \
        --warmup-steps 30 --weight-decay 0.01 --save-strategy no --logging-steps 50 \
        --seed "$SEED" --threads "$THREADS" --quiet > "$OUT/pretrain.log"
    MODEL=$OUT/base
fi
# GPT-2's targets are the Python's above; other families keep PEFT's default.
# A hub name or cache path (no config.json right there) keeps GPT-2's, as
# this script always did; TARGETS= (set, empty) gives a Llama there its default.
model_type=gpt2
if [ -f "$MODEL/config.json" ]; then model_type=$(jq -r '.model_type // ""' "$MODEL/config.json"); fi
if [ "$model_type" = gpt2 ]; then TARGETS=${TARGETS-c_attn,c_proj}; else TARGETS=${TARGETS-}; fi

# 2. the new domain: held-out rows at the end, both cut into blocks
n=$(($(wc -l < "$DOMAIN") - 1))
head -n $((n - HELDOUT + 1)) "$DOMAIN" > "$OUT/domain-train.csv"
{ head -n 1 "$DOMAIN"; tail -n "$HELDOUT" "$DOMAIN"; } > "$OUT/domain-test.csv"
ft-tokenize -m "$MODEL" --block-size "$BLOCK" -o "$OUT/domain-train.ft" "$OUT/domain-train.csv"
ft-tokenize -m "$MODEL" --block-size "$BLOCK" -o "$OUT/domain-test.ft" "$OUT/domain-test.csv"
ft-eval --model "$MODEL" --task causal-lm --threads "$THREADS" "$OUT/domain-test.ft" > "$OUT/eval-before.json"

# 3. LoRA on the new domain, merged into a plain checkpoint
ft-train --model "$MODEL" --task causal-lm --lora-r 8 --lora-alpha 32 --lora-dropout 0.1 \
    ${TARGETS:+--target-modules "$TARGETS"} --output-dir "$OUT/lora" --max-steps "$LORA_STEPS" \
    --per-device-train-batch-size "$BATCH" --learning-rate "$LORA_LR" --warmup-steps 10 \
    --save-strategy no --logging-steps 50 --seed "$SEED" --threads "$THREADS" --quiet \
    "$OUT/domain-train.ft" > "$OUT/lora.log" 2> "$OUT/lora.err"
trainable=$(grep '^trainable params' "$OUT/lora.err")
log "$trainable"
ft-merge-lora --base "$MODEL" --adapter "$OUT/lora" --output-dir "$OUT/merged" 2> /dev/null
ft-eval --model "$OUT/merged" --task causal-lm --threads "$THREADS" "$OUT/domain-test.ft" > "$OUT/eval-after.json"

# 4. a few generations from the adapted model (greedy) and the base
printf '%s\n' '{"text": "Stocks fell on Wall Street"}' '{"text": "The president said"}' \
    '{"text": "Scientists have found"}' > "$OUT/prompts.jsonl"
ft-generate --model "$OUT/merged" --max-new-tokens 24 --repetition-penalty 1.3 --threads "$THREADS" \
    "$OUT/prompts.jsonl" > "$OUT/gen-after.jsonl"
ft-generate --model "$MODEL" --max-new-tokens 24 --repetition-penalty 1.3 --threads "$THREADS" \
    "$OUT/prompts.jsonl" > "$OUT/gen-before.jsonl"

jq -n -c --slurpfile b "$OUT/eval-before.json" --slurpfile a "$OUT/eval-after.json" \
    --slurpfile p "$OUT/prompts.jsonl" --slurpfile gb "$OUT/gen-before.jsonl" \
    --slurpfile ga "$OUT/gen-after.jsonl" --arg t "$trainable" --arg m "$MODEL" '{
    case: "case3-lora", base_model: $m,
    perplexity_before: $b[0].eval_perplexity, perplexity_after: $a[0].eval_perplexity,
    eval_loss_before: $b[0].eval_loss, eval_loss_after: $a[0].eval_loss,
    trainable_params: ($t | capture("trainable params: (?<x>[0-9,]+)").x | gsub(",";"") | tonumber),
    all_params: ($t | capture("all params: (?<x>[0-9,]+)").x | gsub(",";"") | tonumber),
    trainable_percent: ($t | capture("trainable%: (?<x>[0-9.]+)").x | tonumber),
    generations: [range(0; $p | length) as $i |
        {prompt: $p[$i].text, before: $gb[$i].generated_text, after: $ga[$i].generated_text}]}'
