# ft-tokenize: columns, labels, pairs, seq2seq targets, bad input, the cache,
# threads, decode.  Exact ids are tests/ref/tokenizer_parity.sh's job; here
# the ids are checked against values that parity test has established.
. "$FT_ROOT/tests/lib.sh"
BERT=$SHARED/models/bert-base-chinese
GPT2=$SHARED/models/gpt2
CT5=$SHARED/models/codet5-base
MED=$SHARED/data/medical/medical_texts.csv
cd "$TMP"

printf 'text,label,q\n你好，世界!,消化科,一二\n"Hello, 中文",神经科,三\n' > small.csv
printf '肝病科\n消化科\n神经科\n' > labels.txt

ft-tokenize -m "$BERT" --labels labels.txt -o small.jsonl small.csv
check encode_ids sh -c '[ "$(jq -c .input_ids small.jsonl | head -1)" = "[101,872,1962,8024,686,4518,106,102]" ]'
check label_names_mapped sh -c '[ "$(jq -c .labels small.jsonl | tr -d "\n")" = "12" ]'
check bert_has_token_type_ids sh -c '[ "$(jq -c .token_type_ids small.jsonl | head -1)" = "[0,0,0,0,0,0,0,0]" ]'
check stream_header_tokenizer sh -c 'ft-tokenize -m "$1" --labels labels.txt small.csv | ft-cat --header | head -1 | jq -e ".ft_header.kind == \"tokens\" and .ft_header.tokenizer.pad_token_id == 0" > /dev/null' _ "$BERT"

printf 'text,label\na,外科\n' > unknown.csv
expect_fail unknown_label_named 'unknown.csv:2: label "外科" is not in labels.txt' ft-tokenize -m "$BERT" --labels labels.txt unknown.csv
expect_fail label_name_without_labels_file 'is not an integer' ft-tokenize -m "$BERT" small.csv
expect_fail missing_column 'column "body" missing' ft-tokenize -m "$BERT" --text-column body --label-column q small.csv
expect_fail no_model_files 'no tokenizer.json, vocab.txt, vocab.json+merges.txt or spiece.model' ft-tokenize -m "$TMP" small.csv
mkdir badtok && printf '{"model":{"type":"BPE","vocab":{"a":0},"merges":["a b"]}}' > badtok/tokenizer.json
expect_fail bad_merges_named 'badtok/tokenizer.json: model.merges\[0\]' ft-tokenize -m badtok small.csv
check bad_model_leaves_no_output sh -c '! ft-tokenize -m badtok -o never.ft small.csv 2>/dev/null && ! ls never.ft* 2>/dev/null'

# invalid UTF-8: an error naming the record, or U+FFFD with --errors replace
printf 'text\nok\nbad \377 byte\n' > bad.csv
expect_fail invalid_utf8_named 'bad.csv:3: invalid UTF-8' ft-tokenize -m "$BERT" bad.csv
# U+FFFD is then dropped by BERT's clean_text, as for HF: ids from the oracle
check invalid_utf8_replace sh -c '[ "$(ft-tokenize -m "$1" --errors replace -o rep.jsonl bad.csv && jq -c .input_ids rep.jsonl | tail -1)" = "[101,12139,8120,8299,102]" ]' _ "$BERT"
printf '{"text":"caf\351 \360\237\230"}\n' > bad.jsonl
check invalid_utf8_replace_jsonl sh -c 'ft-tokenize -m "$1" --errors replace bad.jsonl | ft-tokenize -m "$1" --decode | jq -e ".text == \"caf� �\"" > /dev/null' _ "$GPT2"

# pairs, truncation and padding
ft-tokenize -m "$BERT" --text-pair-column q --label-column label --labels labels.txt --max-length 6 --padding max_length -o pair.jsonl small.csv
check pair_truncated_padded sh -c '[ "$(jq -c .input_ids pair.jsonl | head -1)" = "[101,872,1962,102,671,102]" ] && [ "$(jq -c .token_type_ids pair.jsonl | head -1)" = "[0,0,0,0,1,1]" ]'
ft-tokenize -m "$BERT" --label-column label --labels labels.txt --padding longest -o longest.jsonl small.csv
check padding_longest sh -c '[ "$(jq ".input_ids | length" longest.jsonl | sort -u | wc -l)" = 1 ]'
expect_fail gpt2_cannot_pad 'no pad token' ft-tokenize -m "$GPT2" --max-length 8 --padding max_length --label-column q small.csv
expect_fail only_second_single 'only_second needs a text pair' ft-tokenize -m "$BERT" --max-length 3 --truncation only_second --labels labels.txt small.csv

# seq2seq: targets become labels, pads -100; prefix and task
printf 'text,code\nadd two numbers,a + b\nsquare,x ** 2\n' > s2s.csv
ft-tokenize -m "$CT5" --target-column code --prefix "生成代码: " --task gen --max-length 32 --max-target-length 8 --padding max_length -o s2s.jsonl s2s.csv
check seq2seq_labels_minus100 sh -c '[ "$(jq -c .labels s2s.jsonl | head -1)" = "[1,69,397,324,2,-100,-100,-100]" ]'
check seq2seq_task sh -c '[ "$(jq -r .task s2s.jsonl | sort -u)" = gen ]'
check roberta_no_token_type_ids sh -c '[ "$(jq -c .token_type_ids s2s.jsonl | head -1)" = null ]'
check prefix_decodes sh -c 'ft-tokenize -m "$1" --decode --skip-special-tokens s2s.jsonl | head -1 | jq -e ".text == \"生成代码: add two numbers\" and .target == \"a + b\"" > /dev/null' _ "$CT5"

# threads keep order; the cache is reused and says so
ft-tokenize -m "$BERT" -j 1 --max-length 64 -o m1.ft "$MED"
ft-tokenize -m "$BERT" -j 2 --max-length 64 -o m2.ft "$MED"
check threads_same_output sh -c 'ft-cat m1.ft > a.jsonl; ft-cat m2.ft > b.jsonl; cmp -s a.jsonl b.jsonl'
ft-tokenize -m "$BERT" --max-length 64 --cache-dir cache --shard-size 1000 -o c1.ft "$MED" 2> c1.err
ft-tokenize -m "$BERT" --max-length 64 --cache-dir cache --shard-size 1000 -o c2.ft "$MED" 2> c2.err
check cache_miss_then_hit sh -c 'grep -q "cached 5 shards" c1.err && grep -q "4533 records from cache" c2.err'
check cache_same_records sh -c 'ft-cat c1.ft > c1.jsonl; ft-cat c2.ft > c2.jsonl; cmp -s c1.jsonl c2.jsonl && cmp -s c1.jsonl a.jsonl'
check cache_shard_header sh -c 'ft-cat --header cache/*/shard-00000.ftz | head -1 | jq -e ".ft_header.tokenizer.id | length == 16" > /dev/null'
ft-tokenize -m "$BERT" --max-length 32 --cache-dir cache -o c3.ft "$MED" 2> c3.err
check cache_keyed_by_options sh -c '! grep -q "from cache" c3.err'
cat "$MED" | ft-tokenize -m "$BERT" --max-length 64 --cache-dir cache -o c4.ft 2> c4.err
check cache_stdin_same_key sh -c 'grep -q "from cache" c4.err && [ -z "$(ls cache | grep stdin)" ]'

# the output feeds ft-batch
check feeds_ft_batch sh -c 'ft-batch -b 8 m1.ft | ft-cat | head -1 | jq -e ".input_ids | length == 8" > /dev/null'

# --truncation without --max-length uses model_max_length, as transformers does
python3 -c "print('text'); print('x ' * 1500)" > long.csv
check truncation_model_max_length sh -c '[ "$(ft-tokenize -m "$1" --truncation longest_first long.csv | ft-cat | jq ".input_ids | length")" = 1024 ]' _ "$GPT2"
expect_fail truncation_needs_length 'gives no model_max_length' ft-tokenize -m "$BERT" --truncation longest_first long.csv

# Small records (stream format 2): ids in u16, type ids in u8, no all-ones
# mask, a u8 mask with padding, i16 sequence labels; the framing is
# {dtype: bin} per field.
ft-tokenize -m "$BERT" --labels labels.txt -o small.ft small.csv
ft-tokenize -m "$BERT" --labels labels.txt --padding longest -o padded.ft small.csv
cat > dtypes.py <<'P'
import msgpack, sys
frames = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
assert frames[0]["version"] == 2, frames[0]
recs = frames[1:-1]
want = sys.argv[2:]        # field=dtype ..., "field=-" for a field left out
for r in recs:
    for w in want:
        k, d = w.split("=")
        if d == "-": assert k not in r, (k, r)
        else: assert k in r and list(r[k]) == [d] and isinstance(r[k][d], bytes), (k, r.get(k))
P
check compact_token_records $PY dtypes.py small.ft input_ids=u16 token_type_ids=u8 attention_mask=-
check padded_mask_u8 sh -c '$1 dtypes.py padded.ft input_ids=u16 token_type_ids=u8 2>/dev/null && [ "$(ft-cat padded.ft | jq -c .attention_mask | tail -1)" = "[1,1,1,1,1,1,0,0]" ] && ft-cat padded.ft | head -1 | jq -e "has(\"attention_mask\") | not" > /dev/null' _ "$PY"
ft-tokenize -m "$CT5" --target-column code --max-length 32 --max-target-length 8 --padding max_length -o s2s.ft s2s.csv
check seq2seq_labels_i16 sh -c '$1 dtypes.py s2s.ft input_ids=u16 labels=i16 attention_mask=u8 && [ "$(ft-cat s2s.ft | jq -c .labels | head -1)" = "[1,69,397,324,2,-100,-100,-100]" ]' _ "$PY"
ft-tokenize -m "$GPT2" --target-column code -o gpt2s2s.ft s2s.csv
check seq2seq_labels_i32_for_big_vocab $PY dtypes.py gpt2s2s.ft input_ids=u16 labels=i32 attention_mask=-

# Streams written before format 2 (i32 tensors as {dtype, shape, data}, an
# all-ones mask) still read, alone or concatenated with new ones, and give
# the same records.
printf 'text,label,q\n你好，世界!,消化科,一二\n"Hello, 中文",神经科,三\n,肝病科,\n' > v.csv
ft-tokenize -m "$BERT" --labels labels.txt --text-pair-column q --padding longest --task med -o v2.ft v.csv
V1=$FT_ROOT/tests/data/tokens-v1.ft
view='[.input_ids, (.attention_mask // [.input_ids[] | 1]), .token_type_ids, .labels, .task]'
check old_stream_same_records sh -c '[ "$(ft-cat "$1" | jq -c "$2")" = "$(ft-cat v2.ft | jq -c "$2")" ] && [ "$(ft-cat "$1" | wc -l)" = 3 ]' _ "$V1" "$view"
check old_and_new_concatenated sh -c 'cat "$1" v2.ft | ft-cat | wc -l | grep -qx 6' _ "$V1"
check old_stream_feeds_ft_batch sh -c '[ "$(ft-batch -b 4 "$1" | ft-cat | jq -c .attention_mask)" = "$(ft-batch -b 4 v2.ft | ft-cat | jq -c .attention_mask)" ]' _ "$V1"
check empty_text_ids_are_arrays sh -c '[ "$(ft-tokenize -m "$1" --labels labels.txt --no-add-special-tokens v.csv | ft-cat | jq -c ".input_ids | length" | tail -1)" = 0 ]' _ "$BERT"

# Shards no larger than HF datasets' Arrow cache of the same tokens: list<int32>
# input_ids, list<int8> attention_mask (and token_type_ids), an int32 offset per
# record and column.
for m in "$GPT2" "$BERT"; do
    ft-tokenize -m "$m" -o size.ft "$MED"
    tokens=$(ft-cat size.ft | jq '.input_ids | length' | awk '{ s += $1 } END { print s }')
    cols=2; [ "$m" = "$BERT" ] && cols=3
    arrow=$(awk -v t="$tokens" -v r=4533 -v c="$cols" 'BEGIN { print 4 * t + (c - 1) * t + 4 * c * (r + 1) }')
    check "shard_smaller_than_arrow_$(basename "$m")" [ "$(wc -c < size.ft)" -le "$arrow" ]
done

# One label-file reader: ft-tokenize and ft-train refuse a blank line alike
# (it would shift every later id), and both take a trailing one.
printf '肝病科\n\n消化科\n神经科\n' > blank.txt
expect_fail labels_blank_line_tokenize 'blank.txt:2: blank line' ft-tokenize -m "$BERT" --labels blank.txt small.csv
expect_fail labels_blank_line_train 'blank.txt:2: blank line' ft-train --model "$BERT" --output-dir never --labels blank.txt small.ft
printf '肝病科\n消化科\n神经科\n\n' > trailing.txt
check labels_trailing_blank_ok sh -c '[ "$(ft-tokenize -m "$1" --labels trailing.txt small.csv | ft-cat | jq -c .labels | tr -d "\n")" = 12 ]' _ "$BERT"
