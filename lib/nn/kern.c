/* kern: kern_body.h compiled for the baseline and for AVX-512, and the
 * choice between them at start-up.  See kern.h. */
/* No FP traps or errno to preserve here: lets GCC if-convert and vectorise
   the exp/erf loops (see ops_math.h) without -ffast-math's reassociation. */
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#include "kern.h"
#include "ops_math.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQRT1_2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define GELU_K 0.79788456080286535588f
typedef uint32_t ft_u32_alias __attribute__((may_alias));   /* a float's bits, read in place */

/* The baseline: whatever -march the build chose (x86-64-v3 by default). */
#define KN(name) name##_base
#define KN_ISA "x86-64-v3"
#include "kern_body.h"
#undef KN
#undef KN_ISA

/* AVX-512, 512-bit vectors.  The inline helpers of ops_math.h and rng.h,
   compiled for the baseline above, inline into these (a subset ISA). */
#pragma GCC push_options
#pragma GCC target ("avx512f,avx512bw,avx512vl,avx512dq,prefer-vector-width=512")
#define KN(name) name##_avx512
#define KN_ISA "avx512"
#include "kern_body.h"
#undef KN
#undef KN_ISA
#pragma GCC pop_options

const ft_kernels *ft_kern = &ft_kern_base;

int ft_kern_avx512_ok(void)
{
    __builtin_cpu_init();       /* may run before libgcc's own constructor */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

/* Before main, so every thread sees one table for the whole run. */
__attribute__((constructor)) static void kern_pick(void)
{
    const char *want = getenv("FT_ISA");
    int ok = ft_kern_avx512_ok();
    if (!want || !*want || !strcmp(want, "auto")) { ft_kern = ok ? &ft_kern_avx512 : &ft_kern_base; return; }
    if (!strcmp(want, "baseline")) { ft_kern = &ft_kern_base; return; }
    if (!strcmp(want, "avx512") && ok) { ft_kern = &ft_kern_avx512; return; }
    fprintf(stderr, "ft: FT_ISA=%s: %s\n", want, !strcmp(want, "avx512")
            ? "this CPU lacks AVX-512 (avx512f, avx512bw, avx512vl, avx512dq)"
            : "expected auto, baseline or avx512");
    exit(2);
}
