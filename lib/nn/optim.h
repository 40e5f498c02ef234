/* optim: AdamW, learning-rate schedules and gradient clipping with the exact
 * semantics of the Hugging Face Trainer on torch.optim.AdamW:
 *   p ← p − lr·wd·p  (decoupled decay, skipped for no_decay params)
 *   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (sqrt(v)/sqrt(1−β2^t) + eps)
 * Frozen parameters (trainable = 0) get no state and no update. */
#ifndef FT_OPTIM_H
#define FT_OPTIM_H
#include "params.h"

typedef struct ft_adamw {
    float beta1, beta2, eps, weight_decay;
    long t;                     /* steps taken */
    long *pt;                   /* per-tensor steps once a step skipped some (NULL: all t) */
    int np;                     /* tensors (ps->n) */
    float *m, *v;               /* parallel to params->data (frozen ranges unused) */
    size_t n;
} ft_adamw;

ft_adamw *ft_adamw_new(const ft_params *ps, float weight_decay);  /* betas 0.9/0.999, eps 1e-8 */
void ft_adamw_free(ft_adamw *o);
/* One optimiser step at learning rate lr using ps->grad. */
void ft_adamw_step(ft_adamw *o, ft_params *ps, float lr);
/* The same, leaving tensor i alone where skip[i] (as torch does for a tensor
   whose grad is None): its weights, moments and own step count stay.  Bias
   corrections use each tensor's own step count, as torch's per-tensor state. */
void ft_adamw_step_some(ft_adamw *o, ft_params *ps, float lr, const unsigned char *skip);

/* Multiply every trainable gradient by scale (gradient accumulation: the
   Trainer divides each micro-batch loss by the accumulation steps). */
void ft_grad_scale(ft_params *ps, float scale);
/* torch.nn.utils.clip_grad_norm_: returns the global L2 norm before clipping;
   if max_norm > 0 scales grads by min(1, max_norm/(norm+1e-6)). */
float ft_clip_grad_norm(ft_params *ps, float max_norm);
/* clip_grad_norm_(max_norm), optimizer.step() (skip as ft_adamw_step_some;
   NULL for none) and zero_grad() with one pass over the gradients after the
   norm: the same numbers as the three calls.  Returns the norm before clipping. */
float ft_clip_step_zero(ft_adamw *o, ft_params *ps, float lr, float max_norm, const unsigned char *skip);

enum ft_sched { FT_SCHED_LINEAR, FT_SCHED_COSINE, FT_SCHED_CONSTANT, FT_SCHED_CONSTANT_WARMUP };
/* Parse "linear" | "cosine" | "constant" | "constant_with_warmup"; -1 if unknown. */
int ft_sched_parse(const char *s);
/* HF's warmup: warmup_steps if > 0, else ceil(ratio · total). */
long ft_warmup_steps(long warmup_steps, double warmup_ratio, long total_steps);
/* Learning rate for the optimiser step with 0-based index `step` (the lr the
   Trainer uses for that step: 0 at the first step when warmup > 0). */
double ft_lr_at(enum ft_sched s, double base_lr, long step, long warmup, long total);

#endif
