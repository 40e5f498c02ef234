# Token ids mean something only to the tokenizer that made them: ft-train and
# ft-eval compare the stream header's tokenizer with the model directory's
# (docs/stream-format.md) and refuse another one unless told
# --allow-tokenizer-mismatch.  Also the tokenize -> train path as one pipe.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
for m in bert-base-chinese gpt2; do
    [ -d "$SHARED/models/$m" ] || { skip "tokcheck (no $SHARED/models/$m)"; exit 0; }
done
# two tiny BERTs that differ only in their tokenizer files ("my model" has
# spaces in its name: every path below is quoted)
mkdir "my model" other
for d in "my model" other; do
    cat > "$d/config.json" <<'J'
{"architectures":["BertForSequenceClassification"],"model_type":"bert","vocab_size":50257,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"hidden_act":"gelu","hidden_dropout_prob":0.0,"attention_probs_dropout_prob":0.0,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0,"num_labels":2}
J
done
cp "$SHARED/models/bert-base-chinese/vocab.txt" "$SHARED/models/bert-base-chinese/tokenizer_config.json" "my model/"
cp "$SHARED/models/gpt2/vocab.json" "$SHARED/models/gpt2/merges.txt" other/
for i in 0 1 2 3 4 5 6 7; do echo "{\"text\":\"例子 $i 好\",\"label\":$((i % 2))}"; done > "my data.jsonl"
ft-tokenize --model "my model" -o tok.ft "my data.jsonl"
ft-batch -b 4 -o batches.ft tok.ft
TRAIN="--from-scratch --num-labels 2 --max-steps 2 --per-device-train-batch-size 4 --save-strategy no --quiet"

expect_fail train_refuses_other_tokenizer "tok.ft: tokens made by the tokenizer WordPiece vocab.txt .* of my model, but other has BPE vocab.json+merges.txt" \
    ft-train --model other $TRAIN --output-dir out1 tok.ft
check train_refusal_writes_nothing [ ! -e out1/model.safetensors ]
expect_fail train_refuses_other_tokenizer_batches "batches.ft: tokens made by the tokenizer" \
    ft-train --model other $TRAIN --output-dir out1 batches.ft
ft-cat tok.ft > ids.jsonl          # token records without a header: nothing to check
expect_fail train_refuses_other_tokenizer_eval_data "tok.ft: tokens made by the tokenizer" \
    ft-train --model other $TRAIN --output-dir out1 --eval-data tok.ft ids.jsonl
expect_fail eval_refuses_other_tokenizer "tok.ft: .*--allow-tokenizer-mismatch if this is deliberate" \
    ft-eval --model other tok.ft
ft-train --model other $TRAIN --allow-tokenizer-mismatch --output-dir out2 tok.ft > /dev/null 2> err.txt
check train_allow_tokenizer_mismatch sh -c '[ -s out2/model.safetensors ] && grep -q "allowed by --allow-tokenizer-mismatch" err.txt'
check eval_allow_tokenizer_mismatch sh -c 'ft-eval --model other --allow-tokenizer-mismatch tok.ft 2>/dev/null | jq -e .eval_loss > /dev/null'

# the same tokenizer passes, here as one pipeline (ft-train, last in the pipe,
# fails on a stream that ends early, so the pipe's status covers ft-tokenize)
ft-tokenize --model "my model" "my data.jsonl" | ft-train --model "my model" $TRAIN --output-dir "run dir" > /dev/null
check pipe_tokenize_train [ -s "run dir/model.safetensors" ]
check eval_same_tokenizer sh -c 'ft-eval --model "run dir" tok.ft | jq -e .eval_loss > /dev/null'
expect_fail pipe_refusal_names_stdin "stdin: tokens made by the tokenizer" \
    sh -c 'ft-tokenize --model "my model" "my data.jsonl" | ft-train --model other $0 --output-dir out3' "$TRAIN"
