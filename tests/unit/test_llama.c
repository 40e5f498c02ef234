/* The Llama family (llama.c): whole-model finite differences of tiny
   configs — llama with grouped-query attention, llama3 rope scaling and
   attention dropout; qwen2 with q/k/v biases and a tied head; qwen3 with
   q/k norms and head_dim × heads ≠ hidden — with and without LoRA on every
   linear layer, each with gradient checkpointing off and on; causal masking.  Parity with PyTorch is tests/ref/llama.sh. */
#include "test.h"
#include "gradcheck.h"
#include "lora.h"
#include "model.h"
#include "util.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ft_test_llama_XXXXXX";

/* rms_norm_eps 0.1: with 4-wide heads a q or k vector of a tiny model can
   come near zero, where RMSNorm's curvature (~1/rms²) makes central
   differences with h = 1e-2 meaningless; eps keeps it away from that
   point (the parity tests use the real 1e-5 / 1e-6). */
/* head_dim 4: wavelengths 6.3 and 2π·500000^0.5 ≈ 4443; an original context
   of 16 puts the first in the smoothed band (4..16), the second in the ÷8 one */
static const char *llama_cfg =
    "{\"model_type\":\"llama\",\"vocab_size\":23,\"hidden_size\":8,\"intermediate_size\":12,"
    "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"rms_norm_eps\":0.1,"
    "\"rope_theta\":500000.0,\"max_position_embeddings\":64,\"tie_word_embeddings\":false,"
    "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,"
    "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":16},"
    "\"attention_dropout\":0.1,\"initializer_range\":0.3,\"eos_token_id\":3}";
static const char *qwen2_cfg =
    "{\"model_type\":\"qwen2\",\"vocab_size\":23,\"hidden_size\":8,\"intermediate_size\":12,"
    "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"num_key_value_heads\":2,\"rms_norm_eps\":0.1,"
    "\"rope_theta\":1000000.0,\"max_position_embeddings\":64,\"tie_word_embeddings\":true,"
    "\"use_sliding_window\":false,\"sliding_window\":4096,\"initializer_range\":0.3,\"eos_token_id\":3}";
static const char *qwen3_cfg =
    "{\"model_type\":\"qwen3\",\"vocab_size\":23,\"hidden_size\":6,\"intermediate_size\":10,"
    "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":4,"
    "\"rms_norm_eps\":0.1,\"rope_theta\":1000000.0,\"max_position_embeddings\":64,"
    "\"tie_word_embeddings\":true,\"attention_bias\":false,\"initializer_range\":0.3,\"eos_token_id\":3}";

static ft_model *tiny(const char *name, const char *cfg, uint64_t seed)
{
    char *p = test_write_config(dir, name, cfg);
    ft_model *m = ft_model_new_from_config(p, "causal-lm", 0, seed);
    /* weights of a trained model's size: the norms away from 1, so their
       gradients are not degenerate */
    ft_params *ps = ft_model_params(m);
    for (int i = 0; i < ps->n; i++)
        if (strstr(ps->p[i].name, "norm")) {
            float *w = ft_param_data(ps, i);
            fill_normal(w, ps->p[i].numel, seed * 100 + i, 0.2f);
            for (size_t j = 0; j < ps->p[i].numel; j++) w[j] += 1.0f;
        }
    free(p);
    return m;
}

/* row 0 full with an ignored label; row 1 right-padded; row 2 left-padded
   (its first real token unlabelled: a pad query predicts it) */
static int32_t ids[18] = { 4, 9, 7, 12, 20, 5,   6, 8, 11, 3, 0, 0,   0, 0, 13, 17, 2, 9 };
static int32_t am[18]  = { 1, 1, 1, 1, 1, 1,     1, 1, 1, 1, 0, 0,    0, 0, 1, 1, 1, 1 };
static int32_t lab[18] = { 4, 9, 7, -100, 20, 5, 6, 8, 11, 3, -100, -100, -100, -100, -100, 17, 2, 9 };
static ft_batch batch(void)
{
    ft_batch b = { .B = 3, .T = 6, .input_ids = ids, .attention_mask = am, .labels = lab, .Tl = 6 };
    return b;
}

typedef struct { ft_model *m; ft_batch b; int train; } fb_ctx;
static double model_loss(void *p)
{
    fb_ctx *c = p;
    if (c->train) c->m->step--;          /* the same dropout masks */
    return c->m->vt->forward(c->m, &c->b, c->train, 0, NULL);
}

/* Finite differences of every trainable tensor, with gradient checkpointing
   off and on: the recomputed layers (dropout masks included) must give the
   very gradients of the kept activations. */
static void check_all_grads(ft_model *m, int train)
{
    fb_ctx c = { m, batch(), train };
    ft_params *ps = ft_model_params(m);
    float *kept = ft_xmalloc(ps->total * sizeof *kept);
    for (int gc = 0; gc < 2; gc++) {
        if (gc) ft_model_gradient_checkpointing(m);
        ft_params_zero_grad(ps);
        uint64_t step = m->step;
        ft_model_forward_backward(m, &c.b, train);
        if (!gc) { memcpy(kept, ps->grad, ps->total * sizeof *kept); m->step = step; continue; }
        for (int i = 0; i < ps->n; i++) {
            if (!ps->p[i].trainable) continue;
            float *g = ft_param_grad(ps, i), *k = kept + ps->p[i].offset;
            double e = 0;
            for (size_t j = 0; j < ps->p[i].numel; j++) e = fmax(e, fabs(g[j] - k[j]) / (1e-6 + fabs(k[j])));
            if (e > 1e-5) fprintf(stderr, "  %s: checkpointed gradient differs by %.3g\n", ps->p[i].name, e);
            CHECK(e <= 1e-5);
            double w = gradcheck(ps->p[i].name, ft_param_data(ps, i), ps->p[i].numel, g,
                                 model_loss, &c, 1e-2f, 2e-4, 2e-2);
            CHECK(w <= 1);
        }
    }
    m->gradient_checkpointing = 0;    /* model.h has no call to turn it off */
    free(kept);
}

static void attach_lora(ft_model *m)
{
    ft_lora_config c;
    ft_lora_config_default(&c);
    c.r = 3; c.alpha = 6; c.dropout = 0.1f;
    c.target_modules = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";
    ft_lora_attach(m, &c, 5);
    CHECK(m->lora->n == 7 * 2);          /* q k v o gate up down × 2 layers, not lm_head */
    ft_params *ps = ft_model_params(m);
    for (int l = 0; l < m->lora->n; l++)
        fill_normal(ft_param_data(ps, m->lora->L[l].B), ps->p[m->lora->L[l].B].numel, 77 + l, 0.3f);
}

static void llama_gradients(void)
{
    ft_model *m = tiny("llama", llama_cfg, 1);
    check_all_grads(m, 0);
    check_all_grads(m, 1);
    ft_model_free(m);
}

static void qwen2_gradients(void)
{
    ft_model *m = tiny("qwen2", qwen2_cfg, 2);
    ft_params *ps = ft_model_params(m);
    CHECK(ft_params_find(ps, "model.layers.0.self_attn.k_proj.bias") >= 0);
    CHECK(ft_params_find(ps, "model.layers.0.self_attn.o_proj.bias") < 0);
    CHECK(ft_params_find(ps, "lm_head.weight") < 0);
    check_all_grads(m, 0);
    ft_model_free(m);
}

static void qwen3_gradients(void)
{
    ft_model *m = tiny("qwen3", qwen3_cfg, 3);
    ft_params *ps = ft_model_params(m);
    int qn = ft_params_find(ps, "model.layers.1.self_attn.q_norm.weight");
    CHECK(qn >= 0 && ps->p[qn].numel == 4 && ps->p[qn].no_decay);
    int q = ft_params_find(ps, "model.layers.1.self_attn.q_proj.weight");
    CHECK(q >= 0 && ps->p[q].shape[0] == 8 && ps->p[q].shape[1] == 6);
    check_all_grads(m, 0);
    ft_model_free(m);
}

static void lora_gradients(void)
{
    const char *cfgs[2] = { llama_cfg, qwen3_cfg }, *names[2] = { "llama_lora", "qwen3_lora" };
    for (int k = 0; k < 2; k++) {
        ft_model *m = tiny(names[k], cfgs[k], 4 + k);
        attach_lora(m);
        check_all_grads(m, 0);
        check_all_grads(m, 1);
        ft_params *ps = ft_model_params(m);
        for (int i = 0; i < ps->n; i++) CHECK(ps->p[i].trainable == (i >= m->lora->nparams_base));
        ft_model_free(m);
    }
}

/* Later tokens never change earlier logits; a left-padded row's real
   tokens do not see its pads. */
static void causal_masking(void)
{
    ft_model *m = tiny("mask", qwen3_cfg, 6);
    int V = 23, T = 6;
    float a[6 * 23], b[6 * 23];
    int32_t x[6] = { 4, 9, 7, 12, 20, 5 };
    ft_batch bt = { .B = 1, .T = T, .input_ids = x };
    ft_model_forward(m, &bt, a);
    for (int t = T - 1; t > 0; t--) {
        x[t] = (x[t] + 5) % V;
        ft_model_forward(m, &bt, b);
        CHECK(memcmp(a, b, (size_t)t * V * sizeof(float)) == 0);
        int changed = 0;
        for (int j = t * V; j < (t + 1) * V; j++) changed |= a[j] != b[j];
        CHECK(changed);
        memcpy(a, b, sizeof a);
    }
    /* the pads' ids do not matter to the real tokens */
    int32_t y[6] = { 0, 0, 13, 17, 2, 9 }, mk[6] = { 0, 0, 1, 1, 1, 1 };
    ft_batch pb = { .B = 1, .T = T, .input_ids = y, .attention_mask = mk };
    ft_model_forward(m, &pb, a);
    y[0] = 7; y[1] = 19;
    ft_model_forward(m, &pb, b);
    CHECK(memcmp(a + 2 * V, b + 2 * V, (size_t)4 * V * sizeof(float)) == 0);
    ft_model_free(m);
}

int main(void)
{
    ft_set_prog("test_llama");
    if (!mkdtemp(dir)) return 1;
    RUN(llama_gradients);
    RUN(qwen2_gradients);
    RUN(qwen3_gradients);
    RUN(lora_gradients);
    RUN(causal_masking);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    free(cmd);
    TEST_MAIN_END();
}
