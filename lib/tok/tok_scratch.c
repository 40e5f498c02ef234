/* tok_scratch: the working memory of one encoding thread (ft_tok_scratch,
   tok_internal.h): made empty, grown by encode, freed whole. */
#include "tok_internal.h"
#include <stdlib.h>

ft_tok_scratch *ft_tok_scratch_new(void) { return ft_xcalloc(1, sizeof(ft_tok_scratch)); }

void ft_tok_scratch_free(ft_tok_scratch *s)
{
    if (!s) return;
    free(s->norm); free(s->norm2); free(s->spans); free(s->spans2); free(s->pre);
    free(s->ids[0]); free(s->ids[1]); free(s->syms); free(s->heap); free(s->lat);
    tok_cache_free(s->cache);
    free(s->marks); ft_regex_region_free(s->region);
    free(s);
}
