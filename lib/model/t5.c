/* t5: T5ForConditionalGeneration on the ops (HF modeling_t5, eager attention).
 *
 *   encoder (N = B·Ts rows):
 *     x0 = dropout(shared[ids])
 *     per block:  x1 = x + dropout(SelfAttn(RMS(x)))       bias: bidirectional buckets
 *                 x' = x1 + dropout(FF(RMS(x1)))
 *     enc = dropout(RMS_final(xL))
 *   decoder (Nt = B·Tt rows), y0 = dropout(shared[shift_right(labels)]):
 *     per block:  y1 = y + dropout(SelfAttn(RMS(y)))       causal, unidirectional buckets
 *                 y2 = y1 + dropout(CrossAttn(RMS(y1), enc))   encoder padding mask
 *                 y' = y2 + dropout(FF(RMS(y2)))
 *     h = dropout(RMS_final(yL)) · (tied ? d_model^-0.5 : 1)
 *   logits = h · lm_head^T (lm_head = shared when tied);  loss = CE(labels, −100)
 *   Attn: q,k,v,o without bias, scores q·k^T + position bias (+ mask), no 1/√d;
 *   the bias table lives in block 0 of each stack and serves every block.
 *   FF: wo(dropout(act(wi x)))  or gated  wo(dropout(act(wi_0 x) ∘ wi_1 x)).
 * Activations come from one arena sized for (B, Ts, Tt); the backward walks
 * the blocks in reverse, accumulating into params.grad. */
#include "t5.h"
#include "slab.h"
#include <limits.h>
#include "checkpoint.h"
#include "model_impl.h"
#include "ops.h"
#include "ops_t5.h"
#include "rng.h"
#include "util.h"
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int ln1, qkv, o, rel;          /* self-attention (rel: block 0 only, else -1) */
    int ln2, cq, ckv, co;          /* cross-attention (decoder) */
    int lnf, wi, wi1, wo;          /* feed-forward (wi1: gated only) */
} blk_ix;

typedef struct {
    float *x, *n1, *rstd1, *qkv, *probs, *ctx, *x1;
    float *n2, *rstd2, *cq, *ckv, *probs2, *ctx2, *x2;
    float *nf, *rstdf, *f0, *f1, *a0, *gd;
} blk_act;

typedef struct t5 {
    ft_t5_config c;
    int inner;                      /* H·d_kv */
    int shared, enc_ln, dec_ln, lm_head;
    blk_ix *E, *D;
    ft_slab arena;
    ft_slab_shape cap;                 /* what the arena holds: B, Ts, Tt, training or not */
    blk_act *EA, *DA;
    float *enc_last, *enc_norm, *enc_rstd, *enc_out;
    float *dec_last, *dec_norm, *dec_rstd, *hs, *logits;
    float *emask, *enc_bias, *dec_bias;
    float *g_res, *g_t, *g_n, *g_ctx, *g_qkv, *g_f0, *g_f1, *g_h, *g_ckv, *g_enc, *g_bias, *scratch;
    int32_t *dec_ids;
    /* last forward */
    int B, Ts, Tt, train, have_grad;
    uint64_t key;
} t5;

void ft_t5_config_read(const ft_config *cfg, ft_t5_config *tc)
{
    memset(tc, 0, sizeof *tc);
    tc->vocab_size = (int)ft_config_req_int(cfg, "vocab_size");
    tc->d_model = (int)ft_config_int(cfg, "d_model", 512);
    tc->d_kv = (int)ft_config_int(cfg, "d_kv", 64);
    tc->d_ff = (int)ft_config_int(cfg, "d_ff", 2048);
    tc->num_layers = (int)ft_config_int(cfg, "num_layers", 6);
    tc->num_decoder_layers = (int)ft_config_int(cfg, "num_decoder_layers", tc->num_layers);
    tc->num_heads = (int)ft_config_int(cfg, "num_heads", 8);
    tc->num_buckets = (int)ft_config_int(cfg, "relative_attention_num_buckets", 32);
    tc->max_distance = (int)ft_config_int(cfg, "relative_attention_max_distance", 128);
    tc->eps = (float)ft_config_num(cfg, "layer_norm_epsilon", 1e-6);
    tc->dropout = (float)ft_config_num(cfg, "dropout_rate", 0.1);
    tc->init_factor = (float)ft_config_num(cfg, "initializer_factor", 1.0);
    tc->pad_token_id = (int)ft_config_int(cfg, "pad_token_id", 0);
    tc->eos_token_id = (int)ft_config_int(cfg, "eos_token_id", 1);
    tc->decoder_start_token_id = (int)ft_config_int(cfg, "decoder_start_token_id", tc->pad_token_id);
    tc->tie = ft_config_bool(cfg, "tie_word_embeddings", 1);
    /* HF T5Config: "gated-gelu" means gelu_new; otherwise "[gated-]ACT" */
    const char *ff = ft_config_str(cfg, "feed_forward_proj", "relu");
    const char *act = ff;
    if (!strncmp(ff, "gated-", 6)) { tc->gated = 1; act = ff + 6; }
    if (!strcmp(ff, "gated-gelu")) act = "gelu_new";
    tc->act = ft_act_parse(act);
    if (tc->act < 0 || strchr(act, '-'))
        ft_die("%s: feed_forward_proj \"%s\" not supported (relu, gelu, gated-gelu, gated-relu, gelu_new)",
               cfg->path, ff);
    if (tc->d_model <= 0 || tc->d_kv <= 0 || tc->d_ff <= 0 || tc->num_heads <= 0 || tc->vocab_size <= 0 ||
        tc->num_layers < 1 || tc->num_decoder_layers < 1 || tc->num_buckets < 2 || tc->max_distance < 2)
        ft_die("%s: bad T5 dimensions", cfg->path);
    double C = tc->d_model, I = (double)tc->num_heads * tc->d_kv, F = tc->d_ff * (tc->gated ? 2.0 : 1.0);
    if (I > INT_MAX) ft_die("%s: num_heads %d × d_kv %d is out of range", cfg->path, tc->num_heads, tc->d_kv);
    char dims[160];
    snprintf(dims, sizeof dims, "d_model %d, d_kv %d, num_heads %d, d_ff %d, %d+%d layers, vocab_size %d",
             tc->d_model, tc->d_kv, tc->num_heads, tc->d_ff, tc->num_layers, tc->num_decoder_layers,
             tc->vocab_size);
    ft_config_check_size(cfg, (double)tc->vocab_size * C * (tc->tie ? 1 : 2) +
                              tc->num_layers * (4 * C * I + 2 * C * F) +
                              tc->num_decoder_layers * (8 * C * I + 2 * C * F), dims);
}


/* ---- parameters ---- */

static void build_stack(ft_params *ps, t5 *t, const char *stack, int nl, blk_ix *X, int dec)
{
    ft_t5_config *c = &t->c;
    int C = c->d_model, I = t->inner, F = c->d_ff;
    char nm[256];
    static const char *qkv[3] = { "q", "k", "v" };
    for (int l = 0; l < nl; l++) {
        blk_ix *b = &X[l];
        b->wi1 = b->rel = b->ln2 = b->cq = b->ckv = b->co = -1;
#define N(...) (snprintf(nm, sizeof nm, __VA_ARGS__), nm)
        ft_params_pack(ps, 1);
        for (int j = 0; j < 3; j++) {
            int i = ft_params_add_hf(ps, N("%s.block.%d.layer.0.SelfAttention.%s.weight", stack, l, qkv[j]), I, C);
            if (j == 0) b->qkv = i;
        }
        ft_params_pack(ps, 0);
        b->o = ft_params_add_hf(ps, N("%s.block.%d.layer.0.SelfAttention.o.weight", stack, l), C, I);
        if (l == 0)
            b->rel = ft_params_add_hf(ps, N("%s.block.0.layer.0.SelfAttention.relative_attention_bias.weight", stack),
                         c->num_buckets, c->num_heads);
        b->ln1 = ft_params_add_hf(ps, N("%s.block.%d.layer.0.layer_norm.weight", stack, l), C, 0);
        int fl = 1;
        if (dec) {
            b->cq = ft_params_add_hf(ps, N("%s.block.%d.layer.1.EncDecAttention.q.weight", stack, l), I, C);
            ft_params_pack(ps, 1);
            b->ckv = ft_params_add_hf(ps, N("%s.block.%d.layer.1.EncDecAttention.k.weight", stack, l), I, C);
            ft_params_add_hf(ps, N("%s.block.%d.layer.1.EncDecAttention.v.weight", stack, l), I, C);
            ft_params_pack(ps, 0);
            b->co = ft_params_add_hf(ps, N("%s.block.%d.layer.1.EncDecAttention.o.weight", stack, l), C, I);
            b->ln2 = ft_params_add_hf(ps, N("%s.block.%d.layer.1.layer_norm.weight", stack, l), C, 0);
            fl = 2;
        }
        if (c->gated) {
            b->wi = ft_params_add_hf(ps, N("%s.block.%d.layer.%d.DenseReluDense.wi_0.weight", stack, l, fl), F, C);
            b->wi1 = ft_params_add_hf(ps, N("%s.block.%d.layer.%d.DenseReluDense.wi_1.weight", stack, l, fl), F, C);
        } else {
            b->wi = ft_params_add_hf(ps, N("%s.block.%d.layer.%d.DenseReluDense.wi.weight", stack, l, fl), F, C);
        }
        b->wo = ft_params_add_hf(ps, N("%s.block.%d.layer.%d.DenseReluDense.wo.weight", stack, l, fl), C, F);
        b->lnf = ft_params_add_hf(ps, N("%s.block.%d.layer.%d.layer_norm.weight", stack, l, fl), C, 0);
#undef N
    }
}

static void build_params(ft_model *m, t5 *t)
{
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    ps->norm_marker = "layer_norm";           /* T5LayerNorm modules */
    t->shared = ft_params_add_hf(ps, "shared.weight", c->vocab_size, c->d_model);
    t->E = ft_xcalloc(c->num_layers, sizeof *t->E);
    t->D = ft_xcalloc(c->num_decoder_layers, sizeof *t->D);
    build_stack(ps, t, "encoder", c->num_layers, t->E, 0);
    t->enc_ln = ft_params_add_hf(ps, "encoder.final_layer_norm.weight", c->d_model, 0);
    build_stack(ps, t, "decoder", c->num_decoder_layers, t->D, 1);
    t->dec_ln = ft_params_add_hf(ps, "decoder.final_layer_norm.weight", c->d_model, 0);
    t->lm_head = c->tie ? t->shared : ft_params_add_hf(ps, "lm_head.weight", c->vocab_size, c->d_model);
    ft_params_alloc(ps);
    size_t IC = (size_t)t->inner * c->d_model;
    for (int l = 0; l < c->num_layers; l++)
        if (ps->p[t->E[l].qkv + 2].offset != ps->p[t->E[l].qkv].offset + 2 * IC)
            ft_die("internal: q/k/v parameters not packed");
    for (int l = 0; l < c->num_decoder_layers; l++)
        if (ps->p[t->D[l].qkv + 2].offset != ps->p[t->D[l].qkv].offset + 2 * IC ||
            ps->p[t->D[l].ckv + 1].offset != ps->p[t->D[l].ckv].offset + IC)
            ft_die("internal: q/k/v parameters not packed");
}


/* HF T5PreTrainedModel._init_weights (factor f = initializer_factor):
   shared, lm_head ~ N(0, f); layer norms f; wi, wi_0, wi_1 ~ N(0, f·d_model^-½),
   wo ~ N(0, f·d_ff^-½); q ~ N(0, f·(d_model·d_kv)^-½), k, v ~ N(0, f·d_model^-½),
   o ~ N(0, f·(H·d_kv)^-½), relative_attention_bias ~ N(0, f·d_model^-½). */
void ft_t5_init_param(ft_model *m, int i, uint64_t seed)
{
    t5 *t = m->impl;
    ft_t5_config *c = &t->c;
    ft_param *p = &m->params.p[i];
    float *x = m->params.data + p->offset;
    float f = c->init_factor, std;
    if (strstr(p->name, "layer_norm")) {
        for (size_t j = 0; j < p->numel; j++) x[j] = f;
        return;
    }
    if (!strcmp(p->name, "shared.weight") || !strcmp(p->name, "lm_head.weight")) std = f;
    else if (ft_ends_with(p->name, ".wo.weight")) std = f / sqrtf((float)c->d_ff);
    else if (strstr(p->name, "DenseReluDense.wi")) std = f / sqrtf((float)c->d_model);
    else if (ft_ends_with(p->name, ".q.weight")) std = f / sqrtf((float)c->d_model * c->d_kv);
    else if (ft_ends_with(p->name, ".o.weight")) std = f / sqrtf((float)c->num_heads * c->d_kv);
    else std = f / sqrtf((float)c->d_model);     /* k, v, relative_attention_bias */
    ft_rng r;
    ft_rng_seed(&r, ft_key_mix(seed, ft_hash64(p->name, strlen(p->name), 0)));
    ft_rng_normal_fill(&r, x, p->numel, 0.0f, std);
}

/* After a checkpoint load (ft_model_vt.after_load): checkpoints that store
   the tied embedding under encoder.embed_tokens / decoder.embed_tokens /
   lm_head instead of shared.weight get it from there. */
static void t5_after_load(ft_model *m, const struct ft_checkpoint *ck, int *loaded)
{
    t5 *t = m->impl;
    ft_params *ps = &m->params;
    static const char *alias[] = { "encoder.embed_tokens.weight", "decoder.embed_tokens.weight",
                                   "lm_head.weight" };
    if (loaded[t->shared]) return;
    for (int a = 0; a < (t->c.tie ? 3 : 2); a++) {
        const ft_st_file *f;
        const ft_st_tensor *st = ft_checkpoint_find(ck, alias[a], &f);
        if (!st || st->ndim != 2 || st->shape[0] != ps->p[t->shared].shape[0] ||
            st->shape[1] != ps->p[t->shared].shape[1]) continue;
        ft_st_read_f32(f, st, ft_param_data(ps, t->shared));
        ft_gemm_weights_changed(ft_param_data(ps, t->shared), ps->p[t->shared].numel);
        loaded[t->shared] = 1;
        ft_warn("shared.weight taken from %s (tied embedding)", alias[a]);
        return;
    }
}

/* ---- arena ---- */

/* Lists one block's activations: N rows of its stack (B sequences of T),
   for a decoder block (Ts: encoder length, else 0) the cross-attention's too.
   x_only lists just the block's input (inference: see share_blocks). */
static void list_block(t5 *t, ft_slab *ar, blk_act *x, int B, int T, int Ts, int x_only)
{
    ft_t5_config *c = &t->c;
    size_t N = (size_t)B * T, C = c->d_model, I = t->inner, F = c->d_ff, H = c->num_heads;
    ft_slab_add(ar, &x->x, N * C);
    if (x_only) return;
    float **rows[] = { &x->n1, &x->x1, &x->nf }, **stats[] = { &x->rstd1, &x->rstdf };
    for (int i = 0; i < 3; i++) ft_slab_add(ar, rows[i], N * C);
    for (int i = 0; i < 2; i++) ft_slab_add(ar, stats[i], N);
    ft_slab_add(ar, &x->qkv, N * 3 * I);
    ft_slab_add(ar, &x->probs, B * H * T * T);
    ft_slab_add(ar, &x->ctx, N * I);
    float **ff[] = { &x->f0, &x->gd, &x->f1, &x->a0 };
    for (int i = 0; i < (c->gated ? 4 : 2); i++) ft_slab_add(ar, ff[i], N * F);
    if (!Ts) return;
    ft_slab_add(ar, &x->n2, N * C);
    ft_slab_add(ar, &x->x2, N * C);
    ft_slab_add(ar, &x->rstd2, N);
    ft_slab_add(ar, &x->cq, N * I);
    ft_slab_add(ar, &x->ckv, (size_t)B * Ts * 2 * I);
    ft_slab_add(ar, &x->probs2, B * H * T * Ts);
    ft_slab_add(ar, &x->ctx2, N * I);
}

/* Lists the arena's arrays.  Training keeps every block's activations and
   needs the gradient buffers; inference lists block 0's and the input of
   block 1 in each stack, which share_blocks hands to every block. */
static void arena_list(t5 *t, ft_slab *ar, int B, int Ts, int Tt, int train)
{
    ft_t5_config *c = &t->c;
    size_t Ns = (size_t)B * Ts, Nt = (size_t)B * Tt, C = c->d_model, I = t->inner, F = c->d_ff;
    size_t H = c->num_heads, V = c->vocab_size, Nm = Ns > Nt ? Ns : Nt, Tm = Ts > Tt ? Ts : Tt;
    for (int l = 0; l < c->num_layers && (train || l < 2); l++)
        list_block(t, ar, &t->EA[l], B, Ts, 0, !train && l == 1);
    for (int l = 0; l < c->num_decoder_layers && (train || l < 2); l++)
        list_block(t, ar, &t->DA[l], B, Tt, Ts, !train && l == 1);
    float **rows[] = { &t->enc_last, &t->enc_norm, &t->enc_out, &t->dec_last, &t->dec_norm, &t->hs };
    for (int i = 0; i < 6; i++) ft_slab_add(ar, rows[i], (i < 3 ? Ns : Nt) * C);
    ft_slab_add(ar, &t->enc_rstd, Ns);
    ft_slab_add(ar, &t->dec_rstd, Nt);
    ft_slab_add(ar, &t->logits, Nt * V);
    ft_slab_add(ar, &t->emask, Ns);
    ft_slab_add(ar, &t->enc_bias, H * Ts * Ts);
    ft_slab_add(ar, &t->dec_bias, H * Tt * Tt);
    ft_slab_add(ar, &t->g_t, Nm * (C > I ? C : I));     /* also the forward's scratch */
    ft_slab_add(ar, &t->scratch, ft_attn_scratch((int)Tm, (int)Tm));
    if (!train) return;
    ft_slab_add(ar, &t->g_res, Nm * C);
    ft_slab_add(ar, &t->g_n, Nm * C);
    ft_slab_add(ar, &t->g_ctx, Nm * I);
    ft_slab_add(ar, &t->g_qkv, Nm * 3 * I);
    float **g_ff[] = { &t->g_f0, &t->g_f1, &t->g_h };
    for (int i = 0; i < 3; i++) ft_slab_add(ar, g_ff[i], Nm * F);
    ft_slab_add(ar, &t->g_ckv, Ns * 2 * I);
    ft_slab_add(ar, &t->g_enc, Ns * C);
    ft_slab_add(ar, &t->g_bias, H * Tm * Tm);
}

/* Inference: every block of a stack uses block 0's slots but for its input,
   which alternates between block 0's and block 1's. */
static void share_blocks(blk_act *A, int nl)
{
    float *x[2] = { A[0].x, nl > 1 ? A[1].x : NULL };
    for (int l = 1; l < nl; l++) {
        A[l] = A[0];
        A[l].x = x[l & 1];
    }
}

static void ensure(ft_model *m, int B, int Ts, int Tt, int train)
{
    t5 *t = m->impl;
    int want[3] = {B, Ts, Tt};
    if (!ft_slab_shape_grow(&t->cap, want, 3, train)) return;
    B = want[0], Ts = want[1], Tt = want[2];
    arena_list(t, &t->arena, B, Ts, Tt, train);
    char what[128];
    snprintf(what, sizeof what, "T5 activations for batch %d, source %d, target %d", B, Ts, Tt);
    ft_slab_commit(&t->arena, what);
    if (!train) {
        share_blocks(t->EA, t->c.num_layers);
        share_blocks(t->DA, t->c.num_decoder_layers);
    }
    free(t->dec_ids);
    t->dec_ids = ft_xcalloc((size_t)B * Tt, sizeof *t->dec_ids);
}

static void t5_reserve(ft_model *m, int B, int T) { ensure(m, B, T, T, 1); }

/* ---- forward ---- */

/* Dropout sites (ft_site): block 0 is the embeddings and the final norm,
   block l + 1 layer l; the decoder's blocks are numbered from DEC. */
enum { DEC = 4096 };

#define W(i) ft_param_data(ps, (i))

/* T5's attention: no 1/sqrt(d) scaling; q rows of stride ldq, keys and
   values rows of stride ldkv (slices of one projection), out rows of I. */
static ft_attn t5_attn(const t5 *t, int B, int Tq, int Tk, size_t ldq, size_t ldkv, const float *bias,
                       const float *mask, int causal, float p, uint64_t key)
{
    return (ft_attn){ .B = B, .Tq = Tq, .Tk = Tk, .H = t->c.num_heads, .D = t->c.d_kv, .ldq = ldq,
                      .ldk = ldkv, .ldv = ldkv, .ldo = (size_t)t->inner, .mask = mask, .bias = bias,
                      .causal = causal, .scale = 1.0f, .p = p, .key = key };
}

/* y = x + dropout(FF(RMS(x))); tmp [N, C] scratch. */
static void ff_fwd(t5 *t, ft_params *ps, const blk_ix *b, blk_act *a, float *y, const float *x,
                   int N, float p, uint64_t k1, uint64_t k2, float *tmp)
{
    ft_t5_config *c = &t->c;
    int C = c->d_model, F = c->d_ff;
    size_t NF = (size_t)N * F;
    ft_rmsnorm_fwd(a->nf, a->rstdf, x, W(b->lnf), N, C, c->eps);
    ft_linear_fwd(a->f0, a->nf, W(b->wi), NULL, N, C, F);
    if (c->gated) {
        ft_linear_fwd(a->f1, a->nf, W(b->wi1), NULL, N, C, F);
        ft_act_fwd(c->act, a->a0, a->f0, NF);
        ft_mul_fwd(a->gd, a->a0, a->f1, NF);
    } else {
        ft_act_fwd(c->act, a->gd, a->f0, NF);
    }
    ft_dropout_fwd(a->gd, a->gd, NF, p, k1);
    ft_linear_fwd(tmp, a->gd, W(b->wo), NULL, N, F, C);
    ft_dropout_add_fwd(y, tmp, x, (size_t)N * C, p, k2);
}

static void ff_bwd(t5 *t, ft_params *ps, const blk_ix *b, blk_act *a, float *g, const float *x,
                   int N, float p, uint64_t k1, uint64_t k2);


static void ff_bwd(t5 *t, ft_params *ps, const blk_ix *b, blk_act *a, float *g, const float *x,
                   int N, float p, uint64_t k1, uint64_t k2)
{
    ft_t5_config *c = &t->c;
    int C = c->d_model, F = c->d_ff;
    size_t NF = (size_t)N * F, NC = (size_t)N * C;
    ZERO(t->g_t, NC);
    ft_dropout_bwd(t->g_t, g, NC, p, k2);
    ZERO(t->g_h, NF);
    ft_linear_bwd(t->g_h, G(b->wo), NULL, t->g_t, a->gd, W(b->wo), N, F, C);
    ZERO(t->g_f1, NF);
    ft_dropout_bwd(t->g_f1, t->g_h, NF, p, k1);          /* g_f1 = ∂/∂(act out or product) */
    ZERO(t->g_f0, NF);
    ZERO(t->g_n, NC);
    if (c->gated) {
        ZERO(t->g_h, NF);
        ft_mul_bwd(t->g_h, NULL, t->g_f1, a->a0, a->f1, NF);   /* ∂/∂a0 */
        float *gf1 = t->g_f1;                                  /* reuse: ∂/∂f1 = g ∘ a0 in place */
        for (size_t i = 0; i < NF; i++) gf1[i] *= a->a0[i];
        ft_linear_bwd(t->g_n, G(b->wi1), NULL, gf1, a->nf, W(b->wi1), N, C, F);
        ft_act_bwd(c->act, t->g_f0, t->g_h, a->f0, NF);
    } else {
        ft_act_bwd(c->act, t->g_f0, t->g_f1, a->f0, NF);
    }
    ft_linear_bwd(t->g_n, G(b->wi), NULL, t->g_f0, a->nf, W(b->wi), N, C, F);
    ft_rmsnorm_bwd(g, G(b->lnf), t->g_n, x, a->rstdf, W(b->lnf), N, C);
}

static void encode(ft_model *m, t5 *t, const int32_t *ids, const int32_t *mask, int B, int Ts,
                   int train)
{
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    int C = c->d_model, I = t->inner, H = c->num_heads;
    int Ns = B * Ts;
    float p = train ? c->dropout : 0;
    for (int i = 0; i < Ns; i++) t->emask[i] = mask && !mask[i] ? -FLT_MAX : 0.0f;
    ft_t5_pos_bias_fwd(t->enc_bias, W(t->E[0].rel), H, Ts, Ts, 0, 1, c->num_buckets, c->max_distance);
    ft_embedding_fwd(t->EA[0].x, ids, W(t->shared), Ns, C, 0);
    ft_dropout_fwd(t->EA[0].x, t->EA[0].x, (size_t)Ns * C, p, ft_site(t->key, 0, 0));
    for (int l = 0; l < c->num_layers; l++) {
        const blk_ix *b = &t->E[l];
        blk_act *a = &t->EA[l];
        float *y = l + 1 < c->num_layers ? t->EA[l + 1].x : t->enc_last;
        ft_rmsnorm_fwd(a->n1, a->rstd1, a->x, W(b->ln1), Ns, C, c->eps);
        ft_linear_fwd(a->qkv, a->n1, W(b->qkv), NULL, Ns, C, 3 * I);
        ft_attn sa = t5_attn(t, B, Ts, Ts, 3 * (size_t)I, 3 * (size_t)I, t->enc_bias, t->emask, 0, p,
                             ft_site(t->key, l + 1, 1));
        ft_attn_fwd(&sa, a->ctx, a->probs, a->qkv, a->qkv + I, a->qkv + 2 * I, t->scratch);
        ft_linear_fwd(t->g_t, a->ctx, W(b->o), NULL, Ns, I, C);
        ft_dropout_add_fwd(a->x1, t->g_t, a->x, (size_t)Ns * C, p, ft_site(t->key, l + 1, 2));
        ff_fwd(t, ps, b, a, y, a->x1, Ns, p, ft_site(t->key, l + 1, 3), ft_site(t->key, l + 1, 4), t->g_t);
    }
    ft_rmsnorm_fwd(t->enc_norm, t->enc_rstd, t->enc_last, W(t->enc_ln), Ns, C, c->eps);
    ft_dropout_fwd(t->enc_out, t->enc_norm, (size_t)Ns * C, p, ft_site(t->key, 0, 5));
}

/* One decoder block, the same for training, evaluation and cached decoding:
   y = block(a->x) over B rows of Tt new tokens; a receives the activations
   the backward needs, tmp is [B·Tt, max(C, I)] scratch.  bias [H,Tt,Tk] is
   the self-attention's position bias; ck, cv (row stride ldc) the encoder
   keys and values of Ts rows per sequence, emask [B,Ts] their padding.  With
   a cache (kv), the new keys and values are appended to it and attended over
   with the cached ones. */
static void dec_block_fwd(ft_model *m, int l, blk_act *a, float *y, float *tmp, int B, int Tt,
                          const ft_kv_slot *kv, const float *bias, const float *ck, const float *cv, int ldc,
                          int Ts, const float *emask, float p, uint64_t key)
{
    t5 *t = m->impl;
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    const blk_ix *b = &t->D[l];
    int C = c->d_model, I = t->inner, N = B * Tt;
    ft_rmsnorm_fwd(a->n1, a->rstd1, a->x, W(b->ln1), N, C, c->eps);
    ft_linear_fwd(a->qkv, a->n1, W(b->qkv), NULL, N, C, 3 * I);
    ft_attn sa = t5_attn(t, B, Tt, Tt, 3 * (size_t)I, 3 * (size_t)I, bias, NULL, 1, p, ft_site(key, DEC + l + 1, 1));
    const float *K = a->qkv + I, *V = a->qkv + 2 * I;
    if (kv) ft_kv_attend(kv, &sa, &K, &V, K, V, 3 * (size_t)I, I);
    ft_attn_fwd(&sa, a->ctx, a->probs, a->qkv, K, V, t->scratch);
    ft_linear_fwd(tmp, a->ctx, W(b->o), NULL, N, I, C);
    ft_dropout_add_fwd(a->x1, tmp, a->x, (size_t)N * C, p, ft_site(key, DEC + l + 1, 2));
    ft_rmsnorm_fwd(a->n2, a->rstd2, a->x1, W(b->ln2), N, C, c->eps);
    ft_linear_fwd(a->cq, a->n2, W(b->cq), NULL, N, C, I);
    ft_attn ca = t5_attn(t, B, Tt, Ts, (size_t)I, (size_t)ldc, NULL, emask, 0, p, ft_site(key, DEC + l + 1, 5));
    ft_attn_fwd(&ca, a->ctx2, a->probs2, a->cq, ck, cv, t->scratch);
    ft_linear_fwd(tmp, a->ctx2, W(b->co), NULL, N, I, C);
    ft_dropout_add_fwd(a->x2, tmp, a->x1, (size_t)N * C, p, ft_site(key, DEC + l + 1, 6));
    ff_fwd(t, ps, b, a, y, a->x2, N, p, ft_site(key, DEC + l + 1, 3), ft_site(key, DEC + l + 1, 4), tmp);
}

static float t5_forward(ft_model *m, const ft_batch *bt, int train, int grad, float *logits_out)
{
    t5 *t = m->impl;
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    int B = bt->B, Ts = bt->T, Tt = bt->Tl;
    int C = c->d_model, I = t->inner, H = c->num_heads, V = c->vocab_size;
    if (B <= 0 || Ts <= 0) ft_die("empty batch");
    if (!bt->labels || Tt <= 0) {
        if (grad) ft_die("training a seq2seq model needs target token labels (ft-tokenize --target-column)");
        return NAN;
    }
    ensure(m, B, Ts, Tt, grad);
    int Ns = B * Ts, Nt = B * Tt;
    ft_check_ids(bt->input_ids, Ns, V, "token");
    for (int i = 0; i < Nt; i++)
        if (bt->labels[i] != -100) ft_check_ids(bt->labels + i, 1, V, "label");
    /* decoder input = labels shifted right, decoder_start_token_id first, −100 → pad */
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Tt; j++) {
            int32_t v = j == 0 ? c->decoder_start_token_id : bt->labels[b * Tt + j - 1];
            t->dec_ids[b * Tt + j] = v == -100 ? c->pad_token_id : v;
        }
    if (train) m->step++;
    t->key = ft_key_mix(m->seed, m->step);
    t->B = B; t->Ts = Ts; t->Tt = Tt; t->train = train; t->have_grad = grad;
    float p = train ? c->dropout : 0;

    encode(m, t, bt->input_ids, bt->attention_mask, B, Ts, train);

    ft_t5_pos_bias_fwd(t->dec_bias, W(t->D[0].rel), H, Tt, Tt, 0, 0, c->num_buckets, c->max_distance);
    ft_embedding_fwd(t->DA[0].x, t->dec_ids, W(t->shared), Nt, C, 0);
    ft_dropout_fwd(t->DA[0].x, t->DA[0].x, (size_t)Nt * C, p, ft_site(t->key, DEC + 0, 0));
    for (int l = 0; l < c->num_decoder_layers; l++) {
        blk_act *a = &t->DA[l];
        float *y = l + 1 < c->num_decoder_layers ? t->DA[l + 1].x : t->dec_last;
        ft_linear_fwd(a->ckv, t->enc_out, W(t->D[l].ckv), NULL, Ns, C, 2 * I);
        dec_block_fwd(m, l, a, y, t->g_t, B, Tt, NULL, t->dec_bias, a->ckv, a->ckv + I, 2 * I, Ts, t->emask,
                      p, t->key);
    }
    ft_rmsnorm_fwd(t->dec_norm, t->dec_rstd, t->dec_last, W(t->dec_ln), Nt, C, c->eps);
    ft_dropout_fwd(t->hs, t->dec_norm, (size_t)Nt * C, p, ft_site(t->key, DEC + 0, 5));
    if (c->tie) {
        float s = 1.0f / sqrtf((float)C);
        for (size_t i = 0; i < (size_t)Nt * C; i++) t->hs[i] *= s;
    }
    ft_linear_fwd(t->logits, t->hs, W(t->lm_head), NULL, Nt, C, V);
    if (logits_out) memcpy(logits_out, t->logits, (size_t)Nt * V * sizeof(float));
    m->loss_items = ft_count_labelled(bt->labels, Nt, -100);
    return ft_cross_entropy_smoothed(grad ? t->logits : NULL, t->logits, bt->labels, Nt, V, -100, 1.0f,
                                     bt->label_smoothing);
}

/* ---- backward ---- */

/* Backward of a block's self-attention sublayer (stack 0 = encoder, DEC =
   decoder; l its layer): g holds ∂/∂(the sublayer's output residual) and
   gains the gradient through attention; the position-bias gradient gathers
   in t->g_bias. */
static void self_attn_bwd(t5 *t, ft_params *ps, const blk_ix *b, blk_act *a, float *g,
                          int B, int T, float p, int stack, int l)
{
    ft_t5_config *c = &t->c;
    int C = c->d_model, I = t->inner, N = B * T;
    size_t NC = (size_t)N * C;
    ZERO(t->g_t, NC);
    ft_dropout_bwd(t->g_t, g, NC, p, ft_site(t->key, stack + l + 1, 2));
    ZERO(t->g_ctx, (size_t)N * I);
    ft_linear_bwd(t->g_ctx, G(b->o), NULL, t->g_t, a->ctx, W(b->o), N, I, C);
    ZERO(t->g_qkv, (size_t)N * 3 * I);
    ft_attn at = t5_attn(t, B, T, T, 3 * (size_t)I, 3 * (size_t)I, NULL, NULL, 0, p, ft_site(t->key, stack + l + 1, 1));
    ft_attn_bwd(&at, t->g_qkv, t->g_qkv + I, t->g_qkv + 2 * I, t->g_bias, t->g_ctx, a->qkv, a->qkv + I,
                a->qkv + 2 * I, a->probs, t->scratch);
    ZERO(t->g_n, NC);
    ft_linear_bwd(t->g_n, G(b->qkv), NULL, t->g_qkv, a->n1, W(b->qkv), N, C, 3 * I);
    ft_rmsnorm_bwd(g, G(b->ln1), t->g_n, a->x, a->rstd1, W(b->ln1), N, C);
}

static void t5_backward(ft_model *m, const ft_batch *bt)
{
    t5 *t = m->impl;
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    if (!t->have_grad || bt->B != t->B || bt->T != t->Ts || bt->Tl != t->Tt)
        ft_die("internal: backward without its forward");
    int B = t->B, Ts = t->Ts, Tt = t->Tt, Ns = B * Ts, Nt = B * Tt;
    int C = c->d_model, I = t->inner, H = c->num_heads, V = c->vocab_size;
    size_t NtC = (size_t)Nt * C, NsC = (size_t)Ns * C;
    float p = t->train ? c->dropout : 0;
    float *g = t->g_res;

    /* LM head (t->logits holds ∂loss/∂logits now) */
    ZERO(g, NtC);
    ft_linear_bwd(g, G(t->lm_head), NULL, t->logits, t->hs, W(t->lm_head), Nt, C, V);
    if (c->tie) {
        float s = 1.0f / sqrtf((float)C);
        for (size_t i = 0; i < NtC; i++) g[i] *= s;
    }
    ZERO(t->g_t, NtC);
    ft_dropout_bwd(t->g_t, g, NtC, p, ft_site(t->key, DEC + 0, 5));
    ZERO(g, NtC);
    ft_rmsnorm_bwd(g, G(t->dec_ln), t->g_t, t->dec_last, t->dec_rstd, W(t->dec_ln), Nt, C);

    ZERO(t->g_enc, NsC);
    ZERO(t->g_bias, (size_t)H * Tt * Tt);
    for (int l = c->num_decoder_layers - 1; l >= 0; l--) {
        const blk_ix *b = &t->D[l];
        blk_act *a = &t->DA[l];
        ff_bwd(t, ps, b, a, g, a->x2, Nt, p, ft_site(t->key, DEC + l + 1, 3), ft_site(t->key, DEC + l + 1, 4));
        /* cross-attention: g is ∂/∂x2 */
        ZERO(t->g_t, NtC);
        ft_dropout_bwd(t->g_t, g, NtC, p, ft_site(t->key, DEC + l + 1, 6));
        ZERO(t->g_ctx, (size_t)Nt * I);
        ft_linear_bwd(t->g_ctx, G(b->co), NULL, t->g_t, a->ctx2, W(b->co), Nt, I, C);
        ZERO(t->g_qkv, (size_t)Nt * I);
        ZERO(t->g_ckv, (size_t)Ns * 2 * I);
        ft_attn ca = t5_attn(t, B, Tt, Ts, (size_t)I, 2 * (size_t)I, NULL, NULL, 0, p, ft_site(t->key, DEC + l + 1, 5));
        ft_attn_bwd(&ca, t->g_qkv, t->g_ckv, t->g_ckv + I, NULL, t->g_ctx, a->cq, a->ckv, a->ckv + I, a->probs2,
                    t->scratch);
        ft_linear_bwd(t->g_enc, G(b->ckv), NULL, t->g_ckv, t->enc_out, W(b->ckv), Ns, C, 2 * I);
        ZERO(t->g_n, NtC);
        ft_linear_bwd(t->g_n, G(b->cq), NULL, t->g_qkv, a->n2, W(b->cq), Nt, C, I);
        ft_rmsnorm_bwd(g, G(b->ln2), t->g_n, a->x1, a->rstd2, W(b->ln2), Nt, C);
        /* self-attention: g is ∂/∂x1 */
        self_attn_bwd(t, ps, b, a, g, B, Tt, p, DEC, l);
        /* the block's first parameter; block 0's holds the stack's position
           bias, final after the loop; shared (index 0) gets both embeddings */
        if (l) ft_grads_ready(m, b->qkv);
    }
    ft_t5_pos_bias_bwd(G(t->D[0].rel), t->g_bias, H, Tt, Tt, 0, 0, c->num_buckets, c->max_distance);
    ft_grads_ready(m, t->D[0].qkv);
    ZERO(t->g_t, NtC);
    ft_dropout_bwd(t->g_t, g, NtC, p, ft_site(t->key, DEC + 0, 0));
    if (G(t->shared)) ft_embedding_bwd(G(t->shared), t->dec_ids, t->g_t, Nt, C);

    /* encoder: g = ∂/∂enc_last */
    ZERO(t->g_t, NsC);
    ft_dropout_bwd(t->g_t, t->g_enc, NsC, p, ft_site(t->key, 0, 5));
    ZERO(g, NsC);
    ft_rmsnorm_bwd(g, G(t->enc_ln), t->g_t, t->enc_last, t->enc_rstd, W(t->enc_ln), Ns, C);
    ft_grads_ready(m, t->enc_ln);       /* every decoder layer's cross-attention is in it */
    ZERO(t->g_bias, (size_t)H * Ts * Ts);
    for (int l = c->num_layers - 1; l >= 0; l--) {
        const blk_ix *b = &t->E[l];
        blk_act *a = &t->EA[l];
        ff_bwd(t, ps, b, a, g, a->x1, Ns, p, ft_site(t->key, l + 1, 3), ft_site(t->key, l + 1, 4));
        self_attn_bwd(t, ps, b, a, g, B, Ts, p, 0, l);
        if (l) ft_grads_ready(m, b->qkv);
    }
    ft_t5_pos_bias_bwd(G(t->E[0].rel), t->g_bias, H, Ts, Ts, 0, 1, c->num_buckets, c->max_distance);
    ft_grads_ready(m, t->E[0].qkv);
    ZERO(t->g_t, NsC);
    ft_dropout_bwd(t->g_t, g, NsC, p, ft_site(t->key, 0, 0));
    if (G(t->shared)) ft_embedding_bwd(G(t->shared), bt->input_ids, t->g_t, Ns, C);
    t->have_grad = 0;
}

static double t5_flops(const ft_model *m, int B, int T)
{
    const t5 *t = m->impl;
    double C = t->c.d_model, I = t->inner, F = t->c.d_ff * (t->c.gated ? 1.5 : 1), N = (double)B * T;
    double enc = 2 * N * (4 * C * I + 2 * C * F) + 2 * 2 * N * T * I;
    double dec = 2 * N * (8 * C * I + 2 * C * F) + 4 * 2 * N * T * I;
    double head = 2 * N * C * t->c.vocab_size;
    return 3 * (t->c.num_layers * enc + t->c.num_decoder_layers * dec + head);
}

static void t5_free(ft_model *m)
{
    t5 *t = m->impl;
    ft_slab_free(&t->arena); free(t->EA); free(t->DA); free(t->E); free(t->D); free(t->dec_ids);
    free(t);
}

/* ---- incremental decoding ---- */

typedef struct {
    float *k, *v;                  /* self-attention cache [R, max_len, I] */
    float *ck, *cv;                /* cross keys/values [R, Ts, I] */
} layer_cache;

typedef struct t5_state {      /* an ft_decoder */
    int R, B, Ts, max_len, pos, I;
    layer_cache *L;
    float *emask;                  /* [R, Ts] */
    float *x, *n, *rstd, *q, *qkv, *ctx, *tmp, *f0, *f1, *hs, *bias, *probs, *tmpk;
    int nl;
} t5_state;

static ft_decoder *t5_decode_begin(ft_model *m, int R, int max_len, const ft_encoder_input *enc)
{
    t5 *t = m->impl;
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    int C = c->d_model, I = t->inner, H = c->num_heads, F = c->d_ff;
    const int32_t *ids = enc->ids, *mask = enc->mask;
    int B = enc->B, Ts = enc->T, expand = R / B, Ns = B * Ts;
    ft_check_ids(ids, (size_t)Ns, c->vocab_size, "token");
    ensure(m, B, Ts, 1, 0);
    t->key = 0;
    encode(m, t, ids, mask, B, Ts, 0);
    t5_state *s = ft_xcalloc(1, sizeof *s);
    s->R = R; s->B = B; s->Ts = Ts; s->I = I; s->max_len = max_len; s->nl = c->num_decoder_layers;
    s->L = ft_xcalloc(s->nl, sizeof *s->L);
    float *kv = ft_xmalloc((size_t)Ns * 2 * I * sizeof(float));
    for (int l = 0; l < s->nl; l++) {
        layer_cache *lc = &s->L[l];
        lc->k = ft_xmalloc((size_t)R * max_len * I * sizeof(float));
        lc->v = ft_xmalloc((size_t)R * max_len * I * sizeof(float));
        lc->ck = ft_xmalloc((size_t)R * Ts * I * sizeof(float));
        lc->cv = ft_xmalloc((size_t)R * Ts * I * sizeof(float));
        ft_linear_fwd(kv, t->enc_out, W(t->D[l].ckv), NULL, Ns, C, 2 * I);
        for (int r = 0; r < R; r++)
            for (int j = 0; j < Ts; j++) {
                const float *src = kv + ((size_t)(r / expand) * Ts + j) * 2 * I;
                memcpy(lc->ck + ((size_t)r * Ts + j) * I, src, I * sizeof(float));
                memcpy(lc->cv + ((size_t)r * Ts + j) * I, src + I, I * sizeof(float));
            }
    }
    free(kv);
    s->emask = ft_xmalloc((size_t)R * Ts * sizeof(float));
    for (int r = 0; r < R; r++)
        for (int j = 0; j < Ts; j++) {
            int32_t mk = mask ? mask[(r / expand) * Ts + j] : 1;
            s->emask[(size_t)r * Ts + j] = mk ? 0.0f : -FLT_MAX;
        }
    int Tm = Ts > max_len ? Ts : max_len;
    s->x = ft_xmalloc((size_t)R * C * sizeof(float));
    s->n = ft_xmalloc((size_t)R * C * sizeof(float));
    s->rstd = ft_xmalloc((size_t)R * sizeof(float));
    s->q = ft_xmalloc((size_t)R * I * sizeof(float));
    s->qkv = ft_xmalloc((size_t)R * 3 * I * sizeof(float));
    s->ctx = ft_xmalloc((size_t)R * I * sizeof(float));
    s->tmp = ft_xmalloc((size_t)R * C * sizeof(float));
    s->f0 = ft_xmalloc((size_t)R * F * sizeof(float));
    s->f1 = ft_xmalloc((size_t)R * F * sizeof(float));
    s->hs = ft_xmalloc((size_t)R * C * sizeof(float));
    s->bias = ft_xmalloc((size_t)H * Tm * sizeof(float));
    s->probs = ft_xmalloc((size_t)R * H * Tm * sizeof(float));
    s->tmpk = ft_xmalloc((size_t)R * max_len * I * sizeof(float));
    return (ft_decoder *)s;
}

static void t5_decode_end(ft_decoder *d)
{
    t5_state *s = (t5_state *)d;
    if (!s) return;
    for (int l = 0; l < s->nl; l++) { free(s->L[l].k); free(s->L[l].v); free(s->L[l].ck); free(s->L[l].cv); }
    free(s->L); free(s->emask); free(s->x); free(s->n); free(s->rstd); free(s->q); free(s->qkv); free(s->ctx);
    free(s->tmp); free(s->f0); free(s->f1); free(s->hs); free(s->bias); free(s->probs); free(s->tmpk);
    free(s);
}

static void t5_decode_reorder(ft_model *m, ft_decoder *d, const int *src)
{
    (void)m;
    t5_state *s = (t5_state *)d;
    /* cross keys/values of a row depend only on its input, which the beams of
       one input share, so only the self-attention cache moves */
    size_t rowf = (size_t)s->max_len * s->I, used = (size_t)s->pos * s->I;
    for (int l = 0; l < s->nl; l++)
        for (int which = 0; which < 2; which++) {
            float *buf = which ? s->L[l].v : s->L[l].k;
            for (int r = 0; r < s->R; r++)
                memcpy(s->tmpk + r * rowf, buf + (size_t)src[r] * rowf, used * sizeof(float));
            for (int r = 0; r < s->R; r++)
                memcpy(buf + r * rowf, s->tmpk + r * rowf, used * sizeof(float));
        }
}

static void t5_decode_step(ft_model *m, ft_decoder *d, const int32_t *tokens, const int32_t *pos_ids,
                           const int32_t *mask, int Tn, float *logits)
{
    (void)pos_ids; (void)mask;
    t5_state *s = (t5_state *)d;
    if (Tn != 1) ft_die("internal: T5 decodes one token per row per step");
    t5 *t = m->impl;
    ft_t5_config *c = &t->c;
    ft_params *ps = &m->params;
    int C = c->d_model, H = c->num_heads, V = c->vocab_size, I = t->inner;
    int R = s->R, pos = s->pos, Ts = s->Ts;
    if (pos >= s->max_len) ft_die("internal: decoding past max_len %d", s->max_len);
    ft_check_ids(tokens, (size_t)R, V, "decoder token");
    ft_embedding_fwd(s->x, tokens, W(t->shared), R, C, 0);
    ft_t5_pos_bias_fwd(s->bias, W(t->D[0].rel), H, 1, pos + 1, pos, 0, c->num_buckets, c->max_distance);
    /* one row's activations, reused by every layer; the residual stays in s->x */
    blk_act a = { .x = s->x, .n1 = s->n, .rstd1 = s->rstd, .qkv = s->qkv, .probs = s->probs, .ctx = s->ctx,
                  .x1 = s->x, .n2 = s->n, .rstd2 = s->rstd, .cq = s->q, .probs2 = s->probs, .ctx2 = s->ctx,
                  .x2 = s->x, .nf = s->n, .rstdf = s->rstd, .f0 = s->f0, .f1 = s->f1, .a0 = s->f0, .gd = s->f0 };
    for (int l = 0; l < s->nl; l++) {
        layer_cache *lc = &s->L[l];
        ft_kv_slot kv = { lc->k, lc->v, pos, s->max_len };
        dec_block_fwd(m, l, &a, s->x, s->tmp, R, 1, &kv, s->bias, lc->ck, lc->cv, I, Ts, s->emask, 0, 0);
    }
    ft_rmsnorm_fwd(s->hs, NULL, s->x, W(t->dec_ln), R, C, c->eps);
    if (c->tie) {
        float sc = 1.0f / sqrtf((float)C);
        for (size_t i = 0; i < (size_t)R * C; i++) s->hs[i] *= sc;
    }
    ft_linear_fwd(logits, s->hs, W(t->lm_head), NULL, R, C, V);
    s->pos++;
}

static const ft_model_vt t5_vt = {
    .forward = t5_forward, .backward = t5_backward, .reserve = t5_reserve, .flops = t5_flops,
    .free = t5_free, .init_param = ft_t5_init_param, .after_load = t5_after_load,
    .decode_begin = t5_decode_begin, .decode_step = t5_decode_step,
    .decode_reorder = t5_decode_reorder, .decode_end = t5_decode_end,
};

static ft_model *t5_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);

/* What model_type "t5" stands for (model.h).  LoRA targets as PEFT maps "t5",
   for when T5 gets LoRA hooks (no linear_kind yet: ft_lora_attach refuses it
   first); generation's eos 1 and pad 0 are T5Config's defaults. */
const ft_family ft_t5_family = {
    .model_type = "t5", .name = "T5", .default_task = "seq2seq", .encoder_decoder = 1,
    .lora_targets = "q,v", .cls_head = NULL, .eos_token_id = 1, .pad_token_id = 0,
    .span_corruption = 1, .new_model = t5_new,
};

static ft_model *t5_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed)
{
    (void)num_labels;
    if (task != FT_TASK_SEQ2SEQ) ft_die("%s: T5 supports only --task seq2seq", cfg->path);
    t5 *t = ft_xcalloc(1, sizeof *t);
    ft_model *m = ft_model_shell(&t5_vt, t, "T5ForConditionalGeneration", "transformer.", cfg, task, seed);
    ft_t5_config_read(cfg, &t->c);
    m->gen = (ft_decode_spec){ .vocab_size = t->c.vocab_size, .bos_token_id = -1,
                               .pad_token_id = t->c.pad_token_id,
                               .decoder_start_token_id = t->c.decoder_start_token_id };
    t->inner = t->c.num_heads * t->c.d_kv;
    t->EA = ft_xcalloc(t->c.num_layers, sizeof *t->EA);
    t->DA = ft_xcalloc(t->c.num_decoder_layers, sizeof *t->DA);
    build_params(m, t);
    return m;
}
