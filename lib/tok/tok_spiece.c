/* tok_spiece: read a SentencePiece model (spiece.model, a protobuf
   ModelProto) into a Unigram tokenizer, as transformers' T5 slow->fast
   conversion builds it: Precompiled normalizer, WhitespaceSplit + Metaspace
   ("▁", always prepended), pieces with their scores, control and unknown
   pieces as special tokens, T5's <extra_id_N> appended, and "A </s>" /
   "A </s> B </s>" as post-processing.  Only the protobuf fields needed are
   decoded; everything else is skipped by wire type. */
#include "tok_internal.h"
#include "util.h"
#include <string.h>

typedef struct { const unsigned char *p, *end; int bad; } pb;

static uint64_t varint(pb *b)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end) { b->bad = 1; return 0; }
        unsigned c = *b->p++;
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) return v;
    }
    b->bad = 1;
    return 0;
}

/* Next field: returns 0 at the end; sets *field, *wt, and for wire type 2
   the payload in *sub, for 5 the 32 bits in *u32, for 0 the value in *v. */
static int next_field(pb *b, uint32_t *field, int *wt, pb *sub, uint32_t *u32, uint64_t *v)
{
    if (b->p >= b->end || b->bad) return 0;
    uint64_t key = varint(b);
    *field = key >> 3; *wt = key & 7;
    switch (*wt) {
    case 0: *v = varint(b); break;
    case 1: if (b->end - b->p < 8) b->bad = 1; else b->p += 8; break;
    case 2: {
        uint64_t n = varint(b);
        if (b->bad || n > (uint64_t)(b->end - b->p)) { b->bad = 1; return 0; }
        sub->p = b->p; sub->end = b->p + n; sub->bad = 0; b->p += n;
        break;
    }
    case 5:
        if (b->end - b->p < 4) { b->bad = 1; return 0; }
        *u32 = b->p[0] | b->p[1] << 8 | b->p[2] << 16 | (uint32_t)b->p[3] << 24; b->p += 4;
        break;
    default: b->bad = 1; return 0;
    }
    return !b->bad;
}

enum { SP_NORMAL = 1, SP_UNKNOWN = 2, SP_CONTROL = 3, SP_USER = 4, SP_UNUSED = 5, SP_BYTE = 6 };

/* Fills t from the protobuf bytes; extra_ids from tokenizer_config.json.
   Returns NULL or an error message (static or malloc'd by ft_xasprintf). */
char *tok_spiece_load(ft_tokenizer *t, const unsigned char *data, size_t n, int extra_ids)
{
    pb b = { data, data + n, 0 }, sub, f;
    uint32_t field, u32; int wt; uint64_t v;
    int npieces = 0, unk_id = 0, model_type = 1;
    const unsigned char *charsmap = NULL; size_t charsmap_n = 0;
    size_t cap = 0;
    t->model = MODEL_UNIGRAM;
    while (next_field(&b, &field, &wt, &sub, &u32, &v)) {
        if (field == 1 && wt == 2) {                     /* SentencePiece */
            const unsigned char *piece = NULL; size_t plen = 0;
            float score = 0; int type = SP_NORMAL;
            while (next_field(&sub, &field, &wt, &f, &u32, &v)) {
                if (field == 1 && wt == 2) { piece = f.p; plen = f.end - f.p; }
                else if (field == 2 && wt == 5) memcpy(&score, &u32, 4);
                else if (field == 3 && wt == 0) type = (int)v;
            }
            if (sub.bad || !piece) return ft_xasprintf("pieces[%d]: malformed", npieces);
            /* sentencepiece refuses it too ("piece must not be empty"); as an
               added token it matched everywhere and encode never advanced
               (finding 17) */
            if (!plen) return ft_xasprintf("pieces[%d]: empty", npieces);
            if (ft_utf8_check((const char *)piece, plen) != plen) return ft_xasprintf("pieces[%d]: not UTF-8", npieces);
            GROW(t->scores, cap, (size_t)npieces + 1);
            t->scores[npieces] = score;
            int old;
            if (tok_vocab_add(&t->vocab, (const char *)piece, plen, npieces, &old) < 0)
                return ft_xasprintf("pieces[%d]: \"%.*s\" repeats pieces[%d]", npieces, (int)plen, piece, old);
            if (plen > t->max_piece) t->max_piece = plen;
            if (type == SP_CONTROL || type == SP_UNKNOWN || type == SP_USER) {
                /* a piece may hold a NUL (valid UTF-8): copy all plen bytes */
                tok_added a = { ft_xmemdup((const char *)piece, plen), plen, npieces, type != SP_USER, 0, 0, 0, 0 };
                t->added = ft_xrealloc(t->added, (t->n_added + 1) * sizeof *t->added);
                t->added[t->n_added++] = a;
            }
            npieces++;
        } else if (field == 2 && wt == 2) {              /* TrainerSpec */
            while (next_field(&sub, &field, &wt, &f, &u32, &v)) {
                if (field == 3 && wt == 0) model_type = (int)v;
                else if (field == 40 && wt == 0) unk_id = (int)v;
            }
        } else if (field == 3 && wt == 2) {              /* NormalizerSpec */
            while (next_field(&sub, &field, &wt, &f, &u32, &v))
                if (field == 2 && wt == 2) { charsmap = f.p; charsmap_n = f.end - f.p; }
        }
    }
    if (b.bad) return ft_xstrdup("malformed protobuf");
    if (model_type != 1) return ft_xasprintf("model type %d is not Unigram (1); only Unigram models are read", model_type);
    if (!npieces) return ft_xstrdup("no pieces");
    if (unk_id < 0 || unk_id >= npieces) return ft_xasprintf("unk_id %d out of range", unk_id);
    /* T5Tokenizer appends <extra_id_{extra-1}> .. <extra_id_0> */
    for (int i = 0; i < extra_ids; i++) {
        char *name = ft_xasprintf("<extra_id_%d>", extra_ids - 1 - i);
        int id = npieces + i;
        GROW(t->scores, cap, (size_t)id + 1);
        t->scores[id] = 0;
        tok_vocab_add(&t->vocab, name, strlen(name), id, NULL);
        tok_added a = { name, strlen(name), id, 1, 0, 0, 0, 0 };
        t->added = ft_xrealloc(t->added, (t->n_added + 1) * sizeof *t->added);
        t->added[t->n_added++] = a;
    }
    t->min_score = t->scores[0];
    for (int i = 0; i < npieces + extra_ids; i++) if (t->scores[i] < t->min_score) t->min_score = t->scores[i];
    t->unk_id = unk_id;
    if (charsmap_n) {
        tok_norm nm = { .kind = NORM_PRECOMPILED };
        if (tok_precompiled_load_raw(&nm, charsmap, charsmap_n)) return ft_xstrdup("normalizer_spec.precompiled_charsmap: malformed");
        t->norms = ft_xmalloc(sizeof *t->norms); t->norms[0] = nm; t->n_norms = 1;
    }
    t->pres = ft_xcalloc(2, sizeof *t->pres);
    t->pres[0].kind = PRE_WHITESPACE_SPLIT;
    t->pres[1] = (tok_pre){ .kind = PRE_METASPACE, .repl = "\xe2\x96\x81", .repl_len = 3, .prepend = 1, .split = 1 };
    t->n_pres = 2;
    tok_add_decoder(t, (tok_dec){ .kind = DEC_METASPACE, .a = ft_xstrdup("\xe2\x96\x81"), .prepend = 1 });
    int eos = tok_vocab_get(&t->vocab, "</s>", 4);
    if (eos >= 0) {
        /* A </s>, A </s> B </s>, all type 0 */
        int32_t e = eos;
        tok_template *s = &t->single, *p = &t->pair;
        s->items = ft_xcalloc(2, sizeof *s->items); s->n = 2;
        s->items[0].seq = 0; s->items[1] = (tok_item){ -1, 0, 1, ft_xmalloc(sizeof e) }; s->items[1].ids[0] = e;
        p->items = ft_xcalloc(4, sizeof *p->items); p->n = 4;
        p->items[0].seq = 0; p->items[1] = (tok_item){ -1, 0, 1, ft_xmalloc(sizeof e) }; p->items[1].ids[0] = e;
        p->items[2].seq = 1; p->items[3] = (tok_item){ -1, 0, 1, ft_xmalloc(sizeof e) }; p->items[3].ids[0] = e;
        t->has_post = 1;
    }
    return NULL;
}
