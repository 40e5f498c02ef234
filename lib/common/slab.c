/* slab: one allocation for a listed set of float arrays.  See slab.h. */
#include "slab.h"
#include "util.h"
#include <stdlib.h>

static size_t rounded(size_t n) { return (n + 15) & ~(size_t)15; }

void ft_slab_add(ft_slab *a, float **dst, size_t n)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->slot = ft_xrealloc(a->slot, a->cap * sizeof *a->slot);
    }
    a->slot[a->n++] = (ft_slab_slot){ dst, n };
}

void ft_slab_commit(ft_slab *a, const char *what)
{
    size_t total = 0;
    for (int i = 0; i < a->n; i++) total += rounded(a->slot[i].n);
    free(a->base);
    a->base = NULL;
    a->floats = 0;
    if (posix_memalign((void **)&a->base, 64, (total ? total : 1) * sizeof(float)))
        ft_die("out of memory: %s need %.1f GiB", what, total * 4.0 / (1 << 30));
    a->floats = total;
    size_t used = 0;
    for (int i = 0; i < a->n; i++) {
        *a->slot[i].dst = a->base + used;
        used += rounded(a->slot[i].n);
    }
    a->n = 0;
}

void ft_slab_free(ft_slab *a)
{
    free(a->base);
    free(a->slot);
    *a = (ft_slab){0};
}

int ft_slab_shape_grow(ft_slab_shape *cap, int *want, int n, int train)
{
    int fits = cap->train || !train;
    for (int i = 0; i < n; i++) fits = fits && want[i] <= cap->dim[i];
    if (fits) return 0;
    for (int i = 0; i < n; i++) {
        if (cap->train == train && want[i] < cap->dim[i]) want[i] = cap->dim[i];
        cap->dim[i] = want[i];
    }
    cap->train = train;
    return 1;
}
