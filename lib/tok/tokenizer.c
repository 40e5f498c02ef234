/* tokenizer: the encode pipeline.  For each text: split out added tokens,
   normalize each remaining piece, pre-tokenize it, run the model on each
   word; then truncate, add the post-processor's special tokens, pad.
   Order and arithmetic follow the Rust crate's TokenizerImpl::encode and
   post_process. */
#include "tok_internal.h"
#include "util.h"
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif


void ft_encoding_free(ft_encoding *e)
{
    free(e->ids); free(e->type_ids); free(e->attention_mask); free(e->special_mask);
    memset(e, 0, sizeof *e);
}

const char *ft_tok_describe(const ft_tokenizer *t) { return t->describe; }
uint64_t ft_tok_hash(const ft_tokenizer *t) { return t->hash; }
int ft_tok_vocab_size(const ft_tokenizer *t) { return t->vocab.n_ids; }
int ft_tok_pad_id(const ft_tokenizer *t) { return t->pad_id; }
int ft_tok_has_type_ids(const ft_tokenizer *t) { return t->has_type_ids; }
int ft_tok_is_special(const ft_tokenizer *t, int id) { return id >= 0 && id < t->vocab.n_ids && t->is_special[id]; }

int ft_tok_mask_id(const ft_tokenizer *t)
{
    static const char *masks[] = { "[MASK]", "<mask>", NULL };
    for (int i = 0; masks[i]; i++) {
        int id = tok_vocab_get(&t->vocab, masks[i], strlen(masks[i]));
        if (id >= 0) return id;
    }
    return -1;
}
int ft_tok_model_max_length(const ft_tokenizer *t) { return t->model_max_length; }
int ft_tok_token_to_id(const ft_tokenizer *t, const char *s, size_t n) { return tok_vocab_get(&t->vocab, s, n); }
const char *ft_tok_id_to_token(const ft_tokenizer *t, int id, size_t *n) { return tok_vocab_str(&t->vocab, id, n); }

/* ---- added tokens ---- */

static int is_word_cp(uint32_t c)
{
    return (ft_uc_class(c) & (FT_UC_L | FT_UC_N)) || c == '_';
}

/* Is there an added token (of the given normalized-ness, -1: either) at text+i?  Returns
   its index, with the match widened by lstrip/rstrip into [*a, *b). */
static int added_at(const ft_tokenizer *t, const char *text, size_t n, size_t i, int normalized,
                    size_t *a, size_t *b)
{
    const unsigned char *u = (const unsigned char *)text;
    for (int k = 0; k < t->n_added; k++) {
        const tok_added *ad = &t->added[k];
        if ((normalized >= 0 && ad->normalized != normalized) || ad->n > n - i || memcmp(text + i, ad->s, ad->n)) continue;
        size_t s = i, e = i + ad->n;
        if (ad->single_word) {
            uint32_t cp; int len;
            if (s > 0) {
                size_t p = s - 1;
                while (p > 0 && (u[p] & 0xC0) == 0x80) p--;
                if (ft_utf8_decode(u + p, n - p, &cp) && is_word_cp(cp)) continue;
            }
            if (e < n && (len = ft_utf8_decode(u + e, n - e, &cp)) && is_word_cp(cp)) continue;
        }
        if (ad->lstrip)
            while (s > 0) {
                size_t p = s - 1; uint32_t cp;
                while (p > 0 && (u[p] & 0xC0) == 0x80) p--;
                if (!ft_utf8_decode(u + p, n - p, &cp) || !(ft_uc_class(cp) & FT_UC_RWS)) break;
                s = p;
            }
        if (ad->rstrip)
            while (e < n) {
                uint32_t cp; int len = ft_utf8_decode(u + e, n - e, &cp);
                if (!len || !(ft_uc_class(cp) & FT_UC_RWS)) break;
                e += len;
            }
        *a = s; *b = e;
        return k;
    }
    return -1;
}

/* Pre-tokenize and model one piece of normalized text (no added tokens). */
static void encode_plain(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *text, size_t n)
{
    if (!n) return;
    text = tok_pretokenize(t, s, text, n);
    for (size_t i = 0; i < s->nspans; i++)
        tok_model_word(t, s, seq, text + s->spans[i].start, s->spans[i].end - s->spans[i].start);
}

/* Normalize a piece, then split out normalized added tokens. */
static void encode_piece(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *in, size_t n,
                         int has_norm_added)
{
    if (!n) return;
    size_t m = tok_normalize(t, s, in, n);
    if (!has_norm_added) { encode_plain(t, s, seq, s->norm, m); return; }
    /* the normalized text must survive pre-tokenizing its parts: copy it */
    char *buf = ft_xmalloc(m + 1);
    memcpy(buf, s->norm, m);
    size_t w = 0;
    for (size_t i = 0; i < m; i++) {
        size_t a, b;
        if (!t->added_first[(unsigned char)buf[i]]) continue;
        int k = added_at(t, buf, m, i, 1, &a, &b);
        if (k < 0 || a < w) continue;
        encode_plain(t, s, seq, buf + w, a - w);
        tok_push_id(s, seq, t->added[k].id);
        w = b; i = b - 1;
        s->piece_off += 1;      /* later parts do not start the input */
    }
    encode_plain(t, s, seq, buf + w, m - w);
    free(buf);
}

/* One input text into s->ids[seq]. */
static void encode_text(const ft_tokenizer *t, ft_tok_scratch *s, int seq, const char *text, size_t n)
{
    s->nids[seq] = 0;
    int has_norm = 0, has_raw = 0;
    for (int k = 0; k < t->n_added; k++) { if (t->added[k].normalized) has_norm = 1; else has_raw = 1; }
    /* without a normalizer, normalized tokens are found on the raw text */
    if (!t->n_norms) { has_raw |= has_norm; has_norm = 0; }
    size_t w = 0;
    if (has_raw)
        for (size_t i = 0; i < n; i++) {
            size_t a, b;
            if (!t->added_first[(unsigned char)text[i]]) continue;
            int k = added_at(t, text, n, i, t->n_norms ? 0 : -1, &a, &b);
            if (k < 0 || a < w) continue;
            s->piece_off = w;
            encode_piece(t, s, seq, text + w, a - w, has_norm);
            tok_push_id(s, seq, t->added[k].id);
            w = b; i = b - 1;
        }
    s->piece_off = w;
    encode_piece(t, s, seq, text + w, n - w, has_norm);
}

static size_t n_special(const tok_template *tp)
{
    size_t n = 0;
    for (int i = 0; i < tp->n; i++) n += tp->items[i].nids;
    return n;
}

static void enc_reserve(ft_encoding *e, size_t n)
{
    if (n <= e->cap) return;
    size_t c = e->cap ? e->cap : 64;
    while (c < n) c *= 2;
    e->ids = ft_xrealloc(e->ids, c * sizeof *e->ids);
    e->type_ids = ft_xrealloc(e->type_ids, c * sizeof *e->type_ids);
    e->attention_mask = ft_xrealloc(e->attention_mask, c * sizeof *e->attention_mask);
    e->special_mask = ft_xrealloc(e->special_mask, c * sizeof *e->special_mask);
    e->cap = c;
}

/* Appends k ids with one type; room must have been reserved. */
static void enc_append(ft_encoding *e, const int32_t *ids, size_t k, int32_t type, int32_t special)
{
    if (!k) return;                 /* ids may be NULL then */
    memcpy(e->ids + e->n, ids, k * sizeof *ids);
    for (size_t i = 0; i < k; i++) {
        e->type_ids[e->n + i] = type;
        e->attention_mask[e->n + i] = 1;
        e->special_mask[e->n + i] = special;
    }
    e->n += k;
}

/* truncate_encodings of the Rust crate, on lengths (direction right). */
static int truncate(ft_trunc how, size_t max, size_t *n1, size_t *n2, int pair, const char **err)
{
    /* nothing left after the special tokens: the crate empties both texts
       before looking at the strategy (Llama 2's one <s> at max_length 1) */
    if (max == 0) { *n1 = 0; *n2 = 0; return 0; }
    size_t total = *n1 + *n2;
    if (total <= max) return 0;
    size_t remove = total - max;
    if (how == FT_TRUNC_LONGEST_FIRST) {
        if (!pair) { *n1 = max; return 0; }
        size_t a = *n1, b = *n2;
        if (a >= max && b >= max) {
            /* both at least max long: the crate (0.23, unlike its older
               source) gives the first max/2 and the second the rest,
               whichever is longer; probed over all lengths < 10, max <= 6 */
            *n1 = max / 2; *n2 = max - max / 2;
            return 0;
        }
        int swap = a > b;                   /* a: the shorter */
        if (swap) { size_t x = a; a = b; b = x; }
        b = a > max - a ? a : max - a;
        if (a + b > max) { a = max / 2; b = a + max % 2; }
        if (swap) { size_t x = a; a = b; b = x; }
        if (a < *n1) *n1 = a;
        if (b < *n2) *n2 = b;
        return 0;
    }
    size_t *target = how == FT_TRUNC_ONLY_FIRST ? n1 : n2;
    if (how == FT_TRUNC_ONLY_SECOND && !pair) { *err = "truncation only_second needs a text pair"; return -1; }
    if (*target <= remove) {
        *err = "sequence to truncate too short to respect the provided max_length";
        return -1;
    }
    *target -= remove;
    return 0;
}

/* Pad e on the right to length len with the pad token (attention 0). */
static void ft_tok_pad(const ft_tokenizer *t, ft_encoding *e, size_t len)
{
    enc_reserve(e, len);
    while (e->n < len) {
        e->ids[e->n] = t->pad_id; e->type_ids[e->n] = 0;
        e->attention_mask[e->n] = 0; e->special_mask[e->n] = 1;
        e->n++;
    }
}

int ft_tok_encode(const ft_tokenizer *t, ft_tok_scratch *s,
                  const char *a, size_t alen, const char *b, size_t blen,
                  const ft_tok_opts *o, ft_encoding *e, const char **err)
{
    int pair = b != NULL;
    if (ft_utf8_check(a, alen) != alen || (pair && ft_utf8_check(b, blen) != blen)) {
        *err = "invalid UTF-8";
        return -1;
    }
    encode_text(t, s, 0, a, alen);
    s->nids[1] = 0;
    if (pair) encode_text(t, s, 1, b, blen);
    const tok_template *tp = pair ? &t->pair : &t->single;
    int special = o->add_special_tokens && t->has_post;
    size_t n1 = s->nids[0], n2 = s->nids[1];
    if (o->truncation != FT_TRUNC_NONE && o->max_length > 0) {
        size_t added = special ? n_special(tp) : 0;
        if ((size_t)o->max_length < added) { *err = "max_length is shorter than the special tokens"; return -1; }
        if (truncate(o->truncation, o->max_length - added, &n1, &n2, pair, err)) return -1;
    }
    e->n = 0;
    enc_reserve(e, n1 + n2 + (special ? n_special(tp) : 0));
    if (t->has_post) {
        /* without special tokens the template still gives the type ids */
        for (int i = 0; i < tp->n; i++) {
            const tok_item *it = &tp->items[i];
            if (it->seq < 0) { if (special) enc_append(e, it->ids, it->nids, it->type_id, 1); continue; }
            enc_append(e, s->ids[it->seq], it->seq ? n2 : n1, it->type_id, 0);
        }
    } else {
        enc_append(e, s->ids[0], n1, 0, 0);
        enc_append(e, s->ids[1], n2, 1, 0);
    }
    if (o->padding == FT_PAD_MAX_LENGTH && o->max_length > 0 && e->n < (size_t)o->max_length) {
        if (t->pad_id < 0) { *err = "padding requested but the tokenizer has no pad token"; return -1; }
        ft_tok_pad(t, e, o->max_length);
    }
    return 0;
}

struct ft_tok_team { int n; ft_tok_scratch **s; };

ft_tok_team *ft_tok_team_new(int nthreads)
{
    ft_tok_team *team = ft_xcalloc(1, sizeof *team);
    team->n = nthreads < 1 ? 1 : nthreads;
    team->s = ft_xcalloc(team->n, sizeof *team->s);
    for (int i = 0; i < team->n; i++) team->s[i] = ft_tok_scratch_new();
    return team;
}

void ft_tok_team_free(ft_tok_team *team)
{
    if (!team) return;
    for (int i = 0; i < team->n; i++) ft_tok_scratch_free(team->s[i]);
    free(team->s);
    free(team);
}

int ft_tok_encode_batch(const ft_tokenizer *t, ft_tok_team *team, size_t n,
                        const char *const *a, const size_t *alen,
                        const char *const *b, const size_t *blen,
                        const ft_tok_opts *o, ft_encoding *out,
                        size_t *bad, const char **err)
{
    size_t first_bad = n;
    const char *bad_err = NULL;
    #pragma omp parallel num_threads(team->n) if (team->n > 1 && n > 1)
    {
#ifdef _OPENMP
        ft_tok_scratch *s = team->s[omp_get_thread_num()];
#else
        ft_tok_scratch *s = team->s[0];
#endif
        #pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < n; i++) {
            const char *e = NULL;
            const char *bi = b ? b[i] : NULL;
            if (ft_tok_encode(t, s, a[i], alen[i], bi, bi ? blen[i] : 0, o, &out[i], &e)) {
                #pragma omp critical(ft_tok_bad)
                if (i < first_bad) { first_bad = i; bad_err = e; }
            }
        }
    }
    if (first_bad < n) { *bad = first_bad; *err = bad_err; return -1; }
    if (o->padding == FT_PAD_LONGEST) {
        size_t longest = 0;
        for (size_t i = 0; i < n; i++) if (out[i].n > longest) longest = out[i].n;
        if (longest && t->pad_id < 0) { *bad = 0; *err = "padding requested but the tokenizer has no pad token"; return -1; }
        for (size_t i = 0; i < n; i++) ft_tok_pad(t, &out[i], longest);
    }
    return 0;
}

/* ---- decoding: ids -> token strings -> the decoder chain -> text ---- */

/* A list of strings in one buffer; decoders read one list, write another. */
typedef struct { char *buf; size_t len, cap; size_t *off, *n; size_t count, tcap; } toklist;

static void tl_add(toklist *l, const char *s, size_t k)
{
    if (l->len + k + 1 > l->cap) {
        size_t c = l->cap ? l->cap : 256;
        while (c < l->len + k + 1) c *= 2;
        l->buf = ft_xrealloc(l->buf, c); l->cap = c;
    }
    if (l->count == l->tcap) {
        l->tcap = l->tcap ? 2 * l->tcap : 64;
        l->off = ft_xrealloc(l->off, l->tcap * sizeof *l->off);
        l->n = ft_xrealloc(l->n, l->tcap * sizeof *l->n);
    }
    memcpy(l->buf + l->len, s, k);
    l->off[l->count] = l->len; l->n[l->count] = k; l->count++;
    l->len += k;
}
/* append to the last string (which must be the last thing in buf) */
static void tl_cat(toklist *l, const char *s, size_t k)
{
    if (l->len + k + 1 > l->cap) {
        size_t c = l->cap ? l->cap : 256;
        while (c < l->len + k + 1) c *= 2;
        l->buf = ft_xrealloc(l->buf, c); l->cap = c;
    }
    memcpy(l->buf + l->len, s, k);
    l->len += k; l->n[l->count - 1] += k;
}
static void tl_free(toklist *l) { free(l->buf); free(l->off); free(l->n); }

/* The WordPiece decoder's clean-up, on one token with its leading space. */
static size_t wp_cleanup(char *s, size_t n)
{
    static const struct { const char *from, *to; } rules[] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"} };
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        size_t fl = strlen(rules[r].from), tl = strlen(rules[r].to), o = 0;
        for (size_t i = 0; i < n;) {
            if (i + fl <= n && !memcmp(s + i, rules[r].from, fl)) { memmove(s + o, rules[r].to, tl); o += tl; i += fl; }
            else s[o++] = s[i++];
        }
        n = o;
    }
    return n;
}

/* <0xAB> -> 0xAB, or -1 */
static int byte_token(const char *s, size_t n)
{
    if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>') return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
                           c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static void apply_decoder(const tok_dec *d, const toklist *in, toklist *out)
{
    out->len = out->count = 0;
    size_t al = d->a ? strlen(d->a) : 0;
    switch (d->kind) {
    case DEC_BYTELEVEL: {
        /* a token wholly in the byte alphabet becomes its bytes, any other
           stays as it is; all joined, then read as UTF-8 lossily */
        tl_add(out, "", 0);
        for (size_t i = 0; i < in->count; i++) {
            const unsigned char *u = (const unsigned char *)in->buf + in->off[i];
            size_t n = in->n[i], k = 0, mark = out->len;
            int all = 1;
            while (k < n) {
                uint32_t cp; int l = ft_utf8_decode(u + k, n - k, &cp);
                int b = l ? tok_cp_to_byte(cp) : -1;
                if (b < 0) { all = 0; break; }
                char c = (char)b;
                tl_cat(out, &c, 1);
                k += l;
            }
            if (!all) {
                out->n[out->count - 1] -= out->len - mark; out->len = mark;
                tl_cat(out, in->buf + in->off[i], n);
            }
        }
        if (ft_utf8_check(out->buf, out->len) != out->len) {
            char *fixed = ft_xmalloc(out->len * 3 + 1);
            size_t m = ft_utf8_repair(out->buf, out->len, fixed);
            out->len = out->count = 0;
            tl_add(out, fixed, m);
            free(fixed);
        }
        return;
    }
    case DEC_FUSE:
        tl_add(out, "", 0);
        for (size_t i = 0; i < in->count; i++) tl_cat(out, in->buf + in->off[i], in->n[i]);
        return;
    case DEC_BYTEFALLBACK: {
        char bytes[256]; size_t nb = 0;
        for (size_t i = 0; i <= in->count; i++) {
            int b = i < in->count ? byte_token(in->buf + in->off[i], in->n[i]) : -1;
            if (b >= 0 && nb < sizeof bytes) { bytes[nb++] = (char)b; continue; }
            if (nb) {
                if (ft_utf8_check(bytes, nb) == nb) tl_add(out, bytes, nb);
                else for (size_t k = 0; k < nb; k++) tl_add(out, "\xef\xbf\xbd", 3);
                nb = 0;
            }
            if (i < in->count) tl_add(out, in->buf + in->off[i], in->n[i]);
        }
        return;
    }
    default: break;
    }
    for (size_t i = 0; i < in->count; i++) {
        const char *s = in->buf + in->off[i];
        size_t n = in->n[i];
        switch (d->kind) {
        case DEC_WORDPIECE: {
            tl_add(out, "", 0);
            if (i && n >= al && !memcmp(s, d->a, al)) { s += al; n -= al; }
            else if (i) tl_cat(out, " ", 1);
            tl_cat(out, s, n);
            if (d->cleanup) {
                size_t m = wp_cleanup(out->buf + out->off[out->count - 1], out->n[out->count - 1]);
                out->len -= out->n[out->count - 1] - m; out->n[out->count - 1] = m;
            }
            break;
        }
        case DEC_METASPACE:
        case DEC_REPLACE: {
            /* Metaspace: the replacement becomes a space, except in the first
               token, where (with a prefix scheme) it goes altogether */
            const char *pat = d->a, *rep = d->kind == DEC_REPLACE ? d->b : i == 0 && d->prepend ? "" : " ";
            size_t pl = strlen(pat), rl = strlen(rep);
            tl_add(out, "", 0);
            for (size_t k = 0; k < n;) {
                if (pl && k + pl <= n && !memcmp(s + k, pat, pl)) { tl_cat(out, rep, rl); k += pl; }
                else { tl_cat(out, s + k, 1); k++; }
            }
            break;
        }
        case DEC_BPE: {
            /* the suffix ends a word: a space, but nothing after the last token */
            tl_add(out, "", 0);
            for (size_t k = 0; k < n;) {
                if (al && k + al <= n && !memcmp(s + k, d->a, al)) { if (i + 1 < in->count) tl_cat(out, " ", 1); k += al; }
                else { tl_cat(out, s + k, 1); k++; }
            }
            break;
        }
        case DEC_STRIP: {
            size_t a = 0, b = n;
            for (int k = 0; k < d->start && a + al <= b && !memcmp(s + a, d->a, al); k++) a += al;
            for (int k = 0; k < d->stop && b >= a + al && !memcmp(s + b - al, d->a, al); k++) b -= al;
            tl_add(out, s + a, b - a);
            break;
        }
        }
    }
}

size_t ft_tok_decode(const ft_tokenizer *t, const int32_t *ids, size_t n,
                     int skip_special, char **buf, size_t *cap)
{
    toklist l[2] = {{0}};
    for (size_t i = 0; i < n; i++) {
        size_t k;
        const char *s = tok_vocab_str(&t->vocab, ids[i], &k);
        if (!s) continue;
        if (skip_special && t->is_special[ids[i]]) continue;
        if ((size_t)ids[i] < t->is_bytes_cap && t->is_bytes[ids[i]]) {
            /* back to the byte-level alphabet ("Ġthe"), as the decoders see it */
            tl_add(&l[0], "", 0);
            for (size_t j = 0; j < k; j++) {
                char u[4]; int ul = ft_utf8_encode(tok_byte_to_cp((unsigned char)s[j]), u);
                tl_cat(&l[0], u, ul);
            }
        } else tl_add(&l[0], s, k);
    }
    int cur = 0;
    for (int d = 0; d < t->n_decs; d++) { apply_decoder(&t->decs[d], &l[cur], &l[1 - cur]); cur = 1 - cur; }
    size_t len = 0;
    for (size_t i = 0; i < l[cur].count; i++) len += l[cur].n[i];
    if (len + 1 > *cap) { *cap = len + 1; *buf = ft_xrealloc(*buf, *cap); }
    size_t o = 0;
    for (size_t i = 0; i < l[cur].count; i++) { memcpy(*buf + o, l[cur].buf + l[cur].off[i], l[cur].n[i]); o += l[cur].n[i]; }
    (*buf)[o] = 0;
    tl_free(&l[0]); tl_free(&l[1]);
    return o;
}
