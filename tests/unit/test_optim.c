/* AdamW, schedules and clipping against hand-computed HF/torch values. */
#include "test.h"
#include "optim.h"
#include <string.h>

static void two_params(ft_params *ps)
{
    ft_params_init(ps);
    int64_t s2[1] = { 2 }, s1[1] = { 1 };
    ft_params_add(ps, "w.weight", 1, s2, 0);
    ft_params_add(ps, "w.bias", 1, s1, 1);
    ft_params_add(ps, "frozen.weight", 1, s1, 0);
    ft_params_alloc(ps);
    ps->p[2].trainable = 0;
}

static void test_adamw(void)
{
    ft_params ps;
    two_params(&ps);
    float *w = ft_param_data(&ps, 0), *b = ft_param_data(&ps, 1), *f = ft_param_data(&ps, 2);
    w[0] = 1; w[1] = -2; b[0] = 0.5f; f[0] = 3;
    ft_adamw *o = ft_adamw_new(&ps, 0.1f);
    double m[3] = { 0 }, v[3] = { 0 }, x[3] = { 1, -2, 0.5 };
    float g[3][3] = { { 0.1f, -0.2f, 0.3f }, { 0.05f, 0.4f, -0.1f }, { -0.3f, 0.0f, 0.2f } };
    double lr = 0.01;
    for (int t = 1; t <= 3; t++) {
        ft_param_grad(&ps, 0)[0] = g[t - 1][0];
        ft_param_grad(&ps, 0)[1] = g[t - 1][1];
        ft_param_grad(&ps, 1)[0] = g[t - 1][2];
        ft_param_grad(&ps, 2)[0] = 100;             /* frozen: ignored */
        ft_adamw_step(o, &ps, (float)lr);
        for (int i = 0; i < 3; i++) {
            if (i < 2) x[i] *= 1 - lr * 0.1;         /* no decay on the bias */
            m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
            v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
            double mh = m[i] / (1 - pow(0.9, t)), vh = sqrt(v[i]) / sqrt(1 - pow(0.999, t));
            x[i] -= lr * mh / (vh + 1e-8);
        }
    }
    CHECK_NEAR(w[0], x[0], 1e-6);
    CHECK_NEAR(w[1], x[1], 1e-6);
    CHECK_NEAR(b[0], x[2], 1e-6);
    CHECK(f[0] == 3);
    ft_adamw_free(o);
    ft_params_free(&ps);
}

static void test_clip(void)
{
    ft_params ps;
    two_params(&ps);
    float *g = ft_param_grad(&ps, 0);
    g[0] = 3; g[1] = 0; ft_param_grad(&ps, 1)[0] = 4;
    ft_param_grad(&ps, 2)[0] = 1000;                 /* frozen: not in the norm */
    CHECK_NEAR(ft_clip_grad_norm(&ps, 0), 5, 1e-6);  /* 0 disables clipping */
    CHECK(g[0] == 3);
    CHECK_NEAR(ft_clip_grad_norm(&ps, 1.0f), 5, 1e-6);
    CHECK_NEAR(g[0], 3 / (5 + 1e-6), 1e-7);
    CHECK_NEAR(ft_param_grad(&ps, 1)[0], 4 / (5 + 1e-6), 1e-7);
    CHECK_NEAR(ft_clip_grad_norm(&ps, 10.0f), 1, 1e-6);   /* below max: unchanged */
    CHECK_NEAR(g[0], 3 / (5 + 1e-6), 1e-7);
    ft_grad_scale(&ps, 0.5f);
    CHECK_NEAR(g[0], 1.5 / (5 + 1e-6), 1e-7);
    ft_params_free(&ps);
}

/* The fused clip + step + zero_grad gives the same bits as the three calls. */
static void test_fused_step(void)
{
    ft_params a, b;
    two_params(&a);
    two_params(&b);
    ft_adamw *oa = ft_adamw_new(&a, 0.1f), *ob = ft_adamw_new(&b, 0.1f);
    float g[3][3] = { { 3, -4, 2 }, { 0.05f, 0.4f, -0.1f }, { -30, 0.5f, 20 } };
    for (int t = 0; t < 3; t++) {
        for (int k = 0; k < 2; k++) {
            ft_params *ps = k ? &b : &a;
            ft_param_grad(ps, 0)[0] = g[t][0];
            ft_param_grad(ps, 0)[1] = g[t][1];
            ft_param_grad(ps, 1)[0] = g[t][2];
        }
        float na = ft_clip_grad_norm(&a, 1.0f);
        ft_adamw_step(oa, &a, 0.01f);
        ft_params_zero_grad(&a);
        float nb = ft_clip_step_zero(ob, &b, 0.01f, 1.0f, NULL);
        CHECK(na == nb);
        CHECK(memcmp(a.data, b.data, a.total * sizeof *a.data) == 0);
        CHECK(memcmp(oa->m, ob->m, a.total * sizeof *a.data) == 0 && memcmp(oa->v, ob->v, a.total * sizeof *a.data) == 0);
        CHECK(ft_param_grad(&b, 0)[0] == 0 && ft_param_grad(&b, 1)[0] == 0);
    }
    ft_adamw_free(oa); ft_adamw_free(ob);
    ft_params_free(&a); ft_params_free(&b);
}

static void test_schedules(void)
{
    /* get_linear_schedule_with_warmup(warmup=2, total=10), lr 1: */
    double lin[10] = { 0, 0.5, 1, 7 / 8.0, 6 / 8.0, 5 / 8.0, 4 / 8.0, 3 / 8.0, 2 / 8.0, 1 / 8.0 };
    for (int s = 0; s < 10; s++) CHECK_NEAR(ft_lr_at(FT_SCHED_LINEAR, 1, s, 2, 10), lin[s], 1e-12);
    CHECK_NEAR(ft_lr_at(FT_SCHED_LINEAR, 1, 12, 2, 10), 0, 0);
    CHECK_NEAR(ft_lr_at(FT_SCHED_LINEAR, 2e-5, 0, 0, 10), 2e-5, 1e-18);   /* no warmup */
    /* cosine: 0.5·(1 + cos(π·progress)) after warmup */
    CHECK_NEAR(ft_lr_at(FT_SCHED_COSINE, 1, 1, 2, 10), 0.5, 1e-12);
    CHECK_NEAR(ft_lr_at(FT_SCHED_COSINE, 1, 2, 2, 10), 1, 1e-12);
    CHECK_NEAR(ft_lr_at(FT_SCHED_COSINE, 1, 6, 2, 10), 0.5, 1e-12);
    CHECK_NEAR(ft_lr_at(FT_SCHED_COSINE, 1, 4, 2, 10), 0.5 * (1 + cos(M_PI * 0.25)), 1e-12);
    CHECK_NEAR(ft_lr_at(FT_SCHED_CONSTANT, 3, 0, 2, 10), 3, 0);
    CHECK_NEAR(ft_lr_at(FT_SCHED_CONSTANT_WARMUP, 1, 1, 4, 10), 0.25, 1e-12);
    CHECK_NEAR(ft_lr_at(FT_SCHED_CONSTANT_WARMUP, 1, 7, 4, 10), 1, 0);
    CHECK(ft_warmup_steps(0, 0.1, 95) == 10);        /* ceil(9.5) */
    CHECK(ft_warmup_steps(7, 0.1, 95) == 7);         /* explicit steps win */
    CHECK(ft_sched_parse("cosine") == FT_SCHED_COSINE && ft_sched_parse("bogus") == -1);
}

/* transformers Trainer.get_decay_parameter_names: no decay for a name that
   contains "bias" anywhere, or for a LayerNorm-type module's parameters. */
static void test_hf_decay_rule(void)
{
    CHECK(ft_hf_no_decay("bert.encoder.layer.0.output.LayerNorm.weight", "LayerNorm."));
    CHECK(ft_hf_no_decay("bert.encoder.layer.0.output.dense.bias", "LayerNorm."));
    CHECK(ft_hf_no_decay("cls.predictions.bias", "LayerNorm."));
    CHECK(!ft_hf_no_decay("bert.embeddings.word_embeddings.weight", "LayerNorm."));
    CHECK(ft_hf_no_decay("transformer.h.0.ln_1.weight", ".ln_"));
    CHECK(ft_hf_no_decay("transformer.h.0.attn.c_attn.bias", ".ln_"));
    CHECK(!ft_hf_no_decay("transformer.h.0.mlp.c_fc.weight", ".ln_"));
    CHECK(ft_hf_no_decay("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "layer_norm"));
    CHECK(ft_hf_no_decay("decoder.final_layer_norm.weight", "layer_norm"));
    CHECK(!ft_hf_no_decay("encoder.block.0.layer.1.DenseReluDense.wo.weight", "layer_norm"));
    CHECK(!ft_hf_no_decay("bert.encoder.layer.0.attention.self.query.lora_A.weight", NULL));
}

int main(void)
{
    RUN(test_adamw);
    RUN(test_hf_decay_rule);
    RUN(test_clip);
    RUN(test_fused_step);
    RUN(test_schedules);
    TEST_MAIN_END();
}
