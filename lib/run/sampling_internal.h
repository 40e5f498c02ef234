/* sampling_internal: what sampling.h keeps out of its stable API: the single logits processors
   (generate.c calls them through ft_process_logits and ft_next_token).
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_SAMPLING_INTERNAL_H
#define FT_SAMPLING_INTERNAL_H
#include "sampling.h"
#include <stddef.h>
#include <stdint.h>

/* RepetitionPenaltyLogitsProcessor: for every distinct token in seen[n],
   logit < 0 ? logit·p : logit/p. */
void ft_repetition_penalty(float *logits, int V, const int32_t *seen, int n, float penalty);
/* NoRepeatNGramLogitsProcessor: logits[t] = -inf for every token t that
   would repeat an n-gram of seq[0..len). */
void ft_ban_repeat_ngrams(float *logits, const int32_t *seq, int len, int n);
/* TopKLogitsWarper: keep logits >= the k-th largest (ties kept). */
void ft_top_k(float *logits, int V, int k);
/* TopPLogitsWarper: drop the smallest tokens whose cumulative probability
   (ascending) stays <= 1 - p; the most likely token is always kept. */
void ft_top_p(float *logits, int V, float p);

#endif
