#!/usr/bin/python3
"""One full BERT training step (forward, backward, clip, AdamW) in PyTorch,
the same shape and schedule as bench/bert_step_ft.c.  Uses the plain-torch
BertForSequenceClassification of tests/ref/bert_ref.py (HF's module layout,
eager attention, dropout on as in training).
TASK masked-lm: BertForMaskedLM (tied decoder), 15 % of the tokens labelled;
like HF it projects every token onto the vocabulary.
BF16=1: the forward under torch.autocast("cpu", torch.bfloat16), as HF Trainer
with bf16=True (torch 1.13 cannot run the masked-LM head so: see docs/bf16.md).
usage: bert_step_torch.py STEPS B T LAYERS THREADS [TASK]"""
import os, resource, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
from bert_ref import BertForSequenceClassification, BertForMaskedLM

steps, B, T, layers, threads = (int(x) for x in sys.argv[1:6])
mlm = len(sys.argv) > 6 and sys.argv[6] == "masked-lm"
bf16 = os.environ.get("BF16") == "1"
torch.set_num_threads(threads)
torch.manual_seed(0)
cfg = {"vocab_size": 21128, "hidden_size": 768, "num_hidden_layers": layers, "num_attention_heads": 12,
       "intermediate_size": 3072, "max_position_embeddings": 512, "type_vocab_size": 2,
       "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
       "pad_token_id": 0, "num_labels": 5}
m = (BertForMaskedLM if mlm else BertForSequenceClassification)(cfg)
m.train()
ids = torch.randint(1, 21128, (B, T))
am = torch.ones(B, T, dtype=torch.long)
tt = torch.zeros(B, T, dtype=torch.long)
labels = torch.arange(B) % 5
if mlm:             # the same 15 % of the tokens as bench/bert_step_ft.c
    i = torch.arange(B * T).view(B, T)
    labels = torch.where((i * 7) % 20 < 3, ids, torch.full_like(ids, -100))
decay = [p for n, p in m.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
nodecay = [p for n, p in m.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}],
                        lr=2e-5)
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

if os.environ.get("INFER") == "1":               # inference: eval mode, no grad
    m.eval()
    best = 1e30
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for s in range(steps + 1):
            if s == 1: cpu0 = cpu()
            t0 = time.perf_counter()
            m(ids, am, tt, labels)
            if s: best = min(best, time.perf_counter() - t0)
    print(f"{'torch_bf16' if bf16 else 'torch'}_infer tokens/s {B * T / best:.1f} step_s {best:.3f} "
          f"cpu_s {(cpu() - cpu0) / steps:.3f} threads {torch.get_num_threads()}")
    sys.exit(0)

times = []
for s in range(steps + 1):                       # step 0 warms up
    if s == 1: cpu0 = cpu()
    t0 = time.perf_counter()
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):   # Trainer(bf16=True)
        _, loss = m(ids, am, tt, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    if s: times.append(time.perf_counter() - t0)
mean = sum(times) / len(times)
print(f"{'torch_bf16' if bf16 else 'torch'} tokens/s {B * T / mean:.1f} step_s {mean:.3f} cpu_s {(cpu() - cpu0) / steps:.3f} "
      f"threads {torch.get_num_threads()}")
