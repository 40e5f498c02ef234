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
 *  - Ops know nothing of files, models or parameters.  Their GEMMs go through
 *    ft_sgemm (gemm.h: OpenBLAS sgemm, or oneDNN bf16 under --bf16), the rest
 *    is OpenMP; small per-head GEMMs run single-threaded inside an OpenMP
 *    loop over (batch, head) instead of letting BLAS thread them.
 */
#ifndef FT_OPS_H
#define FT_OPS_H
#include <stddef.h>
#include <stdint.h>
#include "gemm.h"       /* ft_sgemm: every op's GEMM, fp32 or bf16 */

/* Threads for every op and BLAS call (OpenMP + OpenBLAS-openmp share one
   pool).  n <= 0 keeps the default (OMP_NUM_THREADS, else all cores).
   Use as many threads as cores, never more: oversubscribed OpenMP spins. */
void ft_set_threads(int n);
/* Take the BLAS library's work buffers now, before the big allocations.
   OpenBLAS (0.3.21) allocates one (~128 MiB of address space) per concurrent
   gemm on first use and, when that fails (ulimit -v), retries forever: this
   checks that they fit, dies with a clear message if not, then makes every
   thread's gemm take its buffer. */
void ft_blas_reserve(void);

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
void ft_tanh_fwd(float *out, const float *in, size_t n);
void ft_tanh_bwd(float *din, const float *dout, const float *out, size_t n); /* uses the OUTPUT */

/* ---- activations by Hugging Face name (hidden_act, activation_function,
   T5's feed_forward_proj): gelu (erf form), gelu_new (tanh form; also
   "gelu_pytorch_tanh"), relu.  ft_act_parse returns -1 for other names. ---- */
enum ft_act { FT_ACT_GELU, FT_ACT_GELU_NEW, FT_ACT_RELU };
int ft_act_parse(const char *name);
void ft_act_fwd(int act, float *out, const float *in, size_t n);
/* din += dout · act'(in) */
void ft_act_bwd(int act, float *din, const float *dout, const float *in, size_t n);

/* ---- Llama-shaped decoders (ops_llama.c) ----
   Rotary position embeddings, rotate-half layout (HF apply_rotary_pos_emb):
   cs[N,D] holds per row cos(pos·inv_freq[i]) in [0,D/2) and sin in [D/2,D)
   (each times scaling, HF's attention_scaling), inv_freq [D/2].  x [N,*]
   row stride ld holds nh heads of D channels from column 0; rotated in place:
   x1·cos − x2·sin, x2·cos + x1·sin for the halves x1, x2 of each head.
   The backward rotates dx back (the transpose), also in place. */
void ft_rope_table(float *cs, const int32_t *pos, int N, int D, const float *inv_freq, float scaling);
void ft_rope_fwd(float *x, size_t ld, int N, int nh, int D, const float *cs);
void ft_rope_bwd(float *dx, size_t ld, int N, int nh, int D, const float *cs);
/* SwiGLU (LlamaMLP, hidden_act silu): out = silu(gate)·up, n elements;
   dgate, dup accumulate (either may be NULL). */
void ft_swiglu_fwd(float *out, const float *gate, const float *up, size_t n);
void ft_swiglu_bwd(float *dgate, float *dup, const float *dout, const float *gate, const float *up, size_t n);

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

/* ---- multi-head scaled dot-product attention: the one entry point for every
   model and mode — self, causal and cross attention, T5's position bias and
   its gradient, and decoding against a KV cache.  A model fills the ft_attn
   descriptor (by hand, or with a builder such as ft_attn_packed) and calls
   ft_attn_fwd / ft_attn_bwd.  Row-major with explicit row strides, each of
   q, k and v its own pointer and stride, so they can be slices of one packed
   projection, separate buffers (rotary applied first) or a KV cache:
     q  [B,Tq,*] row stride ldq, head h at columns [h*D,(h+1)*D)
     k,v[B,Tk,*] row strides ldk, ldv;  out [B,Tq,*] row stride ldo
     sbq, sbk, sbv, sbo: floats from one sequence to the next (0: T rows of
       the row stride; a KV cache of maxT rows per sequence sets maxT·ld)
     mask [B,Tk] additive key mask (0 keep, -FLT_MAX drop) or NULL
     bias [H,Tq,Tk] additive scores bias shared over the batch (T5) or NULL
     causal: key j visible to query i iff j <= i + (Tk - Tq)  (so a decoding
       step's Tq new queries see the Tk - Tq cached keys and their own past)
     scale: multiplies q·k (1/sqrt(D) for BERT/GPT-2, 1 for T5)
     Hkv: key/value heads (grouped-query attention): query head h reads
       key/value head h / (H / Hkv); 0 means H.  No bias with Hkv < H.
     window: with causal, key j is visible to query i only when
       i + (Tk - Tq) - j < window (HF's sliding window over cache
       positions); 0: no window
     segment [B,Tk] example ids (packing): key j is visible to query i only
       when j lies in the same run of equal ids as key position i + (Tk - Tq),
       the query's own (an example's tokens are contiguous, as packing lays
       them); NULL: off
     p, key: dropout on the probabilities (counter-based, see ft_dropout_fwd)
   probs [B,H,Tq,Tk] keeps softmax output for the backward.
   scratch: ft_attn_scratch(Tq, Tk) floats (a bound for smaller calls too);
   may be NULL when p = 0 in the forward.
   Fields added later (key/value heads fewer than H, a sliding window) must
   mean "off" when 0, so descriptors filled by designated initialisers keep
   their meaning. */
typedef struct ft_attn {
    int B, Tq, Tk, H, D;
    size_t ldq, ldk, ldv, ldo;
    size_t sbq, sbk, sbv, sbo;
    const float *mask, *bias;
    int causal;
    float scale, p;
    uint64_t key;
    int Hkv, window;
    const int32_t *segment;
} ft_attn;
size_t ft_attn_scratch(int Tq, int Tk);
void ft_attn_fwd(const ft_attn *a, float *out, float *probs, const float *q, const float *k,
                 const float *v, float *scratch);
/* dq, dk, dv (same strides as q, k, v) and dbias [H,Tq,Tk] accumulate;
   any may be NULL.  Reads neither mask, bias, causal nor segment: the forward's
   probabilities carry them (masked ones are 0), so the forward's descriptor
   serves as it is. */
void ft_attn_bwd(const ft_attn *a, float *dq, float *dk, float *dv, float *dbias,
                 const float *dout, const float *q, const float *k, const float *v,
                 const float *probs, float *scratch);
/* Self-attention over one packed projection (BERT, GPT-2): qkv[B,T,3C] holds
   per token q (C), k (C), v (C), so q = qkv, k = qkv + C, v = qkv + 2C;
   out[B,T,C]; H heads of C/H channels, scale 1/sqrt(C/H). */
ft_attn ft_attn_packed(int B, int T, int C, int H, const float *mask, int causal, float p, uint64_t key);

/* ---- losses.  All return the mean loss and write dlogits = ∂loss/∂logits
   (overwrite, scaled by dscale) when dlogits != NULL. ---- */
/* The same with HF's label smoothing (TrainingArguments.label_smoothing_factor):
   (1-eps)·cross-entropy + eps·mean over classes of -log softmax, eps = 0 is
   plain cross-entropy. */
float ft_cross_entropy_smoothed(float *dlogits, const float *logits, const int32_t *labels,
                                int N, int V, int ignore_index, float dscale, float eps);
/* The labels a cross-entropy's mean is over: those not ignore_index. */
int ft_count_labelled(const int32_t *labels, int N, int ignore_index);
/* mean squared error over n elements (problem_type regression). */
float ft_mse(float *dpred, const float *pred, const float *target, size_t n, float dscale);
/* BCEWithLogits mean over n elements (multi_label_classification). */
float ft_bce_logits(float *dlogits, const float *logits, const float *target, size_t n,
                    float dscale);

/* ---- causal-LM head and loss in row chunks (ops_lmhead.c) ----
   For rows n of h[N,C] with labels[n] != ignore, logits_n = h_n · W^T (W [V,C],
   nn.Linear layout, e.g. a tied embedding); loss = the mean over the labelled
   rows of cross-entropy with HF's label smoothing eps (ft_cross_entropy_smoothed
   on each chunk, so one cross-entropy).  When dh or dW is not NULL, also the
   backward of dscale·loss: dh[N,C] += ∂/∂h, dW[V,C] += ∂/∂W (either may be NULL).
   Only a chunk's labelled rows are packed and multiplied, so the full
   [N,V] logits never exist and ignored rows cost nothing.
   chunk: rows per chunk; <= 0 picks one whose logits are near 8 Mi floats.
   scratch: ft_lm_head_scratch(chunk, C, V) floats (NULL: allocated per call).
   Returns the loss; 0 with no gradient when no row is labelled, as
   ft_cross_entropy_smoothed. */
size_t ft_lm_head_scratch(int chunk, int C, int V);
float ft_lm_head_loss(float *dh, float *dW, const float *h, const float *W, const int32_t *labels,
                      int N, int C, int V, int ignore, float eps, float dscale, int chunk,
                      float *scratch);

#endif
