/* ops: linear, embedding, norms, activations, dropout.  See ops.h.
 * Attention is in ops_attn.c, losses in ops_loss.c. */
/* No FP traps or errno to preserve here: lets GCC if-convert and vectorise
   the exp/erf loops (see ops_math.h) without -ffast-math's reassociation. */
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#include "ops.h"
#include "ops_internal.h"
#include "kern.h"
#include "ops_math.h"
#include "rng.h"
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

/* Below this many elements an OpenMP fork costs more than it saves (waking
   an idle thread in a VM can take hundreds of microseconds). */
#define FT_PAR_MIN 32768

/* Split [0, n) evenly over the threads of the current team. */
static inline void my_range(size_t n, size_t *lo, size_t *hi)
{
    size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

void openblas_set_num_threads(int);   /* cblas.h of some builds lacks it */

void ft_set_threads(int n)
{
    if (n <= 0) return;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int ft_get_threads(void) { return omp_get_max_threads(); }

void ft_blas_reserve(void)
{
    static int done;
    if (done) return;
    done = 1;
    int nt = omp_get_max_threads();
    const size_t buf = (size_t)132 << 20;       /* BUFFER_SIZE plus its guard pages */
    void **probe = calloc(nt, sizeof *probe);
    int fits = probe != NULL;
    for (int i = 0; fits && i < nt; i++) fits = (probe[i] = malloc(buf)) != NULL;
    for (int i = 0; probe && i < nt; i++) free(probe[i]);
    free(probe);
    if (!fits)
        ft_die("out of memory allocating the BLAS work buffers (%d threads x %zu MiB of address space); "
               "raise ulimit -v or use fewer --threads", nt, buf >> 20);
    #pragma omp parallel
    {
        float a = 0, b = 0, c = 0;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
    }
}

/* ---- linear ---- */

void ft_linear_fwd(float *out, const float *in, const float *W, const float *b,
                   int N, int Cin, int Cout)
{
    if (b) {
        /* Seed the output with the bias so one sgemm (beta = 1) adds in·W^T. */
        #pragma omp parallel for schedule(static) if ((size_t)N * Cout > FT_PAR_MIN)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * Cout, b, Cout * sizeof(float));
    }
    ft_sgemm(0, 1, N, Cout, Cin,
                1.0f, in, Cin, W, Cin, b ? 1.0f : 0.0f, out, Cout);
}

/* acc[C] += Σ_n x[n,:]: each thread owns a column range so no reduction is
   needed; the inner loop over columns vectorises. */
static void colsum_acc(float *acc, const float *x, int N, int C)
{
    #pragma omp parallel if ((size_t)N * C > FT_PAR_MIN)
    {
        size_t lo, hi;
        my_range((size_t)C, &lo, &hi);
        lo &= ~(size_t)15;  /* keep chunks cache-line aligned */
        if (omp_get_thread_num() == omp_get_num_threads() - 1) hi = C;
        else hi &= ~(size_t)15;
        ft_kern->colsum(acc, x, N, C, lo, hi);
    }
}

void ft_linear_bwd(float *din, float *dW, float *db, const float *dout,
                   const float *in, const float *W, int N, int Cin, int Cout)
{
    if (din) ft_sgemm(0, 0, N, Cin, Cout, 1.0f, dout, Cout, W, Cin, 1.0f, din, Cin);
    if (dW) ft_sgemm(1, 0, Cout, Cin, N, 1.0f, dout, Cout, in, Cin, 1.0f, dW, Cin);
    if (db) colsum_acc(db, dout, N, Cout);
}

/* ---- Conv1D: the linear layer with W stored [in,out] ---- */

void ft_conv1d_fwd(float *out, const float *in, const float *W, const float *b,
                   int N, int Cin, int Cout)
{
    if (b) {
        #pragma omp parallel for schedule(static) if ((size_t)N * Cout > FT_PAR_MIN)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * Cout, b, Cout * sizeof(float));
    }
    ft_sgemm(0, 0, N, Cout, Cin,
             1.0f, in, Cin, W, Cout, b ? 1.0f : 0.0f, out, Cout);
}

void ft_conv1d_bwd(float *din, float *dW, float *db, const float *dout,
                   const float *in, const float *W, int N, int Cin, int Cout)
{
    if (din) ft_sgemm(0, 1, N, Cin, Cout, 1.0f, dout, Cout, W, Cout, 1.0f, din, Cin);
    if (dW) ft_sgemm(1, 0, Cin, Cout, N, 1.0f, in, Cin, dout, Cout, 1.0f, dW, Cout);
    if (db) colsum_acc(db, dout, N, Cout);
}

/* ---- embedding ---- */

void ft_embedding_fwd(float *out, const int32_t *ids, const float *table,
                      int N, int C, int accumulate)
{
    #pragma omp parallel for schedule(static) if ((size_t)N * C > FT_PAR_MIN)
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * C;
        const float *r = table + (size_t)ids[n] * C;
        if (accumulate) for (int c = 0; c < C; c++) o[c] += r[c];
        else memcpy(o, r, C * sizeof(float));
    }
}

void ft_embedding_bwd(float *dtable, const int32_t *ids, const float *dout, int N, int C)
{
    /* Columns split over threads: repeated ids never race. */
    #pragma omp parallel if ((size_t)N * C > FT_PAR_MIN)
    {
        size_t lo, hi;
        my_range((size_t)C, &lo, &hi);
        for (int n = 0; n < N; n++) {
            float *d = dtable + (size_t)ids[n] * C;
            const float *g = dout + (size_t)n * C;
            for (size_t c = lo; c < hi; c++) d[c] += g[c];
        }
    }
}

/* ---- layer norm ---- */

void ft_layernorm_fwd(float *out, float *mean, float *rstd, const float *in,
                      const float *gamma, const float *beta, int N, int C, float eps)
{
    const ft_kernels *k = ft_kern;
    #pragma omp parallel for schedule(static) if ((size_t)N * C > FT_PAR_MIN)
    for (int n = 0; n < N; n++)
        k->layernorm_row(out + (size_t)n * C, in + (size_t)n * C, gamma, beta, C, eps,
                         mean ? mean + n : NULL, rstd ? rstd + n : NULL);
}

void ft_layernorm_bwd(float *din, float *dgamma, float *dbeta, const float *dout,
                      const float *in, const float *mean, const float *rstd,
                      const float *gamma, int N, int C)
{
    const ft_kernels *k = ft_kern;
    if (din) {
        #pragma omp parallel for schedule(static) if ((size_t)N * C > FT_PAR_MIN)
        for (int n = 0; n < N; n++)
            k->layernorm_bwd_row(din + (size_t)n * C, in + (size_t)n * C, dout + (size_t)n * C, gamma,
                                 mean[n], rstd[n], C);
    }
    if (dgamma || dbeta) {
        #pragma omp parallel if ((size_t)N * C > FT_PAR_MIN)
        {
            size_t lo, hi;
            my_range((size_t)C, &lo, &hi);
            k->layernorm_dparams(dgamma, dbeta, in, dout, mean, rstd, N, C, lo, hi);
        }
    }
}

/* ---- RMS norm (T5) ---- */

void ft_rmsnorm_fwd(float *out, float *rstd, const float *in, const float *gamma,
                    int N, int C, float eps)
{
    const ft_kernels *k = ft_kern;
    #pragma omp parallel for schedule(static) if ((size_t)N * C > FT_PAR_MIN)
    for (int n = 0; n < N; n++)
        k->rmsnorm_row(out + (size_t)n * C, in + (size_t)n * C, gamma, C, eps, rstd ? rstd + n : NULL);
}

void ft_rmsnorm_bwd(float *din, float *dgamma, const float *dout, const float *in,
                    const float *rstd, const float *gamma, int N, int C)
{
    const ft_kernels *k = ft_kern;
    if (din) {
        #pragma omp parallel for schedule(static) if ((size_t)N * C > FT_PAR_MIN)
        for (int n = 0; n < N; n++)
            k->rmsnorm_bwd_row(din + (size_t)n * C, in + (size_t)n * C, dout + (size_t)n * C, gamma, rstd[n], C);
    }
    if (dgamma) {
        #pragma omp parallel if ((size_t)N * C > FT_PAR_MIN)
        {
            size_t lo, hi;
            my_range((size_t)C, &lo, &hi);
            k->rmsnorm_dgamma(dgamma, in, dout, rstd, N, C, lo, hi);
        }
    }
}

/* ---- activations ---- */

/* GELU (erf and tanh forms): kern_body.h, each thread on its own range. */
void ft_gelu_fwd(float *out, const float *in, size_t n)
{
    #pragma omp parallel if (n > FT_PAR_MIN)
    {
        size_t lo, hi;
        my_range(n, &lo, &hi);
        ft_kern->gelu_fwd(out + lo, in + lo, hi - lo);
    }
}

void ft_gelu_bwd(float *din, const float *dout, const float *in, size_t n)
{
    #pragma omp parallel if (n > FT_PAR_MIN)
    {
        size_t lo, hi;
        my_range(n, &lo, &hi);
        ft_kern->gelu_bwd(din + lo, dout + lo, in + lo, hi - lo);
    }
}

void ft_gelu_tanh_fwd(float *out, const float *in, size_t n)
{
    #pragma omp parallel if (n > FT_PAR_MIN)
    {
        size_t lo, hi;
        my_range(n, &lo, &hi);
        ft_kern->gelu_tanh_fwd(out + lo, in + lo, hi - lo);
    }
}

void ft_gelu_tanh_bwd(float *din, const float *dout, const float *in, size_t n)
{
    #pragma omp parallel if (n > FT_PAR_MIN)
    {
        size_t lo, hi;
        my_range(n, &lo, &hi);
        ft_kern->gelu_tanh_bwd(din + lo, dout + lo, in + lo, hi - lo);
    }
}

void ft_relu_fwd(float *out, const float *in, size_t n)
{
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0;
}

void ft_relu_bwd(float *din, const float *dout, const float *in, size_t n)
{
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++) din[i] += in[i] > 0 ? dout[i] : 0;
}

int ft_act_parse(const char *name)
{
    if (!strcmp(name, "gelu")) return FT_ACT_GELU;
    if (!strcmp(name, "gelu_new") || !strcmp(name, "gelu_pytorch_tanh")) return FT_ACT_GELU_NEW;
    if (!strcmp(name, "relu")) return FT_ACT_RELU;
    return -1;
}

void ft_act_fwd(int act, float *out, const float *in, size_t n)
{
    if (act == FT_ACT_GELU) ft_gelu_fwd(out, in, n);
    else if (act == FT_ACT_GELU_NEW) ft_gelu_tanh_fwd(out, in, n);
    else ft_relu_fwd(out, in, n);
}

void ft_act_bwd(int act, float *din, const float *dout, const float *in, size_t n)
{
    if (act == FT_ACT_GELU) ft_gelu_bwd(din, dout, in, n);
    else if (act == FT_ACT_GELU_NEW) ft_gelu_tanh_bwd(din, dout, in, n);
    else ft_relu_bwd(din, dout, in, n);
}

void ft_tanh_fwd(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
}

void ft_tanh_bwd(float *din, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] += dout[i] * (1.0f - out[i] * out[i]);
}

/* out[n] = a[n] + b[n] (residual); backward is two accumulates of dout. */
static void ft_add_fwd(float *out, const float *a, const float *b, size_t n)
{
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* y += x */
static void ft_accumulate(float *y, const float *x, size_t n)
{
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

/* ---- dropout ---- */

void ft_dropout_fwd(float *out, const float *in, size_t n, float p, uint64_t key)
{
    if (p <= 0) { if (out != in) memcpy(out, in, n * sizeof(float)); return; }
    uint32_t th = ft_drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = ft_hash_u32(key, i) >= th ? in[i] * scale : 0.0f;
}

void ft_dropout_bwd(float *din, const float *dout, size_t n, float p, uint64_t key)
{
    if (p <= 0) { ft_accumulate(din, dout, n); return; }
    uint32_t th = ft_drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        din[i] += ft_hash_u32(key, i) >= th ? dout[i] * scale : 0.0f;
}

void ft_dropout_add_fwd(float *out, const float *x, const float *res, size_t n,
                        float p, uint64_t key)
{
    if (p <= 0) { ft_add_fwd(out, x, res, n); return; }
    uint32_t th = ft_drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    #pragma omp parallel for simd schedule(static) if (n > FT_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = (ft_hash_u32(key, i) >= th ? x[i] * scale : 0.0f) + res[i];
}
