# pass@1 runs model-generated code: hostile programs through ft-eval must each
# be contained, scored as a failure, and leave the machine as it was.
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
mkdir home && echo "secret-$$" > home/secret.txt
# a listener on a loopback port of the host: it must never see a connection
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY - "$PORT" > listener.txt <<'P' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); s.settimeout(20)
try:
    c, a = s.accept(); print("connected", a, c.recv(100))
except socket.timeout:
    print("none")
P
LISTENER=$!
sleep 0.3
OUTSIDE=/tmp/ft-sandbox-escape-$$
$PY - "$PORT" "$TMP/home/secret.txt" "$OUTSIDE" <<'P'
import json, sys
port, secret, outside = sys.argv[1], sys.argv[2], sys.argv[3]
ok = "def f(x):\n    return x + 1"
hostile = {
    "fork_bomb": "import os\nwhile True:\n    os.fork()\ndef f(x): return x + 1",
    "infinite_loop": "while True:\n    pass\ndef f(x): return x + 1",
    "memory_bomb": "b = []\nwhile True:\n    b.append(bytearray(1 << 28))\ndef f(x): return x + 1",
    "write_outside": "open(%r, 'w').write('x')\ndef f(x): return x + 1" % outside,
    "read_home": "s = open(%r).read()\ndef f(x): return x + 1 if s.startswith('secret') else 0" % secret,
    "read_root": "import os\nos.listdir('/root')\nassert len(os.listdir('/root')) > 0\ndef f(x): return x + 1",
    "loopback_socket": "import _socket\ns = _socket.socket()\ns.settimeout(2)\ns.connect(('127.0.0.1', %s))\n"
                       "s.send(b'escaped')\ndef f(x): return x + 1" % port,
    "disk_bomb": "f0 = open('big', 'wb')\nwhile True:\n    f0.write(b'x' * (1 << 20))\ndef f(x): return x + 1",
    "daemon": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\ndef f(x): return x + 1",
}
with open("refs.jsonl", "w") as r, open("gen.jsonl", "w") as g:
    for i, (name, prog) in enumerate([("gold", ok)] + list(hostile.items())):
        r.write(json.dumps({"id": i, "name": name, "code": ok, "test_list": ["assert f(1) == 2"]}) + "\n")
        g.write(json.dumps({"id": i, "generated_text": prog}) + "\n")
P
t0=$(date +%s)
HOME=$TMP/home ft-eval --task seq2seq --references refs.jsonl --exec-timeout 3 --exec-memory-mb 256 \
    --python /usr/bin/python3 --jobs 2 --predictions per.jsonl gen.jsonl > m.json 2> err.txt
check sandbox_eval_runs [ $? = 0 ]
check sandbox_took_bounded_time [ $(( $(date +%s) - t0 )) -lt 30 ]
check sandbox_only_gold_passes jq_true '.["eval_pass@1"] == 0.2 and .eval_exec.passed == 2' m.json
n=0
for name in fork_bomb infinite_loop memory_bomb write_outside read_home read_root loopback_socket disk_bomb; do
    n=$((n + 1))
    st=$(jq -r "select(.id == $n) | .exec" per.jsonl)
    case $st in failed|timeout|crashed) ok "sandbox_${name}_fails ($st)";; *) fail "sandbox_${name}_fails ($st)";; esac
done
check sandbox_gold_passed sh -c '[ "$(jq -r "select(.id == 0) | .exec" per.jsonl)" = passed ]'
# a daemonised child of a passing program is killed with it (checked below)
check sandbox_daemon_passes sh -c '[ "$(jq -r "select(.id == 9) | .exec" per.jsonl)" = passed ]'
check sandbox_nothing_written_outside [ ! -e "$OUTSIDE" ]
wait $LISTENER
check sandbox_loopback_untouched grep -qx none listener.txt
# no process of a sandbox uid survives, the process table is back to its size
check sandbox_no_leftover_processes sh -c '! ps -eo uid= | awk "\$1 >= 2000000000" | grep -q .'
rm -f "$OUTSIDE"
