/* llama_step_ft: training-step throughput of a Llama-family decoder
   (SmolLM2-135M's shape by default, bench/llama_step writes the config):
   one optimiser step (forward, backward, clip, AdamW) with full fine-tuning
   or LoRA r=16 alpha 32 on every linear layer; BF16=1 runs it under --bf16.
   Prints one JSON line like bench/llama_step_torch.py.
   usage: llama_step_ft CONFIG.json [B T STEPS [full|lora]] */
#include "lora.h"
#include "bench_step.h"
#include "util.h"
#include <omp.h>
#include <stdio.h>
#include <string.h>

/* The GEMM work a LoRA step needs: the full step's count less the weight
   gradients of the frozen projections and of the frozen (tied) embedding
   that the LM head reads, plus the adapters' own 6·N·(in·r + r·out).  The
   model's count (ft_model_flops) is of full fine-tuning. */
static double lora_flops(ft_model *m, int B, int T)
{
    const ft_params *ps = ft_model_params(m);
    double N = (double)B * T, f = ft_model_flops(m, B, T);
    for (int i = 0; i < ps->n; i++) {
        const ft_param *p = &ps->p[i];
        if (strstr(p->name, "lora_")) f += 6 * N * p->numel;
        else if (!p->trainable && p->ndim == 2) f -= 2 * N * p->numel;    /* projections, embed_tokens */
    }
    return f;
}

int main(int argc, char **argv)
{
    ft_set_prog("llama_step_ft");
    if (argc < 2) ft_die("usage: llama_step_ft CONFIG.json [B T STEPS [full|lora]]");
    int B = argc > 2 ? atoi(argv[2]) : 4, T = argc > 3 ? atoi(argv[3]) : 256;
    int steps = argc > 4 ? atoi(argv[4]) : 2;
    const char *mode = argc > 5 ? argv[5] : "full";
    int lora = !strcmp(mode, "lora");
    if (!lora && strcmp(mode, "full")) ft_die("mode '%s': full or lora", mode);
    int bf16 = bench_precision();
    ft_model *m = ft_model_new_from_config(argv[1], "causal-lm", 0, 1);
    if (lora) {                 /* PEFT's LoraConfig(r=16, lora_alpha=32, target_modules=all linear) */
        ft_lora_config c;
        ft_lora_config_default(&c);
        c.r = 16; c.alpha = 32; c.target_modules = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";
        ft_lora_attach(m, &c, 1);
    }
    ft_adamw *o = ft_adamw_new(ft_model_params(m), 0.0f);
    int V = m->gen.vocab_size;
    int32_t *ids = ft_xmalloc((size_t)B * T * sizeof *ids);
    uint64_t s = 0x9e3779b97f4a7c15ull;     /* random ids over the whole vocabulary */
    for (int i = 0; i < B * T; i++) { s = s * 6364136223846793005ull + 1442695040888963407ull; ids[i] = (int32_t)((s >> 33) % V); }
    ft_batch b = { .B = B, .T = T, .input_ids = ids };
    bench_times t = bench_train_steps(m, &b, o, 1e-4f, steps);
    printf("{\"bench\": \"llama_train\", \"impl\": \"ft\", \"mode\": \"%s\", \"precision\": \"%s\", \"B\": %d, "
           "\"T\": %d, \"threads\": %d, \"tokens_per_s\": %.1f, \"step_s\": %.3f, \"mean_step_s\": %.3f, "
           "\"fwd_s\": %.3f, \"bwd_s\": %.3f, \"opt_s\": %.3f, \"cpu_s\": %.3f, \"peak_rss_mib\": %.0f, "
           "\"flops_per_step\": %.0f, \"gemm_flops_counted\": %.0f}\n",
           mode, bf16 ? "bf16" : "fp32", B, T, omp_get_max_threads(), B * T / t.best, t.best, t.mean,
           t.fwd, t.bwd, t.opt, t.cpu, bench_peak_rss_kib() / 1024.0,
           lora ? lora_flops(m, B, T) : ft_model_flops(m, B, T), ft_gemm_flops() / steps);
    ft_adamw_free(o);
    ft_model_free(m);
    free(ids);
    return 0;
}
