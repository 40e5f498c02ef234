/* llama: Llama-shaped decoders on the ops (HF modeling_llama, mistral, qwen2,
 * qwen3; eager attention).  See llama.h.
 *
 *   res[0] = embed[ids]                                          [N,C]
 *   per layer l (x = res[l]):
 *     xn1 = RMSNorm(x)
 *     q = xn1·Wq^T (+bq)  [N,H·D];  k, v = xn1·Wk^T, xn1·Wv^T  [N,Hkv·D]
 *     (qwen3) q, k = RMSNorm per head over D
 *     q, k = rope(q, k, positions)
 *     ctx = causal GQA attention(q, k, v, pad mask, window)      [N,H·D]
 *     res1 = x + ctx·Wo^T
 *     xn2 = RMSNorm(res1);  act = silu(xn2·Wg^T) ∘ (xn2·Wu^T)    [N,F]
 *     res[l+1] = res1 + act·Wd^T
 *   hf = RMSNorm(res[L]);  loss = CE(hf·Wlm^T [:, :-1], labels[:, 1:]) in row chunks
 * Every projection goes through the LoRA hooks (lora.h).  Positions are
 * arange(T) in training, as HF's forward without position_ids; generation
 * passes its own (cumsum of the mask).  One block function serves training,
 * evaluation, the recomputation of gradient checkpointing and decoding. */
#include "llama.h"
#include "lora.h"
#include "model_impl.h"
#include "ops.h"
#include "slab.h"
#include "util.h"
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ROPE_DEFAULT, ROPE_LINEAR, ROPE_LLAMA3 };

typedef struct cfg {
    int V, C, F, L, H, Hkv, D, max_pos;
    int qkv_bias, o_bias, mlp_bias, qk_norm, tied, pad_id;
    int *window;                /* [L] sliding window of each layer, 0: none */
    int rope_type;
    float eps, theta, init_range, attn_pdrop;
    float factor, low_freq, high_freq, orig_max_pos;   /* rope_scaling */
    int bos, eos;
} cfg;

typedef struct {
    int in_norm, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, q_norm, k_norm, post_norm;
    int g_w, g_b, u_w, u_b, d_w, d_b;
} layer_ix;

typedef struct {
    float *xn1, *rstd1, *q_pre, *k_pre, *rstd_q, *rstd_k, *q, *k, *v, *probs, *ctx;
    float *res1, *xn2, *rstd2, *gate, *up, *act;
} layer_act;

typedef struct llama {
    cfg c;
    float *inv_freq;                    /* [D/2] */
    int embed, norm, lm_head;           /* lm_head = embed when tied */
    layer_ix *Lx;
    ft_slab arena;
    ft_slab_shape cap;
    float **res, *hf, *rstd_f, *mask, *cs, *tmp, *attn_scratch, *lm_scratch;
    layer_act *A;
    float *g_res, *g_xn, *g_ctx, *g_q, *g_q2, *g_k, *g_k2, *g_v, *g_gate, *g_up, *g_act;
    int32_t *pos, *labels;
    const int32_t *seg;                 /* the batch's segment_ids (packing), borrowed; NULL: none */
    int B, T, train, have_grad, recompute, head_done;
    uint64_t key;
} llama;

static const char *const ignore_keys[] = { "lm_head.weight", "rotary_emb.inv_freq", NULL };

/* ---- configuration ---- */

static int cfg_bool(const ft_config *c, const char *key, int def)
{
    json_t *e = json_object_get(c->json, key);
    if (!e || json_is_null(e)) return def;
    if (!json_is_boolean(e)) ft_die("%s: \"%s\" is not true or false", c->path, key);
    return json_is_true(e);
}

static int cfg_id(const ft_config *c, const char *key, int def)
{
    json_t *e = json_object_get(c->json, key);
    return e && json_is_integer(e) ? (int)json_integer_value(e) : def;
}

/* rope_scaling (modeling_rope_utils): llama3 and linear; any other refused by name. */
static void read_rope_scaling(const ft_config *cf, cfg *c)
{
    json_t *rs = json_object_get(cf->json, "rope_scaling");
    c->rope_type = ROPE_DEFAULT;
    if (!rs || json_is_null(rs)) return;
    if (!json_is_object(rs)) ft_die("%s: rope_scaling is not an object", cf->path);
    json_t *t = json_object_get(rs, "rope_type");
    if (!t) t = json_object_get(rs, "type");
    const char *type = json_is_string(t) ? json_string_value(t) : "";
    json_t *f = json_object_get(rs, "factor");
    c->factor = json_is_number(f) ? (float)json_number_value(f) : 1.0f;
    if (!strcmp(type, "default")) return;
    if (!strcmp(type, "linear")) c->rope_type = ROPE_LINEAR;
    else if (!strcmp(type, "llama3")) {
        c->rope_type = ROPE_LLAMA3;
        json_t *lo = json_object_get(rs, "low_freq_factor"), *hi = json_object_get(rs, "high_freq_factor");
        json_t *om = json_object_get(rs, "original_max_position_embeddings");
        if (!json_is_number(lo) || !json_is_number(hi) || !json_is_number(om))
            ft_die("%s: rope_scaling llama3 needs low_freq_factor, high_freq_factor and "
                   "original_max_position_embeddings", cf->path);
        c->low_freq = (float)json_number_value(lo);
        c->high_freq = (float)json_number_value(hi);
        c->orig_max_pos = (float)json_number_value(om);
        if (!(c->high_freq > c->low_freq)) ft_die("%s: rope_scaling: high_freq_factor must exceed low_freq_factor", cf->path);
    } else ft_die("%s: rope_scaling type \"%s\" is not supported (llama3, linear)", cf->path, type);
    if (!(c->factor > 0)) ft_die("%s: rope_scaling factor must be positive", cf->path);
}

/* Which layers slide (HF 4.53): mistral every layer when sliding_window is
   set; qwen2/qwen3 layer_types, else those from max_window_layers on when
   use_sliding_window; llama none. */
static void read_windows(const ft_config *cf, cfg *c, const char *type)
{
    c->window = ft_xcalloc(c->L ? c->L : 1, sizeof *c->window);
    int w = cfg_id(cf, "sliding_window", 0);
    if (!strcmp(type, "llama") || w <= 0) return;
    int qwen = strncmp(type, "qwen", 4) == 0;
    if (qwen && !cfg_bool(cf, "use_sliding_window", 0)) return;
    json_t *lt = json_object_get(cf->json, "layer_types");
    int from = qwen ? cfg_id(cf, "max_window_layers", 28) : 0;
    for (int l = 0; l < c->L; l++) {
        json_t *e = json_array_get(lt, l);
        if (e) c->window[l] = json_is_string(e) && !strcmp(json_string_value(e), "sliding_attention") ? w : 0;
        else c->window[l] = l >= from ? w : 0;
    }
}

static void read_config(const ft_config *cf, cfg *c, const char *type)
{
    memset(c, 0, sizeof *c);
    c->V = (int)ft_config_int(cf, "vocab_size", 32000);
    c->C = (int)ft_config_int(cf, "hidden_size", 4096);
    c->F = (int)ft_config_int(cf, "intermediate_size", 11008);
    c->L = (int)ft_config_int(cf, "num_hidden_layers", 32);
    c->H = (int)ft_config_int(cf, "num_attention_heads", 32);
    c->Hkv = (int)ft_config_int(cf, "num_key_value_heads", c->H);
    if (c->H <= 0 || c->C <= 0) ft_die("%s: bad hidden_size / num_attention_heads", cf->path);
    c->D = (int)ft_config_int(cf, "head_dim", !strcmp(type, "qwen3") ? 128 : c->C / c->H);
    c->max_pos = (int)ft_config_int(cf, "max_position_embeddings", 2048);
    c->eps = (float)ft_config_num(cf, "rms_norm_eps", 1e-6);
    c->theta = (float)ft_config_num(cf, "rope_theta", 10000.0);
    c->init_range = (float)ft_config_num(cf, "initializer_range", 0.02);
    c->attn_pdrop = (float)ft_config_num(cf, "attention_dropout", 0.0);
    c->tied = cfg_bool(cf, "tie_word_embeddings", 0);
    int ab = cfg_bool(cf, "attention_bias", 0);
    c->qkv_bias = !strcmp(type, "qwen2") || (ab && strcmp(type, "mistral"));
    c->o_bias = ab && (!strcmp(type, "llama") || !strcmp(type, "qwen3"));
    c->mlp_bias = !strcmp(type, "llama") && cfg_bool(cf, "mlp_bias", 0);
    c->qk_norm = !strcmp(type, "qwen3");
    c->pad_id = cfg_id(cf, "pad_token_id", -1);
    c->bos = cfg_id(cf, "bos_token_id", -1);
    c->eos = cfg_id(cf, "eos_token_id", -1);
    const char *act = ft_config_str(cf, "hidden_act", "silu");
    if (strcmp(act, "silu")) ft_die("%s: hidden_act \"%s\" is not supported (silu)", cf->path, act);
    if (c->Hkv <= 0 || c->H % c->Hkv)
        ft_die("%s: num_attention_heads %d is not a multiple of num_key_value_heads %d", cf->path, c->H, c->Hkv);
    if (c->D <= 0 || c->D % 2) ft_die("%s: head_dim %d must be even and positive", cf->path, c->D);
    if (c->L < 0 || c->F <= 0 || c->V <= 0 || c->max_pos <= 0 || !(c->theta > 0))
        ft_die("%s: bad Llama dimensions", cf->path);
    if (json_is_number(json_object_get(cf->json, "partial_rotary_factor")) &&
        ft_config_num(cf, "partial_rotary_factor", 1.0) != 1.0)
        ft_die("%s: partial_rotary_factor other than 1 is not supported", cf->path);
    read_rope_scaling(cf, c);
    read_windows(cf, c, type);
    double C = c->C, HD = (double)c->H * c->D, KD = (double)c->Hkv * c->D;
    char dims[192];
    snprintf(dims, sizeof dims, "hidden_size %d, intermediate_size %d, %d layers, vocab_size %d", c->C, c->F, c->L, c->V);
    ft_config_check_size(cf, (double)c->V * C * (c->tied ? 1 : 2) +
                             c->L * (2 * C * HD + 2 * C * KD + 3 * C * c->F), dims);
}

/* HF's unscaled inv_freq of pair i, in float32: 1 / theta^(2i/D). */
static float base_inv_freq(const cfg *c, int i)
{
    return 1.0f / (float)pow((double)c->theta, (double)((float)(2 * i) / (float)c->D));
}

/* HF's inv_freq, then rope_scaling's adjustment
   (_compute_linear_scaling_rope_parameters, _compute_llama3_parameters). */
static void make_inv_freq(llama *g)
{
    cfg *c = &g->c;
    int h = c->D / 2;
    g->inv_freq = ft_xmalloc(h * sizeof(float));
    for (int i = 0; i < h; i++) {
        float f = base_inv_freq(c, i);
        if (c->rope_type == ROPE_LINEAR) f /= c->factor;
        else if (c->rope_type == ROPE_LLAMA3) {
            float low_wl = c->orig_max_pos / c->low_freq, high_wl = c->orig_max_pos / c->high_freq;
            float wl = (float)(2 * M_PI) / f;
            float fl = wl > low_wl ? f / c->factor : f;
            float smooth = (c->orig_max_pos / wl - c->low_freq) / (c->high_freq - c->low_freq);
            float smoothed = (1 - smooth) * fl / c->factor + smooth * fl;
            f = !(wl < high_wl) && !(wl > low_wl) ? smoothed : fl;
        }
        g->inv_freq[i] = f;
    }
}

/* ---- parameters ---- */

static int add(ft_params *ps, int l, const char *suffix, int64_t d0, int64_t d1)
{
    char nm[256];
    snprintf(nm, sizeof nm, "model.layers.%d.%s", l, suffix);
    return ft_params_add_hf(ps, nm, d0, d1);
}

static void build_params(ft_model *m, llama *g)
{
    cfg *c = &g->c;
    ft_params *ps = &m->params;
    ps->norm_marker = "norm";   /* input_layernorm, post_attention_layernorm, model.norm, q_norm, k_norm */
    int C = c->C, HD = c->H * c->D, KD = c->Hkv * c->D, F = c->F;
    g->embed = ft_params_add_hf(ps, "model.embed_tokens.weight", c->V, C);
    g->Lx = ft_xcalloc(c->L + 1, sizeof *g->Lx);
    for (int l = 0; l < c->L; l++) {
        layer_ix *L = &g->Lx[l];
        L->in_norm = add(ps, l, "input_layernorm.weight", C, 0);
        L->q_w = add(ps, l, "self_attn.q_proj.weight", HD, C);
        L->q_b = c->qkv_bias ? add(ps, l, "self_attn.q_proj.bias", HD, 0) : -1;
        L->k_w = add(ps, l, "self_attn.k_proj.weight", KD, C);
        L->k_b = c->qkv_bias ? add(ps, l, "self_attn.k_proj.bias", KD, 0) : -1;
        L->v_w = add(ps, l, "self_attn.v_proj.weight", KD, C);
        L->v_b = c->qkv_bias ? add(ps, l, "self_attn.v_proj.bias", KD, 0) : -1;
        L->o_w = add(ps, l, "self_attn.o_proj.weight", C, HD);
        L->o_b = c->o_bias ? add(ps, l, "self_attn.o_proj.bias", C, 0) : -1;
        L->q_norm = c->qk_norm ? add(ps, l, "self_attn.q_norm.weight", c->D, 0) : -1;
        L->k_norm = c->qk_norm ? add(ps, l, "self_attn.k_norm.weight", c->D, 0) : -1;
        L->post_norm = add(ps, l, "post_attention_layernorm.weight", C, 0);
        L->g_w = add(ps, l, "mlp.gate_proj.weight", F, C);
        L->g_b = c->mlp_bias ? add(ps, l, "mlp.gate_proj.bias", F, 0) : -1;
        L->u_w = add(ps, l, "mlp.up_proj.weight", F, C);
        L->u_b = c->mlp_bias ? add(ps, l, "mlp.up_proj.bias", F, 0) : -1;
        L->d_w = add(ps, l, "mlp.down_proj.weight", C, F);
        L->d_b = c->mlp_bias ? add(ps, l, "mlp.down_proj.bias", C, 0) : -1;
    }
    g->norm = ft_params_add_hf(ps, "model.norm.weight", C, 0);
    g->lm_head = c->tied ? g->embed : ft_params_add_hf(ps, "lm_head.weight", c->V, C);
    ft_params_alloc(ps);
}

/* HF LlamaPreTrainedModel._init_weights: Linear and Embedding ~ N(0, range),
   biases 0, the padding_idx row of the embedding 0, RMSNorm weights 1.  One
   stream per tensor (seed, name), as the other families. */
static void llama_init_param(ft_model *m, int i, uint64_t seed)
{
    llama *g = m->impl;
    ft_param *p = &m->params.p[i];
    float *x = m->params.data + p->offset;
    if (strstr(p->name, "norm.weight")) {
        for (size_t j = 0; j < p->numel; j++) x[j] = 1.0f;
    } else if (ft_ends_with(p->name, ".bias")) {
        memset(x, 0, p->numel * sizeof *x);
    } else {
        ft_rng r;
        ft_rng_seed(&r, ft_key_mix(seed, ft_hash64(p->name, strlen(p->name), 0)));
        ft_rng_normal_fill(&r, x, p->numel, 0.0f, g->c.init_range);
        if (i == g->embed && g->c.pad_id >= 0 && g->c.pad_id < g->c.V)
            memset(x + (size_t)g->c.pad_id * g->c.C, 0, g->c.C * sizeof *x);
    }
}

static int llama_linear_kind(const ft_model *m, int i)
{
    const char *nm = m->params.p[i].name;
    if (strncmp(nm, "model.layers.", 13) || !ft_ends_with(nm, "_proj.weight")) return 0;
    return 1;
}

/* ---- arena ---- */

/* One layer's activations.  Gradient checkpointing and inference list one
   for every layer to share; plain training one per layer, where the norms'
   outputs and the SwiGLU product (cheap to recompute from what is kept)
   are listed once (own_inputs) and shared: backward recomputes them. */
static void list_layer(const cfg *c, ft_slab *ar, layer_act *a, size_t N, size_t BHTT, int own_inputs)
{
    size_t C = c->C, HD = (size_t)c->H * c->D, KD = (size_t)c->Hkv * c->D, F = c->F;
    if (own_inputs) {
        ft_slab_add(ar, &a->xn1, N * C);
        ft_slab_add(ar, &a->xn2, N * C);
        ft_slab_add(ar, &a->act, N * F);
    }
    ft_slab_add(ar, &a->res1, N * C);
    ft_slab_add(ar, &a->gate, N * F);
    ft_slab_add(ar, &a->up, N * F);
    ft_slab_add(ar, &a->rstd1, N);
    ft_slab_add(ar, &a->rstd2, N);
    ft_slab_add(ar, &a->q, N * HD);
    ft_slab_add(ar, &a->ctx, N * HD);
    ft_slab_add(ar, &a->k, N * KD);
    ft_slab_add(ar, &a->v, N * KD);
    ft_slab_add(ar, &a->probs, BHTT);
    if (!c->qk_norm) return;
    ft_slab_add(ar, &a->q_pre, N * HD);
    ft_slab_add(ar, &a->k_pre, N * KD);
    ft_slab_add(ar, &a->rstd_q, N * c->H);
    ft_slab_add(ar, &a->rstd_k, N * c->Hkv);
}

static void arena_list(llama *g, ft_slab *ar, int B, int T, int train, int per_layer)
{
    cfg *c = &g->c;
    size_t N = (size_t)B * T, C = c->C, HD = (size_t)c->H * c->D, KD = (size_t)c->Hkv * c->D, F = c->F;
    size_t Lres = train ? c->L : 1, Lact = per_layer ? c->L : 1;
    for (size_t l = 0; l <= Lres; l++) ft_slab_add(ar, &g->res[l], N * C);
    for (size_t l = 0; l < Lact; l++) list_layer(c, ar, &g->A[l], N, (size_t)B * c->H * T * T, l == 0);
    ft_slab_add(ar, &g->hf, N * C);
    ft_slab_add(ar, &g->rstd_f, N);
    ft_slab_add(ar, &g->mask, N);
    ft_slab_add(ar, &g->cs, N * c->D);
    ft_slab_add(ar, &g->tmp, N * C);
    ft_slab_add(ar, &g->attn_scratch, ft_attn_scratch(T, T));
    ft_slab_add(ar, &g->lm_scratch, ft_lm_head_scratch(0, c->C, c->V));
    if (!train) return;
    float **nc[] = { &g->g_res, &g->g_xn }, **nhd[] = { &g->g_ctx, &g->g_q, &g->g_q2 };
    float **nkd[] = { &g->g_k, &g->g_k2, &g->g_v }, **nf[] = { &g->g_gate, &g->g_up, &g->g_act };
    for (int i = 0; i < 2; i++) ft_slab_add(ar, nc[i], N * C);
    for (int i = 0; i < 3; i++) ft_slab_add(ar, nhd[i], N * HD);
    for (int i = 0; i < 3; i++) ft_slab_add(ar, nkd[i], N * KD);
    for (int i = 0; i < 3; i++) ft_slab_add(ar, nf[i], N * F);
}

static void arena_ensure(ft_model *m, int B, int T, int train)
{
    llama *g = m->impl;
    int L = g->c.L, per_layer = train && !m->gradient_checkpointing;
    int want[2] = {B, T};
    /* the shape's mode: 0 inference, 1 training, 2 checkpointed training */
    if (!ft_slab_shape_grow(&g->cap, want, 2, train ? 1 + !per_layer : 0)) return;
    B = want[0], T = want[1];
    free(g->res);
    free(g->A);
    g->res = ft_xcalloc(L + 2, sizeof *g->res);
    g->A = ft_xcalloc(L + 1, sizeof *g->A);
    arena_list(g, &g->arena, B, T, train, per_layer);
    char what[96];
    snprintf(what, sizeof what, "activations for %d×%d tokens", B, T);
    ft_slab_commit(&g->arena, what);
    for (int l = 1; !per_layer && l < L; l++) g->A[l] = g->A[0];
    for (int l = 1; per_layer && l < L; l++) {
        g->A[l].xn1 = g->A[0].xn1;
        g->A[l].xn2 = g->A[0].xn2;
        g->A[l].act = g->A[0].act;
    }
    for (int l = 2; !train && l <= L; l++) g->res[l] = g->res[l & 1];
    g->recompute = train && !per_layer;
    size_t N = (size_t)B * T;
    free(g->pos);
    free(g->labels);
    g->pos = ft_xcalloc(N, sizeof(int32_t));
    g->labels = ft_xcalloc(N, sizeof(int32_t));
}

static void llama_reserve(ft_model *m, int B, int T) { arena_ensure(m, B, T, 1); }

/* ---- one block: training, evaluation, recomputation, decoding ---- */

/* out[N,Cout] = in·W^T (+b), then the layer's adapter. */
static void proj(ft_model *m, int w, int b, float *out, const float *in, int N, int Cin, int Cout,
                 int train, uint64_t key)
{
    ft_params *ps = &m->params;
    ft_linear_fwd(out, in, ft_param_data(ps, w), b >= 0 ? ft_param_data(ps, b) : NULL, N, Cin, Cout);
    ft_lora_fwd(m, w, out, Cout, in, N, train, key);
}

static ft_attn attn_desc(const llama *g, int l, int B, int T, const float *mask, int train, uint64_t key)
{
    const cfg *c = &g->c;
    size_t HD = (size_t)c->H * c->D, KD = (size_t)c->Hkv * c->D;
    return (ft_attn){ .B = B, .Tq = T, .Tk = T, .H = c->H, .D = c->D, .Hkv = c->Hkv, .window = c->window[l],
                      .ldq = HD, .ldk = KD, .ldv = KD, .ldo = HD, .mask = mask, .causal = 1,
                      .scale = 1.0f / sqrtf((float)c->D), .p = train ? c->attn_pdrop : 0,
                      .key = ft_site(key, l + 1, 0) };
}

/* q, k of a layer ready for attention: per-head RMSNorm (qwen3), then rope. */
static void qk_prepare(ft_model *m, int l, layer_act *a, int N, const float *cs)
{
    llama *g = m->impl;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    int HD = c->H * c->D, KD = c->Hkv * c->D;
    if (c->qk_norm) {
        ft_rmsnorm_fwd(a->q, a->rstd_q, a->q_pre, ft_param_data(ps, g->Lx[l].q_norm), N * c->H, c->D, c->eps);
        ft_rmsnorm_fwd(a->k, a->rstd_k, a->k_pre, ft_param_data(ps, g->Lx[l].k_norm), N * c->Hkv, c->D, c->eps);
    }
    ft_rope_fwd(a->q, HD, N, c->H, c->D, cs);
    ft_rope_fwd(a->k, KD, N, c->Hkv, c->D, cs);
}

/* out = block(x) over B sequences of T new tokens [B·T, C] (out may be x);
   a receives what the backward needs, tmp is [B·T, C] scratch.  With a cache the new keys and
   values are appended to it and the queries attend over all of it. */
static void block_fwd(ft_model *m, int l, layer_act *a, const float *x, float *out, float *tmp, int B, int T,
                      const float *mask, const float *cs, const ft_kv_slot *kv, int train, uint64_t key)
{
    llama *g = m->impl;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    const layer_ix *L = &g->Lx[l];
    int N = B * T, C = c->C, HD = c->H * c->D, KD = c->Hkv * c->D, F = c->F;
    ft_rmsnorm_fwd(a->xn1, a->rstd1, x, ft_param_data(ps, L->in_norm), N, C, c->eps);
    proj(m, L->q_w, L->q_b, c->qk_norm ? a->q_pre : a->q, a->xn1, N, C, HD, train, ft_site(key, l + 1, 1));
    proj(m, L->k_w, L->k_b, c->qk_norm ? a->k_pre : a->k, a->xn1, N, C, KD, train, ft_site(key, l + 1, 2));
    proj(m, L->v_w, L->v_b, a->v, a->xn1, N, C, KD, train, ft_site(key, l + 1, 3));
    qk_prepare(m, l, a, N, cs);
    ft_attn at = attn_desc(g, l, B, T, mask, train, key);
    at.segment = kv ? NULL : g->seg;
    const float *K = a->k, *V = a->v;
    if (kv) ft_kv_attend(kv, &at, &K, &V, a->k, a->v, KD, KD);
    ft_attn_fwd(&at, a->ctx, a->probs, a->q, K, V, at.p > 0 ? g->attn_scratch : NULL);
    proj(m, L->o_w, L->o_b, tmp, a->ctx, N, HD, C, train, ft_site(key, l + 1, 4));
    ft_dropout_add_fwd(a->res1, tmp, x, (size_t)N * C, 0, 0);
    ft_rmsnorm_fwd(a->xn2, a->rstd2, a->res1, ft_param_data(ps, L->post_norm), N, C, c->eps);
    proj(m, L->g_w, L->g_b, a->gate, a->xn2, N, C, F, train, ft_site(key, l + 1, 5));
    proj(m, L->u_w, L->u_b, a->up, a->xn2, N, C, F, train, ft_site(key, l + 1, 6));
    ft_swiglu_fwd(a->act, a->gate, a->up, (size_t)N * F);
    proj(m, L->d_w, L->d_b, tmp, a->act, N, F, C, train, ft_site(key, l + 1, 7));
    ft_dropout_add_fwd(out, tmp, a->res1, (size_t)N * C, 0, 0);
}

/* ---- forward ---- */

static float llama_forward(ft_model *m, const ft_batch *b, int train, int grad, float *logits_out)
{
    llama *g = m->impl;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    int B = b->B, T = b->T, C = c->C, V = c->V;
    size_t N = (size_t)B * T;
    if (B <= 0 || T <= 0) ft_die("empty batch");
    if (T > c->max_pos) ft_die("sequence length %d exceeds max_position_embeddings %d", T, c->max_pos);
    arena_ensure(m, B, T, grad);
    ft_check_ids(b->input_ids, N, V, "token");
    ft_batch_positions(b, g->pos, c->max_pos);
    for (size_t i = 0; i < N; i++) g->mask[i] = b->attention_mask && !b->attention_mask[i] ? -FLT_MAX : 0.0f;
    g->seg = b->segment_ids;
    if (train) m->step++;
    g->key = ft_key_mix(m->seed, m->step);
    g->B = B; g->T = T; g->train = train; g->have_grad = grad;
    ft_rope_table(g->cs, g->pos, (int)N, c->D, g->inv_freq, 1.0f);
    ft_embedding_fwd(g->res[0], b->input_ids, ft_param_data(ps, g->embed), (int)N, C, 0);
    for (int l = 0; l < c->L; l++)
        block_fwd(m, l, &g->A[l], g->res[l], g->res[l + 1], g->tmp, B, T, g->mask, g->cs, NULL, train, g->key);
    ft_rmsnorm_fwd(g->hf, g->rstd_f, g->res[c->L], ft_param_data(ps, g->norm), (int)N, C, c->eps);
    ft_shift_labels(b, g->labels, V);
    m->loss_items = ft_count_labelled(g->labels, (int)N, -100);
    const float *W = ft_param_data(ps, g->lm_head);
    if (logits_out) {
        ft_linear_fwd(logits_out, g->hf, W, NULL, (int)N, C, V);
        return ft_cross_entropy_smoothed(NULL, logits_out, g->labels, (int)N, V, -100, 1.0f, b->label_smoothing);
    }
    /* A frozen head (LoRA): its input's gradient now, so backward need not
       compute the logits again.  A trained one adds to its weight's gradient,
       which the trainer may rescale between forward and backward: backward
       computes the logits once more, a chunk at a time. */
    g->head_done = grad && !G(g->lm_head);
    if (g->head_done) ZERO(g->g_xn, N * C);
    return ft_lm_head_loss(g->head_done ? g->g_xn : NULL, NULL, g->hf, W, g->labels, (int)N, C, V, -100,
                           b->label_smoothing, 1.0f, 0, g->lm_scratch);
}

/* ---- backward ---- */

/* dq (or dk) of a layer back through rope and the per-head norm: the
   gradient of the projection's output, in g_q / g_k or g_q2 / g_k2. */
static float *qk_backward(ft_model *m, int l, layer_act *a, float *dx, float *dpre, int nh, int which)
{
    llama *g = m->impl;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    int N = g->B * g->T;
    ft_rope_bwd(dx, (size_t)nh * c->D, N, nh, c->D, g->cs);
    if (!c->qk_norm) return dx;
    int wn = which ? g->Lx[l].k_norm : g->Lx[l].q_norm;
    ZERO(dpre, (size_t)N * nh * c->D);
    ft_rmsnorm_bwd(dpre, G(wn), dx, which ? a->k_pre : a->q_pre, which ? a->rstd_k : a->rstd_q,
                   ft_param_data(ps, wn), N * nh, c->D);
    return dpre;
}

/* in·W^T's backward: din += dout·W, dW, db; then the adapter's. */
static void proj_bwd(ft_model *m, int w, int b, float *din, const float *dout, const float *in, int N, int Cin, int Cout)
{
    ft_params *ps = &m->params;
    ft_linear_bwd(din, G(w), b >= 0 ? G(b) : NULL, dout, in, ft_param_data(ps, w), N, Cin, Cout);
    ft_lora_bwd(m, w, din, dout, Cout, in, N);
}

/* g_res holds ∂loss/∂res[l+1]; leaves ∂loss/∂res[l] there. */
static void block_bwd(ft_model *m, int l, layer_act *a, const float *x)
{
    llama *g = m->impl;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    const layer_ix *L = &g->Lx[l];
    int N = g->B * g->T, C = c->C, HD = c->H * c->D, KD = c->Hkv * c->D, F = c->F;
    /* the shared slots hold another layer's: this one's again, bit for bit */
    if (!g->recompute) {
        ft_rmsnorm_fwd(a->xn2, a->rstd2, a->res1, ft_param_data(ps, L->post_norm), N, C, c->eps);
        ft_swiglu_fwd(a->act, a->gate, a->up, (size_t)N * F);
    }
    ZERO(g->g_act, (size_t)N * F);
    proj_bwd(m, L->d_w, L->d_b, g->g_act, g->g_res, a->act, N, F, C);
    ZERO(g->g_gate, (size_t)N * F);
    ZERO(g->g_up, (size_t)N * F);
    ft_swiglu_bwd(g->g_gate, g->g_up, g->g_act, a->gate, a->up, (size_t)N * F);
    ZERO(g->g_xn, (size_t)N * C);
    proj_bwd(m, L->g_w, L->g_b, g->g_xn, g->g_gate, a->xn2, N, C, F);
    proj_bwd(m, L->u_w, L->u_b, g->g_xn, g->g_up, a->xn2, N, C, F);
    ft_rmsnorm_bwd(g->g_res, G(L->post_norm), g->g_xn, a->res1, a->rstd2, ft_param_data(ps, L->post_norm), N, C);
    ZERO(g->g_ctx, (size_t)N * HD);
    proj_bwd(m, L->o_w, L->o_b, g->g_ctx, g->g_res, a->ctx, N, HD, C);
    ZERO(g->g_q, (size_t)N * HD);
    ZERO(g->g_k, (size_t)N * KD);
    ZERO(g->g_v, (size_t)N * KD);
    ft_attn at = attn_desc(g, l, g->B, g->T, g->mask, g->train, g->key);
    ft_attn_bwd(&at, g->g_q, g->g_k, g->g_v, NULL, g->g_ctx, a->q, a->k, a->v, a->probs, g->attn_scratch);
    float *dq = qk_backward(m, l, a, g->g_q, g->g_q2, c->H, 0);
    float *dk = qk_backward(m, l, a, g->g_k, g->g_k2, c->Hkv, 1);
    if (!g->recompute) ft_rmsnorm_fwd(a->xn1, a->rstd1, x, ft_param_data(ps, L->in_norm), N, C, c->eps);
    ZERO(g->g_xn, (size_t)N * C);
    proj_bwd(m, L->q_w, L->q_b, g->g_xn, dq, a->xn1, N, C, HD);
    proj_bwd(m, L->k_w, L->k_b, g->g_xn, dk, a->xn1, N, C, KD);
    proj_bwd(m, L->v_w, L->v_b, g->g_xn, g->g_v, a->xn1, N, C, KD);
    ft_rmsnorm_bwd(g->g_res, G(L->in_norm), g->g_xn, x, a->rstd1, ft_param_data(ps, L->in_norm), N, C);
}

static void llama_backward(ft_model *m, const ft_batch *b)
{
    llama *g = m->impl;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    if (!g->have_grad || b->B != g->B || b->T != g->T) ft_die("internal: backward without its forward");
    int C = c->C, N = g->B * g->T;
    g->seg = b->segment_ids;            /* a checkpointed layer's recompute masks as its forward */
    if (!g->head_done) {
        ZERO(g->g_xn, (size_t)N * C);
        ft_lm_head_loss(g->g_xn, G(g->lm_head), g->hf, ft_param_data(ps, g->lm_head), g->labels, N, C, c->V,
                        -100, b->label_smoothing, 1.0f, 0, g->lm_scratch);
    }
    ZERO(g->g_res, (size_t)N * C);
    ft_rmsnorm_bwd(g->g_res, G(g->norm), g->g_xn, g->res[c->L], g->rstd_f, ft_param_data(ps, g->norm), N, C);
    for (int l = c->L - 1; l >= 0; l--) {
        /* checkpointed: the layer again from its input, into the shared slots */
        if (g->recompute)
            block_fwd(m, l, &g->A[l], g->res[l], g->g_xn, g->tmp, g->B, g->T, g->mask, g->cs, NULL, g->train, g->key);
        block_bwd(m, l, &g->A[l], g->res[l]);
        ft_grads_ready(m, g->Lx[l].in_norm);   /* the layer's first parameter; the embedding lies below */
    }
    /* nn.Embedding(padding_idx=pad_token_id): that row gets no gradient */
    for (int i = 0; c->pad_id >= 0 && i < N; i++)
        if (b->input_ids[i] == c->pad_id) ZERO(g->g_res + (size_t)i * C, C);
    if (G(g->embed)) ft_embedding_bwd(G(g->embed), b->input_ids, g->g_res, N, C);
    g->have_grad = 0;
}

static double llama_flops(const ft_model *m, int B, int T)
{
    const llama *g = m->impl;
    const cfg *c = &g->c;
    double C = c->C, HD = (double)c->H * c->D, KD = (double)c->Hkv * c->D, N = (double)B * T;
    double layer = 6 * N * (2 * C * HD + 2 * C * KD + 3 * C * c->F) + 3 * 2 * 2 * N * T * HD / 2;
    return c->L * layer + 6 * N * C * c->V;
}

static void llama_free(ft_model *m)
{
    llama *g = m->impl;
    ft_slab_free(&g->arena);
    free(g->res); free(g->A); free(g->Lx); free(g->pos); free(g->labels);
    free(g->inv_freq); free(g->c.window);
    free(g);
}

/* ---- KV-cache decoding ---- */

typedef struct cache {      /* an ft_decoder */
    int R, maxT, len, capN;
    float *k, *v;           /* [L][R][maxT][Hkv·D]: the key/value heads only */
    float *x, *tmp, *mask, *cs, *last, *rstd;
    layer_act a;            /* one layer's activations, reused by every layer */
    ft_slab slab;
    float *reorder;         /* beam search: one layer's K or V, made on first use */
} cache;

static ft_decoder *llama_decode_begin(ft_model *m, int R, int maxT, const ft_encoder_input *enc)
{
    (void)enc;
    llama *g = m->impl;
    if (maxT > g->c.max_pos) maxT = g->c.max_pos;
    cache *d = ft_xcalloc(1, sizeof *d);
    d->R = R; d->maxT = maxT;
    size_t n = (size_t)g->c.L * R * maxT * g->c.Hkv * g->c.D;
    d->k = ft_xcalloc(n ? n : 1, sizeof(float));
    d->v = ft_xcalloc(n ? n : 1, sizeof(float));
    d->last = ft_xmalloc((size_t)R * g->c.C * sizeof(float));
    d->rstd = ft_xmalloc((size_t)R * sizeof(float));
    d->mask = ft_xmalloc(((size_t)R * maxT + 1) * sizeof(float));
    return (ft_decoder *)d;
}

static void llama_decode_reorder(ft_model *m, ft_decoder *dd, const int *src)
{
    llama *g = m->impl;
    cache *d = (cache *)dd;
    size_t w = (size_t)g->c.Hkv * g->c.D, rowf = (size_t)d->maxT * w, used = (size_t)d->len * w;
    if (!d->reorder) d->reorder = ft_xmalloc((d->R ? d->R : 1) * rowf * sizeof *d->reorder);
    for (int l = 0; l < g->c.L; l++)
        for (int which = 0; which < 2; which++) {
            float *buf = (which ? d->v : d->k) + (size_t)l * d->R * rowf;
            for (int r = 0; r < d->R; r++) memcpy(d->reorder + r * used, buf + (size_t)src[r] * rowf, used * sizeof(float));
            for (int r = 0; r < d->R; r++) memcpy(buf + r * rowf, d->reorder + r * used, used * sizeof(float));
        }
}

static void llama_decode_end(ft_decoder *dd)
{
    cache *d = (cache *)dd;
    if (!d) return;
    free(d->k); free(d->v); free(d->last); free(d->rstd); free(d->mask); free(d->reorder);
    ft_slab_free(&d->slab);
    free(d);
}

/* Room for R·Tn new tokens: one layer's activations, the stream, the rope table. */
static void cache_grow(llama *g, cache *d, int Tn)
{
    size_t N = (size_t)d->R * Tn;
    if ((int)N <= d->capN) return;
    d->capN = (int)N;
    list_layer(&g->c, &d->slab, &d->a, N, N * g->c.H * d->maxT, 1);
    ft_slab_add(&d->slab, &d->x, N * g->c.C);
    ft_slab_add(&d->slab, &d->cs, N * g->c.D);
    ft_slab_add(&d->slab, &d->tmp, N * g->c.C);
    ft_slab_commit(&d->slab, "decoding activations");
}

static void llama_decode_step(ft_model *m, ft_decoder *dd, const int32_t *ids, const int32_t *pos,
                              const int32_t *mask, int Tn, float *logits)
{
    llama *g = m->impl;
    cache *d = (cache *)dd;
    const cfg *c = &g->c;
    ft_params *ps = &m->params;
    int R = d->R, C = c->C, V = c->V, N = R * Tn, tot = d->len + Tn;
    if (tot > d->maxT) ft_die("generation exceeds %d positions", d->maxT);
    cache_grow(g, d, Tn);
    ft_check_ids(ids, (size_t)N, V, "token");
    for (int i = 0; i < N; i++)
        if (pos[i] < 0 || pos[i] >= c->max_pos) ft_die("position %d out of range", pos[i]);
    for (size_t i = 0; i < (size_t)R * tot; i++) d->mask[i] = mask[i] ? 0.0f : -FLT_MAX;
    ft_rope_table(d->cs, pos, N, c->D, g->inv_freq, 1.0f);
    ft_embedding_fwd(d->x, ids, ft_param_data(ps, g->embed), N, C, 0);
    size_t w = (size_t)c->Hkv * c->D;
    for (int l = 0; l < c->L; l++) {
        size_t at = (size_t)l * R * d->maxT * w;
        ft_kv_slot kv = { d->k + at, d->v + at, d->len, d->maxT };
        block_fwd(m, l, &d->a, d->x, d->x, d->tmp, R, Tn, d->mask, d->cs, &kv, 0, 0);
    }
    for (int r = 0; r < R; r++)
        memcpy(d->tmp + (size_t)r * C, d->x + ((size_t)r * Tn + Tn - 1) * C, C * sizeof(float));
    ft_rmsnorm_fwd(d->last, d->rstd, d->tmp, ft_param_data(ps, g->norm), R, C, c->eps);
    ft_linear_fwd(logits, d->last, ft_param_data(ps, g->lm_head), NULL, R, C, V);
    d->len = tot;
}

static const ft_model_vt llama_vt = {
    .forward = llama_forward, .backward = llama_backward, .reserve = llama_reserve, .flops = llama_flops,
    .free = llama_free, .init_param = llama_init_param, .linear_kind = llama_linear_kind,
    .decode_begin = llama_decode_begin, .decode_step = llama_decode_step,
    .decode_reorder = llama_decode_reorder, .decode_end = llama_decode_end,
};

static ft_model *llama_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);
static const ft_gguf_family llama_gguf;

/* The four model_types: PEFT's default LoRA targets (q_proj, v_proj) and the
   HF config classes' eos defaults (LlamaConfig and MistralConfig 2). */
#define LLAMA_FAMILY(var, type, nm, eos) \
    const ft_family var = { .model_type = type, .name = nm, .default_task = "causal-lm", \
        .lora_targets = "q_proj,v_proj", .eos_token_id = eos, .pad_token_id = -1, \
        .gradient_checkpointing = 1, .new_model = llama_new, .gguf = &llama_gguf }
LLAMA_FAMILY(ft_llama_family, "llama", "Llama", 2);
LLAMA_FAMILY(ft_mistral_family, "mistral", "Mistral", 2);
LLAMA_FAMILY(ft_qwen2_family, "qwen2", "Qwen2", -1);
LLAMA_FAMILY(ft_qwen3_family, "qwen3", "Qwen3", -1);

static const char *arch_of(const char *type)
{
    return !strcmp(type, "mistral") ? "MistralForCausalLM" : !strcmp(type, "qwen2") ? "Qwen2ForCausalLM"
         : !strcmp(type, "qwen3") ? "Qwen3ForCausalLM" : "LlamaForCausalLM";
}

static ft_model *llama_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed)
{
    (void)num_labels;
    const char *type = ft_config_str(cfg, "model_type", "llama");
    const ft_family *fam = ft_family_of(type);
    if (task != FT_TASK_CAUSAL_LM) ft_die("%s: %s supports --task causal-lm", cfg->path, fam->name);
    llama *g = ft_xcalloc(1, sizeof *g);
    ft_model *m = ft_model_shell(&llama_vt, g, arch_of(type), "model.", cfg, task, seed);
    m->ignore_keys = ignore_keys;
    read_config(cfg, &g->c, type);
    make_inv_freq(g);
    m->gen = (ft_decode_spec){ .vocab_size = g->c.V, .max_positions = g->c.max_pos, .bos_token_id = g->c.bos,
                               .pad_token_id = -1, .decoder_start_token_id = -1 };
    build_params(m, g);
    return m;
}

/* ---- GGUF export (ft-export, export_gguf.h): llama.cpp's "llama" (also
   for mistral, as convert_hf_to_gguf's LlamaModel), "qwen2", "qwen3" ---- */
/* (included here, not above, to keep this block apart from the model's code) */
#include "gguf.h"

static const char *llama_gguf_arch(const ft_model *m)
{
    const cfg *c = &((const llama *)m->impl)->c;
    const char *type = m->family->model_type, *path = m->cfg->path;
    int qwen = !strncmp(type, "qwen", 4);
    for (int l = 0; l < c->L; l++)
        if (c->window[l] > 0 && c->window[l] < c->max_pos)
            ft_die("%s: sliding_window %d (layer %d): llama.cpp's %s attends to every position",
                   path, c->window[l], l, qwen ? type : "llama");
    if (c->mlp_bias) ft_die("%s: mlp_bias: llama.cpp's llama has no feed-forward biases", path);
    if (!strcmp(type, "qwen3") && c->o_bias) ft_die("%s: attention_bias: llama.cpp's qwen3 has no attention biases", path);
    if (qwen && c->rope_type == ROPE_LLAMA3)
        ft_die("%s: rope_scaling llama3: llama.cpp applies its rope_freqs to the llama architecture only", path);
    return qwen ? type : "llama";
}

static void llama_gguf_meta(const ft_model *m, struct ft_gguf *f, const char *arch)
{
    const llama *g = m->impl;
    const cfg *c = &g->c;
    ft_gguf_arch_u32(f, arch, "context_length", (uint32_t)c->max_pos);
    ft_gguf_arch_u32(f, arch, "embedding_length", (uint32_t)c->C);
    ft_gguf_arch_u32(f, arch, "block_count", (uint32_t)c->L);
    ft_gguf_arch_u32(f, arch, "feed_forward_length", (uint32_t)c->F);
    ft_gguf_arch_u32(f, arch, "attention.head_count", (uint32_t)c->H);
    ft_gguf_arch_u32(f, arch, "attention.head_count_kv", (uint32_t)c->Hkv);
    ft_gguf_arch_u32(f, arch, "attention.key_length", (uint32_t)c->D);
    ft_gguf_arch_u32(f, arch, "attention.value_length", (uint32_t)c->D);
    ft_gguf_arch_u32(f, arch, "rope.dimension_count", (uint32_t)c->D);
    ft_gguf_arch_u32(f, arch, "vocab_size", (uint32_t)c->V);
    ft_gguf_arch_f32(f, arch, "rope.freq_base", c->theta);
    ft_gguf_arch_f32(f, arch, "attention.layer_norm_rms_epsilon", c->eps);
    if (c->rope_type == ROPE_LINEAR) {
        ft_gguf_arch_str(f, arch, "rope.scaling.type", "linear");
        ft_gguf_arch_f32(f, arch, "rope.scaling.factor", c->factor);
    }
    if (c->rope_type == ROPE_LLAMA3) {
        /* llama.cpp divides each frequency by rope_freqs[i]: the unscaled
           inverse frequency over the one make_inv_freq scaled */
        int h = c->D / 2;
        float *ff = ft_xmalloc(h * sizeof *ff);
        for (int i = 0; i < h; i++)
            ff[i] = base_inv_freq(c, i) / g->inv_freq[i];
        int64_t shape[1] = { h };
        ft_gguf_tensor(f, "rope_freqs.weight", 1, shape, ff, FT_GGUF_F32);
        free(ff);
    }
}

static int llama_gguf_name(const ft_model *m, const char *hf, ft_gguf_name *o)
{
    static const char *const map[][2] = {
        { "input_layernorm", "attn_norm" }, { "post_attention_layernorm", "ffn_norm" },
        { "self_attn.q_proj", "attn_q" }, { "self_attn.k_proj", "attn_k" }, { "self_attn.v_proj", "attn_v" },
        { "self_attn.o_proj", "attn_output" }, { "self_attn.q_norm", "attn_q_norm" },
        { "self_attn.k_norm", "attn_k_norm" }, { "mlp.gate_proj", "ffn_gate" }, { "mlp.up_proj", "ffn_up" },
        { "mlp.down_proj", "ffn_down" },
        { "model.embed_tokens", "token_embd" }, { "model.norm", "output_norm" }, { "lm_head", "output" },
    };
    const cfg *c = &((const llama *)m->impl)->c;
    memset(o, 0, sizeof *o);
    int i = ft_gguf_map_name(hf, "model.layers.", map, (int)(sizeof map / sizeof *map), 11, o->name, sizeof o->name);
    if (i < 0) return -1;
    /* convert_hf_to_gguf's LlamaModel.permute: llama.cpp's llama rotates
       adjacent pairs, HF the two halves of each head */
    if (strncmp(m->family->model_type, "qwen", 4)) o->permute_heads = i == 2 ? c->H : i == 3 ? c->Hkv : 0;
    return 0;
}

static const ft_gguf_family llama_gguf = { .arch = llama_gguf_arch, .meta = llama_gguf_meta, .name = llama_gguf_name };
