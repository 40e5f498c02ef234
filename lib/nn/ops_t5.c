/* ops_t5: relative position bias, elementwise product.  See ops_t5.h. */
#include "ops_t5.h"
#include "ops_t5_internal.h"
#include "ops.h"
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
