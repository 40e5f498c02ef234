/* seq2seq_metrics: exact match, sacrebleu-style corpus BLEU, sandboxed
 * pass@1.  See seq2seq_metrics.h. */
#define _GNU_SOURCE
#include "seq2seq_metrics.h"
#include "seq2seq_metrics_internal.h"
#include "sandbox.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- exact match ---- */

static char *normalise(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v') s++;
    char *o = ft_xmalloc(strlen(s) + 1), *p = o;
    for (; *s; s++) if (!(s[0] == '\r' && s[1] == '\n')) *p++ = *s;
    while (p > o && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r' ||
                     p[-1] == '\f' || p[-1] == '\v')) p--;
    *p = 0;
    return o;
}

int ft_exact_match(const char *pred, const char *ref)
{
    char *a = normalise(pred), *b = normalise(ref);
    int eq = !strcmp(a, b);
    free(a); free(b);
    return eq;
}

/* ---- 13a tokenization ---- */

typedef struct { char *s; size_t n, cap; } buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) { b->cap = (b->n + n + 1) * 2; b->s = ft_xrealloc(b->s, b->cap); }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void putc_(buf *b, char c) { put(b, &c, 1); }

static char *replace_all(const char *s, const char *from, const char *to)
{
    buf b = {0};
    size_t fl = strlen(from), tl = strlen(to);
    put(&b, "", 0);
    while (*s) {
        if (!strncmp(s, from, fl)) { put(&b, to, tl); s += fl; }
        else putc_(&b, *s++);
    }
    return b.s;
}

static int is_punct13a(unsigned char c)
{
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
           (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}
static int dig(char c) { return c >= '0' && c <= '9'; }

size_t ft_bleu_tokenize_13a(const char *line, char ***out)
{
    /* sacrebleu TokenizerV13a: language-independent part */
    char *a = replace_all(line, "<skipped>", ""), *t;
    t = replace_all(a, "-\n", ""); free(a); a = t;
    t = replace_all(a, "\n", " "); free(a); a = t;
    if (strchr(a, '&')) {
        t = replace_all(a, "&quot;", "\""); free(a); a = t;
        t = replace_all(a, "&amp;", "&"); free(a); a = t;
        t = replace_all(a, "&lt;", "<"); free(a); a = t;
        t = replace_all(a, "&gt;", ">"); free(a); a = t;
    }
    /* the four regular expressions, each a left-to-right re.sub */
    buf b = {0};
    put(&b, " ", 1);
    for (const char *s = a; *s; s++) {
        if (is_punct13a((unsigned char)*s)) { putc_(&b, ' '); putc_(&b, *s); putc_(&b, ' '); }
        else putc_(&b, *s);
    }
    put(&b, " ", 1);
    free(a);
    for (int pass = 0; pass < 3; pass++) {
        buf o = {0};
        put(&o, "", 0);
        const char *s = b.s;
        size_t n = b.n;
        for (size_t i = 0; i < n;) {
            char c0 = s[i], c1 = i + 1 < n ? s[i + 1] : 0;
            int m = 0;
            if (i + 1 < n) {
                if (pass == 0) m = !dig(c0) && (c1 == '.' || c1 == ',');
                else if (pass == 1) m = (c0 == '.' || c0 == ',') && !dig(c1);
                else m = dig(c0) && c1 == '-';
            }
            if (!m) { putc_(&o, c0); i++; continue; }
            if (pass == 0) { putc_(&o, c0); putc_(&o, ' '); putc_(&o, c1); putc_(&o, ' '); }
            else if (pass == 1) { putc_(&o, ' '); putc_(&o, c0); putc_(&o, ' '); putc_(&o, c1); }
            else { putc_(&o, c0); putc_(&o, ' '); putc_(&o, c1); putc_(&o, ' '); }
            i += 2;
        }
        free(b.s);
        b = o;
    }
    /* split on whitespace */
    size_t cnt = 0, cap = 16;
    char **toks = ft_xmalloc(cap * sizeof *toks);
    for (char *p = b.s; *p;) {
        while (*p && strchr(" \t\n\r\f\v", *p)) p++;
        if (!*p) break;
        char *e = p;
        while (*e && !strchr(" \t\n\r\f\v", *e)) e++;
        if (cnt == cap) toks = ft_xrealloc(toks, (cap *= 2) * sizeof *toks);
        toks[cnt] = ft_xmalloc(e - p + 1);
        memcpy(toks[cnt], p, e - p);
        toks[cnt++][e - p] = 0;
        p = e;
    }
    free(b.s);
    *out = toks;
    return cnt;
}

void ft_tokens_free(char **toks, size_t n)
{
    for (size_t i = 0; i < n; i++) free(toks[i]);
    free(toks);
}

/* ---- BLEU ---- */

void ft_bleu_init(ft_bleu *b) { memset(b, 0, sizeof *b); }

static const char *const *sort_base;
static int cmp_tok(const void *x, const void *y)
{
    return strcmp(sort_base[*(const int *)x], sort_base[*(const int *)y]);
}

/* count of n-gram at a[i..i+n) in seq s[0..len) */
static int count_ng(const int *s, int len, const int *g, int n)
{
    int c = 0;
    for (int i = 0; i + n <= len; i++) if (!memcmp(s + i, g, n * sizeof *g)) c++;
    return c;
}

void ft_bleu_add(ft_bleu *b, const char *hyp, const char *ref)
{
    char **ht, **rt;
    size_t hn = ft_bleu_tokenize_13a(hyp, &ht), rn = ft_bleu_tokenize_13a(ref, &rt);
    /* intern tokens as small ints */
    size_t n = hn + rn;
    const char **all = ft_xmalloc((n + 1) * sizeof *all);
    int *ord = ft_xmalloc((n + 1) * sizeof *ord), *id = ft_xmalloc((n + 1) * sizeof *id);
    for (size_t i = 0; i < hn; i++) all[i] = ht[i];
    for (size_t i = 0; i < rn; i++) all[hn + i] = rt[i];
    for (size_t i = 0; i < n; i++) ord[i] = (int)i;
    sort_base = all;
    qsort(ord, n, sizeof *ord, cmp_tok);
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(all[ord[i]], all[ord[i - 1]])) next++;
        id[ord[i]] = next;
    }
    const int *h = id, *r = id + hn;
    for (int k = 1; k <= 4; k++) {
        if ((int)hn >= k) b->total[k - 1] += hn - k + 1;
        for (int i = 0; i + k <= (int)hn; i++) {
            int first = 1;
            for (int j = 0; j < i && first; j++) if (!memcmp(h + j, h + i, k * sizeof *h)) first = 0;
            if (!first) continue;
            int ch = count_ng(h, (int)hn, h + i, k), cr = count_ng(r, (int)rn, h + i, k);
            b->correct[k - 1] += ch < cr ? ch : cr;
        }
    }
    b->sys_len += hn;
    b->ref_len += rn;
    free(all); free(ord); free(id);
    ft_tokens_free(ht, hn);
    ft_tokens_free(rt, rn);
}

double ft_bleu_score(const ft_bleu *b, double *precisions, double *bp_out)
{
    double p[4] = {0, 0, 0, 0}, smooth = 1.0;
    for (int n = 0; n < 4; n++) {
        if (b->total[n] == 0) break;
        if (b->correct[n] == 0) { smooth *= 2; p[n] = 100.0 / (smooth * b->total[n]); }
        else p[n] = 100.0 * b->correct[n] / b->total[n];
    }
    double bp = 0;
    if (b->sys_len > 0) bp = b->sys_len >= b->ref_len ? 1.0 : exp(1 - b->ref_len / b->sys_len);
    double s = 0;
    for (int n = 0; n < 4; n++) s += p[n] > 0 ? log(p[n]) : -9999999999.0;
    if (precisions) memcpy(precisions, p, sizeof p);
    if (bp_out) *bp_out = bp;
    return b->sys_len > 0 ? bp * exp(s / 4) : 0.0;
}

/* ---- pass@1 ---- */

void ft_exec_opts_default(ft_exec_opts *o)
{
    o->python = "python3";
    o->timeout_s = 10;
    o->mem_mb = 1024;
}

static const char guard[] =
    "import socket as _ft_socket\n"
    "class _FtNoNet(_ft_socket.socket):\n"
    "    def __init__(self, *a, **k):\n"
    "        raise OSError('network disabled in the ft evaluation sandbox')\n"
    "_ft_socket.socket = _FtNoNet\n"
    "_ft_socket.create_connection = lambda *a, **k: _FtNoNet()\n"
    "del _ft_socket\n";

int ft_exec_tests(const char *program, const char *setup, const char *const *tests, int ntests,
                  const ft_exec_opts *o, const char **why)
{
    size_t len = sizeof guard + strlen(program) + (setup ? strlen(setup) : 0) + 4;
    for (int i = 0; i < ntests; i++) len += strlen(tests[i]) + 1;
    char *text = ft_xmalloc(len), *e = text;
    e = stpcpy(e, guard);
    e = stpcpy(stpcpy(e, program), "\n");
    if (setup && *setup) e = stpcpy(stpcpy(e, setup), "\n");
    for (int i = 0; i < ntests; i++) e = stpcpy(stpcpy(e, tests[i]), "\n");
    /* MBPP programs neither fork nor write much: a few processes and a
       small scratch disk are plenty, and bound a fork or disk bomb */
    ft_sandbox_limits lim = { o->timeout_s, o->mem_mb, 64, 16 };
    const char *argv[] = { o->python, "-I", "prog.py", NULL };
    int code;
    enum ft_sb_result r = ft_sandbox_run("prog.py", text, argv, &lim, &code);
    free(text);
    const char *w = r == FT_SB_TIMEOUT ? "timeout" : r == FT_SB_SIGNALED ? "crashed"
                  : r != FT_SB_EXITED ? "error" : code == 0 ? "passed" : code == 127 ? "error" : "failed";
    if (why) *why = w;
    return r == FT_SB_EXITED && code == 0;
}
