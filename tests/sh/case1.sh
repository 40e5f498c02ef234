# Case 1 end to end on a few hundred real rows with the default small BERT:
# the pipeline runs, loss falls, accuracy beats chance (20%) clearly; then the
# same with its masked-LM pretraining step.
. "$FT_ROOT/tests/lib.sh"
MED=$SHARED/data/medical
head -401 "$MED/medical_texts.csv" > "$TMP/small.csv"
DATA=$TMP/small.csv LABELS=$MED/labels.txt OUT=$TMP/c1 EPOCHS=6 WARMUP_STEPS=10 MAX_LENGTH=64 \
    PRETRAIN_EPOCHS=0 "$FT_ROOT/pipelines/case1-text-classification.sh" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
check case1_runs [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$TMP/err.txt"
check case1_last_line_json sh -c 'tail -1 "$1" | jq -e .eval_accuracy > /dev/null' _ "$TMP/out.txt"
first=$(jq -r 'select(.loss) | .loss' "$TMP/c1/train_log.jsonl" | head -1)
last=$(jq -r 'select(.loss) | .loss' "$TMP/c1/train_log.jsonl" | tail -1)
check case1_loss_falls $PY -c "import sys; sys.exit(not ($last < 0.7 * $first))"
acc=$(tail -1 "$TMP/out.txt" | jq .eval_accuracy)
echo "  accuracy $acc, loss $first -> $last"
check case1_beats_chance $PY -c "import sys; sys.exit(not ($acc > 0.5))"
check case1_model_dir sh -c '[ -s "$1/config.json" ] && [ -s "$1/model.safetensors" ] && [ -s "$1/vocab.txt" ]' _ "$TMP/c1/model"
check case1_predictions [ "$(wc -l < "$TMP/c1/predictions.jsonl")" -eq 80 ]
expect_fail case1_missing_data 'nope.csv: not readable' env DATA=/nope.csv "$FT_ROOT/pipelines/case1-text-classification.sh"

# with masked-LM pretraining first (the from-scratch default, here with a
# token budget of two epochs): the pipeline pretrains a BertForMaskedLM on the
# training texts, then fine-tunes the classifier from it
DATA=$TMP/small.csv LABELS=$MED/labels.txt OUT=$TMP/c1p EPOCHS=2 WARMUP_STEPS=10 MAX_LENGTH=64 \
    PRETRAIN_TOKENS=30000 "$FT_ROOT/pipelines/case1-text-classification.sh" > "$TMP/outp.txt" 2> "$TMP/errp.txt"
rc=$?
check case1_pretrain_runs [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$TMP/errp.txt"
check case1_pretrain_epochs_from_budget grep -q "masked-LM pretraining: 2 epochs over" "$TMP/errp.txt"
check case1_pretrain_mlm_model jq_true '.architectures == ["BertForMaskedLM"]' "$TMP/c1p/mlm/config.json"
check case1_pretrain_mlm_log jq_true -s 'map(select(.loss)) | length == 2' "$TMP/c1p/mlm_log.jsonl"
check case1_pretrain_fine_tuned_from_it sh -c 'grep -q "not used when initializing BertForSequenceClassification" "$1" &&
    grep -q "^ft-train: Some weights.*at .*/c1p/mlm" "$1"' _ "$TMP/errp.txt"
check case1_pretrain_only_train_texts sh -c '[ "$(ft-cat "$1" | wc -l)" -eq 320 ]' _ "$TMP/c1p/pretrain.tok"
