/* One full T5 training step (forward, backward, clip, AdamW; dropout 0.1) in ft.
 *   t5_step_ft [STEPS [B [TS [TT [LAYERS]]]]]   (CodeT5-base shape by default)
 * Prints "ft tokens/s X gflops Y step_s Z flops F" (tokens = B·TT target tokens;
 * F: GEMM FLOPs of one step, the analytic count). */
#include "bench_step.h"
#include "rng.h"
#include "t5.h"
#include "util.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    int steps = argc > 1 ? atoi(argv[1]) : 3, B = argc > 2 ? atoi(argv[2]) : 8;
    int Ts = argc > 3 ? atoi(argv[3]) : 128, Tt = argc > 4 ? atoi(argv[4]) : 128;
    int L = argc > 5 ? atoi(argv[5]) : 12, V = 32100;   /* bench_codet5_config's */
    int bf16 = bench_precision();           /* BF16=1: --bf16 */
    ft_model *m = ft_model_new(bench_codet5_config(L), FT_TASK_SEQ2SEQ, 0, 1);
    ft_params *ps = ft_model_params(m);
    for (int i = 0; i < ps->n; i++) ft_t5_init_param(m, i, 1);
    int32_t *ids = ft_xmalloc((size_t)B * Ts * 4), *am = ft_xmalloc((size_t)B * Ts * 4);
    int32_t *lab = ft_xmalloc((size_t)B * Tt * 4);
    ft_rng r;
    ft_rng_seed(&r, 7);
    for (int i = 0; i < B * Ts; i++) { ids[i] = 3 + ft_rng_u64(&r) % (V - 3); am[i] = 1; }
    for (int i = 0; i < B * Tt; i++) lab[i] = 3 + ft_rng_u64(&r) % (V - 3);
    ft_batch bt = { .B = B, .T = Ts, .input_ids = ids, .attention_mask = am, .labels = lab, .Tl = Tt };
    ft_adamw *opt = ft_adamw_new(ps, 0.0f);
    bench_times t = bench_train_steps(m, &bt, opt, 5e-5f, steps);
    double flops = ft_model_flops(m, B, Ts);
    fprintf(stderr, "ft: %d threads, mean step %.3fs (forward %.3f, backward %.3f, clip+adamw %.3f)\n",
            omp_get_max_threads(), t.mean, t.fwd, t.bwd, t.opt);
    printf("%s tokens/s %.1f gflops %.1f step_s %.3f flops %.0f\n", bf16 ? "ft_bf16" : "ft", B * Tt / t.mean,
           flops / t.mean / 1e9, t.mean, flops);
    ft_adamw_free(opt);
    ft_model_free(m);
    free(ids); free(am); free(lab);
    return 0;
}
