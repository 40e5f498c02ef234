# bench/table's arithmetic and alarms on saved measurements (--from: nothing
# is timed here), and its two helpers: the GEMM ceilings and the FLOP count.
. "$FT_ROOT/tests/lib.sh"
build=$FT_ROOT/${FT_BUILD:-build}
cd "$TMP"

# A run as bench/table --raw saves it: 2 cores, ceilings 100 (fp32) and 200
# (bf16), PyTorch's own 120 / 150; 1000 FLOPs a token, so tokens/s = MFLOP/s.
$PY - <<'P'
import json
def side(tps, flops=None, others=0.0):
    return {"tokens_per_s": tps, "flops_per_step": flops, "others_cores": others}
quiet = {"loadavg": [0.1, 0.1, 0.1], "busy_cores": 0.02, "sample_s": 2, "top": [], "idle": True}
c = {"sgemm": {"2048x768x768": 90.0, "2048x3072x768": 100.0}, "bf16": {"2048x768x768": 200.0},
     "torch_sgemm": {"2048x768x768": 120.0}, "torch_bf16": {"2048x768x768": 150.0}}
raw = {"meta": {"date": "d", "cpu": "c", "cores": 2, "has_bf16": True, "torch": "1.13", "commit": "x", "quick": False},
       "shapes": {"bert": {"steps": 1, "B": 2, "T": 5, "L": 1}}, "load_before": quiet, "load_after": quiet, "ceilings": c,
       "models": {"bert": {"ft_fp32": side(50e6, 1e4), "torch_fp32": side(25e6), "ft_bf16": side(100e6, 1e4),
                           "torch_bf16": side(40e6, None, 1.5)}}}
raw["shapes"]["mpi"] = {"steps": 1, "B": 1, "T": 5, "L": 1}    # the --mpi rows: global batch 2 x 5
raw["ceilings"]["sgemm_1t"] = {"2048x768x768": 50.0}
raw["mpi"] = {"others_cores": 0.0, "2x1": side(30e6, 1e4), "1x2": side(20e6, 1e4), "1x1": side(16e6, 1e4)}
json.dump(raw, open("ok.json", "w"))
del raw["mpi"]
raw["models"]["bert"]["torch_fp32"] = side(110e6)      # above OpenBLAS, within PyTorch's own: a note
json.dump(raw, open("note.json", "w"))
raw["models"]["bert"]["ft_bf16"] = side(250e6, 1e4)    # above every bf16 ceiling: a bug
raw["models"]["bert"]["torch_bf16"] = {"error": "torch: it broke"}
raw["meta"]["has_bf16"] = False
raw["load_before"] = dict(quiet, idle=False, busy_cores=1.4)
json.dump(raw, open("bad.json", "w"))
P
table=$FT_ROOT/bench/table
check table_renders sh -c "'$table' --from ok.json -o ok.md > ok.out 2> ok.err"
check table_writes_file cmp -s ok.md ok.out
check table_ratio_and_rates grep -q '| BERT-base seq-cls 2x5 L1, fp32 | ft | PyTorch | 50000000.0 | 25000000.0 | 2.00x | 50.0 | 25.0 | 50 % | 25 % | OpenBLAS SGEMM 100.0 | 0.00 |' ok.md
check table_bf16_ceiling grep -q 'bf16 | ft --bf16 | PyTorch bf16 autocast | .* | 100.0 | 40.0 | 50 % | 20 % | oneDNN bf16 200.0 | 1.50 \*\*under load\*\* |' ok.md
check table_mpi_rows sh -c "grep -q 'L1, equal cores | ft 2 ranks x 1 thread | ft 1 rank x 2 threads | 30000000.0 | 20000000.0 | 1.50x | 30.0 | 20.0 | 30 % | 20 % |' ok.md &&
    grep -q 'scaling (ideal 2.00x) | .* | 1.88x | 30.0 | 16.0 | 30 % | 32 % | OpenBLAS SGEMM, 2 threads 100.0 / OpenBLAS SGEMM, 1 thread 50.0 |' ok.md"
check table_quiet_says_idle sh -c "grep -q '^Load before: idle' ok.md && ! grep -q 'NOT IDLE\|MEASUREMENT BUG' ok.md"
check table_note_within_peer_ceiling sh -c "'$table' --from note.json > note.md 2>&1 && grep -q '^note: .*PyTorch implies 110.0 GFLOP/s, above OpenBLAS SGEMM (100.0) but within' note.md"
"$table" --from bad.json > bad.md 2> bad.err; rc=$?
check table_above_ceiling_exits_3 [ $rc = 3 ]
check table_above_ceiling_is_loud sh -c "grep -q '250 % \*\*ABOVE CEILING\*\*' bad.md && grep -q '^!!! MEASUREMENT BUG: .*ft --bf16 implies 250.0 GFLOP/s' bad.err"
check table_not_idle_is_said sh -c "grep -q 'NOT IDLE' bad.md && grep -q '^!!! The machine was not idle' bad.md"
check table_failed_side_is_na sh -c "grep -q 'emulated bf16 | ft | PyTorch bf16 autocast | 50000000.0 | n/a | n/a' bad.md && grep -q 'PyTorch bf16 autocast: torch: it broke' bad.md"
# the Llama family's two table models (full, LoRA): their rows and their own FLOP counts
$PY - <<'P'
import json
raw = json.load(open("ok.json"))
del raw["mpi"]
q = {"steps": 1, "B": 2, "T": 5, "L": 1}
raw["shapes"] = {"llama": q, "llama_lora": q}
s = lambda t, f=None: {"tokens_per_s": t, "flops_per_step": f, "others_cores": 0.0}
raw["models"] = {"llama": {"ft_fp32": s(60e6, 1e4), "torch_fp32": s(30e6), "ft_bf16": s(90e6, 1e4), "torch_bf16": s(45e6)},
                 "llama_lora": {"ft_fp32": s(80e6, 5e3), "torch_fp32": s(40e6), "ft_bf16": s(100e6, 5e3), "torch_bf16": s(50e6)}}
json.dump(raw, open("llama.json", "w"))
P
check table_llama_rows sh -c "'$table' --from llama.json > llama.md 2>&1 &&
    grep -q '| SmolLM2-135M-shaped llama, full 2x5 L1, fp32 | ft | PyTorch | 60000000.0 | 30000000.0 | 2.00x | 60.0 | 30.0 |' llama.md &&
    grep -q '| SmolLM2-135M-shaped llama, LoRA r=16 all linear 2x5 L1, bf16 | ft --bf16 | PyTorch bf16 autocast | 100000000.0 | 50000000.0 | 2.00x | 50.0 | 25.0 |' llama.md"
check table_bad_model_refused sh -c "! '$table' --only bert,nope 2> err && grep -q \"unknown model 'nope'\" err"

# the helpers bench/table runs
out=$(OMP_NUM_THREADS=1 "$build/bench/gemm_ceiling" 0.01 64x32x16)
check gemm_ceiling_prints_rate sh -c "echo '$out' | grep -Eq '^sgemm 64x32x16 [0-9.]+$'"
if grep -q avx512_bf16 /proc/cpuinfo; then
    out=$(OMP_NUM_THREADS=1 "$build/bench/gemm_ceiling" --bf16 0.01 64x32x16)
    check gemm_ceiling_bf16 sh -c "echo '$out' | grep -Eq '^bf16 64x32x16 [0-9.]+$'"
fi
expect_fail gemm_ceiling_bad_shape "expected MxNxK" "$build/bench/gemm_ceiling" 0.01 64x32
tiny_bert_task
# BERT's count: 6·N·(4C² + 2CF) + 12·N·T·C a layer, 6·B·(C² + C·labels) the head
check model_flops_bert [ "$("$build/bench/model_flops" config.json seq-cls 3 2 8)" = \
    "$(( 2 * (6 * 16 * (4 * 32 * 32 + 2 * 32 * 64) + 12 * 16 * 8 * 32) + 6 * 2 * (32 * 32 + 32 * 3) ))" ]
