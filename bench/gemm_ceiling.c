/* gemm_ceiling: the GEMM ceilings bench/table divides by — what the libraries
 * ft multiplies with reach alone on this machine, at the shapes of a step.
 *   gemm_ceiling [--bf16] SECONDS MxNxK...
 * For each shape, C[M,N] = A[M,K]·W[N,K]^T (a linear layer's forward, as
 * ft_sgemm(0, 1, …) is called) with
 *   OpenBLAS cblas_sgemm, fp32                              → "sgemm MxNxK GFLOP/s"
 *   --bf16: a oneDNN matmul, bf16 inputs, fp32 output, the
 *     plain row-major layouts ft uses                        → "bf16 MxNxK GFLOP/s"
 * The libraries are called directly, not through ft_sgemm: the ceiling must
 * not depend on ft's own glue.  Each figure is the best of repeated calls
 * over about SECONDS (after one warm-up call): a ceiling is an upper bound,
 * and the best call is the one the machine's other work slowed least.
 * Threads: OMP_NUM_THREADS, as for the steps. */
#include "util.h"
#include <cblas.h>
#include <dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNNL_OK(call) do { if ((call) != dnnl_success) ft_die("oneDNN: %s failed", #call); } while (0)

typedef void (*gemm_fn)(void *ctx);

/* Best GFLOP/s of fn over about `seconds` (at least 3 calls). */
static double best_rate(gemm_fn fn, void *ctx, double flops, double seconds)
{
    fn(ctx);                                   /* warm-up: pages, packing buffers */
    double best = 1e30, t_end = ft_now() + seconds;
    for (int i = 0; i < 3 || ft_now() < t_end; i++) {
        double t0 = ft_now();
        fn(ctx);
        double dt = ft_now() - t0;
        if (dt < best) best = dt;
    }
    return flops / best / 1e9;
}

typedef struct { int M, N, K; float *a, *w, *c; } sgemm_ctx;

static void run_sgemm(void *p)
{
    sgemm_ctx *s = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->M, s->N, s->K, 1.0f, s->a, s->K, s->w, s->K,
                0.0f, s->c, s->N);
}

typedef struct { dnnl_primitive_t p; dnnl_stream_t st; dnnl_memory_t a, w, c; } bf16_ctx;

static void run_bf16(void *p)
{
    bf16_ctx *b = p;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, b->a}, {DNNL_ARG_WEIGHTS, b->w}, {DNNL_ARG_DST, b->c}};
    DNNL_OK(dnnl_primitive_execute(b->p, b->st, 3, args));
    DNNL_OK(dnnl_stream_wait(b->st));
}

/* The oneDNN bf16 matmul of one shape: source [M,K] and weights [N,K] read
   as [K,N] through strides (ft's layouts), fp32 destination. */
static double bf16_rate(dnnl_engine_t eng, int M, int N, int K, double seconds)
{
    dnnl_memory_desc_t ad, wd, cd;
    dnnl_dims_t adims = {M, K}, wdims = {K, N}, cdims = {M, N};
    dnnl_dims_t astr = {K, 1}, wstr = {1, K}, cstr = {N, 1};
    DNNL_OK(dnnl_memory_desc_init_by_strides(&ad, 2, adims, dnnl_bf16, astr));
    DNNL_OK(dnnl_memory_desc_init_by_strides(&wd, 2, wdims, dnnl_bf16, wstr));
    DNNL_OK(dnnl_memory_desc_init_by_strides(&cd, 2, cdims, dnnl_f32, cstr));
    dnnl_matmul_desc_t md;
    DNNL_OK(dnnl_matmul_desc_init(&md, &ad, &wd, NULL, &cd));
    dnnl_primitive_desc_t pd;
    DNNL_OK(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
    bf16_ctx b;
    DNNL_OK(dnnl_primitive_create(&b.p, pd));
    dnnl_primitive_desc_destroy(pd);
    DNNL_OK(dnnl_stream_create(&b.st, eng, dnnl_stream_default_flags));
    uint16_t *a = ft_xcalloc((size_t)M * K, 2), *w = ft_xcalloc((size_t)N * K, 2);
    float *c = ft_xcalloc((size_t)M * N, 4);
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = 0x3f80 + (i % 64);    /* 1.0 .. 1.49, no denormals */
    for (size_t i = 0; i < (size_t)N * K; i++) w[i] = 0x3c00 + (i % 64);    /* ≈ 0.008 */
    DNNL_OK(dnnl_memory_create(&b.a, &ad, eng, a));
    DNNL_OK(dnnl_memory_create(&b.w, &wd, eng, w));
    DNNL_OK(dnnl_memory_create(&b.c, &cd, eng, c));
    double g = best_rate(run_bf16, &b, 2.0 * M * N * K, seconds);
    dnnl_memory_destroy(b.a); dnnl_memory_destroy(b.w); dnnl_memory_destroy(b.c);
    dnnl_stream_destroy(b.st); dnnl_primitive_destroy(b.p);
    free(a); free(w); free(c);
    return g;
}

static double sgemm_rate(int M, int N, int K, double seconds)
{
    sgemm_ctx s = { M, N, K, ft_xcalloc((size_t)M * K, 4), ft_xcalloc((size_t)N * K, 4), ft_xcalloc((size_t)M * N, 4) };
    for (size_t i = 0; i < (size_t)M * K; i++) s.a[i] = 1.0f + (i % 64) / 128.0f;
    for (size_t i = 0; i < (size_t)N * K; i++) s.w[i] = 0.01f;
    double g = best_rate(run_sgemm, &s, 2.0 * M * N * K, seconds);
    free(s.a); free(s.w); free(s.c);
    return g;
}

int main(int argc, char **argv)
{
    ft_set_prog("gemm_ceiling");
    int bf16 = argc > 1 && !strcmp(argv[1], "--bf16"), a0 = 1 + bf16;
    if (argc < a0 + 2) ft_die("usage: gemm_ceiling [--bf16] SECONDS MxNxK...");
    double seconds = atof(argv[a0]);
    dnnl_engine_t eng = NULL;
    if (bf16) DNNL_OK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    for (int i = a0 + 1; i < argc; i++) {
        int M, N, K;
        if (sscanf(argv[i], "%dx%dx%d", &M, &N, &K) != 3 || M < 1 || N < 1 || K < 1)
            ft_die("shape '%s': expected MxNxK, e.g. 2048x3072x768", argv[i]);
        printf("sgemm %s %.1f\n", argv[i], sgemm_rate(M, N, K, seconds));
        if (bf16) printf("bf16 %s %.1f\n", argv[i], bf16_rate(eng, M, N, K, seconds));
        fflush(stdout);
    }
    if (eng) dnnl_engine_destroy(eng);
    return 0;
}
