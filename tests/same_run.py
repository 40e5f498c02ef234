"""Do two training runs agree?  same_run.py A B [--rtol R] [--atol A]
A and B are output directories of ft-train: their loss logs (train_log.jsonl:
loss, grad_norm, eval_*) must match within rtol, and every tensor of their
model.safetensors (or adapter_model.safetensors) within atol + rtol·|a|.
Prints the largest differences; exit 0 when they agree."""
import json, os, struct, sys
import numpy as np

def tensors(d):
    for f in ("model.safetensors", "adapter_model.safetensors"):
        p = os.path.join(d, f)
        if os.path.exists(p):
            b = open(p, "rb").read()
            n = struct.unpack("<Q", b[:8])[0]
            h = json.loads(b[8:8 + n])
            return {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], np.float32)
                    for k, v in h.items() if k != "__metadata__" and v["dtype"] == "F32"}
    sys.exit(f"{d}: no safetensors")

def log(d):
    keep = lambda k: k in ("loss", "grad_norm", "learning_rate", "step", "epoch") or k.startswith("eval_") \
        and not k.endswith(("runtime", "per_second"))
    return [{k: v for k, v in json.loads(l).items() if keep(k)} for l in open(os.path.join(d, "train_log.jsonl"))]

a, b = sys.argv[1], sys.argv[2]
rtol = float(sys.argv[sys.argv.index("--rtol") + 1]) if "--rtol" in sys.argv else 1e-4
atol = float(sys.argv[sys.argv.index("--atol") + 1]) if "--atol" in sys.argv else 1e-5
ok = True
la, lb = log(a), log(b)
if len(la) != len(lb) or any(x.keys() != y.keys() for x, y in zip(la, lb)):
    print(f"  logs differ in shape: {len(la)} vs {len(lb)} lines"); ok = False
else:
    worst = max((abs(x[k] - y[k]) / max(abs(x[k]), 1e-12), k) for x, y in zip(la, lb) for k in x) if la else (0, "-")
    print(f"  log: largest relative difference {worst[0]:.3g} ({worst[1]})")
    ok &= worst[0] <= rtol
ta, tb = tensors(a), tensors(b)
if ta.keys() != tb.keys():
    print("  tensors differ in names"); ok = False
else:
    worst = max((float(np.max(np.abs(ta[k] - tb[k]) - rtol * np.abs(ta[k]))), k) for k in ta)
    print(f"  weights: largest difference beyond rtol·|a| {worst[0]:.3g} ({worst[1]})")
    ok &= worst[0] <= atol
sys.exit(0 if ok else 1)
