/* ops_loss: cross-entropy (ignore_index), MSE, BCE-with-logits.  See ops.h.
 * Sums run in double: losses are small reductions and parity wants 1e-5. */
/* No FP traps or errno to preserve: lets GCC if-convert and vectorise the
   exp loops (see ops_math.h) without -ffast-math's reassociation. */
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#include "ops.h"
#include "ops_internal.h"
#include "kern.h"
#include "ops_math.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

float ft_cross_entropy(float *dlogits, const float *logits, const int32_t *labels,
                       int N, int V, int ignore_index, float dscale)
{
    return ft_cross_entropy_smoothed(dlogits, logits, labels, N, V, ignore_index, dscale, 0.0f);
}

int ft_count_labelled(const int32_t *labels, int N, int ignore_index)
{
    int count = 0;
    for (int n = 0; n < N; n++) count += labels[n] != ignore_index;
    return count;
}

float ft_cross_entropy_smoothed(float *dlogits, const float *logits, const int32_t *labels,
                                int N, int V, int ignore_index, float dscale, float eps)
{
    int count = ft_count_labelled(labels, N, ignore_index);
    /* Rows spread over threads (at GPT-2's and T5's vocabularies this pass is
       several percent of a step); per-row losses are summed in row order
       afterwards, so the total does not depend on the thread count.
       dlogits may alias logits: a row is read fully before it is written. */
    double *row_loss = calloc(N > 0 ? (size_t)N : 1, sizeof *row_loss);
    if (!row_loss) return NAN;
    const ft_kernels *k = ft_kern;
    #pragma omp parallel for schedule(static) if ((size_t)N * V > 32768)
    for (int n = 0; n < N; n++) {
        const float *x = logits + (size_t)n * V;
        float *d = dlogits ? dlogits + (size_t)n * V : NULL;
        if (labels[n] == ignore_index) {
            if (d) memset(d, 0, V * sizeof(float));
            continue;
        }
        row_loss[n] = k->xent_row(d, x, V, labels[n], eps, dscale / count);
    }
    double total = 0;
    for (int n = 0; n < N; n++) total += row_loss[n];
    free(row_loss);
    /* torch returns nan when every label is ignored; a 0 loss with 0 grads is
       what a trainer wants from a batch with nothing to learn. */
    return count ? (float)(total / count) : 0.0f;
}

float ft_mse(float *dpred, const float *pred, const float *target, size_t n, float dscale)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)pred[i] - target[i];
        total += e * e;
        if (dpred) dpred[i] = (float)(2.0 * e / n) * dscale;
    }
    return (float)(total / n);
}

float ft_bce_logits(float *dlogits, const float *logits, const float *target, size_t n,
                    float dscale)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double x = logits[i], y = target[i];
        total += (x > 0 ? x : 0) - x * y + log1p(exp(-fabs(x)));
        if (dlogits) dlogits[i] = (float)((1.0 / (1.0 + exp(-x)) - y) / n) * dscale;
    }
    return (float)(total / n);
}
