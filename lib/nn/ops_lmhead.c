/* ops_lmhead: the causal-LM head and its cross-entropy in row chunks.  See ops.h.
 * A 151,936-token vocabulary makes the [tokens × vocabulary] logits the
 * largest tensor of a training step; a chunk of rows at a time keeps only
 * [chunk × vocabulary] of them, reused for their gradient in place.  The
 * cross-entropy itself is ft_cross_entropy_smoothed's, per chunk. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this many elements an OpenMP fork costs more than it saves. */
#define LMH_PAR_MIN 32768
/* The default chunk keeps its logits near 8 Mi floats (32 MiB), its rows
   rounded up to a multiple of 16, the row blocking of the SGEMM kernels: at
   V = 151,936 that is 64 rows instead of 55, measured 15 % faster (a ragged
   last row block in every chunk's three GEMMs). */
#define LMH_DEFAULT_FLOATS ((size_t)8 << 20)
#define LMH_ROW_BLOCK 16

static int lmh_chunk(int chunk, int V)
{
    if (chunk > 0) return chunk;
    size_t rows = LMH_DEFAULT_FLOATS / (size_t)(V > 0 ? V : 1);
    rows = (rows + LMH_ROW_BLOCK - 1) / LMH_ROW_BLOCK * LMH_ROW_BLOCK;
    if (rows < LMH_ROW_BLOCK) rows = LMH_ROW_BLOCK;
    return rows > (1 << 20) ? 1 << 20 : (int)rows;
}

/* packed rows [chunk,C], logits [chunk,V], then labels and row numbers of
   the chunk as int32 (one float slot each) */
size_t ft_lm_head_scratch(int chunk, int C, int V)
{
    size_t m = (size_t)lmh_chunk(chunk, V);
    return m * (size_t)C + m * (size_t)V + 2 * m;
}

/* The labelled rows of [n0, N) up to m of them: their numbers and labels;
   returns how many, and where the next chunk starts in *next. */
static int lmh_pick(int32_t *rows, int32_t *lab, const int32_t *labels, int n0, int N,
                    int m, int ignore, int *next)
{
    int k = 0, n = n0;
    for (; n < N && k < m; n++)
        if (labels[n] != ignore) { rows[k] = n; lab[k] = labels[n]; k++; }
    *next = n;
    return k;
}

static void lmh_gather(float *hp, const float *h, const int32_t *rows, int m, int C)
{
    #pragma omp parallel for schedule(static) if ((size_t)m * C > LMH_PAR_MIN)
    for (int i = 0; i < m; i++)
        memcpy(hp + (size_t)i * C, h + (size_t)rows[i] * C, (size_t)C * sizeof(float));
}

/* dh[rows[i]] += dhp[i]: the rows are distinct, so threads never share one */
static void lmh_scatter_add(float *dh, const float *dhp, const int32_t *rows, int m, int C)
{
    #pragma omp parallel for schedule(static) if ((size_t)m * C > LMH_PAR_MIN)
    for (int i = 0; i < m; i++) {
        float *d = dh + (size_t)rows[i] * C;
        const float *s = dhp + (size_t)i * C;
        #pragma omp simd
        for (int c = 0; c < C; c++) d[c] += s[c];
    }
}

float ft_lm_head_loss(float *dh, float *dW, const float *h, const float *W, const int32_t *labels,
                      int N, int C, int V, int ignore, float eps, float dscale, int chunk,
                      float *scratch)
{
    int count = ft_count_labelled(labels, N, ignore);
    /* as ft_cross_entropy_smoothed: no labelled row is a 0 loss with 0 grads */
    if (count == 0) return 0.0f;
    int m = lmh_chunk(chunk, V);
    float *own = NULL;
    if (!scratch) {
        own = malloc(ft_lm_head_scratch(m, C, V) * sizeof(float));
        if (!own) return NAN;
        scratch = own;
    }
    float *hp = scratch, *logits = hp + (size_t)m * C;
    int32_t *lab = (int32_t *)(logits + (size_t)m * V), *rows = lab + m;
    int backward = dh || dW;
    double total = 0;
    for (int n0 = 0, next; n0 < N; n0 = next) {
        int k = lmh_pick(rows, lab, labels, n0, N, m, ignore, &next);
        if (k == 0) continue;
        lmh_gather(hp, h, rows, k, C);
        ft_sgemm(0, 1, k, V, C, 1.0f, hp, C, W, C, 0.0f, logits, V);
        /* the chunk's own mean, weighted back to the mean over all labelled
           rows: its gradient scale is then dscale / count as unchunked */
        float chunk_mean = ft_cross_entropy_smoothed(backward ? logits : NULL, logits, lab, k, V,
                                                     ignore, dscale * (float)k / (float)count, eps);
        total += (double)chunk_mean * k;
        if (!backward) continue;
        /* dW first: it needs the packed rows, which dh's product then overwrites */
        if (dW) ft_sgemm(1, 0, V, C, k, 1.0f, logits, V, hp, C, 1.0f, dW, C);
        if (dh) {
            ft_sgemm(0, 0, k, C, V, 1.0f, logits, V, W, C, 0.0f, hp, C);
            lmh_scatter_add(dh, hp, rows, k, C);
        }
    }
    free(own);
    return (float)(total / count);
}
