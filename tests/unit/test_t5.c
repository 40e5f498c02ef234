/* T5: finite differences for the new ops (relative position bias, attention
   with separate lengths, causal offset, bias, mask) and for the whole model
   (relu and gated-gelu, tied and untied head, dropout on); the cached
   decoder against the full forward; HF init scales.
   `test_t5 --dump DIR` is the C half of tests/ref/t5.sh: it loads DIR
   (config.json, model.safetensors, batch.json) and writes c_out.safetensors
   with logits, loss, gradients and the weights after 3 AdamW steps. */
#include "test.h"
#include "gradcheck.h"
#include "generate.h"
#include "model.h"
#include "ops.h"
#include "ops_t5.h"
#include "ops_t5_internal.h"
#include "optim.h"
#include "safetensors.h"
#include "t5.h"
#include "util.h"
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- attention op ---- */

typedef struct {
    int B, Tq, Tk, H, D, causal, ldq, ldkv;
    float *q, *kv, *bias, *mask, *out, *probs, *R, *scratch;
    float p;
} attn_ctx;

/* T5's form of ft_attn: scale 1, k and v slices of one projection. */
static ft_attn t5_desc(const attn_ctx *c)
{
    return (ft_attn){ .B = c->B, .Tq = c->Tq, .Tk = c->Tk, .H = c->H, .D = c->D, .ldq = (size_t)c->ldq,
                      .ldk = (size_t)c->ldkv, .ldv = (size_t)c->ldkv, .ldo = (size_t)c->H * c->D,
                      .mask = c->mask, .bias = c->bias, .causal = c->causal, .scale = 1.0f, .p = c->p, .key = 99 };
}

static double attn_loss(void *vc)
{
    attn_ctx *c = vc;
    ft_attn a = t5_desc(c);
    ft_attn_fwd(&a, c->out, c->probs, c->q, c->kv, c->kv + c->H * c->D, c->scratch);
    return dot_d(c->out, c->R, (size_t)c->B * c->Tq * c->H * c->D);
}

static void attn_case(int B, int Tq, int Tk, int causal, float p)
{
    attn_ctx c = {.B = B, .Tq = Tq, .Tk = Tk, .H = 2, .D = 3, .causal = causal, .p = p};
    int I = c.H * c.D;
    c.ldq = I + 1;                 /* strided rows, as the packed qkv gives */
    c.ldkv = 2 * I;
    size_t nq = (size_t)B * Tq * c.ldq, nkv = (size_t)B * Tk * c.ldkv, nb = (size_t)c.H * Tq * Tk;
    size_t no = (size_t)B * Tq * I;
    c.q = malloc(nq * 4); c.kv = malloc(nkv * 4); c.bias = malloc(nb * 4);
    c.mask = calloc((size_t)B * Tk, 4); c.out = malloc(no * 4); c.R = malloc(no * 4);
    c.probs = malloc((size_t)B * c.H * Tq * Tk * 4);
    c.scratch = malloc(ft_attn_scratch(Tq, Tk) * 4);
    fill_normal(c.q, nq, 1, 1.0f); fill_normal(c.kv, nkv, 2, 1.0f); fill_normal(c.bias, nb, 3, 1.0f);
    fill_normal(c.R, no, 4, 1.0f);
    if (B > 1) c.mask[(size_t)1 * Tk + Tk - 1] = -1e30f;     /* one padded key in row 1 */
    float *dq = calloc(nq, 4), *dkv = calloc(nkv, 4), *db = calloc(nb, 4);
    attn_loss(&c);
    ft_attn a = t5_desc(&c);
    ft_attn_bwd(&a, dq, dkv, dkv + I, db, c.R, c.q, c.kv, c.kv + I, c.probs, c.scratch);
    CHECK(gradcheck("dq", c.q, nq, dq, attn_loss, &c, 1e-2f, 1e-3, 1e-2) <= 1);
    CHECK(gradcheck("dkv", c.kv, nkv, dkv, attn_loss, &c, 1e-2f, 1e-3, 1e-2) <= 1);
    CHECK(gradcheck("dbias", c.bias, nb, db, attn_loss, &c, 1e-2f, 1e-3, 1e-2) <= 1);
    free(c.q); free(c.kv); free(c.bias); free(c.mask); free(c.out); free(c.R); free(c.probs);
    free(c.scratch); free(dq); free(dkv); free(db);
}

static void t5_attention_fd(void)
{
    attn_case(2, 4, 4, 0, 0);      /* encoder self-attention */
    attn_case(2, 4, 4, 1, 0);      /* decoder self-attention */
    attn_case(2, 3, 5, 0, 0);      /* cross-attention */
    attn_case(1, 2, 5, 1, 0);      /* cached: queries are the last 2 of 5 */
    attn_case(2, 4, 4, 1, 0.3f);   /* with dropout */
}

/* ---- relative position bias ---- */

typedef struct { float *table, *bias, *R; int H, Tq, Tk, q0, bidir; } pb_ctx;

static double pb_loss(void *vc)
{
    pb_ctx *c = vc;
    ft_t5_pos_bias_fwd(c->bias, c->table, c->H, c->Tq, c->Tk, c->q0, c->bidir, 8, 12);
    return dot_d(c->bias, c->R, (size_t)c->H * c->Tq * c->Tk);
}

static void t5_pos_bias(void)
{
    /* HF buckets (bidirectional, 32 buckets, max distance 128) at a few offsets */
    CHECK(ft_t5_rel_bucket(0, 1, 32, 128) == 0);
    CHECK(ft_t5_rel_bucket(-1, 1, 32, 128) == 1);
    CHECK(ft_t5_rel_bucket(1, 1, 32, 128) == 17);
    CHECK(ft_t5_rel_bucket(-8, 1, 32, 128) == 8);
    CHECK(ft_t5_rel_bucket(-200, 1, 32, 128) == 15);
    CHECK(ft_t5_rel_bucket(200, 1, 32, 128) == 31);
    CHECK(ft_t5_rel_bucket(5, 0, 32, 128) == 0);       /* future keys: bucket 0 when causal */
    CHECK(ft_t5_rel_bucket(-20, 0, 32, 128) == 17);
    for (int bidir = 0; bidir < 2; bidir++) {
        pb_ctx c = {.H = 2, .Tq = 3, .Tk = 14, .q0 = bidir ? 0 : 11, .bidir = bidir};
        size_t nt = 8 * 2, nb = (size_t)c.H * c.Tq * c.Tk;
        c.table = malloc(nt * 4); c.bias = malloc(nb * 4); c.R = malloc(nb * 4);
        fill_normal(c.table, nt, 5, 1); fill_normal(c.R, nb, 6, 1);
        float *dt = calloc(nt, 4);
        pb_loss(&c);
        ft_t5_pos_bias_bwd(dt, c.R, c.H, c.Tq, c.Tk, c.q0, bidir, 8, 12);
        CHECK(gradcheck("dtable", c.table, nt, dt, pb_loss, &c, 1e-2f, 1e-4, 1e-3) <= 1);
        free(c.table); free(c.bias); free(c.R); free(dt);
    }
}

/* ---- whole model ---- */

static char dir[] = "/tmp/ft_test_t5_XXXXXX";

static ft_model *tiny(const char *ff, int tie, float dropout)
{
    char *p = ft_xasprintf("%s/config.json", dir);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"model_type\":\"t5\",\"vocab_size\":20,\"d_model\":8,\"d_kv\":3,\"d_ff\":10,"
               "\"num_layers\":2,\"num_decoder_layers\":2,\"num_heads\":2,"
               "\"relative_attention_num_buckets\":6,\"relative_attention_max_distance\":8,"
               "\"dropout_rate\":%g,\"feed_forward_proj\":\"%s\",\"tie_word_embeddings\":%s,"
               "\"pad_token_id\":0,\"eos_token_id\":1,\"decoder_start_token_id\":0,"
               "\"initializer_factor\":1.0}", dropout, ff, tie ? "true" : "false");
    fclose(f);
    ft_model *m = ft_model_new_from_config(p, "seq2seq", 0, 11);
    free(p);
    return m;
}

static const int32_t ids[2 * 5] = { 3, 7, 9, 4, 1, 5, 6, 1, 0, 0 };
static const int32_t msk[2 * 5] = { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 };
static const int32_t lab[2 * 4] = { 8, 2, 1, -100, 11, 12, 13, 1 };

typedef struct { ft_model *m; ft_batch b; int train; } model_ctx;

static double model_loss(void *vc)
{
    model_ctx *c = vc;
    c->m->step = 0;                /* the same dropout masks every call */
    return c->m->vt->forward(c->m, &c->b, c->train, 0, NULL);
}

static void model_fd(const char *ff, int tie, float dropout)
{
    ft_model *m = tiny(ff, tie, dropout);
    model_ctx c = {m, {.B = 2, .T = 5, .input_ids = ids, .attention_mask = msk, .labels = lab, .Tl = 4},
                   dropout > 0};
    ft_params *ps = &m->params;
    ft_params_zero_grad(ps);
    m->step = 0;
    ft_model_forward_backward(m, &c.b, c.train);
    double worst = 0;
    for (int i = 0; i < ps->n; i++) {
        double w = gradcheck(ps->p[i].name, ft_param_data(ps, i), ps->p[i].numel, ft_param_grad(ps, i),
                             model_loss, &c, 1e-2f, 2e-4, 1e-2);
        if (w > worst) worst = w;
    }
    if (worst > 1) fprintf(stderr, "  %s tie=%d dropout=%g\n", ff, tie, dropout);
    CHECK(worst <= 1);
    ft_model_free(m);
}

static void t5_model_fd(void)
{
    /* smooth activations only: ReLU's kinks defeat central differences at
       this size (the PyTorch parity test covers relu) */
    model_fd("gelu", 1, 0);
    model_fd("gated-gelu", 0, 0);
    model_fd("gelu", 0, 0.2f);
    model_fd("gated-gelu", 1, 0.2f);
}

/* cached decoding = full forward with the same decoder inputs */
static void t5_cache_matches_forward(void)
{
    const char *ffs[2] = { "relu", "gated-gelu" };
    for (int v = 0; v < 2; v++) {
        ft_model *m = tiny(ffs[v], v == 0, 0.1f);
        int V = 20, Tl = 4;
        float *full = malloc(2 * Tl * V * 4), *step = malloc(2 * 2 * V * 4);
        ft_batch b = {.B = 2, .T = 5, .input_ids = ids, .attention_mask = msk, .labels = lab, .Tl = Tl};
        int32_t lab2[8];
        memcpy(lab2, lab, sizeof lab2);
        lab2[3] = 5;                           /* no −100 inside: decoder input known */
        b.labels = lab2;
        ft_model_forward(m, &b, full);
        /* two beams per input: rows 2i, 2i+1 decode input i */
        ft_encoder_input in = { ids, msk, 2, 5 };
        ft_decoder *s = m->vt->decode_begin(m, 4, 6, &in);
        double worst = 0;
        for (int t = 0; t < Tl; t++) {
            int32_t tok[4];
            for (int r = 0; r < 4; r++) tok[r] = t == 0 ? 0 : lab2[(r / 2) * Tl + t - 1];
            m->vt->decode_step(m, s, tok, NULL, NULL, 1, step);
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < V; k++) {
                    double d = fabs(step[(size_t)r * V + k] - full[((size_t)(r / 2) * Tl + t) * V + k]);
                    if (d > worst) worst = d;
                }
            int swap[4] = { 1, 0, 3, 2 };       /* reordering equal rows changes nothing */
            m->vt->decode_reorder(m, s, swap);
        }
        CHECK(worst < 1e-5);
        m->vt->decode_end(s);
        free(full); free(step);
        ft_model_free(m);
    }
}

/* a checkpoint holding the tied embedding as encoder.embed_tokens.weight only */
static void t5_tied_alias_load(void)
{
    ft_model *m = tiny("relu", 1, 0.1f);
    ft_params *ps = &m->params;
    ft_st_writer *w = ft_st_writer_new();
    for (int i = 0; i < ps->n; i++)
        ft_st_writer_add(w, strcmp(ps->p[i].name, "shared.weight") ? ps->p[i].name : "encoder.embed_tokens.weight",
                         ps->p[i].ndim, ps->p[i].shape, ft_param_data(ps, i));
    char *d = ft_xasprintf("%s/alias", dir), *p = ft_xasprintf("%s/model.safetensors", d);
    mkdir(d, 0777);
    ft_st_writer_write(w, p);
    ft_st_writer_free(w);
    char *cp = ft_xasprintf("%s/config.json", d);
    ft_config_save(m->cfg, m->arch, cp);
    ft_model *m2 = ft_model_load(d, "seq2seq", 0, 99);
    int i = ft_params_find(ps, "shared.weight");
    CHECK(!memcmp(ft_param_data(ps, i), ft_param_data(&m2->params, i), ps->p[i].numel * sizeof(float)));
    ft_model_free(m2);
    ft_model_free(m);
    free(d); free(p); free(cp);
}

static void t5_init_and_names(void)
{
    ft_model *m = tiny("gated-gelu", 0, 0.1f);
    ft_params *ps = &m->params;
    CHECK(ft_params_find(ps, "shared.weight") >= 0);
    CHECK(ft_params_find(ps, "lm_head.weight") >= 0);
    CHECK(ft_params_find(ps, "decoder.block.1.layer.2.DenseReluDense.wi_1.weight") >= 0);
    CHECK(ft_params_find(ps, "decoder.block.0.layer.1.EncDecAttention.k.weight") >= 0);
    CHECK(ft_params_find(ps, "encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight") < 0);
    int i = ft_params_find(ps, "encoder.block.0.layer.1.layer_norm.weight");
    CHECK(ft_param_data(ps, i)[0] == 1.0f && ps->p[i].no_decay);
    /* HF Trainer: "bias" anywhere in the name means no decay */
    i = ft_params_find(ps, "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
    CHECK(i >= 0 && ps->p[i].no_decay);
    CHECK(!ps->p[ft_params_find(ps, "shared.weight")].no_decay);
    CHECK(ps->p[ft_params_find(ps, "decoder.final_layer_norm.weight")].no_decay);
    /* std of q is (d_model·d_kv)^-½ = 0.2041, of shared 1 */
    i = ft_params_find(ps, "encoder.block.0.layer.0.SelfAttention.q.weight");
    double s = 0;
    for (size_t j = 0; j < ps->p[i].numel; j++) s += ft_param_data(ps, i)[j] * ft_param_data(ps, i)[j];
    CHECK(sqrt(s / ps->p[i].numel) > 0.12 && sqrt(s / ps->p[i].numel) < 0.3);
    CHECK(!ps->p[i].no_decay);
    ft_model_free(m);
    m = tiny("relu", 1, 0.1f);
    CHECK(ft_params_find(&m->params, "lm_head.weight") < 0);
    ft_model_free(m);
}

/* ---- dump for the PyTorch parity test ---- */

static int32_t *json_ints(json_t *a, int *rows, int *cols)
{
    *rows = (int)json_array_size(a);
    *cols = (int)json_array_size(json_array_get(a, 0));
    int32_t *x = ft_xmalloc((size_t)*rows * *cols * sizeof *x);
    for (int i = 0; i < *rows; i++)
        for (int j = 0; j < *cols; j++)
            x[i * *cols + j] = (int32_t)json_integer_value(json_array_get(json_array_get(a, i), j));
    return x;
}

static int dump(const char *d)
{
    char *bp = ft_xasprintf("%s/batch.json", d);
    json_error_t e;
    json_t *bj = json_load_file(bp, 0, &e);
    if (!bj) ft_die("%s: %s", bp, e.text);
    int B, T, B2, Tl;
    int32_t *in = json_ints(json_object_get(bj, "input_ids"), &B, &T);
    int32_t *mk = json_ints(json_object_get(bj, "attention_mask"), &B, &T);
    int32_t *lb = json_ints(json_object_get(bj, "labels"), &B2, &Tl);
    ft_model *m = ft_model_load(d, "seq2seq", 0, 0);
    ft_params *ps = &m->params;
    int V = (int)ft_config_int(m->cfg, "vocab_size", 0);
    ft_batch b = {.B = B, .T = T, .input_ids = in, .attention_mask = mk, .labels = lb, .Tl = Tl};
    float *logits = ft_xmalloc((size_t)B * Tl * V * sizeof *logits);
    ft_params_zero_grad(ps);
    float loss = m->vt->forward(m, &b, 0, 1, logits);
    m->vt->backward(m, &b);
    ft_st_writer *w = ft_st_writer_new();
    int64_t sh[3] = { B, Tl, V }, one[1] = { 1 };
    ft_st_writer_add(w, "logits", 3, sh, logits);
    ft_st_writer_add(w, "loss", 1, one, &loss);
    float *saved = ft_xmalloc(ps->total * sizeof(float));
    memcpy(saved, ps->grad, ps->total * sizeof(float));
    for (int i = 0; i < ps->n; i++) {
        char *n = ft_xasprintf("grad.%s", ps->p[i].name);
        ft_st_writer_add(w, n, ps->p[i].ndim, ps->p[i].shape, saved + ps->p[i].offset);
        free(n);
    }
    ft_adamw *opt = ft_adamw_new(ps, 0.01f);
    for (int s = 0; s < 3; s++) {
        ft_params_zero_grad(ps);
        ft_model_forward_backward(m, &b, 0);
        ft_adamw_step(opt, ps, 1e-3f);
    }
    for (int i = 0; i < ps->n; i++) {
        char *n = ft_xasprintf("step3.%s", ps->p[i].name);
        ft_st_writer_add(w, n, ps->p[i].ndim, ps->p[i].shape, ft_param_data(ps, i));
        free(n);
    }
    char *op = ft_xasprintf("%s/c_out.safetensors", d);
    ft_st_writer_write(w, op);
    ft_st_writer_free(w);
    ft_adamw_free(opt);
    ft_model_free(m);
    free(saved); free(logits); free(in); free(mk); free(lb); free(op); free(bp);
    json_decref(bj);
    return 0;
}

/* test_t5 --gen DIR greedy|beam BEAMS MAX_NEW LENGTH_PENALTY EARLY NO_REPEAT REP_PENALTY:
   one JSON array of generated ids per input of DIR/batch.json (right padded) */
static int gen(char **a)
{
    char *bp = ft_xasprintf("%s/batch.json", a[0]);
    json_error_t e;
    json_t *bj = json_load_file(bp, 0, &e);
    if (!bj) ft_die("%s: %s", bp, e.text);
    int B, T;
    int32_t *in = json_ints(json_object_get(bj, "input_ids"), &B, &T);
    int32_t *mk = json_ints(json_object_get(bj, "attention_mask"), &B, &T);
    ft_model *m = ft_model_load(a[0], ft_generate_task(a[0]), 0, 0);
    ft_gen_opts o;
    ft_gen_opts_default(&o, m);
    o.num_beams = strcmp(a[1], "beam") ? 1 : atoi(a[2]);
    o.max_new_tokens = atoi(a[3]);
    o.length_penalty = (float)atof(a[4]);
    o.early_stopping = atoi(a[5]);
    o.s.no_repeat_ngram_size = atoi(a[6]);
    o.s.repetition_penalty = (float)atof(a[7]);
    const int32_t **pr = ft_xcalloc(B, sizeof *pr);
    int *plen = ft_xcalloc(B, sizeof *plen);
    for (int b = 0; b < B; b++) {
        pr[b] = in + (size_t)b * T;
        for (int t = 0; t < T; t++) plen[b] += mk[(size_t)b * T + t] != 0;
    }
    int32_t **out = ft_xcalloc(B, sizeof *out);
    int *lens = ft_xcalloc(B, sizeof *lens);
    ft_generate(m, B, pr, plen, &o, 0, out, lens);
    for (int b = 0; b < B; b++) {
        printf("[");
        for (int i = 0; i < lens[b]; i++) printf("%s%d", i ? ", " : "", out[b][i]);
        printf("]\n");
        free(out[b]);
    }
    free(out); free(lens); free(pr); free(plen); free(in); free(mk); free(bp);
    ft_model_free(m);
    json_decref(bj);
    return 0;
}

int main(int argc, char **argv)
{
    ft_prog = "test_t5";
    if (argc == 3 && !strcmp(argv[1], "--dump")) return dump(argv[2]);
    if (argc == 10 && !strcmp(argv[1], "--gen")) return gen(argv + 2);
    if (!mkdtemp(dir)) return 1;
    RUN(t5_attention_fd);
    RUN(t5_pos_bias);
    RUN(t5_init_and_names);
    RUN(t5_tied_alias_load);
    RUN(t5_model_fd);
    RUN(t5_cache_matches_forward);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    free(cmd);
    TEST_MAIN_END();
}
