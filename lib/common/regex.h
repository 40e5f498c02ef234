/* regex: Oniguruma, the one regex engine of ft, in the two dialects its
   users need: the default (Ruby) syntax, which the Rust tokenizers crate
   runs for tokenizer.json's Split and Replace patterns, and Python's, for
   what PEFT matches with re.fullmatch (--target-modules).  A compiled regex
   is read-only and may be shared by threads; a match region is per thread. */
#ifndef FT_REGEX_H
#define FT_REGEX_H
#include <stddef.h>

typedef struct ft_regex ft_regex;
typedef enum { FT_REGEX_ONIG, FT_REGEX_PYTHON } ft_regex_syntax;

/* Compiles pat[0..n) (UTF-8); NULL with *err (to free) naming the problem. */
ft_regex *ft_regex_new(const char *pat, size_t n, ft_regex_syntax syntax, char **err);
void ft_regex_free(ft_regex *re);
/* Leftmost match in u[from..n) with u[0..n) as the whole subject (so
   lookarounds and anchors see its ends); 1 with [*s, *e), or 0 when there
   is none.  *region is the caller's per-thread scratch, made on first use
   and released by ft_regex_region_free. */
int ft_regex_search(const ft_regex *re, void **region, const unsigned char *u, size_t n,
                    size_t from, size_t *s, size_t *e);
void ft_regex_region_free(void *region);
/* Python's re.fullmatch(pat, s): 1 if the whole of s matches, else 0;
   -1 with *err when pat does not compile. */
int ft_regex_fullmatch(const char *pat, const char *s, char **err);

#endif
