/* gemm: ft_sgemm in fp32 (OpenBLAS) or bf16 (oneDNN).  See gemm.h. */
#include "gemm.h"
#include "gemm_internal.h"
#include "tensor.h"     /* ft_f32_to_bf16: torch's rounding, as the scalar twin */
#include "kern.h"      /* bf16_round: the emulation's rounding, vectorised */
#include "util.h"
#include <cblas.h>
#include <dnnl.h>
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static enum ft_precision precision = FT_PREC_FP32;
static int emulate;                     /* no AVX512-BF16 (or FT_BF16_CPU): rounded inputs, sgemm */
static dnnl_engine_t engine;

static uint64_t gemm_flops;

double ft_gemm_flops(void) { return (double)__atomic_load_n(&gemm_flops, __ATOMIC_RELAXED); }
void ft_gemm_flops_reset(void) { __atomic_store_n(&gemm_flops, 0, __ATOMIC_RELAXED); }

/* ---- casts ---- */

/* rows×cols floats at row stride ld → dense bf16 [rows][cols].  vcvtne2ps2bf16
   rounds to nearest even like torch; it treats denormal inputs as zero (torch
   keeps them), a difference below 2^-126. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void cast_row_avx512(uint16_t *d, const float *s, int n)
{
    int c = 0;
    for (; c + 32 <= n; c += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(s + c + 16), _mm512_loadu_ps(s + c));
        _mm512_storeu_si512((void *)(d + c), (__m512i)v);
    }
    for (; c < n; c += 16) {
        __mmask16 m = n - c >= 16 ? 0xffff : (__mmask16)((1u << (n - c)) - 1);
        __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, s + c));
        _mm256_mask_storeu_epi16(d + c, m, (__m256i)v);
    }
}

static void cast_rows(uint16_t *d, const float *s, int rows, int cols, size_t ld)
{
    #pragma omp parallel for schedule(static) if ((size_t)rows * cols > 65536 && !omp_in_parallel())
    for (int r = 0; r < rows; r++) cast_row_avx512(d + (size_t)r * cols, s + (size_t)r * ld, cols);
}

/* ---- per-thread scratch: grown, never shrunk, so steady state allocates nothing ---- */

typedef struct scratch { void *p; size_t n; } scratch;
static __thread scratch scr[3];         /* A copy, B copy, oneDNN scratchpad */

static void *scratch_get(int i, size_t bytes)
{
    scratch *s = &scr[i];
    if (bytes > s->n) {
        free(s->p);
        size_t n = bytes + bytes / 4 + 4096;
        if (posix_memalign(&s->p, 64, n)) ft_die("out of memory for a %zu-byte bf16 GEMM buffer", n);
        s->n = n;
    }
    return s->p;
}

/* ---- bf16 weight copies ---- */

typedef struct wcopy {
    const float *src;
    int rows, cols;
    size_t ld;
    uint16_t *bf;
    int valid;
} wcopy;
typedef struct wrange { const float *lo, *hi; } wrange;

static wrange *ranges;
static int nranges, cap_ranges;
static wcopy *copies;
static int ncopies, cap_copies;
static size_t copy_bytes;

static const float *copy_end(const wcopy *w) { return w->src + (size_t)(w->rows - 1) * w->ld + w->cols; }

void ft_gemm_weights(const float *p, size_t n)
{
    #pragma omp critical(ft_gemm_weights)
    {
        if (nranges == cap_ranges) {
            cap_ranges = cap_ranges ? 2 * cap_ranges : 4;
            ranges = ft_xrealloc(ranges, cap_ranges * sizeof *ranges);
        }
        ranges[nranges++] = (wrange){p, p + n};
    }
}

/* Drop the copies overlapping [p, p+n) (forget: free them too). */
static void drop_copies(const float *p, size_t n, int forget)
{
    const float *e = p + n;
    for (int i = 0; i < ncopies; i++) {
        wcopy *w = &copies[i];
        if (w->src >= e || copy_end(w) <= p) continue;
        w->valid = 0;
        if (!forget) continue;
        free(w->bf);
        copy_bytes -= (size_t)w->rows * w->cols * 2;
        copies[i--] = copies[--ncopies];
    }
}

void ft_gemm_weights_forget(const float *p, size_t n)
{
    #pragma omp critical(ft_gemm_weights)
    {
        drop_copies(p, n, 1);
        for (int i = 0; i < nranges; i++)
            if (ranges[i].lo == p) { ranges[i--] = ranges[--nranges]; }
    }
}

void ft_gemm_weights_changed(const float *p, size_t n)
{
    if (!ncopies) return;
    #pragma omp critical(ft_gemm_weights)
    drop_copies(p, n, 0);
}

size_t ft_gemm_bf16_bytes(void) { return copy_bytes; }

/* The bf16 copy of a weight operand, made now if missing or stale; NULL when
   the operand is not in a registered weight buffer. */
static const uint16_t *weight_copy(const float *src, int rows, int cols, size_t ld)
{
    const uint16_t *r = NULL;
    #pragma omp critical(ft_gemm_weights)
    {
        int in = 0;
        for (int i = 0; i < nranges && !in; i++) in = src >= ranges[i].lo && src < ranges[i].hi;
        wcopy *w = NULL;
        for (int i = 0; in && i < ncopies && !w; i++)
            if (copies[i].src == src && copies[i].rows == rows && copies[i].cols == cols && copies[i].ld == ld)
                w = &copies[i];
        if (in && !w) {
            if (ncopies == cap_copies) {
                cap_copies = cap_copies ? 2 * cap_copies : 64;
                copies = ft_xrealloc(copies, cap_copies * sizeof *copies);
            }
            w = &copies[ncopies++];
            *w = (wcopy){src, rows, cols, ld, NULL, 0};
            size_t bytes = (size_t)rows * cols * 2;
            if (posix_memalign((void **)&w->bf, 64, bytes ? bytes : 64))
                ft_die("out of memory for the bf16 copy of a %dx%d weight", rows, cols);
            copy_bytes += bytes;
        }
        if (w && !w->valid) { cast_rows(w->bf, src, rows, cols, ld); w->valid = 1; }
        if (w) r = w->bf;
    }
    return r;
}

/* ---- oneDNN matmul primitives, cached per thread by shape ---- */

typedef struct prim {
    int M, N, K, ta, tb, nested;
    size_t ldc;
    float alpha, beta;
    dnnl_primitive_t p;
    dnnl_memory_t a, b, c, s;
    size_t scratch_bytes;
} prim;

static __thread prim *prims;
static __thread int nprims, cap_prims;
static __thread dnnl_stream_t stream;

#define DNNL_OK(call) do { dnnl_status_t st_ = (call); \
    if (st_ != dnnl_success) ft_die("oneDNN: %s failed (status %d)", #call, (int)st_); } while (0)

static void prims_clear(void)
{
    for (int i = 0; i < nprims; i++) {
        prim *q = &prims[i];
        dnnl_primitive_destroy(q->p);
        dnnl_memory_destroy(q->a); dnnl_memory_destroy(q->b); dnnl_memory_destroy(q->c);
        if (q->s) dnnl_memory_destroy(q->s);
    }
    nprims = 0;
}

static prim *prim_get(int ta, int tb, int M, int N, int K, float alpha, float beta, size_t ldc)
{
    int nested = omp_in_parallel();
    for (int i = 0; i < nprims; i++) {
        prim *q = &prims[i];
        if (q->M == M && q->N == N && q->K == K && q->ta == ta && q->tb == tb && q->ldc == ldc &&
            q->alpha == alpha && q->beta == beta && q->nested == nested) return q;
    }
    if (nprims == 512) prims_clear();          /* shapes churn (generation): start over */
    if (nprims == cap_prims) {
        cap_prims = cap_prims ? 2 * cap_prims : 32;
        prims = ft_xrealloc(prims, cap_prims * sizeof *prims);
    }
    prim *q = &prims[nprims];
    *q = (prim){.M = M, .N = N, .K = K, .ta = ta, .tb = tb, .nested = nested, .ldc = ldc,
                .alpha = alpha, .beta = beta};
    /* the bf16 copies are dense: op(A) is M×K read through strides */
    dnnl_memory_desc_t ad, bd, cd;
    dnnl_dims_t adims = {M, K}, bdims = {K, N}, cdims = {M, N};
    dnnl_dims_t astr = {ta ? 1 : K, ta ? M : 1}, bstr = {tb ? 1 : N, tb ? K : 1}, cstr = {(dnnl_dim_t)ldc, 1};
    DNNL_OK(dnnl_memory_desc_init_by_strides(&ad, 2, adims, dnnl_bf16, astr));
    DNNL_OK(dnnl_memory_desc_init_by_strides(&bd, 2, bdims, dnnl_bf16, bstr));
    DNNL_OK(dnnl_memory_desc_init_by_strides(&cd, 2, cdims, dnnl_f32, cstr));
    dnnl_matmul_desc_t md;
    DNNL_OK(dnnl_matmul_desc_init(&md, &ad, &bd, NULL, &cd));
    dnnl_primitive_attr_t attr;
    DNNL_OK(dnnl_primitive_attr_create(&attr));
    DNNL_OK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    if (alpha != 1.0f) DNNL_OK(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha));
    if (beta != 0.0f) {     /* C = alpha·A·B + beta·C: a sum post-op */
        dnnl_post_ops_t po;
        DNNL_OK(dnnl_post_ops_create(&po));
        DNNL_OK(dnnl_post_ops_append_sum(po, beta));
        DNNL_OK(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    DNNL_OK(dnnl_primitive_desc_create(&pd, &md, attr, engine, NULL));
    dnnl_primitive_attr_destroy(attr);
    DNNL_OK(dnnl_primitive_create(&q->p, pd));
    const dnnl_memory_desc_t *sd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    q->scratch_bytes = sd ? dnnl_memory_desc_get_size(sd) : 0;
    DNNL_OK(dnnl_memory_create(&q->a, &ad, engine, DNNL_MEMORY_NONE));
    DNNL_OK(dnnl_memory_create(&q->b, &bd, engine, DNNL_MEMORY_NONE));
    DNNL_OK(dnnl_memory_create(&q->c, &cd, engine, DNNL_MEMORY_NONE));
    if (q->scratch_bytes) DNNL_OK(dnnl_memory_create(&q->s, sd, engine, DNNL_MEMORY_NONE));
    dnnl_primitive_desc_destroy(pd);
    nprims++;
    return q;
}

/* An operand as dense bf16: the kept copy of a weight, else a cast into
   scratch buffer `slot`. */
static const uint16_t *operand(int slot, const float *X, int rows, int cols, size_t ld)
{
    const uint16_t *w = weight_copy(X, rows, cols, ld);
    if (w) return w;
    uint16_t *d = scratch_get(slot, (size_t)rows * cols * 2);
    cast_rows(d, X, rows, cols, ld);
    return d;
}

static void gemm_bf16(int ta, int tb, int M, int N, int K, float alpha, const float *A, size_t lda,
                      const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    const uint16_t *a = operand(0, A, ta ? K : M, ta ? M : K, lda);
    const uint16_t *b = operand(1, B, tb ? N : K, tb ? K : N, ldb);
    prim *q = prim_get(ta, tb, M, N, K, alpha, beta, ldc);
    if (!stream) DNNL_OK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    DNNL_OK(dnnl_memory_set_data_handle(q->a, (void *)a));
    DNNL_OK(dnnl_memory_set_data_handle(q->b, (void *)b));
    DNNL_OK(dnnl_memory_set_data_handle(q->c, C));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, q->a}, {DNNL_ARG_WEIGHTS, q->b}, {DNNL_ARG_DST, q->c}};
    int nargs = 3;
    if (q->scratch_bytes) {
        DNNL_OK(dnnl_memory_set_data_handle(q->s, scratch_get(2, q->scratch_bytes)));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, q->s};
    }
    DNNL_OK(dnnl_primitive_execute(q->p, stream, nargs, args));
    DNNL_OK(dnnl_stream_wait(stream));
}

/* The emulation: round both inputs to bf16 values (torch's rule, as
   ft_f32_to_bf16) and multiply in fp32. */
static const float *rounded(int slot, const float *X, int rows, int cols, size_t ld)
{
    float *d = scratch_get(slot, (size_t)rows * cols * sizeof(float));
    const ft_kernels *k = ft_kern;
    #pragma omp parallel for schedule(static) if ((size_t)rows * cols > 65536 && !omp_in_parallel())
    for (int r = 0; r < rows; r++) k->bf16_round(d + (size_t)r * cols, X + (size_t)r * ld, (size_t)cols);
    return d;
}

static void gemm_emulated(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                          const float *B, float beta, float *C, size_t ldc, size_t lda, size_t ldb)
{
    const float *a = rounded(0, A, ta ? K : M, ta ? M : K, lda);
    const float *b = rounded(1, B, tb ? N : K, tb ? K : N, ldb);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, a, ta ? M : K, b, tb ? K : N, beta, C, (int)ldc);
}

/* ---- the entry point ---- */

void ft_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, size_t lda,
              const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    __atomic_fetch_add(&gemm_flops, 2 * (uint64_t)M * N * K, __ATOMIC_RELAXED);
    if (M <= 0 || N <= 0) return;
    if (precision == FT_PREC_BF16 && K > 0) {
        if (emulate) gemm_emulated(transA, transB, M, N, K, alpha, A, B, beta, C, ldc, lda, ldb);
        else gemm_bf16(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    if (M <= 8 && !transA) {
        /* a few rows (decoding): one GEMV per row reads B once per row
           without sgemm's packing copy, which dominates at this size */
        for (int i = 0; i < M; i++) {
            if (beta == 0) memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof *C);   /* no 0·NaN from old memory */
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, transB ? N : K, transB ? K : N,
                        alpha, B, (int)ldb, A + (size_t)i * lda, 1, beta, C + (size_t)i * ldc, 1);
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* ---- precision ---- */

void ft_set_precision(enum ft_precision p)
{
    static int noticed;
    if (p == FT_PREC_BF16) {
        const char *cpu = getenv("FT_BF16_CPU");
        int forced = cpu && !strcmp(cpu, "emulate");
        int absent = cpu && !strcmp(cpu, "absent");
        if (!forced && !absent && !engine) {
            if (!__builtin_cpu_supports("avx512bf16") ||
                dnnl_get_effective_cpu_isa() < dnnl_cpu_isa_avx512_core_bf16) absent = 1;
            else DNNL_OK(dnnl_engine_create(&engine, dnnl_cpu, 0));
        }
        emulate = forced || absent;
        /* once per process: a script written with --bf16 runs on every CPU,
           and says which way */
        if (absent && !noticed) {
            noticed = 1;
            ft_warn("--bf16: this CPU has no AVX512-BF16 (avx512_bf16 in /proc/cpuinfo): emulating it "
                    "(matmul inputs rounded to bf16, fp32 products: the same numbers, at fp32 speed)");
        }
    }
    precision = p;
}

