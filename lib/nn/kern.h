/* kern: the hot inner loops of the ops and the optimiser (norms, GELU,
 * softmax, cross-entropy, AdamW, bf16 rounding), written once
 * (kern_body.h) and compiled twice: for the build's baseline (x86-64-v3:
 * AVX2, FMA) and for AVX-512.  One of the two tables below is picked once,
 * at start-up, from the CPU (avx512f, bw, vl, dq); FT_ISA=baseline forces the
 * baseline table on any CPU (so an AVX-512 machine tests the path a Zen 3
 * runs), FT_ISA=avx512 demands the other (an error where the CPU lacks it).
 * The callers keep the threading (OpenMP loops over rows or ranges); a
 * kernel runs on one thread.  Numerics: the two tables differ only in the
 * order of float sums (8 or 16 lanes). */
#ifndef FT_KERN_H
#define FT_KERN_H
#include <stddef.h>
#include <stdint.h>

/* One AdamW update's scalars (optim.c: torch.optim.AdamW's single-tensor step). */
typedef struct ft_adamw_coef {
    float b1, b2, eps, decay, step_size, bc2_sqrt, gscale;
    int zero;               /* clear each gradient once read */
} ft_adamw_coef;

typedef struct ft_kernels {
    const char *isa;        /* "x86-64-v3" or "avx512" */
    /* layer norm of one row of C: o = (x-m)·r·gamma + beta, m and r stored when not NULL */
    void (*layernorm_row)(float *o, const float *x, const float *gamma, const float *beta, int C,
                          float eps, float *mean, float *rstd);
    void (*layernorm_bwd_row)(float *d, const float *x, const float *g, const float *gamma,
                              float m, float r, int C);
    /* dgamma/dbeta (either NULL) += their sums over N rows, columns [lo, hi) */
    void (*layernorm_dparams)(float *dgamma, float *dbeta, const float *in, const float *dout,
                              const float *mean, const float *rstd, int N, int C, size_t lo, size_t hi);
    void (*rmsnorm_row)(float *o, const float *x, const float *gamma, int C, float eps, float *rstd);
    void (*rmsnorm_bwd_row)(float *d, const float *x, const float *g, const float *gamma, float r, int C);
    void (*rmsnorm_dgamma)(float *dgamma, const float *in, const float *dout, const float *rstd,
                           int N, int C, size_t lo, size_t hi);
    /* acc[c] += Σ_n x[n,c] for c in [lo, hi) */
    void (*colsum)(float *acc, const float *x, int N, int C, size_t lo, size_t hi);
    void (*gelu_fwd)(float *out, const float *in, size_t n);
    void (*gelu_bwd)(float *din, const float *dout, const float *in, size_t n);
    void (*gelu_tanh_fwd)(float *out, const float *in, size_t n);
    void (*gelu_tanh_bwd)(float *din, const float *dout, const float *in, size_t n);
    /* one attention row of Tk scores: + bias + mask (either NULL) over the
       jmax visible keys, softmax there, zeros after */
    void (*softmax_row)(float *row, const float *bias, const float *mask, int jmax, int Tk);
    /* back through dropout (p > 0: the mask of stream key at element ids
       rb..rb+Tk) and softmax: g = pr ∘ (g' − Σ g'·pr) */
    void (*softmax_bwd_row)(float *g, const float *pr, int Tk, float p, uint64_t key, size_t rb);
    /* cross-entropy of one row of V logits (label smoothing eps); writes
       d = k·softmax − k·eps/V − k·(1−eps)·onehot when d is not NULL (d may be x);
       returns the row's loss */
    double (*xent_row)(float *d, const float *x, int V, int label, float eps, float k);
    void (*adamw)(float *w, float *g, float *m, float *v, size_t n, const ft_adamw_coef *c);
    double (*sumsq)(const float *g, size_t n);      /* Σ g², in double */
    /* d[i] = s[i] rounded to the nearest bf16 (ties to even, as torch), as a float */
    void (*bf16_round)(float *d, const float *s, size_t n);
} ft_kernels;

extern const ft_kernels ft_kern_base, ft_kern_avx512;
/* The table this process uses, set before main (see above). */
extern const ft_kernels *ft_kern;
/* Whether this CPU can run ft_kern_avx512. */
int ft_kern_avx512_ok(void);

#endif
