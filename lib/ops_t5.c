/* ops_t5: relative position bias, T5 attention (separate query and key
 * lengths, per-head bias, no scaling), threaded cross-entropy, elementwise
 * product.  See ops_t5.h. */
#include "ops_t5.h"
#include "ops.h"
#include "ops_math.h"
#include "rng.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define PAR_MIN 32768

int ft_t5_rel_bucket(int rel, int bidirectional, int num_buckets, int max_distance)
{
    int bucket = 0, n = rel;
    if (bidirectional) {
        num_buckets /= 2;
        if (n > 0) bucket += num_buckets;
        n = n < 0 ? -n : n;
    } else {
        n = n < 0 ? -n : 0;
    }
    int max_exact = num_buckets / 2;
    if (n < max_exact) return bucket + n;
    /* float32 as torch computes it: log(n/max_exact)/log(maxd/max_exact)·(nb−max_exact) */
    float r = logf((float)n / (float)max_exact);
    r = r / (float)log((double)max_distance / max_exact);
    r = r * (float)(num_buckets - max_exact);
    int large = max_exact + (int)r;
    if (large > num_buckets - 1) large = num_buckets - 1;
    return bucket + large;
}

void ft_t5_pos_bias_fwd(float *bias, const float *table, int H, int Tq, int Tk, int q0,
                        int bidirectional, int num_buckets, int max_distance)
{
    /* the bucket depends only on j − i: one lookup per diagonal */
    int nd = Tq + Tk - 1;
    int bk[nd];
    for (int d = 0; d < nd; d++)
        bk[d] = ft_t5_rel_bucket(d - (Tq - 1) - q0, bidirectional, num_buckets, max_distance);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < Tq; i++) {
            float *row = bias + ((size_t)h * Tq + i) * Tk;
            for (int j = 0; j < Tk; j++) row[j] = table[(size_t)bk[j - i + Tq - 1] * H + h];
        }
}

void ft_t5_pos_bias_bwd(float *dtable, const float *dbias, int H, int Tq, int Tk, int q0,
                        int bidirectional, int num_buckets, int max_distance)
{
    if (!dtable) return;
    int nd = Tq + Tk - 1;
    int bk[nd];
    for (int d = 0; d < nd; d++)
        bk[d] = ft_t5_rel_bucket(d - (Tq - 1) - q0, bidirectional, num_buckets, max_distance);
    for (int h = 0; h < H; h++) {
        double acc[num_buckets];
        memset(acc, 0, sizeof acc);
        for (int i = 0; i < Tq; i++) {
            const float *row = dbias + ((size_t)h * Tq + i) * Tk;
            for (int j = 0; j < Tk; j++) acc[bk[j - i + Tq - 1]] += row[j];
        }
        for (int b = 0; b < num_buckets; b++) dtable[(size_t)b * H + h] += (float)acc[b];
    }
}

size_t ft_t5_attn_scratch(int Tq, int Tk)
{
    return (size_t)omp_get_max_threads() * 2 * (size_t)Tq * Tk;
}

void ft_t5_attn_fwd(float *out, float *probs, const float *q, int ldq,
                    const float *k, const float *v, int ldkv, const float *bias,
                    const float *mask, int B, int Tq, int Tk, int H, int D, int causal,
                    float p, uint64_t key, float *scratch)
{
    size_t QK = (size_t)Tq * Tk;
    int HD = H * D;
    #pragma omp parallel for collapse(2) schedule(static) if ((size_t)B * H * QK * D > 65536)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *qb = q + (size_t)b * Tq * ldq + (size_t)h * D;
            const float *kb = k + (size_t)b * Tk * ldkv + (size_t)h * D;
            const float *vb = v + (size_t)b * Tk * ldkv + (size_t)h * D;
            float *P = probs + ((size_t)b * H + h) * QK;
            ft_sgemm(0, 1, Tq, Tk, D,
                     1.0f, qb, ldq, kb, ldkv, 0.0f, P, Tk);
            const float *mk = mask ? mask + (size_t)b * Tk : NULL;
            const float *bh = bias ? bias + (size_t)h * QK : NULL;
            for (int i = 0; i < Tq; i++) {
                float *row = P + (size_t)i * Tk;
                int jmax = causal ? i + 1 + (Tk - Tq) : Tk;
                if (jmax > Tk) jmax = Tk;
                if (bh) { const float *br = bh + (size_t)i * Tk; for (int j = 0; j < jmax; j++) row[j] += br[j]; }
                if (mk) for (int j = 0; j < jmax; j++) row[j] += mk[j];
                float mx = row[0];
                for (int j = 1; j < jmax; j++) if (row[j] > mx) mx = row[j];
                float s = 0;
                for (int j = 0; j < jmax; j++) { row[j] = expf(row[j] - mx); s += row[j]; }
                float inv = 1.0f / s;
                for (int j = 0; j < jmax; j++) row[j] *= inv;
                for (int j = jmax; j < Tk; j++) row[j] = 0.0f;
            }
            const float *Pd = P;
            if (p > 0) {
                float *tmp = scratch + (size_t)omp_get_thread_num() * 2 * QK;
                ft_dropout_block(tmp, P, QK, ((size_t)b * H + h) * QK, p, key);
                Pd = tmp;
            }
            ft_sgemm(0, 0, Tq, D, Tk,
                     1.0f, Pd, Tk, vb, ldkv, 0.0f, out + (size_t)b * Tq * HD + (size_t)h * D, HD);
        }
}

void ft_t5_attn_bwd(float *dq, float *dk, float *dv, float *dbias, const float *dout,
                    const float *q, int ldq, const float *k, const float *v, int ldkv,
                    const float *probs, int B, int Tq, int Tk, int H, int D,
                    float p, uint64_t key, float *scratch)
{
    size_t QK = (size_t)Tq * Tk;
    int HD = H * D;
    uint32_t th = ft_drop_threshold(p);
    float pscale = p > 0 ? 1.0f / (1.0f - p) : 1.0f;
    /* heads in parallel, batch rows in order, so dbias[h] has one writer */
    #pragma omp parallel for schedule(dynamic, 1) if ((size_t)B * H * QK * D > 65536)
    for (int h = 0; h < H; h++)
        for (int b = 0; b < B; b++) {
            const float *qb = q + (size_t)b * Tq * ldq + (size_t)h * D;
            const float *kb = k + (size_t)b * Tk * ldkv + (size_t)h * D;
            const float *vb = v + (size_t)b * Tk * ldkv + (size_t)h * D;
            float *dqb = dq ? dq + (size_t)b * Tq * ldq + (size_t)h * D : NULL;
            float *dkb = dk ? dk + (size_t)b * Tk * ldkv + (size_t)h * D : NULL;
            float *dvb = dv ? dv + (size_t)b * Tk * ldkv + (size_t)h * D : NULL;
            const float *dO = dout + (size_t)b * Tq * HD + (size_t)h * D;
            const float *P = probs + ((size_t)b * H + h) * QK;
            float *dP = scratch + (size_t)omp_get_thread_num() * 2 * QK, *Pd = dP + QK;
            size_t base = ((size_t)b * H + h) * QK;
            ft_sgemm(0, 1, Tq, Tk, D,
                     1.0f, dO, HD, vb, ldkv, 0.0f, dP, Tk);
            if (dvb) {
                const float *Pv = P;
                if (p > 0) { ft_dropout_block(Pd, P, QK, base, p, key); Pv = Pd; }
                ft_sgemm(1, 0, Tk, D, Tq,
                         1.0f, Pv, Tk, dO, HD, 1.0f, dvb, ldkv);
            }
            for (int i = 0; i < Tq; i++) {
                float *g = dP + (size_t)i * Tk;
                const float *pr = P + (size_t)i * Tk;
                if (p > 0)
                    #pragma omp simd
                    for (int j = 0; j < Tk; j++)
                        g[j] = ft_hash_u32(key, base + (size_t)i * Tk + j) >= th ? g[j] * pscale : 0.0f;
                float s = 0;
                for (int j = 0; j < Tk; j++) s += g[j] * pr[j];
                for (int j = 0; j < Tk; j++) g[j] = pr[j] * (g[j] - s);
            }
            if (dbias) { float *db = dbias + (size_t)h * QK; for (size_t e = 0; e < QK; e++) db[e] += dP[e]; }
            if (dqb) ft_sgemm(0, 0, Tq, D, Tk,
                              1.0f, dP, Tk, kb, ldkv, 1.0f, dqb, ldq);
            if (dkb) ft_sgemm(1, 0, Tk, D, Tq,
                              1.0f, dP, Tk, qb, ldq, 1.0f, dkb, ldkv);
        }
}

void ft_mul_fwd(float *out, const float *a, const float *b, size_t n)
{
    #pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void ft_mul_bwd(float *da, float *db, const float *dout, const float *a, const float *b, size_t n)
{
    #pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i] * b[i];
        if (db) db[i] += dout[i] * a[i];
    }
}
