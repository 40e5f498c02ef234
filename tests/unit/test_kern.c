/* The kernel tables of kern.h: the one picked at start-up is the one the CPU
 * and FT_ISA ask for, and the AVX-512 table computes what the baseline table
 * does (to the float summation-order error of 8 against 16 lanes; exactly
 * for the elementwise kernels and the bf16 rounding, which must also match
 * torch's scalar rule bit for bit).  On a CPU without AVX-512 the AVX-512
 * table cannot run: that check says skip, and the baseline is checked
 * against scalar references instead. */
#include "test.h"
#include "gradcheck.h"
#include "kern.h"
#include "tensor.h"
#include <stdint.h>
#include <string.h>

#define N 37
#define C 771           /* not a multiple of 16: the vector loops' tails run too */

static int avx512;      /* this CPU runs ft_kern_avx512 */

/* max |a-b| / max(max |b|, tiny) */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        d = e > d ? e : d;
        m = fabs(b[i]) > m ? fabs(b[i]) : m;
    }
    return d / m;
}

static float *randv(size_t n, uint64_t seed, float std)
{
    float *x = malloc(n * sizeof *x);
    fill_normal(x, n, seed, std);
    return x;
}

static void test_table_picked(void)
{
    const char *want = getenv("FT_ISA");
    int forced_base = want && !strcmp(want, "baseline");
    printf("# kernels: %s (CPU %s AVX-512%s)\n", ft_kern->isa, avx512 ? "has" : "lacks",
           forced_base ? ", FT_ISA=baseline" : "");
    CHECK(ft_kern == (avx512 && !forced_base ? &ft_kern_avx512 : &ft_kern_base));
}

/* Every bf16 rounding as ft_f32_to_bf16: ties to even, NaN, infinities,
   denormals, the largest float. */
static void check_bf16_round(const ft_kernels *k)
{
    uint32_t special[] = {0x3f808000u, 0x3f818000u, 0xbf80c000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u,
                          0x7fc00001u, 0x7f800001u, 0xffa00000u, 0x00000001u, 0x80008000u, 0x007fffffu};
    size_t n = 1000 + sizeof special / 4;
    float *s = randv(n, 5, 10), *d = malloc(n * sizeof *d);
    memcpy(s, special, sizeof special);
    k->bf16_round(d, s, n);
    for (size_t i = 0; i < n; i++) {
        float want = ft_bf16_to_f32(ft_f32_to_bf16(s[i]));
        CHECK(!memcmp(&d[i], &want, 4));
    }
    free(s); free(d);
}

static void test_bf16_round_base(void) { check_bf16_round(&ft_kern_base); }

static void test_bf16_round_avx512(void) { check_bf16_round(&ft_kern_avx512); }

/* The baseline against plain scalar sums (the reference for a CPU without AVX-512). */
static void test_base_against_scalar(void)
{
    float *x = randv((size_t)N * C, 1, 2), *gam = randv(C, 2, 1), *bet = randv(C, 3, 1);
    float *o = malloc((size_t)C * sizeof *o), m, r;
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C;
        ft_kern_base.layernorm_row(o, xr, gam, bet, C, 1e-5f, &m, &r);
        double s = 0, v = 0;
        for (int c = 0; c < C; c++) s += xr[c];
        s /= C;
        for (int c = 0; c < C; c++) v += (xr[c] - s) * (xr[c] - s);
        double rr = 1 / sqrt(v / C + 1e-5);
        CHECK_NEAR(m, s, 1e-5); CHECK_NEAR(r, rr, 1e-5 * rr);
        for (int c = 0; c < C; c++) CHECK_NEAR(o[c], (xr[c] - s) * rr * gam[c] + bet[c], 1e-4);
    }
    double sq = 0;
    for (size_t i = 0; i < (size_t)N * C; i++) sq += (double)x[i] * x[i];
    CHECK_NEAR(ft_kern_base.sumsq(x, (size_t)N * C), sq, 1e-9 * sq);
    free(x); free(gam); free(bet); free(o);
}

/* run the same kernel call on both tables into copies of the outputs */
#define BOTH(out, n, ...) do { \
    float *o0 = malloc((n) * sizeof(float)), *o1 = malloc((n) * sizeof(float)); \
    memcpy(o0, out, (n) * sizeof(float)); memcpy(o1, out, (n) * sizeof(float)); \
    { const ft_kernels *k = &ft_kern_base; float *O = o0; __VA_ARGS__; } \
    { const ft_kernels *k = &ft_kern_avx512; float *O = o1; __VA_ARGS__; } \
    double e_ = rel_err(o1, o0, (n)); \
    if (!(e_ <= tol)) fprintf(stderr, "  %s: rel err %.3g > %.3g\n", #__VA_ARGS__, e_, tol); \
    CHECK(e_ <= tol); free(o0); free(o1); } while (0)

static void test_avx512_matches_base(void)
{
    size_t NC = (size_t)N * C;
    float *x = randv(NC, 1, 2), *g = randv(NC, 4, 1), *gam = randv(C, 2, 1), *bet = randv(C, 3, 1);
    float *acc = randv(NC, 6, 1), mean[N], rstd[N];
    for (int n = 0; n < N; n++) ft_kern_base.layernorm_row(acc, x + (size_t)n * C, gam, bet, C, 1e-5f, &mean[n], &rstd[n]);
    double tol = 2e-6;      /* float sums of ~800 terms in another order */
    BOTH(acc, (size_t)C, k->layernorm_row(O, x, gam, bet, C, 1e-5f, NULL, NULL));
    BOTH(acc, (size_t)C, k->layernorm_bwd_row(O, x, g, gam, mean[0], rstd[0], C));
    BOTH(acc, (size_t)C, k->layernorm_dparams(O, O + 0, x, g, mean, rstd, N, C, 3, C));
    BOTH(acc, (size_t)C, k->rmsnorm_row(O, x, gam, C, 1e-6f, NULL));
    BOTH(acc, (size_t)C, k->rmsnorm_bwd_row(O, x, g, gam, rstd[1], C));
    BOTH(acc, (size_t)C, k->rmsnorm_dgamma(O, x, g, rstd, N, C, 0, C - 5));
    BOTH(acc, (size_t)C, k->softmax_row(O, g, x, C - 9, C));
    BOTH(acc, (size_t)C, k->softmax_bwd_row(O, gam, C, 0.1f, 77, 1234));
    BOTH(acc, (size_t)C, k->xent_row(O, x, C, 17, 0.1f, 0.25f));
    CHECK_NEAR(ft_kern_avx512.xent_row(NULL, x, C, 5, 0.0f, 1.0f), ft_kern_base.xent_row(NULL, x, C, 5, 0.0f, 1.0f), 1e-5);
    CHECK_NEAR(ft_kern_avx512.sumsq(x, NC), ft_kern_base.sumsq(x, NC), 1e-12 * ft_kern_base.sumsq(x, NC));
    tol = 0;                /* elementwise: the same operations on each element */
    BOTH(acc, NC, k->colsum(O, x, N, C, 1, C));
    BOTH(acc, NC, k->gelu_fwd(O, x, NC));
    BOTH(acc, NC, k->gelu_bwd(O, g, x, NC));
    BOTH(acc, NC, k->gelu_tanh_fwd(O, x, NC));
    BOTH(acc, NC, k->gelu_tanh_bwd(O, g, x, NC));
    float *w = randv(NC, 8, 1), *v = randv(NC, 9, 1);
    for (size_t i = 0; i < NC; i++) v[i] *= v[i];
    ft_adamw_coef co = {.b1 = 0.9f, .b2 = 0.999f, .eps = 1e-8f, .decay = 0.999f, .step_size = 1e-3f,
                        .bc2_sqrt = 0.03f, .gscale = 0.5f, .zero = 0};
    BOTH(w, NC, { float *gg = malloc(NC * 4), *mm = malloc(NC * 4), *vv = malloc(NC * 4);
                  memcpy(gg, g, NC * 4); memcpy(mm, x, NC * 4); memcpy(vv, v, NC * 4);
                  k->adamw(O, gg, mm, vv, NC, &co); free(gg); free(mm); free(vv); });
    free(x); free(g); free(gam); free(bet); free(acc); free(w); free(v);
}

int main(void)
{
    avx512 = ft_kern_avx512_ok();
    RUN(test_table_picked);
    RUN(test_bf16_round_base);
    RUN(test_base_against_scalar);
    if (avx512) {
        RUN(test_bf16_round_avx512);
        RUN(test_avx512_matches_base);
    } else printf("skip test_avx512_matches_base (this CPU lacks AVX-512: the baseline alone runs here)\n");
    TEST_MAIN_END();
}
