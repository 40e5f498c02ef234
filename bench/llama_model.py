"""Writes a Llama-family model directory with random weights for the
benchmarks: DIR/config.json (the given config) and DIR/model.safetensors
(fp32, HF's parameter names; weights N(0, initializer_range), norms 1,
biases 0; no lm_head.weight when the embeddings are tied), and optionally a
JSONL file of token records (input_ids, uniform over the vocabulary).
  llama_model.py CONFIG.json DIR [TOKENS.jsonl ROWS T]"""
import json, os, struct, sys
import numpy as np

cfg = json.load(open(sys.argv[1]))
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
V, C, L, F = cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
H = cfg["num_attention_heads"]
HKV = cfg.get("num_key_value_heads", H)
D = cfg.get("head_dim", C // H)
qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
o_bias = cfg["model_type"] == "llama" and cfg.get("attention_bias", False)
shapes = [("model.embed_tokens.weight", [V, C])]
for i in range(L):
    p = f"model.layers.{i}."
    shapes += [(p + "input_layernorm.weight", [C]), (p + "post_attention_layernorm.weight", [C])]
    for n, o, k in (("q", H * D, C), ("k", HKV * D, C), ("v", HKV * D, C), ("o", C, H * D)):
        shapes.append((p + f"self_attn.{n}_proj.weight", [o, k]))
        if (qkv_bias and n != "o") or (o_bias and n == "o"):
            shapes.append((p + f"self_attn.{n}_proj.bias", [o]))
    shapes += [(p + "mlp.gate_proj.weight", [F, C]), (p + "mlp.up_proj.weight", [F, C]),
               (p + "mlp.down_proj.weight", [C, F])]
shapes.append(("model.norm.weight", [C]))
if not cfg.get("tie_word_embeddings", False):
    shapes.append(("lm_head.weight", [V, C]))
head, off = {"__metadata__": {"format": "pt"}}, 0
for n, s in shapes:
    size = 4 * int(np.prod(s))
    head[n] = {"dtype": "F32", "shape": s, "data_offsets": [off, off + size]}
    off += size
hb = json.dumps(head).encode()
hb += b" " * (-len(hb) % 8)
rng = np.random.default_rng(0)
std = cfg.get("initializer_range", 0.02)
with open(os.path.join(out, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb)
    for n, s in shapes:
        if n.endswith("norm.weight"):
            a = np.ones(s, np.float32)
        elif n.endswith(".bias"):
            a = np.zeros(s, np.float32)
        else:
            a = rng.standard_normal(s, dtype=np.float32) * np.float32(std)
        f.write(a.tobytes())
json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=1)
if len(sys.argv) > 3:
    rows, T = int(sys.argv[4]), int(sys.argv[5])
    with open(sys.argv[3], "w") as f:
        for _ in range(rows):
            f.write(json.dumps({"input_ids": rng.integers(0, V, T).tolist()}) + "\n")
