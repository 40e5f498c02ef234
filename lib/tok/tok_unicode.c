/* tok_unicode: the class table expansion and UTF-8 helpers. */
#include "tok_unicode.h"
#include "utf8.h"
#include "util.h"
#include <pthread.h>

const uint16_t *ft_uc_table;
static uint16_t *table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Two bytes per code point (2.2 MB): lookups in the hot loop are a single
   load, and the pages for scripts a corpus never uses are never touched. */
static void expand(void)
{
    table = ft_xcalloc(0x110000, sizeof *table);
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

/* Validation and repair are lib/utf8's (shared with the readers); these
   wrappers give the tokenizer's offset-returning forms. */
size_t ft_utf8_check(const char *s, size_t n)
{
    size_t bad;
    return ft_utf8_valid(s, n, &bad) ? n : bad;
}

size_t ft_utf8_repair(const char *s, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0, skip;
    while (i < n) {
        int k = ft_utf8_seq(u + i, n - i, &skip);
        if (k) { for (int j = 0; j < k; j++) out[o++] = s[i + j]; i += k; continue; }
        i += skip;
        out[o++] = (char)0xEF; out[o++] = (char)0xBF; out[o++] = (char)0xBD;
    }
    return o;
}
