/* gpt2_step_ft: training-step throughput of GPT-2 (124M shape by default) in
   fp32: full fine-tuning and LoRA (r=8 on c_attn,c_proj), and greedy
   generation tokens/s with the KV cache.  Prints one JSON object per line.
   usage: gpt2_step_ft CONFIG.json [B T STEPS GEN_TOKENS] */
#include "generate.h"
#include "lora.h"
#include "bench_step.h"
#include "util.h"
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static void train(const char *cfg, int lora, int B, int T, int steps)
{
    ft_model *m = ft_model_new_from_config(cfg, "causal-lm", 0, 1);
    if (lora) {
        ft_lora_config c;
        ft_lora_config_default(&c);
        c.r = 8; c.alpha = 32; c.dropout = 0.1f; c.target_modules = "c_attn,c_proj";
        ft_lora_attach(m, &c, 1);
    }
    ft_params *ps = ft_model_params(m);
    ft_adamw *o = ft_adamw_new(ps, 0.0f);
    int32_t *ids = ft_xmalloc((size_t)B * T * sizeof *ids);
    for (int i = 0; i < B * T; i++) ids[i] = (i * 7919) % 50000;
    ft_batch b = { .B = B, .T = T, .input_ids = ids };
    double best = bench_train_steps(m, &b, o, 1e-4f, steps).best;
    printf("{\"bench\": \"gpt2_train\", \"impl\": \"ft\", \"mode\": \"%s\", \"B\": %d, \"T\": %d, "
           "\"threads\": %d, \"tokens_per_s\": %.1f, \"step_s\": %.3f, \"peak_rss_mib\": %.0f, "
           "\"flops_per_step\": %.0f}\n", lora ? "lora" : "full", B, T, omp_get_max_threads(), B * T / best, best,
           bench_peak_rss_kib() / 1024.0, ft_model_flops(m, B, T));
    fflush(stdout);
    ft_adamw_free(o);
    ft_model_free(m);
    free(ids);
}

static void gen(const char *cfg, int B, int prompt, int ntok, int beams)
{
    ft_model *m = ft_model_new_from_config(cfg, "causal-lm", 0, 1);
    ft_gen_opts o;
    ft_gen_opts_default(&o, m);
    o.max_new_tokens = ntok;
    o.n_eos = 0;
    o.num_beams = beams;
    int32_t **p = ft_xmalloc(B * sizeof *p), **out = ft_xmalloc(B * sizeof *out);
    int *lens = ft_xmalloc(B * sizeof *lens), *ol = ft_xmalloc(B * sizeof *ol);
    for (int i = 0; i < B; i++) {
        lens[i] = prompt;
        p[i] = ft_xmalloc(prompt * sizeof **p);
        for (int t = 0; t < prompt; t++) p[i][t] = (t * 31 + i) % 50000;
    }
    double t0 = ft_now();
    ft_generate(m, B, (const int32_t *const *)p, lens, &o, 0, out, ol);
    double dt = ft_now() - t0;
    printf("{\"bench\": \"gpt2_generate\", \"impl\": \"ft\", \"beams\": %d, \"B\": %d, \"prompt\": %d, "
           "\"new_tokens\": %d, \"threads\": %d, \"tokens_per_s\": %.1f}\n", beams, B, prompt, ntok,
           omp_get_max_threads(), B * ntok / dt);
    for (int i = 0; i < B; i++) { free(p[i]); free(out[i]); }
    free(p); free(out); free(lens); free(ol);
    ft_model_free(m);
}

int main(int argc, char **argv)
{
    ft_set_prog("gpt2_step_ft");
    if (argc < 2) ft_die("usage: gpt2_step_ft CONFIG.json [B T STEPS GEN_TOKENS [full|lora|gen|beam]]");
    int B = argc > 2 ? atoi(argv[2]) : 4, T = argc > 3 ? atoi(argv[3]) : 256;
    int steps = argc > 4 ? atoi(argv[4]) : 3, g = argc > 5 ? atoi(argv[5]) : 50;
    const char *what = argc > 6 ? argv[6] : "all";
    bench_precision();                      /* BF16=1: --bf16 */
    if (!strcmp(what, "all") || !strcmp(what, "full")) train(argv[1], 0, B, T, steps);
    if (!strcmp(what, "all") || !strcmp(what, "lora")) train(argv[1], 1, B, T, steps);
    if (!strcmp(what, "all") || !strcmp(what, "gen")) gen(argv[1], 1, 16, g, 1);
    if (!strcmp(what, "all") || !strcmp(what, "beam")) gen(argv[1], 1, 16, g, 4);
    return 0;
}
