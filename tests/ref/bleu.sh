#!/bin/sh
# Corpus BLEU (13a tokenization, exp smoothing) against a Python reference on
# fixed strings: code from MBPP, punctuation and number corner cases, HTML
# entities, a short hypothesis (brevity penalty), empty and no-match lines.
. "$FT_ROOT/tests/lib.sh"
B=$FT_ROOT/build/tests/test_seq2seq_metrics
cat > "$TMP/pairs.jsonl" <<'J'
{"hyp": "def min_cost(cost, m, n):\n\treturn cost[m][n]", "ref": "R = 3\r\nC = 3\r\ndef min_cost(cost, m, n): \r\n\ttc = [[0 for x in range(C)] for x in range(R)] \r\n\treturn tc[m][n]"}
{"hyp": "x = 1.5, 2,3 and 4-5 a-b 3.x .5 x. y,z", "ref": "x = 1.5 , 2,3 and 4 - 5 a-b"}
{"hyp": "print(&quot;hi&quot; &amp; &lt;b&gt;) <skipped> end-\nline", "ref": "print(\"hi\" & <b>) endline"}
{"hyp": "return sorted(set(a) & set(b))", "ref": "res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res)"}
{"hyp": "", "ref": "import re"}
{"hyp": "zzz qqq", "ref": "import re"}
{"hyp": "über straße, naïve.", "ref": "über straße , naïve ."}
{"hyp": "r = int(''.join(map(str, x)))", "ref": "r = int(''.join(map(str, x)))"}
J
"$B" --bleu "$TMP/pairs.jsonl" > "$TMP/c.txt" 2>&1
$PY "$FT_ROOT/tests/ref/bleu_ref.py" "$TMP/pairs.jsonl" > "$TMP/py.txt"
if cmp -s "$TMP/c.txt" "$TMP/py.txt"; then ok "bleu_13a_vs_python_reference"
else diff "$TMP/c.txt" "$TMP/py.txt"; fail "bleu_13a_vs_python_reference"; fi
# the whole corpus of MBPP code against itself shifted by one (many partial matches)
$PY - "$SHARED/data/code/mbpp.jsonl" > "$TMP/mbpp.jsonl" <<'P'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][:200]
for a, b in zip(rows, rows[1:] + rows[:1]):
    print(json.dumps({"hyp": a["code"], "ref": b["code"] if a["task_id"] % 3 else a["code"]}))
P
"$B" --bleu "$TMP/mbpp.jsonl" | tail -1 > "$TMP/c.txt"
$PY "$FT_ROOT/tests/ref/bleu_ref.py" "$TMP/mbpp.jsonl" | tail -1 > "$TMP/py.txt"
if cmp -s "$TMP/c.txt" "$TMP/py.txt"; then ok "bleu_mbpp_corpus_vs_python_reference ($(cat "$TMP/c.txt"))"
else diff "$TMP/c.txt" "$TMP/py.txt"; fail "bleu_mbpp_corpus_vs_python_reference"; fi
