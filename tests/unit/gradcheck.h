/* Finite-difference gradient checking shared by the unit tests.
 * A test supplies loss(ctx): run the forward and return Σ out·R for a fixed
 * random R (so every output element matters), computed in double.  The
 * analytic gradient of the same scalar comes from the op's backward. */
#ifndef FT_GRADCHECK_H
#define FT_GRADCHECK_H
#include "rng.h"
#include <math.h>
#include <stdio.h>

typedef double (*gc_loss_fn)(void *ctx);

/* Central differences on every element of x (n ≤ a few thousand).  Float
   forward passes make FD noisy, so the bound is abs + rel·|fd|; returns the
   worst violation ratio (≤ 1 passes). */
__attribute__((unused)) static double gradcheck(const char *what, float *x, size_t n, const float *analytic,
                        gc_loss_fn loss, void *ctx, float h, double abs_tol, double rel_tol)
{
    double worst = 0;
    size_t worst_i = 0;
    double worst_fd = 0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i] = x0 + h; double lp = loss(ctx);
        x[i] = x0 - h; double lm = loss(ctx);
        x[i] = x0;
        double fd = (lp - lm) / ((double)(x0 + h) - (double)(x0 - h));
        double err = fabs(fd - analytic[i]) / (abs_tol + rel_tol * fabs(fd));
        if (err > worst) { worst = err; worst_i = i; worst_fd = fd; }
    }
    if (worst > 1)
        fprintf(stderr, "  %s: element %zu analytic %.6g vs finite difference %.6g\n",
                what, worst_i, analytic[worst_i], worst_fd);
    return worst;
}

__attribute__((unused)) static void fill_normal(float *x, size_t n, uint64_t seed, float std)
{
    ft_rng r;
    ft_rng_seed(&r, seed);
    ft_rng_normal_fill(&r, x, n, 0.0f, std);
}

__attribute__((unused)) static double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}
#endif
