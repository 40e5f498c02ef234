/* mt19937_internal: what mt19937.h keeps out of its stable API: the raw 32-bit draw and the
   bounded integer, which the shuffles use inside mt19937.c.
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_MT19937_INTERNAL_H
#define FT_MT19937_INTERNAL_H
#include "mt19937.h"
#include <stddef.h>
#include <stdint.h>

uint32_t ft_mt_next32(ft_mt19937 *mt);
/* Uniform integer in [0, max] by masked rejection (numpy's legacy
   random_interval): draws 32 bits while max fits in 32 bits, else 64. */
uint64_t ft_mt_interval(ft_mt19937 *mt, uint64_t max);

#endif
