"""Beam-search generation throughput in PyTorch 1.13: T5 at CodeT5-base shape
(random weights), the encoder once per input, a decoder with a self-attention
key/value cache and cross-attention keys/values computed once (as HF's T5 with
use_cache=True), and HF's beam search (t5_ref.beam_core, BeamSearchScorer).
  t5_generate_torch.py B TS BEAMS MAX_NEW LAYERS THREADS
BF16=1: under torch.autocast("cpu", torch.bfloat16), as generate() after
Trainer(bf16=True) runs it."""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "ref"))
import torch
import t5_ref

B, Ts, K, N, L, threads = (int(x) for x in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
V, C, H, D, F = 32100, 768, 12, 64, 3072
cfg = {"vocab_size": V, "d_model": C, "d_kv": D, "d_ff": F, "num_layers": L, "num_decoder_layers": L,
       "num_heads": H, "feed_forward_proj": "relu", "pad_token_id": 0, "decoder_start_token_id": 0,
       "eos_token_id": 2}
w = t5_ref.random_weights(cfg, 0.03)
m = t5_ref.T5(cfg, w)
ids = torch.randint(3, V, (B, Ts))
mask = torch.ones(B, Ts, dtype=torch.long)
BF16 = os.environ.get("BF16") == "1"
with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
    t5_ref.beam_cached(m, ids[:1], mask[:1], 2, 2, K)          # warm-up
    t0 = time.time()
    out = t5_ref.beam_cached(m, ids, mask, 2, N, K)
    dt = time.time() - t0
steps = max(len(s) for s in out)
print("torch gen_tokens/s %.1f seconds %.3f" % (B * N / dt, dt))
