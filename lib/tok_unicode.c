/* tok_unicode: the class table expansion and UTF-8 helpers. */
#include "tok_unicode.h"
#include "util.h"
#include <pthread.h>

const uint8_t *ft_uc_table;
static uint8_t *table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* One byte per code point (1.1 MB): lookups in the hot loop are a single
   load, and the pages for scripts a corpus never uses are never touched. */
static void expand(void)
{
    table = ft_xcalloc(0x110000, 1);
    for (size_t i = 0; i < ft_uc_nruns; i++)
        for (uint32_t c = ft_uc_runs[i].first; c <= ft_uc_runs[i].last; c++)
            table[c] = ft_uc_runs[i].bits;
    ft_uc_table = table;
}

void ft_uc_init(void) { pthread_once(&once, expand); }

int ft_utf8_encode(uint32_t c, char *o)
{
    unsigned char *u = (unsigned char *)o;
    if (c < 0x80) { u[0] = c; return 1; }
    if (c < 0x800) { u[0] = 0xC0 | c >> 6; u[1] = 0x80 | (c & 0x3F); return 2; }
    if (c < 0x10000) {
        u[0] = 0xE0 | c >> 12; u[1] = 0x80 | (c >> 6 & 0x3F); u[2] = 0x80 | (c & 0x3F); return 3;
    }
    u[0] = 0xF0 | c >> 18; u[1] = 0x80 | (c >> 12 & 0x3F);
    u[2] = 0x80 | (c >> 6 & 0x3F); u[3] = 0x80 | (c & 0x3F); return 4;
}

size_t ft_utf8_check(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        if (u[i] < 0x80) { i++; continue; }
        int k = ft_utf8_decode(u + i, n - i, &cp);
        if (!k) return i;
        i += k;
    }
    return n;
}

/* Length of the longest prefix of s[0..n) that could start a valid sequence
   (at least 1): Python replaces exactly that "maximal subpart" by one U+FFFD
   (Unicode 3.9, "substitution of maximal subparts"). */
static size_t maximal_subpart(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    int need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 1;
    size_t k = 1;
    for (int j = 0; j < need && k < n; j++, k++) {
        unsigned b = s[k];
        if (j == 0 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
    }
    return k;
}

size_t ft_utf8_repair(const char *s, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    uint32_t cp;
    while (i < n) {
        int k = u[i] < 0x80 ? 1 : ft_utf8_decode(u + i, n - i, &cp);
        if (k) { for (int j = 0; j < k; j++) out[o++] = s[i + j]; i += k; continue; }
        i += maximal_subpart(u + i, n - i);
        out[o++] = (char)0xEF; out[o++] = (char)0xBF; out[o++] = (char)0xBD;
    }
    return o;
}
