/* BERT for sequence classification: whole-model finite differences on every
   parameter tensor, init as HF, save/load round trip, checkpoint quirks. */
#include "test.h"
#include "gradcheck.h"
#include "bert.h"
#include "checkpoint.h"
#include "model.h"
#include "util.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ft_test_bert_XXXXXX";

static const char *tiny_cfg =
    "{\"model_type\":\"bert\",\"vocab_size\":30,\"hidden_size\":16,\"num_hidden_layers\":2,"
    "\"num_attention_heads\":2,\"intermediate_size\":24,\"max_position_embeddings\":12,"
    "\"type_vocab_size\":2,\"layer_norm_eps\":1e-12,\"initializer_range\":0.3,"
    "\"hidden_dropout_prob\":0.1,\"attention_probs_dropout_prob\":0.1,\"hidden_act\":\"gelu\","
    "\"pad_token_id\":0,\"num_labels\":3,\"some_unknown_key\":[1,2]}";

/* The model directory dir/name holding config.json. */
static char *write_cfg(const char *name, const char *json)
{
    char *p = test_write_config(dir, name, json);
    *strrchr(p, '/') = 0;
    return p;
}

static ft_model *tiny(int num_labels, uint64_t seed)
{
    char *d = write_cfg("tiny", tiny_cfg);
    char *p = ft_xasprintf("%s/config.json", d);
    ft_model *m = ft_model_new_from_config(p, "seq-cls", num_labels, seed);
    free(p);
    free(d);
    return m;
}

/* a padded batch: B=3, T=6, row 1 and 2 padded */
static int32_t ids[18] = { 2, 5, 7, 9, 11, 3,   2, 8, 4, 3, 0, 0,   2, 6, 3, 0, 0, 0 };
static int32_t am[18]  = { 1, 1, 1, 1, 1, 1,    1, 1, 1, 1, 0, 0,   1, 1, 1, 0, 0, 0 };
static int32_t tt[18]  = { 0, 0, 0, 1, 1, 1,    0, 0, 1, 1, 0, 0,   0, 0, 0, 0, 0, 0 };
static int32_t lab[3]  = { 2, 0, 1 };
static ft_batch batch(void)
{
    ft_batch b = { .B = 3, .T = 6, .input_ids = ids, .attention_mask = am, .token_type_ids = tt, .labels = lab };
    return b;
}

typedef struct { ft_model *m; ft_batch b; int train; } fb_ctx;
static double model_loss(void *p)
{
    fb_ctx *c = p;
    if (c->train) c->m->step--;   /* same dropout masks on every evaluation */
    return c->m->vt->forward(c->m, &c->b, c->train, 0, NULL);
}

/* FD on up to 8 entries of every tensor (the entries with the largest
   analytic gradient and a few random ones). */
static void gradcheck_model(ft_model *m, const ft_batch *b, int train)
{
    ft_params *ps = &m->params;
    ft_params_zero_grad(ps);
    ft_model_forward_backward(m, b, train);
    fb_ctx c = { m, *b, train };
    int bad = 0;
    for (int i = 0; i < ps->n; i++) {
        ft_param *p = &ps->p[i];
        float *x = ps->data + p->offset, *g = ps->grad + p->offset;
        size_t pick[8];
        int np = 0;
        size_t best = 0;
        for (size_t j = 1; j < p->numel; j++) if (fabsf(g[j]) > fabsf(g[best])) best = j;
        pick[np++] = best;
        ft_rng r;
        ft_rng_seed(&r, i);
        while (np < 8 && (size_t)np < p->numel) pick[np++] = ft_rng_u64(&r) % p->numel;
        for (int k = 0; k < np; k++) {
            float an = g[pick[k]];
            double w = gradcheck(p->name, x + pick[k], 1, &an, model_loss, &c, 1e-2f, 2e-4, 2e-2);
            if (w > 1) bad++;
        }
    }
    CHECK(bad == 0);
}

static void test_gradcheck_eval(void)
{
    ft_model *m = tiny(3, 1);
    ft_batch b = batch();
    gradcheck_model(m, &b, 0);
    ft_model_free(m);
}

static void test_gradcheck_dropout(void)
{
    ft_model *m = tiny(3, 2);
    ft_batch b = batch();
    gradcheck_model(m, &b, 1);
    ft_model_free(m);
}

static void test_gradcheck_regression(void)
{
    ft_model *m = tiny(1, 3);
    CHECK(m->problem == FT_PROBLEM_REGRESSION);
    float y[3] = { 0.5f, -1.0f, 2.0f };
    ft_batch b = batch();
    b.labels = NULL;
    b.float_labels = y;
    gradcheck_model(m, &b, 0);
    ft_model_free(m);
}

static void test_gradcheck_multilabel(void)
{
    ft_model *m = tiny(3, 4);
    ft_config_set_str(m->cfg, "problem_type", "multi_label_classification");
    m->problem = FT_PROBLEM_MULTI_LABEL;
    float y[9] = { 1, 0, 1, 0, 0, 1, 1, 1, 0 };
    ft_batch b = batch();
    b.labels = NULL;
    b.float_labels = y;
    gradcheck_model(m, &b, 0);
    ft_model_free(m);
}

/* inference (one layer's slots) and training arenas give identical logits,
   whatever order they are set up in, and a larger batch grows the arena */
static void test_arena_modes(void)
{
    ft_model *m = tiny(3, 11);
    ft_batch b = batch();
    float l1[9], l2[9], l3[9];
    ft_model_forward(m, &b, l1);
    m->vt->forward(m, &b, 0, 1, l2);
    ft_model_forward(m, &b, l3);
    CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(l1, l3, sizeof l1) == 0);
    static int32_t ids2[3 * 12], am2[3 * 12];
    for (int i = 0; i < 3; i++)
        for (int t = 0; t < 12; t++) {
            ids2[i * 12 + t] = t < 6 ? ids[i * 6 + t] : 0;
            am2[i * 12 + t] = t < 6 ? am[i * 6 + t] : 0;
        }
    ft_batch b2 = { .B = 3, .T = 12, .input_ids = ids2, .attention_mask = am2, .labels = lab };
    ft_batch b1 = b;
    b1.token_type_ids = NULL;
    float l4[9], l5[9];
    ft_model_forward(m, &b1, l4);
    ft_model_forward_backward(m, &b2, 0);
    m->vt->forward(m, &b2, 0, 1, l5);          /* extra padding changes nothing */
    for (int i = 0; i < 9; i++) CHECK_NEAR(l4[i], l5[i], 1e-5);
    ft_model_free(m);
}

static void test_init(void)
{
    ft_model *m = tiny(3, 5);
    ft_params *ps = &m->params;
    int w = ft_params_find(ps, "bert.embeddings.word_embeddings.weight");
    float *x = ft_param_data(ps, w);
    for (int c = 0; c < 16; c++) CHECK(x[c] == 0);                 /* padding row */
    double s = 0, s2 = 0;
    size_t n = ps->p[w].numel - 16;
    for (size_t j = 16; j < ps->p[w].numel; j++) { s += x[j]; s2 += x[j] * x[j]; }
    CHECK(fabs(s / n) < 0.05 && fabs(sqrt(s2 / n) - 0.3) < 0.03);  /* N(0, 0.3) */
    int lnw = ft_params_find(ps, "bert.encoder.layer.1.output.LayerNorm.weight");
    int lnb = ft_params_find(ps, "bert.encoder.layer.1.output.LayerNorm.bias");
    int cb = ft_params_find(ps, "classifier.bias");
    for (int c = 0; c < 16; c++) CHECK(ft_param_data(ps, lnw)[c] == 1 && ft_param_data(ps, lnb)[c] == 0);
    for (int c = 0; c < 3; c++) CHECK(ft_param_data(ps, cb)[c] == 0);
    CHECK(ps->p[lnw].no_decay && ps->p[cb].no_decay && !ps->p[w].no_decay);
    /* same seed, same model; another seed, another model */
    ft_model *m2 = tiny(3, 5), *m3 = tiny(3, 6);
    CHECK(memcmp(ps->data, m2->params.data, ps->total * 4) == 0);
    CHECK(memcmp(ps->data, m3->params.data, ps->total * 4) != 0);
    ft_model_free(m); ft_model_free(m2); ft_model_free(m3);
}

static void test_save_load(void)
{
    ft_model *m = tiny(3, 7);
    const char *names[3] = { "neg", "neu", "pos" };
    ft_model_set_label_names(m, 3, names);
    char *out = ft_xasprintf("%s/saved", dir);
    ft_model_save(m, out);
    ft_model *m2 = ft_model_load(out, "seq-cls", 0, 99);
    CHECK(m2->num_labels == 3 && strcmp(ft_model_label_name(m2, 2), "pos") == 0);
    CHECK(memcmp(m->params.data, m2->params.data, m->params.total * 4) == 0);
    ft_batch b = batch();
    float l1[9], l2[9];
    ft_model_forward(m, &b, l1);
    ft_model_forward(m2, &b, l2);
    CHECK(memcmp(l1, l2, sizeof l1) == 0);
    /* unknown config keys survive; architectures written */
    CHECK(json_object_get(m2->cfg->json, "some_unknown_key") != NULL);
    json_t *arch = json_object_get(m2->cfg->json, "architectures");
    CHECK(arch && strcmp(json_string_value(json_array_get(arch, 0)), "BertForSequenceClassification") == 0);
    ft_model_free(m); ft_model_free(m2);
    free(out);
}

/* A pre-training checkpoint: no "bert." prefix, legacy gamma/beta, cls.* heads,
   no classifier, F16 weights, sharded. */
static void test_quirks(void)
{
    ft_model *m = tiny(3, 8);
    ft_params *ps = &m->params;
    char *d = write_cfg("quirky", tiny_cfg);
    /* two shards: embeddings in one, the rest in the other */
    ft_st_writer *w1 = ft_st_writer_new(), *w2 = ft_st_writer_new();
    uint16_t *half = ft_xcalloc(ps->total, 2);
    float *asf16 = ft_xcalloc(ps->total, 4);
    for (size_t j = 0; j < ps->total; j++) asf16[j] = ft_f16_to_f32(half[j] = ft_f32_to_f16(ps->data[j]));
    FILE *ix = fopen(ft_xasprintf("%s/model.safetensors.index.json", d), "w");
    fprintf(ix, "{\"metadata\":{},\"weight_map\":{");
    int first = 1;
    for (int i = 0; i < ps->n; i++) {
        ft_param *p = &ps->p[i];
        if (strncmp(p->name, "classifier", 10) == 0) continue;
        char *name = ft_xstrdup(p->name + 5);              /* strip "bert." */
        size_t n = strlen(name);
        if (strstr(name, "LayerNorm.weight")) name = ft_xasprintf("%.*sgamma", (int)(n - 6), name);
        else if (strstr(name, "LayerNorm.bias")) name = ft_xasprintf("%.*sbeta", (int)(n - 4), name);
        int emb = strncmp(name, "embeddings", 10) == 0;
        ft_st_writer_add(emb ? w1 : w2, name, p->ndim, p->shape, asf16 + p->offset);
        fprintf(ix, "%s\"%s\":\"%s\"", first ? "" : ",", name, emb ? "a.safetensors" : "b.safetensors");
        first = 0;
    }
    float extra[4] = { 1, 2, 3, 4 };
    int64_t s4[1] = { 4 };
    ft_st_writer_add(w2, "cls.predictions.bias", 1, s4, extra);
    ft_st_writer_add(w2, "embeddings.position_ids", 1, s4, extra);   /* old buffer: ignored silently */
    fprintf(ix, ",\"cls.predictions.bias\":\"b.safetensors\",\"embeddings.position_ids\":\"b.safetensors\"}}");
    fclose(ix);
    ft_st_writer_write(w1, ft_xasprintf("%s/a.safetensors", d));
    ft_st_writer_write(w2, ft_xasprintf("%s/b.safetensors", d));
    ft_st_writer_free(w1); ft_st_writer_free(w2);

    /* capture stderr to check the from_pretrained-style report */
    char *errp = ft_xasprintf("%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *ef = fopen(errp, "w");
    dup2(fileno(ef), 2);
    ft_model *m2 = ft_model_load(d, "seq-cls", 3, 8);
    fflush(stderr);
    dup2(saved, 2);
    fclose(ef);
    size_t len;
    char *err = ft_read_file(errp, &len);
    CHECK(strstr(err, "were not used when initializing BertForSequenceClassification: ['cls.predictions.bias']"));
    CHECK(strstr(err, "newly initialized: ['classifier.weight', 'classifier.bias']"));
    CHECK(!strstr(err, "position_ids"));
    /* weights equal the f16-rounded originals; the classifier equals a fresh
       init with the same seed (its own stream) */
    int bad = 0;
    for (int i = 0; i < ps->n; i++) {
        ft_param *p = &ps->p[i];
        const float *want = strncmp(p->name, "classifier", 10) == 0 ? ps->data + p->offset : asf16 + p->offset;
        bad += memcmp(want, m2->params.data + m2->params.p[i].offset, p->numel * 4) != 0;
    }
    CHECK(bad == 0);
    ft_model_free(m); ft_model_free(m2);
    free(half); free(asf16); free(d); free(err); free(errp);
}

static void test_hub_cache(void)
{
    ft_model *m = tiny(2, 9);
    char *snap = ft_xasprintf("%s/hub/models--org--tiny-bert/snapshots/abc123", dir);
    char *cmd = ft_xasprintf("mkdir -p %s %s/hub/models--org--tiny-bert/refs && printf abc123 > %s/hub/models--org--tiny-bert/refs/main",
                             snap, dir, dir);
    CHECK(system(cmd) == 0);
    ft_model_save(m, snap);
    setenv("HF_HUB_CACHE", ft_xasprintf("%s/hub", dir), 1);
    char *r = ft_resolve_model_dir("org/tiny-bert");
    CHECK(strcmp(r, snap) == 0);
    ft_model *m2 = ft_model_load("org/tiny-bert", "seq-cls", 0, 1);
    CHECK(memcmp(m->params.data, m2->params.data, m->params.total * 4) == 0);
    ft_model_free(m); ft_model_free(m2);
    free(snap); free(cmd); free(r);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(test_gradcheck_eval);
    RUN(test_gradcheck_dropout);
    RUN(test_gradcheck_regression);
    RUN(test_gradcheck_multilabel);
    RUN(test_arena_modes);
    RUN(test_init);
    RUN(test_save_load);
    RUN(test_quirks);
    RUN(test_hub_cache);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    TEST_MAIN_END();
}
