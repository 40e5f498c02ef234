/* params: the parameter table and its two flat buffers.  See params.h. */
#include "params.h"
#include "gemm.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

void ft_params_init(ft_params *ps) { memset(ps, 0, sizeof *ps); }

void ft_params_free(ft_params *ps)
{
    for (int i = 0; i < ps->n; i++) free(ps->p[i].name);
    free(ps->p);
    if (ps->data) ft_gemm_weights_forget(ps->data, ps->total);
    free(ps->data);
    free(ps->grad);
    memset(ps, 0, sizeof *ps);
}

int ft_params_add(ft_params *ps, const char *name, int ndim, const int64_t *shape, int no_decay)
{
    if (ps->data) ft_die("internal: parameter %s added after allocation", name);
    if (ndim < 1 || ndim > FT_MAX_DIMS) ft_die("internal: %s: bad ndim %d", name, ndim);
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 64;
        ps->p = ft_xrealloc(ps->p, ps->cap * sizeof *ps->p);
    }
    if (!ps->packing) ps->total = (ps->total + 15) & ~(size_t)15;
    ft_param *p = &ps->p[ps->n];
    memset(p, 0, sizeof *p);
    p->name = ft_xstrdup(name);
    p->ndim = ndim;
    p->numel = 1;
    for (int d = 0; d < ndim; d++) { p->shape[d] = shape[d]; p->numel *= (size_t)shape[d]; }
    p->offset = ps->total;
    p->trainable = 1;
    p->no_decay = no_decay;
    /* 64-byte alignment keeps every tensor friendly to AVX-512 loads. */
    ps->total += ps->packing ? p->numel : (p->numel + 15) & ~(size_t)15;
    return ps->n++;
}

/* Zeroes bytes at p without touching the whole pages inside: they are
   handed back (MADV_DONTNEED reads back as zeros), so the kernel maps a page
   only when it is written.  A buffer that is never written (the gradients
   of frozen weights) then costs no memory. */
static void zero_lazily(void *p, size_t bytes)
{
    uintptr_t a, b;
    if (bytes < ((size_t)1 << 20) || ft_pages_drop(p, bytes, &a, &b)) {
        memset(p, 0, bytes);
        return;
    }
    memset(p, 0, a - (uintptr_t)p);
    memset((void *)b, 0, (uintptr_t)p + bytes - b);
}

static float *alloc_floats(size_t n, const char *what)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)))
        ft_die("out of memory allocating %s of %zu parameters (%.1f MiB)", what, n, n * 4.0 / (1 << 20));
    zero_lazily(p, n * sizeof(float));
    return p;
}

void ft_params_alloc(ft_params *ps)
{
    ps->data = alloc_floats(ps->total, "the weights");
    ps->grad = alloc_floats(ps->total, "the gradients");
    ft_gemm_weights(ps->data, ps->total);     /* --bf16 keeps cast copies of these */
}

int ft_params_find(const ft_params *ps, const char *name)
{
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].name, name) == 0) return i;
    return -1;
}

void ft_params_zero_grad(ft_params *ps)
{
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        float *g = ps->grad + ps->p[i].offset;
        size_t n = ps->p[i].numel;
        #pragma omp parallel for simd schedule(static) if (n > 32768)
        for (size_t j = 0; j < n; j++) g[j] = 0;
    }
}

size_t ft_params_count(const ft_params *ps, int trainable_only)
{
    size_t n = 0;
    for (int i = 0; i < ps->n; i++)
        if (!trainable_only || ps->p[i].trainable) n += ps->p[i].numel;
    return n;
}

/* transformers' Trainer.get_decay_parameter_names (v4.46): decay every
   parameter except those of ALL_LAYERNORM_LAYERS modules (nn.LayerNorm, and
   T5LayerNorm, which modeling_t5 appends) and those whose name contains
   "bias" anywhere -- T5's relative_attention_bias.weight included, not only
   names ending in ".bias". */
int ft_hf_no_decay(const char *name, const char *norm_marker)
{
    return strstr(name, "bias") != NULL || (norm_marker && strstr(name, norm_marker) != NULL);
}

int ft_params_add_hf(ft_params *ps, const char *name, int64_t d0, int64_t d1)
{
    int64_t shape[2] = { d0, d1 };
    return ft_params_add(ps, name, d1 ? 2 : 1, shape, ft_hf_no_decay(name, ps->norm_marker));
}
