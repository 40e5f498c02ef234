/* tok_regex: the regexes of tokenizer.json's Split pre-tokenizer, run by
   Oniguruma as the Rust crate runs them (onig::Regex::new: UTF-8, default
   syntax, no options), so that \p{L}, \s, (?i:...) and lookaheads mean what
   they mean there.  A compiled regex is read-only and shared by threads; the
   match region is per thread. */
#include "tok_internal.h"
#include "util.h"
#include <oniguruma.h>
#include <pthread.h>
#include <string.h>

struct tok_regex { regex_t *reg; };

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;
static void onig_setup(void)
{
    OnigEncoding enc[1] = { ONIG_ENCODING_UTF8 };
    onig_initialize(enc, 1);
}

tok_regex *tok_regex_new(const char *pat, size_t n, char **err)
{
    pthread_once(&onig_once, onig_setup);
    regex_t *reg;
    OnigErrorInfo info;
    const UChar *p = (const UChar *)pat;
    int r = onig_new(&reg, p, p + n, ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
    if (r != ONIG_NORMAL) {
        UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(msg, r, &info);
        *err = ft_xasprintf("%s", (const char *)msg);
        return NULL;
    }
    tok_regex *re = ft_xmalloc(sizeof *re);
    re->reg = reg;
    return re;
}

void tok_regex_free(tok_regex *re)
{
    if (!re) return;
    onig_free(re->reg);
    free(re);
}

void tok_regex_region_free(void *region)
{
    if (region) onig_region_free(region, 1);
}

int tok_regex_search(const tok_regex *re, void **region, const unsigned char *u, size_t n,
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
