"""One T5 training step in PyTorch 1.13 (forward, backward, clip, AdamW;
dropout 0.1): the T5ForConditionalGeneration computation of
tests/ref/t5_ref.py (HF modeling_t5's ops, eager attention) at CodeT5-base
shape.  transformers is not installed here; its T5 runs the same kernels.
  t5_step_torch.py STEPS B TS TT LAYERS THREADS"""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "ref"))
import torch
import t5_ref

steps, B, Ts, Tt, L, threads = (int(x) for x in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
V, C, H, D, F = 32100, 768, 12, 64, 3072
cfg = {"vocab_size": V, "d_model": C, "d_kv": D, "d_ff": F, "num_layers": L, "num_decoder_layers": L,
       "num_heads": H, "feed_forward_proj": "relu", "pad_token_id": 0, "decoder_start_token_id": 0}
w = t5_ref.random_weights(cfg, 0.03)
params = {k: v.requires_grad_(True) for k, v in w.items()}
m = t5_ref.T5(cfg, params)
m.p = 0.1
opt = torch.optim.AdamW(list(params.values()), lr=5e-5, weight_decay=0.0)
ids = torch.randint(3, V, (B, Ts))
mask = torch.ones(B, Ts, dtype=torch.long)
labels = torch.randint(3, V, (B, Tt))
total = 0
for s in range(steps + 1):
    t0 = time.time()
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=os.environ.get("BF16") == "1"):
        loss = m.forward(ids, mask, labels)[1]
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
    opt.step()
    if s:
        total += time.time() - t0
mean = total / steps
print(("torch_bf16" if os.environ.get("BF16") == "1" else "torch") + " tokens/s %.1f step_s %.3f" % (B * Tt / mean, mean))
