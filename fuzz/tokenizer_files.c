/* Harness: tokenizer files as a model directory holds them, loaded as
   AutoTokenizer would, then (when they load) used to encode and decode.
   Built once per file kind (TOK_FILE): tokenizer.json, vocab.txt,
   spiece.model, and vocab.json + merges.txt (TOK_FILE2: the input is cut at
   its first "\n#merges\n" line, what precedes it is vocab.json). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "tokenizer.h"
#include <stdlib.h>
#include <string.h>

static const char sample[] = "\x03Hello, world! 你好 naïve   tabs\tand ##pieces <s> [CLS] x";

static void load(void)
{
    char *err = NULL;
    ft_tokenizer *t = ft_tok_load(fuzz_dir(), &err);
    if (!t) {
        if (!err || !err[0]) abort();      /* a refusal says what is wrong */
        free(err);
        return;
    }
    fuzz_encode_decode(t, (const uint8_t *)sample, sizeof sample - 1);
    ft_tok_free(t);
}

void fuzz_setup(void)
{
    char *err = NULL;                     /* the Unicode tables are built once */
    ft_tokenizer *t = ft_tok_load(fuzz_dir(), &err);
    ft_tok_free(t);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    int ok;
#ifdef TOK_FILE2
    static const char cut[] = "\n#merges\n";
    const uint8_t *m = memmem(data, n, cut, sizeof cut - 1);
    size_t vn = m ? (size_t)(m - data) : n;
    fuzz_file(TOK_FILE, data, vn);
    fuzz_file(TOK_FILE2, m ? m + sizeof cut - 1 : data + n, m ? n - vn - (sizeof cut - 1) : 0);
#else
    fuzz_file(TOK_FILE, data, n);
#endif
    FUZZ_RUN(ok, load());
    (void)ok;
    return 0;
}
