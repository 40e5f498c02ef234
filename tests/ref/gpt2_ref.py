"""PyTorch reference for GPT-2 (GPT2LMHeadModel as HF computes it, written in
plain torch) and LoRA (PEFT's Conv1D LoRA).  Writes into DIR:
  model/      legacy checkpoint: no "transformer." prefix, attn.bias buffers
  model2/     HF save_pretrained layout: prefix, lm_head.weight present
  batch.safetensors   ids, mask, labels (as F32)
  ref.safetensors     logits, loss, grads, weights after 3 AdamW steps, LoRA
  gen.json            greedy generations (left padded batch; also with a
                      repetition penalty and no_repeat_ngram_size)
usage: gpt2_ref.py DIR"""
import json, math, os, struct, sys
import torch
import torch.nn.functional as F

torch.manual_seed(0)
D = sys.argv[1]
V, C, L, H, P, FF = 97, 32, 2, 4, 40, 64
EPS = 1e-5
cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_embd": C,
       "n_layer": L, "n_head": H, "n_positions": P, "n_inner": FF, "n_ctx": P,
       "activation_function": "gelu_new", "layer_norm_epsilon": EPS, "initializer_range": 0.02,
       "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "bos_token_id": 3, "eos_token_id": 3}


def save_st(path, tensors):
    hdr, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        hdr[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hdr["__metadata__"] = {"format": "pt"}
    h = json.dumps(hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def names():
    out = [("wte.weight", (V, C)), ("wpe.weight", (P, C))]
    for l in range(L):
        p = f"h.{l}."
        out += [(p + "ln_1.weight", (C,)), (p + "ln_1.bias", (C,)),
                (p + "attn.c_attn.weight", (C, 3 * C)), (p + "attn.c_attn.bias", (3 * C,)),
                (p + "attn.c_proj.weight", (C, C)), (p + "attn.c_proj.bias", (C,)),
                (p + "ln_2.weight", (C,)), (p + "ln_2.bias", (C,)),
                (p + "mlp.c_fc.weight", (C, FF)), (p + "mlp.c_fc.bias", (FF,)),
                (p + "mlp.c_proj.weight", (FF, C)), (p + "mlp.c_proj.bias", (C,))]
    out += [("ln_f.weight", (C,)), ("ln_f.bias", (C,))]
    return out


W = {}
for n, s in names():
    if "ln_" in n and n.endswith(".weight"):
        W[n] = 1.0 + 0.1 * torch.randn(s)
    elif n.endswith(".bias"):
        W[n] = 0.1 * torch.randn(s)
    else:
        W[n] = 0.2 * torch.randn(s)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def conv1d(x, w, b, lora=None):
    y = torch.addmm(b, x.reshape(-1, x.shape[-1]), w).reshape(*x.shape[:-1], w.shape[1])
    if lora is not None:
        A, B_, s = lora
        y = y + (x @ A.t() @ B_.t()) * s
    return y


def forward(W, ids, mask, pos=None, loras=None):
    Bn, T = ids.shape
    if pos is None:
        pos = torch.arange(T).unsqueeze(0).expand(Bn, T)
    x = W["wte.weight"][ids] + W["wpe.weight"][pos]
    am = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    lo = loras or {}
    for l in range(L):
        p = f"h.{l}."
        h = F.layer_norm(x, (C,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], EPS)
        qkv = conv1d(h, W[p + "attn.c_attn.weight"], W[p + "attn.c_attn.bias"], lo.get(p + "attn.c_attn"))
        q, k, v = qkv.split(C, dim=2)
        sh = lambda t: t.view(Bn, T, H, C // H).permute(0, 2, 1, 3)
        q, k, v = sh(q), sh(k), sh(v)
        a = q @ k.transpose(-1, -2) / torch.full([], (C // H) ** 0.5)
        a = torch.where(causal, a, torch.tensor(torch.finfo(torch.float32).min))
        a = a + am
        a = torch.softmax(a, dim=-1)
        y = (a @ v).permute(0, 2, 1, 3).reshape(Bn, T, C)
        y = conv1d(y, W[p + "attn.c_proj.weight"], W[p + "attn.c_proj.bias"], lo.get(p + "attn.c_proj"))
        x = x + y
        h = F.layer_norm(x, (C,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], EPS)
        f = gelu_new(conv1d(h, W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"], lo.get(p + "mlp.c_fc")))
        x = x + conv1d(f, W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"], lo.get(p + "mlp.c_proj"))
    x = F.layer_norm(x, (C,), W["ln_f.weight"], W["ln_f.bias"], EPS)
    return x @ W["wte.weight"].t()


def lm_loss(logits, labels):
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


# batch: B=3, T=9; row 1 right-padded (labels -100 there), row 2 has an ignored label
Bn, T = 3, 9
ids = torch.randint(4, V, (Bn, T))
mask = torch.ones(Bn, T, dtype=torch.long)
mask[1, 6:] = 0
ids[1, 6:] = 3
labels = ids.clone()
labels[1, 6:] = -100
labels[2, 4] = -100

os.makedirs(f"{D}/model", exist_ok=True)
os.makedirs(f"{D}/model2", exist_ok=True)
legacy = dict(W)
for l in range(L):
    legacy[f"h.{l}.attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
    legacy[f"h.{l}.attn.masked_bias"] = torch.tensor(-1e4)
save_st(f"{D}/model/model.safetensors", legacy)
modern = {"transformer." + k: v for k, v in W.items()}
modern["lm_head.weight"] = W["wte.weight"]
save_st(f"{D}/model2/model.safetensors", modern)
for d in ("model", "model2"):
    with open(f"{D}/{d}/config.json", "w") as f:
        json.dump(cfg, f, indent=2)
save_st(f"{D}/batch.safetensors", {"input_ids": ids.float(), "attention_mask": mask.float(),
                                   "labels": labels.float()})

ref = {}
# ---- full model: logits, loss, gradients, 3 AdamW steps ----
Wp = {k: v.clone().requires_grad_(True) for k, v in W.items()}
logits = forward(Wp, ids, mask)
loss = lm_loss(logits, labels)
loss.backward()
ref["logits"] = logits
ref["loss"] = loss.reshape(1)
for k, v in Wp.items():
    ref["grad.transformer." + k] = v.grad.clone()
# HF Trainer's decay rule (transformers v4.46): none for the nn.LayerNorm
# modules (ln_1, ln_2, ln_f) and for any name containing "bias".
nd = lambda k: "bias" in k or k.split(".")[-2].startswith("ln_")
decay = [v for k, v in Wp.items() if not nd(k)]
nodecay = [v for k, v in Wp.items() if nd(k)]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}],
                        lr=1e-3)
opt.zero_grad()
for step in range(3):
    opt.zero_grad()
    lm_loss(forward(Wp, ids, mask), labels).backward()
    opt.step()
for k, v in Wp.items():
    ref["step3.transformer." + k] = v

# ---- LoRA r=4, alpha=8 on c_attn, c_proj (attn and mlp) ----
r, alpha = 4, 8.0
targets = [f"h.{l}.{m}" for l in range(L) for m in ("attn.c_attn", "attn.c_proj", "mlp.c_proj")]
io = {"attn.c_attn": (C, 3 * C), "attn.c_proj": (C, C), "mlp.c_proj": (FF, C)}
LA, LB = {}, {}
for t in targets:
    fi, fo = io[t.split(".", 2)[2]]
    LA[t] = ((torch.rand(r, fi) * 2 - 1) / math.sqrt(fi)).requires_grad_(True)
    LB[t] = torch.zeros(fo, r, requires_grad=True)
    ref[f"lora_init_A.transformer.{t}"] = LA[t].detach().clone()
    ref[f"lora_init_B.transformer.{t}"] = torch.zeros(fo, r)
loras = {t: (LA[t], LB[t], alpha / r) for t in targets}
ref["lora_logits0"] = forward(W, ids, mask, loras=loras)
lopt = torch.optim.AdamW(list(LA.values()) + list(LB.values()), lr=1e-2, weight_decay=0.01)
for step in range(3):
    lopt.zero_grad()
    ll = lm_loss(forward(W, ids, mask, loras=loras), labels)
    ll.backward()
    if step == 0:
        for t in targets:
            ref[f"lora_grad1_B.transformer.{t}"] = LB[t].grad.clone()
    lopt.step()
for t in targets:
    ref[f"lora_step3_A.transformer.{t}"] = LA[t]
    ref[f"lora_step3_B.transformer.{t}"] = LB[t]
# gradients at a point where B != 0 (so A gets a gradient too)
for t in targets:
    LA[t].grad = None
    LB[t].grad = None
ll = lm_loss(forward(W, ids, mask, loras=loras), labels)
ll.backward()
ref["lora_loss_b"] = ll.reshape(1)
for t in targets:
    ref[f"lora_gradb_A.transformer.{t}"] = LA[t].grad
    ref[f"lora_gradb_B.transformer.{t}"] = LB[t].grad
save_st(f"{D}/ref.safetensors", ref)


# ---- greedy generation, left padded, HF's generate() semantics ----
def banned_ngrams(seq, n):
    """NoRepeatNGramLogitsProcessor: tokens that would complete an n-gram of seq."""
    if n <= 0 or len(seq) + 1 < n:
        return set()
    prefix = seq[len(seq) - n + 1:]
    return {seq[i + n - 1] for i in range(len(seq) - n + 1) if seq[i:i + n - 1] == prefix}


def greedy(prompts, max_new, eos, loras=None, rep=1.0, no_repeat=0):
    """Processors see the whole row, left padding included, as in HF."""
    n = max(len(p) for p in prompts)
    ids = torch.tensor([[eos] * (n - len(p)) + p for p in prompts])
    m = torch.tensor([[0] * (n - len(p)) + [1] * len(p) for p in prompts])
    done = torch.zeros(len(prompts), dtype=torch.bool)
    out = [[] for _ in prompts]
    with torch.no_grad():
        for _ in range(max_new):
            pos = (m.cumsum(-1) - 1).masked_fill(m == 0, 1)
            logits = forward(W, ids, m, pos, loras)[:, -1]
            if rep != 1.0:
                sc = logits.gather(1, ids)
                logits.scatter_(1, ids, torch.where(sc < 0, sc * rep, sc / rep))
            for i in range(len(prompts)):
                for t in banned_ngrams(ids[i].tolist(), no_repeat):
                    logits[i, t] = -float("inf")
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.tensor(eos), nxt)
            for i in range(len(prompts)):
                if not done[i]:
                    out[i].append(int(nxt[i]))
            done |= nxt == eos
            ids = torch.cat([ids, nxt[:, None]], 1)
            m = torch.cat([m, torch.ones(len(prompts), 1, dtype=torch.long)], 1)
            if done.all():
                break
    return out


def beam(prompts, max_new, eos, nb, length_penalty=1.0, early_stopping=False, rep=1.0, no_repeat=0):
    """HF beam search for a decoder-only model: t5_ref's BeamSearchScorer loop
    with the padded prompt in front of every row (decoder_prompt_len = its
    length, so generated_len counts generated tokens only), recomputing the
    whole sequence each step; pad = eos as for GPT-2."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from t5_ref import beam_core
    n = max(len(p) for p in prompts)
    P = [[eos] * (n - len(p)) + p for p in prompts]
    M = [[0] * (n - len(p)) + [1] * len(p) for p in prompts]
    full = lambda r, seq: P[r // nb] + seq[1:]

    def step(seqs, src):
        ids = torch.tensor([full(r, q) for r, q in enumerate(seqs)])
        m = torch.tensor([M[r // nb] + [1] * (len(q) - 1) for r, q in enumerate(seqs)])
        pos = (m.cumsum(-1) - 1).masked_fill(m == 0, 1)
        with torch.no_grad():
            return forward(W, ids, m, pos, None)[:, -1]
    out = beam_core(step, len(prompts), eos, eos, max_new, eos, nb, length_penalty, early_stopping,
                    no_repeat, rep, ctx=full)
    return [q[1:] for q in out]


prompts = [[5, 17, 33, 8], [60, 2], [11, 12, 13, 14, 15, 16, 40]]
with torch.no_grad():
    for t in targets:
        LB[t].copy_(ref[f"lora_step3_B.transformer.{t}"])
        LA[t].copy_(ref[f"lora_step3_A.transformer.{t}"])
json.dump({"prompts": prompts, "greedy": greedy(prompts, 12, 3),
           "greedy_lora": greedy(prompts, 12, 3, loras),
           "greedy_rep": greedy(prompts, 12, 3, rep=1.5),
           "greedy_nr2": greedy(prompts, 12, 3, no_repeat=2),
           "beam3": beam(prompts, 12, 3, 3),
           "beam4_lp2_es": beam(prompts, 12, 3, 4, length_penalty=2.0, early_stopping=True),
           "beam2_lp05_nr2": beam(prompts, 12, 3, 2, length_penalty=0.5, no_repeat=2),
           "beam3_rep": beam(prompts, 12, 3, 3, rep=1.5)}, open(f"{D}/gen.json", "w"))


# ---- bf16 autocast references (tests/ref/bf16.sh): the full model, and LoRA
# at its 3-step point (B != 0, so A has a gradient), saved as a PEFT adapter ----
import bf16_ref
os.makedirs(f"{D}/bf16_adapter", exist_ok=True)
save_st(f"{D}/bf16_adapter/adapter_model.safetensors",
        {f"base_model.model.transformer.{t}.lora_{x}.weight": (LA if x == "A" else LB)[t] for t in targets for x in "AB"})
json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": r, "lora_alpha": alpha, "lora_dropout": 0.0,
           "target_modules": ["c_attn", "c_proj"], "fan_in_fan_out": True, "bias": "none"},
          open(f"{D}/bf16_adapter/adapter_config.json", "w"))


def autocast_run(lora):
    def run(dtype, ac):
        Wd = {k: v.detach().to(dtype).requires_grad_(not lora) for k, v in W.items()}
        ld = {t: (LA[t].detach().to(dtype).requires_grad_(True), LB[t].detach().to(dtype).requires_grad_(True),
                  alpha / r) for t in targets} if lora else None
        with bf16_ref.autocast(ac):
            logits = forward(Wd, ids, mask, loras=ld)
            loss = lm_loss(logits, labels)
        loss.backward()
        if lora:
            params = {f"transformer.{t}.lora_{x}.weight": ld[t][0 if x == "A" else 1] for t in targets for x in "AB"}
        else:
            params = {"transformer." + k: v for k, v in Wd.items()}
        return logits.reshape(-1, V), loss, params
    return run


bf16_ref.refs(autocast_run(False), f"{D}/bf16_ref.npz")
bf16_ref.refs(autocast_run(True), f"{D}/bf16_lora_ref.npz")
