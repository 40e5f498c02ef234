/* rng_internal: what rng.h keeps out of its stable API: a single normal draw (the
   library fills whole tensors with ft_rng_normal_fill).
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_RNG_INTERNAL_H
#define FT_RNG_INTERNAL_H
#include "rng.h"
#include <stddef.h>
#include <stdint.h>

double ft_rng_normal(ft_rng *r);           /* N(0, 1), Box-Muller */

#endif
