/* The bf16 GEMM (gemm.h) against its twins: the emulation (inputs rounded
 * to bf16 by torch's scalar rule, products summed by sgemm) must agree to
 * fp32 summation-order error, the fp32 GEMM to bf16 error (~2^-8 relative).
 * Every transpose case, alpha, beta accumulate, strided operands, weight
 * copies kept and invalidated, calls from inside an OpenMP team, and the
 * ops over it (linear, attention) forward and backward.  On a CPU without
 * AVX512-BF16 only the emulation is checked. */
#include "test.h"
#include "gemm_internal.h"
#include "gradcheck.h"
#include "ops.h"
#include "tensor.h"
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int native;      /* this CPU runs the oneDNN path */

static float *randv(size_t n, uint64_t seed, float std)
{
    float *x = malloc(n * sizeof *x);
    fill_normal(x, n, seed, std);
    return x;
}

static void use(const char *how)        /* "fp32", "emulate", "native" */
{
    if (!strcmp(how, "fp32")) { ft_set_precision(FT_PREC_FP32); return; }
    setenv("FT_BF16_CPU", how, 1);
    if (!strcmp(how, "native")) unsetenv("FT_BF16_CPU");
    ft_set_precision(FT_PREC_BF16);
}

/* max |a-b| / max |b| */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        d = e > d ? e : d;
        m = fabs(b[i]) > m ? fabs(b[i]) : m;
    }
    return m > 0 ? d / m : d;
}

/* C = A·1 with K = 1 is the cast itself: the vector cast must round exactly
   as torch's scalar rule, ties to even included. */
static void test_cast_rounding(void)
{
    if (!native) return;
    int M = 37, N = 1;
    float *A = randv(M, 11, 3), one = 1.0f, C[37];
    uint32_t ties[4] = {0x3f808000u, 0x3f818000u, 0xbf80c000u, 0x7f7fffffu};   /* halfway cases, max */
    for (int i = 0; i < 4; i++) memcpy(&A[i], &ties[i], 4);
    use("native");
    ft_sgemm(0, 0, M, N, 1, 1.0f, A, 1, &one, 1, 0.0f, C, 1);
    for (int i = 0; i < M; i++) CHECK(C[i] == ft_bf16_to_f32(ft_f32_to_bf16(A[i])));
    use("fp32");
    free(A);
}

/* One case: op(A)[M,K]·op(B)[K,N] with padded leading dimensions. */
static void gemm_case(int ta, int tb, float alpha, float beta)
{
    int M = 67, N = 45, K = 131;
    size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
    float *A = randv((size_t)(ta ? K : M) * lda, 1, 1), *B = randv((size_t)(tb ? N : K) * ldb, 2, 1);
    float *C0 = randv((size_t)M * ldc, 3, 1);
    float *ref = malloc((size_t)M * ldc * 4), *emu = malloc((size_t)M * ldc * 4), *got = malloc((size_t)M * ldc * 4);
    memcpy(ref, C0, (size_t)M * ldc * 4); memcpy(emu, C0, (size_t)M * ldc * 4); memcpy(got, C0, (size_t)M * ldc * 4);
    use("fp32");
    ft_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, ref, ldc);
    use("emulate");
    ft_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, emu, ldc);
    double e_emu = rel_err(emu, ref, (size_t)M * ldc);
    CHECK(e_emu < 1e-2 && e_emu > 1e-5);            /* bf16, not fp32 */
    if (native) {
        use("native");
        ft_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, got, ldc);
        double e = rel_err(got, emu, (size_t)M * ldc);
        if (!(e < 1e-5)) fprintf(stderr, "  ta %d tb %d alpha %g beta %g: native vs emulated %.3g\n", ta, tb, alpha, beta, e);
        CHECK(e < 1e-5);
        for (int i = 0; i < M; i++)         /* the padding columns of C are not written */
            for (size_t j = N; j < ldc; j++) CHECK(got[i * ldc + j] == C0[i * ldc + j]);
    }
    use("fp32");
    free(A); free(B); free(C0); free(ref); free(emu); free(got);
}

static void test_gemm_transposes(void)
{
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) gemm_case(ta, tb, 1.0f, 0.0f);
}

static void test_gemm_alpha_beta(void)
{
    gemm_case(0, 1, 0.125f, 0.0f);
    gemm_case(0, 0, 1.0f, 1.0f);        /* the backward's C += A·B */
    gemm_case(1, 0, 0.5f, 1.0f);
    gemm_case(1, 1, 1.0f, 0.5f);
}

/* A weight buffer's bf16 copy is made once and kept until the weights are
   said to have changed. */
static void test_weight_copies(void)
{
    if (!native) return;
    int M = 16, N = 32, K = 64;
    float *x = randv((size_t)M * K, 5, 1), *W = randv((size_t)N * K, 6, 1);
    float *y1 = malloc(M * N * 4), *y2 = malloc(M * N * 4);
    size_t before = ft_gemm_bf16_bytes();
    ft_gemm_weights(W, (size_t)N * K);
    use("native");
    ft_sgemm(0, 1, M, N, K, 1.0f, x, K, W, K, 0.0f, y1, N);
    CHECK(ft_gemm_bf16_bytes() == before + (size_t)N * K * 2);
    for (int i = 0; i < N * K; i++) W[i] *= 2;      /* unannounced: the copy stays */
    ft_sgemm(0, 1, M, N, K, 1.0f, x, K, W, K, 0.0f, y2, N);
    CHECK(memcmp(y1, y2, M * N * 4) == 0);
    ft_gemm_weights_changed(W + 5, 1);             /* any overlap makes it stale */
    ft_sgemm(0, 1, M, N, K, 1.0f, x, K, W, K, 0.0f, y2, N);
    for (int i = 0; i < M * N; i++) CHECK(y2[i] == 2 * y1[i]);  /* ×2 is exact in bf16 */
    CHECK(ft_gemm_bf16_bytes() == before + (size_t)N * K * 2);  /* made again in place */
    ft_gemm_weights_forget(W, (size_t)N * K);
    CHECK(ft_gemm_bf16_bytes() == before);
    use("fp32");
    free(x); free(W); free(y1); free(y2);
}

/* Attention calls the GEMM from every thread of a team at once. */
static void test_inside_team(void)
{
    if (!native) return;
    int M = 40, N = 24, K = 64, P = 8;
    float *A = randv((size_t)P * M * K, 7, 1), *B = randv((size_t)P * K * N, 8, 1);
    float *ref = calloc((size_t)P * M * N, 4), *got = calloc((size_t)P * M * N, 4);
    use("emulate");
    for (int p = 0; p < P; p++)
        ft_sgemm(0, 0, M, N, K, 0.5f, A + (size_t)p * M * K, K, B + (size_t)p * K * N, N, 0.0f, ref + (size_t)p * M * N, N);
    use("native");
    #pragma omp parallel for num_threads(2)
    for (int p = 0; p < P; p++)
        ft_sgemm(0, 0, M, N, K, 0.5f, A + (size_t)p * M * K, K, B + (size_t)p * K * N, N, 0.0f, got + (size_t)p * M * N, N);
    CHECK(rel_err(got, ref, (size_t)P * M * N) < 1e-5);
    use("fp32");
    free(A); free(B); free(ref); free(got);
}

/* linear and attention, forward and backward, bf16 against fp32. */
static void test_ops_bf16(void)
{
    int N = 48, I = 96, O = 80;
    float *in = randv((size_t)N * I, 9, 1), *W = randv((size_t)O * I, 10, 0.1f), *b = randv(O, 11, 1);
    float *dout = randv((size_t)N * O, 12, 1);
    float *out[2], *din[2], *dW[2], *db[2];
    for (int k = 0; k < 2; k++) {
        use(k ? (native ? "native" : "emulate") : "fp32");
        out[k] = calloc((size_t)N * O, 4); din[k] = calloc((size_t)N * I, 4);
        dW[k] = calloc((size_t)O * I, 4); db[k] = calloc(O, 4);
        ft_linear_fwd(out[k], in, W, b, N, I, O);
        ft_linear_bwd(din[k], dW[k], db[k], dout, in, W, N, I, O);
    }
    CHECK(rel_err(out[1], out[0], (size_t)N * O) < 1e-2);
    CHECK(rel_err(din[1], din[0], (size_t)N * I) < 1e-2);
    CHECK(rel_err(dW[1], dW[0], (size_t)O * I) < 1e-2);
    CHECK(rel_err(db[1], db[0], O) == 0);           /* a column sum: no GEMM */
    CHECK(rel_err(out[1], out[0], (size_t)N * O) > 1e-5);   /* bf16 really used */

    int B = 2, T = 33, C = 64, H = 4;
    float *qkv = randv((size_t)B * T * 3 * C, 13, 1), *g = randv((size_t)B * T * C, 14, 1);
    float *ao[2], *dq[2];
    for (int k = 0; k < 2; k++) {
        use(k ? (native ? "native" : "emulate") : "fp32");
        float *probs = malloc((size_t)B * H * T * T * 4), *scr = malloc(ft_attn_scratch(T, T) * 4);
        ao[k] = calloc((size_t)B * T * C, 4); dq[k] = calloc((size_t)B * T * 3 * C, 4);
        ft_attn a = ft_attn_packed(B, T, C, H, NULL, 1, 0.0f, 0);
        ft_attn_fwd(&a, ao[k], probs, qkv, qkv + C, qkv + 2 * C, scr);
        ft_attn_bwd(&a, dq[k], dq[k] + C, dq[k] + 2 * C, NULL, g, qkv, qkv + C, qkv + 2 * C, probs, scr);
        free(probs); free(scr);
    }
    CHECK(rel_err(ao[1], ao[0], (size_t)B * T * C) < 2e-2);
    CHECK(rel_err(dq[1], dq[0], (size_t)B * T * 3 * C) < 2e-2);
    use("fp32");
    for (int k = 0; k < 2; k++) { free(out[k]); free(din[k]); free(dW[k]); free(db[k]); free(ao[k]); free(dq[k]); }
    free(in); free(W); free(b); free(dout); free(qkv); free(g);
}

int main(void)
{
    native = __builtin_cpu_supports("avx512bf16");
    if (!native) printf("# no AVX512-BF16 on this CPU: the emulation only\n");
    RUN(test_cast_rounding);
    RUN(test_gemm_transposes);
    RUN(test_gemm_alpha_beta);
    RUN(test_weight_copies);
    RUN(test_inside_team);
    RUN(test_ops_bf16);
    TEST_MAIN_END();
}
