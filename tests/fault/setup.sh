# Sourced by the fault tests: a tiny BERT classifier's config.json and 240
# token records (train.jsonl; val.jsonl its first 8) in the current dir.
cat > config.json <<'J'
{"architectures":["BertForMaskedLM"],"model_type":"bert","vocab_size":100,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":64,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12,"initializer_range":0.02,"pad_token_id":0}
J
/usr/bin/python3 - <<'P'
import json, random
r = random.Random(0)
with open('train.jsonl', 'w') as o:
    for i in range(240):
        lab = r.randrange(3)
        ids = [1] + [r.randrange(10, 99) for _ in range(r.randrange(5, 20))] + [2]
        o.write(json.dumps({"input_ids": ids, "attention_mask": [1] * len(ids),
                            "token_type_ids": [0] * len(ids), "labels": lab}) + "\n")
P
head -8 train.jsonl > val.jsonl
