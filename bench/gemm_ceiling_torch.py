"""The peer's own GEMM ceiling, beside bench/gemm_ceiling's: PyTorch 1.13's
linear layer alone (x @ w^T) at the same shapes and threads, fp32 and (BF16)
with bf16 tensors, best call over about SECONDS.  bench/table uses it to tell
a figure above OpenBLAS's or oneDNN's rate that PyTorch's own GEMM could
still reach from one above every ceiling (a measurement bug).
usage: gemm_ceiling_torch.py THREADS SECONDS BF16(0|1) MxNxK..."""
import sys, time
import torch

threads, seconds, bf16 = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1"
torch.set_num_threads(threads)


def best_rate(x, w):
    torch.nn.functional.linear(x, w)            # warm-up
    best, end, i = 1e30, time.perf_counter() + seconds, 0
    while i < 3 or time.perf_counter() < end:
        t0 = time.perf_counter()
        torch.nn.functional.linear(x, w)
        best, i = min(best, time.perf_counter() - t0), i + 1
    return 2.0 * x.shape[0] * w.shape[0] * x.shape[1] / best / 1e9


with torch.no_grad():
    for shape in sys.argv[4:]:
        M, N, K = (int(v) for v in shape.split("x"))
        x, w = torch.rand(M, K) + 1, torch.full((N, K), 0.01)
        print(f"torch_sgemm {shape} {best_rate(x, w):.1f}", flush=True)
        if bf16:
            print(f"torch_bf16 {shape} {best_rate(x.bfloat16(), w.bfloat16()):.1f}", flush=True)
