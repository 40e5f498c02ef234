/* L2-SP and EWC penalties: values and gradients by finite differences. */
#include "test.h"
#include "penalty.h"
#include "rng_internal.h"
#include "util.h"
#include <string.h>
#include <unistd.h>

static void setup(ft_params *ps, ft_rng *r)
{
    ft_params_init(ps);
    int64_t s1[2] = {3, 4}, s2[1] = {5};
    ft_params_add(ps, "a.weight", 2, s1, 0);
    ft_params_add(ps, "a.bias", 1, s2, 1);
    ft_params_alloc(ps);
    for (int i = 0; i < ps->n; i++) {
        ps->p[i].trainable = 1;
        ft_rng_normal_fill(r, ft_param_data(ps, i), ps->p[i].numel, 0, 1);
    }
}

static void test_penalty_gradients(void)
{
    ft_rng r;
    ft_rng_seed(&r, 1);
    ft_params ps;
    setup(&ps, &r);
    /* a Fisher file with positive values */
    float *F = ft_xmalloc(ps.total * sizeof *F);
    for (size_t i = 0; i < ps.total; i++) F[i] = (float)ft_rng_uniform(&r) + 0.1f;
    char path[] = "/tmp/ft_test_fisherXXXXXX";
    close(mkstemp(path));
    ft_fisher_save(&ps, F, 7, path);
    long samples = 0;
    float *F2 = ft_fisher_load(&ps, path, &samples);
    CHECK(samples == 7);
    for (int i = 0; i < ps.n; i++)
        CHECK(memcmp(F2 + ps.p[i].offset, F + ps.p[i].offset, ps.p[i].numel * sizeof *F) == 0);
    ft_penalty *p = ft_penalty_new(&ps, 0.3, 2.0, path);
    /* move away from the anchor */
    for (int i = 0; i < ps.n; i++) {
        float *d = ft_param_data(&ps, i);
        for (size_t k = 0; k < ps.p[i].numel; k++) d[k] += 0.5f * (float)ft_rng_normal(&r);
    }
    ft_params_zero_grad(&ps);
    double l2, ew;
    ft_penalty_apply(p, &ps, &l2, &ew);
    CHECK(l2 > 0 && ew > 0);
    for (int i = 0; i < ps.n; i++) {
        float *d = ft_param_data(&ps, i), *g = ft_param_grad(&ps, i);
        for (size_t k = 0; k < ps.p[i].numel; k++) {
            float keep = d[k], h = 1e-2f;
            double lp, ep, lm, em;
            float *gsave = ft_xmalloc(ps.total * sizeof *gsave);
            memcpy(gsave, ps.grad, ps.total * sizeof *gsave);
            d[k] = keep + h; ft_penalty_apply(p, &ps, &lp, &ep);
            d[k] = keep - h; ft_penalty_apply(p, &ps, &lm, &em);
            d[k] = keep;
            memcpy(ps.grad, gsave, ps.total * sizeof *gsave);
            free(gsave);
            double num = ((lp + ep) - (lm + em)) / (2 * h);
            CHECK_NEAR(g[k], num, 1e-3 * (1 + fabs(num)));
        }
    }
    ft_penalty_free(p);
    free(F);
    free(F2);
    unlink(path);
    ft_params_free(&ps);
}

static void test_off_without_lambdas(void)
{
    ft_params ps;
    ft_rng r;
    ft_rng_seed(&r, 2);
    setup(&ps, &r);
    CHECK(ft_penalty_new(&ps, 0, 0, NULL) == NULL);
    ft_params_free(&ps);
}

int main(void)
{
    RUN(test_penalty_gradients);
    RUN(test_off_without_lambdas);
    TEST_MAIN_END();
}
