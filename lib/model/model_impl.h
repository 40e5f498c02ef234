/* model_impl: what the model families (bert.c, gpt2.c, t5.c) share inside
 * their files — gradient and zeroing shorthands, dropout keys, the token-id
 * check, the model shell (model_impl.c).  Internal to the families: no tool or
 * other module includes it. */
#ifndef FT_MODEL_IMPL_H
#define FT_MODEL_IMPL_H
#include "model.h"
#include "ops.h"
#include "params.h"
#include "rng.h"
#include "util.h"
#include <string.h>

/* n floats of p set to 0 (a gradient buffer before a backward accumulates). */
#define ZERO(p, n) memset((p), 0, (size_t)(n) * sizeof(float))
/* The gradient of parameter i of the table `ps` in scope, NULL when frozen. */
#define G(i) (ps->p[i].trainable ? ft_param_grad(ps, i) : NULL)

/* A model shell for an architecture's constructor: vtable, state, HF class
   name, checkpoint prefix, task, config (owned from here on), dropout seed,
   thread count, an empty parameter table. */
ft_model *ft_model_shell(const ft_model_vt *vt, void *impl, const char *arch, const char *base_prefix,
                         ft_config *cfg, enum ft_task task, uint64_t seed);
/* Reads cfg's "ft_tasks" into m->heads (architectures call it). */
void ft_model_read_tasks(ft_model *m);

/* The dropout stream of site `which` (< 8) in block `layer` of one step. */
static inline uint64_t ft_site(uint64_t key, int layer, int which)
{
    return ft_key_mix(key, (uint64_t)layer * 8 + which);
}

/* A layer's KV cache while decoding: keys and values of maxT positions per
   sequence, rows of w floats, the first len positions filled. */
typedef struct ft_kv_slot { float *k, *v; int len, maxT; } ft_kv_slot;

/* Appends the at->Tq new keys and values of each of at->B sequences (rows
   of w floats at k and v, row stride ld: slices of a packed projection or
   buffers of their own) to the cache, and points the attention (*K, *V,
   lengths, strides) at all of it. */
static inline void ft_kv_attend(const ft_kv_slot *kv, ft_attn *at, const float **K, const float **V,
                                const float *k, const float *v, size_t ld, int w)
{
    for (int b = 0; b < at->B; b++)
        for (int t = 0; t < at->Tq; t++) {
            size_t src = ((size_t)b * at->Tq + t) * ld;
            size_t row = ((size_t)b * kv->maxT + kv->len + t) * w;
            memcpy(kv->k + row, k + src, w * sizeof(float));
            memcpy(kv->v + row, v + src, w * sizeof(float));
        }
    *K = kv->k;
    *V = kv->v;
    at->Tk = kv->len + at->Tq;
    at->ldk = at->ldv = (size_t)w;
    at->sbk = at->sbv = (size_t)kv->maxT * w;
}

/* Backward tells the hook (model.h) that the gradients of parameters
   k, k+1, ... are final: after each layer, k that layer's first parameter. */
static inline void ft_grads_ready(ft_model *m, int k)
{
    if (m->grads_ready) m->grads_ready(m->grads_ready_ctx, k);
}

/* Causal-LM labels shifted for the loss, out[B,T]: row t predicts token
   t+1, from the batch's token labels ([B,Tl], -100 ignored, missing
   columns ignored), else — like HF's DataCollatorForLanguageModeling —
   from input_ids with padding ignored.  Packed rows (b->segment_ids): the
   last token of each example gets -100, as HF's DataCollatorWithFlattening
   labels each example's first token -100.  Dies on a label outside [0, V). */
int ft_shift_labels(const ft_batch *b, int32_t *out, int V);
/* The position of each of the batch's tokens, pos[B,T]: b->position_ids,
   else 0..T-1 in every row.  Dies on one outside [0, max_pos). */
void ft_batch_positions(const ft_batch *b, int32_t *pos, int max_pos);

/* Dies unless every id in ids[0..n) is below the vocabulary size V;
   what names them in the message ("token", "decoder token"). */
static inline void ft_check_ids(const int32_t *ids, size_t n, int V, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) ft_die("%s id %d out of range for vocab_size %d", what, ids[i], V);
}
#endif
