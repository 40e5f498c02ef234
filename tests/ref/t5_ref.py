"""Reference T5ForConditionalGeneration in plain PyTorch (transformers is not
installed): the computation of HF modeling_t5.py (eager attention, fp32),
written from its definition, plus HF's generation semantics (greedy; beam
search as BeamSearchScorer with length_penalty / early_stopping and
no_repeat_ngram_size).  Used by tests/ref/t5.sh.

  t5_ref.py make DIR FF TIE       tiny config + random weights + a batch
  t5_ref.py check DIR             compare DIR/c_out.safetensors (from test_t5 --dump)
  t5_ref.py gen DIR ARGS...       reference generations (JSON lines on stdout)
"""
import json, math, struct, sys
import torch

torch.set_num_threads(1)


# ---- safetensors without the package ----
def st_load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", v["dtype"]
        a, b = v["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32) if b > a else torch.zeros(0)
        out[k] = t.reshape(v["shape"]).clone()
    return out


def st_save(path, tensors):
    head, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for k, t in tensors.items():
        b = t.detach().contiguous().float().numpy().tobytes()
        head[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(head).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# ---- the model ----
def rel_bucket(rel, bidirectional, num_buckets, max_distance):
    buckets = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        buckets += (rel > 0).long() * num_buckets
        rel = rel.abs()
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).long()
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(small, rel, large)


class T5:
    def __init__(self, cfg, w):
        self.c, self.w = cfg, w
        self.C, self.H, self.D = cfg["d_model"], cfg["num_heads"], cfg["d_kv"]
        self.nb = cfg.get("relative_attention_num_buckets", 32)
        self.md = cfg.get("relative_attention_max_distance", 128)
        self.eps = cfg.get("layer_norm_epsilon", 1e-6)
        ff = cfg.get("feed_forward_proj", "relu")
        self.gated = ff.startswith("gated-")
        act = "gelu_new" if ff == "gated-gelu" else ff.split("-")[-1]
        self.act = {"relu": torch.relu,
                    "gelu": lambda x: torch.nn.functional.gelu(x),
                    "gelu_new": lambda x: torch.nn.functional.gelu(x, approximate="tanh")}[act]
        self.tie = cfg.get("tie_word_embeddings", True)
        self.pad = cfg.get("pad_token_id", 0)
        self.start = cfg.get("decoder_start_token_id", self.pad)
        self.p = 0.0                      # dropout_rate when training (bench only; parity runs with 0)

    def drop(self, x):
        return torch.nn.functional.dropout(x, self.p, True) if self.p > 0 else x

    def ln(self, x, name):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.w[name] * (x * torch.rsqrt(var + self.eps))

    def bias(self, name, qlen, klen, bidirectional, q0=0):
        ctx = torch.arange(q0, q0 + qlen)[:, None]
        mem = torch.arange(klen)[None, :]
        b = rel_bucket(mem - ctx, bidirectional, self.nb, self.md)
        return self.w[name][b].permute(2, 0, 1).unsqueeze(0)      # [1,H,q,k]

    def attn(self, pre, x, kv, bias):
        B, Tq, _ = x.shape
        Tk = kv.shape[1]
        sp = lambda t, T: t.view(B, T, self.H, self.D).transpose(1, 2)
        q = sp(x @ self.w[pre + ".q.weight"].T, Tq)
        k = sp(kv @ self.w[pre + ".k.weight"].T, Tk)
        v = sp(kv @ self.w[pre + ".v.weight"].T, Tk)
        s = q @ k.transpose(-1, -2) + bias                           # no 1/sqrt(d)
        p = self.drop(torch.softmax(s, dim=-1))                    # HF upcasts half; here fp32 or fp64
        o = (p @ v).transpose(1, 2).reshape(B, Tq, self.H * self.D)
        return o @ self.w[pre + ".o.weight"].T

    def ff(self, pre, x):
        if self.gated:
            h = self.act(x @ self.w[pre + ".wi_0.weight"].T) * (x @ self.w[pre + ".wi_1.weight"].T)
        else:
            h = self.act(x @ self.w[pre + ".wi.weight"].T)
        return self.drop(h) @ self.w[pre + ".wo.weight"].T

    def encode(self, ids, mask):
        minf = torch.finfo(torch.float32).min
        ext = (1.0 - mask[:, None, None, :].float()) * minf
        x = self.drop(self.w["shared.weight"][ids])
        T = ids.shape[1]
        pb = self.bias("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", T, T, True) + ext
        for l in range(self.c["num_layers"]):
            p = "encoder.block.%d." % l
            n = self.ln(x, p + "layer.0.layer_norm.weight")
            x = x + self.drop(self.attn(p + "layer.0.SelfAttention", n, n, pb))
            x = x + self.drop(self.ff(p + "layer.1.DenseReluDense", self.ln(x, p + "layer.1.layer_norm.weight")))
        return self.drop(self.ln(x, "encoder.final_layer_norm.weight"))

    def decode(self, dec_ids, enc, mask, q0=0, cache=None):
        """Full decoder over dec_ids (no cache: recomputes everything)."""
        minf = torch.finfo(torch.float32).min
        B, T = dec_ids.shape
        causal = torch.tril(torch.ones(T, T))
        sb = self.bias("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", T, T, False)
        sb = sb + (1.0 - causal)[None, None] * minf
        cb = (1.0 - mask[:, None, None, :].float()) * minf
        x = self.drop(self.w["shared.weight"][dec_ids])
        nl = self.c.get("num_decoder_layers", self.c["num_layers"])
        for l in range(nl):
            p = "decoder.block.%d." % l
            n = self.ln(x, p + "layer.0.layer_norm.weight")
            x = x + self.drop(self.attn(p + "layer.0.SelfAttention", n, n, sb))
            x = x + self.drop(self.attn(p + "layer.1.EncDecAttention", self.ln(x, p + "layer.1.layer_norm.weight"), enc, cb))
            x = x + self.drop(self.ff(p + "layer.2.DenseReluDense", self.ln(x, p + "layer.2.layer_norm.weight")))
        h = self.drop(self.ln(x, "decoder.final_layer_norm.weight"))
        if self.tie:
            return h * self.C ** -0.5 @ self.w["shared.weight"].T
        return h @ self.w["lm_head.weight"].T

    def shift_right(self, labels):
        d = torch.full_like(labels, self.start)
        d[:, 1:] = labels[:, :-1]
        return d.masked_fill(d == -100, self.pad)

    def forward(self, ids, mask, labels):
        enc = self.encode(ids, mask)
        logits = self.decode(self.shift_right(labels), enc, mask)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                                 ignore_index=-100)
        return logits, loss


# ---- HF generation semantics ----
def banned_ngrams(seq, n):
    """no_repeat_ngram_size: tokens that would complete an n-gram already in seq."""
    if n <= 0 or len(seq) + 1 < n:
        return set()
    prefix = tuple(seq[len(seq) - n + 1:]) if n > 1 else ()
    out = set()
    for i in range(len(seq) - n + 1):
        if tuple(seq[i:i + n - 1]) == prefix:
            out.add(seq[i + n - 1])
    return out


def repetition_penalty(scores, seq, penalty):
    """RepetitionPenaltyLogitsProcessor on one row: gather, penalise, scatter."""
    if penalty == 1.0:
        return
    idx = torch.tensor(seq)
    s = scores.gather(0, idx)
    scores.scatter_(0, idx, torch.where(s < 0, s * penalty, s / penalty))


def greedy(model, ids, mask, max_new, eos, no_repeat=0, rep=1.0):
    enc = model.encode(ids, mask)
    B = ids.shape[0]
    seqs = [[model.start] for _ in range(B)]
    done = [False] * B
    for _ in range(max_new):
        logits = model.decode(torch.tensor(seqs), enc, mask)[:, -1]
        for b in range(B):
            repetition_penalty(logits[b], seqs[b], rep)
            for t in banned_ngrams(seqs[b], no_repeat):
                logits[b, t] = -float("inf")
        nxt = logits.argmax(-1).tolist()
        for b in range(B):
            seqs[b].append(model.pad if done[b] else nxt[b])
            done[b] = done[b] or nxt[b] == eos
        if all(done):
            break
    return seqs


def beam(model, ids, mask, max_new, eos, nb, length_penalty=1.0, early_stopping=False, no_repeat=0, rep=1.0):
    """HF beam search, recomputing the decoder over the whole prefix each step."""
    enc = model.encode(ids, mask)
    enc_r = enc.repeat_interleave(nb, 0)
    mask_r = mask.repeat_interleave(nb, 0)
    step = lambda seqs, src: model.decode(torch.tensor(seqs), enc_r, mask_r)[:, -1]
    return beam_core(step, ids.shape[0], model.start, model.pad, max_new, eos, nb, length_penalty,
                     early_stopping, no_repeat, rep)


def beam_core(step, B, start, pad, max_new, eos, nb, length_penalty=1.0, early_stopping=False, no_repeat=0,
              rep=1.0, ctx=None):
    """HF beam_search with BeamSearchScorer (num_beam_hyps_to_keep=1),
    max_length = 1 + max_new (decoder_start counts).  step(seqs, src) gives the
    last logits of every row; src (None at first) says which old row each row
    continues, for a cache.  ctx(r, seq): what the processors see of row r
    (a decoder-only model: its prompt, then the tokens after the start)."""
    max_length = 1 + max_new
    seqs = [[start] for _ in range(B * nb)]
    scores = torch.zeros(B, nb)
    scores[:, 1:] = -1e9
    scores = scores.view(-1)
    hyps = [[] for _ in range(B)]          # (score, seq)
    done = [False] * B
    src = None
    while True:
        cur = len(seqs[0])
        logits = step(seqs, src)
        logp = torch.log_softmax(logits, -1)
        for r in range(B * nb):
            seen = ctx(r, seqs[r]) if ctx else seqs[r]
            repetition_penalty(logp[r], seen, rep)
            for t in banned_ngrams(seen, no_repeat):
                logp[r, t] = -float("inf")
        V = logp.shape[-1]
        nxt = logp + scores[:, None]
        nxt = nxt.view(B, nb * V)
        top, idx = torch.topk(nxt, 2 * nb, dim=1, largest=True, sorted=True)
        new_seqs, new_scores, src = [], [], []
        for b in range(B):
            if done[b]:
                for _ in range(nb):
                    new_seqs.append(seqs[b * nb] + [pad])
                    new_scores.append(0.0)
                    src.append(b * nb)
                continue
            chosen = 0
            for rank in range(2 * nb):
                s, i = top[b, rank].item(), idx[b, rank].item()
                k, tok = i // V, i % V
                row = b * nb + k
                if tok == eos:
                    if rank >= nb:
                        continue
                    # generated_len = tokens generated, the eos included (= cur)
                    add_hyp(hyps[b], s / (cur ** length_penalty), seqs[row] + [eos], nb)
                else:
                    new_seqs.append(seqs[row] + [tok])
                    new_scores.append(s)
                    src.append(row)
                    chosen += 1
                if chosen == nb:
                    break
            if len(hyps[b]) >= nb:
                if early_stopping is True:
                    done[b] = True
                else:
                    best_possible = top[b].max().item() / (cur ** length_penalty)
                    worst = min(h[0] for h in hyps[b])
                    if worst >= best_possible:
                        done[b] = True
        seqs = new_seqs
        scores = torch.tensor(new_scores)
        if all(done) or len(seqs[0]) >= max_length:
            break
    out = []
    for b in range(B):
        if not done[b]:
            for k in range(nb):
                r = b * nb + k
                # transformers >= 4.36: generated_len excludes the decoder start token
                add_hyp(hyps[b], scores[r].item() / ((len(seqs[r]) - 1) ** length_penalty), seqs[r], nb)
        best = max(hyps[b], key=lambda h: h[0])
        out.append(best[1])
    return out


def beam_cached(model, ids, mask, eos, max_new, nb):
    """beam_core with a key/value cache (for the generation benchmark)."""
    enc = model.encode(ids, mask).repeat_interleave(nb, 0)
    mask_r = mask.repeat_interleave(nb, 0)
    minf = torch.finfo(torch.float32).min
    cb = (1.0 - mask_r[:, None, None, :].float()) * minf
    R, Ts = enc.shape[0], enc.shape[1]
    H, Dk = model.H, model.D
    nl = model.c.get("num_decoder_layers", model.c["num_layers"])
    sp = lambda t: t.view(R, -1, H, Dk).transpose(1, 2)
    w = model.w
    cross = []
    for l in range(nl):
        p = "decoder.block.%d.layer.1.EncDecAttention." % l
        cross.append((sp(enc @ w[p + "k.weight"].T), sp(enc @ w[p + "v.weight"].T)))
    cache = [None] * nl

    def step(seqs, src):
        if src is not None:
            s = torch.tensor(src)
            for l in range(nl):
                cache[l] = (cache[l][0][s], cache[l][1][s])
        pos = len(seqs[0]) - 1
        x = w["shared.weight"][torch.tensor([q[-1] for q in seqs])][:, None]
        bias = model.bias("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", 1, pos + 1,
                          False, q0=pos)
        for l in range(nl):
            p = "decoder.block.%d." % l
            n = model.ln(x, p + "layer.0.layer_norm.weight")
            a = p + "layer.0.SelfAttention."
            q, k, v = (sp(n @ w[a + c + ".weight"].T) for c in "qkv")
            if cache[l] is not None:
                k = torch.cat([cache[l][0], k], 2)
                v = torch.cat([cache[l][1], v], 2)
            cache[l] = (k, v)
            pr = torch.softmax(q @ k.transpose(-1, -2) + bias, -1)
            x = x + (pr @ v).transpose(1, 2).reshape(R, 1, H * Dk) @ w[a + "o.weight"].T
            n = model.ln(x, p + "layer.1.layer_norm.weight")
            a = p + "layer.1.EncDecAttention."
            q = sp(n @ w[a + "q.weight"].T)
            pr = torch.softmax(q @ cross[l][0].transpose(-1, -2) + cb, -1)
            x = x + (pr @ cross[l][1]).transpose(1, 2).reshape(R, 1, H * Dk) @ w[a + "o.weight"].T
            x = x + model.ff(p + "layer.2.DenseReluDense", model.ln(x, p + "layer.2.layer_norm.weight"))
        h = model.ln(x, "decoder.final_layer_norm.weight")[:, 0]
        if model.tie:
            return h * model.C ** -0.5 @ w["shared.weight"].T
        return h @ w["lm_head.weight"].T

    return beam_core(step, ids.shape[0], model.start, model.pad, max_new, eos, nb)


def random_weights(cfg, std):
    V, C, H, D, F, L = (cfg[k] for k in ("vocab_size", "d_model", "num_heads", "d_kv", "d_ff", "num_layers"))
    I = H * D
    w = {"shared.weight": torch.randn(V, C)}
    for st in ("encoder", "decoder"):
        for l in range(L):
            p = "%s.block.%d.layer." % (st, l)
            for x in "qkv":
                w[p + "0.SelfAttention.%s.weight" % x] = torch.randn(I, C) * std
            w[p + "0.SelfAttention.o.weight"] = torch.randn(C, I) * std
            if l == 0:
                w[p + "0.SelfAttention.relative_attention_bias.weight"] = torch.randn(32, H) * std
            w[p + "0.layer_norm.weight"] = torch.ones(C)
            fl = 1
            if st == "decoder":
                for x in "qkv":
                    w[p + "1.EncDecAttention.%s.weight" % x] = torch.randn(I, C) * std
                w[p + "1.EncDecAttention.o.weight"] = torch.randn(C, I) * std
                w[p + "1.layer_norm.weight"] = torch.ones(C)
                fl = 2
            w[p + "%d.DenseReluDense.wi.weight" % fl] = torch.randn(F, C) * std
            w[p + "%d.DenseReluDense.wo.weight" % fl] = torch.randn(C, F) * std
            w[p + "%d.layer_norm.weight" % fl] = torch.ones(C)
        w[st + ".final_layer_norm.weight"] = torch.ones(C)
    return w


def add_hyp(hyps, score, seq, nb):
    if len(hyps) < nb or score > min(h[0] for h in hyps):
        hyps.append((score, seq))
        if len(hyps) > nb:
            hyps.remove(min(hyps, key=lambda h: h[0]))


# ---- commands ----
def tiny_config(ff, tie):
    return {"model_type": "t5", "architectures": ["T5ForConditionalGeneration"], "vocab_size": 50,
            "d_model": 16, "d_kv": 6, "d_ff": 24, "num_layers": 2, "num_decoder_layers": 3,
            "num_heads": 3, "relative_attention_num_buckets": 8, "relative_attention_max_distance": 12,
            "dropout_rate": 0.1, "layer_norm_epsilon": 1e-6, "initializer_factor": 1.0,
            "feed_forward_proj": ff, "tie_word_embeddings": tie, "pad_token_id": 0,
            "eos_token_id": 1, "decoder_start_token_id": 0, "is_encoder_decoder": True}


def make(d, ff, tie):
    cfg = tiny_config(ff, tie == "1")
    torch.manual_seed(1234 + len(ff) + int(tie))
    C, H, D, F, V = cfg["d_model"], cfg["num_heads"], cfg["d_kv"], cfg["d_ff"], cfg["vocab_size"]
    I = H * D
    w = {"shared.weight": torch.randn(V, C)}
    for st, nl in (("encoder", cfg["num_layers"]), ("decoder", cfg["num_decoder_layers"])):
        for l in range(nl):
            p = "%s.block.%d.layer." % (st, l)
            for x in "qkv":
                w[p + "0.SelfAttention.%s.weight" % x] = torch.randn(I, C) * C ** -0.5
            w[p + "0.SelfAttention.o.weight"] = torch.randn(C, I) * I ** -0.5
            if l == 0:
                w[p + "0.SelfAttention.relative_attention_bias.weight"] = torch.randn(cfg["relative_attention_num_buckets"], H)
            w[p + "0.layer_norm.weight"] = 1 + 0.1 * torch.randn(C)
            fl = 1
            if st == "decoder":
                for x in "qkv":
                    w[p + "1.EncDecAttention.%s.weight" % x] = torch.randn(I, C) * C ** -0.5
                w[p + "1.EncDecAttention.o.weight"] = torch.randn(C, I) * I ** -0.5
                w[p + "1.layer_norm.weight"] = 1 + 0.1 * torch.randn(C)
                fl = 2
            f = p + "%d.DenseReluDense." % fl
            if ff.startswith("gated"):
                w[f + "wi_0.weight"] = torch.randn(F, C) * C ** -0.5
                w[f + "wi_1.weight"] = torch.randn(F, C) * C ** -0.5
            else:
                w[f + "wi.weight"] = torch.randn(F, C) * C ** -0.5
            w[f + "wo.weight"] = torch.randn(C, F) * F ** -0.5
            w[p + "%d.layer_norm.weight" % fl] = 1 + 0.1 * torch.randn(C)
        w[st + ".final_layer_norm.weight"] = 1 + 0.1 * torch.randn(C)
    if tie != "1":
        w["lm_head.weight"] = torch.randn(V, C) * 0.5
        w["lm_head.weight"][1] *= 2.5      # eos likely enough to end some generations early
    json.dump(cfg, open(d + "/config.json", "w"), indent=2)
    st_save(d + "/model.safetensors", w)
    # a batch: B=3, Ts=7 with padding, Tl=5 with -100
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(2, V, (3, 7), generator=g)
    mask = torch.ones(3, 7, dtype=torch.long)
    mask[1, 5:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    labels = torch.randint(2, V, (3, 5), generator=g)
    labels[0, 4] = 1
    labels[1, 3:] = -100
    labels[1, 2] = 1
    labels[2, 4] = -100
    json.dump({"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "labels": labels.tolist()},
              open(d + "/batch.json", "w"))


def check(d):
    cfg = json.load(open(d + "/config.json"))
    w = st_load(d + "/model.safetensors")
    b = json.load(open(d + "/batch.json"))
    ids, mask, labels = (torch.tensor(b[k]) for k in ("input_ids", "attention_mask", "labels"))
    c = st_load(d + "/c_out.safetensors")
    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    m = T5(cfg, params)
    logits, loss = m.forward(ids, mask, labels)
    loss.backward()
    worst = {}

    def cmp(what, a, ref, tol):
        err = (a - ref).abs().max().item() / max(1.0, ref.abs().max().item())
        worst[what] = max(worst.get(what, 0), err)
        return err <= tol

    ok = True
    ok &= cmp("logits", c["logits"], logits.detach(), 1e-5)
    ok &= cmp("loss", c["loss"], loss.detach().view(1), 1e-5)
    for k, p in params.items():
        ok &= cmp("grads", c["grad." + k], p.grad, 1e-4)
    # Three AdamW steps, weight decay by HF Trainer's rule, run twice: in
    # float32 (what ft computes in) and in float64 (the exact trajectory).
    t32, t64 = adamw3(cfg, w, ids, mask, labels, torch.float32), adamw3(cfg, w, ids, mask, labels, torch.float64)
    # Adam divides by sqrt(v)+eps: a weight whose gradient cancels to ~1e-8
    # (tiny ReLU test model: encoder.block.1 wo[15,21], exact gradient 4.5e-8,
    # torch fp32 4.2e-9, ft 7.6e-8 -- both rounding noise of terms of 0.05)
    # moves by 0.3·lr in torch fp32, 0.82·lr exactly, 0.88·lr in ft; the moved
    # weight then perturbs the other gradients (wo of block 0 off by 1.3e-5 in
    # torch fp32).  No fp32 result is "the" answer there, so each element is
    # held to the exact trajectory: |ft - fp64| <= 1e-5 + |torch fp32 - fp64|,
    # i.e. at least as close as PyTorch's own fp32 run (measured: ft within
    # 6.7e-5 where torch fp32 is 5.2e-4 off; 1.7e-6 everywhere else).  Decaying
    # relative_attention_bias (lr·wd·|p| a step: 5e-5 to 8e-5 over 3 steps
    # here, where torch fp32 is within 1e-7 of fp64) fails it.
    for k in w:
        c3, e32 = c["step3." + k].double(), (t32[k] - t64[k]).abs()
        excess = ((c3 - t64[k]).abs() - e32).max().item()
        worst["adamw3_vs_fp64_excess"] = max(worst.get("adamw3_vs_fp64_excess", -1), excess)
        worst["adamw3_vs_fp32"] = max(worst.get("adamw3_vs_fp32", 0), (c3 - t32[k]).abs().max().item())
        if excess > 1e-5:
            print("adamw3: %s off the float64 trajectory by %.2e more than torch fp32" % (k, excess), file=sys.stderr)
            ok = False
    print(" ".join("%s=%.2e" % kv for kv in worst.items()), file=sys.stderr)
    sys.exit(0 if ok else 1)


def hf_no_decay(name):
    """transformers Trainer.get_decay_parameter_names (v4.46): no decay for a
    parameter of a T5LayerNorm (one of ALL_LAYERNORM_LAYERS; named *layer_norm
    here) or for any name containing "bias" (relative_attention_bias too)."""
    return "bias" in name or name.endswith("layer_norm.weight")


def adamw3(cfg, w, ids, mask, labels, dtype):
    """Weights after three torch.optim.AdamW steps (lr 1e-3, wd 0.01)."""
    params = {k: v.clone().to(dtype).requires_grad_(True) for k, v in w.items()}
    m = T5(cfg, params)
    opt = torch.optim.AdamW([{"params": [p for k, p in params.items() if not hf_no_decay(k)], "weight_decay": 0.01},
                             {"params": [p for k, p in params.items() if hf_no_decay(k)], "weight_decay": 0.0}],
                            lr=1e-3)
    for _ in range(3):
        opt.zero_grad()
        m.forward(ids, mask, labels)[1].backward()
        opt.step()
    return {k: p.detach().double() for k, p in params.items()}


def gen(d, mode, nb, max_new, lp, es, nr, rp):
    cfg = json.load(open(d + "/config.json"))
    m = T5(cfg, st_load(d + "/model.safetensors"))
    b = json.load(open(d + "/batch.json"))
    ids, mask = torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"])
    eos = cfg.get("eos_token_id", 1)
    with torch.no_grad():
        if mode == "greedy":
            out = greedy(m, ids, mask, max_new, eos, nr, rp)
        else:
            out = beam(m, ids, mask, max_new, eos, nb, lp, es, nr, rp)
    for s in out:
        # strip trailing pads after eos, drop the start token
        s = s[1:]
        if eos in s:
            s = s[:s.index(eos) + 1]
        print(json.dumps(s))


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "make":
        make(a[2], a[3], a[4])
    elif a[1] == "check":
        check(a[2])
    elif a[1] == "gen":
        gen(a[2], a[3], int(a[4]), int(a[5]), float(a[6]), a[7] == "1", int(a[8]), float(a[9]))
