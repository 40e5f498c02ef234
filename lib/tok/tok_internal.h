/* tok_internal: the loaded tokenizer's parts, shared by the tok_*.c files
   (load, normalize, pre-tokenize, models, encode).  Not a public header. */
#ifndef FT_TOK_INTERNAL_H
#define FT_TOK_INTERNAL_H
#include "tokenizer.h"
#include "tok_unicode.h"
#include "regex.h"
#include "util.h"
#include <stdint.h>
#include <stdlib.h>

/* Ids a vocabulary file may give: below 2^22, 16 times the largest real
   vocabulary (~260k), so the per-id tables stay near 40 MB (finding 16). */
#define TOK_MAX_ID (1 << 22)

/* ---- string -> id map: open addressing over one pool of bytes ---- */
typedef struct tok_vocab {
    char *pool; size_t pool_len, pool_cap;
    uint32_t *off, *len;          /* per id: bytes in pool; len UINT32_MAX = unused id */
    int n_ids;                    /* highest id + 1 */
    size_t ids_cap;               /* room in off/len */
    int32_t *slots; uint32_t mask; uint32_t used;
    uint32_t max_len;             /* longest entry, bounds WordPiece's search */
} tok_vocab;
void tok_vocab_init(tok_vocab *v);
void tok_vocab_free(tok_vocab *v);
/* Adds s as id; returns 0, or -1 when s is already present (with *old its id). */
int tok_vocab_add(tok_vocab *v, const char *s, size_t n, int id, int *old);
int tok_vocab_get(const tok_vocab *v, const char *s, size_t n);
const char *tok_vocab_str(const tok_vocab *v, int id, size_t *n);
uint64_t tok_hash_bytes(const char *s, size_t n);

/* ---- normalizers: a flat list (Sequence is flattened at load) ---- */
enum { NORM_BERT, NORM_NFC, NORM_NFD, NORM_NFKC, NORM_NFKD, NORM_LOWER,
       NORM_STRIP_ACCENTS, NORM_REPLACE, NORM_PREPEND, NORM_STRIP, NORM_PRECOMPILED };
typedef struct tok_norm {
    int kind;
    int clean_text, chinese, strip_accents, lowercase;   /* NORM_BERT */
    char *pat, *content;                                 /* REPLACE (literal), PREPEND */
    int left, right;                                     /* STRIP */
    uint32_t *trie; uint32_t trie_n; char *pool; size_t pool_n;   /* PRECOMPILED */
    int32_t ascii_rep[128];              /* PRECOMPILED: pool offset for an ASCII char, -1: itself */
} tok_norm;
int tok_precompiled_load(tok_norm *nm, const char *b64);
int tok_precompiled_load_raw(tok_norm *nm, const unsigned char *bin, size_t n);
size_t tok_precompiled_apply(const tok_norm *nm, const char *in, size_t n, char **out, size_t *cap);

/* ---- pre-tokenizers: a flat list applied in order ---- */
enum { PRE_BERT, PRE_BYTELEVEL, PRE_WHITESPACE, PRE_WHITESPACE_SPLIT,
       PRE_METASPACE, PRE_DIGITS, PRE_PUNCT, PRE_SPLIT_GPT2, PRE_SPLIT };
/* Split behaviours (SplitDelimiterBehavior) */
enum { SPLIT_REMOVED, SPLIT_ISOLATED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT, SPLIT_CONTIGUOUS };
typedef struct tok_pre {
    int kind;
    int add_prefix_space, use_regex;     /* BYTELEVEL */
    int individual_digits;               /* DIGITS */
    char repl[8]; int repl_len;          /* METASPACE replacement (UTF-8) */
    int prepend;                         /* METASPACE: 0 never, 1 always, 2 first */
    int split;                           /* METASPACE */
    /* SPLIT: a literal (lit) or a regex (re), a behaviour, and invert */
    char *lit; size_t lit_len; ft_regex *re; int behavior, invert;
} tok_pre;

/* ---- models ---- */
enum { MODEL_WORDPIECE, MODEL_BPE, MODEL_UNIGRAM };
typedef struct tok_merge { uint64_t key; int32_t rank, id; } tok_merge;

/* ---- post-processor as a template: items are a special token's ids or a
   sequence (A=0, B=1), each with its type id ---- */
typedef struct tok_item { int seq; int type_id; int nids; int32_t *ids; } tok_item;
typedef struct tok_template { tok_item *items; int n; } tok_template;

typedef struct tok_added {
    char *s; size_t n; int id; int special;
    int lstrip, rstrip, single_word, normalized;
} tok_added;

struct ft_tokenizer {
    char *describe; uint64_t hash;
    tok_vocab vocab;
    int model;
    int unk_id;
    /* WordPiece */
    tok_vocab cont;                 /* continuing pieces, keyed without the prefix */
    char *cont_prefix; size_t cont_prefix_len;
    int max_chars_per_word;
    /* BPE */
    tok_merge *merges; uint32_t merge_mask;
    /* the same table in 8 bytes an entry when ids and ranks fit 16 bits
       (GPT-2, RoBERTa): half the cache misses on the hot path */
    struct tok_cmerge { uint32_t key; uint16_t rank, id; } *cmerges; uint32_t cmerge_mask;
    /* byte-level: the merge of every pair of single bytes, by direct index,
       for a word's first pass (rank, id; rank -1 when none) */
    struct tok_bpair { int32_t rank, id; } *bytepair;
    int byte_level;                 /* vocab keys are raw bytes (ByteLevel alphabet undone) */
    int byte_fallback, fuse_unk, ignore_merges;
    int32_t byte_id[256];           /* id of each single byte token, -1 if absent */
    /* Unigram */
    double *scores; double min_score;
    uint32_t max_piece;             /* longest piece in bytes */
    struct uni_prefix { uint64_t h; uint32_t len; int32_t id, witness; } *pref;  /* prefix trie as a hash */
    uint32_t pref_mask;
    /* pipeline */
    tok_norm *norms; int n_norms;
    tok_pre *pres; int n_pres;
    tok_template single, pair;
    int has_post;
    tok_added *added; int n_added;
    uint8_t added_first[256];       /* bytes an added token may start with */
    int pad_id, has_type_ids, model_max_length;
    char *config_pad;               /* tokenizer_config.json's pad_token, if any */
    /* decoder */
    struct tok_dec *decs; int n_decs;   /* decoder chain, in order */
    uint8_t *is_special;            /* per id */
    uint8_t *is_bytes; size_t is_bytes_cap;  /* per id: stored as raw bytes (byte-level alphabet undone) */
};

/* ---- decoders: a flat chain, each turning the token strings into new ones ---- */
enum { DEC_WORDPIECE, DEC_BYTELEVEL, DEC_METASPACE, DEC_BPE, DEC_BYTEFALLBACK, DEC_FUSE,
       DEC_STRIP, DEC_REPLACE };
typedef struct tok_dec {
    int kind;
    char *a, *b;            /* WORDPIECE prefix; METASPACE replacement; BPE suffix;
                               STRIP content; REPLACE pattern (a) and content (b) */
    int cleanup;            /* WORDPIECE */
    int prepend;            /* METASPACE: strip the first token's space */
    int start, stop;        /* STRIP */
} tok_dec;
static inline void tok_add_decoder(ft_tokenizer *t, tok_dec d)
{
    t->decs = ft_xrealloc(t->decs, (t->n_decs + 1) * sizeof *t->decs);
    t->decs[t->n_decs++] = d;
}

/* Per-thread growable buffers. */
typedef struct tok_span { uint32_t start, end; } tok_span;
struct ft_tok_scratch {
    char *norm; size_t norm_cap;            /* normalized text */
    char *norm2; size_t norm2_cap;          /* second buffer for multi-step normalizers */
    tok_span *spans; size_t nspans, spans_cap;
    tok_span *spans2; size_t spans2_cap;
    char *pre; size_t pre_cap;              /* rewritten text for Metaspace */
    size_t piece_off;                       /* where the text being split starts in the input */
    struct tok_mark { uint32_t start, end; int match; } *marks; size_t marks_cap;  /* Split */
    void *region;                           /* Oniguruma's match region (tok_regex.c) */
    int32_t *ids[2]; size_t nids[2], ids_cap[2];
    /* BPE work */
    struct bpe_sym { int32_t id, prev, next; } *syms; size_t syms_cap;
    struct bpe_pair { int32_t rank, pos, left, right; } *heap; size_t heap_cap;
    /* Unigram lattice, one node per byte position */
    struct uni_node { double score; int32_t start, id; } *lat; size_t lat_cap;
    /* BPE word cache: direct mapped, see tok_models.c */
    struct bpe_cache *cache;
};

/* Grow ptr (cap elements) to hold at least need elements, doubling. */
#define GROW(ptr, cap, need) do { \
        if ((need) > (cap)) { \
            size_t _c = (cap) ? (cap) : 64; \
            while (_c < (need)) _c *= 2; \
            (ptr) = ft_xrealloc((ptr), _c * sizeof *(ptr)); \
            (cap) = _c; \
        } \
    } while (0)

/* tok_normalize.c: normalize s into s->norm; returns its length. */
size_t tok_normalize(const ft_tokenizer *t, ft_tok_scratch *s, const char *in, size_t n);
/* tok_pretok.c: split text[0..n) (which lives in a scratch buffer) into
   s->spans; may rewrite the text into s->pre and return the new pointer. */
const char *tok_pretokenize(const ft_tokenizer *t, ft_tok_scratch *s, const char *text, size_t n);
/* tok_models.c: append the ids of one pre-token to s->ids[seq]. */
void tok_model_word(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *w, size_t n);
void tok_cache_free(struct bpe_cache *c);
void tok_unigram_build(ft_tokenizer *t);
void tok_compact_merges(ft_tokenizer *t);
void tok_byte_pairs(ft_tokenizer *t);
/* tok_spiece.c: NULL, or an error message to free */
char *tok_spiece_load(ft_tokenizer *t, const unsigned char *data, size_t n, int extra_ids);
/* tok_bytes.c: byte-level alphabet (byte -> code point and back) */
void tok_bytes_init(void);          /* before tok_cp_to_byte; idempotent */
uint32_t tok_byte_to_cp(int b);
int tok_cp_to_byte(uint32_t cp);    /* -1: not in the alphabet */

static inline void tok_push_id(ft_tok_scratch *s, int seq, int32_t id)
{
    GROW(s->ids[seq], s->ids_cap[seq], s->nids[seq] + 1);
    s->ids[seq][s->nids[seq]++] = id;
}
#endif
