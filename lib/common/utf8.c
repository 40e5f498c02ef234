#include "utf8.h"

/* Follows Unicode §3.9 "maximal subpart" rules (what Python's decoder does):
   the second byte's allowed range depends on the lead byte. */
int ft_utf8_seq(const unsigned char *s, size_t n, size_t *skip)
{
    unsigned char c = s[0];
    int len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c < 0x80) return 1;
    else if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        *skip = 1;
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n || s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf)) {
            *skip = (size_t)i;
            return 0;
        }
    }
    return len;
}

int ft_utf8_valid(const char *str, size_t n, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* fast path: 8 ASCII bytes at a time */
        while (i + 8 <= n) {
            unsigned long long w;
            __builtin_memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        if (s[i] < 0x80) { i++; continue; }
        size_t skip;
        int k = ft_utf8_seq(s + i, n - i, &skip);
        if (!k) { if (bad) *bad = i; return 0; }
        i += (size_t)k;
    }
    return 1;
}
