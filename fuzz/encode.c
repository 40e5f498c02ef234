/* Harness: encode and decode arbitrary bytes with a real tokenizer, loaded
   once by path from ../shared/models/TOK_MODEL (not copied into the repo). */
#include "fuzz.h"
#include "tokenizer.h"
#include "util.h"
#include <stdlib.h>

static ft_tokenizer *tok;

void fuzz_setup(void)
{
    char *dir = ft_xasprintf("%s/models/%s", fuzz_shared(), TOK_MODEL);
    char *err = NULL;
    tok = ft_tok_load(dir, &err);
    if (!tok) { fprintf(stderr, "fuzz: %s\n", err); exit(1); }
    free(dir);
    fuzz_encode_decode(tok, (const uint8_t *)"\x02warm up", 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    int ok;
    FUZZ_RUN(ok, fuzz_encode_decode(tok, data, n));
    (void)ok;
    return 0;
}
