# Token ids mean something only to the tokenizer that made them: ft-train
# (training, --eval-data and --replay files), ft-eval and ft-generate compare
# the stream header's tokenizer with the model directory's
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

# --replay's old-task records are checked like the training data
expect_fail train_refuses_other_tokenizer_replay "tok.ft: tokens made by the tokenizer .*, but other has" \
    ft-train --model other $TRAIN --output-dir out4 --replay tok.ft ids.jsonl
check train_replay_refusal_writes_nothing [ ! -e out4/model.safetensors ]
ft-train --model "my model" $TRAIN --output-dir out5 --replay tok.ft ids.jsonl > /dev/null
check train_replay_same_tokenizer [ -s out5/model.safetensors ]

# ft-generate checks a token stream's tokenizer before generating from its input_ids
mkdir gen
cat > gen/config.json <<'J'
{"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","vocab_size":50257,"n_embd":8,"n_layer":1,"n_head":2,"n_positions":64,"activation_function":"gelu_new","layer_norm_epsilon":1e-5,"initializer_range":0.02,"bos_token_id":50256,"eos_token_id":50256,"resid_pdrop":0.0,"embd_pdrop":0.0,"attn_pdrop":0.0}
J
ft-train --model gen --from-scratch --task causal-lm --output-dir gen --max-steps 1 --save-strategy no \
    --quiet ids.jsonl > /dev/null
cp "$SHARED/models/gpt2/vocab.json" "$SHARED/models/gpt2/merges.txt" gen/
GEN="--max-new-tokens 2 --quiet"
expect_fail generate_refuses_other_tokenizer "tok.ft: tokens made by the tokenizer WordPiece .*, but gen has BPE" \
    ft-generate --model gen $GEN -o gen1.jsonl tok.ft
check generate_refusal_writes_nothing [ ! -e gen1.jsonl ]
ft-generate --model gen $GEN --allow-tokenizer-mismatch -o gen2.jsonl tok.ft 2> gen2.err
check generate_allow_tokenizer_mismatch sh -c '[ "$(wc -l < gen2.jsonl)" = 8 ] && grep -q "allowed by --allow-tokenizer-mismatch" gen2.err'
ft-tokenize --model gen -o gen.ft "my data.jsonl"
check generate_same_tokenizer sh -c 'ft-generate --model gen $0 gen.ft | jq -s -e "length == 8" > /dev/null' "$GEN"
