"""Second reference of tests/ref/chat.sh: the case renders by Python's jinja2
in the environment transformers' apply_chat_template builds
(transformers/utils/chat_template_utils.py): ImmutableSandboxedEnvironment
with trim_blocks, lstrip_blocks and jinja2.ext.loopcontrols, tojson as
json.dumps(ensure_ascii=False), raise_exception and strftime_now; the special
tokens of tokenizer_config.json as special_tokens_map passes them.
Usage: python3 chat_jinja2.py MODEL_DIR < cases.jsonl  ->  {"hex": ...} | {"error": true}"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


cfg = json.load(open(sys.argv[1] + "/tokenizer_config.json"))
special = {}
for k in ("bos_token", "eos_token", "unk_token", "pad_token"):
    v = cfg.get(k)
    if isinstance(v, dict):
        v = v.get("content")
    if isinstance(v, str):
        special[k] = v
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda f: datetime.now().strftime(f)
tpl = env.from_string(cfg["chat_template"])
for line in sys.stdin:
    case = json.loads(line)
    case["add_generation_prompt"] = bool(case.get("add_generation_prompt"))
    try:
        text = tpl.render(**special, **case)
        print(json.dumps({"hex": text.encode("utf-8").hex()}, separators=(",", ":")))
    except Exception:
        print(json.dumps({"error": True}, separators=(",", ":")))
