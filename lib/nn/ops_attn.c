/* ops_attn: multi-head attention, forward and backward.  See ops.h.
 * One (batch, head) pair is a unit of work: its Tq×Tk×D GEMMs are too small
 * for BLAS to thread well, so an OpenMP loop spreads pairs over threads and
 * each sgemm runs single-threaded (OpenBLAS-openmp does so inside a parallel
 * region).  Softmax, mask, bias and dropout are fused into one pass per row. */
/* No FP traps or errno to preserve here: lets GCC if-convert and vectorise
   the exp/erf loops (see ops_math.h) without -ffast-math's reassociation. */
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#include "ops.h"
#include "kern.h"
#include "ops_math.h"
#include "rng.h"
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

size_t ft_attn_scratch(int Tq, int Tk)
{
    return (size_t)omp_get_max_threads() * 2 * (size_t)Tq * Tk;
}

static inline int visible(const ft_attn *a, int i)   /* keys [first_visible, visible) for query i */
{
    if (!a->causal) return a->Tk;
    int j = i + (a->Tk - a->Tq) + 1;
    return j < 0 ? 0 : j > a->Tk ? a->Tk : j;
}

static inline int first_visible(const ft_attn *a, int i)
{
    if (!a->causal || a->window <= 0) return 0;
    int j = i + (a->Tk - a->Tq) - a->window + 1;
    return j < 0 ? 0 : j;
}

/* The run of equal segment ids around key position at: [*lo, *hi). */
static void segment_run(const int32_t *seg, int Tk, int at, int *lo, int *hi)
{
    int s = seg[at], a = at, b = at + 1;
    while (a > 0 && seg[a - 1] == s) a--;
    while (b < Tk && seg[b] == s) b++;
    *lo = a;
    *hi = b;
}

/* The key/value head query head h reads (grouped-query attention). */
static inline int kv_head(const ft_attn *a, int h) { return a->Hkv > 0 ? h / (a->H / a->Hkv) : h; }

/* Row offset of batch b: its own stride when given (a KV cache keeps maxT
   rows per sequence), else T rows of ld floats. */
static inline size_t boff(size_t sb, int b, int T, size_t ld) { return (size_t)b * (sb ? sb : (size_t)T * ld); }

static void fwd_block(const ft_attn *a, int b, int h, float *out, float *probs, const float *q,
                      const float *k, const float *v, float *scratch)
{
    int Tq = a->Tq, Tk = a->Tk, D = a->D;
    size_t blk = (size_t)Tq * Tk;
    const float *qb = q + boff(a->sbq, b, Tq, a->ldq) + (size_t)h * D;
    const float *kb = k + boff(a->sbk, b, Tk, a->ldk) + (size_t)kv_head(a, h) * D;
    const float *vb = v + boff(a->sbv, b, Tk, a->ldv) + (size_t)kv_head(a, h) * D;
    float *ob = out + boff(a->sbo, b, Tq, a->ldo) + (size_t)h * D;
    float *P = probs + ((size_t)b * a->H + h) * blk;
    if (Tq == 1)            /* decoding one token: a GEMM call costs more than its work */
        for (int j = 0; j < Tk; j++) {
            const float *kj = kb + (size_t)j * a->ldk;
            float d = 0;
            for (int e = 0; e < D; e++) d += qb[e] * kj[e];
            P[j] = a->scale * d;
        }
    else ft_sgemm(0, 1, Tq, Tk, D, a->scale, qb, a->ldq, kb, a->ldk, 0.0f, P, Tk);
    const float *mk = a->mask ? a->mask + (size_t)b * Tk : NULL;
    const float *bias = a->bias ? a->bias + (size_t)h * blk : NULL;
    const int32_t *seg = a->segment ? a->segment + (size_t)b * Tk : NULL;
    int run_lo = 0, run_hi = 0;         /* the current query's example (segment) */
    for (int i = 0; i < Tq; i++) {
        float *row = P + (size_t)i * Tk;
        int lo = first_visible(a, i), hi = visible(a, i), at = i + (Tk - Tq);
        if (seg && at >= 0 && at < Tk) {
            if (i == 0 || at >= run_hi) segment_run(seg, Tk, at, &run_lo, &run_hi);
            if (lo < run_lo) lo = run_lo;
            if (hi > run_hi) hi = run_hi;
        }
        for (int j = 0; j < lo; j++) row[j] = 0.0f;
        ft_kern->softmax_row(row + lo, bias ? bias + (size_t)i * Tk + lo : NULL, mk ? mk + lo : NULL,
                             hi - lo, Tk - lo);
    }
    const float *Pd = P;
    if (a->p > 0) {
        ft_dropout_block(scratch, P, blk, ((size_t)b * a->H + h) * blk, a->p, a->key);
        Pd = scratch;
    }
    if (Tq == 1) {
        for (int e = 0; e < D; e++) ob[e] = 0;
        for (int j = 0; j < Tk; j++) {
            const float *vj = vb + (size_t)j * a->ldv;
            for (int e = 0; e < D; e++) ob[e] += Pd[j] * vj[e];
        }
    } else ft_sgemm(0, 0, Tq, D, Tk, 1.0f, Pd, Tk, vb, a->ldv, 0.0f, ob, a->ldo);
}

void ft_attn_fwd(const ft_attn *a, float *out, float *probs, const float *q, const float *k,
                 const float *v, float *scratch)
{
    size_t blk = (size_t)a->Tq * a->Tk, work = (size_t)a->B * a->H * blk * a->D;
    #pragma omp parallel for collapse(2) schedule(static) if (work > 65536)
    for (int b = 0; b < a->B; b++)
        for (int h = 0; h < a->H; h++)
            fwd_block(a, b, h, out, probs, q, k, v, scratch ? scratch + (size_t)omp_get_thread_num() * 2 * blk : NULL);
}

static void bwd_block(const ft_attn *a, int b, int h, float *dq, float *dk, float *dv, float *dbias,
                      const float *dout, const float *q, const float *k, const float *v,
                      const float *probs, float *scratch)
{
    int Tq = a->Tq, Tk = a->Tk, D = a->D;
    size_t blk = (size_t)Tq * Tk, base = ((size_t)b * a->H + h) * blk;
    size_t qo = boff(a->sbq, b, Tq, a->ldq) + (size_t)h * D;
    size_t ko = boff(a->sbk, b, Tk, a->ldk) + (size_t)kv_head(a, h) * D;
    size_t vo = boff(a->sbv, b, Tk, a->ldv) + (size_t)kv_head(a, h) * D;
    const float *dO = dout + boff(a->sbo, b, Tq, a->ldo) + (size_t)h * D;
    const float *P = probs + base;
    float *dP = scratch, *Pd = scratch + blk;
    /* dPd = dO·V^T */
    ft_sgemm(0, 1, Tq, Tk, D,
                1.0f, dO, a->ldo, v + vo, a->ldv, 0.0f, dP, Tk);
    /* dV += Pd^T·dO */
    if (dv) {
        const float *Pv = P;
        if (a->p > 0) { ft_dropout_block(Pd, P, blk, base, a->p, a->key); Pv = Pd; }
        ft_sgemm(1, 0, Tk, D, Tq,
                    1.0f, Pv, Tk, dO, a->ldo, 1.0f, dv + vo, a->ldv);
    }
    /* back through dropout, then softmax: dS = P ∘ (dP − Σ_j dP·P) */
    for (int i = 0; i < Tq; i++)
        ft_kern->softmax_bwd_row(dP + (size_t)i * Tk, P + (size_t)i * Tk, Tk, a->p, a->key, base + (size_t)i * Tk);
    /* the bias and mask are added to the scores, so dbias = dS (unscaled) */
    if (dbias) {
        float *db = dbias + (size_t)h * blk;
        for (size_t i = 0; i < blk; i++) db[i] += dP[i];
    }
    /* S = scale·Q·K^T: dQ += scale·dS·K, dK += scale·dS^T·Q */
    if (dq)
        ft_sgemm(0, 0, Tq, D, Tk,
                    a->scale, dP, Tk, k + ko, a->ldk, 1.0f, dq + qo, a->ldq);
    if (dk)
        ft_sgemm(1, 0, Tk, D, Tq,
                    a->scale, dP, Tk, q + qo, a->ldq, 1.0f, dk + ko, a->ldk);
}

void ft_attn_bwd(const ft_attn *a, float *dq, float *dk, float *dv, float *dbias,
                 const float *dout, const float *q, const float *k, const float *v,
                 const float *probs, float *scratch)
{
    size_t blk = (size_t)a->Tq * a->Tk, work = (size_t)a->B * a->H * blk * a->D;
    if (dbias) {
        /* dbias is shared over the batch: split heads, not batch rows */
        #pragma omp parallel for schedule(static) if (work > 65536)
        for (int h = 0; h < a->H; h++)
            for (int b = 0; b < a->B; b++)
                bwd_block(a, b, h, dq, dk, dv, dbias, dout, q, k, v, probs,
                          scratch + (size_t)omp_get_thread_num() * 2 * blk);
        return;
    }
    /* the query heads of one key/value head add into its dk, dv: one thread
       takes the whole group */
    int Hkv = a->Hkv > 0 ? a->Hkv : a->H, G = a->H / Hkv;
    #pragma omp parallel for collapse(2) schedule(static) if (work > 65536)
    for (int b = 0; b < a->B; b++)
        for (int hk = 0; hk < Hkv; hk++)
            for (int h = hk * G; h < (hk + 1) * G; h++)
                bwd_block(a, b, h, dq, dk, dv, NULL, dout, q, k, v, probs,
                          scratch + (size_t)omp_get_thread_num() * 2 * blk);
}

ft_attn ft_attn_packed(int B, int T, int C, int H, const float *mask, int causal, float p, uint64_t key)
{
    return (ft_attn){ .B = B, .Tq = T, .Tk = T, .H = H, .D = C / H,
                      .ldq = 3 * (size_t)C, .ldk = 3 * (size_t)C, .ldv = 3 * (size_t)C, .ldo = (size_t)C,
                      .mask = mask, .causal = causal, .scale = 1.0f / sqrtf((float)(C / H)),
                      .p = p, .key = key };
}
