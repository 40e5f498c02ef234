#!/usr/bin/python3
"""PyTorch autocast references for ft --bf16 (tests/ref/bf16.sh).

Each reference model (bert_ref.py, t5_ref.py, gpt2_ref.py's GPT-2 + LoRA)
runs one forward and backward twice, dropout off:
  bf16   under torch.autocast("cpu", dtype=torch.bfloat16), as HF Trainer
         runs a step with bf16=True (backward outside the context);
  f64    in float64: the exact answer both bf16 runs are judged against.
ref.npz holds logits, loss and every gradient of both.

The comparison (`compare`) per tensor, errors as max|x - f64| / max|f64|:
  e_torch  torch bf16's own error;  e_ft  ft --bf16's error.
  e_ft <= 2·e_torch + 1e-6, i.e. ft is no less accurate than PyTorch's bf16
    step.  Both round every matmul input to bf16; PyTorch 1.13 also rounds
    every matmul output (and then the softmax, GELU, weight-gradient outputs
    computed from them) to bf16, ft keeps those fp32, so ft's error is
    normally below torch's.  The factor 2 allows for rounding errors
    landing differently on a tiny model; the 1e-6 is fp32 noise.
  |ft - torch bf16| <= 3·e_torch + 1e-6 (the two within each other's bf16
    error: the triangle inequality with the bound above).
  e_ft(logits) >= 1e-4: the run really was bf16 (fp32 is within 1e-6).
Gradients are summed over tensors for the first rule as well as checked one
by one at 3·e_torch (a tensor of 16 entries can be unlucky); a gradient
that is zero but for rounding is scaled by 1e-4 of the largest gradient.
usage: bf16_ref.py bert DIR seq-cls|masked-lm
       bf16_ref.py t5 DIR relu|gated-gelu TIE
       bf16_ref.py compare FT.safetensors REF.npz NAME"""
import json, os, sys
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_parity import st_write, st_read

torch.set_num_threads(1)


def refs(run, path):
    """run(dtype, autocast) -> (logits, loss, {name: parameter}) after backward."""
    out = {}
    for tag, dtype, ac in (("bf16", torch.float32, True), ("f64", torch.float64, False)):
        logits, loss, params = run(dtype, ac)
        out[tag + ".logits"] = logits.detach().double().numpy()
        out[tag + ".loss"] = np.array([loss.item()])
        for n, p in params.items():
            out[tag + ".grad." + n] = (np.zeros(p.shape) if p.grad is None else p.grad.double().numpy())
    np.savez(path, **out)


def autocast(ac):
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=ac)


def bert(d, task):
    from bert_ref import BertForSequenceClassification, BertForMaskedLM
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(0)
    mlm = task == "masked-lm"
    cfg = {"model_type": "bert", "architectures": ["BertForMaskedLM" if mlm else "BertForSequenceClassification"],
           "vocab_size": 50, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 128, "max_position_embeddings": 32, "type_vocab_size": 2,
           "layer_norm_eps": 1e-12, "initializer_range": 0.02, "hidden_act": "gelu",
           "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "pad_token_id": 0, "num_labels": 3}
    Model = BertForMaskedLM if mlm else BertForSequenceClassification
    m = Model(cfg)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "LayerNorm.weight" in n: p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith("bias"): p.copy_(0.1 * torch.randn_like(p))
            else: p.copy_(0.2 * torch.randn_like(p))
    B, T = 4, 24
    ids = torch.randint(1, 50, (B, T))
    am = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate([24, 17, 9, 20]): am[b, :n] = 1
    ids = ids * am
    tt = torch.zeros(B, T, dtype=torch.long); tt[:, 12:] = 1; tt = tt * am
    if mlm:
        chosen = (torch.rand(B, T) < 0.3) & (am == 1)
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        ids = torch.where(chosen & (torch.rand(B, T) < 0.8), torch.full_like(ids, 3), ids)
    else:
        labels = torch.tensor([2, 0, 1, 1])
    json.dump(cfg, open(d + "/config.json", "w"))
    st_write(d + "/model.safetensors", {n: p.detach().numpy() for n, p in m.state_dict().items()}, {"format": "pt"})
    st_write(d + "/batch.safetensors", {"input_ids": ids.numpy(), "attention_mask": am.numpy(),
                                        "token_type_ids": tt.numpy(), "labels": labels.numpy()})

    def run(dtype, ac):
        r = Model(cfg)
        r.load_state_dict(m.state_dict())
        r = r.to(dtype).eval()
        if mlm:     # torch 1.13's CPU layer_norm refuses a bf16 input with fp32 weights ("expected
                    # scalar type BFloat16"), which the MLM head's GELU output is under autocast;
                    # torch 2 takes it and normalises in fp32, as ft does: so here
            ln = r.cls.predictions.transform.LayerNorm
            ln.register_forward_pre_hook(lambda mod, x: (x[0].to(mod.weight.dtype),))
        with autocast(ac):
            logits, loss = r(ids, am, tt, labels)
        loss.backward()
        if mlm: logits = logits[labels != -100]
        return logits, loss, dict(r.named_parameters())
    refs(run, d + "/ref.npz")


def t5(d, ff, tie):
    import t5_ref
    os.makedirs(d, exist_ok=True)
    t5_ref.make(d, ff, tie)
    cfg = json.load(open(d + "/config.json"))
    w = t5_ref.st_load(d + "/model.safetensors")
    b = json.load(open(d + "/batch.json"))
    ids, mask, labels = (torch.tensor(b[k]) for k in ("input_ids", "attention_mask", "labels"))
    st_write(d + "/batch.safetensors", {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                        "labels": labels.numpy()})

    def run(dtype, ac):
        params = {k: v.clone().to(dtype).requires_grad_(True) for k, v in w.items()}
        with autocast(ac):
            logits, loss = t5_ref.T5(cfg, params).forward(ids, mask, labels)
        loss.backward()
        return logits.reshape(-1, logits.shape[-1]), loss, params
    refs(run, d + "/ref.npz")


def compare(ft_path, ref_path, name):
    ft, _ = st_read(ft_path)
    r = np.load(ref_path)
    fails = 0

    grads = sorted(k[len("bf16."):] for k in r.files if k.startswith("bf16.grad."))
    # a gradient that is zero but for rounding (BERT's attention key bias:
    # softmax ignores a constant shift) has no scale of its own: errors are
    # taken relative to at least 1e-4 of the largest gradient, below bf16's
    # 2^-8 resolution, so such a tensor is judged as the noise it is
    gmax = max([np.abs(r["f64." + g]).max() for g in grads] + [0])

    def err(x, ref, floor): return np.abs(x - ref).max() / max(np.abs(ref).max(), floor, 1e-30)

    def judge(key):
        x = ft[key].astype(np.float64).reshape(r["f64." + key].shape)
        f = 1e-4 * gmax if key.startswith("grad.") else 0
        return err(x, r["f64." + key], f), err(r["bf16." + key], r["f64." + key], f), err(x, r["bf16." + key], f)

    def report(ok, msg):
        nonlocal fails
        print(("ok " if ok else "FAIL ") + msg)
        fails += not ok

    for key in ("logits", "loss"):
        e_ft, e_t, e_x = judge(key)
        ok = e_ft <= 2 * e_t + 1e-6 and e_x <= 3 * e_t + 1e-6 and (key != "logits" or e_ft >= 1e-4)
        report(ok, f"bf16_{name}_{key} (vs float64: ft {e_ft:.2e}, torch bf16 {e_t:.2e}; ft vs torch bf16 {e_x:.2e})")
    missing = [g for g in grads if g not in ft]
    sum_ft = sum_t = 0.0
    bad = []
    for g in grads:
        if g in missing: continue
        e_ft, e_t, e_x = judge(g)
        sum_ft += e_ft; sum_t += e_t
        if e_ft > 3 * e_t + 1e-6 or e_x > 3 * e_t + 1e-6:
            bad.append(f"{g}: ft {e_ft:.2e}, torch bf16 {e_t:.2e}, ft vs torch {e_x:.2e}")
    for b in bad + [f"{g}: not written by ft" for g in missing]: print("  " + b)
    ok = not bad and not missing and sum_ft <= 2 * sum_t + 1e-6 * len(grads)
    report(ok, f"bf16_{name}_grads ({len(grads)} tensors; mean error vs float64: ft {sum_ft / max(len(grads), 1):.2e}, "
               f"torch bf16 {sum_t / max(len(grads), 1):.2e})")
    return 1 if fails else 0


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "bert": bert(a[2], a[3])
    elif a[1] == "t5": t5(a[2], a[3], a[4])
    elif a[1] == "compare": sys.exit(compare(a[2], a[3], a[4]))
    else: sys.exit(__doc__)
