#!/bin/sh
# ft-generate takes its defaults from the model's generation_config.json as
# HF's generate() does, and ends a row at any of several eos ids: a list in
# generation_config.json, in config.json or in --eos-token-id cuts greedy
# output exactly at the first listed id (kept, as EOS is); flags override the
# file; beam search ends hypotheses at any listed id; a bad file fails naming
# the file and key.  On a tiny random GPT-2 whose greedy output picks the ids.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
cat > config.json <<'J'
{"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"vocab_size":60,"n_embd":32,"n_layer":2,"n_head":4,"n_positions":64,"n_inner":64,"activation_function":"gelu_new","layer_norm_epsilon":1e-5,"initializer_range":0.3,"resid_pdrop":0.0,"embd_pdrop":0.0,"attn_pdrop":0.0,"bos_token_id":1,"eos_token_id":1}
J
printf '{"input_ids":[5,6,7,8]}\n{"input_ids":[9,10]}\n{"input_ids":[11,12,13]}\n{"input_ids":[20,30,40,50,21]}\n{"input_ids":[3]}\n' > p.jsonl
ft-train --model . --from-scratch --task causal-lm --output-dir m --max-steps 1 --save-strategy no --quiet \
    --per-device-train-batch-size 2 p.jsonl > /dev/null 2>&1
check gencfg_model_made test -f m/model.safetensors
G="ft-generate --model m --quiet p.jsonl"
ids() { jq -c .generated_ids "$@"; }
$G --max-new-tokens 12 --eos-token-id -1 | ids > base.txt

# A and B: ids of the eos-free greedy output such that some row meets B before
# A (it ends at the second id) and some row meets A first
$PY - base.txt > pick.txt <<'P'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def cut(r, ids):
    for i, t in enumerate(r):
        if t in ids: return r[:i + 1]
    return r
def first(r, ids):
    return next((t for t in r if t in ids), None)
toks = sorted({t for r in rows for t in r})
for a in toks:
    for b in toks:
        if a != b and any(first(r, {a, b}) == b for r in rows) and any(first(r, {a, b}) == a for r in rows):
            print(a, b)
            for ids in ({a}, {a, b}):
                print(";".join(json.dumps(cut(r, ids), separators=(",", ":")) for r in rows))
            sys.exit(0)
sys.exit(1)
P
read A B < pick.txt
check "gencfg_ids_picked ($A, $B)" [ -s pick.txt ]
sed -n 2p pick.txt | tr ';' '\n' > cut_a.txt
sed -n 3p pick.txt | tr ';' '\n' > cut_ab.txt
same() { cmp -s "$1" "$2" || { echo "  $1:"; cat "$1"; echo "  $2:"; cat "$2"; return 1; }; }

# (a) generation_config.json's eos list ends rows at either id
printf '{"eos_token_id": %s, "transformers_version": "4.53.0"}\n' "$A" > m/generation_config.json
$G --max-new-tokens 12 | ids > a1.txt
printf '{"eos_token_id": [%s, %s], "transformers_version": "4.53.0"}\n' "$A" "$B" > m/generation_config.json
$G --max-new-tokens 12 | ids > a2.txt
check gencfg_one_eos_cuts_at_it same a1.txt cut_a.txt
check gencfg_eos_list_cuts_at_first_listed same a2.txt cut_ab.txt
check gencfg_second_id_matters sh -c "! cmp -s a1.txt a2.txt"

# (b) the same list from --eos-token-id, and from config.json
rm m/generation_config.json
$G --max-new-tokens 12 --eos-token-id "$A,$B" | ids > b1.txt
check gencfg_flag_eos_list same b1.txt cut_ab.txt
$G --max-new-tokens 12 | ids > b0.txt
sed "s/\"eos_token_id\":1}/\"eos_token_id\":[$A,$B]}/" config.json > m/config.json
$G --max-new-tokens 12 | ids > b2.txt
check gencfg_config_json_eos_list same b2.txt cut_ab.txt
cp config.json m/config.json

# (c) the file's options are the defaults, a flag overrides each
printf '{"eos_token_id": [%s, %s], "max_new_tokens": 4, "do_sample": true, "top_k": 5, "temperature": 0.7}\n' \
    "$A" "$B" > m/generation_config.json
$G | ids > c1.txt
mv m/generation_config.json gc.json
$G --eos-token-id "$A,$B" --max-new-tokens 4 --do-sample --top-k 5 --temperature 0.7 | ids > c2.txt
check gencfg_file_gives_the_defaults same c1.txt c2.txt
$G --eos-token-id "$A,$B" --max-new-tokens 4 | ids > c0.txt
check gencfg_file_samples sh -c "! cmp -s c0.txt c1.txt"
mv gc.json m/generation_config.json
$G --eos-token-id -1 --max-new-tokens 12 --no-do-sample | ids > c3.txt
check gencfg_flags_override_the_file same c3.txt base.txt
$G --eos-token-id "$A" --max-new-tokens 12 --no-do-sample | ids > c4.txt
check gencfg_flag_eos_overrides_file_list same c4.txt cut_a.txt
# max_length counts the (padded) prompt, 5 tokens here; --max-new-tokens wins
printf '{"eos_token_id": null, "max_length": 9}\n' > m/generation_config.json
$G | ids > c5.txt
check gencfg_max_length jq_true -s 'length == 5 and all(length == 4)' c5.txt
$G --max-new-tokens 6 | ids > c6.txt
check gencfg_max_new_tokens_flag_wins jq_true -s 'length == 5 and all(length == 6)' c6.txt
# no eos in the file: none, though config.json has one (HF reads the file alone)
printf '{"bos_token_id": 1}\n' > m/generation_config.json
$G --max-new-tokens 12 | ids > c7.txt
check gencfg_file_without_eos_has_none same c7.txt base.txt

# beam search: a hypothesis ends at any listed id, whatever the list's order
printf '{"eos_token_id": [%s, %s], "num_beams": 3}\n' "$A" "$B" > m/generation_config.json
$G --max-new-tokens 12 | ids > d1.txt
$G --max-new-tokens 12 --eos-token-id "$B,$A" | ids > d2.txt
rm m/generation_config.json
$G --max-new-tokens 12 --num-beams 3 --eos-token-id "$A,$B" | ids > d3.txt
$G --max-new-tokens 12 --num-beams 3 --eos-token-id "$A" | ids > d4.txt
check gencfg_beam_file_list_is_flag_list same d1.txt d3.txt
check gencfg_beam_list_order_free same d1.txt d2.txt
check gencfg_beam_ids_only_at_the_end jq_true -s --argjson a "$A" --argjson b "$B" \
    'all(.[]; . as $r | [range(0; length - 1) | $r[.] | select(. == $a or . == $b)] | length == 0)' d1.txt
check gencfg_beam_second_id_ends_one jq_true -s --argjson b "$B" 'any(.[]; length > 0 and .[-1] == $b)' d1.txt
check gencfg_beam_second_id_matters sh -c "! cmp -s d1.txt d4.txt"

# (d) a bad file or flag: a message naming the file and key, no output
printf '{"eos_token_id": "x"}\n' > m/generation_config.json
expect_fail gencfg_bad_eos_named "m/generation_config.json: eos_token_id: must be" $G
check gencfg_bad_eos_no_output [ ! -s "$TMP/out" ]
printf '{"num_return_sequences": 2}\n' > m/generation_config.json
expect_fail gencfg_unsupported_key_named "generation_config.json: num_return_sequences: 2 is not supported" $G
printf '{"temperature": -1, "num_return_sequences": 1, "min_length": 0}\n' > m/generation_config.json
expect_fail gencfg_bad_number_named "generation_config.json: temperature: must be a number > 0" $G
printf '{' > m/generation_config.json
expect_fail gencfg_not_json_named "generation_config.json:1:" $G
rm m/generation_config.json
expect_fail gencfg_bad_flag_list "eos-token-id: '3,x'" $G --eos-token-id 3,x
