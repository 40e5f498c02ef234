/* ops: transformer kernels as forward/backward pairs over flat float arrays.
 *
 * Conventions (llm.c style):
 *  - Row-major.  N = rows (tokens, B*T), C = channels.  Shapes in comments.
 *  - Linear weights use PyTorch's nn.Linear layout W[out][in], so HF tensors
 *    are used as stored.
 *  - Every *_bwd ACCUMULATES (+=) into its gradient outputs, so a tensor used
 *    twice (residuals, tied weights) just gets two backward calls.  Any grad
 *    pointer may be NULL when that gradient is not wanted (frozen weights,
 *    model inputs).
 *  - Ops know nothing of files, models or parameters.  They use OpenBLAS sgemm
 *    and OpenMP; small per-head GEMMs run single-threaded inside an OpenMP
 *    loop over (batch, head) instead of letting BLAS thread them.
 */
#ifndef FT_OPS_H
#define FT_OPS_H
#include <stddef.h>
#include <stdint.h>

/* ---- linear: out[N,Cout] = in[N,Cin] · W[Cout,Cin]^T + b[Cout]  (b may be NULL) ---- */
void ft_linear_fwd(float *out, const float *in, const float *W, const float *b,
                   int N, int Cin, int Cout);
/* din[N,Cin] += dout·W ; dW[Cout,Cin] += dout^T·in ; db[Cout] += Σ_n dout */
void ft_linear_bwd(float *din, float *dW, float *db, const float *dout,
                   const float *in, const float *W, int N, int Cin, int Cout);

/* ---- Conv1D (GPT-2): out[N,Cout] = in[N,Cin] · W[Cin,Cout] + b[Cout]  (W stored [in,out]) ---- */
void ft_conv1d_fwd(float *out, const float *in, const float *W, const float *b,
                   int N, int Cin, int Cout);
/* din[N,Cin] += dout·W^T ; dW[Cin,Cout] += in^T·dout ; db[Cout] += Σ_n dout */
void ft_conv1d_bwd(float *din, float *dW, float *db, const float *dout,
                   const float *in, const float *W, int N, int Cin, int Cout);

/* ---- embedding: out[N,C] (+)= table[ids[n]] ----
   accumulate=0 overwrites out, 1 adds (word + position + token type). */
void ft_embedding_fwd(float *out, const int32_t *ids, const float *table,
                      int N, int C, int accumulate);
/* dtable[ids[n]] += dout[n]  (single-threaded over rows: ids may repeat) */
void ft_embedding_bwd(float *dtable, const int32_t *ids, const float *dout, int N, int C);

/* ---- layer norm over the last dim (torch.nn.LayerNorm, biased variance) ----
   out[N,C]; saves mean[N], rstd[N] for the backward. */
void ft_layernorm_fwd(float *out, float *mean, float *rstd, const float *in,
                      const float *gamma, const float *beta, int N, int C, float eps);
void ft_layernorm_bwd(float *din, float *dgamma, float *dbeta, const float *dout,
                      const float *in, const float *mean, const float *rstd,
                      const float *gamma, int N, int C);

/* ---- RMS norm (T5LayerNorm: no mean, no bias) ---- out[N,C], saves rstd[N] */
void ft_rmsnorm_fwd(float *out, float *rstd, const float *in, const float *gamma,
                    int N, int C, float eps);
void ft_rmsnorm_bwd(float *din, float *dgamma, const float *dout, const float *in,
                    const float *rstd, const float *gamma, int N, int C);

/* ---- activations, n elements; in-place (out == in) allowed in fwd ---- */
void ft_gelu_fwd(float *out, const float *in, size_t n);       /* exact erf GELU ("gelu") */
void ft_gelu_bwd(float *din, const float *dout, const float *in, size_t n);
void ft_gelu_tanh_fwd(float *out, const float *in, size_t n);  /* "gelu_new" (GPT-2, T5 v1.1) */
void ft_gelu_tanh_bwd(float *din, const float *dout, const float *in, size_t n);
void ft_relu_fwd(float *out, const float *in, size_t n);
void ft_relu_bwd(float *din, const float *dout, const float *in, size_t n);
void ft_tanh_fwd(float *out, const float *in, size_t n);
void ft_tanh_bwd(float *din, const float *dout, const float *out, size_t n); /* uses the OUTPUT */

/* out[n] = a[n] + b[n] (residual); backward is two accumulates of dout. */
void ft_add_fwd(float *out, const float *a, const float *b, size_t n);
/* y += x */
void ft_accumulate(float *y, const float *x, size_t n);

/* ---- dropout: counter-based, so the backward regenerates the mask instead of
   storing it.  Element i of stream `key` is kept iff hash(key, i) >= p·2^32;
   kept values are scaled by 1/(1-p).  Reproducible for a given key regardless
   of thread count.  p == 0 is the identity.  (Not torch's RNG: parity tests
   run with dropout off.) */
void ft_dropout_fwd(float *out, const float *in, size_t n, float p, uint64_t key);
void ft_dropout_bwd(float *din, const float *dout, size_t n, float p, uint64_t key);
/* out = dropout(x) + res   (the "dropout, then add residual" of every block) */
void ft_dropout_add_fwd(float *out, const float *x, const float *res, size_t n,
                        float p, uint64_t key);

/* ---- multi-head scaled dot-product attention ----
   qkv[B,T,3C]: per token q (C) then k (C) then v (C), head h uses channels
   [h*D,(h+1)*D) of each, D = C/H.  mask[B,T] is an additive key mask
   (0 keep, large negative drop; NULL = none); causal=1 also masks keys after
   the query.  probs[B,H,T,T] saves softmax(q·k^T/sqrt(D) + mask) for the
   backward; dropout p applies to the probabilities (key selects the stream).
   out[B,T,C] is the heads concatenated.  scratch: ft_attention_scratch(T) floats. */
size_t ft_attention_scratch(int T);
void ft_attention_fwd(float *out, float *probs, const float *qkv, const float *mask,
                      int B, int T, int C, int H, int causal, float p, uint64_t key,
                      float *scratch);
/* dqkv[B,T,3C] += ∂L/∂qkv given dout[B,T,C]. */
void ft_attention_bwd(float *dqkv, const float *dout, const float *qkv,
                      const float *probs, int B, int T, int C, int H,
                      float p, uint64_t key, float *scratch);

/* ---- losses.  All return the mean loss and write dlogits = ∂loss/∂logits
   (overwrite, scaled by dscale) when dlogits != NULL. ---- */
/* softmax cross-entropy, logits[N,V], labels[N]; labels == ignore_index are
   skipped and the mean is over the rest (0 if none, like torch gives nan→ we give 0). */
float ft_cross_entropy(float *dlogits, const float *logits, const int32_t *labels,
                       int N, int V, int ignore_index, float dscale);
/* mean squared error over n elements (problem_type regression). */
float ft_mse(float *dpred, const float *pred, const float *target, size_t n, float dscale);
/* BCEWithLogits mean over n elements (multi_label_classification). */
float ft_bce_logits(float *dlogits, const float *logits, const float *target, size_t n,
                    float dscale);

#endif
