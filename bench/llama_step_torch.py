"""PyTorch peer of bench/llama_step_ft.c and of ft-train on Llama-family models:
LlamaForCausalLM / Qwen2ForCausalLM written in plain torch as HF transformers
4.53 computes them (LlamaRMSNorm in fp32, rotate-half rope, repeat_kv GQA,
SwiGLU, q/k/v bias for qwen2, tied head, loss as ForCausalLMLoss), eager
attention (eager_attention_forward: torch 1.13 has no
F.scaled_dot_product_attention, SDPA needs torch >= 2.0).  LoRA as PEFT
computes it: base frozen (requires_grad False), x·A^T·B^T·alpha/r added to
every linear layer.  One optimiser step = Trainer's: forward (under
torch.autocast("cpu", bfloat16) when BF16=1, as TrainingArguments(bf16=True)),
backward, clip_grad_norm_(1.0), AdamW, zero_grad.
  llama_step_torch.py CONFIG.json B T STEPS full|lora          the step benchmark:
        random weights and ids, one warm-up step, best of STEPS; one JSON line
  llama_step_torch.py CONFIG.json B T STEPS full|lora --model DIR --data FILE.jsonl
        the whole process as a user runs a training script: weights read from
        DIR/model.safetensors, token records (input_ids) from FILE, STEPS steps
        of B rows padded/cut to T; --gradient-checkpointing recomputes each layer
        (torch.utils.checkpoint, use_reentrant=True as HF's default)"""
import argparse, json, math, mmap, os, resource, time
T0 = time.time()
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

ap = argparse.ArgumentParser()
ap.add_argument("config"); ap.add_argument("B", type=int); ap.add_argument("T", type=int)
ap.add_argument("steps", type=int); ap.add_argument("mode", choices=["full", "lora"])
ap.add_argument("--model"); ap.add_argument("--data")
ap.add_argument("--gradient-checkpointing", action="store_true")
args = ap.parse_args()
cfg = json.load(open(args.config))
BF16 = os.environ.get("BF16") == "1"
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
V, C, L, F_ = cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
H = cfg["num_attention_heads"]
HKV = cfg.get("num_key_value_heads", H)
D = cfg.get("head_dim", C // H)
EPS, THETA = cfg.get("rms_norm_eps", 1e-6), cfg.get("rope_theta", 10000.0)
QKV_BIAS = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
O_BIAS = cfg["model_type"] == "llama" and cfg.get("attention_bias", False)
TIED = cfg.get("tie_word_embeddings", False)
LORA_R, LORA_ALPHA = 16, 32


class Linear(nn.Module):
    """nn.Linear's math (weights left uninitialised: they are drawn or read
    afterwards), with PEFT's LoRA when add_lora is called."""

    def __init__(self, nin, nout, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nout, nin))
        self.bias = nn.Parameter(torch.zeros(nout)) if bias else None
        self.scaling = None

    def add_lora(self, r, alpha):
        nout, nin = self.weight.shape
        self.lora_A = nn.Parameter(torch.empty(r, nin))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))      # PEFT's init
        self.lora_B = nn.Parameter(torch.zeros(nout, r))
        self.scaling = alpha / r

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.scaling is not None:       # lora_dropout 0: nn.Identity in PEFT
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling
        return y


class RMSNorm(nn.Module):                  # LlamaRMSNorm
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        dt = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS)
        return self.weight * x.to(dt)


def rotate_half(x):
    return torch.cat((-x[..., x.shape[-1] // 2:], x[..., :x.shape[-1] // 2]), dim=-1)


def repeat_kv(x, n):
    if n == 1:
        return x
    b, h, t, d = x.shape
    return x[:, :, None].expand(b, h, n, t, d).reshape(b, h * n, t, d)


class Attention(nn.Module):                # LlamaAttention with eager_attention_forward
    def __init__(self):
        super().__init__()
        self.q_proj, self.k_proj = Linear(C, H * D, QKV_BIAS), Linear(C, HKV * D, QKV_BIAS)
        self.v_proj, self.o_proj = Linear(C, HKV * D, QKV_BIAS), Linear(H * D, C, O_BIAS)

    def forward(self, h, cos, sin, mask):
        b, t, _ = h.shape
        q = self.q_proj(h).view(b, t, H, D).transpose(1, 2)
        k = self.k_proj(h).view(b, t, HKV, D).transpose(1, 2)
        v = self.v_proj(h).view(b, t, HKV, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, H // HKV), repeat_kv(v, H // HKV)
        a = torch.matmul(q, k.transpose(2, 3)) * D ** -0.5 + mask
        a = F.softmax(a, dim=-1, dtype=torch.float32).to(q.dtype)
        return self.o_proj(torch.matmul(a, v).transpose(1, 2).reshape(b, t, H * D))


class MLP(nn.Module):                      # LlamaMLP: SwiGLU
    def __init__(self):
        super().__init__()
        self.gate_proj, self.up_proj, self.down_proj = Linear(C, F_, False), Linear(C, F_, False), Linear(F_, C, False)

    def forward(self, h):
        return self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Layer(nn.Module):                    # LlamaDecoderLayer / Qwen2DecoderLayer
    def __init__(self):
        super().__init__()
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(C), RMSNorm(C)
        self.self_attn, self.mlp = Attention(), MLP()

    def linears(self):
        a, m = self.self_attn, self.mlp
        return [a.q_proj, a.k_proj, a.v_proj, a.o_proj, m.gate_proj, m.up_proj, m.down_proj]

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(V, C, _weight=torch.empty(V, C))
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        self.norm = RMSNorm(C)
        self.lm_head = None if TIED else Linear(C, V, False)
        self.checkpointing = False

    def forward(self, ids, labels):
        b, t = ids.shape
        x = self.embed_tokens(ids)
        if self.checkpointing and not x.requires_grad:
            x.requires_grad_(True)             # enable_input_require_grads: reentrant checkpoints need it
        inv = 1.0 / THETA ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D)
        with torch.autocast("cpu", enabled=False):                   # LlamaRotaryEmbedding
            f = torch.arange(t).float()[:, None] * inv[None]
            emb = torch.cat((f, f), -1)
            cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = torch.full((t, t), torch.finfo(x.dtype).min).triu(1)
        for layer in self.layers:
            if self.checkpointing:
                x = checkpoint(layer, x, cos, sin, mask, use_reentrant=True)
            else:
                x = layer(x, cos, sin, mask)
        x = self.norm(x)
        w = self.embed_tokens.weight if TIED else self.lm_head.weight
        logits = F.linear(x, w).float()                              # ForCausalLMLoss upcasts
        shift = F.pad(labels, (0, 1), value=-100)[:, 1:]
        return F.cross_entropy(logits.view(-1, V), shift.reshape(-1), ignore_index=-100)


def read_safetensors(path, model):
    """The weights of DIR/model.safetensors, copied into the parameters from
    a read-only map that is closed afterwards (as from_pretrained does)."""
    params = dict(model.named_parameters())
    todo = set(params)
    dtypes = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        n = int.from_bytes(mm[:8], "little")
        head = json.loads(mm[8:8 + n])
        for name, e in head.items():
            if name == "__metadata__":
                continue
            key = name[len("model."):] if name.startswith("model.") else name
            if key == "lm_head.weight" and TIED:
                continue
            if key not in params:
                raise SystemExit(f"{path}: {name}: no such parameter in the model")
            todo.discard(key)
            a, z = e["data_offsets"]
            buf = bytearray(mm[8 + n + a:8 + n + z])
            t = torch.frombuffer(buf, dtype=dtypes[e["dtype"]]).view(e["shape"])
            with torch.no_grad():
                params[key].copy_(t)
            del buf, t
    if todo:
        raise SystemExit(f"{path}: no {sorted(todo)[0]} (and {len(todo) - 1} more)")


def batches(path, B, T, steps):
    rows = [json.loads(l)["input_ids"] for l in open(path)]
    for s in range(steps):
        ids = torch.zeros(B, T, dtype=torch.int64)
        lab = torch.full((B, T), -100, dtype=torch.int64)
        for i in range(B):
            r = rows[(s * B + i) % len(rows)][:T]
            ids[i, :len(r)] = torch.tensor(r)
            lab[i, :len(r)] = torch.tensor(r)
        yield ids, lab


def step(model, params, opt, ids, labels):
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
        loss = model(ids, labels)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad()
    return loss.item(), norm.item()


def main():
    torch.manual_seed(0)
    model = Model()
    if args.model:
        read_safetensors(os.path.join(args.model, "model.safetensors"), model)
    else:
        with torch.no_grad():
            for n, p in model.named_parameters():
                if "norm" not in n and not n.endswith("bias"):
                    p.normal_(0, cfg.get("initializer_range", 0.02))
    if args.mode == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            for lin in layer.linears():
                lin.add_lora(LORA_R, LORA_ALPHA)
    model.checkpointing = args.gradient_checkpointing
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    out = {"bench": "llama_train", "impl": "pytorch", "mode": args.mode, "precision": "bf16" if BF16 else "fp32",
           "B": args.B, "T": args.T, "threads": torch.get_num_threads(),
           "gradient_checkpointing": args.gradient_checkpointing}
    if args.data:                           # the whole process: every step timed as it comes
        t1 = time.time()
        losses = [step(model, params, opt, ids, lab) for ids, lab in batches(args.data, args.B, args.T, args.steps)]
        out.update(train_s=round(time.time() - t1, 3), first_loss=round(losses[0][0], 5),
                   first_grad_norm=round(losses[0][1], 5))
    else:
        g = torch.Generator().manual_seed(1)
        ids = torch.randint(0, V, (args.B, args.T), generator=g)
        best = 1e30
        for s in range(args.steps + 1):
            t1 = time.perf_counter()
            step(model, params, opt, ids, ids)
            if s:
                best = min(best, time.perf_counter() - t1)
        out.update(tokens_per_s=round(args.B * args.T / best, 1), step_s=round(best, 3))
    out.update(process_s=round(time.time() - T0, 3),
               peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    print(json.dumps(out), flush=True)


main()
