/* splitplan_internal: what splitplan.h keeps out of its stable API: scikit-learn's _approximate_mode,
   one step of ft_split_stratified.
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_SPLITPLAN_INTERNAL_H
#define FT_SPLITPLAN_INTERNAL_H
#include "splitplan.h"
#include <stddef.h>
#include <stdint.h>

/* _approximate_mode: out[c] draws from class c, summing to n_draws. */
void ft_approximate_mode(const uint64_t *counts, size_t ncls, size_t n_draws, ft_mt19937 *mt,
                         uint64_t *out);

#endif
