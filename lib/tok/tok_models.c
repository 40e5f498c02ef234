/* tok_models: the word-level models.  WordPiece is greedy longest match
   first; BPE merges the lowest-ranked adjacent pair (leftmost on ties) until
   none is left, with a heap and lazy invalidation so long words stay
   O(n log n), and a per-thread cache of recent words. */
#include "tok_internal.h"
#include "util.h"
#include <string.h>

/* ---- WordPiece ---- */
static void wordpiece(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *w, size_t n)
{
    const unsigned char *u = (const unsigned char *)w;
    /* max_input_chars_per_word counts characters, not bytes */
    size_t nchars = 0;
    for (size_t i = 0; i < n; i++) nchars += (u[i] & 0xC0) != 0x80;
    if (nchars > (size_t)t->max_chars_per_word) { tok_push_id(s, seq, t->unk_id); return; }
    size_t mark = s->nids[seq], start = 0;
    while (start < n) {
        const tok_vocab *v = start ? &t->cont : &t->vocab;
        size_t end = n;
        if (end - start > v->max_len) {            /* no entry is longer */
            end = start + v->max_len;
            while (end > start && (u[end] & 0xC0) == 0x80) end--;
        }
        int id = -1;
        while (end > start) {
            id = tok_vocab_get(v, w + start, end - start);
            if (id >= 0) break;
            end--;
            while (end > start && (u[end] & 0xC0) == 0x80) end--;
        }
        if (id < 0) { s->nids[seq] = mark; tok_push_id(s, seq, t->unk_id); return; }
        tok_push_id(s, seq, id);
        start = end;
    }
}

/* ---- BPE ---- */
/* The merge of (l, r): 1 with its rank and new id, or 0. */
static inline int merge_find(const ft_tokenizer *t, int32_t l, int32_t r, int32_t *rank, int32_t *id)
{
    if (t->cmerges) {
        uint32_t key = (uint32_t)l << 16 | (uint32_t)r;
        uint32_t h = (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & t->cmerge_mask;
        for (;;) {
            const struct tok_cmerge *m = &t->cmerges[h];
            if (m->key == key) { *rank = m->rank; *id = m->id; return 1; }
            if (m->key == UINT32_MAX) return 0;
            h = (h + 1) & t->cmerge_mask;
        }
    }
    uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
    uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->merge_mask;
    for (;;) {
        const tok_merge *m = &t->merges[h];
        if (m->rank < 0) return 0;
        if (m->key == key) { *rank = m->rank; *id = m->id; return 1; }
        h = (h + 1) & t->merge_mask;
    }
}

void tok_byte_pairs(ft_tokenizer *t)
{
    if (!t->byte_level) return;
    for (int b = 0; b < 256; b++) if (t->byte_id[b] < 0) return;
    t->bytepair = ft_xmalloc(65536 * sizeof *t->bytepair);
    for (int i = 0; i < 65536; i++) {
        int32_t rank, id;
        if (merge_find(t, t->byte_id[i >> 8], t->byte_id[i & 255], &rank, &id)) t->bytepair[i] = (struct tok_bpair){ rank, id };
        else t->bytepair[i] = (struct tok_bpair){ -1, -1 };
    }
}

void tok_compact_merges(ft_tokenizer *t)
{
    if (t->vocab.n_ids > 65535) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i <= t->merge_mask; i++)
        if (t->merges[i].rank >= 0) { if (t->merges[i].rank > 65535) return; n++; }
    uint32_t cap = 1024;
    while (cap < n * 2) cap *= 2;
    t->cmerges = ft_xmalloc(cap * sizeof *t->cmerges);
    for (uint32_t i = 0; i < cap; i++) t->cmerges[i].key = UINT32_MAX;
    t->cmerge_mask = cap - 1;
    for (uint32_t i = 0; i <= t->merge_mask; i++) {
        const tok_merge *m = &t->merges[i];
        if (m->rank < 0) continue;
        uint32_t key = (uint32_t)(m->key >> 32) << 16 | (uint32_t)(m->key & 0xFFFF);
        uint32_t h = (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & t->cmerge_mask;
        while (t->cmerges[h].key != UINT32_MAX) h = (h + 1) & t->cmerge_mask;
        t->cmerges[h] = (struct tok_cmerge){ key, (uint16_t)m->rank, (uint16_t)m->id };
    }
}

static inline int pair_less(const struct bpe_pair *a, const struct bpe_pair *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(ft_tok_scratch *s, size_t *n, struct bpe_pair p)
{
    GROW(s->heap, s->heap_cap, *n + 1);
    size_t i = (*n)++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!pair_less(&p, &s->heap[up])) break;
        s->heap[i] = s->heap[up]; i = up;
    }
    s->heap[i] = p;
}

static struct bpe_pair heap_pop(ft_tok_scratch *s, size_t *n)
{
    struct bpe_pair top = s->heap[0], last = s->heap[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && pair_less(&s->heap[c + 1], &s->heap[c])) c++;
        if (!pair_less(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c]; i = c;
    }
    if (*n) s->heap[i] = last;
    return top;
}

static void try_pair(const ft_tokenizer *t, ft_tok_scratch *s, size_t *nh, int32_t pos)
{
    int32_t nx = s->syms[pos].next, rank, id;
    if (nx < 0) return;
    if (merge_find(t, s->syms[pos].id, s->syms[nx].id, &rank, &id))
        heap_push(s, nh, (struct bpe_pair){ rank, pos, s->syms[pos].id, s->syms[nx].id });
}

/* Initial symbols: bytes for byte-level models, otherwise characters.  A
   byte or character with no token becomes the byte-fallback tokens <0xXX>
   (when all of its bytes have one), else the unk token, else nothing: it is
   dropped and its neighbours may merge, as the crate's merge_word does.  No
   symbol is ever -1 (a merge lookup on -1 once matched an empty slot of the
   compact merge table and returned an uninitialised id: finding 7). */
static size_t bpe_symbols(const ft_tokenizer *t, ft_tok_scratch *s, const char *w, size_t n)
{
    GROW(s->syms, s->syms_cap, n + 1);
    size_t k = 0;
    const unsigned char *u = (const unsigned char *)w;
    if (t->bytepair) {                  /* byte-level with every byte in the vocabulary */
        for (size_t i = 0; i < n; i++) s->syms[k++].id = t->byte_id[u[i]];
    } else {
        for (size_t i = 0; i < n;) {
            size_t len = 1;
            int id;
            if (t->byte_level) id = t->byte_id[u[i]];
            else {
                while (i + len < n && (u[i + len] & 0xC0) == 0x80) len++;
                id = tok_vocab_get(&t->vocab, w + i, len);
            }
            size_t fb = 0;
            if (id < 0 && t->byte_fallback && !t->byte_level)
                while (fb < len && t->byte_id[u[i + fb]] >= 0) fb++;
            if (id >= 0) s->syms[k++].id = id;
            else if (fb && fb == len) {
                for (size_t j = 0; j < len; j++) s->syms[k++].id = t->byte_id[u[i + j]];
            } else if (t->unk_id >= 0) {
                if (!(t->fuse_unk && k && s->syms[k - 1].id == t->unk_id)) s->syms[k++].id = t->unk_id;
            }
            i += len;
        }
    }
    for (size_t i = 0; i < k; i++) { s->syms[i].prev = (int32_t)i - 1; s->syms[i].next = i + 1 < k ? (int32_t)i + 1 : -1; }
    return k;
}

/* Word cache: direct-mapped, words up to CW bytes and CI ids.  A hit costs
   one hash and one memcmp; most words in text repeat.  The fuzz build lowers
   the slots (-DFT_TOK_CACHE_SLOTS): 700 KB zeroed for every scratch is most
   of an encode harness's time under ASan, and a small cache evicts often. */
#ifndef FT_TOK_CACHE_SLOTS
#define FT_TOK_CACHE_SLOTS 8192
#endif
#define CACHE_SLOTS FT_TOK_CACHE_SLOTS
#define CW 30
#define CI 14
struct bpe_cache {
    struct { uint8_t wlen, nids; char w[CW]; int32_t ids[CI]; } e[CACHE_SLOTS];
};

void tok_cache_free(struct bpe_cache *c) { free(c); }

static void bpe(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *w, size_t n)
{
    if (t->ignore_merges) {
        int id = tok_vocab_get(&t->vocab, w, n);
        if (id >= 0) { tok_push_id(s, seq, id); return; }
    }
    size_t k = bpe_symbols(t, s, w, n), nh = 0;
    if (t->bytepair) {
        /* the symbols are the bytes themselves: first pairs by direct index */
        const unsigned char *u = (const unsigned char *)w;
        for (size_t i = 0; i + 1 < k; i++) {
            const struct tok_bpair *bp = &t->bytepair[u[i] << 8 | u[i + 1]];
            if (bp->rank >= 0)
                heap_push(s, &nh, (struct bpe_pair){ bp->rank, (int32_t)i, s->syms[i].id, s->syms[i + 1].id });
        }
    } else
        for (size_t i = 0; i + 1 < k; i++) try_pair(t, s, &nh, i);
    while (nh) {
        struct bpe_pair p = heap_pop(s, &nh);
        struct bpe_sym *a = &s->syms[p.pos];
        if (a->id != p.left || a->next < 0 || s->syms[a->next].id != p.right) continue;  /* stale */
        int32_t b = a->next;
        int32_t rank = 0, id = 0;
        merge_find(t, p.left, p.right, &rank, &id);
        a->id = id;
        a->next = s->syms[b].next;
        if (a->next >= 0) s->syms[a->next].prev = p.pos;
        s->syms[b].id = -1;                         /* dead */
        if (a->prev >= 0) try_pair(t, s, &nh, a->prev);
        try_pair(t, s, &nh, p.pos);
    }
    for (int32_t i = k ? 0 : -1; i >= 0; i = s->syms[i].next)
        if (s->syms[i].id >= 0) tok_push_id(s, seq, s->syms[i].id);
}

/* ---- Unigram prefix trie: every prefix of every piece, hashed
   incrementally (one multiply per byte), so that walking from a position
   costs one probe per byte and stops as soon as no piece continues. ---- */
static inline uint64_t pstep(uint64_t h, unsigned char b) { return (h ^ b) * 0x100000001b3ull; }
#define PSEED 0xcbf29ce484222325ull

static struct uni_prefix *pfind(const ft_tokenizer *t, uint64_t h, uint32_t len)
{
    uint32_t i = (uint32_t)(h ^ h >> 29) & t->pref_mask;
    for (;;) {
        struct uni_prefix *e = &t->pref[i];
        if (!e->len) return NULL;
        if (e->h == h && e->len == len) return e;
        i = (i + 1) & t->pref_mask;
    }
}

void tok_unigram_build(ft_tokenizer *t)
{
    size_t total = 0;
    for (int id = 0; id < t->vocab.n_ids; id++) { size_t n; if (tok_vocab_str(&t->vocab, id, &n)) total += n; }
    uint32_t cap = 1024;
    while (cap < total * 2) cap *= 2;
    t->pref = ft_xcalloc(cap, sizeof *t->pref);
    t->pref_mask = cap - 1;
    for (int id = 0; id < t->vocab.n_ids; id++) {
        size_t n; const char *p = tok_vocab_str(&t->vocab, id, &n);
        if (!p) continue;
        uint64_t h = PSEED;
        for (size_t l = 1; l <= n; l++) {
            h = pstep(h, (unsigned char)p[l - 1]);
            struct uni_prefix *e = pfind(t, h, l);
            if (!e) {
                uint32_t i = (uint32_t)(h ^ h >> 29) & t->pref_mask;
                while (t->pref[i].len) i = (i + 1) & t->pref_mask;
                e = &t->pref[i];
                e->h = h; e->len = l; e->id = -1; e->witness = id;
            }
            if (l == n && tok_vocab_get(&t->vocab, p, n) == id) e->id = id;
        }
    }
}

/* ---- Unigram: Viterbi over byte positions.  Each piece ending at a
   position competes by total log-probability (ties: the shorter, found
   first); a character no piece covers is <unk> at min_score - 10.  Runs of
   <unk> fuse into one, as the crate's fuse_unk does. ---- */
static void unigram(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *w, size_t n)
{
    const unsigned char *u = (const unsigned char *)w;
    GROW(s->lat, s->lat_cap, n + 1);
    struct uni_node *lat = s->lat;
    for (size_t i = 0; i <= n; i++) { lat[i].start = -1; lat[i].score = 0; lat[i].id = -1; }
    double unk_score = t->min_score - 10.0;
    for (size_t i = 0; i < n;) {
        size_t mb = 1;
        while (i + mb < n && (u[i + mb] & 0xC0) == 0x80) mb++;
        double here = lat[i].score;
        int single = 0;
        uint64_t h = PSEED;
        for (size_t l = 1; i + l <= n; l++) {
            h = pstep(h, u[i + l - 1]);
            const struct uni_prefix *e = pfind(t, h, l);
            if (!e) break;                              /* no piece goes on */
            if (e->id < 0) continue;
            size_t pl; const char *p = tok_vocab_str(&t->vocab, e->id, &pl);
            if (memcmp(p, w + i, l)) continue;          /* hash collision */
            double sc = here + t->scores[e->id];
            struct uni_node *nd = &lat[i + l];
            if (nd->start < 0 || sc > nd->score) { nd->score = sc; nd->start = i; nd->id = e->id; }
            if (l == mb) single = 1;
        }
        if (!single) {
            struct uni_node *nd = &lat[i + mb];
            double sc = here + unk_score;
            if (nd->start < 0 || sc > nd->score) { nd->score = sc; nd->start = i; nd->id = t->unk_id; }
        }
        i += mb;
    }
    /* walk back from the end, then append in order */
    size_t first = s->nids[seq];
    for (size_t e = n; e > 0; e = lat[e].start) {
        int id = lat[e].id;
        if (id == t->unk_id && s->nids[seq] > first && s->ids[seq][s->nids[seq] - 1] == t->unk_id) continue;
        tok_push_id(s, seq, id);
    }
    int32_t *a = s->ids[seq] + first;
    for (size_t i = 0, j = s->nids[seq] - first; i + 1 < j; i++, j--) { int32_t x = a[i]; a[i] = a[j - 1]; a[j - 1] = x; }
}

void tok_model_word(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *w, size_t n)
{
    if (!n) return;
    /* WordPiece is cheaper than the cache (mostly one lookup a CJK char) */
    if (t->model == MODEL_WORDPIECE) { wordpiece(t, s, seq, w, n); return; }
    uint32_t slot = 0;
    if (n <= CW) {
        if (!s->cache) s->cache = ft_xcalloc(1, sizeof *s->cache);
        slot = (uint32_t)tok_hash_bytes(w, n) & (CACHE_SLOTS - 1);
        if (s->cache->e[slot].wlen == n && s->cache->e[slot].nids &&
            memcmp(s->cache->e[slot].w, w, n) == 0) {
            size_t k = s->cache->e[slot].nids;
            GROW(s->ids[seq], s->ids_cap[seq], s->nids[seq] + k);
            memcpy(s->ids[seq] + s->nids[seq], s->cache->e[slot].ids, k * sizeof(int32_t));
            s->nids[seq] += k;
            return;
        }
    }
    size_t first = s->nids[seq];
    if (t->model == MODEL_UNIGRAM) unigram(t, s, seq, w, n);
    else bpe(t, s, seq, w, n);
    size_t got = s->nids[seq] - first;
    if (n <= CW && got <= CI && got > 0) {
        s->cache->e[slot].wlen = n; s->cache->e[slot].nids = got;
        memcpy(s->cache->e[slot].w, w, n);
        memcpy(s->cache->e[slot].ids, s->ids[seq] + first, got * sizeof(int32_t));
    }
}
