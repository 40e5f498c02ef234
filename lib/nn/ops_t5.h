/* ops_t5: the kernels T5 needs beyond ops.h — relative position bias, T5's
 * form of the attention kernel (ft_attn with separate query / key-value
 * lengths, an additive per-head bias and no 1/sqrt(d) scaling) and the
 * gated FFN's product.
 * Conventions as ops.h: flat row-major float arrays, backward ACCUMULATES,
 * NULL gradient pointers are skipped. */
#ifndef FT_OPS_T5_H
#define FT_OPS_T5_H
#include <stddef.h>
#include <stdint.h>

/* HF T5Attention._relative_position_bucket for relative_position = key − query. */
int ft_t5_rel_bucket(int rel, int bidirectional, int num_buckets, int max_distance);

/* bias[H,Tq,Tk] = table[bucket(j − (q0+i)), h] for query i (absolute position
   q0+i) and key j.  table[num_buckets, H] (nn.Embedding layout). */
void ft_t5_pos_bias_fwd(float *bias, const float *table, int H, int Tq, int Tk, int q0,
                        int bidirectional, int num_buckets, int max_distance);
/* dtable[bucket, h] += Σ dbias over the cells of that bucket. */
void ft_t5_pos_bias_bwd(float *dtable, const float *dbias, int H, int Tq, int Tk, int q0,
                        int bidirectional, int num_buckets, int max_distance);

/* ---- T5 attention: ft_attn (ops.h) with scale 1 ----
   q[B,Tq,*] with row stride ldq, k and v [B,Tk,*] with row stride ldkv; head h
   uses channels [h*D,(h+1)*D).  scores = q·k^T (no scaling) + bias[h] (bias
   [H,Tq,Tk] shared by the batch, NULL = none) + mask[b] (additive key mask
   [B,Tk], NULL = none); causal=1 drops keys j > i + (Tk − Tq).
   probs[B,H,Tq,Tk] keeps the softmax for the backward; dropout p on the
   probabilities.  out[B,Tq,H*D].  scratch: ft_t5_attn_scratch(Tq,Tk) floats. */
size_t ft_t5_attn_scratch(int Tq, int Tk);
void ft_t5_attn_fwd(float *out, float *probs, const float *q, int ldq,
                    const float *k, const float *v, int ldkv, const float *bias,
                    const float *mask, int B, int Tq, int Tk, int H, int D, int causal,
                    float p, uint64_t key, float *scratch);
/* dq (stride ldq), dk, dv (stride ldkv) += ; dbias[H,Tq,Tk] += Σ_b ∂L/∂scores. */
void ft_t5_attn_bwd(float *dq, float *dk, float *dv, float *dbias, const float *dout,
                    const float *q, int ldq, const float *k, const float *v, int ldkv,
                    const float *probs, int B, int Tq, int Tk, int H, int D,
                    float p, uint64_t key, float *scratch);

/* out = a ∘ b (gated FFN); backward da += dout∘b, db += dout∘a. */
void ft_mul_fwd(float *out, const float *a, const float *b, size_t n);
void ft_mul_bwd(float *da, float *db, const float *dout, const float *a, const float *b, size_t n);
#endif
