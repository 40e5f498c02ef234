/* ops_math: exp and erf written so that `#pragma omp simd` loops vectorise
 * (glibc's expf/erff are scalar calls without -ffast-math).  Internal to ops. */
#ifndef FT_OPS_MATH_H
#define FT_OPS_MATH_H
#include <stdint.h>
#include <string.h>

/* e^x, relative error ~1.5e-7 (Cody-Waite reduction, degree-6 Taylor on
   |r| <= ln2/2); x < -87.3 gives exactly 0, x >= 88.7 clamps. */
static inline float ft_expf(float x0)
{
    float x = x0 < -87.3f ? -87.3f : x0 > 88.7f ? 88.7f : x0;
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f - n * -2.12194440e-4f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f
              + r * (8.3333338e-3f + r * 1.3888889e-3f)))));
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
