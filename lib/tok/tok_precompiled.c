/* tok_precompiled: SentencePiece's "precompiled_charsmap" normalizer (T5,
   ALBERT, XLNet ...): a darts-clone double-array trie from UTF-8 byte
   strings to replacement strings.  Applied as the Rust crate does: per
   extended grapheme cluster, the whole cluster (if under 6 bytes) is looked
   up first, else each character; a lookup takes the trie's first (shortest)
   prefix match and replaces the whole chunk with it. */
#include "tok_internal.h"
#include "util.h"
#include <string.h>
#include <utf8proc.h>

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static const char *first_match(const tok_norm *nm, const unsigned char *s, size_t n);

/* Parses the raw blob: u32 trie size in bytes, the trie units, then the
   NUL-terminated replacement strings.  Returns 0, or -1 when malformed. */
int tok_precompiled_load_raw(tok_norm *nm, const unsigned char *bin, size_t o)
{
    if (o < 4) return -1;
    uint32_t tsize = bin[0] | bin[1] << 8 | bin[2] << 16 | (uint32_t)bin[3] << 24;
    if (tsize % 4 || 4 + (size_t)tsize > o) return -1;
    nm->trie_n = tsize / 4;
    nm->trie = ft_xmalloc(tsize + 4);
    for (uint32_t i = 0; i < nm->trie_n; i++) {
        const unsigned char *p = bin + 4 + 4 * i;
        nm->trie[i] = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
    }
    nm->pool_n = o - 4 - tsize;
    nm->pool = ft_xmalloc(nm->pool_n + 1);
    memcpy(nm->pool, bin + 4 + tsize, nm->pool_n);
    nm->pool[nm->pool_n] = 0;
    for (int c = 0; c < 128; c++) {
        unsigned char b = c;
        const char *r = first_match(nm, &b, 1);
        nm->ascii_rep[c] = r ? (int32_t)(r - nm->pool) : -1;
    }
    return 0;
}

/* The same blob base64-encoded, as tokenizer.json holds it. */
int tok_precompiled_load(tok_norm *nm, const char *b64)
{
    size_t n = strlen(b64), o = 0;
    unsigned char *bin = ft_xmalloc(n / 4 * 3 + 4);
    unsigned acc = 0; int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (b64[i] == '=') break;
        int v = b64val((unsigned char)b64[i]);
        if (v < 0) { free(bin); return -1; }
        acc = acc << 6 | v; bits += 6;
        if (bits >= 8) { bits -= 8; bin[o++] = acc >> bits & 0xFF; }
    }
    int rc = tok_precompiled_load_raw(nm, bin, o);
    free(bin);
    return rc;
}

/* darts-clone unit fields */
static inline uint32_t u_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static inline uint32_t u_label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
static inline int u_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static inline uint32_t u_value(uint32_t u) { return u & ((1u << 31) - 1); }

/* First (shortest) prefix of s[0..n) in the trie: its replacement, or NULL. */
static const char *first_match(const tok_norm *nm, const unsigned char *s, size_t n)
{
    if (!nm->trie_n) return NULL;
    uint32_t pos = 0, unit = nm->trie[0];
    pos ^= u_offset(unit);
    for (size_t i = 0; i < n; i++) {
        pos ^= s[i];
        if (pos >= nm->trie_n) return NULL;
        unit = nm->trie[pos];
        if (u_label(unit) != s[i]) return NULL;
        pos ^= u_offset(unit);
        if (pos >= nm->trie_n) return NULL;
        if (u_has_leaf(unit)) {
            uint32_t v = u_value(nm->trie[pos]);
            return v < nm->pool_n ? nm->pool + v : NULL;
        }
    }
    return NULL;
}

size_t tok_precompiled_apply(const tok_norm *nm, const char *in, size_t n, char **out, size_t *cap)
{
    GROW(*out, *cap, n * 4 + 16);
    const unsigned char *u = (const unsigned char *)in;
    size_t o = 0, i = 0;
    utf8proc_int32_t state = 0;
    while (i < n) {
        /* ASCII followed by ASCII is a cluster of its own (only CR LF joins) */
        if (u[i] < 0x80 && (i + 1 == n || (u[i + 1] < 0x80 && !(u[i] == '\r' && u[i + 1] == '\n')))) {
            int32_t r = nm->ascii_rep[u[i]];
            if (r < 0) (*out)[o++] = in[i];
            else {
                size_t rl = strlen(nm->pool + r);
                GROW(*out, *cap, o + rl + (n - i) * 4 + 16);
                memcpy(*out + o, nm->pool + r, rl); o += rl;
            }
            i++;
            continue;
        }
        /* one extended grapheme cluster [i, j) */
        uint32_t c1; int l1 = ft_utf8_decode(u + i, n - i, &c1);
        if (!l1) { c1 = u[i]; l1 = 1; }
        size_t j = i + l1;
        state = 0;
        while (j < n) {
            uint32_t c2; int l2 = ft_utf8_decode(u + j, n - j, &c2);
            if (!l2) break;
            if (utf8proc_grapheme_break_stateful(c1, c2, &state)) break;
            c1 = c2; j += l2;
        }
        const char *rep = j - i < 6 ? first_match(nm, u + i, j - i) : NULL;
        if (rep) {
            size_t rl = strlen(rep);
            GROW(*out, *cap, o + rl + (n - j) * 4 + 16);
            memcpy(*out + o, rep, rl); o += rl;
        } else {
            for (size_t k = i; k < j;) {
                uint32_t c; int l = ft_utf8_decode(u + k, j - k, &c);
                if (!l) l = 1;
                const char *r = first_match(nm, u + k, l);
                size_t rl = r ? strlen(r) : (size_t)l;
                GROW(*out, *cap, o + rl + (n - k) * 4 + 16);
                memcpy(*out + o, r ? r : in + k, rl); o += rl;
                k += l;
            }
        }
        i = j;
    }
    return o;
}
