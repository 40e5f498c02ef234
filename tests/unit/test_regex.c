/* ft_regex: Python's re.fullmatch (PEFT's --target-modules) and the
   tokenizers crate's search.  Expected values printed by Python 3.11's re. */
#include "regex.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>

static int full(const char *pat, const char *s)
{
    char *err = NULL;
    int r = ft_regex_fullmatch(pat, s, &err);
    free(err);
    return r;
}

static void fullmatch_as_python(void)
{
    CHECK(full("a|ab", "ab") == 1);                 /* backtracks to the whole string */
    CHECK(full(".*\\.(q_proj|v_proj)", "model.layers.0.self_attn.q_proj") == 1);
    CHECK(full(".*(q|v)_proj", "model.layers.0.self_attn.k_proj") == 0);
    CHECK(full("layers\\.[0-9]+\\.mlp\\..*", "model.layers.12.mlp.up_proj") == 0);  /* not a search */
    CHECK(full("q", "q\n") == 0);                   /* \Z, not $: no final newline */
    CHECK(full("a$", "a") == 1);
    CHECK(full("(?P<x>a)b", "ab") == 1);            /* Python's named groups */
    CHECK(full("\\d+", "123") == 1);
    CHECK(full("ab", "abc") == 0);
    CHECK(full("(?i)Q_PROJ", "q_proj") == 1);
}

static void bad_pattern_named(void)
{
    char *err = NULL;
    CHECK(ft_regex_fullmatch("(a", "a", &err) == -1);
    CHECK(err && strlen(err) > 0);
    free(err);
}

static void search_from_offset(void)
{
    char *err = NULL;
    const char *pat = "\\p{L}+";
    ft_regex *re = ft_regex_new(pat, strlen(pat), FT_REGEX_ONIG, &err);
    CHECK(re != NULL);
    void *region = NULL;
    const unsigned char *u = (const unsigned char *)"12 héllo 34 wörld";
    size_t n = strlen((const char *)u), s, e;
    CHECK(ft_regex_search(re, &region, u, n, 0, &s, &e) && s == 3 && e == 9);
    CHECK(ft_regex_search(re, &region, u, n, e, &s, &e) && s == 13 && e == 19);
    CHECK(!ft_regex_search(re, &region, u, n, e, &s, &e));
    ft_regex_region_free(region);
    ft_regex_free(re);
}

int main(void)
{
    RUN(fullmatch_as_python);
    RUN(bad_pattern_named);
    RUN(search_from_offset);
    TEST_MAIN_END();
}
