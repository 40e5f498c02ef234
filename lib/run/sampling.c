/* sampling: HF's logits processors and warpers on one row.  See sampling.h. */
#include "sampling.h"
#include "sampling_internal.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ft_sampling_default(ft_sampling *s)
{
    memset(s, 0, sizeof *s);
    s->temperature = 1.0f;
    s->top_k = 50;
    s->top_p = 1.0f;
    s->repetition_penalty = 1.0f;
    s->seed = 42;
}

void ft_repetition_penalty(float *logits, int V, const int32_t *seen, int n, float penalty)
{
    if (penalty == 1.0f) return;
    /* HF gathers the scores of seen tokens, then scatters the penalised values:
       a token seen twice is penalised once. */
    unsigned char *done = calloc((size_t)V, 1);
    if (!done) ft_die("out of memory");
    for (int i = 0; i < n; i++) {
        int t = seen[i];
        if (t < 0 || t >= V || done[t]) continue;
        done[t] = 1;
        logits[t] = logits[t] < 0 ? logits[t] * penalty : logits[t] / penalty;
    }
    free(done);
}

void ft_ban_repeat_ngrams(float *logits, const int32_t *seq, int len, int n)
{
    if (n <= 0 || len + 1 < n) return;
    const int32_t *prefix = seq + len - (n - 1);
    for (int i = 0; i + n <= len; i++)
        if (!memcmp(seq + i, prefix, (size_t)(n - 1) * sizeof *seq)) logits[seq[i + n - 1]] = -INFINITY;
}

void ft_process_logits(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen)
{
    ft_repetition_penalty(logits, V, seen, nseen, s->repetition_penalty);
    ft_ban_repeat_ngrams(logits, seen, nseen, s->no_repeat_ngram_size);
}

/* TemperatureLogitsWarper: logits / t. */
static void ft_temperature(float *logits, int V, float t)
{
    if (t == 1.0f) return;
    for (int i = 0; i < V; i++) logits[i] /= t;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

void ft_top_k(float *logits, int V, int k)
{
    if (k <= 0 || k >= V) return;
    float *c = ft_xmalloc((size_t)V * sizeof *c);
    memcpy(c, logits, (size_t)V * sizeof *c);
    qsort(c, V, sizeof *c, cmp_desc);
    float kth = c[k - 1];
    for (int i = 0; i < V; i++) if (logits[i] < kth) logits[i] = -INFINITY;
    free(c);
}

typedef struct { float v; int i; } vi;
static int cmp_vi_asc(const void *a, const void *b)
{
    const vi *x = a, *y = b;
    if (x->v != y->v) return (x->v > y->v) - (x->v < y->v);
    return (x->i > y->i) - (x->i < y->i);
}

void ft_top_p(float *logits, int V, float p)
{
    if (p >= 1.0f) return;
    vi *s = ft_xmalloc((size_t)V * sizeof *s);
    float mx = -INFINITY;
    for (int i = 0; i < V; i++) { s[i].v = logits[i]; s[i].i = i; if (logits[i] > mx) mx = logits[i]; }
    qsort(s, V, sizeof *s, cmp_vi_asc);
    double z = 0;
    for (int i = 0; i < V; i++) z += exp((double)s[i].v - mx);
    double cum = 0;
    for (int i = 0; i < V - 1; i++) {          /* the last (largest) is always kept */
        cum += exp((double)s[i].v - mx) / z;
        if (cum <= 1.0 - p) logits[s[i].i] = -INFINITY;
        else break;
    }
    free(s);
}

/* The first maximum, as torch.argmax. */
static int ft_argmax(const float *logits, int V)
{
    int best = 0;
    for (int i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
}

/* Softmax, then one draw from r. */
static int ft_sample_token(const float *logits, int V, ft_rng *r)
{
    float mx = logits[ft_argmax(logits, V)];
    double z = 0;
    for (int i = 0; i < V; i++) z += exp((double)logits[i] - mx);
    double u = ft_rng_uniform(r) * z, cum = 0;
    int last = 0;
    for (int i = 0; i < V; i++) {
        double e = exp((double)logits[i] - mx);
        if (e <= 0) continue;
        last = i;
        cum += e;
        if (u < cum) return i;
    }
    return last;
}

int ft_next_token(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen, ft_rng *r)
{
    ft_process_logits(s, logits, V, seen, nseen);
    if (!s->do_sample) return ft_argmax(logits, V);
    ft_temperature(logits, V, s->temperature);
    ft_top_k(logits, V, s->top_k);
    ft_top_p(logits, V, s->top_p);
    return ft_sample_token(logits, V, r);
}
