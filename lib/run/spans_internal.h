/* spans_internal: what spans.h keeps out of its API: the steps of one block's corruption (ft_spans_corrupt_batch runs them) and the constructor from a tokenizer alone.
   Tested directly, so declared here for the tests (and fuzz harnesses),
   beside the module; tools never include it. */
#ifndef FT_SPANS_INTERNAL_H
#define FT_SPANS_INTERNAL_H
#include "spans.h"
#include <stdint.h>

/* From the tokenizer files in dir; dies naming dir when there is none, it has
   no <extra_id_0> or no </s>, or the density / span length are out of range. */
ft_spans *ft_spans_from_tokenizer(const char *dir, double noise_density, double mean_span);
/* random_spans_noise_mask's counts for a block of n >= 2 tokens. */
void ft_spans_counts(double noise_density, double mean_span, int n, int *noise, int *spans);
/* The draws of both shuffles (noise runs, then non-noise runs) for a block of
   n tokens: draws[t] is in [0, i] for the t-th swap (i counting down from the
   last index to 1, as numpy's shuffle).  Returns how many (≤ n). */
int ft_spans_draw(const ft_spans *c, int n, uint64_t key, uint32_t *draws);
/* The noise mask of a block of n tokens from those draws. */
void ft_spans_noise_mask(const ft_spans *c, int n, const uint32_t *draws, uint8_t *is_noise);
/* Inputs and labels of one block under is_noise; they hold at most n + 1
   entries each.  Dies when the block needs more spans than there are
   sentinels. */
void ft_spans_apply(const ft_spans *c, const int32_t *ids, int n, const uint8_t *is_noise,
                    int32_t *inputs, int *ninputs, int32_t *labels, int *nlabels);
#endif
