/* tok_normalize: the normalizers of tokenizer.json, applied in order.  Each
   step reads one scratch buffer and writes the other.  The BERT step, the one
   on the hot path for BERT models, is a single pass over the bytes with the
   probed class table. */
#include "tok_internal.h"
#include "util.h"
#include <string.h>
#include <utf8proc.h>

/* clean_text + handle_chinese_chars, as BertNormalizer does them: drop
   controls (and NUL, U+FFFD), turn whitespace into ' ', put spaces around CJK
   ideographs.  Output is at most 3x the input. */
static size_t bert_pass(const tok_norm *nm, const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0, o = 0;
    while (i < n) {
        if (u[i] < 0x80) {            /* ASCII fast path */
            unsigned c = u[i++];
            unsigned k = ft_uc_table[c];
            if (nm->clean_text && (k & FT_UC_CTRL)) continue;
            out[o++] = (nm->clean_text && (k & FT_UC_WS)) ? ' ' : (char)c;
            continue;
        }
        uint32_t cp;
        int len = ft_utf8_decode(u + i, n - i, &cp);
        if (!len) { out[o++] = in[i++]; continue; }     /* caller validated; be safe */
        unsigned k = ft_uc_table[cp];
        if (nm->clean_text && (k & FT_UC_CTRL)) { i += len; continue; }
        if (nm->clean_text && (k & FT_UC_WS)) { out[o++] = ' '; i += len; continue; }
        if (nm->chinese && (k & FT_UC_CJK)) {
            out[o++] = ' '; memcpy(out + o, in + i, len); o += len; out[o++] = ' ';
        } else { memcpy(out + o, in + i, len); o += len; }
        i += len;
    }
    return o;
}

/* Rust's char::to_lowercase is the full mapping; it differs from the simple
   one (utf8proc_tolower) only for U+0130, which becomes "i" + U+0307. */
static size_t lower_pass(const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0, o = 0;
    while (i < n) {
        if (u[i] < 0x80) { unsigned c = u[i++]; out[o++] = (c >= 'A' && c <= 'Z') ? c + 32 : c; continue; }
        uint32_t cp; int len = ft_utf8_decode(u + i, n - i, &cp);
        if (!len) { out[o++] = in[i++]; continue; }
        i += len;
        if (cp == 0x130) { out[o++] = 'i'; o += ft_utf8_encode(0x307, out + o); continue; }
        o += ft_utf8_encode(utf8proc_tolower(cp), out + o);
    }
    return o;
}

/* Unicode normalization through utf8proc; options pick the form. */
static size_t utf8proc_pass(const char *in, size_t n, int opts, char **out, size_t *cap)
{
    utf8proc_uint8_t *res = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)in, n, &res,
                                      opts | UTF8PROC_STABLE);
    if (r < 0) { free(res); GROW(*out, *cap, n + 1); memcpy(*out, in, n); return n; }
    GROW(*out, *cap, (size_t)r + 1);
    memcpy(*out, res, r);
    free(res);
    return r;
}

/* Drop the characters whose class has `mark`: StripAccents drops every
   combining mark of the text as it stands; BertNormalizer's strip_accents
   first decomposes (NFD), then drops the old crate's Mn. */
static size_t drop_marks(const char *in, size_t n, unsigned mark, char **out, size_t *cap)
{
    GROW(*out, *cap, n + 16);
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t cp; int len = ft_utf8_decode(u + i, n - i, &cp);
        if (!len) { (*out)[o++] = in[i++]; continue; }
        if (!(ft_uc_class(cp) & mark)) { memcpy(*out + o, in + i, len); o += len; }
        i += len;
    }
    return o;
}

static size_t strip_accents_pass(const char *in, size_t n, char **out, size_t *cap)
{
    char *tmp = NULL; size_t tcap = 0;
    size_t m = utf8proc_pass(in, n, UTF8PROC_DECOMPOSE, &tmp, &tcap);
    m = drop_marks(tmp, m, FT_UC_MN, out, cap);
    free(tmp);
    return m;
}

static size_t replace_pass(const tok_norm *nm, const char *in, size_t n, char **out, size_t *cap)
{
    size_t pl = strlen(nm->pat), cl = strlen(nm->content), o = 0;
    GROW(*out, *cap, n * (cl > pl ? cl / (pl ? pl : 1) + 1 : 1) + 1);
    for (size_t i = 0; i < n;) {
        if (pl && i + pl <= n && memcmp(in + i, nm->pat, pl) == 0) {
            memcpy(*out + o, nm->content, cl); o += cl; i += pl;
        } else (*out)[o++] = in[i++];
    }
    return o;
}

static int is_ws_cp(uint32_t c) { return (ft_uc_class(c) & FT_UC_RWS) != 0; }

static size_t strip_pass(const tok_norm *nm, const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t a = 0, b = n;
    uint32_t cp;
    while (nm->left && a < b) {
        int len = ft_utf8_decode(u + a, b - a, &cp);
        if (!len || !is_ws_cp(cp)) break;
        a += len;
    }
    while (nm->right && b > a) {
        size_t k = b - 1;
        while (k > a && (u[k] & 0xC0) == 0x80) k--;
        int len = ft_utf8_decode(u + k, b - k, &cp);
        if (!len || !is_ws_cp(cp)) break;
        b = k;
    }
    memmove(out, in + a, b - a);
    return b - a;
}

size_t tok_normalize(const ft_tokenizer *t, ft_tok_scratch *s, const char *in, size_t n)
{
    GROW(s->norm, s->norm_cap, n * 3 + 16);
    if (t->n_norms == 0) { memcpy(s->norm, in, n); return n; }
    const char *cur = in;
    size_t len = n;
    for (int k = 0; k < t->n_norms; k++) {
        const tok_norm *nm = &t->norms[k];
        /* write into whichever buffer cur is not */
        char **dst = cur == s->norm ? &s->norm2 : &s->norm;
        size_t *dcap = cur == s->norm ? &s->norm2_cap : &s->norm_cap;
        size_t m;
        switch (nm->kind) {
        case NORM_BERT:
            GROW(*dst, *dcap, len * 3 + 16);
            m = bert_pass(nm, cur, len, *dst);
            if (nm->strip_accents || nm->lowercase) {
                /* second stage works from dst into the other buffer */
                const char *src = *dst;
                char **d2 = dst == &s->norm ? &s->norm2 : &s->norm;
                size_t *c2 = dst == &s->norm ? &s->norm2_cap : &s->norm_cap;
                if (nm->strip_accents) {
                    m = strip_accents_pass(src, m, d2, c2);
                    src = *d2; dst = d2; d2 = dst == &s->norm ? &s->norm2 : &s->norm;
                    c2 = dst == &s->norm ? &s->norm2_cap : &s->norm_cap;
                }
                if (nm->lowercase) {
                    GROW(*d2, *c2, m * 3 + 16);
                    m = lower_pass(src, m, *d2);
                    dst = d2;
                }
            }
            break;
        case NORM_LOWER: GROW(*dst, *dcap, len * 3 + 16); m = lower_pass(cur, len, *dst); break;
        case NORM_NFC:  m = utf8proc_pass(cur, len, UTF8PROC_COMPOSE, dst, dcap); break;
        case NORM_NFD:  m = utf8proc_pass(cur, len, UTF8PROC_DECOMPOSE, dst, dcap); break;
        case NORM_NFKC: m = utf8proc_pass(cur, len, UTF8PROC_COMPOSE | UTF8PROC_COMPAT, dst, dcap); break;
        case NORM_NFKD: m = utf8proc_pass(cur, len, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, dst, dcap); break;
        case NORM_STRIP_ACCENTS: m = drop_marks(cur, len, FT_UC_MARK, dst, dcap); break;
        case NORM_REPLACE: m = replace_pass(nm, cur, len, dst, dcap); break;
        case NORM_PREPEND: {
            size_t pl = strlen(nm->content);
            GROW(*dst, *dcap, len + pl + 16);
            if (len) { memcpy(*dst, nm->content, pl); memcpy(*dst + pl, cur, len); m = len + pl; }
            else m = 0;
            break;
        }
        case NORM_STRIP: GROW(*dst, *dcap, len + 16); m = strip_pass(nm, cur, len, *dst); break;
        case NORM_PRECOMPILED: m = tok_precompiled_apply(nm, cur, len, dst, dcap); break;
        default: m = 0;
        }
        cur = *dst; len = m;
    }
    if (cur != s->norm) { GROW(s->norm, s->norm_cap, len + 16); memcpy(s->norm, cur, len); }
    return len;
}
