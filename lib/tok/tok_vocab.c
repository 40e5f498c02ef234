/* tok_vocab: the string -> id map every model uses.  One byte pool, one
   open-addressed slot array of ids; lookups hash the caller's bytes in place,
   so no key is ever built or allocated while encoding. */
#include "tok_internal.h"
#include "util.h"
#include <string.h>
#include <xxhash.h>

uint64_t tok_hash_bytes(const char *s, size_t n) { return XXH3_64bits(s, n); }

void tok_vocab_init(tok_vocab *v)
{
    memset(v, 0, sizeof *v);
    v->mask = 1023;
    v->slots = ft_xmalloc((v->mask + 1) * sizeof *v->slots);
    memset(v->slots, 0xff, (v->mask + 1) * sizeof *v->slots);
}

void tok_vocab_free(tok_vocab *v)
{
    free(v->pool); free(v->off); free(v->len); free(v->slots);
    memset(v, 0, sizeof *v);
}

static void rehash(tok_vocab *v)
{
    uint32_t mask = v->mask * 2 + 1;
    int32_t *slots = ft_xmalloc((size_t)(mask + 1) * sizeof *slots);
    memset(slots, 0xff, (size_t)(mask + 1) * sizeof *slots);
    for (int id = 0; id < v->n_ids; id++) {
        if (v->len[id] == UINT32_MAX) continue;
        uint32_t h = tok_hash_bytes(v->pool + v->off[id], v->len[id]) & mask;
        while (slots[h] >= 0) h = (h + 1) & mask;
        slots[h] = id;
    }
    free(v->slots);
    v->slots = slots; v->mask = mask;
}

int tok_vocab_get(const tok_vocab *v, const char *s, size_t n)
{
    uint32_t h = tok_hash_bytes(s, n) & v->mask;
    for (;;) {
        int32_t id = v->slots[h];
        if (id < 0) return -1;
        if (v->len[id] == n && memcmp(v->pool + v->off[id], s, n) == 0) return id;
        h = (h + 1) & v->mask;
    }
}

const char *tok_vocab_str(const tok_vocab *v, int id, size_t *n)
{
    if (id < 0 || id >= v->n_ids || v->len[id] == UINT32_MAX) return NULL;
    if (n) *n = v->len[id];
    return v->pool + v->off[id];
}

int tok_vocab_add(tok_vocab *v, const char *s, size_t n, int id, int *old)
{
    int prev = tok_vocab_get(v, s, n);
    if (prev >= 0) { if (old) *old = prev; return -1; }
    if ((size_t)id >= v->ids_cap) {
        size_t cap = v->ids_cap ? v->ids_cap : 1024;
        while (cap <= (size_t)id) cap *= 2;
        v->off = ft_xrealloc(v->off, cap * sizeof *v->off);
        v->len = ft_xrealloc(v->len, cap * sizeof *v->len);
        for (size_t i = v->ids_cap; i < cap; i++) v->len[i] = UINT32_MAX;
        v->ids_cap = cap;
    }
    if (id >= v->n_ids) v->n_ids = id + 1;
    /* an id given twice: the later string wins; the loader reports it */
    GROW(v->pool, v->pool_cap, v->pool_len + n + 1);
    memcpy(v->pool + v->pool_len, s, n);
    v->pool[v->pool_len + n] = 0;
    v->off[id] = v->pool_len; v->len[id] = n;
    v->pool_len += n + 1;
    if (n > v->max_len) v->max_len = n;
    if ((v->used + 1) * 4 > (v->mask + 1) * 3) rehash(v);
    uint32_t h = tok_hash_bytes(s, n) & v->mask;
    while (v->slots[h] >= 0) h = (h + 1) & v->mask;
    v->slots[h] = id;
    v->used++;
    return 0;
}
