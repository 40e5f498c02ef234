# Packing (docs/packing.md): ft-batch --packing lays examples end to end with
# position and segment ids; training on packed rows follows the same loss
# curve as the same examples padded (GPT-2 and Llama); an example longer than
# a row is cut and counted; ft-train --packing resumes bit for bit.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
mkdir gpt2 llama
cat > gpt2/config.json <<'J'
{"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","vocab_size":64,"n_embd":16,"n_layer":2,"n_head":2,
 "n_positions":32,"activation_function":"gelu_new","layer_norm_epsilon":1e-5,"initializer_range":0.2,
 "resid_pdrop":0,"embd_pdrop":0,"attn_pdrop":0,"eos_token_id":2}
J
cat > llama/config.json <<'J'
{"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":64,"hidden_size":16,"intermediate_size":32,
 "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":64,
 "rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":false,"initializer_range":0.2,"eos_token_id":2}
J
# pairs of examples of 16 tokens together: next-fit packing into rows of 16
# puts each pair in one row, so batches of 1 packed row hold the examples of
# batches of 2 padded ones, in the same order
$PY - <<'P'
import json, random
r = random.Random(1)
with open('pairs.jsonl', 'w') as o:
    for i in range(12):
        a = r.randrange(3, 14)
        for n in (a, 16 - a):
            ids = [1] + [r.randrange(3, 64) for _ in range(n - 1)]
            o.write(json.dumps({"input_ids": ids}) + "\n")
with open('long.jsonl', 'w') as o:
    for n in (5, 40, 9, 23):
        o.write(json.dumps({"input_ids": [1] + [r.randrange(3, 64) for _ in range(n - 1)]}) + "\n")
P

# the batch stream: position ids restart, segments count examples, nothing crosses
ft-batch --packing --max-length 16 -b 1 -o packed.ft pairs.jsonl
ft-batch -b 2 -o padded.ft pairs.jsonl
check pack_header jq_true '.ft_header | .packing == {"max_length": 16, "rows": 12, "truncated": 0} and .steps_per_epoch == 12' \
    "$(ft-cat --header packed.ft | head -1 > h.json; echo h.json)"
ft-cat packed.ft | head -1 > b0.json
check pack_positions_restart jq_true '(.segment_ids[0] | index(1)) as $k | .position_ids[0][$k] == 0 and .position_ids[0][0] == 0
    and (.position_ids[0] | length) == 16' b0.json
check pack_no_padding jq_true '[.attention_mask[][]] | all(. == 1)' b0.json
ft-cat packed.ft > packed.jsonl
# a header that carries ft-tokenize's tokenizer too stays a readable stream
printf '{"text": "The packed rows."}\n{"text": "A second, longer example of text."}\n' > t.jsonl
ft-tokenize -m "$SHARED/models/gpt2" -o t.ft t.jsonl
ft-batch --packing --max-length 32 -o tp.ft t.ft
check pack_tokenized_header sh -c '[ "$(ft-cat tp.ft | jq -c ".segment_ids[0] | max")" = 1 ]'
check pack_old_reader_ok sh -c 'ft-cat padded.ft | jq -e "has(\"position_ids\") | not" > /dev/null'

# the same loss curve, padded or packed, for both families
for fam in gpt2 llama; do
    T="--model $fam --from-scratch --task causal-lm --learning-rate 3e-3 --logging-steps 1 --save-strategy no --quiet --seed 5"
    ft-train $T --output-dir p_$fam packed.ft > pk_$fam.log 2> pk_$fam.err
    ft-train $T --output-dir d_$fam padded.ft > pd_$fam.log 2> pd_$fam.err
    check "${fam}_packed_curve_equals_padded" $PY -c "
import json, sys
a = [json.loads(l)['loss'] for l in open('pk_$fam.log') if 'loss' in json.loads(l)]
b = [json.loads(l)['loss'] for l in open('pd_$fam.log') if 'loss' in json.loads(l)]
ok = len(a) == len(b) == 12 and all(abs(x - y) <= 1e-4 * abs(y) for x, y in zip(a, b))
print('  $fam losses packed', [round(x, 5) for x in a], 'padded', [round(y, 5) for y in b])
sys.exit(not ok)"
done

# longer than a row: cut to it, counted on stderr; every example kept
ft-batch --packing --max-length 16 -b 8 -o long.ft long.jsonl 2> long.err
check pack_truncation_counted grep -q '2 examples longer than --max-length 16 cut to it (31 tokens dropped)' long.err
check pack_truncation_kept jq_true '.ft_header.packing.truncated == 2' "$(ft-cat --header long.ft | head -1 > lh.json; echo lh.json)"
check pack_truncated_rows sh -c '[ "$(ft-cat long.ft | jq -c "[.segment_ids[] | max + 1] | add")" = 4 ]'
expect_fail pack_needs_max_length 'needs --max-length' ft-batch --packing pairs.jsonl
expect_fail pack_class_labels 'class labels' sh -c 'echo "{\"input_ids\":[1,2],\"labels\":1}" | ft-batch --packing --max-length 8'
mkdir bert && (cd bert && tiny_bert_task)
expect_fail pack_not_causal 'causal language model' ft-train --model bert --from-scratch --num-labels 2 --output-dir x \
    --quiet packed.ft

# ft-train --packing: packs itself, shuffles rows per epoch, resumes bit for bit
R="--model llama --from-scratch --task causal-lm --packing --max-length 24 --per-device-train-batch-size 2
   --num-train-epochs 3 --learning-rate 3e-3 --warmup-steps 2 --save-strategy epoch --gradient-accumulation-steps 2 --quiet"
ft-train $R --output-dir r1 pairs.jsonl > /dev/null 2> r1.err
check train_packing_runs sh -c '[ -s r1/model.safetensors ] && grep -q "packed into rows of 24 tokens" r1.err'
ck=$(ls -d r1/checkpoint-* | sort -t- -k2 -n | head -1)
mkdir r2 && cp -r "$ck" r2/
ft-train $R --output-dir r2 --resume-from-checkpoint "r2/${ck#r1/}" pairs.jsonl > /dev/null 2>&1
check train_packing_resume_bit_exact cmp -s r1/model.safetensors r2/model.safetensors
ft-train $R --output-dir r3 long.jsonl > /dev/null 2> r3.err
check train_packing_truncation_counted grep -q '1 example longer than --max-length 24 cut to it' r3.err
