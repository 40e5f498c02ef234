/* ops_attn: multi-head scaled dot-product attention, forward and backward.
 * One (batch, head) pair is a unit of work: its T×T×D GEMMs are too small for
 * BLAS to thread well, so the OpenMP loop spreads pairs over threads and each
 * sgemm runs single-threaded (OpenBLAS-openmp does so inside a parallel
 * region).  See ops.h for shapes. */
#include "ops.h"
#include "rng.h"
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

size_t ft_attention_scratch(int T)
{
    return (size_t)omp_get_max_threads() * 2 * (size_t)T * T;
}

static inline uint32_t drop_threshold(float p)
{
    double t = (double)p * 4294967296.0;
    return t >= 4294967295.0 ? 0xffffffffu : (uint32_t)t;
}

/* Pd = dropout(P) for one (b,h) block; element ids are global so the mask is
   the same whichever thread runs the block. */
static void drop_block(float *Pd, const float *P, int T, size_t base, float p, uint64_t key)
{
    uint32_t th = drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < (size_t)T * T; i++)
        Pd[i] = ft_hash_u32(key, base + i) >= th ? P[i] * scale : 0.0f;
}

void ft_attention_fwd(float *out, float *probs, const float *qkv, const float *mask,
                      int B, int T, int C, int H, int causal, float p, uint64_t key,
                      float *scratch)
{
    int D = C / H;
    size_t ld = 3 * (size_t)C, TT = (size_t)T * T;
    float scale = 1.0f / sqrtf((float)D);
    #pragma omp parallel for collapse(2) schedule(static) if ((size_t)B * H * TT * D > 65536)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *q = qkv + (size_t)b * T * ld + (size_t)h * D;
            const float *k = q + C, *v = q + 2 * C;
            float *P = probs + ((size_t)b * H + h) * TT;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D,
                        scale, q, ld, k, ld, 0.0f, P, T);
            const float *mk = mask ? mask + (size_t)b * T : NULL;
            for (int i = 0; i < T; i++) {
                float *row = P + (size_t)i * T;
                int jmax = causal ? i + 1 : T;
                if (mk) for (int j = 0; j < jmax; j++) row[j] += mk[j];
                float mx = row[0];
                for (int j = 1; j < jmax; j++) if (row[j] > mx) mx = row[j];
                float s = 0;
                for (int j = 0; j < jmax; j++) { row[j] = expf(row[j] - mx); s += row[j]; }
                float inv = 1.0f / s;
                for (int j = 0; j < jmax; j++) row[j] *= inv;
                for (int j = jmax; j < T; j++) row[j] = 0.0f;
            }
            const float *Pd = P;
            if (p > 0) {
                float *tmp = scratch + (size_t)omp_get_thread_num() * 2 * TT;
                drop_block(tmp, P, T, ((size_t)b * H + h) * TT, p, key);
                Pd = tmp;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T,
                        1.0f, Pd, T, v, ld, 0.0f, out + (size_t)b * T * C + (size_t)h * D, C);
        }
}

void ft_attention_bwd(float *dqkv, const float *dout, const float *qkv,
                      const float *probs, int B, int T, int C, int H,
                      float p, uint64_t key, float *scratch)
{
    int D = C / H;
    size_t ld = 3 * (size_t)C, TT = (size_t)T * T;
    float scale = 1.0f / sqrtf((float)D);
    uint32_t th = drop_threshold(p);
    float pscale = p > 0 ? 1.0f / (1.0f - p) : 1.0f;
    #pragma omp parallel for collapse(2) schedule(static) if ((size_t)B * H * TT * D > 65536)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            size_t boff = (size_t)b * T * ld + (size_t)h * D;
            const float *q = qkv + boff, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + boff, *dk = dq + C, *dv = dq + 2 * C;
            const float *dO = dout + (size_t)b * T * C + (size_t)h * D;
            const float *P = probs + ((size_t)b * H + h) * TT;
            float *dP = scratch + (size_t)omp_get_thread_num() * 2 * TT, *Pd = dP + TT;
            size_t base = ((size_t)b * H + h) * TT;
            /* dPd = dO·V^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D,
                        1.0f, dO, C, v, ld, 0.0f, dP, T);
            /* dV += Pd^T·dO */
            const float *Pv = P;
            if (p > 0) { drop_block(Pd, P, T, base, p, key); Pv = Pd; }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T,
                        1.0f, Pv, T, dO, C, 1.0f, dv, ld);
            /* through dropout, then softmax: dS = P ∘ (dP − Σ_j dP·P) */
            for (int i = 0; i < T; i++) {
                float *g = dP + (size_t)i * T;
                const float *pr = P + (size_t)i * T;
                if (p > 0)
                    for (int j = 0; j < T; j++)
                        g[j] = ft_hash_u32(key, base + (size_t)i * T + j) >= th ? g[j] * pscale : 0.0f;
                float s = 0;
                for (int j = 0; j < T; j++) s += g[j] * pr[j];
                for (int j = 0; j < T; j++) g[j] = pr[j] * (g[j] - s);
            }
            /* S = scale·Q·K^T: dQ += scale·dS·K, dK += scale·dS^T·Q */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T,
                        scale, dP, T, k, ld, 1.0f, dq, ld);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T,
                        scale, dP, T, q, ld, 1.0f, dk, ld);
        }
}
