/* One full T5 training step (forward, backward, clip, AdamW; dropout 0.1) in ft.
 *   t5_step_ft [STEPS [B [TS [TT [LAYERS]]]]]   (CodeT5-base shape by default)
 * Prints "ft tokens/s X gflops Y step_s Z" (tokens = B·TT target tokens). */
#include "model.h"
#include "optim.h"
#include "rng.h"
#include "t5.h"
#include "util.h"
#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    int steps = argc > 1 ? atoi(argv[1]) : 3, B = argc > 2 ? atoi(argv[2]) : 8;
    int Ts = argc > 3 ? atoi(argv[3]) : 128, Tt = argc > 4 ? atoi(argv[4]) : 128;
    int L = argc > 5 ? atoi(argv[5]) : 12, V = 32100;
    json_t *j = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:s, s:i, s:i, s:i}",
                          "model_type", "t5", "vocab_size", V, "d_model", 768, "d_kv", 64, "d_ff", 3072,
                          "num_layers", L, "num_decoder_layers", L, "num_heads", 12,
                          "relative_attention_num_buckets", 32, "relative_attention_max_distance", 128,
                          "dropout_rate", 0.1, "feed_forward_proj", "relu", "pad_token_id", 0,
                          "eos_token_id", 2, "decoder_start_token_id", 0);
    ft_model *m = ft_model_new(ft_config_from_json(j, "bench"), FT_TASK_SEQ2SEQ, 0, 1);
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
    double sum = 0, tf = 0, tb = 0, to = 0;
    for (int s = 0; s <= steps; s++) {              /* step 0 warms caches and pages */
        double t0 = ft_now();
        m->vt->forward(m, &bt, 1, 1, NULL);
        double t1 = ft_now();
        m->vt->backward(m, &bt);
        double t2 = ft_now();
        ft_clip_step_zero(opt, ps, 5e-5f, 1.0f, NULL);   /* clip, step, zero_grad */
        double t3 = ft_now();
        if (s == 0) continue;
        sum += t3 - t0; tf += t1 - t0; tb += t2 - t1; to += t3 - t2;
    }
    double mean = sum / steps, flops = ft_model_flops(m, B, Ts);
    fprintf(stderr, "ft: %d threads, mean step %.3fs (forward %.3f, backward %.3f, clip+adamw %.3f)\n",
            omp_get_max_threads(), mean, tf / steps, tb / steps, to / steps);
    printf("ft tokens/s %.1f gflops %.1f step_s %.3f\n", B * Tt / mean, flops / mean / 1e9, mean);
    ft_adamw_free(opt);
    ft_model_free(m);
    free(ids); free(am); free(lab);
    return 0;
}
