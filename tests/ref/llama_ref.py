"""PyTorch reference for the Llama family (LlamaForCausalLM, Qwen2ForCausalLM,
Qwen3ForCausalLM as HF transformers 4.53 computes them), written in plain
torch in float64, and PEFT's LoRA on their nn.Linear layers.

  llama_ref.py DIR          writes DIR/{llama,qwen2,qwen3}/:
    model/                config.json + safetensors (llama: sharded in two
                          files with model.safetensors.index.json)
    adapter0/             a PEFT adapter (r 4, alpha 8, B random) to start from
    batch.safetensors     input_ids, attention_mask, labels [3,9] as F32: row 0
                          full, row 1 right-padded, row 2 left-padded
    train.jsonl           the same three rows as token records (ft-train)
    prompts.jsonl         generation prompts (ft-generate left-pads them)
    ref.safetensors       logits [3,9,V], loss, grad.<param>, step3.<param>;
                          lora_init_A/B.<module> (adapter0), lora_logits, lora_loss,
                          lora_grad_A/B.<module>, lora_step3_A/B.<module>,
                          merged.<param> (the base with the 3-step adapter folded in)
    gen.json              greedy ids of the prompts: base and with the 3-step adapter
    meta.json             what the drivers need: LoRA targets, learning rates

  llama_ref.py cmp GOT.safetensors REF.safetensors PREFIX TOL [GPREFIX LR]
                          every tensor of GOT against REF's PREFIX<name>, and
                          every PREFIX tensor of REF present in GOT: max |got -
                          ref| <= TOL·max |ref| (exit 1 if not); with GPREFIX
                          (weights after 3 Adam steps at LR) plus adam_bound
                          of REF's GPREFIX<name> gradient.  PREFIX "adapter:P"
                          reads GOT as a PEFT adapter (base_model.model.M.
                          lora_A.weight is REF's P_A.M; GPREFIX G: G_A.M)

Training: 3 AdamW steps (betas 0.9/0.999, eps 1e-8, weight decay 0.01 except
biases and norm weights, as Trainer.get_decay_parameter_names), gradient norm
clipped to 1.0 before each step (the Trainer's max_grad_norm), constant
learning rate: 1e-3 full, 1e-2 LoRA.  Dropout is 0.

Positions in the training forward are arange(T), as HF's forward without
position_ids, left padding included; in generation cumsum(mask) - 1 (1 on
pads), as generate() builds them.  A left-padded row's pad queries see no key:
HF's eager (uniform over every key) and SDPA paths (attend to all) disagree
there, so the reference gives such rows no labelled target (the first real
token of the left-padded row is -100 too) and the drivers compare logits at
real tokens only."""
import json, math, os, struct, sys
import numpy as np

# ---- comparison (numpy only: importing torch takes seconds on a busy machine) ----
def load_np(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", f"{path}: {k} is {v['dtype']}"
        lo, hi = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + lo:8 + n + hi], np.float32).astype(np.float64).reshape(v["shape"])
    return out


def peft_names(got):
    """base_model.model.M.lora_X.weight -> X.M, as the reference names them"""
    out = {}
    for k, v in got.items():
        assert k.startswith("base_model.model.") and k.endswith((".lora_A.weight", ".lora_B.weight")), k
        out[k[-8] + "." + k[len("base_model.model."):-len(".lora_A.weight")]] = v
    return out


# Adam divides each element's step by its own gradient: where that gradient is
# near zero (RoPE's slowest pair barely rotates over 9 positions, so a k bias
# there is almost shift invariant), fp32 rounding noise in it becomes a share
# of the step.  A step-3 weight may then differ by 3·lr·min(2, NOISE·max|g| /
# |g_i|), g the first step's reference gradient, on top of TOL·max|ref|.
# bf16 runs (matmul inputs rounded to 8 bits) give their gradient noise in
# LLAMA_REF_GRAD_NOISE.
GRAD_NOISE = float(os.environ.get("LLAMA_REF_GRAD_NOISE", "1e-5"))


def adam_bound(g, lr):
    return 3 * lr * np.minimum(2.0, GRAD_NOISE * np.abs(g).max() / np.maximum(np.abs(g), 1e-30))


def cmp(got_path, ref_path, prefix, tol, gprefix=None, lr=0.0):
    """worst |got - ref| / (tol·max|ref| + adam_bound) over the tensors; <= 1 passes"""
    got, ref = load_np(got_path), load_np(ref_path)
    if prefix.startswith("adapter:"):
        got, prefix = peft_names(got), prefix[8:] + "_"
        gprefix = gprefix and gprefix + "_"
    worst, bad = (0.0, "-"), []
    for k, g in got.items():
        r = ref.get(prefix + k)
        if r is None:
            bad.append(f"{k}: not in the reference")
            continue
        if g.shape != r.shape:
            bad.append(f"{k}: shape {list(g.shape)} vs {list(r.shape)}")
            continue
        bound = tol * max(float(np.abs(r).max()), 1e-30)
        if gprefix:
            bound = bound + adam_bound(ref[gprefix + k], lr)
        e = float((np.abs(g - r) / bound).max())
        worst = max(worst, (e, prefix + k))
    want = {k[len(prefix):] for k in ref if k.startswith(prefix)}
    missing = want - set(got)
    print(f"  {os.path.basename(got_path)}: {len(got)} tensors, worst |ft - ref| / bound {worst[0]:.3g} ({worst[1]})"
          f", bound {tol}·max|ref|" + (" + Adam's noise" if gprefix else "")
          + (f"; missing {sorted(missing)}" if missing else ""))
    for b in bad:
        print("  " + b)
    return worst[0] <= 1 and not bad and not missing


if __name__ == "__main__" and sys.argv[1] == "cmp":
    got, ref, prefix, tol = sys.argv[2:6]
    gp, lr = (sys.argv[6], float(sys.argv[7])) if len(sys.argv) > 7 else (None, 0.0)
    sys.exit(0 if cmp(got, ref, prefix, float(tol), gp, lr) else 1)

import torch  # noqa: E402  (after the numpy-only command)
import torch.nn.functional as F  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_parity import st_write  # noqa: E402

LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
F32_MIN = torch.finfo(torch.float32).min


def configs():
    common = {"vocab_size": 67, "num_hidden_layers": 2, "hidden_act": "silu", "attention_dropout": 0.0,
              "initializer_range": 0.02, "bos_token_id": 1, "use_cache": True, "torch_dtype": "float32"}
    llama = dict(common, model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=32,
                 intermediate_size=48, num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                 rope_theta=500000.0, max_position_embeddings=2048, tie_word_embeddings=False,
                 attention_bias=False, mlp_bias=False,
                 # head_dim 8: wavelengths 6.3 (kept), 167 (smoothed), 4443 and 118000 (÷8)
                 rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 256})
    qwen2 = dict(common, model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=32,
                 intermediate_size=48, num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
                 rope_theta=1000000.0, max_position_embeddings=512, tie_word_embeddings=True,
                 use_sliding_window=False, sliding_window=4096, max_window_layers=2, rope_scaling=None)
    qwen3 = dict(common, model_type="qwen3", architectures=["Qwen3ForCausalLM"], hidden_size=24,
                 intermediate_size=40, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                 rms_norm_eps=1e-6, rope_theta=1000000.0, max_position_embeddings=512,
                 tie_word_embeddings=False, attention_bias=False, use_sliding_window=False,
                 sliding_window=None, max_window_layers=2, rope_scaling=None)
    return {"llama": llama, "qwen2": qwen2, "qwen3": qwen3}


# LoRA targets per model: an explicit list, the family default (PEFT maps
# qwen2 to q_proj,v_proj), and PEFT's all-linear
LORA_TARGETS = {"llama": ",".join(LINEARS), "qwen2": None, "qwen3": "all-linear"}
LORA_MODULES = {"llama": LINEARS, "qwen2": ("q_proj", "v_proj"), "qwen3": LINEARS}
LR, LORA_LR, WD, MAX_NORM, R, ALPHA = 1e-3, 1e-2, 0.01, 1.0, 4, 8.0


class Shape:
    def __init__(self, c):
        self.c = c
        self.V, self.C, self.L = c["vocab_size"], c["hidden_size"], c["num_hidden_layers"]
        self.H = c["num_attention_heads"]
        self.Hkv = c.get("num_key_value_heads") or self.H
        self.D = c.get("head_dim") or self.C // self.H
        self.Fi = c["intermediate_size"]
        self.eps = c["rms_norm_eps"]
        self.tied = c.get("tie_word_embeddings", False)
        mt = c["model_type"]
        self.qkv_bias = mt == "qwen2" or c.get("attention_bias", False)
        self.o_bias = mt in ("llama", "mistral") and c.get("attention_bias", False)
        self.qk_norm = mt == "qwen3"


def param_shapes(s):
    out = [("model.embed_tokens.weight", (s.V, s.C))]
    for l in range(s.L):
        p = f"model.layers.{l}."
        a = p + "self_attn."
        out += [(p + "input_layernorm.weight", (s.C,)),
                (a + "q_proj.weight", (s.H * s.D, s.C)), (a + "k_proj.weight", (s.Hkv * s.D, s.C)),
                (a + "v_proj.weight", (s.Hkv * s.D, s.C)), (a + "o_proj.weight", (s.C, s.H * s.D))]
        if s.qkv_bias:
            out += [(a + "q_proj.bias", (s.H * s.D,)), (a + "k_proj.bias", (s.Hkv * s.D,)),
                    (a + "v_proj.bias", (s.Hkv * s.D,))]
        if s.o_bias:
            out += [(a + "o_proj.bias", (s.C,))]
        if s.qk_norm:
            out += [(a + "q_norm.weight", (s.D,)), (a + "k_norm.weight", (s.D,))]
        out += [(p + "post_attention_layernorm.weight", (s.C,)),
                (p + "mlp.gate_proj.weight", (s.Fi, s.C)), (p + "mlp.up_proj.weight", (s.Fi, s.C)),
                (p + "mlp.down_proj.weight", (s.C, s.Fi))]
    out += [("model.norm.weight", (s.C,))]
    if not s.tied:
        out += [("lm_head.weight", (s.V, s.C))]
    return out


def init_weights(s, gen):
    W = {}
    for n, sh in param_shapes(s):
        if "norm" in n:
            w = 1.0 + 0.1 * torch.randn(sh, generator=gen)
        elif n.endswith(".bias"):
            w = 0.1 * torch.randn(sh, generator=gen)
        elif "embed" in n:
            w = 0.5 * torch.randn(sh, generator=gen)
        else:
            w = 0.2 * torch.randn(sh, generator=gen)
        W[n] = w.to(torch.float32).to(torch.float64)   # stored as F32, computed in F64
    return W


def no_decay(name):
    """Trainer.get_decay_parameter_names (4.53): biases, and the weights of
    norm modules (input_layernorm, post_attention_layernorm, model.norm,
    q_norm, k_norm)."""
    return "bias" in name or "norm" in name


def inv_freq(c, D):
    """modeling_rope_utils: default, linear and llama3 inverse frequencies."""
    inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).to(torch.float64) / D))
    rs = c.get("rope_scaling")
    if not rs:
        return inv
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "linear":
        return inv / rs["factor"]
    assert kind == "llama3", kind
    factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    lo_wl, hi_wl = old / lo, old / hi
    wl = 2 * math.pi / inv
    out = torch.where(wl > lo_wl, inv / factor, inv)
    smooth = (old / wl - lo) / (hi - lo)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = ~(wl < hi_wl) * ~(wl > lo_wl)
    return torch.where(medium, smoothed, out)


def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def linear(W, x, name, loras):
    y = x @ W[name + ".weight"].t()
    if name + ".bias" in W:
        y = y + W[name + ".bias"]
    lo = loras.get(name) if loras else None
    if lo is not None:
        A, B, sc = lo
        y = y + (x @ A.t() @ B.t()) * sc
    return y


def forward(s, W, ids, mask, pos=None, loras=None):
    Bn, T = ids.shape
    if pos is None:
        pos = torch.arange(T).unsqueeze(0).expand(Bn, T)
    freqs = pos.to(torch.float64)[..., None] * inv_freq(s.c, s.D)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]          # [B,1,T,D]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    pad = (1.0 - mask[:, None, None, :].to(torch.float64)) * F32_MIN
    x = W["model.embed_tokens.weight"][ids]
    for l in range(s.L):
        p = f"model.layers.{l}."
        a = p + "self_attn."
        h = rms(x, W[p + "input_layernorm.weight"], s.eps)
        q = linear(W, h, a + "q_proj", loras).view(Bn, T, s.H, s.D)
        k = linear(W, h, a + "k_proj", loras).view(Bn, T, s.Hkv, s.D)
        v = linear(W, h, a + "v_proj", loras).view(Bn, T, s.Hkv, s.D)
        if s.qk_norm:   # Qwen3: per head, before RoPE
            q = rms(q, W[a + "q_norm.weight"], s.eps)
            k = rms(k, W[a + "k_norm.weight"], s.eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = s.H // s.Hkv                                          # repeat_kv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        sc = (q @ k.transpose(-1, -2)) * s.D ** -0.5
        sc = sc.masked_fill(~causal, -math.inf) + pad
        y = (torch.softmax(sc, dim=-1) @ v).transpose(1, 2).reshape(Bn, T, s.H * s.D)
        x = x + linear(W, y, a + "o_proj", loras)
        h = rms(x, W[p + "post_attention_layernorm.weight"], s.eps)
        m = p + "mlp."
        f = F.silu(linear(W, h, m + "gate_proj", loras)) * linear(W, h, m + "up_proj", loras)
        x = x + linear(W, f, m + "down_proj", loras)
    x = rms(x, W["model.norm.weight"], s.eps)
    return x @ W["model.embed_tokens.weight" if s.tied else "lm_head.weight"].t()


def lm_loss(logits, labels):
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


def adamw_3_steps(params, loss_fn, lr):
    """Trainer: clip_grad_norm_(1.0), AdamW step, zero_grad; constant lr."""
    decay = [v for k, v in params.items() if not no_decay(k)]
    nodecay = [v for k, v in params.items() if no_decay(k)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.999), eps=1e-8)
    for _ in range(3):
        opt.zero_grad()
        loss_fn().backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_NORM)
        opt.step()


# ---- safetensors: bert_parity's writer, F32 ----
def save_st(path, tensors):
    st_write(path, {k: t.detach().to(torch.float32).numpy() for k, t in tensors.items()}, {"format": "pt"})


def save_model(d, s, W, shards):
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/config.json", "w") as f:
        json.dump(s.c, f, indent=2)
    if shards == 1:
        save_st(f"{d}/model.safetensors", W)
        return
    names = list(W)
    cut = len(names) // 2
    parts = [names[:cut], names[cut:]]
    wmap, total = {}, 0
    for i, part in enumerate(parts):
        fn = f"model-{i + 1:05d}-of-{len(parts):05d}.safetensors"
        save_st(f"{d}/{fn}", {k: W[k] for k in part})
        for k in part:
            wmap[k] = fn
            total += W[k].numel() * 4
    with open(f"{d}/model.safetensors.index.json", "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wmap}, f, indent=2)


def save_adapter(d, s, LA, LB, modules):
    os.makedirs(d, exist_ok=True)
    ts = {}
    for t in LA:
        ts[f"base_model.model.{t}.lora_A.weight"] = LA[t]
        ts[f"base_model.model.{t}.lora_B.weight"] = LB[t]
    save_st(f"{d}/adapter_model.safetensors", ts)
    json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": R, "lora_alpha": ALPHA, "lora_dropout": 0.0,
               "target_modules": list(modules), "fan_in_fan_out": False, "bias": "none",
               "base_model_name_or_path": None, "use_rslora": False, "modules_to_save": None},
              open(f"{d}/adapter_config.json", "w"), indent=2)


# ---- the batch ----
def make_batch(s, gen):
    Bn, T = 3, 9
    ids = torch.randint(3, s.V, (Bn, T), generator=gen)
    mask = torch.ones(Bn, T, dtype=torch.long)
    mask[1, 6:] = 0            # right padding
    mask[2, :3] = 0            # left padding
    ids[mask == 0] = 0
    labels = ids.clone()
    labels[mask == 0] = -100
    labels[2, 3] = -100        # predicted from a pad query (see the docstring)
    labels[0, 4] = -100        # an ignored label mid-row
    return ids, mask, labels


def greedy(s, W, prompts, max_new, eos, loras=None):
    """generate(do_sample=False) on a left-padded batch, the whole prefix
    recomputed each step; a row that produced eos stops (its later tokens
    are pads and not reported)."""
    n = max(len(p) for p in prompts)
    ids = torch.tensor([[0] * (n - len(p)) + p for p in prompts])
    m = torch.tensor([[0] * (n - len(p)) + [1] * len(p) for p in prompts])
    done = torch.zeros(len(prompts), dtype=torch.bool)
    out = [[] for _ in prompts]
    with torch.no_grad():
        for _ in range(max_new):
            pos = (m.cumsum(-1) - 1).masked_fill(m == 0, 1)
            last = forward(s, W, ids, m, pos, loras)[:, -1]
            nxt = last.argmax(-1)
            top2 = last.topk(2, dim=-1).values
            for i in range(len(prompts)):
                if not done[i]:
                    out[i].append(int(nxt[i]))
                    # fp32 could pick the other of two near-equal logits
                    assert top2[i, 0] - top2[i, 1] > 1e-4 * top2[i].abs().max(), (i, top2[i])
            if eos is not None:
                done |= nxt == eos
            ids = torch.cat([ids, nxt[:, None]], 1)
            m = torch.cat([m, torch.ones(len(prompts), 1, dtype=torch.long)], 1)
            if done.all():
                break
    return out


def build(D, name, cfg, seed):
    gen = torch.Generator().manual_seed(seed)
    s = Shape(cfg)
    W = init_weights(s, gen)
    ids, mask, labels = make_batch(s, gen)
    os.makedirs(D, exist_ok=True)
    save_st(f"{D}/batch.safetensors", {"input_ids": ids.float(), "attention_mask": mask.float(),
                                       "labels": labels.float()})
    with open(f"{D}/train.jsonl", "w") as f:
        for i in range(ids.shape[0]):
            f.write(json.dumps({"input_ids": ids[i].tolist(), "attention_mask": mask[i].tolist(),
                                "labels": labels[i].tolist()}) + "\n")
    ref = {}

    # ---- full model: logits, loss, gradients, 3 AdamW steps ----
    Wp = {k: v.clone().requires_grad_(True) for k, v in W.items()}
    logits = forward(s, Wp, ids, mask)
    loss = lm_loss(logits, labels)
    loss.backward()
    ref["logits"], ref["loss"] = logits, loss.reshape(1)
    for k, v in Wp.items():
        ref["grad." + k] = v.grad.clone()
    adamw_3_steps(Wp, lambda: lm_loss(forward(s, Wp, ids, mask), labels), LR)
    for k, v in Wp.items():
        ref["step3." + k] = v

    # ---- LoRA r 4, alpha 8; B random so that the adapter changes the logits ----
    mods = [f"model.layers.{l}.{'mlp' if m.endswith(('gate_proj', 'up_proj', 'down_proj')) else 'self_attn'}.{m}"
            for l in range(s.L) for m in LORA_MODULES[name]]
    LA, LB = {}, {}
    for t in mods:
        out_f, in_f = W[t + ".weight"].shape
        bound = 1.0 / math.sqrt(in_f)       # kaiming_uniform_(a=sqrt(5)) on [r, in]
        LA[t] = ((torch.rand(R, in_f, generator=gen) * 2 - 1) * bound).float().double()
        LB[t] = (0.1 * torch.randn(out_f, R, generator=gen)).float().double()
        ref["lora_init_A." + t], ref["lora_init_B." + t] = LA[t], LB[t]
    save_adapter(f"{D}/adapter0", s, LA, LB, LORA_MODULES[name])
    LA = {t: v.clone().requires_grad_(True) for t, v in LA.items()}
    LB = {t: v.clone().requires_grad_(True) for t, v in LB.items()}
    loras = {t: (LA[t], LB[t], ALPHA / R) for t in mods}
    ll = forward(s, W, ids, mask, loras=loras)
    lloss = lm_loss(ll, labels)
    lloss.backward()
    ref["lora_logits"], ref["lora_loss"] = ll, lloss.reshape(1)
    for t in mods:
        ref["lora_grad_A." + t], ref["lora_grad_B." + t] = LA[t].grad.clone(), LB[t].grad.clone()
    lp = {f"{t}.lora_{x}.weight": (LA if x == "A" else LB)[t] for t in mods for x in "AB"}
    adamw_3_steps(lp, lambda: lm_loss(forward(s, W, ids, mask, loras=loras), labels), LORA_LR)
    for t in mods:
        ref["lora_step3_A." + t], ref["lora_step3_B." + t] = LA[t], LB[t]
    merged = dict(W)
    for t in mods:
        merged[t + ".weight"] = W[t + ".weight"] + (ALPHA / R) * (LB[t] @ LA[t]).detach()
    for k, v in merged.items():
        ref["merged." + k] = v
    save_st(f"{D}/ref.safetensors", ref)

    # ---- greedy generation: eos = a token a row first makes at step 3 or later, so it stops there ----
    prompts = [[5, 17, 33, 8], [60, 2], [11, 12, 13, 14, 15, 16, 40]]
    with open(f"{D}/prompts.jsonl", "w") as f:
        for i, p in enumerate(prompts):
            f.write(json.dumps({"id": i, "input_ids": p}) + "\n")
    free = greedy(s, W, prompts, 10, None)
    eos = next((t for i, row in enumerate(free) for j, t in enumerate(row)
               if j >= 2 and t not in row[:j] + [r[0] for r in free if r is not row]), None)
    if eos is None:    # a degenerate model (not the three above): no row stops
        eos = next(t for t in range(s.V - 1, 0, -1) if all(t not in r for r in free))
    cfg = dict(cfg, eos_token_id=eos)
    s.c = cfg
    save_model(f"{D}/model", s, W, 2 if name == "llama" else 1)
    fixed = {t: (LA[t].detach(), LB[t].detach(), ALPHA / R) for t in mods}
    json.dump({"prompts": prompts, "eos": eos, "greedy": greedy(s, W, prompts, 10, eos),
               "greedy_lora": greedy(s, W, prompts, 10, eos, fixed)}, open(f"{D}/gen.json", "w"))
    json.dump({"name": name, "targets": LORA_TARGETS[name], "lora_modules": len(mods), "r": R, "alpha": ALPHA,
               "lr": LR, "lora_lr": LORA_LR, "weight_decay": WD, "max_grad_norm": MAX_NORM,
               "vocab_size": s.V}, open(f"{D}/meta.json", "w"))
    return s, W, ids, mask, labels, free


def main():
    root = sys.argv[1]
    for i, (name, cfg) in enumerate(configs().items()):
        build(f"{root}/{name}", name, cfg, 1000 + i)


if __name__ == "__main__":
    main()
