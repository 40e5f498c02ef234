"""Reference corpus BLEU as sacrebleu computes it by default (13a tokenizer,
exp smoothing, BLEU-4), written from its definition since sacrebleu is not a
Debian package here.  Reads JSON lines {"hyp", "ref"}; prints the tokens of
each hypothesis and then "score p1 p2 p3 p4 bp" like test_seq2seq_metrics --bleu."""
import json, math, re, sys
from collections import Counter

RES = [(re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])'), r' \1 '),
       (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
       (re.compile(r'([\.,])([^0-9])'), r' \1 \2'),
       (re.compile(r'([0-9])(-)'), r'\1 \2 ')]


def tok13a(line):
    line = line.replace('<skipped>', '').replace('-\n', '').replace('\n', ' ')
    if '&' in line:
        line = line.replace('&quot;', '"').replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
    line = ' %s ' % line
    for r, s in RES:
        line = r.sub(s, line)
    return line.split()


def ngrams(t, n):
    return Counter(tuple(t[i:i + n]) for i in range(len(t) - n + 1))


def main():
    correct, total, sys_len, ref_len = [0] * 4, [0] * 4, 0, 0
    for line in open(sys.argv[1], encoding='utf-8'):
        j = json.loads(line)
        h, r = tok13a(j['hyp']), tok13a(j['ref'])
        print(json.dumps(h, separators=(",", ":"), ensure_ascii=False))
        sys_len += len(h)
        ref_len += len(r)
        for n in range(1, 5):
            hc, rc = ngrams(h, n), ngrams(r, n)
            total[n - 1] += max(0, len(h) - n + 1)
            correct[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
    p, smooth = [0.0] * 4, 1.0
    for n in range(4):
        if total[n] == 0:
            break
        if correct[n] == 0:
            smooth *= 2
            p[n] = 100.0 / (smooth * total[n])
        else:
            p[n] = 100.0 * correct[n] / total[n]
    bp = 0.0 if sys_len == 0 else (1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len))
    score = 0.0 if sys_len == 0 else bp * math.exp(sum(math.log(x) if x > 0 else -9999999999 for x in p) / 4)
    print('%.6f %.6f %.6f %.6f %.6f %.6f' % (score, p[0], p[1], p[2], p[3], bp))


main()
