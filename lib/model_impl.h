/* model_impl: what the model families (bert.c, gpt2.c, t5.c) share inside
 * their files — the activation arena, gradient and zeroing shorthands,
 * dropout keys, the token-id check.  Internal to the families: no tool or
 * other module includes it. */
#ifndef FT_MODEL_IMPL_H
#define FT_MODEL_IMPL_H
#include "params.h"
#include "rng.h"
#include "util.h"
#include <string.h>

/* n floats of p set to 0 (a gradient buffer before a backward accumulates). */
#define ZERO(p, n) memset((p), 0, (size_t)(n) * sizeof(float))
/* The gradient of parameter i of the table `ps` in scope, NULL when frozen. */
#define G(i) (ps->p[i].trainable ? ft_param_grad(ps, i) : NULL)

/* Activations are slices of one allocation, each rounded up to 16 floats
   (64 bytes).  With base NULL, take only counts, so one layout function both
   sizes the arena and carves it. */
typedef struct ft_arena { float *base; size_t used; } ft_arena;
static inline float *ft_arena_take(ft_arena *a, size_t n)
{
    float *p = a->base ? a->base + a->used : NULL;
    a->used += (n + 15) & ~(size_t)15;
    return p;
}

/* The dropout stream of site `which` (< 8) in block `layer` of one step. */
static inline uint64_t ft_site(uint64_t key, int layer, int which)
{
    return ft_key_mix(key, (uint64_t)layer * 8 + which);
}

/* Dies unless every id in ids[0..n) is below the vocabulary size V;
   what names them in the message ("token", "decoder token"). */
static inline void ft_check_ids(const int32_t *ids, size_t n, int V, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) ft_die("%s id %d out of range for vocab_size %d", what, ids[i], V);
}
#endif
