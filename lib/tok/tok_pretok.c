/* tok_pretok: pre-tokenizers split normalized text into words (spans of
   bytes).  Each step refines the spans of the step before.  The byte-level
   (GPT-2) regex is a hand-written scanner over the probed Oniguruma classes,
   so no regex engine runs per byte; other Split regexes run on Oniguruma
   itself (lib/common/regex.c). */
#include "tok_internal.h"
#include "util.h"
#include <string.h>
#include <utf8proc.h>

static inline void emit(ft_tok_scratch *s, uint32_t a, uint32_t b)
{
    if (b <= a) return;
    GROW(s->spans2, s->spans2_cap, s->nspans + 1);
    s->spans2[s->nspans].start = a;
    s->spans2[s->nspans].end = b;
    s->nspans++;
}

static inline uint32_t cp_at(const unsigned char *u, size_t i, size_t n, int *len)
{
    if (u[i] < 0x80) { *len = 1; return u[i]; }
    uint32_t cp;
    *len = ft_utf8_decode(u + i, n - i, &cp);
    if (!*len) { *len = 1; return 0xFFFD; }
    return cp;
}

/* BertPreTokenizer: whitespace separates and is dropped, each punctuation
   character is a word of its own. */
static void split_bert(ft_tok_scratch *s, const unsigned char *u, size_t a, size_t b)
{
    size_t w = a, i = a;
    while (i < b) {
        int len; uint32_t c = cp_at(u, i, b, &len);
        unsigned k = ft_uc_class(c);
        if (k & FT_UC_RWS) { emit(s, w, i); w = i + len; }
        else if (k & FT_UC_PUNCT) { emit(s, w, i); emit(s, i, i + len); w = i + len; }
        i += len;
    }
    emit(s, w, b);
}

/* Class of a character for the GPT-2 pattern:
   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
enum { GL = 1, GN = 2, GS = 3, GO = 4 };
static inline int gclass(uint32_t c)
{
    unsigned k = ft_uc_class(c);
    return (k & FT_UC_L) ? GL : (k & FT_UC_N) ? GN : (k & FT_UC_S) ? GS : GO;
}

static inline size_t run_of(const unsigned char *u, size_t i, size_t b, int cls)
{
    while (i < b) {
        int len; uint32_t c = cp_at(u, i, b, &len);
        if (gclass(c) != cls) break;
        i += len;
    }
    return i;
}

static void split_gpt2(ft_tok_scratch *s, const unsigned char *u, size_t a, size_t b)
{
    size_t i = a;
    while (i < b) {
        if (u[i] == '\'' && i + 1 < b) {          /* contractions, lower case only */
            unsigned c1 = u[i + 1], c2 = i + 2 < b ? u[i + 2] : 0;
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') { emit(s, i, i + 2); i += 2; continue; }
            if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                emit(s, i, i + 3); i += 3; continue;
            }
        }
        int len; uint32_t c = cp_at(u, i, b, &len);
        int cls = gclass(c);
        size_t j = i;
        if (c == ' ' && i + 1 < b) {             /* " ?X+" takes one leading space */
            int l2; int cls2 = gclass(cp_at(u, i + 1, b, &l2));
            if (cls2 != GS) { j = run_of(u, i + 1, b, cls2); emit(s, i, j); i = j; continue; }
        }
        if (cls != GS) { j = run_of(u, i, b, cls); emit(s, i, j); i = j; continue; }
        /* whitespace: \s+(?!\S) backtracks to leave the last space before a
           non-space for the next match; a lone one is matched by \s+ */
        j = run_of(u, i, b, GS);
        if (j < b) {
            size_t last = j - 1;
            while ((u[last] & 0xC0) == 0x80) last--;
            if (last > i) { emit(s, i, last); i = last; continue; }
        }
        emit(s, i, j); i = j;
    }
}

static void split_ws(ft_tok_scratch *s, const unsigned char *u, size_t a, size_t b)
{
    size_t w = a, i = a;
    while (i < b) {
        int len; uint32_t c = cp_at(u, i, b, &len);
        if (ft_uc_class(c) & FT_UC_RWS) { emit(s, w, i); w = i + len; }
        i += len;
    }
    emit(s, w, b);
}

/* Whitespace: \w+|[^\w\s]+ with the Rust regex crate's classes (probed). */
static void split_whitespace(ft_tok_scratch *s, const unsigned char *u, size_t a, size_t b)
{
    size_t i = a;
    while (i < b) {
        int len; uint32_t c = cp_at(u, i, b, &len);
        unsigned k = ft_uc_class(c);
        if (k & FT_UC_RS) { i += len; continue; }
        int w = (k & FT_UC_W) != 0;
        size_t j = i + len;
        while (j < b) {
            int l2; unsigned k2 = ft_uc_class(cp_at(u, j, b, &l2));
            if ((k2 & FT_UC_RS) || ((k2 & FT_UC_W) != 0) != w) break;
            j += l2;
        }
        emit(s, i, j); i = j;
    }
}

static void split_digits(ft_tok_scratch *s, const unsigned char *u, size_t a, size_t b, int individual)
{
    size_t w = a, i = a;
    int prev = -1;
    while (i < b) {
        int len; uint32_t c = cp_at(u, i, b, &len);
        int d = (ft_uc_class(c) & FT_UC_N) != 0;     /* char::is_numeric: any N */
        if (i > a && (d != prev || (d && individual))) { emit(s, w, i); w = i; }
        prev = d; i += len;
    }
    emit(s, w, b);
}

/* Split: the pattern's matches and the gaps between them as marks covering
   [a, b), as the crate's Pattern::find_matches gives them. */
static inline void mark(ft_tok_scratch *s, size_t *n, size_t a, size_t b, int match)
{
    GROW(s->marks, s->marks_cap, *n + 1);
    s->marks[*n].start = a; s->marks[*n].end = b; s->marks[*n].match = match;
    (*n)++;
}

/* A literal's leftmost non-overlapping occurrences. */
static size_t marks_literal(ft_tok_scratch *s, const tok_pre *p, const unsigned char *u, size_t a, size_t b)
{
    const size_t L = p->lit_len;
    size_t n = 0, prev = a, i = a;
    while (i + L <= b) {
        if (u[i] != (unsigned char)p->lit[0] || memcmp(u + i, p->lit, L)) { i++; continue; }
        if (prev != i) mark(s, &n, prev, i, 0);
        mark(s, &n, i, i + L, 1);
        prev = i += L;
    }
    if (prev != b) mark(s, &n, prev, b, 0);
    return n;
}

/* A regex's matches, iterated as the onig crate's find_iter does: after an
   empty match the search moves on one character, and an empty match right
   after a non-empty one is skipped. */
static size_t marks_regex(ft_tok_scratch *s, const tok_pre *p, const unsigned char *u, size_t a, size_t b)
{
    const size_t len = b - a;
    size_t n = 0, prev = 0, from = 0, ms, me;
    int skip_next_empty = 0;
    while (from <= len && ft_regex_search(p->re, &s->region, u + a, len, from, &ms, &me)) {
        from = me;
        if (me == ms) {
            int cl = 1;
            if (from < len) cp_at(u + a, from, len, &cl);
            from += cl;
            if (skip_next_empty) { skip_next_empty = 0; continue; }
        } else skip_next_empty = 1;
        if (prev != ms) mark(s, &n, a + prev, a + ms, 0);
        mark(s, &n, a + ms, a + me, 1);
        prev = me;
    }
    if (prev != len) mark(s, &n, a + prev, b, 0);
    return n;
}

/* The crate's NormalizedString::split: marks to pieces by the behaviour
   (folded in place), empty pieces dropped. */
static void split_pattern(ft_tok_scratch *s, const tok_pre *p, const unsigned char *u, size_t a, size_t b)
{
    size_t n = p->re ? marks_regex(s, p, u, a, b) : marks_literal(s, p, u, a, b), k = 0;
    struct tok_mark *m = s->marks;
    if (p->invert) for (size_t i = 0; i < n; i++) m[i].match = !m[i].match;
    int prev = 0;
    switch (p->behavior) {
    case SPLIT_ISOLATED: k = n; break;
    case SPLIT_REMOVED:
        for (size_t i = 0; i < n; i++) if (!m[i].match) m[k++] = m[i];
        break;
    case SPLIT_CONTIGUOUS:
    case SPLIT_MERGED_PREV:
        for (size_t i = 0; i < n; i++) {
            int is = m[i].match;
            int join = p->behavior == SPLIT_CONTIGUOUS ? is == prev : is && !prev;
            if (join && k) m[k - 1].end = m[i].end; else m[k++] = m[i];
            prev = is;
        }
        break;
    case SPLIT_MERGED_NEXT: {        /* the same fold from the end */
        size_t top = n;
        for (size_t i = n; i-- > 0;) {
            int is = m[i].match;
            if (is && !prev && top < n) m[top].start = m[i].start; else m[--top] = m[i];
            prev = is;
        }
        memmove(m, m + top, (n - top) * sizeof *m);
        k = n - top;
        break;
    }
    }
    for (size_t i = 0; i < k; i++) emit(s, m[i].start, m[i].end);
}

static void split_punct(ft_tok_scratch *s, const unsigned char *u, size_t a, size_t b)
{
    size_t w = a, i = a;
    while (i < b) {
        int len; uint32_t c = cp_at(u, i, b, &len);
        if (ft_uc_class(c) & FT_UC_PUNCT) { emit(s, w, i); emit(s, i, i + len); w = i + len; }
        i += len;
    }
    emit(s, w, b);
}

/* Metaspace, per word as the crate applies it to each split: spaces become
   the replacement (U+2581), one is prepended unless already there, and the
   word splits before each replacement (MergedWithNext).  The rewritten words
   go to s->pre; new spans point there. */
static const char *metaspace(const tok_pre *p, ft_tok_scratch *s, const char *text, size_t nin)
{
    size_t total = 0;
    for (size_t i = 0; i < nin; i++) total += s->spans[i].end - s->spans[i].start;
    GROW(s->pre, s->pre_cap, total * p->repl_len + (nin + 1) * p->repl_len + 16);
    char *out = s->pre;
    size_t o = 0;
    const size_t rl = p->repl_len;
    s->nspans = 0;
    for (size_t k = 0; k < nin; k++) {
        size_t a = s->spans[k].start, b = s->spans[k].end, w0 = o;
        int first = p->prepend == 2 ? a == 0 && s->piece_off == 0 : p->prepend;
        if (first && !(b - a >= rl && memcmp(text + a, p->repl, rl) == 0)) { memcpy(out + o, p->repl, rl); o += rl; }
        for (size_t i = a; i < b; i++) {
            if (text[i] == ' ') { memcpy(out + o, p->repl, rl); o += rl; }
            else out[o++] = text[i];
        }
        if (!p->split) { emit(s, w0, o); continue; }
        size_t w = w0;
        for (size_t i = w0; i < o;) {
            if (i + rl <= o && memcmp(out + i, p->repl, rl) == 0) {
                if (i > w) { emit(s, w, i); w = i; }
                i += rl;
            } else i++;
        }
        emit(s, w, o);
    }
    return out;
}

const char *tok_pretokenize(const ft_tokenizer *t, ft_tok_scratch *s, const char *text, size_t n)
{
    GROW(s->spans, s->spans_cap, 1);
    s->spans[0].start = 0; s->spans[0].end = n;
    size_t nin = n ? 1 : 0;
    for (int k = 0; k < t->n_pres; k++) {
        const tok_pre *p = &t->pres[k];
        if (p->kind == PRE_BYTELEVEL && p->add_prefix_space && n && text[0] != ' ') {
            GROW(s->pre, s->pre_cap, n + 2);
            s->pre[0] = ' '; memmove(s->pre + 1, text, n);
            text = s->pre; n++;
            for (size_t i = 0; i < nin; i++) { s->spans[i].end++; if (i) s->spans[i].start++; }
        }
        if (p->kind == PRE_METASPACE) {
            text = metaspace(p, s, text, nin);
            goto swap;
        }
        s->nspans = 0;
        const unsigned char *u = (const unsigned char *)text;
        for (size_t i = 0; i < nin; i++) {
            size_t a = s->spans[i].start, b = s->spans[i].end;
            switch (p->kind) {
            case PRE_BERT: split_bert(s, u, a, b); break;
            case PRE_BYTELEVEL: if (p->use_regex) split_gpt2(s, u, a, b); else emit(s, a, b); break;
            case PRE_WHITESPACE: split_whitespace(s, u, a, b); break;
            case PRE_WHITESPACE_SPLIT: split_ws(s, u, a, b); break;
            case PRE_DIGITS: split_digits(s, u, a, b, p->individual_digits); break;
            case PRE_PUNCT: split_punct(s, u, a, b); break;
            case PRE_SPLIT_GPT2: split_gpt2(s, u, a, b); break;
            case PRE_SPLIT: split_pattern(s, p, u, a, b); break;
            }
        }
    swap:;
        tok_span *tmp = s->spans; size_t tc = s->spans_cap;
        s->spans = s->spans2; s->spans_cap = s->spans2_cap;
        s->spans2 = tmp; s->spans2_cap = tc;
        nin = s->nspans;
    }
    s->nspans = nin;
    return text;
}
