/* ops_internal: what ops.h keeps out of its stable API: the single activations (models
   call ft_act_fwd/ft_act_bwd), the thread count, and the plain cross-entropy
   under the losses.
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_OPS_INTERNAL_H
#define FT_OPS_INTERNAL_H
#include "ops.h"
#include <stddef.h>
#include <stdint.h>

int ft_get_threads(void);
void ft_gelu_fwd(float *out, const float *in, size_t n);       /* exact erf GELU ("gelu") */
void ft_gelu_bwd(float *din, const float *dout, const float *in, size_t n);
void ft_gelu_tanh_fwd(float *out, const float *in, size_t n);  /* "gelu_new" (GPT-2, T5 v1.1) */
void ft_gelu_tanh_bwd(float *din, const float *dout, const float *in, size_t n);
void ft_relu_fwd(float *out, const float *in, size_t n);
void ft_relu_bwd(float *din, const float *dout, const float *in, size_t n);
/* softmax cross-entropy, logits[N,V], labels[N]; labels == ignore_index are
   skipped and the mean is over the rest (0 if none, like torch gives nan→ we give 0). */
float ft_cross_entropy(float *dlogits, const float *logits, const int32_t *labels,
                       int N, int V, int ignore_index, float dscale);

#endif
