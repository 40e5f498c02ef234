/* utf8: validation and Python-compatible repair of UTF-8 text. */
#ifndef FT_UTF8_H
#define FT_UTF8_H
#include <stddef.h>

/* 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF);
   else 0 with *bad set to the offset of the first invalid byte. */
int ft_utf8_valid(const char *s, size_t n, size_t *bad);
/* Length of the valid sequence at s (1..4), or 0 if invalid there; when
   invalid, *skip is the length of the maximal invalid subsequence that Python's
   errors="replace" turns into one U+FFFD. */
int ft_utf8_seq(const unsigned char *s, size_t n, size_t *skip);
#endif
