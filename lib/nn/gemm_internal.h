/* gemm_internal: what gemm.h keeps out of its stable API: the FLOP and bf16-copy counters
   the benchmarks report.
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_GEMM_INTERNAL_H
#define FT_GEMM_INTERNAL_H
#include "gemm.h"
#include <stddef.h>
#include <stdint.h>

/* Floating-point operations issued since the last reset. */
double ft_gemm_flops(void);
void ft_gemm_flops_reset(void);
/* Bytes held by the bf16 weight copies (the memory --bf16 adds). */
size_t ft_gemm_bf16_bytes(void);

#endif
