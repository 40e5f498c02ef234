/* gpt2: GPT2LMHeadModel on the ops (HF modeling_gpt2, eager attention).
 *
 *   res[0] = dropout(wte[ids] + wpe[t])                      [N,C]
 *   per layer l (x = res[l]):
 *     ln1  = LN(x);  qkv = ln1·Wattn + battn                 [N,3C]  (Conv1D: W [in,out])
 *     ctx  = causal attention(qkv, pad mask)                 [N,C]   probs [B,H,T,T]
 *     res1 = dropout(ctx·Wproj + bproj) + x
 *     ln2  = LN(res1); f = ln2·Wfc + bfc; g = gelu_new(f)    [N,F]
 *     res[l+1] = dropout(g·Wmproj + bmproj) + res1
 *   lnf = LN_f(res[L]);  logits = lnf·wte^T                  [N,V]   (tied head)
 *   loss = CE(logits[:, :-1], labels[:, 1:]), -100 ignored, mean over the rest
 * Every Conv1D goes through the LoRA hooks (lora.h).  Activations live in one
 * arena sized for B×T tokens; the backward walks the layers in reverse. */
#include "gpt2.h"
#include "slab.h"
#include <limits.h>
#include "lora.h"
#include "model_impl.h"
#include "ops.h"
#include "rng.h"
#include "util.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int ln1_w, ln1_b, at_w, at_b, ap_w, ap_b, ln2_w, ln2_b, fc_w, fc_b, mp_w, mp_b;
} layer_ix;

typedef struct {
    float *ln1, *mean1, *rstd1, *qkv, *probs, *ctx, *res1, *ln2, *mean2, *rstd2, *f, *g;
} layer_act;

typedef struct gpt2 {
    ft_gpt2_config c;
    int wte, wpe, lnf_w, lnf_b;
    layer_ix *L;
    ft_slab arena;
    ft_slab_shape cap;                 /* what the arena holds: B, T, training or not */
    float **res, *lnf, *lnf_mean, *lnf_rstd, *logits, *mask;
    layer_act *A;
    int32_t *pos_ids, *labels;
    const int32_t *seg;                /* the batch's segment_ids (packing), borrowed; NULL: none */
    float *g_res, *g_tmp, *g_ln, *g_ctx, *g_qkv, *g_f, *g_f2, *scratch;
    int B, T, train, have_grad;
    uint64_t key;
} gpt2;

static const char *const ignore_keys[] = { ".attn.bias", ".attn.masked_bias", "lm_head.weight", NULL };

void ft_gpt2_config_read(const ft_config *cfg, ft_gpt2_config *gc)
{
    memset(gc, 0, sizeof *gc);
    gc->vocab_size = (int)ft_config_int(cfg, "vocab_size", 50257);
    gc->n_embd = (int)ft_config_int(cfg, "n_embd", 768);
    gc->n_layer = (int)ft_config_int(cfg, "n_layer", 12);
    gc->n_head = (int)ft_config_int(cfg, "n_head", 12);
    /* n_inner null or absent: 4 × n_embd (-1, refused below, if that overflows) */
    gc->n_inner = (int)ft_config_int(cfg, "n_inner", gc->n_embd <= INT_MAX / 4 ? 4 * gc->n_embd : -1);
    gc->n_positions = (int)ft_config_int(cfg, "n_positions", 1024);
    json_t *e;
    e = json_object_get(cfg->json, "eos_token_id");
    gc->eos_token_id = e && json_is_integer(e) ? (int)json_integer_value(e) : -1;
    e = json_object_get(cfg->json, "bos_token_id");
    gc->bos_token_id = e && json_is_integer(e) ? (int)json_integer_value(e) : -1;
    e = json_object_get(cfg->json, "pad_token_id");
    gc->pad_token_id = e && json_is_integer(e) ? (int)json_integer_value(e) : -1;
    gc->layer_norm_eps = (float)ft_config_num(cfg, "layer_norm_epsilon", 1e-5);
    gc->initializer_range = (float)ft_config_num(cfg, "initializer_range", 0.02);
    gc->resid_pdrop = (float)ft_config_num(cfg, "resid_pdrop", 0.1);
    gc->embd_pdrop = (float)ft_config_num(cfg, "embd_pdrop", 0.1);
    gc->attn_pdrop = (float)ft_config_num(cfg, "attn_pdrop", 0.1);
    const char *act = ft_config_str(cfg, "activation_function", "gelu_new");
    gc->act = ft_act_parse(act);
    if (gc->act < 0) ft_die("%s: activation_function \"%s\" not supported (gelu_new, gelu, relu)", cfg->path, act);
    json_t *sa = json_object_get(cfg->json, "scale_attn_weights");
    if (sa && json_is_false(sa)) ft_die("%s: scale_attn_weights false is not supported", cfg->path);
    sa = json_object_get(cfg->json, "scale_attn_by_inverse_layer_idx");
    if (sa && json_is_true(sa)) ft_die("%s: scale_attn_by_inverse_layer_idx is not supported", cfg->path);
    if (gc->n_embd <= 0 || gc->n_head <= 0 || gc->n_embd % gc->n_head)
        ft_die("%s: n_embd %d is not a multiple of n_head %d", cfg->path, gc->n_embd, gc->n_head);
    if (gc->n_layer < 0 || gc->n_inner <= 0 || gc->vocab_size <= 0 || gc->n_positions <= 0)
        ft_die("%s: bad GPT-2 dimensions", cfg->path);
    double C = gc->n_embd, F = gc->n_inner;
    char dims[160];
    snprintf(dims, sizeof dims, "n_embd %d, n_inner %d, %d layers, vocab_size %d",
             gc->n_embd, gc->n_inner, gc->n_layer, gc->vocab_size);
    ft_config_check_size(cfg, ((double)gc->vocab_size + gc->n_positions) * C +
                              gc->n_layer * (4 * C * C + 2 * C * F), dims);
}

/* ---- parameters ---- */

static void build_params(ft_model *m, gpt2 *g)
{
    ft_gpt2_config *c = &g->c;
    ft_params *ps = &m->params;
    ps->norm_marker = ".ln_";         /* ln_1, ln_2, ln_f: the nn.LayerNorm modules */
    int C = c->n_embd, F = c->n_inner;
    char nm[256];
    g->wte = ft_params_add_hf(ps, "transformer.wte.weight", c->vocab_size, C);
    g->wpe = ft_params_add_hf(ps, "transformer.wpe.weight", c->n_positions, C);
    g->L = ft_xcalloc(c->n_layer + 1, sizeof *g->L);
    for (int l = 0; l < c->n_layer; l++) {
        layer_ix *L = &g->L[l];
#define P(field, suffix, d0, d1) snprintf(nm, sizeof nm, "transformer.h.%d.%s", l, suffix); \
    L->field = ft_params_add_hf(ps, nm, d0, d1)
        P(ln1_w, "ln_1.weight", C, 0);
        P(ln1_b, "ln_1.bias", C, 0);
        P(at_w, "attn.c_attn.weight", C, 3 * C);
        P(at_b, "attn.c_attn.bias", 3 * C, 0);
        P(ap_w, "attn.c_proj.weight", C, C);
        P(ap_b, "attn.c_proj.bias", C, 0);
        P(ln2_w, "ln_2.weight", C, 0);
        P(ln2_b, "ln_2.bias", C, 0);
        P(fc_w, "mlp.c_fc.weight", C, F);
        P(fc_b, "mlp.c_fc.bias", F, 0);
        P(mp_w, "mlp.c_proj.weight", F, C);
        P(mp_b, "mlp.c_proj.bias", C, 0);
#undef P
    }
    g->lnf_w = ft_params_add_hf(ps, "transformer.ln_f.weight", C, 0);
    g->lnf_b = ft_params_add_hf(ps, "transformer.ln_f.bias", C, 0);
    ft_params_alloc(ps);
}

/* HF GPT2PreTrainedModel._init_weights: Linear/Conv1D/Embedding ~ N(0, range),
   biases 0, LayerNorm 1/0, and every c_proj.weight ~ N(0, range/sqrt(2·n_layer)).
   One stream per tensor (seed, name), as for BERT. */
static void gpt2_init_param(ft_model *m, int i, uint64_t seed)
{
    gpt2 *g = m->impl;
    ft_param *p = &m->params.p[i];
    float *x = m->params.data + p->offset;
    size_t n = strlen(p->name);
    if (strstr(p->name, ".ln_")) {
        float v = strcmp(p->name + n - 7, ".weight") == 0 ? 1.0f : 0.0f;
        for (size_t j = 0; j < p->numel; j++) x[j] = v;
    } else if (n > 5 && strcmp(p->name + n - 5, ".bias") == 0) {
        memset(x, 0, p->numel * sizeof *x);
    } else {
        float std = g->c.initializer_range;
        if (n > 13 && strcmp(p->name + n - 13, "c_proj.weight") == 0)
            std /= sqrtf(2.0f * (float)g->c.n_layer);
        ft_rng r;
        ft_rng_seed(&r, ft_key_mix(seed, ft_hash64(p->name, n, 0)));
        ft_rng_normal_fill(&r, x, p->numel, 0.0f, std);
    }
}

static int gpt2_linear_kind(const ft_model *m, int i)
{
    const char *nm = m->params.p[i].name;
    size_t n = strlen(nm);
    if (strncmp(nm, "transformer.h.", 14) != 0 || n < 7 || strcmp(nm + n - 7, ".weight") != 0) return 0;
    return strstr(nm, ".c_attn.") || strstr(nm, ".c_proj.") || strstr(nm, ".c_fc.") ? 2 : 0;
}

/* ---- arena ---- */

/* Lists the arena's arrays.  Training keeps every layer's activations and
   needs the gradient buffers; inference lists one layer's slots and two
   residual streams, which share_layers hands to every layer. */
static void arena_list(gpt2 *g, ft_slab *ar, int B, int T, int train)
{
    ft_gpt2_config *c = &g->c;
    size_t N = (size_t)B * T, C = c->n_embd, F = c->n_inner, H = c->n_head, V = c->vocab_size;
    size_t Lb = train ? c->n_layer : 1, TT = (size_t)T * T;
    for (size_t l = 0; l <= Lb; l++) ft_slab_add(ar, &g->res[l], N * C);
    ft_slab_add(ar, &g->lnf, N * C);
    ft_slab_add(ar, &g->lnf_mean, N);
    ft_slab_add(ar, &g->lnf_rstd, N);
    ft_slab_add(ar, &g->logits, N * V);
    ft_slab_add(ar, &g->mask, N);
    for (size_t l = 0; l < Lb; l++) {
        layer_act *a = &g->A[l];
        float **rows[] = { &a->ln1, &a->ctx, &a->res1, &a->ln2 }, **stats[] = { &a->mean1, &a->rstd1, &a->mean2, &a->rstd2 };
        for (int i = 0; i < 4; i++) ft_slab_add(ar, rows[i], N * C);
        for (int i = 0; i < 4; i++) ft_slab_add(ar, stats[i], N);
        ft_slab_add(ar, &a->qkv, 3 * N * C);
        ft_slab_add(ar, &a->probs, B * H * TT);
        ft_slab_add(ar, &a->f, N * F);
        ft_slab_add(ar, &a->g, N * F);
    }
    ft_slab_add(ar, &g->g_tmp, N * C);                  /* also the forward's scratch */
    ft_slab_add(ar, &g->scratch, ft_attn_scratch(T, T));
    if (!train) return;
    float **g_rows[] = { &g->g_res, &g->g_ln, &g->g_ctx };
    for (int i = 0; i < 3; i++) ft_slab_add(ar, g_rows[i], N * C);
    ft_slab_add(ar, &g->g_qkv, 3 * N * C);
    ft_slab_add(ar, &g->g_f, N * F);
    ft_slab_add(ar, &g->g_f2, N * F);
}

/* Inference: every layer uses layer 0's slots, and the residual stream
   alternates between res[0] and res[1]. */
static void share_layers(gpt2 *g)
{
    for (int l = 1; l < g->c.n_layer; l++) g->A[l] = g->A[0];
    for (int l = 2; l <= g->c.n_layer; l++) g->res[l] = g->res[l & 1];
}

static void arena_ensure(ft_model *m, int B, int T, int train)
{
    gpt2 *g = m->impl;
    int want[2] = {B, T};
    if (!ft_slab_shape_grow(&g->cap, want, 2, train)) return;
    B = want[0], T = want[1];
    int L = g->c.n_layer;
    free(g->res);
    free(g->A);
    g->res = ft_xcalloc(L + 2, sizeof *g->res);
    g->A = ft_xcalloc(L + 1, sizeof *g->A);
    arena_list(g, &g->arena, B, T, train);
    char what[96];
    snprintf(what, sizeof what, "activations for %d×%d tokens", B, T);
    ft_slab_commit(&g->arena, what);
    if (!train) share_layers(g);
    size_t N = (size_t)B * T;
    free(g->pos_ids);
    free(g->labels);
    g->pos_ids = ft_xcalloc(N, sizeof(int32_t));
    g->labels = ft_xcalloc(N, sizeof(int32_t));
}

static void gpt2_reserve(ft_model *m, int B, int T) { arena_ensure(m, B, T, 1); }

/* ---- forward ---- */

/* One block, the same for training, evaluation and cached decoding:
   out = block(x) over B sequences of T new tokens [B·T, C] (out may be x);
   a receives the activations the backward needs, tmp is [B·T, C] scratch.
   With a cache, the new keys and values are appended to it and the queries
   attend over all of it; without, over the T tokens themselves. */
static void block_fwd(ft_model *m, int l, layer_act *a, const float *x, float *out, float *tmp, int B, int T,
                      const float *mask, const ft_kv_slot *kv, int train, uint64_t key)
{
    gpt2 *g = m->impl;
    ft_gpt2_config *c = &g->c;
    ft_params *ps = &m->params;
    layer_ix *L = &g->L[l];
    int N = B * T, C = c->n_embd, F = c->n_inner, H = c->n_head;
    float pr = train ? c->resid_pdrop : 0, pa = train ? c->attn_pdrop : 0;
    ft_layernorm_fwd(a->ln1, a->mean1, a->rstd1, x, ft_param_data(ps, L->ln1_w),
                     ft_param_data(ps, L->ln1_b), N, C, c->layer_norm_eps);
    ft_conv1d_fwd(a->qkv, a->ln1, ft_param_data(ps, L->at_w), ft_param_data(ps, L->at_b), N, C, 3 * C);
    ft_lora_fwd(m, L->at_w, a->qkv, 3 * C, a->ln1, N, train, ft_site(key, l + 1, 4));
    ft_attn at = ft_attn_packed(B, T, C, H, mask, 1, pa, ft_site(key, l + 1, 1));
    at.segment = kv ? NULL : g->seg;
    const float *K = a->qkv + C, *V = a->qkv + 2 * C;
    if (kv) ft_kv_attend(kv, &at, &K, &V, K, V, 3 * (size_t)C, C);
    ft_attn_fwd(&at, a->ctx, a->probs, a->qkv, K, V, g->scratch);
    ft_conv1d_fwd(tmp, a->ctx, ft_param_data(ps, L->ap_w), ft_param_data(ps, L->ap_b), N, C, C);
    ft_lora_fwd(m, L->ap_w, tmp, C, a->ctx, N, train, ft_site(key, l + 1, 5));
    ft_dropout_add_fwd(a->res1, tmp, x, (size_t)N * C, pr, ft_site(key, l + 1, 2));
    ft_layernorm_fwd(a->ln2, a->mean2, a->rstd2, a->res1, ft_param_data(ps, L->ln2_w),
                     ft_param_data(ps, L->ln2_b), N, C, c->layer_norm_eps);
    ft_conv1d_fwd(a->f, a->ln2, ft_param_data(ps, L->fc_w), ft_param_data(ps, L->fc_b), N, C, F);
    ft_lora_fwd(m, L->fc_w, a->f, F, a->ln2, N, train, ft_site(key, l + 1, 6));
    ft_act_fwd(c->act, a->g, a->f, (size_t)N * F);
    ft_conv1d_fwd(tmp, a->g, ft_param_data(ps, L->mp_w), ft_param_data(ps, L->mp_b), N, F, C);
    ft_lora_fwd(m, L->mp_w, tmp, C, a->g, N, train, ft_site(key, l + 1, 7));
    ft_dropout_add_fwd(out, tmp, a->res1, (size_t)N * C, pr, ft_site(key, l + 1, 3));
}

static float gpt2_forward(ft_model *m, const ft_batch *b, int train, int grad, float *logits_out)
{
    gpt2 *g = m->impl;
    ft_gpt2_config *c = &g->c;
    ft_params *ps = &m->params;
    int B = b->B, T = b->T, C = c->n_embd, V = c->vocab_size;
    size_t N = (size_t)B * T;
    if (B <= 0 || T <= 0) ft_die("empty batch");
    if (T > c->n_positions) ft_die("sequence length %d exceeds n_positions %d", T, c->n_positions);
    arena_ensure(m, B, T, grad);
    ft_check_ids(b->input_ids, N, V, "token");
    ft_batch_positions(b, g->pos_ids, c->n_positions);
    for (size_t i = 0; i < N; i++) g->mask[i] = b->attention_mask && !b->attention_mask[i] ? -FLT_MAX : 0.0f;
    g->seg = b->segment_ids;
    if (train) m->step++;
    g->key = ft_key_mix(m->seed, m->step);
    g->B = B; g->T = T; g->train = train; g->have_grad = grad;
    float pe = train ? c->embd_pdrop : 0;

    ft_embedding_fwd(g->res[0], b->input_ids, ft_param_data(ps, g->wte), (int)N, C, 0);
    ft_embedding_fwd(g->res[0], g->pos_ids, ft_param_data(ps, g->wpe), (int)N, C, 1);
    ft_dropout_fwd(g->res[0], g->res[0], N * C, pe, ft_site(g->key, 0, 0));
    for (int l = 0; l < c->n_layer; l++)
        block_fwd(m, l, &g->A[l], g->res[l], g->res[l + 1], g->g_tmp, B, T, g->mask, NULL, train, g->key);
    ft_layernorm_fwd(g->lnf, g->lnf_mean, g->lnf_rstd, g->res[c->n_layer], ft_param_data(ps, g->lnf_w),
                     ft_param_data(ps, g->lnf_b), (int)N, C, c->layer_norm_eps);
    ft_linear_fwd(g->logits, g->lnf, ft_param_data(ps, g->wte), NULL, (int)N, C, V);
    if (logits_out) memcpy(logits_out, g->logits, N * V * sizeof(float));
    ft_shift_labels(b, g->labels, V);
    m->loss_items = ft_count_labelled(g->labels, (int)N, -100);
    /* dlogits overwrite the logits in place: each row is read before written */
    return ft_cross_entropy_smoothed(grad ? g->logits : NULL, g->logits, g->labels, (int)N, V, -100, 1.0f,
                                     b->label_smoothing);
}

/* ---- backward ---- */

static void gpt2_backward(ft_model *m, const ft_batch *b)
{
    gpt2 *g = m->impl;
    ft_gpt2_config *c = &g->c;
    ft_params *ps = &m->params;
    if (!g->have_grad || b->B != g->B || b->T != g->T) ft_die("internal: backward without its forward");
    int B = g->B, T = g->T, C = c->n_embd, F = c->n_inner, H = c->n_head, V = c->vocab_size;
    size_t N = (size_t)B * T;
    float pr = g->train ? c->resid_pdrop : 0, pe = g->train ? c->embd_pdrop : 0, pa = g->train ? c->attn_pdrop : 0;

    /* head (tied to wte), then ln_f */
    ZERO(g->g_ln, N * C);
    ft_linear_bwd(g->g_ln, G(g->wte), NULL, g->logits, g->lnf, ft_param_data(ps, g->wte), (int)N, C, V);
    ZERO(g->g_res, N * C);
    ft_layernorm_bwd(g->g_res, G(g->lnf_w), G(g->lnf_b), g->g_ln, g->res[c->n_layer], g->lnf_mean,
                     g->lnf_rstd, ft_param_data(ps, g->lnf_w), (int)N, C);
    /* g_res is the gradient of the residual stream: the identity branch of
       every residual adds into it unchanged. */
    for (int l = c->n_layer - 1; l >= 0; l--) {
        layer_ix *L = &g->L[l];
        layer_act *a = &g->A[l];
        /* res[l+1] = dropout(g·Wmp + bmp) + res1 */
        ZERO(g->g_tmp, N * C);
        ft_dropout_bwd(g->g_tmp, g->g_res, N * C, pr, ft_site(g->key, l + 1, 3));
        ZERO(g->g_f, N * F);
        ft_conv1d_bwd(g->g_f, G(L->mp_w), G(L->mp_b), g->g_tmp, a->g, ft_param_data(ps, L->mp_w), (int)N, F, C);
        ft_lora_bwd(m, L->mp_w, g->g_f, g->g_tmp, C, a->g, (int)N);
        ZERO(g->g_f2, N * F);
        ft_act_bwd(c->act, g->g_f2, g->g_f, a->f, N * F);
        ZERO(g->g_ln, N * C);
        ft_conv1d_bwd(g->g_ln, G(L->fc_w), G(L->fc_b), g->g_f2, a->ln2, ft_param_data(ps, L->fc_w), (int)N, C, F);
        ft_lora_bwd(m, L->fc_w, g->g_ln, g->g_f2, F, a->ln2, (int)N);
        ft_layernorm_bwd(g->g_res, G(L->ln2_w), G(L->ln2_b), g->g_ln, a->res1, a->mean2, a->rstd2,
                         ft_param_data(ps, L->ln2_w), (int)N, C);
        /* res1 = dropout(ctx·Wap + bap) + res[l] */
        ZERO(g->g_tmp, N * C);
        ft_dropout_bwd(g->g_tmp, g->g_res, N * C, pr, ft_site(g->key, l + 1, 2));
        ZERO(g->g_ctx, N * C);
        ft_conv1d_bwd(g->g_ctx, G(L->ap_w), G(L->ap_b), g->g_tmp, a->ctx, ft_param_data(ps, L->ap_w), (int)N, C, C);
        ft_lora_bwd(m, L->ap_w, g->g_ctx, g->g_tmp, C, a->ctx, (int)N);
        ZERO(g->g_qkv, 3 * N * C);
        ft_attn at = ft_attn_packed(B, T, C, H, g->mask, 1, pa, ft_site(g->key, l + 1, 1));
        ft_attn_bwd(&at, g->g_qkv, g->g_qkv + C, g->g_qkv + 2 * C, NULL, g->g_ctx, a->qkv, a->qkv + C,
                    a->qkv + 2 * C, a->probs, g->scratch);
        ZERO(g->g_ln, N * C);
        ft_conv1d_bwd(g->g_ln, G(L->at_w), G(L->at_b), g->g_qkv, a->ln1, ft_param_data(ps, L->at_w), (int)N, C, 3 * C);
        ft_lora_bwd(m, L->at_w, g->g_ln, g->g_qkv, 3 * C, a->ln1, (int)N);
        ft_layernorm_bwd(g->g_res, G(L->ln1_w), G(L->ln1_b), g->g_ln, g->res[l], a->mean1, a->rstd1,
                         ft_param_data(ps, L->ln1_w), (int)N, C);
        ft_grads_ready(m, L->ln1_w);    /* the layer's first parameter; wte (tied) lies below */
    }
    ZERO(g->g_tmp, N * C);
    ft_dropout_bwd(g->g_tmp, g->g_res, N * C, pe, ft_site(g->key, 0, 0));
    if (G(g->wte)) ft_embedding_bwd(G(g->wte), b->input_ids, g->g_tmp, (int)N, C);
    if (G(g->wpe)) ft_embedding_bwd(G(g->wpe), g->pos_ids, g->g_tmp, (int)N, C);
    g->have_grad = 0;
}

static double gpt2_flops(const ft_model *m, int B, int T)
{
    const gpt2 *g = m->impl;
    double C = g->c.n_embd, F = g->c.n_inner, N = (double)B * T, V = g->c.vocab_size;
    double layer = 6 * N * (4 * C * C + 2 * C * F) + 3 * 2 * 2 * N * T * C / 2;
    return g->c.n_layer * layer + 6 * N * C * V;
}

static void gpt2_free(ft_model *m)
{
    gpt2 *g = m->impl;
    ft_slab_free(&g->arena); free(g->res); free(g->A); free(g->L);
    free(g->pos_ids); free(g->labels);
    free(g);
}

/* ---- KV-cache decoding ---- */

typedef struct gpt2_cache {   /* an ft_decoder */
    int B, maxT, len;
    float *k, *v;               /* [L][B][maxT][C] */
    float *x, *tmp, *mask, *last;
    layer_act a;                /* one layer's activations, reused by every layer */
    float *reorder;             /* beam search: one layer's K or V, [B][maxT][C], made on first use */
    int capN;
} gpt2_cache;

static ft_decoder *gpt2_decode_begin(ft_model *m, int B, int maxT, const ft_encoder_input *enc)
{
    (void)enc;
    gpt2 *g = m->impl;
    if (maxT > g->c.n_positions) maxT = g->c.n_positions;
    gpt2_cache *c = ft_xcalloc(1, sizeof *c);
    c->B = B; c->maxT = maxT;
    size_t n = (size_t)g->c.n_layer * B * maxT * g->c.n_embd;
    c->k = ft_xcalloc(n ? n : 1, sizeof(float));
    c->v = ft_xcalloc(n ? n : 1, sizeof(float));
    c->last = ft_xmalloc((size_t)B * g->c.n_embd * sizeof(float));
    c->mask = ft_xmalloc(((size_t)B * maxT + 1) * sizeof(float));
    return (ft_decoder *)c;
}

static void gpt2_decode_reorder(ft_model *m, ft_decoder *d, const int *src)
{
    gpt2 *g = m->impl;
    gpt2_cache *c = (gpt2_cache *)d;
    size_t rowf = (size_t)c->maxT * g->c.n_embd, used = (size_t)c->len * g->c.n_embd;
    if (!c->reorder) c->reorder = ft_xmalloc((c->B ? c->B : 1) * rowf * sizeof *c->reorder);
    float *tmp = c->reorder;
    for (int l = 0; l < g->c.n_layer; l++)
        for (int which = 0; which < 2; which++) {
            float *buf = (which ? c->v : c->k) + (size_t)l * c->B * rowf;
            for (int r = 0; r < c->B; r++) memcpy(tmp + r * used, buf + (size_t)src[r] * rowf, used * sizeof *tmp);
            for (int r = 0; r < c->B; r++) memcpy(buf + r * rowf, tmp + r * used, used * sizeof *tmp);
        }
}

static void free_act(layer_act *a)
{
    free(a->ln1); free(a->mean1); free(a->rstd1); free(a->qkv); free(a->probs); free(a->ctx);
    free(a->res1); free(a->ln2); free(a->mean2); free(a->rstd2); free(a->f); free(a->g);
}

static void gpt2_decode_end(ft_decoder *d)
{
    gpt2_cache *c = (gpt2_cache *)d;
    if (!c) return;
    free(c->k); free(c->v); free(c->x); free(c->tmp); free(c->mask); free(c->last); free(c->reorder);
    free_act(&c->a);
    free(c);
}

/* Room for N = B·Tn new tokens in the decoding buffers. */
static void cache_grow(gpt2_cache *kc, const ft_gpt2_config *c, int Tn)
{
    size_t N = (size_t)kc->B * Tn, C = c->n_embd, F = c->n_inner;
    if ((int)N <= kc->capN) return;
    kc->capN = (int)N;
    layer_act *a = &kc->a;
    free_act(a);
    free(kc->x); free(kc->tmp);
    kc->x = ft_xmalloc(N * C * sizeof(float));
    kc->tmp = ft_xmalloc(N * C * sizeof(float));
    a->ln1 = ft_xmalloc(N * C * sizeof(float)); a->ln2 = ft_xmalloc(N * C * sizeof(float));
    a->mean1 = ft_xmalloc(N * sizeof(float)); a->rstd1 = ft_xmalloc(N * sizeof(float));
    a->mean2 = ft_xmalloc(N * sizeof(float)); a->rstd2 = ft_xmalloc(N * sizeof(float));
    a->qkv = ft_xmalloc(N * 3 * C * sizeof(float));
    a->probs = ft_xmalloc(N * c->n_head * kc->maxT * sizeof(float));
    a->ctx = ft_xmalloc(N * C * sizeof(float)); a->res1 = ft_xmalloc(N * C * sizeof(float));
    a->f = ft_xmalloc(N * F * sizeof(float)); a->g = ft_xmalloc(N * F * sizeof(float));
}

static void gpt2_decode_step(ft_model *m, ft_decoder *d, const int32_t *ids, const int32_t *pos,
                             const int32_t *mask, int Tn, float *logits)
{
    gpt2 *g = m->impl;
    gpt2_cache *kc = (gpt2_cache *)d;
    ft_gpt2_config *c = &g->c;
    ft_params *ps = &m->params;
    int B = kc->B, C = c->n_embd, V = c->vocab_size;
    int tot = kc->len + Tn;
    if (tot > kc->maxT) ft_die("generation exceeds %d positions", kc->maxT);
    int N = B * Tn;
    cache_grow(kc, c, Tn);
    ft_check_ids(ids, (size_t)N, V, "token");
    for (int i = 0; i < N; i++) {
        if (pos[i] < 0 || pos[i] >= c->n_positions) ft_die("position %d out of range", pos[i]);
    }
    for (size_t i = 0; i < (size_t)B * tot; i++) kc->mask[i] = mask[i] ? 0.0f : -FLT_MAX;
    ft_embedding_fwd(kc->x, ids, ft_param_data(ps, g->wte), N, C, 0);
    ft_embedding_fwd(kc->x, pos, ft_param_data(ps, g->wpe), N, C, 1);
    for (int l = 0; l < c->n_layer; l++) {
        size_t at = (size_t)l * B * kc->maxT * C;
        ft_kv_slot kv = { kc->k + at, kc->v + at, kc->len, kc->maxT };
        block_fwd(m, l, &kc->a, kc->x, kc->x, kc->tmp, B, Tn, kc->mask, &kv, 0, 0);
    }
    for (int b = 0; b < B; b++)
        memcpy(kc->tmp + (size_t)b * C, kc->x + ((size_t)b * Tn + Tn - 1) * C, C * sizeof(float));
    ft_layernorm_fwd(kc->last, kc->a.mean1, kc->a.rstd1, kc->tmp, ft_param_data(ps, g->lnf_w),
                     ft_param_data(ps, g->lnf_b), B, C, c->layer_norm_eps);
    ft_linear_fwd(logits, kc->last, ft_param_data(ps, g->wte), NULL, B, C, V);
    kc->len = tot;
}

static const ft_model_vt gpt2_vt = {
    .forward = gpt2_forward, .backward = gpt2_backward, .reserve = gpt2_reserve, .flops = gpt2_flops,
    .free = gpt2_free, .init_param = gpt2_init_param, .linear_kind = gpt2_linear_kind,
    .decode_begin = gpt2_decode_begin, .decode_step = gpt2_decode_step,
    .decode_reorder = gpt2_decode_reorder, .decode_end = gpt2_decode_end,
};

static ft_model *gpt2_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);
static const ft_gguf_family gpt2_gguf;

/* What model_type "gpt2" stands for (model.h).  LoRA targets as PEFT maps
   "gpt2"; no seq-cls head (GPT2ForSequenceClassification's "score" is not
   built here). */
const ft_family ft_gpt2_family = {
    .model_type = "gpt2", .name = "GPT-2", .default_task = "causal-lm", .encoder_decoder = 0,
    .lora_targets = "c_attn", .cls_head = NULL, .eos_token_id = -1, .pad_token_id = -1,
    .span_corruption = 0, .new_model = gpt2_new, .gguf = &gpt2_gguf,
};

static ft_model *gpt2_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed)
{
    (void)num_labels;
    if (task != FT_TASK_CAUSAL_LM) ft_die("%s: GPT-2 supports --task causal-lm", cfg->path);
    gpt2 *g = ft_xcalloc(1, sizeof *g);
    ft_model *m = ft_model_shell(&gpt2_vt, g, "GPT2LMHeadModel", "transformer.", cfg, task, seed);
    m->ignore_keys = ignore_keys;
    ft_gpt2_config_read(cfg, &g->c);
    m->gen = (ft_decode_spec){ .vocab_size = g->c.vocab_size, .max_positions = g->c.n_positions,
                               .bos_token_id = g->c.bos_token_id, .pad_token_id = -1, .decoder_start_token_id = -1 };
    build_params(m, g);
    return m;
}

/* ---- GGUF export (ft-export, export_gguf.h): llama.cpp's "gpt2" ---- */
/* (included here, not above, to keep this block apart from the model's code) */
#include "gguf.h"

static const char *gpt2_gguf_arch(const ft_model *m)
{
    const gpt2 *g = m->impl;
    if (g->c.act != FT_ACT_GELU_NEW)
        ft_die("%s: activation_function is not gelu_new, and llama.cpp's gpt2 computes gelu_new", m->cfg->path);
    return "gpt2";
}

static void gpt2_gguf_meta(const ft_model *m, struct ft_gguf *f, const char *arch)
{
    const ft_gpt2_config *c = &((const gpt2 *)m->impl)->c;
    ft_gguf_arch_u32(f, arch, "context_length", (uint32_t)c->n_positions);
    ft_gguf_arch_u32(f, arch, "embedding_length", (uint32_t)c->n_embd);
    ft_gguf_arch_u32(f, arch, "feed_forward_length", (uint32_t)c->n_inner);
    ft_gguf_arch_u32(f, arch, "block_count", (uint32_t)c->n_layer);
    ft_gguf_arch_u32(f, arch, "attention.head_count", (uint32_t)c->n_head);
    ft_gguf_arch_f32(f, arch, "attention.layer_norm_epsilon", c->layer_norm_eps);
}

/* transformer.h.N.MODULE.{weight,bias} → blk.N.NAME; Conv1D weights transposed */
static int gpt2_gguf_name(const ft_model *m, const char *hf, ft_gguf_name *o)
{
    (void)m;
    static const char *const map[][2] = {
        { "ln_1", "attn_norm" }, { "attn.c_attn", "attn_qkv" }, { "attn.c_proj", "attn_output" },
        { "ln_2", "ffn_norm" }, { "mlp.c_fc", "ffn_up" }, { "mlp.c_proj", "ffn_down" },
        { "transformer.wte", "token_embd" }, { "transformer.wpe", "position_embd" },
        { "transformer.ln_f", "output_norm" },
    };
    memset(o, 0, sizeof *o);
    int i = ft_gguf_map_name(hf, "transformer.h.", map, (int)(sizeof map / sizeof *map), 6, o->name, sizeof o->name);
    if (i < 0) return -1;
    size_t n = strlen(hf);
    o->transpose = i < 6 && i != 0 && i != 3 && !strcmp(hf + n - 7, ".weight");
    o->keep_f32 = i == 7;
    return 0;
}

static const ft_gguf_family gpt2_gguf = { .arch = gpt2_gguf_arch, .meta = gpt2_gguf_meta, .name = gpt2_gguf_name };
