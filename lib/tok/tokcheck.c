/* tokcheck: the stream's tokenizer against the model directory's.  See tokcheck.h. */
#include "tokcheck.h"
#include "tokenizer.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ft_check_tokenizer(const json_t *header, const char *what, const char *model_dir, int allow)
{
    json_t *tok = header ? json_object_get(header, "tokenizer") : NULL;
    const char *id = tok ? json_string_value(json_object_get(tok, "id")) : NULL;
    if (!id) return;
    if (!strcmp(what, "-")) what = "stdin";
    char *err = NULL;
    ft_tokenizer *t = ft_tok_load(model_dir, &err);
    if (!t) { free(err); return; }          /* no tokenizer files: nothing to compare with */
    char mine[17];
    snprintf(mine, sizeof mine, "%016llx", (unsigned long long)ft_tok_hash(t));
    if (strcmp(id, mine) != 0) {
        const char *from = json_string_value(json_object_get(tok, "model"));
        const char *name = json_string_value(json_object_get(tok, "name"));
        char *msg = ft_xasprintf("%s: tokens made by the tokenizer %s%s%s, but %s has %s",
                                 what, name ? name : id, from ? " of " : "", from ? from : "",
                                 model_dir, ft_tok_describe(t));
        if (!allow) {
            ft_tok_free(t);
            ft_die("%s; tokenize with --model %s, or pass --allow-tokenizer-mismatch if this is deliberate",
                   msg, model_dir);
        }
        ft_warn("%s (allowed by --allow-tokenizer-mismatch)", msg);
        free(msg);
    }
    ft_tok_free(t);
}
