#!/bin/sh
# Case 2 pipeline end to end on a tiny configuration (40 MBPP training pairs,
# 6 test tasks, a 1-layer T5 with the real codet5-base tokenizer, one epoch):
# every stage runs and the metrics JSON has what docs/case2-code-generation.md
# reports.
. "$FT_ROOT/tests/lib.sh"
if [ ! -r "$SHARED/models/codet5-base/vocab.json" ] || [ ! -r "$SHARED/data/code/mbpp.jsonl" ]; then
    skip "case2 (no shared codet5-base tokenizer or MBPP)"; exit 0
fi
OUT=$TMP/c2 TRAIN_LIMIT=40 TEST_LIMIT=6 EPOCHS=1 SMALL_D_MODEL=64 SMALL_LAYERS=1 NUM_BEAMS=2 \
    MAX_NEW_TOKENS=8 MAX_LENGTH=64 MAX_TARGET_LENGTH=64 THREADS=2 \
    "$FT_ROOT/pipelines/case2-code-generation.sh" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
[ $rc -eq 0 ] || cat "$TMP/err.txt"
check "case2_pipeline_runs" test $rc -eq 0
check "case2_metrics" sh -c "tail -1 '$TMP/out.txt' | jq -e 'has(\"eval_loss\") and has(\"eval_bleu\") and has(\"eval_exact_match\") and has(\"eval_pass@1\") and .eval_samples == 6' > /dev/null"
check "case2_generated_text" sh -c "[ \$(jq -r 'has(\"generated_text\")' '$TMP/c2/gen.jsonl' | grep -c true) = 6 ]"
check "case2_model_dir_has_tokenizer" test -r "$TMP/c2/model/vocab.json"
# text in (tokenized by ft-generate) = token records in (ft-tokenize): same generations
ft-generate --model "$TMP/c2/model" --num-beams 2 --max-new-tokens 8 --max-length 64 \
    --prefix "生成代码: " "$TMP/c2/test.tok" > "$TMP/gen_tok.jsonl"
check "case2_text_and_token_inputs_agree" sh -c "jq -c .generated_ids '$TMP/c2/gen.jsonl' > '$TMP/a'; jq -c .generated_ids '$TMP/gen_tok.jsonl' > '$TMP/b'; cmp -s '$TMP/a' '$TMP/b'"
