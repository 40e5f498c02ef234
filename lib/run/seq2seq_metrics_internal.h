/* seq2seq_metrics_internal: what seq2seq_metrics.h keeps out of its stable API: BLEU's 13a tokenizer.
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_SEQ2SEQ_METRICS_INTERNAL_H
#define FT_SEQ2SEQ_METRICS_INTERNAL_H
#include "seq2seq_metrics.h"
#include <stddef.h>
#include <stdint.h>

/* 13a tokenization: returns the number of tokens; *out is a malloc'd array of
   malloc'd strings (free with ft_tokens_free). */
size_t ft_bleu_tokenize_13a(const char *s, char ***out);
void ft_tokens_free(char **toks, size_t n);

#endif
