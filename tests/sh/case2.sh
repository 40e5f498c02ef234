#!/bin/sh
# Case 2 pipeline end to end on a tiny configuration (40 MBPP training pairs,
# 6 test tasks, a 1-layer T5 with the real codet5-base tokenizer, one epoch,
# with PRETRAIN=yes: span-corruption pretraining on the standard library's
# json package first):
# every stage runs and the metrics JSON has what docs/case2-code-generation.md
# reports; a given MODEL is pretrained further on a user's code the same way.
. "$FT_ROOT/tests/lib.sh"
if [ ! -r "$SHARED/models/codet5-base/vocab.json" ] || [ ! -r "$SHARED/data/code/mbpp.jsonl" ]; then
    skip "case2 (no shared codet5-base tokenizer or MBPP)"; exit 0
fi
json=$(ls -d /usr/lib/python3.*/json 2>/dev/null | head -1)
OUT=$TMP/c2 TRAIN_LIMIT=40 TEST_LIMIT=6 EPOCHS=1 SMALL_D_MODEL=64 SMALL_LAYERS=1 NUM_BEAMS=2 \
    MAX_NEW_TOKENS=8 MAX_LENGTH=64 MAX_TARGET_LENGTH=64 THREADS=2 PRETRAIN=yes PRETRAIN_CODE=$json PRETRAIN_TOKENS=3000 \
    /usr/bin/time -o "$TMP/time.txt" -f '%U %S' \
    "$FT_ROOT/pipelines/case2-code-generation.sh" > "$TMP/out.txt" 2> "$TMP/err.txt"
rc=$?
[ $rc -eq 0 ] || cat "$TMP/err.txt"
check "case2_pipeline_runs" test $rc -eq 0
check "case2_metrics" sh -c "tail -1 '$TMP/out.txt' | jq -e 'has(\"eval_loss\") and has(\"eval_bleu\") and has(\"eval_exact_match\") and has(\"eval_pass@1\") and .eval_samples == 6' > /dev/null"
check "case2_generated_text" sh -c "[ \$(jq -r 'has(\"generated_text\")' '$TMP/c2/gen.jsonl' | grep -c true) = 6 ]"
check "case2_model_dir_has_tokenizer" test -r "$TMP/c2/model/vocab.json"
# each stage's wall and CPU seconds: four stages, numbers, and together they
# are the CPU time that time(1) saw for the whole run (less the shell's own
# and the last jq's)
check "case2_stage_times" sh -c "jq -s -e --argjson total \$(awk '{ print \$1 + \$2 }' '$TMP/time.txt') 'map(.stage) == [\"pretraining\", \"fine-tuning\", \"generation\", \"evaluation\"]
    and all(.[]; (.wall_s | type) == \"number\" and (.cpu_s | type) == \"number\" and .cpu_s >= 0)
    and (map(.cpu_s) | add) >= 0.8 * \$total and (map(.cpu_s) | add) <= \$total + 0.1' '$TMP/c2/stages.jsonl' > /dev/null &&
    grep -q '^case2: {\"stage\":\"fine-tuning\",\"wall_s\":' '$TMP/err.txt'"
# pretrained first: 4 steps of 8 blocks of 70 tokens (inputs of 64), on every file of json/
check "case2_pretrained" sh -c "[ \$(jq -s 'last | .step' '$TMP/c2/pretrained/../pretrain_log.jsonl') = 6 ] &&
    [ \$(wc -l < '$TMP/c2/pretrain.jsonl') = \$(ls '$json'/*.py | wc -l) ] &&
    grep -q 'span-corruption pretraining: 6 steps of 8 blocks of 70 tokens' '$TMP/err.txt'"
# a given model, pretrained further on a user's code (a JSONL text column)
jq -c '{text: .code}' "$TMP/c2/train.jsonl" > "$TMP/mycode.jsonl"
OUT=$TMP/c2b MODEL=$TMP/c2/model PRETRAIN=yes PRETRAIN_CODE= PRETRAIN_TEXT=$TMP/mycode.jsonl PRETRAIN_TOKENS=1000 \
    TRAIN_LIMIT=8 TEST_LIMIT=2 EPOCHS=1 NUM_BEAMS=1 MAX_NEW_TOKENS=4 MAX_LENGTH=64 MAX_TARGET_LENGTH=64 THREADS=2 \
    "$FT_ROOT/pipelines/case2-code-generation.sh" > "$TMP/out2.txt" 2> "$TMP/err2.txt"
rc=$?
[ $rc -eq 0 ] || cat "$TMP/err2.txt"
check "case2_model_continued" sh -c "[ $rc = 0 ] && grep -q 'span-corruption pretraining: 2 steps' '$TMP/err2.txt' &&
    [ -r '$TMP/c2b/pretrained/model.safetensors' ] && tail -1 '$TMP/out2.txt' | jq -e '.eval_samples == 2' > /dev/null"
# text in (tokenized by ft-generate) = token records in (ft-tokenize): same generations
ft-generate --model "$TMP/c2/model" --num-beams 2 --max-new-tokens 8 --max-length 64 \
    --prefix "生成代码: " "$TMP/c2/test.tok" > "$TMP/gen_tok.jsonl"
check "case2_text_and_token_inputs_agree" sh -c "jq -c .generated_ids '$TMP/c2/gen.jsonl' > '$TMP/a'; jq -c .generated_ids '$TMP/gen_tok.jsonl' > '$TMP/b'; cmp -s '$TMP/a' '$TMP/b'"
# the default from scratch fine-tunes without pretraining (docs: "Defaults")
OUT=$TMP/c2c TRAIN_LIMIT=8 TEST_LIMIT=2 EPOCHS=1 SMALL_D_MODEL=64 SMALL_LAYERS=1 NUM_BEAMS=1 \
    MAX_NEW_TOKENS=4 MAX_LENGTH=64 MAX_TARGET_LENGTH=64 THREADS=2 \
    "$FT_ROOT/pipelines/case2-code-generation.sh" > "$TMP/out3.txt" 2> "$TMP/err3.txt"
rc=$?
[ $rc -eq 0 ] || cat "$TMP/err3.txt"
check "case2_default_no_pretraining" sh -c "[ $rc = 0 ] && [ ! -e '$TMP/c2c/pretrained' ] &&
    jq -s -e 'map(.stage) == [\"fine-tuning\", \"generation\", \"evaluation\"]' '$TMP/c2c/stages.jsonl' > /dev/null"
