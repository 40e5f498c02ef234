/* slab: a model's activations as one allocation, each array listed once.
 *
 * A model lists the arrays it needs — where the pointer goes and how many
 * floats — with ft_slab_add; ft_slab_commit then totals that list, makes
 * one 64-byte-aligned allocation and points every listed slot into it.  The
 * size and the assignment come from the same list, so they cannot disagree
 * (llm.c's fill_in_activation_sizes habit, without sizes kept by hand).
 *
 *     ft_slab_add(&ar, &x->qkv, 3 * N * C);
 *     ft_slab_add(&ar, &x->probs, B * H * T * T);
 *     ...
 *     ft_slab_commit(&ar, "activations for 8×128 tokens");
 *
 * Each array is rounded up to 16 floats so every one starts 64-byte aligned.
 * The slots must stay where they are between add and commit. */
#ifndef FT_SLAB_H
#define FT_SLAB_H
#include <stddef.h>

typedef struct ft_slab_slot { float **dst; size_t n; } ft_slab_slot;

typedef struct ft_slab {
    float *base;            /* the allocation; NULL before the first commit */
    size_t floats;          /* its size */
    ft_slab_slot *slot;    /* the listing since the last commit */
    int n, cap;
} ft_slab;

/* *dst will point at n floats of the next commit's allocation. */
void ft_slab_add(ft_slab *a, float **dst, size_t n);
/* Frees the previous allocation (every pointer into it goes stale), makes
   one for the listed arrays and assigns them; dies out of memory naming
   `what` ("activations for 8×128 tokens") and the size.  Clears the list. */
void ft_slab_commit(ft_slab *a, const char *what);
void ft_slab_free(ft_slab *a);

/* The shape an arena was laid out for (up to 3 dimensions: the batch and
   the lengths) and whether for training (every layer kept, with gradients)
   or for inference (one layer's worth, reused). */
typedef struct ft_slab_shape { int dim[3]; int train; } ft_slab_shape;
/* Whether activations for want[0..n) (train: for training) need a new
   layout.  When they do, want[] becomes the shape to lay out and *cap
   records it: while the mode stays, each dimension keeps the larger of old
   and new, so that alternating shapes stop reallocating. */
int ft_slab_shape_grow(ft_slab_shape *cap, int *want, int n, int train);
#endif
