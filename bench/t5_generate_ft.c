/* Beam-search generation throughput in ft: T5 at CodeT5-base shape (random
 * weights), B inputs of TS tokens, BEAMS beams, MAX_NEW new tokens.
 *   t5_generate_ft [B [TS [BEAMS [MAX_NEW [LAYERS]]]]]
 * Prints "ft gen_tokens/s X seconds Y" (B·MAX_NEW over the wall time).
 * BF16=1: under --bf16 (bench_precision). */
#include "bench_step.h"
#include "generate.h"
#include "model.h"
#include "rng.h"
#include "t5.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    bench_precision();                          /* BF16=1: --bf16 */
    int B = argc > 1 ? atoi(argv[1]) : 8, Ts = argc > 2 ? atoi(argv[2]) : 64;
    int K = argc > 3 ? atoi(argv[3]) : 4, N = argc > 4 ? atoi(argv[4]) : 32, L = argc > 5 ? atoi(argv[5]) : 12;
    int V = 32100;                              /* bench_codet5_config's */
    ft_model *m = ft_model_new(bench_codet5_config(L), FT_TASK_SEQ2SEQ, 0, 1);
    for (int i = 0; i < m->params.n; i++) ft_t5_init_param(m, i, 1);
    int32_t *ids = ft_xmalloc((size_t)B * Ts * 4);
    ft_rng r;
    ft_rng_seed(&r, 7);
    for (int i = 0; i < B * Ts; i++) ids[i] = 3 + ft_rng_u64(&r) % (V - 3);
    ft_gen_opts o;
    ft_gen_opts_default(&o, m);
    o.num_beams = K;
    int32_t **out = ft_xcalloc(B, sizeof *out);
    int *lens = ft_xcalloc(B, sizeof *lens), *plen = ft_xmalloc(B * sizeof *plen);
    const int32_t **pr = ft_xmalloc(B * sizeof *pr);
    for (int b = 0; b < B; b++) { pr[b] = ids + (size_t)b * Ts; plen[b] = Ts; }
    o.max_new_tokens = 2;                       /* warm-up */
    ft_generate(m, 1, pr, plen, &o, 0, out, lens);
    free(out[0]);
    o.max_new_tokens = N;
    double t0 = ft_now();
    ft_generate(m, B, pr, plen, &o, 0, out, lens);
    double dt = ft_now() - t0;
    printf("ft gen_tokens/s %.1f seconds %.3f\n", B * N / dt, dt);
    for (int b = 0; b < B; b++) free(out[b]);
    free(out); free(lens); free(plen); free(pr); free(ids);
    ft_model_free(m);
    return 0;
}
