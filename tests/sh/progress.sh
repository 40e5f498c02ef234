# The progress bar (lib/progress): on a terminal, ft-train, ft-eval,
# ft-generate and ft-tokenize redraw one stderr line with a bar, the count,
# the rate and the ETA; with stderr not a terminal, or --quiet, nothing.
# The terminal is a pty made by script(1).
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
cat > bert.json <<'J'
{"architectures":["BertForSequenceClassification"],"model_type":"bert","vocab_size":100,"hidden_size":16,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":32,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
cat > gpt2.json <<'J'
{"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","vocab_size":100,"n_embd":16,"n_layer":1,"n_head":2,"n_positions":64,"activation_function":"gelu_new","layer_norm_epsilon":1e-5,"initializer_range":0.02,"bos_token_id":1,"eos_token_id":2,"resid_pdrop":0.0,"embd_pdrop":0.0,"attn_pdrop":0.0}
J
mkdir bert gpt2 && cp bert.json bert/config.json && cp gpt2.json gpt2/config.json
$PY - <<'P'
import json, random
r = random.Random(2)
with open('recs.jsonl', 'w') as o:
    for i in range(64):
        ids = [1] + [r.randrange(10, 99) for _ in range(r.randrange(4, 10))] + [2]
        o.write(json.dumps({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": i % 3}) + "\n")
with open('texts.jsonl', 'w') as o:
    for i in range(2500):
        o.write(json.dumps({"text": "line %d of a file long enough for a progress bar" % i}) + "\n")
P
# tty OUT CMD...: run CMD with stdin, stdout and stderr on a pty; OUT gets what it printed
# (a terminal 200 columns wide: the line is cut to the terminal's width)
tty() { out=$1; shift; script -qec "stty cols 200; $*" /dev/null > "$out" 2>&1 < /dev/null; }
# bar FILE UNIT: FILE holds a redrawn progress line with a bar, UNIT, a rate and an ETA
bar() { grep -aq "$(printf '\r\033\\[K')" "$1" && grep -aq "\[#*-*\] *[0-9]*%" "$1" &&
        grep -aq "[0-9] $2  ETA [0-9]*:[0-9][0-9]  [0-9.kMG]* $2/s" "$1"; }
clean() { ! grep -aq "$(printf '\033')" "$1" && ! grep -aq ETA "$1"; }

tty train.tty ft-train --model bert --from-scratch --num-labels 3 --output-dir bert --max-steps 8 \
    --per-device-train-batch-size 8 --save-strategy no recs.jsonl
check progress_train_tty sh -c 'grep -aq "tok/s" train.tty && grep -aq "epoch [0-9.]*" train.tty'
bar train.tty steps && ok progress_train_bar || fail progress_train_bar
ft-train --model bert --from-scratch --num-labels 3 --output-dir b2 --max-steps 2 --save-strategy no \
    recs.jsonl > /dev/null 2> train.err
check progress_train_not_a_tty clean train.err

tty eval.tty ft-eval --model bert --batch-size 4 recs.jsonl
bar eval.tty records && ok progress_eval_bar || fail progress_eval_bar
check progress_eval_output_intact grep -aq '"eval_loss"' eval.tty
ft-eval --model bert recs.jsonl > eval.json 2> eval.err
check progress_eval_not_a_tty clean eval.err
tty evalq.tty ft-eval --quiet --model bert recs.jsonl
check progress_eval_quiet clean evalq.tty

ft-train --model gpt2 --from-scratch --task causal-lm --output-dir gpt2 --max-steps 1 --save-strategy no \
    --quiet recs.jsonl > /dev/null 2>&1
tty gen.tty ft-generate --model gpt2 --batch-size 4 --max-new-tokens 2 -o gen.jsonl recs.jsonl
bar gen.tty records && ok progress_generate_bar || fail progress_generate_bar
check progress_generate_output_intact sh -c '[ "$(wc -l < gen.jsonl)" = 64 ]'
ft-generate --model gpt2 --max-new-tokens 2 recs.jsonl > /dev/null 2> gen.err
check progress_generate_not_a_tty clean gen.err

# ft-tokenize: the bar's share is of the input file read
tty tok.tty ft-tokenize --model "$SHARED/models/gpt2" -o texts.tok texts.jsonl
bar tok.tty records && ok progress_tokenize_bar || fail progress_tokenize_bar
ft-tokenize --model "$SHARED/models/gpt2" -o texts2.tok texts.jsonl 2> tok.err
check progress_tokenize_not_a_tty clean tok.err
# from a pipe the size is unknown: a count and a rate, no bar and no ETA
tty tokp.tty "cat texts.jsonl | ft-tokenize --model $SHARED/models/gpt2 -o texts3.tok"
check progress_tokenize_pipe sh -c 'grep -aq " records/s" tokp.tty && ! grep -aq ETA tokp.tty'
