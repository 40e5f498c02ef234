#!/usr/bin/python3
"""Writes the seed corpora fuzz/corpus/NAME/ (small files, committed) from
the test inputs and from cut-down copies of the real tokenizer files in
../shared/models.  Run from the repository root: python3 fuzz/seeds.py"""
import json, os, struct, subprocess, sys

shared = os.environ.get("FT_SHARED", "../shared")
C = "fuzz/corpus"

def put(name, fname, data):
    os.makedirs(f"{C}/{name}", exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(f"{C}/{name}/{fname}", "wb").write(data)

def ft(args, inp):
    return subprocess.run(["bin/ft-cat"] + args, input=inp, capture_output=True, check=True).stdout

# ---- reader: ft streams (plain, zstd), CSV, TSV, JSONL ----
jsonl = (b'{"input_ids":[101,2769,102],"mask":[[1,1],[1,0]],"x":[0.5,-1.25,3e-08],"s":"a\\"b\\n","n":null,"b":true,"i":-7,"l":["x",1],"m":{"k":[1,2]}}\n'
         b'{"h":{"dtype":"bf16","shape":[2],"data":[1.5,-2.0]},"g":{"dtype":"i64","shape":[1],"data":[9007199254740993]},"u":{"dtype":"u8","shape":[3],"data":[0,7,255]},"e":{"dtype":"f16","shape":[0],"data":[]}}\n')
csv = b'\xef\xbb\xbftext,label\r\n"a, ""quoted""\r\nline",1\r\nplain,2\r\n'
tsv = b'text\tlabel\nhello, world\t3\n'
stream = ft(["-s", "-"], jsonl)
put("stream", "tensors.ft", stream)
put("stream", "tensors.ftz", ft(["-s", "-z", "-"], jsonl) if False else subprocess.run(["zstd", "-q", "-c"], input=stream, capture_output=True).stdout)
put("stream", "records.jsonl", jsonl)
put("stream", "quoted.csv", csv)
put("stream", "plain.tsv", tsv)
put("stream", "concatenated.ft", stream + stream)
for n, d in [("tensors.ft", stream), ("records.jsonl", jsonl)]:
    put("stream_zstd", n, b"\x01" + d)
for i, d in enumerate([csv, tsv, jsonl]):
    put("text", ["csv", "tsv", "jsonl"][i], bytes([i]) + d)

# ---- safetensors ----
def st(tensors, meta=None):
    hdr, data = {}, b""
    if meta: hdr["__metadata__"] = meta
    for name, dt, shape, raw in tensors:
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data
put("safetensors", "small.safetensors", st([("a.weight", "F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0)),
                                             ("b.bias", "F16", [2], b"\x00\x3c\x00\xc0"),
                                             ("c", "BF16", [1], b"\x80\x3f"), ("d", "I64", [1], b"\x07" + b"\0" * 7)],
                                            {"format": "pt"}))
put("safetensors", "empty.safetensors", st([]))

# ---- JSON documents ----
for m in ["bert-base-chinese", "gpt2", "t5-small", "codet5-base"]:
    put("config", m + ".json", open(f"{shared}/models/{m}/config.json", "rb").read())
put("config", "tasks.json", json.dumps({"model_type": "bert", "vocab_size": 99, "hidden_size": 8, "num_hidden_layers": 1,
    "num_attention_heads": 2, "intermediate_size": 16, "id2label": {"0": "a", "1": "b"},
    "ft_tasks": [{"name": "t", "num_labels": 2, "id2label": {"0": "x", "1": "y"}}]}))
put("adapter_config", "gpt2.json", json.dumps({"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 8, "lora_alpha": 16,
    "lora_dropout": 0.05, "target_modules": ["c_attn", "c_proj"], "bias": "none", "modules_to_save": None,
    "base_model_name_or_path": "gpt2", "use_rslora": False, "rank_pattern": {}, "alpha_pattern": {}}, indent=2))
put("adapter_config", "seqcls.json", json.dumps({"peft_type": "LORA", "task_type": "SEQ_CLS", "r": 4,
    "target_modules": "query,value", "modules_to_save": ["classifier"], "bias": "lora_only"}))
put("trainer_state", "state.json", json.dumps({"global_step": 12, "epoch": 1.5, "best_metric": 0.75,
    "best_model_checkpoint": "out/checkpoint-8", "ft_model_step": 24, "ft_patience_left": 2, "ft_tokens": 1234.0,
    "log_history": [{"loss": 1.2, "step": 4}, {"eval_accuracy": 0.75, "step": 8}]}, indent=2))

# ---- tokenizer files, cut down ----
def small_tokenizer_json(m, keep=300):
    d = json.load(open(f"{shared}/models/{m}/tokenizer.json"))
    mod = d["model"]
    if isinstance(mod["vocab"], dict):
        items = sorted(mod["vocab"].items(), key=lambda kv: kv[1])[:keep]
        mod["vocab"] = dict(items)
        if "merges" in mod:
            ok = []
            for mg in mod["merges"]:
                a, b = mg.split(" ") if isinstance(mg, str) else mg
                if a in mod["vocab"] and b in mod["vocab"] and a + b in mod["vocab"]: ok.append(mg)
            mod["merges"] = ok[:200]
    else:
        mod["vocab"] = mod["vocab"][:keep]
        if mod.get("unk_id", 0) >= keep: mod["unk_id"] = 0
    d["added_tokens"] = [t for t in d["added_tokens"] if t["id"] < keep]
    # a real precompiled charsmap is 240 KB: too big to mutate quickly
    if d.get("normalizer") and d["normalizer"].get("type") == "Precompiled":
        d["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace",
                           "pattern": {"Regex": " {2,}"}, "content": " "}]}
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))
for m in ["bert-base-chinese", "gpt2", "t5-small", "codet5-base"]:
    put("tokenizer_json", m + ".json", small_tokenizer_json(m))
# Split regexes on Oniguruma: Llama 3's pre-tokenizer with NFC (as Qwen3), and
# regex and literal Splits with the other behaviours and invert
llama3_re = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
             "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
for name, norm, splits in [
        ("llama3-split", {"type": "NFC"}, [{"type": "Split", "pattern": {"Regex": llama3_re}, "behavior": "Isolated", "invert": False}]),
        ("split-behaviours", None, [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "MergedWithNext", "invert": True},
                                    {"type": "Split", "pattern": {"String": ","}, "behavior": "Contiguous", "invert": False},
                                    {"type": "Split", "pattern": {"Regex": "o*"}, "behavior": "MergedWithPrevious", "invert": False}])]:
    d = json.loads(small_tokenizer_json("gpt2"))
    d["normalizer"] = norm
    d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": splits + [byte_level]}
    put("tokenizer_json", name + ".json", json.dumps(d, ensure_ascii=False, separators=(",", ":")))
vocab = open(f"{shared}/models/bert-base-chinese/vocab.txt", encoding="utf-8").read().split("\n")
put("vocab_txt", "bert.txt", "\n".join(vocab[:400] + vocab[670:800] + vocab[8000:8100]) + "\n")
gv = json.load(open(f"{shared}/models/gpt2/vocab.json"))
keep = dict(sorted(gv.items(), key=lambda kv: kv[1])[:400])
merges = [l for l in open(f"{shared}/models/gpt2/merges.txt", encoding="utf-8").read().split("\n")[1:]
          if len(l.split(" ")) == 2 and all(p in keep for p in l.split(" ")) and "".join(l.split(" ")) in keep][:150]
put("bpe_files", "gpt2", json.dumps(keep, ensure_ascii=False) + "\n#merges\n#version: 0.2\n" + "\n".join(merges) + "\n")

# spiece.model: a protobuf ModelProto; keep the first pieces, trainer and normalizer specs as they are
def varint(b, i):
    x = s = 0
    while True:
        c = b[i]; i += 1; x |= (c & 0x7f) << s; s += 7
        if c < 0x80: return x, i
def fields(b):
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        wt = key & 7
        if wt == 0: _, i = varint(b, i)
        elif wt == 1: i += 8
        elif wt == 5: i += 4
        elif wt == 2: n, i = varint(b, i); i += n
        yield key >> 3, b[start:i]
def enc_varint(x):
    out = []
    while True:
        if x < 0x80: out.append(x); return out
        out.append(x & 0x7f | 0x80); x >>= 7
sp = open(f"{shared}/models/t5-small/spiece.model", "rb").read()
out, npieces = b"", 0
for num, raw in fields(sp):
    if num == 1:
        npieces += 1
        if npieces > 300: continue
    if num == 3:   # normalizer_spec without its 240 KB precompiled_charsmap (field 2)
        n, body_start = varint(raw, 1)
        raw = b"".join(r for f, r in fields(raw[body_start:]) if f != 2)
        raw = b"\x1a" + bytes(enc_varint(len(raw))) + raw
    out += raw
put("spiece", "t5-small.model", out)

# ---- encode + decode: flags byte, then text ----
texts = ["Hello, world! This is a test.", "你好，世界。中文分词测试", "def f(x):\n    return x ** 2  # square",
         "naïve café — ünïcödé\u00a0spaces\ttabs", "[CLS] <s> </s> <pad> <|endoftext|> <extra_id_0>",
         "a\0second text of a pair"]
for m in ["bert", "gpt2", "t5", "codet5"]:
    for i, t in enumerate(texts):
        put("encode_" + m, f"text{i}", bytes([(i * 37) & 0xff | 2]) + t.encode())
