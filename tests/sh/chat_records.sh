# ft-tokenize --prompt-completion / --completion-only-loss and template
# variables (--chat-template-kwargs, a record's chat_template_kwargs) on
# GPT-2's tokenizer with a toy chat template: what goes where, and bad input
# refused with the tool, file, record and field named.  The exactness against
# TRL and HF on real templates is tests/ref/chat_completion.sh's and
# tests/ref/chat.sh's.
. "$FT_ROOT/tests/lib.sh"
GPT2=$SHARED/models/gpt2
if [ ! -f "$GPT2/tokenizer.json" ]; then skip "chat_records (no $GPT2)"; exit 0; fi
cd "$TMP" || exit 1
mkdir m && cp "$GPT2/tokenizer.json" m/
# a template that reads a variable of its own (greeting) and eos_token
$PY - <<'P'
import json
tpl = ("{% for m in messages %}{{ m.role }}: {{ m.content }}{{ eos_token }}\n{% endfor %}"
       "{% if greeting is defined %}[{{ greeting }}]{% endif %}{% if add_generation_prompt %}assistant:{% endif %}")
json.dump({"eos_token": "<|endoftext|>", "chat_template": tpl}, open("m/tokenizer_config.json", "w"))
P
tok() { ft-tokenize -m m -o - "$@" | ft-cat --to jsonl; }
ids() { jq -c .input_ids; }

# the standard form: the prompt's tokens unlabelled, eos appended once
printf '%s\n' '{"prompt":"The sky is","completion":" blue."}' '{"prompt":"One","completion":" two<|endoftext|>"}' > std.jsonl
tok --completion-only-loss std.jsonl > only.jsonl
check standard_prompt_unlabelled jq_true -s '.[0].input_ids == [464,6766,318,4171,13,50256] and .[0].labels == [-100,-100,-100,4171,13,50256]' only.jsonl
check standard_eos_not_doubled jq_true -s '.[1].input_ids == [3198,734,50256] and .[1].labels == [-100,734,50256]' only.jsonl
tok --prompt-completion std.jsonl > all.jsonl
check standard_without_flag_all_labelled jq_true -s 'length == 2 and all(.labels == .input_ids) and .[0].input_ids[-1] == 50256' all.jsonl

# the conversational form: the completion is what follows the prompt's render
echo '{"prompt":[{"role":"user","content":"hi"}],"completion":[{"role":"assistant","content":"yo"}]}' > conv.jsonl
tok --chat --completion-only-loss conv.jsonl > conv.out
# "user: hi<eos>\nassistant:" is the prompt; "assistant: yo<eos>\n" the whole's tail
check conversational_labels sh -c 'jq -c "[.input_ids, .labels]" conv.out | grep -qx "\[\[7220,25,23105,50256,198,562,10167,25,27406,50256,198\],\[-100,-100,-100,-100,-100,-100,-100,-100,27406,50256,198\]\]"'

echo '{"messages":[{"role":"user","content":"hi"}]}' > plain.jsonl

# --max-length: a record's first N tokens, labels alike (TRL's keep_start), counted on stderr
ft-tokenize -m m --completion-only-loss --max-length 4 std.jsonl -o - 2> cut.err | ft-cat --to jsonl > cut.jsonl
check max_length_keeps_start jq_true -s '.[0].input_ids == [464,6766,318,4171] and .[0].labels == [-100,-100,-100,4171]
    and .[1].input_ids == [3198,734,50256]' cut.jsonl
check max_length_counted grep -q "1 of 2 records longer than --max-length 4 cut to it (2 tokens dropped)" cut.err
check max_length_chat sh -c 'ft-tokenize -m m --chat --completion-only-loss --max-length 9 conv.jsonl -o - 2> /dev/null |
    ft-cat --to jsonl | jq -e "(.input_ids | length) == 9 and (.labels | length) == 9 and .labels[8] == 27406" > /dev/null'
expect_fail max_length_not_for_prompts 'a prompt (--add-generation-prompt) would lose its assistant header' \
    ft-tokenize -m m --chat --add-generation-prompt --max-length 5 plain.jsonl

# --eos-token (SFTConfig's eos_token, which TRL sets as the tokenizer's): appended to
# completions not ending with it, and the template's eos_token
ft-tokenize -m m --completion-only-loss --eos-token . std.jsonl -o - | ft-cat --to jsonl > eos.jsonl
check eos_token_appended jq_true -s '.[0].input_ids == [464,6766,318,4171,13] and .[1].input_ids == [3198,734,50256,13]' eos.jsonl
check eos_token_in_template sh -c 'ft-tokenize -m m --chat --eos-token . plain.jsonl -o - |
    ft-tokenize -m m --decode | jq -e ".text == \"user: hi.\n\"" > /dev/null'
expect_fail eos_token_not_in_vocab "--eos-token '<nope>' is not a token" ft-tokenize -m m --completion-only-loss --eos-token '<nope>' std.jsonl
expect_fail eos_token_needs_chat 'goes with --chat or --prompt-completion' ft-tokenize -m m --eos-token . std.jsonl

# template variables: the flag, the record's map (which wins), special tokens overridden
echo '{"messages":[{"role":"user","content":"hi"}],"chat_template_kwargs":{"greeting":"rec"}}' > rec.jsonl
tok --chat plain.jsonl | ids > none.ids
tok --chat rec.jsonl | ids > rec.ids
tok --chat --chat-template-kwargs '{"greeting":"rec"}' plain.jsonl | ids > flag.ids
tok --chat --chat-template-kwargs '{"greeting":"flag"}' rec.jsonl | ids > both.ids
check kwargs_change_the_render sh -c '! cmp -s none.ids rec.ids'
check kwargs_flag_equals_record cmp -s rec.ids flag.ids
check kwargs_record_wins cmp -s rec.ids both.ids
check kwargs_override_special_tokens sh -c 'ft-tokenize -m m --chat --chat-template-kwargs "{\"eos_token\":\"END\"}" plain.jsonl -o - |
    ft-tokenize -m m --decode | jq -e ".text == \"user: hiEND\n\"" > /dev/null'
check kwargs_in_header sh -c 'ft-tokenize -m m --chat --chat-template-kwargs "{\"greeting\":1}" plain.jsonl -o h.ft && ft-cat --header -n 0 h.ft | head -1 | jq -e ".ft_header.chat.chat_template_kwargs.greeting == 1" > /dev/null'

# bad input
echo '{"prompt":"a"}' > nocompl.jsonl
expect_fail missing_completion 'ft-tokenize: nocompl.jsonl:1: field "completion" missing' ft-tokenize -m m --completion-only-loss nocompl.jsonl
echo '{"completion":"a"}' > noprompt.jsonl
expect_fail missing_prompt 'noprompt.jsonl:1: field "prompt" missing' ft-tokenize -m m --prompt-completion noprompt.jsonl
printf '%s\n' '{"prompt":"a","completion":"b"}' '{"prompt":3,"completion":"b"}' > num.jsonl
expect_fail prompt_not_string 'num.jsonl:2: field "prompt" is not a string' ft-tokenize -m m --completion-only-loss num.jsonl
expect_fail messages_without_chat 'conv.jsonl:1: field "prompt" is not a string (a list of messages needs --chat)' ft-tokenize -m m --completion-only-loss conv.jsonl
expect_fail string_with_chat 'std.jsonl:1: field "prompt" is not a list of messages' ft-tokenize -m m --chat --completion-only-loss std.jsonl
echo '{"prompt":[{"role":"user","content":"hi"}],"completion":["yo"]}' > badmsg.jsonl
expect_fail completion_not_message 'badmsg.jsonl:1: completion\[0\] is not a map with a "role" string' ft-tokenize -m m --chat --completion-only-loss badmsg.jsonl
echo '{"messages":[{"role":"user","content":"hi"}],"chat_template_kwargs":[1]}' > kwlist.jsonl
expect_fail record_kwargs_not_map 'kwlist.jsonl:1: field "chat_template_kwargs" is not a map' ft-tokenize -m m --chat kwlist.jsonl
echo '{"messages":[{"role":"user","content":"hi"}],"chat_template_kwargs":{"messages":[]}}' > kwmsg.jsonl
expect_fail record_kwargs_own_argument 'kwmsg.jsonl:1: field "chat_template_kwargs" sets an argument of apply_chat_template' ft-tokenize -m m --chat kwmsg.jsonl
expect_fail kwargs_flag_not_json 'ft-tokenize: --chat-template-kwargs: not JSON' ft-tokenize -m m --chat --chat-template-kwargs '{x' plain.jsonl
expect_fail kwargs_flag_generation_prompt 'use --add-generation-prompt' ft-tokenize -m m --chat --chat-template-kwargs '{"add_generation_prompt":true}' plain.jsonl
expect_fail kwargs_flag_without_chat 'go with --chat' ft-tokenize -m m --chat-template-kwargs '{}' plain.jsonl
expect_fail chat_prompt_records_hint 'conv.jsonl:1: field "messages" missing .*take --completion-only-loss' ft-tokenize -m m --chat conv.jsonl
expect_fail completion_with_generation_prompt 'makes prompts' ft-tokenize -m m --chat --completion-only-loss --add-generation-prompt conv.jsonl
expect_fail completion_with_padding 'does not combine' ft-tokenize -m m --completion-only-loss --padding max_length --max-length 8 std.jsonl
expect_fail standard_without_eos 'has no eos_token' ft-tokenize -m "$GPT2" --completion-only-loss std.jsonl
