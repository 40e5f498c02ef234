#!/usr/bin/python3
"""PyTorch parity for ft's BERT: a plain-torch BertForSequenceClassification
(same module names as transformers' modeling_bert, eager attention) against
build/ref/bert_ref_drv on a tiny random checkpoint and a padded batch.

Checks (dropout off):
  logits, loss                       max rel err <= 1e-5 (relative to the tensor's max)
  every parameter gradient           max err <= 1e-4 * max|grad|, or the fp32 noise floor
  weights after 3 AdamW steps        (linear warmup, grad accumulation, clipping)
                                     per entry <= 1e-5 * max|w| + the Adam noise allowance
The noise floor: some gradients are zero only mathematically (the attention
key bias: softmax ignores a constant shift), so in fp32 they are rounding
noise.  We run the reference in float64 as well; torch-fp32's own distance
from it, per tensor, is the noise level.  A gradient tolerance never drops
below 4x that noise.  Adam divides by sqrt(v), turning a noise-dominated
gradient into a +-lr step, so an entry's weight tolerance adds
sum_t lr_t * min(2, 10 * noise_t / |g64_t|): negligible where the gradient is
well above the noise, up to 2*lr per step where it is all noise.  Counts of
entries judged that way are printed, not hidden.

multitask: two heads (classifier.a: 3 labels, classifier.b: 2) on one
encoder; step 1's micro-batches use heads a then b, step 2 only a, step 3
only b: torch (zero_grad set_to_none, as HF Trainer on torch 2) leaves the
idle head alone and counts AdamW steps per tensor, and so must ft.

mlm: BertForMaskedLM (decoder tied to the word embeddings), token labels with
-100 where not masked; ft computes logits only for the labelled tokens, so
those rows are compared.

usage: bert_parity.py WORKDIR DRIVER [single|regression|multitask|mlm]
"""
import json, math, os, struct, subprocess, sys
import numpy as np
import torch
from torch import nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

torch.set_num_threads(1)

# ---- safetensors by hand (torch 1.13 has no safetensors package) ----
def st_write(path, tensors, meta=None):
    hdr, off, blobs = {}, 0, []
    if meta: hdr["__metadata__"] = meta
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype=np.float32)
        hdr[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(hdr).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)

def st_read(path):
    with open(path, "rb") as f: data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header not 8-byte aligned"
    hdr = json.loads(data[8:8 + n])
    meta = hdr.pop("__metadata__", {})
    out = {}
    for k, v in hdr.items():
        assert v["dtype"] == "F32", v
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"])
    return out, meta

from bert_ref import BertForSequenceClassification, BertForMaskedLM

# ---- the experiment ----
def main():
    work, driver = sys.argv[1], sys.argv[2]
    problem = sys.argv[3] if len(sys.argv) > 3 else "single"
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    L = 1 if problem == "regression" else 3
    cfg = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "vocab_size": 50,
           "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 64, "max_position_embeddings": 16, "type_vocab_size": 2,
           "layer_norm_eps": 1e-12, "initializer_range": 0.02, "hidden_act": "gelu",
           "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "pad_token_id": 0,
           "num_labels": L}
    if problem == "regression": cfg["problem_type"] = "regression"
    tasks = [0]
    if problem == "multitask":
        cfg["ft_tasks"] = [{"name": "a", "num_labels": 3}, {"name": "b", "num_labels": 2}]
        tasks = [0, 1, 0, 0, 1, 1]  # the head of each micro-batch, step by step
    Model = BertForMaskedLM if problem == "mlm" else BertForSequenceClassification
    m = Model(cfg)
    with torch.no_grad():       # weights large enough that every path matters
        for n, p in m.named_parameters():
            if "LayerNorm.weight" in n: p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith("bias"): p.copy_(0.1 * torch.randn_like(p))
            else: p.copy_(0.2 * torch.randn_like(p))
    B, T = 4, 10
    ids = torch.randint(1, 50, (B, T))
    lens = [10, 7, 4, 9]
    am = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lens): am[b, :n] = 1
    ids = ids * am
    tt = torch.zeros(B, T, dtype=torch.long); tt[:, 5:] = 1; tt = tt * am
    if problem == "regression": labels = torch.randn(B, 1)
    elif problem == "multitask": labels = torch.tensor([1, -100, 0, 1])   # fit both heads
    elif problem == "mlm":      # about a third of the real tokens labelled, some replaced by [MASK]=3
        chosen = (torch.rand(B, T) < 0.35) & (am == 1)
        chosen[0, 1] = chosen[2, 2] = chosen[3, 0] = True     # every micro-batch has labelled tokens
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        ids = torch.where(chosen & (torch.rand(B, T) < 0.8), torch.full_like(ids, 3), ids)
    else: labels = torch.tensor([2, -100, 0, 1])
    with open(os.path.join(work, "config.json"), "w") as f: json.dump(cfg, f)
    st_write(os.path.join(work, "model.safetensors"),
             {n: p.detach().numpy() for n, p in m.state_dict().items()}, {"format": "pt"})
    st_write(os.path.join(work, "batch.safetensors"),
             {"input_ids": ids.numpy(), "attention_mask": am.numpy(),
              "token_type_ids": tt.numpy(), "labels": labels.numpy(),
              **({"batch_tasks": np.array(tasks)} if problem == "multitask" else {})})

    accum, lr, wd, maxnorm, warmup, total = 2, 1e-3, 0.01, 1.0, 1, 3
    subprocess.run([driver, work, str(accum), str(lr), str(wd), str(maxnorm), str(warmup), str(total)]
                   + (["masked-lm"] if problem == "mlm" else []), check=True)
    ft, _ = st_read(os.path.join(work, "ft_out.safetensors"))

    def grad(p):                    # a head no batch used has none: zeros
        return np.zeros(p.shape) if p.grad is None else p.grad.detach().double().numpy().copy()

    def run(dtype):
        r = Model(cfg)
        r.load_state_dict(m.state_dict())
        r = r.to(dtype)
        r.eval()                    # dropout off for parity
        lab = labels.to(dtype) if problem == "regression" else labels
        logits, loss = r(ids, am, tt, lab, tasks[0])
        loss.backward()
        grads = {n: grad(p) for n, p in r.named_parameters()}
        if problem == "mlm": logits = logits[labels != -100]    # ft's rows: the labelled tokens
        out = {"logits": logits.detach().double().numpy(), "loss": loss.item(), "grads": grads}
        # HF Trainer: AdamW with no decay for nn.LayerNorm modules' parameters and
        # names containing "bias" (get_decay_parameter_names, transformers v4.46),
        # LambdaLR linear warmup, loss / accum per micro-batch, clip_grad_norm_,
        # step, schedule step.
        norms = {mn + "." + pn for mn, mod in r.named_modules() if isinstance(mod, nn.LayerNorm)
                 for pn, _ in mod.named_parameters(recurse=False)}
        nd = lambda n: n in norms or "bias" in n
        decay = [p for n, p in r.named_parameters() if not nd(n)]
        nodecay = [p for n, p in r.named_parameters() if nd(n)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                                 {"params": nodecay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.999), eps=1e-8)
        lam = lambda s: s / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lam)
        step_grads, norms, lrs, rows = [], [], [], B // accum
        for s in range(total):
            opt.zero_grad(set_to_none=True)
            for a in range(accum):
                sl = slice(a * rows, (a + 1) * rows)
                _, l = r(ids[sl], am[sl], tt[sl], lab[sl], tasks[(s * accum + a) % len(tasks)])
                (l / accum).backward()
            step_grads.append({n: grad(p) for n, p in r.named_parameters()})
            norms.append(float(torch.nn.utils.clip_grad_norm_(r.parameters(), maxnorm)))
            lrs.append(opt.param_groups[0]["lr"])
            opt.step(); sched.step()
        out.update(final={n: p.detach().double().numpy() for n, p in r.named_parameters()},
                   step_grads=step_grads, norms=norms, lrs=lrs)
        return out

    t32, t64 = run(torch.float32), run(torch.float64)
    fails = 0
    def report(ok, msg):
        nonlocal fails
        print(("ok " if ok else "FAIL ") + msg)
        fails += not ok

    e = np.abs(ft["logits"] - t32["logits"]).max() / np.abs(t32["logits"]).max()
    report(e <= 1e-5, f"bert_parity_{problem}_logits (max rel err {e:.2e} <= 1e-5)")
    e = abs(float(ft["loss"][0]) - t32["loss"]) / abs(t32["loss"])
    report(e <= 1e-5, f"bert_parity_{problem}_loss (rel err {e:.2e}; ft {float(ft['loss'][0]):.8f} torch {t32['loss']:.8f})")

    worst, noise_ruled = 0.0, []
    bad = []
    for n, g in t32["grads"].items():
        mine = ft["grad." + n].astype(np.float64)
        err = np.abs(mine - g).max()
        noise = np.abs(g - t64["grads"][n]).max()
        scale = np.abs(g).max()
        tol = max(1e-4 * scale, 4 * noise)
        if 4 * noise > 1e-4 * scale: noise_ruled.append(f"{n} (|g|max {scale:.1e}, noise {noise:.1e}, err {err:.1e})")
        worst = max(worst, err / max(scale, 1e-30)) if 4 * noise <= 1e-4 * scale else worst
        if err > tol: bad.append(f"{n}: err {err:.3e} > tol {tol:.3e}")
    for b in bad: print("  " + b)
    for nr in noise_ruled: print("  # gradient at fp32 noise level, judged by noise: " + nr)
    report(not bad, f"bert_parity_{problem}_grads ({len(t32['grads'])} tensors, worst rel err {worst:.2e} <= 1e-4)")

    e = np.abs(ft["grad_norms"] - np.array(t32["norms"])).max() / max(t32["norms"])
    report(e <= 1e-4, f"bert_parity_{problem}_grad_norms (rel err {e:.2e}; {np.array(t32['norms']).round(4).tolist()})")

    bad, worst, noisy_entries, entries = [], 0.0, 0, 0
    for n, w in t32["final"].items():
        mine = ft["final." + n].astype(np.float64)
        allow = np.zeros_like(w)
        for s in range(total):
            g64, g32 = t64["step_grads"][s][n], t32["step_grads"][s][n]
            noise = np.abs(g32 - g64).max()
            ratio = np.minimum(2.0, 10 * noise / np.maximum(np.abs(g64), 1e-300))
            ratio[(g64 == 0) & (g32 == 0)] = 0     # exact zeros (unused embedding rows) are not noise
            allow += t32["lrs"][s] * ratio
        scale = np.abs(w).max()
        tol = 1e-5 * scale + allow
        err = np.abs(mine - w)
        noisy = allow > 1e-5 * scale
        noisy_entries += int(noisy.sum()); entries += w.size
        if (~noisy).any(): worst = max(worst, (err[~noisy]).max() / scale)
        if (err > tol).any():
            i = np.unravel_index(np.argmax(err - tol), w.shape)
            bad.append(f"{n}{list(i)}: ft {mine[i]:.8f} torch {w[i]:.8f} tol {tol[i]:.2e}")
        if noisy.sum() > 0.5 * w.size:
            print(f"  # {n}: {int(noisy.sum())}/{w.size} entries have noise-level gradients "
                  f"(max |ft - torch| {err.max():.1e}, allowance <= {allow.max():.1e})")
    for b in bad: print("  " + b)
    report(not bad, f"bert_parity_{problem}_adamw_3_steps (worst rel err {worst:.2e} <= 1e-5 on "
           f"{entries - noisy_entries} entries; {noisy_entries} noise-level entries within their allowance; "
           f"lrs {t32['lrs']})")

    # What ft saved loads strictly into the reference (names, shapes, config).
    sd, meta = st_read(os.path.join(work, "saved", "model.safetensors"))
    with open(os.path.join(work, "saved", "config.json")) as f: sc = json.load(f)
    ok = meta.get("format") == "pt" and sc["architectures"] == [Model.__name__]
    if problem == "mlm":
        r = BertForMaskedLM(cfg)
    elif problem == "multitask":
        ok = ok and sc["ft_tasks"] == cfg["ft_tasks"]
        r = BertForSequenceClassification(dict(cfg, ft_tasks=sc["ft_tasks"]))
    else:
        ok = ok and len(sc["id2label"]) == L and sc["label2id"]
        r = BertForSequenceClassification(dict(cfg, num_labels=len(sc["id2label"])))
    try: r.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in sd.items()}, strict=True)
    except Exception as ex: print("  " + str(ex)); ok = False
    report(ok, f"bert_parity_{problem}_saved_checkpoint_loads")
    return 1 if fails else 0

if __name__ == "__main__":
    sys.exit(main())
