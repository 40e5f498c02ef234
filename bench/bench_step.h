/* bench_step: what the ft side of the training-step benchmarks shares — one
 * timed loop of full optimiser steps (forward, backward, clip + AdamW +
 * zero_grad, as ft-train does them), and the CodeT5-base configuration that
 * the T5 benchmarks build.  Header-only: each benchmark is one program. */
#ifndef FT_BENCH_STEP_H
#define FT_BENCH_STEP_H
#include "model.h"
#include "gemm_internal.h"
#include "ops.h"
#include "optim.h"
#include "util.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct bench_times {
    double mean, best;            /* seconds per step */
    double fwd, bwd, opt;         /* mean seconds per phase */
    double cpu;                   /* CPU seconds per step (all threads) */
} bench_times;

static inline double bench_cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/* This process's peak resident memory (VmHWM), KiB. */
static inline long bench_peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "VmHWM:", 6)) v = atol(line + 6);
    if (f) fclose(f);
    return v;
}

/* BF16=1 in the environment: the benchmark runs under --bf16.  Returns 1 then. */
static inline int bench_precision(void)
{
    const char *s = getenv("BF16");
    if (!s || strcmp(s, "1")) return 0;
    ft_set_precision(FT_PREC_BF16);
    return 1;
}

/* The GEMM ceiling of this machine in the precision in force: one large
   GEMM of the FFN's shape, [M,K]·[K,N]^T with a weight operand (its bf16
   copy made before the timing, as a training step does once).  GFLOP/s. */
static inline double bench_gemm_ceiling(size_t M, size_t K, size_t N)
{
    ft_params w;                         /* a weight buffer, as the model's */
    ft_params_init(&w);
    int64_t sh[2] = {(int64_t)N, (int64_t)K};
    ft_params_add(&w, "w", 2, sh, 0);
    ft_params_alloc(&w);
    float *x = ft_xcalloc(M * K, 4), *y = ft_xcalloc(M * N, 4);
    ft_sgemm(0, 1, (int)M, (int)N, (int)K, 1, x, K, w.data, K, 0, y, N);
    double t0 = ft_now();
    for (int i = 0; i < 5; i++) ft_sgemm(0, 1, (int)M, (int)N, (int)K, 1, x, K, w.data, K, 0, y, N);
    double g = 5 * 2.0 * M * N * K / (ft_now() - t0) / 1e9;
    free(x); free(y);
    ft_params_free(&w);
    return g;
}

/* steps timed steps after one warm-up step (caches, pages); the GEMM FLOP
   counter is reset after the warm-up, so ft_gemm_flops()/steps is per step. */
static inline bench_times bench_train_steps(ft_model *m, const ft_batch *bt, ft_adamw *opt, float lr, int steps)
{
    ft_params *ps = ft_model_params(m);
    bench_times r = { .best = 1e30 };
    double cpu0 = 0;
    for (int s = 0; s <= steps; s++) {
        double t0 = ft_now();
        m->vt->forward(m, bt, 1, 1, NULL);
        double t1 = ft_now();
        m->vt->backward(m, bt);
        double t2 = ft_now();
        ft_clip_step_zero(opt, ps, lr, 1.0f, NULL);
        double t3 = ft_now(), dt = t3 - t0;
        if (s == 0) { ft_gemm_flops_reset(); cpu0 = bench_cpu_seconds(); continue; }
        r.mean += dt; r.fwd += t1 - t0; r.bwd += t2 - t1; r.opt += t3 - t2;
        if (dt < r.best) r.best = dt;
    }
    r.mean /= steps; r.fwd /= steps; r.bwd /= steps; r.opt /= steps;
    r.cpu = (bench_cpu_seconds() - cpu0) / steps;
    return r;
}

/* CodeT5-base's shape (vocab 32100, d_model 768, 12 heads, ReLU FFN 3072)
   with `layers` encoder and decoder layers, dropout 0.1. */
static inline ft_config *bench_codet5_config(int layers)
{
    json_t *j = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:s, s:i, s:i, s:i}",
                          "model_type", "t5", "vocab_size", 32100, "d_model", 768, "d_kv", 64, "d_ff", 3072,
                          "num_layers", layers, "num_decoder_layers", layers, "num_heads", 12,
                          "relative_attention_num_buckets", 32, "relative_attention_max_distance", 128,
                          "dropout_rate", 0.1, "feed_forward_proj", "relu", "pad_token_id", 0,
                          "eos_token_id", 2, "decoder_start_token_id", 0);
    return ft_config_from_json(j, "bench");
}
#endif
