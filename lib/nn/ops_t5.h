/* ops_t5: the kernels T5 needs beyond ops.h — relative position bias (added
 * to the scores through ft_attn's bias, its gradient from ft_attn_bwd's
 * dbias) and the gated FFN's product.
 * Conventions as ops.h: flat row-major float arrays, backward ACCUMULATES,
 * NULL gradient pointers are skipped. */
#ifndef FT_OPS_T5_H
#define FT_OPS_T5_H
#include <stddef.h>
#include <stdint.h>

/* bias[H,Tq,Tk] = table[bucket(j − (q0+i)), h] for query i (absolute position
   q0+i) and key j.  table[num_buckets, H] (nn.Embedding layout). */
void ft_t5_pos_bias_fwd(float *bias, const float *table, int H, int Tq, int Tk, int q0,
                        int bidirectional, int num_buckets, int max_distance);
/* dtable[bucket, h] += Σ dbias over the cells of that bucket. */
void ft_t5_pos_bias_bwd(float *dtable, const float *dbias, int H, int Tq, int Tk, int q0,
                        int bidirectional, int num_buckets, int max_distance);

/* out = a ∘ b (gated FFN); backward da += dout∘b, db += dout∘a. */
void ft_mul_fwd(float *out, const float *a, const float *b, size_t n);
void ft_mul_bwd(float *da, float *db, const float *dout, const float *a, const float *b, size_t n);
#endif
