/* regex: Oniguruma behind ft_regex (see regex.h).  The tokenizers crate
   builds its regexes with onig::Regex::new (UTF-8, default syntax, no
   options), so that \p{L}, \s, (?i:...) and lookaheads mean what they mean
   there; PEFT's patterns are Python's, which Oniguruma also speaks. */
#include "regex.h"
#include "util.h"
#include <oniguruma.h>
#include <pthread.h>
#include <string.h>

struct ft_regex { regex_t *reg; };

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;
static void onig_setup(void)
{
    OnigEncoding enc[1] = { ONIG_ENCODING_UTF8 };
    onig_initialize(enc, 1);
}

ft_regex *ft_regex_new(const char *pat, size_t n, ft_regex_syntax syntax, char **err)
{
    pthread_once(&onig_once, onig_setup);
    regex_t *reg;
    OnigErrorInfo info;
    const UChar *p = (const UChar *)pat;
    OnigSyntaxType *syn = syntax == FT_REGEX_PYTHON ? ONIG_SYNTAX_PYTHON : ONIG_SYNTAX_DEFAULT;
    int r = onig_new(&reg, p, p + n, ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, syn, &info);
    if (r != ONIG_NORMAL) {
        UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(msg, r, &info);
        *err = ft_xasprintf("%s", (const char *)msg);
        return NULL;
    }
    ft_regex *re = ft_xmalloc(sizeof *re);
    re->reg = reg;
    return re;
}

void ft_regex_free(ft_regex *re)
{
    if (!re) return;
    onig_free(re->reg);
    free(re);
}

void ft_regex_region_free(void *region)
{
    if (region) onig_region_free(region, 1);
}

int ft_regex_search(const ft_regex *re, void **region, const unsigned char *u, size_t n,
                    size_t from, size_t *s, size_t *e)
{
    if (!*region) *region = onig_region_new();
    OnigRegion *rg = *region;
    /* A search that fails for want of resources (Oniguruma's retry limits)
       ends the matches: the rest of the text stays one piece (the crate
       panics there). */
    int r = onig_search(re->reg, u, u + n, u + from, u + n, rg, ONIG_OPTION_NONE);
    if (r < 0) return 0;
    *s = rg->beg[0]; *e = rg->end[0];
    return 1;
}

int ft_regex_fullmatch(const char *pat, const char *s, char **err)
{
    /* re.fullmatch is re.match of (?:pat)\Z: anchoring the end inside the
       regex lets backtracking find a whole-string match that a plain match
       at the start would stop short of ("a|ab" on "ab").  In Python's
       syntax \Z is the very end, not before a final newline. */
    char *anchored = ft_xasprintf("(?:%s)\\Z", pat);
    ft_regex *re = ft_regex_new(anchored, strlen(anchored), FT_REGEX_PYTHON, err);
    free(anchored);
    if (!re) return -1;
    const UChar *u = (const UChar *)s;
    int r = onig_match(re->reg, u, u + strlen(s), u, NULL, ONIG_OPTION_NONE);
    ft_regex_free(re);
    return r >= 0;
}
