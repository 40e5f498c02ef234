"""PyTorch peer of bench/gpt2_step_ft.c: GPT2LMHeadModel (124M shape) written in
plain torch as modeling_gpt2 computes it, fp32; one training step
(forward, backward, clip, AdamW) for full fine-tuning and for LoRA r=8 on
c_attn,c_proj (PEFT's math: frozen base, dropout(x)·A^T·B^T·alpha/r); greedy
generation with a KV cache.  Prints JSON lines like gpt2_step.
beam: beam search with 4 beams and the same cache (no EOS: every step keeps
the top 4 of the 4×V continuations, as BeamSearchScorer does then).
usage: gpt2_step_torch.py CONFIG.json [B T STEPS GEN_TOKENS [full|lora|gen|beam|all]]"""
import json, math, os, resource, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.load(open(sys.argv[1]))
B = int(sys.argv[2]) if len(sys.argv) > 2 else 4
T = int(sys.argv[3]) if len(sys.argv) > 3 else 256
BF16 = os.environ.get("BF16") == "1"     # torch.autocast("cpu", torch.bfloat16), as Trainer(bf16=True)
STEPS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
GEN = int(sys.argv[5]) if len(sys.argv) > 5 else 50
WHAT = sys.argv[6] if len(sys.argv) > 6 else "all"
V, C, L, H, P = cfg["vocab_size"], cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["n_positions"]


class Conv1D(nn.Module):
    def __init__(self, nin, nout):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nin, nout) * 0.02)
        self.bias = nn.Parameter(torch.zeros(nout))
        self.lora = None

    def add_lora(self, r, alpha, p):
        nin, nout = self.weight.shape
        self.lora_A = nn.Parameter(torch.empty(r, nin).uniform_(-1 / math.sqrt(nin), 1 / math.sqrt(nin)))
        self.lora_B = nn.Parameter(torch.zeros(nout, r))
        self.lora, self.drop = alpha / r, nn.Dropout(p)

    def forward(self, x):
        y = torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(*x.shape[:-1], -1)
        if self.lora is not None:
            y = y + (self.drop(x) @ self.lora_A.t() @ self.lora_B.t()) * self.lora
        return y


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = Conv1D(C, 3 * C), Conv1D(C, C)
        self.c_fc, self.mlp_proj = Conv1D(C, 4 * C), Conv1D(4 * C, C)
        self.drop = nn.Dropout(0.1)
        self.register_buffer("bias", torch.tril(torch.ones(P, P, dtype=torch.bool)).view(1, 1, P, P))

    def forward(self, x, cache=None):
        Bn, Tn, _ = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, 2)
        sh = lambda t: t.view(Bn, Tn, H, C // H).transpose(1, 2)
        q, k, v = sh(q), sh(k), sh(v)
        if cache is not None:
            if cache:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[:] = [k, v]
        S = k.size(2)
        a = q @ k.transpose(-1, -2) / math.sqrt(C // H)
        a = torch.where(self.bias[:, :, S - Tn:S, :S], a, torch.finfo(a.dtype).min)
        a = self.drop(torch.softmax(a, -1))
        y = (a @ v).transpose(1, 2).reshape(Bn, Tn, C)
        x = x + self.drop(self.c_proj(y))
        return x + self.drop(self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x)))))


class GPT2(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(P, C)
        self.h = nn.ModuleList(Block() for _ in range(L))
        self.ln_f, self.drop = nn.LayerNorm(C), nn.Dropout(0.1)

    def forward(self, ids, caches=None, start=0):
        x = self.drop(self.wte(ids) + self.wpe(torch.arange(start, start + ids.size(1))))
        for i, b in enumerate(self.h):
            x = b(x, caches[i] if caches is not None else None)
        return self.ln_f(x) @ self.wte.weight.t()


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(lora):
    torch.manual_seed(0)
    m = GPT2()
    if lora:
        for p in m.parameters():
            p.requires_grad_(False)
        for b in m.h:
            for mod in (b.c_attn, b.c_proj, b.mlp_proj):
                mod.add_lora(8, 32, 0.1)
    m.train()
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    ids = (torch.arange(B * T) * 7919 % 50000).view(B, T)
    best = 1e30
    for s in range(STEPS + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
            logits = m(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if s > 0:
            best = min(best, dt)
    print(json.dumps({"bench": "gpt2_train", "impl": "pytorch", "mode": "lora" if lora else "full", "B": B,
                      "T": T, "threads": torch.get_num_threads(), "tokens_per_s": round(B * T / best, 1),
                      "step_s": round(best, 3), "peak_rss_mib": round(peak_mib())}), flush=True)


def gen():
    torch.manual_seed(0)
    m = GPT2().eval()
    ids = (torch.arange(16) * 31 % 50000).view(1, 16)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
        t0 = time.perf_counter()
        caches = [[] for _ in range(L)]
        logits = m(ids, caches)
        pos = ids.size(1)
        for _ in range(GEN):
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            logits = m(nxt, caches, pos)
            pos += 1
        dt = time.perf_counter() - t0
    print(json.dumps({"bench": "gpt2_generate", "impl": "pytorch", "B": 1, "prompt": 16, "new_tokens": GEN,
                      "threads": torch.get_num_threads(), "tokens_per_s": round(GEN / dt, 1)}), flush=True)


def beam(K=4):
    torch.manual_seed(0)
    m = GPT2().eval()
    ids = (torch.arange(16) * 31 % 50000).view(1, 16).repeat(K, 1)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
        t0 = time.perf_counter()
        caches = [[] for _ in range(L)]
        logits = m(ids, caches)
        pos = ids.size(1)
        scores = torch.full((K,), -1e9)
        scores[0] = 0
        for _ in range(GEN):
            logp = torch.log_softmax(logits[:, -1], -1) + scores[:, None]
            V = logp.size(1)
            top, idx = torch.topk(logp.view(-1), 2 * K)
            top, idx = top[:K], idx[:K]
            src, nxt, scores = idx // V, idx % V, top
            for c in caches:
                c[:] = [c[0][src], c[1][src]]
            logits = m(nxt[:, None], caches, pos)
            pos += 1
        dt = time.perf_counter() - t0
    print(json.dumps({"bench": "gpt2_generate", "impl": "pytorch", "beams": K, "B": 1, "prompt": 16,
                      "new_tokens": GEN, "threads": torch.get_num_threads(), "tokens_per_s": round(GEN / dt, 1)}),
          flush=True)


torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "2")))
if WHAT in ("all", "full"):
    train(False)
if WHAT in ("all", "lora"):
    train(True)
if WHAT in ("all", "gen"):
    gen()
if WHAT in ("all", "beam"):
    beam()
