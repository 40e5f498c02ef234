/* Packing (docs/packing.md): several examples laid end to end in one row,
   with position ids restarting at each and attention confined to it, give
   the loss, the logits and EVERY gradient of the same examples padded one
   per row — to fp32 rounding — for GPT-2 and the Llama family (llama with
   grouped-query attention and llama3 rope scaling, with gradient
   checkpointing too; qwen3 with q/k norms), with labels derived from the
   inputs and with explicit token labels. */
#include "test.h"
#include "model.h"
#include "util.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ft_test_packing_XXXXXX";

static const char *gpt2_cfg =
    "{\"model_type\":\"gpt2\",\"vocab_size\":23,\"n_embd\":8,\"n_layer\":2,\"n_head\":2,"
    "\"n_positions\":16,\"n_inner\":null,\"activation_function\":\"gelu_new\","
    "\"layer_norm_epsilon\":1e-5,\"initializer_range\":0.3,\"resid_pdrop\":0.1,"
    "\"embd_pdrop\":0.1,\"attn_pdrop\":0.1,\"eos_token_id\":3}";
static const char *llama_cfg =
    "{\"model_type\":\"llama\",\"vocab_size\":23,\"hidden_size\":8,\"intermediate_size\":12,"
    "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"rms_norm_eps\":1e-5,"
    "\"rope_theta\":500000.0,\"max_position_embeddings\":64,\"tie_word_embeddings\":false,"
    "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,"
    "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":16},"
    "\"initializer_range\":0.3,\"eos_token_id\":3,\"pad_token_id\":0}";
static const char *qwen3_cfg =
    "{\"model_type\":\"qwen3\",\"vocab_size\":23,\"hidden_size\":6,\"intermediate_size\":10,"
    "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":4,"
    "\"rms_norm_eps\":1e-6,\"rope_theta\":1000000.0,\"max_position_embeddings\":64,"
    "\"tie_word_embeddings\":true,\"attention_bias\":false,\"initializer_range\":0.3,\"eos_token_id\":3}";

static ft_model *model(const char *name, const char *cfg)
{
    char *p = test_write_config(dir, name, cfg);
    ft_model *m = ft_model_new_from_config(p, "causal-lm", 0, 7);
    free(p);
    return m;
}

/* Five examples of lengths 5, 3, 7, 2, 4 (token ids 1..22; 0 pads). */
enum { NEX = 5, TP = 7, RB = 2, RT = 12 };
static const int len[NEX] = { 5, 3, 7, 2, 4 };
static const int32_t tok[NEX][TP] = { { 4, 9, 7, 12, 20 }, { 5, 6, 8 }, { 11, 3, 14, 2, 19, 22, 1 },
                                      { 17, 10 }, { 13, 15, 16, 18 } };
/* Packed: row 0 holds examples 0, 1, 3 (10 tokens, 2 pads), row 1 examples 2, 4 (11, 1 pad). */
static const int row_of[NEX] = { 0, 0, 1, 0, 1 }, col_of[NEX] = { 0, 5, 0, 8, 7 };

typedef struct {
    int32_t ids[NEX * TP], mask[NEX * TP], lab[NEX * TP];           /* padded, one example a row */
    int32_t pids[RB * RT], pmask[RB * RT], plab[RB * RT], pos[RB * RT], seg[RB * RT];
} batches;

/* Explicit labels mask each example's first two tokens (a prompt). */
static void build(batches *x)
{
    memset(x->ids, 0, sizeof x->ids); memset(x->mask, 0, sizeof x->mask);
    memset(x->pids, 0, sizeof x->pids); memset(x->pmask, 0, sizeof x->pmask);
    for (int i = 0; i < NEX * TP; i++) x->lab[i] = -100;
    for (int i = 0; i < RB * RT; i++) { x->plab[i] = -100; x->pos[i] = 0; x->seg[i] = -1; }
    for (int e = 0; e < NEX; e++)
        for (int t = 0; t < len[e]; t++) {
            int p = e * TP + t, q = row_of[e] * RT + col_of[e] + t;
            x->ids[p] = x->pids[q] = tok[e][t];
            x->mask[p] = x->pmask[q] = 1;
            x->lab[p] = x->plab[q] = t < 2 ? -100 : tok[e][t];
            x->pos[q] = t;
            x->seg[q] = e;
        }
    /* trailing padding belongs to its row's last example */
    for (int r = 0; r < RB; r++)
        for (int t = 1; t < RT; t++)
            if (x->seg[r * RT + t] < 0) x->seg[r * RT + t] = x->seg[r * RT + t - 1];
}

typedef struct { float loss; float *grad; size_t n; float *logits; } result;

static result run(ft_model *m, const ft_batch *b)
{
    ft_params *ps = ft_model_params(m);
    ft_params_zero_grad(ps);
    result r = { .loss = ft_model_forward_backward(m, b, 0) };
    for (int i = 0; i < ps->n; i++) r.n += ps->p[i].numel;
    r.grad = ft_xmalloc(r.n * sizeof(float));
    size_t o = 0;
    for (int i = 0; i < ps->n; i++) {
        memcpy(r.grad + o, ft_param_grad(ps, i), ps->p[i].numel * sizeof(float));
        o += ps->p[i].numel;
    }
    r.logits = ft_xmalloc((size_t)b->B * b->T * 23 * sizeof(float));
    ft_model_forward(m, b, r.logits);
    return r;
}

/* Every parameter's gradient, each within fp32 rounding of its largest element. */
static void compare(ft_model *m, const result *a, const result *b)
{
    CHECK_NEAR(a->loss, b->loss, 1e-5 * fabs(a->loss));
    ft_params *ps = ft_model_params(m);
    size_t o = 0;
    for (int i = 0; i < ps->n; i++) {
        double big = 0, diff = 0;
        for (size_t j = 0; j < ps->p[i].numel; j++) {
            big = fmax(big, fabs(a->grad[o + j]));
            diff = fmax(diff, fabs(a->grad[o + j] - b->grad[o + j]));
        }
        if (!(diff <= 1e-5 * big + 1e-7)) fprintf(stderr, "  %s: |diff| %g of %g\n", ps->p[i].name, diff, big);
        CHECK(diff <= 1e-5 * big + 1e-7);
        CHECK(big > 0);
        o += ps->p[i].numel;
    }
    CHECK(o == a->n);
}

static void packed_equals_padded(ft_model *m, int explicit_labels)
{
    batches x;
    build(&x);
    ft_batch pad = { .B = NEX, .T = TP, .input_ids = x.ids, .attention_mask = x.mask };
    ft_batch pk = { .B = RB, .T = RT, .input_ids = x.pids, .attention_mask = x.pmask,
                    .position_ids = x.pos, .segment_ids = x.seg };
    if (explicit_labels) {
        pad.labels = x.lab, pad.Tl = TP;
        pk.labels = x.plab, pk.Tl = RT;
    }
    result a = run(m, &pad);
    int items = m->loss_items;
    result b = run(m, &pk);
    CHECK(items == m->loss_items);
    compare(m, &a, &b);
    /* each token's logits, wherever packing put it */
    for (int e = 0; e < NEX; e++)
        for (int t = 0; t < len[e]; t++)
            for (int v = 0; v < 23; v++) {
                float u = a.logits[((size_t)e * TP + t) * 23 + v];
                float w = b.logits[((size_t)row_of[e] * RT + col_of[e] + t) * 23 + v];
                CHECK_NEAR(u, w, 1e-5 * (1 + fabs(u)));
            }
    free(a.grad); free(a.logits); free(b.grad); free(b.logits);
}

static void gpt2_packed(void)
{
    ft_model *m = model("gpt2", gpt2_cfg);
    packed_equals_padded(m, 0);
    packed_equals_padded(m, 1);
    ft_model_free(m);
}

static void llama_packed(void)
{
    ft_model *m = model("llama", llama_cfg);
    packed_equals_padded(m, 0);
    packed_equals_padded(m, 1);
    ft_model_gradient_checkpointing(m);
    packed_equals_padded(m, 1);
    ft_model_free(m);
}

static void qwen3_packed(void)
{
    ft_model *m = model("qwen3", qwen3_cfg);
    packed_equals_padded(m, 1);
    ft_model_free(m);
}

/* Without segments the packed row is one sequence: the examples would see
   each other, so the losses differ — the test above can tell. */
static void cross_talk_visible(void)
{
    ft_model *m = model("gpt2x", gpt2_cfg);
    batches x;
    build(&x);
    ft_batch a = { .B = RB, .T = RT, .input_ids = x.pids, .attention_mask = x.pmask,
                   .position_ids = x.pos, .segment_ids = x.seg };
    ft_batch b = a;
    b.segment_ids = NULL;
    float la = ft_model_forward(m, &a, NULL), lb = ft_model_forward(m, &b, NULL);
    CHECK(fabs(la - lb) > 1e-4);
    ft_model_free(m);
}

int main(void)
{
    ft_set_prog("test_packing");
    if (!mkdtemp(dir)) return 1;
    RUN(gpt2_packed);
    RUN(llama_packed);
    RUN(qwen3_packed);
    RUN(cross_talk_visible);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    free(cmd);
    TEST_MAIN_END();
}
