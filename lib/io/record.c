#include "record.h"
#include "util.h"
#include <string.h>

#define BLOCK_MIN (64 * 1024)

void *ft_arena_alloc(ft_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    while (a->nblocks == 0 || a->used + n > a->cap) {
        if (a->cur + 1 < a->nblocks) {     /* move on to a block kept from before */
            a->cur++;
            a->cap = *(size_t *)a->blocks[a->cur];
            a->used = 16;
            continue;
        }
        size_t cap = n + 16 > BLOCK_MIN ? n + 16 : BLOCK_MIN;
        if (a->nblocks && cap < 2 * a->cap) cap = 2 * a->cap;
        a->blocks = ft_xrealloc(a->blocks, (a->nblocks + 1) * sizeof *a->blocks);
        a->blocks[a->nblocks] = ft_xmalloc(cap);
        *(size_t *)a->blocks[a->nblocks] = cap;     /* first 16 bytes: the size */
        a->cur = a->nblocks++;
        a->cap = cap;
        a->used = 16;
    }
    void *p = a->blocks[a->cur] + a->used;
    a->used += n;
    return p;
}

char *ft_arena_strdup(ft_arena *a, const char *s, size_t n)
{
    char *p = ft_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void ft_arena_reset(ft_arena *a)
{
    if (!a->nblocks) return;
    a->cur = 0;
    a->cap = *(size_t *)a->blocks[0];
    a->used = 16;
}

void ft_arena_free(ft_arena *a)
{
    for (size_t i = 0; i < a->nblocks; i++) free(a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

void ft_record_clear(ft_record *r)
{
    r->n = 0;
    ft_arena_reset(&r->arena);
}

void ft_record_free(ft_record *r)
{
    free(r->fields);
    ft_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

ft_value *ft_value_new(ft_arena *a, ft_vtype type)
{
    ft_value *v = ft_arena_alloc(a, sizeof *v);
    memset(v, 0, sizeof *v);
    v->type = type;
    return v;
}

ft_value *ft_record_add(ft_record *r, const char *key, size_t klen)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->fields = ft_xrealloc(r->fields, r->cap * sizeof *r->fields);
    }
    ft_field *f = &r->fields[r->n++];
    f->key = ft_arena_strdup(&r->arena, key, klen);
    f->klen = klen;
    f->val = ft_value_new(&r->arena, FT_V_NIL);
    return f->val;
}

const ft_value *ft_record_get(const ft_record *r, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < r->n; i++)
        if (r->fields[i].klen == klen && memcmp(r->fields[i].key, key, klen) == 0)
            return r->fields[i].val;
    return NULL;
}

void ft_record_set_str(ft_record *r, const char *key, const char *s, size_t len)
{
    ft_value *v = ft_record_add(r, key, strlen(key));
    v->type = FT_V_STR;
    v->str.s = ft_arena_strdup(&r->arena, s, len);
    v->str.len = len;
}

void ft_record_set_int(ft_record *r, const char *key, int64_t x)
{
    ft_value *v = ft_record_add(r, key, strlen(key));
    v->type = FT_V_INT;
    v->i = x;
}

void ft_record_set_float(ft_record *r, const char *key, double x)
{
    ft_value *v = ft_record_add(r, key, strlen(key));
    v->type = FT_V_FLOAT;
    v->f = x;
}

ft_tensor *ft_record_set_tensor(ft_record *r, const char *key, ft_dtype dt,
                                int ndim, const int64_t *shape, const void *data)
{
    ft_value *v = ft_record_add(r, key, strlen(key));
    v->type = FT_V_TENSOR;
    v->t.dtype = dt;
    v->t.ndim = ndim;
    memcpy(v->t.shape, shape, ndim * sizeof *shape);
    size_t bytes = ft_tensor_numel(&v->t) * ft_dtype_size(dt);
    v->t.data = ft_arena_alloc(&r->arena, bytes);
    if (data) memcpy(v->t.data, data, bytes);
    return &v->t;
}
