/* ops_math: exp and erf written so that `#pragma omp simd` loops vectorise
 * (glibc's expf/erff are scalar calls without -ffast-math).  Internal to ops. */
#ifndef FT_OPS_MATH_H
#define FT_OPS_MATH_H
#include "rng.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Dropout keeps element i of stream key when ft_hash_u32(key, i) >= this. */
static inline uint32_t ft_drop_threshold(float p)
{
    double t = (double)p * 4294967296.0;
    return t >= 4294967295.0 ? 0xffffffffu : (uint32_t)t;
}

/* Pd = dropout(P) for elements base..base+n of stream key, on the calling
   thread (inside a parallel region: element ids are global, so the mask is
   the same whichever thread runs the block). */
static inline void ft_dropout_block(float *Pd, const float *P, size_t n, size_t base, float p, uint64_t key)
{
    uint32_t th = ft_drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    #pragma omp simd
    for (size_t i = 0; i < n; i++)
        Pd[i] = ft_hash_u32(key, base + i) >= th ? P[i] * scale : 0.0f;
}

/* e^x, relative error ~1e-7, near float rounding (Cody-Waite reduction,
   degree-7 Taylor on |r| <= ln2/2: the truncation error is ~5e-9, where
   degree 6 left 1.2e-7, enough to show in Adam steps of tiny gradients);
   x < -87.3 gives exactly 0, x >= 88.7 clamps. */
static inline float ft_expf(float x0)
{
    float x = x0 < -87.3f ? -87.3f : x0 > 88.7f ? 88.7f : x0;
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f - n * -2.12194440e-4f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f
              + r * (8.3333338e-3f + r * (1.3888889e-3f + r * 1.9841270e-4f))))));
    int32_t e = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &e, 4);
    return x0 < -87.3f ? 0.0f : p * s;      /* masked scores give exact zeros */
}

/* erf(x) given g = ft_expf(-x*x), which GELU's derivative reuses.
   Abramowitz & Stegun 7.1.26 (max abs error 1.5e-7), the form PyTorch's
   vectorised CPU erf uses. */
static inline float ft_erf_g(float x, float g)
{
    float ax = x < 0 ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f
                 + t * (-1.453152027f + t * 1.061405429f))));
    float y = 1.0f - poly * g;
    return x < 0 ? -y : y;
}
#endif
