/* ft_lm_head_loss: the chunked LM head + cross-entropy against the unchunked
   ft_linear_fwd + ft_cross_entropy_smoothed + ft_linear_bwd, and its
   gradients against finite differences. */
#include "test.h"
#include "gradcheck.h"
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IGN (-100)

static float *randv(size_t n, uint64_t seed, float std)
{
    float *x = malloc(n * sizeof *x);
    fill_normal(x, n, seed, std);
    return x;
}
static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

/* the unchunked path: every row's logits at once */
static float ref_loss(float *dh, float *dW, const float *h, const float *W, const int32_t *lab,
                      int N, int C, int V, float eps, float dscale)
{
    float *logits = zeros((size_t)N * V);
    ft_linear_fwd(logits, h, W, NULL, N, C, V);
    float loss = ft_cross_entropy_smoothed(logits, logits, lab, N, V, IGN, dscale, eps);
    ft_linear_bwd(dh, dW, NULL, logits, h, W, N, C, V);
    free(logits);
    return loss;
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double amax = 0, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        amax = fmax(amax, fabs(b[i]));
        dmax = fmax(dmax, fabs((double)a[i] - b[i]));
    }
    return amax > 0 ? dmax / amax : dmax;
}

/* chunked == unchunked for one label pattern, label smoothing and chunk */
static void same_as_unchunked(const int32_t *lab, int N, int C, int V, float eps, int chunk)
{
    float *h = randv((size_t)N * C, 11, 1), *W = randv((size_t)V * C, 12, 0.3f);
    float *dh0 = randv((size_t)N * C, 13, 1), *dW0 = randv((size_t)V * C, 14, 1);
    float *dh1 = malloc((size_t)N * C * sizeof(float)), *dW1 = malloc((size_t)V * C * sizeof(float));
    memcpy(dh1, dh0, (size_t)N * C * sizeof(float));   /* both accumulate onto the same start */
    memcpy(dW1, dW0, (size_t)V * C * sizeof(float));
    float *scratch = malloc(ft_lm_head_scratch(chunk, C, V) * sizeof(float));
    float l0 = ref_loss(dh0, dW0, h, W, lab, N, C, V, eps, 0.7f);
    float l1 = ft_lm_head_loss(dh1, dW1, h, W, lab, N, C, V, IGN, eps, 0.7f, chunk, scratch);
    CHECK_NEAR(l1, l0, 1e-6 * fabs(l0) + 1e-7);
    CHECK(max_rel(dh1, dh0, (size_t)N * C) < 1e-6);
    CHECK(max_rel(dW1, dW0, (size_t)V * C) < 1e-6);
    /* the forward alone: the same loss, no gradient written */
    float l2 = ft_lm_head_loss(NULL, NULL, h, W, lab, N, C, V, IGN, eps, 0.7f, chunk, scratch);
    CHECK(l2 == l1);
    free(h); free(W); free(dh0); free(dW0); free(dh1); free(dW1); free(scratch);
}

static void test_chunked_equals_unchunked(void)
{
    enum { N = 13, C = 9, V = 37 };
    int32_t lab[N], some[N], none_but_one[N];
    for (int n = 0; n < N; n++) {
        lab[n] = (n * 7) % V;
        some[n] = n % 3 == 1 || n >= 9 ? IGN : lab[n];   /* a chunk of 4 with no label */
        none_but_one[n] = n == 12 ? 5 : IGN;
    }
    int chunks[] = { 1, 2, 4, 5, 13, 100, 0 };   /* 5 does not divide 13; 0 the default */
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
        for (int smooth = 0; smooth < 2; smooth++) {
            float eps = smooth ? 0.1f : 0.0f;
            same_as_unchunked(lab, N, C, V, eps, chunks[i]);
            same_as_unchunked(some, N, C, V, eps, chunks[i]);
            same_as_unchunked(none_but_one, N, C, V, eps, chunks[i]);
        }
}

/* finite differences of the loss itself (dscale 1) */
typedef struct { float *h, *W; const int32_t *lab; int N, C, V, chunk; float eps; } lmh_ctx;
static double lmh_loss(void *p)
{
    lmh_ctx *c = p;
    return ft_lm_head_loss(NULL, NULL, c->h, c->W, c->lab, c->N, c->C, c->V, IGN, c->eps, 1,
                           c->chunk, NULL);
}
static void test_gradcheck(void)
{
    int32_t lab[6] = { 3, IGN, 0, 10, IGN, 7 };
    for (int smooth = 0; smooth < 2; smooth++) {
        lmh_ctx c = { .h = randv(6 * 5, 21, 1), .W = randv(11 * 5, 22, 0.5f), .lab = lab,
                      .N = 6, .C = 5, .V = 11, .chunk = 2, .eps = smooth ? 0.1f : 0.0f };
        float *dh = zeros(6 * 5), *dW = zeros(11 * 5);
        ft_lm_head_loss(dh, dW, c.h, c.W, lab, c.N, c.C, c.V, IGN, c.eps, 1, c.chunk, NULL);
        CHECK(gradcheck("lm head dh", c.h, 30, dh, lmh_loss, &c, 1e-2f, 1e-4, 1e-3) <= 1);
        CHECK(gradcheck("lm head dW", c.W, 55, dW, lmh_loss, &c, 1e-2f, 1e-4, 1e-3) <= 1);
        for (int j = 0; j < 5; j++) CHECK(dh[5 + j] == 0 && dh[20 + j] == 0);   /* ignored rows */
        free(c.h); free(c.W); free(dh); free(dW);
    }
}

/* no labelled row: the loss ft_cross_entropy_smoothed gives then (0) and no gradient */
static void test_no_labels(void)
{
    int32_t lab[4] = { IGN, IGN, IGN, IGN };
    float *h = randv(4 * 3, 31, 1), *W = randv(5 * 3, 32, 1), *dh = zeros(12), *dW = zeros(15);
    float *logits = zeros(4 * 5);
    float want = ft_cross_entropy_smoothed(NULL, logits, lab, 4, 5, IGN, 1, 0);
    float got = ft_lm_head_loss(dh, dW, h, W, lab, 4, 3, 5, IGN, 0, 1, 2, NULL);
    CHECK(got == want || (isnan(got) && isnan(want)));
    for (int i = 0; i < 12; i++) CHECK(dh[i] == 0);
    for (int i = 0; i < 15; i++) CHECK(dW[i] == 0);
    free(h); free(W); free(dh); free(dW); free(logits);
}

int main(void)
{
    RUN(test_chunked_equals_unchunked);
    RUN(test_gradcheck);
    RUN(test_no_labels);
    TEST_MAIN_END();
}
