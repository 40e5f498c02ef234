/* ops_llama: the two element-wise pieces of Llama-shaped decoders — rotary
 * position embeddings (HF's apply_rotary_pos_emb, rotate-half layout) and
 * the SwiGLU gate (LlamaMLP's act_fn(gate) * up).  See ops.h. */
/* No FP traps or errno to preserve here: lets GCC vectorise the exp loops. */
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#include "ops.h"
#include "ops_math.h"
#include <math.h>
#include <omp.h>

#define FT_PAR_MIN 32768

/* HF's RotaryEmbedding.forward computes freqs = position · inv_freq in
   float32 and takes cos/sin of that float32 product; so do we, once per
   batch instead of once per layer and head. */
void ft_rope_table(float *cs, const int32_t *pos, int N, int D, const float *inv_freq, float scaling)
{
    int h = D / 2;
    #pragma omp parallel for schedule(static) if ((size_t)N * D > FT_PAR_MIN)
    for (int n = 0; n < N; n++) {
        float *c = cs + (size_t)n * D, *s = c + h;
        for (int i = 0; i < h; i++) {
            float f = (float)pos[n] * inv_freq[i];
            c[i] = (float)cos((double)f) * scaling;
            s[i] = (float)sin((double)f) * scaling;
        }
    }
}

/* out1 = x1·cos − x2·sin, out2 = x2·cos + x1·sin (rotate_half(x) = [−x2, x1]);
   the backward is the transposed rotation, the same loop with sin negated. */
static void rotate(float *x, size_t ld, int N, int nh, int D, const float *cs, float sign)
{
    int h = D / 2;
    #pragma omp parallel for schedule(static) if ((size_t)N * nh * D > FT_PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *c = cs + (size_t)n * D, *s = c + h;
        for (int hd = 0; hd < nh; hd++) {
            float *x1 = x + (size_t)n * ld + (size_t)hd * D, *x2 = x1 + h;
            #pragma omp simd
            for (int i = 0; i < h; i++) {
                float a = x1[i], b = x2[i], si = sign * s[i];
                x1[i] = a * c[i] - b * si;
                x2[i] = b * c[i] + a * si;
            }
        }
    }
}

void ft_rope_fwd(float *x, size_t ld, int N, int nh, int D, const float *cs) { rotate(x, ld, N, nh, D, cs, 1.0f); }
void ft_rope_bwd(float *dx, size_t ld, int N, int nh, int D, const float *cs) { rotate(dx, ld, N, nh, D, cs, -1.0f); }

/* silu(g) = g·σ(g), σ(g) = 1 / (1 + e^−g) as torch computes it in float. */
static inline float sigmoid(float g) { return 1.0f / (1.0f + ft_expf(-g)); }

void ft_swiglu_fwd(float *out, const float *gate, const float *up, size_t n)
{
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

/* d silu(g)/dg = σ(g)·(1 + g·(1 − σ(g))) */
void ft_swiglu_bwd(float *dgate, float *dup, const float *dout, const float *gate, const float *up, size_t n)
{
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float g = gate[i], s = sigmoid(g), d = dout[i];
        if (dup) dup[i] += d * g * s;
        if (dgate) dgate[i] += d * up[i] * s * (1.0f + g * (1.0f - s));
    }
}
