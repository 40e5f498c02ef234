#!/bin/sh
# Token shards for many machines (docs/distributed.md): a CSV cut in shards,
# tokenized in parallel (xargs -P), trains as the whole file does — ft-train
# takes several token files as one data set, in the order given.
. "$FT_ROOT/tests/lib.sh"
BERT=$SHARED/models/bert-base-chinese
MED=$SHARED/data/medical/medical_texts.csv
if [ ! -e "$MED" ] || [ ! -e "$BERT/vocab.txt" ]; then skip "shards (no shared data)"; exit 0; fi
cd "$TMP"
mkdir m
for f in "$BERT"/*; do case $f in *.safetensors|*/config.json) ;; *) ln -s "$f" m/ ;; esac; done
cat > m/config.json <<'J'
{"architectures":["BertForSequenceClassification"],"model_type":"bert","vocab_size":21128,"hidden_size":16,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":32,"hidden_act":"gelu","hidden_dropout_prob":0.0,"attention_probs_dropout_prob":0.0,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
# 60 records in 3 CSV shards, each with the header (records span lines: cut by the csv module)
$PY - "$MED" <<'P'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, body = rows[0], rows[1:61]
for name, part in (('all.csv', body), ('s0.csv', body[:20]), ('s1.csv', body[20:40]), ('s2.csv', body[40:])):
    with open(name, 'w', newline='') as f:
        w = csv.writer(f); w.writerow(head); w.writerows(part)
P
ft-tokenize -m m --max-length 32 -o all.ft all.csv
printf 's0\ns1\ns2\n' | xargs -P 3 -I{} ft-tokenize -m m --max-length 32 -j 1 -o {}.ft {}.csv
check shards_tokenized_apart_hold_the_records sh -c '[ $(cat s0.ft s1.ft s2.ft | wc -c) -gt 0 ] &&
    [ "$(for s in s0 s1 s2; do ft-cat $s.ft; done | jq -c .input_ids | md5sum)" = "$(ft-cat all.ft | jq -c .input_ids | md5sum)" ]'
C="--model m --from-scratch --num-labels 10 --quiet --threads 1 --max-steps 4 --per-device-train-batch-size 8 --save-strategy no"
ft-train $C --output-dir whole all.ft > /dev/null 2>&1
ft-train $C --output-dir parts s0.ft s1.ft s2.ft > /dev/null 2>&1
check shards_train_as_one_data_set cmp -s whole/model.safetensors parts/model.safetensors
ft-batch -b 4 -o b.ft s0.ft
expect_fail shards_are_token_records 'b.ft: expected token records, got a stream of batches' \
    ft-train $C --output-dir x s0.ft b.ft
expect_fail shards_not_after_batches 's0.ft: several training files must all be token records' \
    ft-train $C --output-dir x b.ft s0.ft
