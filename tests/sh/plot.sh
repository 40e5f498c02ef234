# ft-plot: train_log.jsonl files drawn by gnuplot; the SVG's curves are read
# back (tests/svgcurves.py maps path coordinates through the axis ticks) and
# must be the logged values — for runs side by side and for a resumed run
# whose later lines replace the earlier ones from the resume step on.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
$PY - <<'P'
import json, math, os
os.makedirs('fp32'); os.makedirs('bf16')
with open('fp32/train_log.jsonl', 'w') as f, open('bf16/train_log.jsonl', 'w') as g:
    for s in range(10, 201, 10):
        f.write(json.dumps({"loss": 2.5 * math.exp(-s / 80) + 0.3, "learning_rate": 5e-5 * (1 - s / 200), "epoch": s / 100, "step": s}) + "\n")
        g.write(json.dumps({"loss": 2.5 * math.exp(-s / 70) + 0.35, "epoch": s / 100, "step": s}) + "\n")
        if s % 50 == 0:
            f.write(json.dumps({"eval_loss": 2.0 * math.exp(-s / 90) + 0.4, "eval_accuracy": 0.5 + s / 500, "epoch": s / 100, "step": s}) + "\n")
    f.write(json.dumps({"train_runtime": 12.5, "epoch": 2.0, "step": 200}) + "\n")
# a run killed after step 70 and resumed from checkpoint-50: steps 60, 70 are logged twice
with open('resumed.jsonl', 'w') as f:
    for s in range(10, 71, 10): f.write(json.dumps({"loss": 3.0 - s / 100, "step": s}) + "\n")
    for s in range(60, 101, 10): f.write(json.dumps({"loss": 1.0 - s / 1000, "step": s}) + "\n")
P
ft-plot -o two.svg -o two.png -m loss fp32 bf16/train_log.jsonl 2> err.txt
cat > curves.py <<'P'
import json, sys
sys.path.insert(0, sys.argv[1])
import svgcurves
curves, tx, ty = svgcurves.read(sys.argv[2])
want = {}
for spec in sys.argv[4:]:
    name, path = spec.split("=")
    want[name] = [[j["step"], j[sys.argv[3]]] for j in map(json.loads, open(path)) if sys.argv[3] in j]
assert sorted(curves) == sorted(want), (sorted(curves), sorted(want))
for name in want:
    got, exp = curves[name], want[name]
    assert len(got) == len(exp), (name, len(got), len(exp))
    for (gx, gy), (ex, ey) in zip(got, exp):
        assert abs(gx - ex) <= tx and abs(gy - ey) <= ty, (name, gx, gy, ex, ey, tx, ty)
P
check plot_svg_curves_are_the_log $PY curves.py "$FT_ROOT/tests" two.svg loss fp32=fp32/train_log.jsonl bf16=bf16/train_log.jsonl
check plot_png_written $PY -c "
import struct; b = open('two.png', 'rb').read(24)
assert b[:8] == b'\x89PNG\r\n\x1a\n' and b[12:16] == b'IHDR'
assert struct.unpack('>II', b[16:24]) == (800, 300), struct.unpack('>II', b[16:24])"

# the resumed run: steps 10..50 from the first try, then 60..100 from the second
ft-plot -o res.svg -m loss retry=resumed.jsonl
$PY -c "
import json
lines = [json.loads(l) for l in open('resumed.jsonl')]
keep = [l for l in lines[:5]] + lines[7:]
open('expected.jsonl', 'w').write(''.join(json.dumps(l) + '\n' for l in keep))"
check plot_resumed_run_replaces $PY curves.py "$FT_ROOT/tests" res.svg loss retry=expected.jsonl
# the read-back is strict: the other run's values, or the superseded lines, do not pass
check plot_readback_is_strict sh -c '! "$1" curves.py "$2" two.svg loss fp32=bf16/train_log.jsonl bf16=bf16/train_log.jsonl 2> /dev/null &&
  ! "$1" curves.py "$2" res.svg loss retry=resumed.jsonl 2> /dev/null' _ "$PY" "$FT_ROOT/tests"

# default metrics: loss and eval_loss, one panel each (two panels: 600 high)
ft-plot -o def.png fp32
check plot_default_panels $PY -c "
import struct; b = open('def.png', 'rb').read(24); assert struct.unpack('>II', b[16:24]) == (800, 600)"
ft-plot -o acc.svg -m eval_accuracy --size 640x400 --title 'fp32 run' fp32
check plot_eval_metric $PY curves.py "$FT_ROOT/tests" acc.svg eval_accuracy fp32=fp32/train_log.jsonl

expect_fail plot_unknown_metric 'no run logged "eval_f1"' ft-plot -o x.svg -m eval_f1 fp32
check plot_no_output_on_error [ ! -e x.svg ]
printf '{"loss": 1, "step": 1}\nnot json\n' > bad.jsonl
expect_fail plot_bad_line 'bad.jsonl:2: not a JSON object' ft-plot -o x.svg bad.jsonl
expect_fail plot_bad_extension 'ends in .png or .svg' ft-plot -o x.pdf fp32
plot=$(command -v ft-plot)
expect_fail plot_without_gnuplot 'gnuplot is not installed' env PATH="$(dirname "$plot")" "$plot" -o x.png fp32
check plot_no_temp_left sh -c '! ls | grep -q "\.tmp\."'
