/* GPT-2 and LoRA.  Without arguments: whole-model finite differences (base
   and LoRA), causal masking, KV-cache decoding against the full forward,
   checkpoint quirks, adapter save/load and merge.  With --ref DIR (written by
   tests/ref/gpt2_ref.py): parity with the PyTorch reference. */
#include "test.h"
#include "gradcheck.h"
#include "checkpoint.h"
#include "gpt2.h"
#include "lora.h"
#include "model.h"
#include "optim.h"
#include "safetensors.h"
#include "util.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ft_test_gpt2_XXXXXX";

static const char *tiny_cfg =
    "{\"model_type\":\"gpt2\",\"vocab_size\":23,\"n_embd\":8,\"n_layer\":2,\"n_head\":2,"
    "\"n_positions\":12,\"n_inner\":null,\"activation_function\":\"gelu_new\","
    "\"layer_norm_epsilon\":1e-5,\"initializer_range\":0.3,\"resid_pdrop\":0.1,"
    "\"embd_pdrop\":0.1,\"attn_pdrop\":0.1,\"eos_token_id\":3}";

static ft_model *tiny(uint64_t seed)
{
    char *d = ft_xasprintf("%s/tiny", dir);
    mkdir(d, 0777);
    char *p = ft_xasprintf("%s/config.json", d);
    FILE *f = fopen(p, "w");
    fputs(tiny_cfg, f);
    fclose(f);
    ft_model *m = ft_model_new_from_config(p, "causal-lm", 0, seed);
    free(p);
    free(d);
    return m;
}

static int32_t ids[12] = { 4, 9, 7, 12, 20, 5,   6, 8, 11, 3, 3, 3 };
static int32_t am[12]  = { 1, 1, 1, 1, 1, 1,     1, 1, 1, 1, 0, 0 };
static int32_t lab[12] = { 4, 9, 7, -100, 20, 5, 6, 8, 11, 3, -100, -100 };
static ft_batch batch(void)
{
    ft_batch b = { .B = 2, .T = 6, .input_ids = ids, .attention_mask = am, .labels = lab, .Tl = 6 };
    return b;
}

typedef struct { ft_model *m; ft_batch b; int train; } fb_ctx;
static double model_loss(void *p)
{
    fb_ctx *c = p;
    if (c->train) c->m->step--;
    return c->m->vt->forward(c->m, &c->b, c->train, 0, NULL);
}

static void check_all_grads(ft_model *m, int train, int from)
{
    fb_ctx c = { m, batch(), train };
    ft_params *ps = ft_model_params(m);
    ft_params_zero_grad(ps);
    ft_model_forward_backward(m, &c.b, train);   /* FD evaluations reuse this step's masks */
    for (int i = from; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        double w = gradcheck(ps->p[i].name, ft_param_data(ps, i), ps->p[i].numel, ft_param_grad(ps, i),
                             model_loss, &c, 1e-2f, 2e-4, 2e-2);
        CHECK(w <= 1);
    }
}

static void gpt2_gradients_eval(void) { ft_model *m = tiny(1); check_all_grads(m, 0, 0); ft_model_free(m); }
static void gpt2_gradients_dropout(void) { ft_model *m = tiny(2); check_all_grads(m, 1, 0); ft_model_free(m); }

static ft_lora_config lcfg(const char *targets)
{
    ft_lora_config c;
    ft_lora_config_default(&c);
    c.r = 3; c.alpha = 6; c.target_modules = targets;
    return c;
}

static void randomize_B(ft_model *m)
{
    ft_params *ps = ft_model_params(m);
    for (int l = 0; l < m->lora->n; l++)
        fill_normal(ft_param_data(ps, m->lora->L[l].B), ps->p[m->lora->L[l].B].numel, 77 + l, 0.3f);
}

static void lora_gradients(void)
{
    ft_model *m = tiny(3);
    ft_lora_config c = lcfg("c_attn,c_proj,c_fc");
    c.dropout = 0.2f;
    ft_lora_attach(m, &c, 5);
    randomize_B(m);
    check_all_grads(m, 0, 0);
    check_all_grads(m, 1, 0);
    /* base frozen: only A and B train */
    ft_params *ps = ft_model_params(m);
    for (int i = 0; i < ps->n; i++) CHECK(ps->p[i].trainable == (i >= m->lora->nparams_base));
    ft_model_free(m);
}

static void lora_bias_and_save_modes(void)
{
    ft_model *m = tiny(3);
    ft_lora_config c = lcfg("attn.c_proj");
    c.bias = FT_LORA_BIAS_ONLY;
    c.modules_to_save = "ln_f";
    ft_lora_attach(m, &c, 5);
    ft_params *ps = ft_model_params(m);
    CHECK(m->lora->n == 2);
    CHECK(ps->p[ft_params_find(ps, "transformer.h.0.attn.c_proj.bias")].trainable);
    CHECK(!ps->p[ft_params_find(ps, "transformer.h.0.mlp.c_proj.bias")].trainable);
    CHECK(ps->p[ft_params_find(ps, "transformer.ln_f.weight")].trainable);
    /* weight decay by HF Trainer's rule for what trains: a modules_to_save
       norm and biases none, the LoRA matrices decay */
    CHECK(ps->p[ft_params_find(ps, "transformer.ln_f.weight")].no_decay);
    CHECK(ps->p[ft_params_find(ps, "transformer.ln_f.bias")].no_decay);
    CHECK(ps->p[ft_params_find(ps, "transformer.h.0.attn.c_proj.bias")].no_decay);
    CHECK(!ps->p[ft_params_find(ps, "transformer.h.0.attn.c_proj.lora_A.weight")].no_decay);
    CHECK(!ps->p[ft_params_find(ps, "transformer.h.0.attn.c_proj.lora_B.weight")].no_decay);
    randomize_B(m);
    check_all_grads(m, 0, 0);
    ft_model_free(m);
    /* regex form, full-name match */
    m = tiny(3);
    c = lcfg("transformer\\.h\\.1\\.mlp\\.c_(fc|proj)");
    ft_lora_attach(m, &c, 5);
    CHECK(m->lora->n == 2);
    ft_model_free(m);
}

static void forward_logits(ft_model *m, const int32_t *in, const int32_t *mask, int B, int T, float *out)
{
    ft_batch b = { .B = B, .T = T, .input_ids = in, .attention_mask = mask };
    ft_model_forward(m, &b, out);
}

static void causal_masking(void)
{
    ft_model *m = tiny(4);
    int V = 23, T = 6;
    float a[6 * 23], b[6 * 23];
    int32_t x[6] = { 4, 9, 7, 12, 20, 5 };
    forward_logits(m, x, NULL, 1, T, a);
    for (int t = T - 1; t > 0; t--) {
        x[t] = (x[t] + 5) % V;
        forward_logits(m, x, NULL, 1, T, b);
        CHECK(memcmp(a, b, (size_t)t * V * sizeof(float)) == 0);   /* earlier rows unchanged */
        int changed = 0;
        for (int j = t * V; j < (t + 1) * V; j++) changed |= a[j] != b[j];
        CHECK(changed);
        memcpy(a, b, sizeof a);
    }
    ft_model_free(m);
}

/* The KV-cache decoder equals the full forward at every position, with and
   without an adapter, for a left-padded batch with cumsum positions. */
static void kv_cache_matches_forward(void)
{
    for (int with_lora = 0; with_lora < 2; with_lora++) {
        ft_model *m = tiny(6);
        if (with_lora) {
            ft_lora_config c = lcfg("c_attn,c_proj");
            ft_lora_attach(m, &c, 5);
            randomize_B(m);
        }
        int V = 23, B = 2, T = 7;
        int32_t x[14] = { 3, 3, 5, 8, 9, 10, 11,   4, 6, 7, 8, 13, 14, 15 };
        int32_t mk[14] = { 0, 0, 1, 1, 1, 1, 1,    1, 1, 1, 1, 1, 1, 1 };
        int32_t pos[14];
        for (int b = 0; b < B; b++) {
            int s = 0;
            for (int t = 0; t < T; t++) { s += mk[b * T + t]; pos[b * T + t] = mk[b * T + t] ? s - 1 : 1; }
        }
        /* reference: full forward of the prefix [0, t] for each t, last row */
        ft_decoder *kc = m->vt->decode_begin(m, B, T, NULL);
        float lg[2 * 23];
        int pre = 4;
        int32_t ci[8], cp[8], cm[14];
        for (int b = 0; b < B; b++) for (int t = 0; t < pre; t++) {
            ci[b * pre + t] = x[b * T + t]; cp[b * pre + t] = pos[b * T + t]; cm[b * pre + t] = mk[b * T + t];
        }
        m->vt->decode_step(m, kc, ci, cp, cm, pre, lg);
        for (int t = pre; t <= T; t++) {
            /* full forward of rows truncated at t (positions as HF: cumsum) */
            for (int b = 0; b < B; b++) {
                /* HF's positions for the padded row differ from arange, so
                   compare against a forward of the unpadded suffix */
                int off = 0;
                while (!mk[b * T + off]) off++;
                int len = t - off;
                float *full = ft_xmalloc((size_t)len * V * sizeof(float));
                forward_logits(m, x + b * T + off, NULL, 1, len, full);
                for (int v = 0; v < V; v++) CHECK_NEAR(lg[b * V + v], full[(len - 1) * V + v], 1e-4);
                free(full);
            }
            if (t == T) break;
            int32_t ni[2] = { x[t], x[T + t] }, np[2] = { pos[t], pos[T + t] };
            for (int b = 0; b < B; b++) for (int j = 0; j <= t; j++) cm[b * (t + 1) + j] = mk[b * T + j];
            m->vt->decode_step(m, kc, ni, np, cm, 1, lg);
        }
        m->vt->decode_end(kc);
        ft_model_free(m);
    }
}

static void save_load_merge(void)
{
    ft_model *m = tiny(7);
    char *base = ft_xasprintf("%s/base", dir), *ad = ft_xasprintf("%s/adapter", dir);
    ft_model_save(m, base);
    ft_lora_config c = lcfg("c_attn,c_proj");
    ft_lora_attach(m, &c, 5);
    randomize_B(m);
    float before[12 * 23], after[12 * 23], merged[12 * 23];
    forward_logits(m, ids, am, 2, 6, before);
    ft_model_save(m, ad);
    ft_model *m2 = ft_model_load(base, "causal-lm", 0, 99);
    ft_lora_load(m2, ad);
    forward_logits(m2, ids, am, 2, 6, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    char line[200];
    ft_lora_trainable_line(m2, line, sizeof line);
    CHECK(strstr(line, "trainable params: ") == line && strstr(line, " || all params: ") && strstr(line, "trainable%: "));
    ft_lora_merge(m2);
    CHECK(m2->lora == NULL && m2->params.n == m->lora->nparams_base);
    forward_logits(m2, ids, am, 2, 6, merged);
    for (int i = 0; i < 12 * 23; i++) CHECK_NEAR(merged[i], before[i], 1e-5);
    ft_model_free(m2);
    ft_model_free(m);
    free(base); free(ad);
}

/* LoRA through BERT's (packed q/k/v) linear layers: finite differences,
   B = 0 leaves the logits alone, the classifier is saved (SEQ_CLS). */
static const char *bert_cfg =
    "{\"model_type\":\"bert\",\"vocab_size\":30,\"hidden_size\":8,\"num_hidden_layers\":2,"
    "\"num_attention_heads\":2,\"intermediate_size\":12,\"max_position_embeddings\":12,"
    "\"type_vocab_size\":2,\"initializer_range\":0.3,\"hidden_dropout_prob\":0.1,"
    "\"attention_probs_dropout_prob\":0.1,\"num_labels\":3}";

static void bert_lora(void)
{
    char *d = ft_xasprintf("%s/bert", dir);
    mkdir(d, 0777);
    char *p = ft_xasprintf("%s/config.json", d);
    FILE *f = fopen(p, "w");
    fputs(bert_cfg, f);
    fclose(f);
    ft_model *m = ft_model_new_from_config(p, "seq-cls", 3, 1);
    int32_t bl[2] = { 2, 0 };
    ft_batch b = { .B = 2, .T = 6, .input_ids = ids, .attention_mask = am, .labels = bl };
    float before[6], after[6];
    ft_model_forward(m, &b, before);
    ft_lora_config c = lcfg("query,value,dense");
    c.dropout = 0.1f;
    ft_lora_attach(m, &c, 3);
    CHECK(m->lora->n == 2 * 5 + 1);    /* q, v, 3 dense per layer, pooler */
    ft_model_forward(m, &b, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    ft_params *ps = ft_model_params(m);
    CHECK(ps->p[ft_params_find(ps, "classifier.weight")].trainable);
    CHECK(!ps->p[ft_params_find(ps, "bert.encoder.layer.0.attention.self.query.weight")].trainable);
    randomize_B(m);
    for (int train = 0; train < 2; train++) {
        fb_ctx x = { m, b, train };
        ft_params_zero_grad(ps);
        ft_model_forward_backward(m, &b, train);
        for (int i = 0; i < ps->n; i++) {
            if (!ps->p[i].trainable) continue;
            double w = gradcheck(ps->p[i].name, ft_param_data(ps, i), ps->p[i].numel, ft_param_grad(ps, i),
                                 model_loss, &x, 1e-2f, 2e-4, 2e-2);
            CHECK(w <= 1);
        }
    }
    ft_model_free(m);
    free(p);
    free(d);
}

/* ---- parity with tests/ref/gpt2_ref.py ---- */

static ft_st_file *ref;
static float *rt(const char *name, size_t *n)
{
    const ft_st_tensor *t = ft_st_find(ref, name);
    if (!t) ft_die("reference lacks %s", name);
    float *x = ft_xmalloc(t->numel * sizeof *x);
    ft_st_read_f32(ref, t, x);
    if (n) *n = t->numel;
    return x;
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double mx = 0, scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(a[i] - b[i]));
    return mx / (scale > 0 ? scale : 1);
}

static int32_t *rb_ids, *rb_mask, *rb_lab;
static ft_batch ref_batch(const char *d)
{
    char *p = ft_xasprintf("%s/batch.safetensors", d);
    ft_st_file *f = ft_st_open(p);
    const ft_st_tensor *t = ft_st_find(f, "input_ids");
    int B = (int)t->shape[0], T = (int)t->shape[1];
    float *x = ft_xmalloc(t->numel * sizeof *x);
    int32_t **dst[3] = { &rb_ids, &rb_mask, &rb_lab };
    const char *nm[3] = { "input_ids", "attention_mask", "labels" };
    for (int k = 0; k < 3; k++) {
        ft_st_read_f32(f, ft_st_find(f, nm[k]), x);
        *dst[k] = ft_xmalloc(t->numel * sizeof(int32_t));
        for (size_t i = 0; i < t->numel; i++) (*dst[k])[i] = (int32_t)x[i];
    }
    free(x); ft_st_close(f); free(p);
    ft_batch b = { .B = B, .T = T, .input_ids = rb_ids, .attention_mask = rb_mask, .labels = rb_lab, .Tl = T };
    return b;
}

static const char *ref_dir;
#define REPORT(what, err, tol) do { double _e = (err); \
    if (_e > (tol) || getenv("FT_REF_VERBOSE")) fprintf(stderr, "  %s: max rel err %.3g > %.3g\n", what, _e, (double)(tol)); \
    CHECK(_e <= (tol)); } while (0)

static void ref_logits_loss_grads(void)
{
    for (int v = 0; v < 2; v++) {
        char *md = ft_xasprintf("%s/%s", ref_dir, v ? "model2" : "model");
        ft_model *m = ft_model_load(md, "causal-lm", 0, 1);
        ft_batch b = ref_batch(ref_dir);
        int V = 97;
        size_t n;
        float *want = rt("logits", &n);
        float *got = ft_xmalloc(n * sizeof *got);
        CHECK(n == (size_t)b.B * b.T * V);
        ft_model_forward(m, &b, got);
        REPORT("logits", max_rel(got, want, n), 1e-5);
        float *wl = rt("loss", NULL);
        ft_params *ps = ft_model_params(m);
        ft_params_zero_grad(ps);
        float loss = ft_model_forward_backward(m, &b, 0);
        CHECK_NEAR(loss, wl[0], 1e-5 * fabs(wl[0]));
        for (int i = 0; i < ps->n; i++) {
            char *k = ft_xasprintf("grad.%s", ps->p[i].name);
            float *g = rt(k, &n);
            CHECK(n == ps->p[i].numel);
            REPORT(k, max_rel(ft_param_grad(ps, i), g, n), 1e-4);
            free(k); free(g);
        }
        /* three AdamW steps, HF's decay groups */
        ft_adamw *o = ft_adamw_new(ps, 0.01f);
        for (int s = 0; s < 3; s++) {
            ft_params_zero_grad(ps);
            ft_model_forward_backward(m, &b, 0);
            ft_adamw_step(o, ps, 1e-3f);
        }
        for (int i = 0; i < ps->n; i++) {
            char *k = ft_xasprintf("step3.%s", ps->p[i].name);
            float *w = rt(k, &n);
            float *got_w = ft_param_data(ps, i);
            if (strstr(k, "c_attn.bias")) {
                /* The key bias has an exactly-zero gradient (softmax is shift
                   invariant), so Adam normalises rounding noise into ±lr
                   steps on both sides: compare the q and v parts only. */
                size_t C3 = n / 3;
                memcpy(got_w + C3, w + C3, C3 * sizeof *w);
            }
            REPORT(k, max_rel(got_w, w, n), 2e-5);
            free(k); free(w);
        }
        ft_adamw_free(o);
        free(want); free(got); free(wl); free(md);
        ft_model_free(m);
    }
}

static void set_lora_from_ref(ft_model *m, const char *which)
{
    ft_params *ps = ft_model_params(m);
    for (int l = 0; l < m->lora->n; l++) {
        ft_lora_layer *L = &m->lora->L[l];
        size_t n;
        char *k = ft_xasprintf("lora_%s_A.%s", which, L->module);
        float *a = rt(k, &n);
        memcpy(ft_param_data(ps, L->A), a, n * sizeof *a);
        free(k); free(a);
        k = ft_xasprintf("lora_%s_B.%s", which, L->module);
        a = rt(k, &n);
        memcpy(ft_param_data(ps, L->B), a, n * sizeof *a);
        free(k); free(a);
    }
}

static void ref_lora(void)
{
    char *md = ft_xasprintf("%s/model", ref_dir);
    ft_model *m = ft_model_load(md, "causal-lm", 0, 1);
    ft_lora_config c = lcfg("c_attn,c_proj");
    c.r = 4; c.alpha = 8;
    ft_lora_attach(m, &c, 1);
    CHECK(m->lora->n == 6);
    set_lora_from_ref(m, "init");
    ft_batch b = ref_batch(ref_dir);
    size_t n;
    float *want = rt("lora_logits0", &n), *base = rt("logits", NULL);
    float *got = ft_xmalloc(n * sizeof *got);
    ft_model_forward(m, &b, got);
    REPORT("lora logits with B=0", max_rel(got, want, n), 1e-5);
    CHECK(memcmp(want, base, n * sizeof *want) == 0);
    ft_params *ps = ft_model_params(m);
    ft_adamw *o = ft_adamw_new(ps, 0.01f);
    for (int s = 0; s < 3; s++) {
        ft_params_zero_grad(ps);
        ft_model_forward_backward(m, &b, 0);
        if (s == 0)
            for (int l = 0; l < m->lora->n; l++) {
                char *k = ft_xasprintf("lora_grad1_B.%s", m->lora->L[l].module);
                float *g = rt(k, &n);
                REPORT(k, max_rel(ft_param_grad(ps, m->lora->L[l].B), g, n), 1e-4);
                free(k); free(g);
            }
        ft_adamw_step(o, ps, 1e-2f);
    }
    for (int l = 0; l < m->lora->n; l++) {
        const char *ab[2] = { "A", "B" };
        for (int j = 0; j < 2; j++) {
            char *k = ft_xasprintf("lora_step3_%s.%s", ab[j], m->lora->L[l].module);
            float *w = rt(k, &n);
            REPORT(k, max_rel(ft_param_data(ps, j ? m->lora->L[l].B : m->lora->L[l].A), w, n), 2e-5);
            free(k); free(w);
        }
    }
    /* gradients where B != 0 */
    ft_params_zero_grad(ps);
    float loss = ft_model_forward_backward(m, &b, 0);
    float *wl = rt("lora_loss_b", NULL);
    CHECK_NEAR(loss, wl[0], 1e-5 * fabs(wl[0]));
    for (int l = 0; l < m->lora->n; l++) {
        const char *ab[2] = { "A", "B" };
        for (int j = 0; j < 2; j++) {
            char *k = ft_xasprintf("lora_gradb_%s.%s", ab[j], m->lora->L[l].module);
            float *g = rt(k, &n);
            REPORT(k, max_rel(ft_param_grad(ps, j ? m->lora->L[l].B : m->lora->L[l].A), g, n), 1e-4);
            free(k); free(g);
        }
    }
    /* save for the tools test: the trained adapter, PEFT layout */
    char *ad = ft_xasprintf("%s/adapter", ref_dir);
    m->lora->base_model = ft_xstrdup(md);
    ft_model_save(m, ad);
    free(ad);
    ft_adamw_free(o);
    free(want); free(base); free(got); free(wl); free(md);
    ft_model_free(m);
}

int main(int argc, char **argv)
{
    ft_set_prog("test_gpt2");
    if (argc == 3 && !strcmp(argv[1], "--ref")) {
        ref_dir = argv[2];
        char *p = ft_xasprintf("%s/ref.safetensors", ref_dir);
        ref = ft_st_open(p);
        free(p);
        RUN(ref_logits_loss_grads);
        RUN(ref_lora);
        ft_st_close(ref);
        TEST_MAIN_END();
    }
    if (!mkdtemp(dir)) return 1;
    RUN(gpt2_gradients_eval);
    RUN(gpt2_gradients_dropout);
    RUN(lora_gradients);
    RUN(lora_bias_and_save_modes);
    RUN(causal_masking);
    RUN(kv_cache_matches_forward);
    RUN(save_load_merge);
    RUN(bert_lora);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    free(cmd);
    TEST_MAIN_END();
}
