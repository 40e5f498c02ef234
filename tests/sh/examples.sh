# Every script in examples/ runs at toy size and prints what its header says
# it prints.  (examples/libft.sh needs an installed libft: tests/sh/install.sh.)
. "$FT_ROOT/tests/lib.sh"
ex=$FT_ROOT/examples
export HIDDEN_SIZE=32 NUM_LAYERS=1 THREADS=1 JOBS=2
for f in "$ex"/*.sh; do
    n=$(basename "$f" .sh)
    [ "$n" = common ] && continue
    check "${n}_header_says_what_it_prints" sh -c 'sed -n "2,/common.sh/p" "$1" | grep -q "^# Prints"' _ "$f"
    case $n in jq-filter|parallel-shards|python-stream|make-cache|lora-two-adapters|llama-lora|export-llamacpp|predictions-csv|continual-ewc|libft) ;;
    *) fail "${n}_is_tested (add it to tests/sh/examples.sh)" ;; esac
done
# run NAME VAR=VALUE...: the example at toy size, its stdout in $TMP/NAME.out
run() {
    n=$1; shift
    if env "$@" OUT="$TMP/$n" "$ex/$n.sh" > "$TMP/$n.out" 2> "$TMP/$n.err"; then ok "${n}_runs"
    else tail -5 "$TMP/$n.err"; fail "${n}_runs"; fi
    sed 's/^/  /' "$TMP/$n.out" | cut -c1-200
}

run jq-filter ROWS=200 MAX_TOKENS=48
check jq_kept_short sh -c 'ft-cat "$1" | jq -e -s "length > 0 and all(.input_ids | length <= 48)" > /dev/null' _ "$TMP/jq-filter/kept.ft"
check jq_labels_merged jq_true '(.labels | keys) == ["0","1","2","3"] and .kept < .records_in and (.last_loss | type) == "number"' "$TMP/jq-filter.out"
check jq_header_kept sh -c 'ft-cat --header "$1" | head -1 | jq -e ".ft_header.tokenizer.name | startswith(\"WordPiece\")" > /dev/null' _ "$TMP/jq-filter/kept.ft"

run parallel-shards ROWS=300 SHARDS=3
check shards_equal_one_process jq_true '.shards == 3 and .total == 300 and .same_as_one_process and .steps == 19' "$TMP/parallel-shards.out"

run python-stream ROWS=150
sed -n 1p "$TMP/python-stream.out" > "$TMP/stats.json"; sed -n 2p "$TMP/python-stream.out" > "$TMP/dedupe.json"
# the Python reader's token count is ft's own
tokens=$(ft-cat "$TMP/python-stream/tokens.ftz" | jq -s 'map(if .attention_mask then (.attention_mask | add) else (.input_ids | length) end) | add')  # no mask: all ones
check python_reads_stream jq_true --argjson t "$tokens" '.kind == "tokens" and .records == 300 and .tokens == $t' "$TMP/stats.json"
check python_writes_stream sh -c 'jq -e ".read == 300 and .written <= 150" "$1" > /dev/null &&
    [ "$(ft-cat "$2" | wc -l)" = "$(jq .written "$1")" ] &&
    [ "$(sed -n 3p "$3" | jq .trained_on)" = "$(jq .written "$1")" ]' _ "$TMP/dedupe.json" "$TMP/python-stream/unique.ftz" "$TMP/python-stream.out"
ft-cat --to ft "$TMP/python-stream/unique.ftz" | head -c 5000 > "$TMP/cut.ft"
expect_fail python_refuses_truncated 'truncated stream' $PY "$ex/ftstream.py" stats "$TMP/cut.ft"

run make-cache ROWS=90 SHARDS=3
printf '%s\n' "first run: part-00.ft part-01.ft part-02.ft" "second run: nothing" \
    "part-01.csv changed: part-01.ft" "tokenizer changed: part-00.ft part-01.ft part-02.ft" > "$TMP/make.want"
check make_rebuilds_only_stale cmp -s "$TMP/make-cache.out" "$TMP/make.want"

run lora-two-adapters PRETRAIN_STEPS=6 LORA_STEPS=6 LAYERS=1 WIDTH=32 BLOCK=32 ROWS=60
check lora_two_adapters sh -c '[ -s "$1/sports/adapter_model.safetensors" ] && [ -s "$1/business/adapter_model.safetensors" ] &&
    ! cmp -s "$1/sports/adapter_model.safetensors" "$1/business/adapter_model.safetensors"' _ "$TMP/lora-two-adapters"
check lora_generations jq_true -s 'length == 2 and all(.sports | type == "string") and all(.business | type == "string")' "$TMP/lora-two-adapters.out"
check lora_merged_equals_adapter jq_true -s 'all(.merged_equals_sports)' "$TMP/lora-two-adapters.out"

# a Llama with the real Llama 3 tokenizer (npm test data): q_proj,v_proj LoRA,
# r=8 on 1 layer of hidden 32 (4 heads, 2 KV heads): 8*(32+32) + 8*(32+16)
run llama-lora PRETRAIN_STEPS=4 LORA_STEPS=6 BLOCK=32 ROWS=150
check llama_lora_default_targets jq_true '.model_type == "llama" and .target_modules == ["q_proj", "v_proj"] and
    .trainable_params == 896 and (.eval_loss_merged | type) == "number"' "$TMP/llama-lora.out"
check llama_lora_merged_equals_adapter jq_true '.generations | length == 2 and all(.merged_same and (.adapted | type) == "string")' \
    "$TMP/llama-lora.out"

# the same toy Llama fine-tuned, merged and exported as GGUF; llama.cpp
# (node-llama-cpp) continues 3 prompts 16 tokens as ft-generate does, from the
# merged f32 file and from the adapter file on the base file (the script
# exits 1 otherwise; q8_0 only reported)
run export-llamacpp PRETRAIN_STEPS=4 LORA_STEPS=6 BLOCK=32 ROWS=150
check export_llamacpp_same_continuation jq_true '.model_type == "llama" and .same and (.generations | length == 3 and
    all(.merged_same and .adapter_same and .llamacpp_tokenizes_same and (.llamacpp_q8_0 | type) == "string"))' \
    "$TMP/export-llamacpp.out"
check export_llamacpp_sizes jq_true '.gguf_bytes | .merged_q8_0 < .merged_f32 / 1.5 and .adapter_f32 < .base_f32 / 100' \
    "$TMP/export-llamacpp.out"

run predictions-csv ROWS=200 EPOCHS=1
check predictions_csv_for_spreadsheet $PY -c "
import csv, json, sys
rows = list(csv.DictReader(open('$TMP/predictions-csv/predictions.csv', encoding='utf-8')))
names = [l.strip() for l in open('$SHARED/data/medical/labels.txt', encoding='utf-8') if l.strip()]
val = list(csv.DictReader(open('$TMP/predictions-csv/val.csv', encoding='utf-8')))
acc = json.load(open('$TMP/predictions-csv/metrics.json'))['eval_accuracy']
ok = (len(rows) == len(val) == 40 and list(rows[0]) == ['text', 'department', 'predicted', 'confidence', 'correct']
      and all(r['text'] == v['text'] and r['department'] == names[int(v['label'])] and r['predicted'] in names
              and 0 < float(r['confidence']) <= 1 for r, v in zip(rows, val))
      and abs(sum(r['correct'] == 'true' for r in rows) / len(rows) - acc) < 1e-6)
sys.exit(not ok)"

run continual-ewc ROWS=300 EPOCHS=1
check ewc_accuracies jq_true '[.old, .plain, .ewc][] | [.accuracy_old, .accuracy_new] | all(type == "number" and . >= 0 and . <= 1)' "$TMP/continual-ewc.out"
check ewc_penalty_applied sh -c 'jq -e "select(.ewc_penalty) | .ewc_penalty > 0" "$1" | grep -q true' _ "$TMP/continual-ewc/ewc-log.jsonl"
