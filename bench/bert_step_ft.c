/* One full BERT training step (forward, backward, clip, AdamW) timed in ft.
 *   bert_step_ft [STEPS [B [T [LAYERS [TASK]]]]]   (BERT-base shape by default)
 * TASK seq-cls (default) or masked-lm (15 % of the tokens labelled, HF's
 * default masking rate; ft projects only those onto the vocabulary).
 * Prints "ft tokens/s X gflops Y step_s Z cpu_s C flops F" on stdout (F: GEMM
 * FLOPs of one step, the analytic count), a per-phase split on stderr. */
#include "bert.h"
#include "gemm_internal.h"
#include "bench_step.h"
#include "rng.h"
#include "util.h"
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    int steps = argc > 1 ? atoi(argv[1]) : 3, B = argc > 2 ? atoi(argv[2]) : 16;
    int T = argc > 3 ? atoi(argv[3]) : 128, layers = argc > 4 ? atoi(argv[4]) : 12;
    int mlm = argc > 5 && ft_task_parse(argv[5]) == FT_TASK_MASKED_LM;
    int bf16 = bench_precision();
    json_t *j = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:f, s:f, s:i, s:i, s:f, s:f, s:i, s:i}",
                          "model_type", "bert", "vocab_size", 21128, "hidden_size", 768,
                          "num_hidden_layers", layers, "num_attention_heads", 12, "intermediate_size", 3072,
                          "hidden_act", "gelu", "hidden_dropout_prob", 0.1, "attention_probs_dropout_prob", 0.1,
                          "max_position_embeddings", 512, "type_vocab_size", 2, "layer_norm_eps", 1e-12,
                          "initializer_range", 0.02, "pad_token_id", 0, "num_labels", 5);
    ft_model *m = ft_model_new(ft_config_from_json(j, "bench"), mlm ? FT_TASK_MASKED_LM : FT_TASK_SEQ_CLS, 5, 1);
    ft_params *ps = ft_model_params(m);
    for (int i = 0; i < ps->n; i++) ft_bert_init_param(m, i, 1);
    ft_model_reserve(m, B, T);
    int32_t *ids = ft_xmalloc((size_t)B * T * 4), *am = ft_xmalloc((size_t)B * T * 4);
    int32_t *lab = ft_xmalloc((size_t)B * T * 4);
    ft_rng r;
    ft_rng_seed(&r, 7);
    for (int i = 0; i < B * T; i++) { ids[i] = 1 + ft_rng_u64(&r) % 21127; am[i] = 1; }
    for (int b = 0; b < B; b++) lab[b] = b % 5;
    if (mlm)            /* every token with a 15 % draw labelled (the same rule as bert_step_torch.py) */
        for (int i = 0; i < B * T; i++) lab[i] = (i * 7) % 20 < 3 ? ids[i] : -100;
    ft_batch bt = { .B = B, .T = T, .input_ids = ids, .attention_mask = am, .labels = lab, .Tl = mlm ? T : 0 };
    ft_adamw *opt = ft_adamw_new(ps, 0.01f);
    {   /* the machine's ceiling: one large GEMM of the FFN's shape */
        double g = bench_gemm_ceiling((size_t)B * T, 768, 3072);
        fprintf(stderr, "ft: %s GEMM %dx3072x768 alone: %.1f GFLOP/s\n", bf16 ? "bf16" : "fp32", B * T, g);
        printf("%s_gflops %.1f\n", bf16 ? "bf16_gemm" : "sgemm", g);
    }
    if (getenv("INFER") && !strcmp(getenv("INFER"), "1")) {
        /* inference, as ft-eval: forward without dropout or saved activations */
        float *logits = ft_xmalloc((size_t)B * (mlm ? T * 21128 : 5) * sizeof *logits);
        double best = 1e30, cpu0 = 0;
        for (int s = 0; s <= steps; s++) {
            double t0 = ft_now();
            m->vt->forward(m, &bt, 0, 0, logits);
            if (s == 0) { ft_gemm_flops_reset(); cpu0 = bench_cpu_seconds(); continue; }
            best = fmin(best, ft_now() - t0);
        }
        double gf = ft_gemm_flops() / steps;
        printf("%s_infer tokens/s %.1f gflops %.1f step_s %.3f cpu_s %.3f\n", bf16 ? "ft_bf16" : "ft",
               B * T / best, gf / best / 1e9, best, (bench_cpu_seconds() - cpu0) / steps);
        return 0;
    }
    bench_times t = bench_train_steps(m, &bt, opt, 2e-5f, steps);
    double flops = ft_model_flops(m, B, T);
    /* the analytic count must be what sgemm was really asked to do */
    double counted = ft_gemm_flops() / steps;
    fprintf(stderr, "ft: GEMM work per step: %.1f GFLOP counted at sgemm, %.1f GFLOP analytic\n",
            counted / 1e9, flops / 1e9);
    if (fabs(counted - flops) > 1e-6 * flops) ft_die("counted GEMM FLOPs differ from the model's count");
    fprintf(stderr, "ft: %d threads, mean step %.3fs (forward %.3f, backward %.3f, clip+adamw %.3f), best %.3fs\n",
            omp_get_max_threads(), t.mean, t.fwd, t.bwd, t.opt, t.best);
    if (bf16) fprintf(stderr, "ft: bf16 weight copies %.1f MiB (weights %.1f MiB)\n",
                      ft_gemm_bf16_bytes() / 1048576.0, ps->total * 4 / 1048576.0);
    printf("%s tokens/s %.1f gflops %.1f step_s %.3f cpu_s %.3f flops %.0f\n", bf16 ? "ft_bf16" : "ft",
           B * T / t.mean, flops / t.mean / 1e9, t.mean, t.cpu, flops);
    return 0;
}
