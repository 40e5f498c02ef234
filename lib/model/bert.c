/* bert: BertForSequenceClassification and BertForMaskedLM on the ops (HF
 * modeling_bert, eager attention, absolute positions).
 *
 *   x   = word[ids] + pos[t] + type[tt]          emb_in  [N,C]
 *   h0  = dropout(LN(x))                         hs[0]   [N,C]
 *   per layer l (h = hs[l]):
 *     qkv  = h·Wqkv^T + bqkv                     [N,3C]  (q,k,v weights packed)
 *     ctx  = attention(qkv, pad mask)            [N,C]   probs [B,H,T,T]
 *     r1   = dropout(ctx·Wo^T + bo) + h;  h1 = LN(r1)
 *     f    = h1·Wi^T + bi;  g = act(f)           [N,F]
 *     r2   = dropout(g·Wd^T + bd) + h1;   hs[l+1] = LN(r2)
 *   pooled = tanh(hs[L][:,0]·Wp^T + bp)          [B,C]
 *   logits = dropout(pooled)·Wc^T + bc           [B,L]
 * Masked LM instead (no pooler), on the M tokens whose label is not -100 only
 * (the loss ignores the rest, so the others need no vocabulary projection):
 *   x = hs[L][sel]; u = LN(act(x·Wt^T + bt))     [M,C]   cls.predictions.transform
 *   logits = u·word^T + bias                     [M,V]   decoder tied to the embeddings
 * Activations live in one arena sized for B×T tokens up front; the backward
 * walks the same list in reverse, accumulating into params.grad. */
#include "bert.h"
#include "slab.h"
#include "lora.h"
#include "model_impl.h"
#include "ops.h"
#include "rng.h"
#include "util.h"
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int qkv_w, qkv_b, ao_w, ao_b, ln1_w, ln1_b, i_w, i_b, o_w, o_b, ln2_w, ln2_b;
} layer_ix;

typedef struct {
    float *qkv, *probs, *ctx, *r1, *mean1, *rstd1, *h1, *f, *g, *r2, *mean2, *rstd2;
} layer_act;

typedef struct bert {
    ft_bert_config c;
    int word, pos, type, eln_w, eln_b, pool_w, pool_b;
    int *cls_w, *cls_b;                /* per head: [max(ntasks,1)] */
    int mlm;                           /* BertForMaskedLM: the head below, no pooler */
    int mt_w, mt_b, mln_w, mln_b, m_bias;
    /* masked-LM head activations for the M labelled tokens of the last batch */
    int M, capM;
    int32_t *msel, *mlab;
    float *mx, *mt, *mg, *mu, *mmean, *mrstd, *mlogits, *mdlogits, *md1, *md2;
    layer_ix *L;
    ft_slab arena;
    ft_slab_shape cap;                 /* what the arena holds: B, T, training or not */
    float *emb_in, *emb_mean, *emb_rstd, **hs, *mask, *cls, *pooled, *pooled_d, *logits, *dlogits;
    layer_act *A;
    int32_t *pos_ids, *zero_ids;
    float *g_out, *g_in, *g_h1, *g_tmp, *g_ctx, *g_f1, *g_f2, *g_qkv, *g_pool, *g_pool2, *g_cls, *scratch;
    /* last forward */
    int B, T, train, have_grad;
    uint64_t key;
} bert;

void ft_bert_config_read(const ft_config *cfg, ft_bert_config *bc)
{
    memset(bc, 0, sizeof *bc);
    bc->vocab_size = (int)ft_config_req_int(cfg, "vocab_size");
    bc->hidden_size = (int)ft_config_int(cfg, "hidden_size", 768);
    bc->num_layers = (int)ft_config_int(cfg, "num_hidden_layers", 12);
    bc->num_heads = (int)ft_config_int(cfg, "num_attention_heads", 12);
    bc->intermediate_size = (int)ft_config_int(cfg, "intermediate_size", 3072);
    bc->max_position = (int)ft_config_int(cfg, "max_position_embeddings", 512);
    bc->type_vocab_size = (int)ft_config_int(cfg, "type_vocab_size", 2);
    bc->pad_token_id = (int)ft_config_int(cfg, "pad_token_id", 0);
    bc->layer_norm_eps = (float)ft_config_num(cfg, "layer_norm_eps", 1e-12);
    bc->initializer_range = (float)ft_config_num(cfg, "initializer_range", 0.02);
    bc->hidden_dropout = (float)ft_config_num(cfg, "hidden_dropout_prob", 0.1);
    bc->attention_dropout = (float)ft_config_num(cfg, "attention_probs_dropout_prob", 0.1);
    bc->classifier_dropout = (float)ft_config_num(cfg, "classifier_dropout", bc->hidden_dropout);
    const char *act = ft_config_str(cfg, "hidden_act", "gelu");
    bc->act = ft_act_parse(act);
    if (bc->act < 0) ft_die("%s: hidden_act \"%s\" not supported (gelu, gelu_new, relu)", cfg->path, act);
    const char *pe = ft_config_str(cfg, "position_embedding_type", "absolute");
    if (strcmp(pe, "absolute") != 0) ft_die("%s: position_embedding_type \"%s\" not supported", cfg->path, pe);
    if (bc->hidden_size <= 0 || bc->num_heads <= 0 || bc->hidden_size % bc->num_heads)
        ft_die("%s: hidden_size %d is not a multiple of num_attention_heads %d", cfg->path,
               bc->hidden_size, bc->num_heads);
    if (bc->num_layers < 0 || bc->intermediate_size <= 0 || bc->vocab_size <= 0 ||
        bc->max_position <= 0 || bc->type_vocab_size <= 0)
        ft_die("%s: bad BERT dimensions", cfg->path);
    double C = bc->hidden_size, F = bc->intermediate_size;
    char dims[160];
    snprintf(dims, sizeof dims, "hidden_size %d, intermediate_size %d, %d layers, vocab_size %d",
             bc->hidden_size, bc->intermediate_size, bc->num_layers, bc->vocab_size);
    ft_config_check_size(cfg, ((double)bc->vocab_size + bc->max_position + bc->type_vocab_size) * C +
                              bc->num_layers * (4 * C * C + 2 * C * F), dims);
}

/* ---- parameters ---- */

static void build_params(ft_model *m, bert *bt)
{
    ft_bert_config *c = &bt->c;
    ft_params *ps = &m->params;
    ps->norm_marker = "LayerNorm.";   /* in every nn.LayerNorm parameter name */
    int C = c->hidden_size, F = c->intermediate_size;
    char nm[256];
    bt->word = ft_params_add_hf(ps, "bert.embeddings.word_embeddings.weight", c->vocab_size, C);
    bt->pos = ft_params_add_hf(ps, "bert.embeddings.position_embeddings.weight", c->max_position, C);
    bt->type = ft_params_add_hf(ps, "bert.embeddings.token_type_embeddings.weight", c->type_vocab_size, C);
    bt->eln_w = ft_params_add_hf(ps, "bert.embeddings.LayerNorm.weight", C, 0);
    bt->eln_b = ft_params_add_hf(ps, "bert.embeddings.LayerNorm.bias", C, 0);
    bt->L = ft_xcalloc(c->num_layers + 1, sizeof *bt->L);
    static const char *qkv[3] = { "query", "key", "value" };
    for (int l = 0; l < c->num_layers; l++) {
        layer_ix *L = &bt->L[l];
        const char *pre = "bert.encoder.layer";
        ft_params_pack(ps, 1);                  /* Wq|Wk|Wv = one [3C,C] matrix */
        for (int j = 0; j < 3; j++) {
            snprintf(nm, sizeof nm, "%s.%d.attention.self.%s.weight", pre, l, qkv[j]);
            int i = ft_params_add_hf(ps, nm, C, C);
            if (j == 0) L->qkv_w = i;
        }
        ft_params_pack(ps, 0);
        ft_params_pack(ps, 1);
        for (int j = 0; j < 3; j++) {
            snprintf(nm, sizeof nm, "%s.%d.attention.self.%s.bias", pre, l, qkv[j]);
            int i = ft_params_add_hf(ps, nm, C, 0);
            if (j == 0) L->qkv_b = i;
        }
        ft_params_pack(ps, 0);
#define P(field, suffix, d0, d1) snprintf(nm, sizeof nm, "%s.%d.%s", pre, l, suffix); \
    L->field = ft_params_add_hf(ps, nm, d0, d1)
        P(ao_w, "attention.output.dense.weight", C, C);
        P(ao_b, "attention.output.dense.bias", C, 0);
        P(ln1_w, "attention.output.LayerNorm.weight", C, 0);
        P(ln1_b, "attention.output.LayerNorm.bias", C, 0);
        P(i_w, "intermediate.dense.weight", F, C);
        P(i_b, "intermediate.dense.bias", F, 0);
        P(o_w, "output.dense.weight", C, F);
        P(o_b, "output.dense.bias", C, 0);
        P(ln2_w, "output.LayerNorm.weight", C, 0);
        P(ln2_b, "output.LayerNorm.bias", C, 0);
#undef P
    }
    if (bt->mlm) {                             /* BertOnlyMLMHead; decoder.weight is the word embedding */
        bt->m_bias = ft_params_add_hf(ps, "cls.predictions.bias", c->vocab_size, 0);
        bt->mt_w = ft_params_add_hf(ps, "cls.predictions.transform.dense.weight", C, C);
        bt->mt_b = ft_params_add_hf(ps, "cls.predictions.transform.dense.bias", C, 0);
        bt->mln_w = ft_params_add_hf(ps, "cls.predictions.transform.LayerNorm.weight", C, 0);
        bt->mln_b = ft_params_add_hf(ps, "cls.predictions.transform.LayerNorm.bias", C, 0);
    } else {
        bt->pool_w = ft_params_add_hf(ps, "bert.pooler.dense.weight", C, C);
        bt->pool_b = ft_params_add_hf(ps, "bert.pooler.dense.bias", C, 0);
    }
    int nh = m->ntasks ? m->ntasks : 1;
    bt->cls_w = ft_xcalloc(nh, sizeof *bt->cls_w);
    bt->cls_b = ft_xcalloc(nh, sizeof *bt->cls_b);
    if (!bt->mlm && !m->ntasks) {
        bt->cls_w[0] = ft_params_add_hf(ps, "classifier.weight", m->num_labels, C);
        bt->cls_b[0] = ft_params_add_hf(ps, "classifier.bias", m->num_labels, 0);
    }
    for (int t = 0; t < m->ntasks; t++) {      /* multi-task: classifier.<task>.* */
        snprintf(nm, sizeof nm, "classifier.%s.weight", m->heads[t].name);
        bt->cls_w[t] = ft_params_add_hf(ps, nm, m->heads[t].num_labels, C);
        snprintf(nm, sizeof nm, "classifier.%s.bias", m->heads[t].name);
        bt->cls_b[t] = ft_params_add_hf(ps, nm, m->heads[t].num_labels, 0);
    }
    ft_params_alloc(ps);
    /* The packed groups must really be contiguous. */
    for (int l = 0; l < c->num_layers; l++)
        if (ps->p[bt->L[l].qkv_w + 2].offset != ps->p[bt->L[l].qkv_w].offset + 2 * (size_t)C * C ||
            ps->p[bt->L[l].qkv_b + 2].offset != ps->p[bt->L[l].qkv_b].offset + 2 * (size_t)C)
            ft_die("internal: q/k/v parameters not packed");
}

/* HF BertPreTrainedModel._init_weights: Linear and Embedding ~ N(0, range),
   biases 0, the word embedding's padding row 0, LayerNorm 1/0.  Each tensor
   draws from its own stream (seed, name) so a head initialised alone gets the
   same values as in a full init. */
void ft_bert_init_param(ft_model *m, int i, uint64_t seed)
{
    bert *bt = m->impl;
    ft_param *p = &m->params.p[i];
    float *x = m->params.data + p->offset;
    size_t n = strlen(p->name);
    if (strstr(p->name, "LayerNorm.")) {
        float v = strcmp(p->name + n - 7, ".weight") == 0 ? 1.0f : 0.0f;
        for (size_t j = 0; j < p->numel; j++) x[j] = v;
    } else if (n > 5 && strcmp(p->name + n - 5, ".bias") == 0) {
        memset(x, 0, p->numel * sizeof *x);
    } else {
        ft_rng r;
        ft_rng_seed(&r, ft_key_mix(seed, ft_hash64(p->name, n, 0)));
        ft_rng_normal_fill(&r, x, p->numel, 0.0f, bt->c.initializer_range);
        if (i == bt->word && bt->c.pad_token_id >= 0 && bt->c.pad_token_id < bt->c.vocab_size)
            memset(x + (size_t)bt->c.pad_token_id * p->shape[1], 0, p->shape[1] * sizeof *x);
    }
}

/* ---- arena ---- */

/* Lists the arena's arrays.  Training keeps every layer's activations and
   needs the gradient buffers; inference lists one layer's slots and two
   hidden states, which share_layers hands to every layer. */
static void arena_list(ft_model *m, ft_slab *ar, int B, int T, int train)
{
    bert *bt = m->impl;
    ft_bert_config *c = &bt->c;
    size_t N = (size_t)B * T, C = c->hidden_size, F = c->intermediate_size, H = c->num_heads;
    size_t Lb = train ? c->num_layers : 1, nl = m->num_labels, TT = (size_t)T * T;
    ft_slab_add(ar, &bt->emb_in, N * C);
    ft_slab_add(ar, &bt->emb_mean, N);
    ft_slab_add(ar, &bt->emb_rstd, N);
    for (size_t l = 0; l <= Lb; l++) ft_slab_add(ar, &bt->hs[l], N * C);
    ft_slab_add(ar, &bt->mask, N);
    float **head[] = { &bt->cls, &bt->pooled, &bt->pooled_d };
    for (int i = 0; i < 3; i++) ft_slab_add(ar, head[i], B * C);
    ft_slab_add(ar, &bt->logits, B * nl);
    ft_slab_add(ar, &bt->dlogits, B * nl);
    for (size_t l = 0; l < Lb; l++) {
        layer_act *a = &bt->A[l];
        ft_slab_add(ar, &a->qkv, 3 * N * C);
        ft_slab_add(ar, &a->probs, B * H * TT);
        float **rows[] = { &a->ctx, &a->r1, &a->h1, &a->r2 }, **stats[] = { &a->mean1, &a->rstd1, &a->mean2, &a->rstd2 };
        for (int i = 0; i < 4; i++) ft_slab_add(ar, rows[i], N * C);
        for (int i = 0; i < 4; i++) ft_slab_add(ar, stats[i], N);
        ft_slab_add(ar, &a->f, N * F);
        ft_slab_add(ar, &a->g, N * F);
    }
    ft_slab_add(ar, &bt->g_tmp, N * C);                 /* also the forward's scratch */
    ft_slab_add(ar, &bt->scratch, ft_attn_scratch(T, T));
    if (!train) return;
    float **g_rows[] = { &bt->g_out, &bt->g_in, &bt->g_h1, &bt->g_ctx };
    for (int i = 0; i < 4; i++) ft_slab_add(ar, g_rows[i], N * C);
    ft_slab_add(ar, &bt->g_qkv, 3 * N * C);
    ft_slab_add(ar, &bt->g_f1, N * F);
    ft_slab_add(ar, &bt->g_f2, N * F);
    float **g_head[] = { &bt->g_pool, &bt->g_pool2, &bt->g_cls };
    for (int i = 0; i < 3; i++) ft_slab_add(ar, g_head[i], B * C);
}

/* Inference: every layer uses layer 0's slots, and the hidden states
   alternate between hs[0] and hs[1]. */
static void share_layers(bert *bt)
{
    for (int l = 1; l < bt->c.num_layers; l++) bt->A[l] = bt->A[0];
    for (int l = 2; l <= bt->c.num_layers; l++) bt->hs[l] = bt->hs[l & 1];
}

static void arena_ensure(ft_model *m, int B, int T, int train)
{
    bert *bt = m->impl;
    int want[2] = {B, T};
    if (!ft_slab_shape_grow(&bt->cap, want, 2, train)) return;
    B = want[0], T = want[1];
    int L = bt->c.num_layers;
    free(bt->hs);
    free(bt->A);
    bt->hs = ft_xcalloc(L + 2, sizeof *bt->hs);
    bt->A = ft_xcalloc(L + 1, sizeof *bt->A);
    arena_list(m, &bt->arena, B, T, train);
    char what[96];
    snprintf(what, sizeof what, "activations for %d×%d tokens", B, T);
    ft_slab_commit(&bt->arena, what);
    if (!train) share_layers(bt);
    size_t N = (size_t)B * T;
    free(bt->pos_ids);
    free(bt->zero_ids);
    bt->pos_ids = ft_xcalloc(N, sizeof(int32_t));
    bt->zero_ids = ft_xcalloc(N, sizeof(int32_t));
}

static void bert_reserve(ft_model *m, int B, int T) { arena_ensure(m, B, T, 1); }

/* ---- forward ---- */


/* The head a batch uses and its label count. */
static int head_of(const ft_model *m, const ft_batch *b, int *nl)
{
    if (!m->ntasks) {
        if (b->task) ft_die("batch for task %d, but the model has one head", b->task);
        *nl = m->num_labels;
        return 0;
    }
    if (b->task < 0 || b->task >= m->ntasks)
        ft_die("batch for task %d, but the model has %d task heads", b->task, m->ntasks);
    *nl = m->heads[b->task].num_labels;
    return b->task;
}

static float compute_loss(ft_model *m, bert *bt, const ft_batch *b, float *dlogits)
{
    int B = b->B, nl;
    head_of(m, b, &nl);
    float w = b->loss_weight > 0 ? b->loss_weight : 1.0f;
    if (m->problem == FT_PROBLEM_SINGLE_LABEL) {
        if (!b->labels) return NAN;
        for (int i = 0; i < B; i++)
            if (b->labels[i] != -100 && (b->labels[i] < 0 || b->labels[i] >= nl))
                ft_die("label %d out of range for %d labels", b->labels[i], nl);
        m->loss_items = ft_count_labelled(b->labels, B, -100);
        return w * ft_cross_entropy_smoothed(dlogits, bt->logits, b->labels, B, nl, -100, w,
                                                b->label_smoothing);
    }
    if (!b->float_labels) return NAN;
    m->loss_items = B;
    if (m->problem == FT_PROBLEM_REGRESSION)
        return w * ft_mse(dlogits, bt->logits, b->float_labels, (size_t)B * nl, w);
    return w * ft_bce_logits(dlogits, bt->logits, b->float_labels, (size_t)B * nl, w);
}

/* ---- masked-LM head (BertOnlyMLMHead) ---- */

/* Buffers for up to M labelled tokens; they only grow. */
static void mlm_ensure(bert *bt, int M)
{
    if (M <= bt->capM) return;
    int cap = M > 2 * bt->capM ? M : 2 * bt->capM;
    size_t C = bt->c.hidden_size, V = bt->c.vocab_size;
    float **rows[] = { &bt->mx, &bt->mt, &bt->mg, &bt->mu, &bt->md1, &bt->md2 };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        free(*rows[i]);
        *rows[i] = ft_xmalloc((size_t)cap * C * sizeof(float));
    }
    free(bt->mmean); free(bt->mrstd); free(bt->mlogits); free(bt->mdlogits); free(bt->msel); free(bt->mlab);
    bt->mmean = ft_xmalloc((size_t)cap * sizeof(float));
    bt->mrstd = ft_xmalloc((size_t)cap * sizeof(float));
    bt->mlogits = ft_xmalloc((size_t)cap * V * sizeof(float));
    bt->mdlogits = ft_xmalloc((size_t)cap * V * sizeof(float));
    bt->msel = ft_xmalloc((size_t)cap * sizeof(int32_t));
    bt->mlab = ft_xmalloc((size_t)cap * sizeof(int32_t));
    bt->capM = cap;
}

/* Loss over the tokens whose label is not -100 (HF: CrossEntropyLoss over
   [B·T, V] with ignore_index -100, a mean over those tokens).  No labelled
   token: loss 0, no gradient (torch would give NaN). */
static float mlm_forward(ft_model *m, bert *bt, const ft_batch *b, const float *last, int grad,
                         float *logits_out)
{
    ft_bert_config *c = &bt->c;
    ft_params *ps = &m->params;
    int C = c->hidden_size, V = c->vocab_size;
    size_t N = (size_t)b->B * b->T;
    bt->M = 0;
    if (!b->labels) return NAN;
    if (b->Tl != b->T)
        ft_die("masked LM: labels must be one per token ([%d,%d]), got [%d,%d]", b->B, b->T, b->B, b->Tl);
    int M = 0;
    for (size_t i = 0; i < N; i++) {
        int32_t y = b->labels[i];
        if (y == -100) continue;
        if (y < 0 || y >= V) ft_die("masked LM: token label %d out of range for vocab_size %d", y, V);
        M++;
    }
    m->loss_items = 0;
    if (!M) return 0.0f;
    mlm_ensure(bt, M);
    for (size_t i = 0, k = 0; i < N; i++) {
        if (b->labels[i] == -100) continue;
        bt->msel[k] = (int32_t)i;
        bt->mlab[k] = b->labels[i];
        memcpy(bt->mx + k * C, last + i * C, C * sizeof(float));
        k++;
    }
    bt->M = M;
    m->loss_items = M;
    ft_linear_fwd(bt->mt, bt->mx, ft_param_data(ps, bt->mt_w), ft_param_data(ps, bt->mt_b), M, C, C);
    ft_act_fwd(c->act, bt->mg, bt->mt, (size_t)M * C);
    ft_layernorm_fwd(bt->mu, bt->mmean, bt->mrstd, bt->mg, ft_param_data(ps, bt->mln_w),
                     ft_param_data(ps, bt->mln_b), M, C, c->layer_norm_eps);
    ft_linear_fwd(bt->mlogits, bt->mu, ft_param_data(ps, bt->word), ft_param_data(ps, bt->m_bias), M, C, V);
    if (logits_out) memcpy(logits_out, bt->mlogits, (size_t)M * V * sizeof(float));
    float w = b->loss_weight > 0 ? b->loss_weight : 1.0f;
    return w * ft_cross_entropy_smoothed(grad ? bt->mdlogits : NULL, bt->mlogits, bt->mlab, M, V, -100, w,
                                         b->label_smoothing);
}

static float bert_forward(ft_model *m, const ft_batch *b, int train, int grad, float *logits_out)
{
    bert *bt = m->impl;
    ft_bert_config *c = &bt->c;
    ft_params *ps = &m->params;
    int B = b->B, T = b->T, C = c->hidden_size, F = c->intermediate_size, H = c->num_heads;
    size_t N = (size_t)B * T;
    if (B <= 0 || T <= 0) ft_die("empty batch");
    if (T > c->max_position) ft_die("sequence length %d exceeds max_position_embeddings %d", T, c->max_position);
    arena_ensure(m, B, T, grad);
    ft_check_ids(b->input_ids, N, c->vocab_size, "token");
    for (size_t i = 0; i < N; i++) {
        if (b->token_type_ids && (b->token_type_ids[i] < 0 || b->token_type_ids[i] >= c->type_vocab_size))
            ft_die("token type id %d out of range for type_vocab_size %d", b->token_type_ids[i], c->type_vocab_size);
        bt->pos_ids[i] = (int32_t)(i % T);
    }
    memset(bt->zero_ids, 0, N * sizeof(int32_t));
    if (train) m->step++;
    bt->key = ft_key_mix(m->seed, m->step);
    bt->B = B; bt->T = T; bt->train = train; bt->have_grad = grad;
    float ph = train ? c->hidden_dropout : 0, pa = train ? c->attention_dropout : 0;
    float pc = train ? c->classifier_dropout : 0;

    /* HF extended mask: (1 − mask) · finfo(float32).min, added to the scores. */
    for (size_t i = 0; i < N; i++)
        bt->mask[i] = b->attention_mask && !b->attention_mask[i] ? -FLT_MAX : 0.0f;

    ft_embedding_fwd(bt->emb_in, b->input_ids, ft_param_data(ps, bt->word), (int)N, C, 0);
    ft_embedding_fwd(bt->emb_in, bt->pos_ids, ft_param_data(ps, bt->pos), (int)N, C, 1);
    ft_embedding_fwd(bt->emb_in, b->token_type_ids ? b->token_type_ids : bt->zero_ids,
                     ft_param_data(ps, bt->type), (int)N, C, 1);
    ft_layernorm_fwd(bt->hs[0], bt->emb_mean, bt->emb_rstd, bt->emb_in, ft_param_data(ps, bt->eln_w),
                     ft_param_data(ps, bt->eln_b), (int)N, C, c->layer_norm_eps);
    ft_dropout_fwd(bt->hs[0], bt->hs[0], N * C, ph, ft_site(bt->key, 0, 0));

    for (int l = 0; l < c->num_layers; l++) {
        layer_ix *L = &bt->L[l];
        layer_act *a = &bt->A[l];           /* inference: the same slots for every layer */
        float *h = bt->hs[l], *hout = bt->hs[l + 1];
        ft_linear_fwd(a->qkv, h, ft_param_data(ps, L->qkv_w), ft_param_data(ps, L->qkv_b), (int)N, C, 3 * C);
        for (int j = 0; j < 3; j++)
            ft_lora_fwd(m, L->qkv_w + j, a->qkv + j * C, 3 * C, h, (int)N, train, ft_site(bt->key, l + 1, 5 + j));
        ft_attn at = ft_attn_packed(B, T, C, H, bt->mask, 0, pa, ft_site(bt->key, l + 1, 1));
        ft_attn_fwd(&at, a->ctx, a->probs, a->qkv, a->qkv + C, a->qkv + 2 * C, bt->scratch);
        ft_linear_fwd(bt->g_tmp, a->ctx, ft_param_data(ps, L->ao_w), ft_param_data(ps, L->ao_b), (int)N, C, C);
        ft_lora_fwd(m, L->ao_w, bt->g_tmp, C, a->ctx, (int)N, train, ft_site(bt->key, l + 1 + c->num_layers, 0));
        ft_dropout_add_fwd(a->r1, bt->g_tmp, h, N * C, ph, ft_site(bt->key, l + 1, 2));
        ft_layernorm_fwd(a->h1, a->mean1, a->rstd1, a->r1, ft_param_data(ps, L->ln1_w),
                         ft_param_data(ps, L->ln1_b), (int)N, C, c->layer_norm_eps);
        ft_linear_fwd(a->f, a->h1, ft_param_data(ps, L->i_w), ft_param_data(ps, L->i_b), (int)N, C, F);
        ft_lora_fwd(m, L->i_w, a->f, F, a->h1, (int)N, train, ft_site(bt->key, l + 1 + c->num_layers, 1));
        ft_act_fwd(c->act, a->g, a->f, N * F);
        ft_linear_fwd(bt->g_tmp, a->g, ft_param_data(ps, L->o_w), ft_param_data(ps, L->o_b), (int)N, F, C);
        ft_lora_fwd(m, L->o_w, bt->g_tmp, C, a->g, (int)N, train, ft_site(bt->key, l + 1 + c->num_layers, 2));
        ft_dropout_add_fwd(a->r2, bt->g_tmp, a->h1, N * C, ph, ft_site(bt->key, l + 1, 3));
        ft_layernorm_fwd(hout, a->mean2, a->rstd2, a->r2, ft_param_data(ps, L->ln2_w),
                         ft_param_data(ps, L->ln2_b), (int)N, C, c->layer_norm_eps);
    }

    float *last = bt->hs[c->num_layers];
    if (bt->mlm) {
        float loss = mlm_forward(m, bt, b, last, grad, logits_out);
        if (grad && isnan(loss)) ft_die("training batch has no labels");
        return loss;
    }
    for (int i = 0; i < B; i++) memcpy(bt->cls + (size_t)i * C, last + (size_t)i * T * C, C * sizeof(float));
    ft_linear_fwd(bt->pooled, bt->cls, ft_param_data(ps, bt->pool_w), ft_param_data(ps, bt->pool_b), B, C, C);
    ft_lora_fwd(m, bt->pool_w, bt->pooled, C, bt->cls, B, train, ft_site(bt->key, 0, 5));
    ft_tanh_fwd(bt->pooled, bt->pooled, (size_t)B * C);
    ft_dropout_fwd(bt->pooled_d, bt->pooled, (size_t)B * C, pc, ft_site(bt->key, 0, 4));
    int nl, h = head_of(m, b, &nl);
    ft_linear_fwd(bt->logits, bt->pooled_d, ft_param_data(ps, bt->cls_w[h]), ft_param_data(ps, bt->cls_b[h]),
                  B, C, nl);
    if (logits_out) memcpy(logits_out, bt->logits, (size_t)B * nl * sizeof(float));
    float loss = compute_loss(m, bt, b, grad ? bt->dlogits : NULL);
    if (grad && isnan(loss)) ft_die("training batch has no labels");
    return loss;
}

/* ---- backward ---- */


/* Masked-LM head backward: g_out[N,C] = ∂loss/∂hs[L] (zero but the labelled
   rows); the tied decoder's gradient goes into the word embedding's. */
static void mlm_backward(ft_model *m, bert *bt, size_t N)
{
    ft_bert_config *c = &bt->c;
    ft_params *ps = &m->params;
    int C = c->hidden_size, V = c->vocab_size, M = bt->M;
    ZERO(bt->g_out, N * C);
    if (!M) return;
    ZERO(bt->md1, (size_t)M * C);
    ft_linear_bwd(bt->md1, G(bt->word), G(bt->m_bias), bt->mdlogits, bt->mu, ft_param_data(ps, bt->word), M, C, V);
    ZERO(bt->md2, (size_t)M * C);
    ft_layernorm_bwd(bt->md2, G(bt->mln_w), G(bt->mln_b), bt->md1, bt->mg, bt->mmean, bt->mrstd,
                     ft_param_data(ps, bt->mln_w), M, C);
    ZERO(bt->md1, (size_t)M * C);
    ft_act_bwd(c->act, bt->md1, bt->md2, bt->mt, (size_t)M * C);
    ZERO(bt->md2, (size_t)M * C);
    ft_linear_bwd(bt->md2, G(bt->mt_w), G(bt->mt_b), bt->md1, bt->mx, ft_param_data(ps, bt->mt_w), M, C, C);
    for (int k = 0; k < M; k++)
        memcpy(bt->g_out + (size_t)bt->msel[k] * C, bt->md2 + (size_t)k * C, C * sizeof(float));
}

static void bert_backward(ft_model *m, const ft_batch *b)
{
    bert *bt = m->impl;
    ft_bert_config *c = &bt->c;
    ft_params *ps = &m->params;
    if (!bt->have_grad || b->B != bt->B || b->T != bt->T) ft_die("internal: backward without its forward");
    int B = bt->B, T = bt->T, C = c->hidden_size, F = c->intermediate_size, H = c->num_heads;
    size_t N = (size_t)B * T;
    float ph = bt->train ? c->hidden_dropout : 0, pa = bt->train ? c->attention_dropout : 0;
    float pc = bt->train ? c->classifier_dropout : 0;

    if (bt->mlm) mlm_backward(m, bt, N);
    else {
    /* classifier and pooler */
    int nl, hd = head_of(m, b, &nl);
    ZERO(bt->g_pool, B * C);
    ft_linear_bwd(bt->g_pool, G(bt->cls_w[hd]), G(bt->cls_b[hd]), bt->dlogits, bt->pooled_d,
                  ft_param_data(ps, bt->cls_w[hd]), B, C, nl);
    ZERO(bt->g_pool2, B * C);
    ft_dropout_bwd(bt->g_pool2, bt->g_pool, (size_t)B * C, pc, ft_site(bt->key, 0, 4));
    ZERO(bt->g_pool, B * C);
    ft_tanh_bwd(bt->g_pool, bt->g_pool2, bt->pooled, (size_t)B * C);
    ZERO(bt->g_cls, B * C);
    ft_linear_bwd(bt->g_cls, G(bt->pool_w), G(bt->pool_b), bt->g_pool, bt->cls,
                  ft_param_data(ps, bt->pool_w), B, C, C);
    ft_lora_bwd(m, bt->pool_w, bt->g_cls, bt->g_pool, C, bt->cls, B);
    ZERO(bt->g_out, N * C);
    for (int i = 0; i < B; i++)
        memcpy(bt->g_out + (size_t)i * T * C, bt->g_cls + (size_t)i * C, C * sizeof(float));
    }

    for (int l = c->num_layers - 1; l >= 0; l--) {
        layer_ix *L = &bt->L[l];
        layer_act *a = &bt->A[l];
        float *h = bt->hs[l];
        /* hs[l+1] = LN(r2), r2 = dropout(g·Wd^T + bd) + h1 */
        ZERO(bt->g_h1, N * C);
        ft_layernorm_bwd(bt->g_h1, G(L->ln2_w), G(L->ln2_b), bt->g_out, a->r2, a->mean2, a->rstd2,
                         ft_param_data(ps, L->ln2_w), (int)N, C);
        ZERO(bt->g_tmp, N * C);
        ft_dropout_bwd(bt->g_tmp, bt->g_h1, N * C, ph, ft_site(bt->key, l + 1, 3));
        ZERO(bt->g_f1, N * F);
        ft_linear_bwd(bt->g_f1, G(L->o_w), G(L->o_b), bt->g_tmp, a->g, ft_param_data(ps, L->o_w), (int)N, F, C);
        ft_lora_bwd(m, L->o_w, bt->g_f1, bt->g_tmp, C, a->g, (int)N);
        ZERO(bt->g_f2, N * F);
        ft_act_bwd(c->act, bt->g_f2, bt->g_f1, a->f, N * F);
        ft_linear_bwd(bt->g_h1, G(L->i_w), G(L->i_b), bt->g_f2, a->h1, ft_param_data(ps, L->i_w), (int)N, C, F);
        ft_lora_bwd(m, L->i_w, bt->g_h1, bt->g_f2, F, a->h1, (int)N);
        /* h1 = LN(r1), r1 = dropout(ctx·Wo^T + bo) + h */
        ZERO(bt->g_in, N * C);
        ft_layernorm_bwd(bt->g_in, G(L->ln1_w), G(L->ln1_b), bt->g_h1, a->r1, a->mean1, a->rstd1,
                         ft_param_data(ps, L->ln1_w), (int)N, C);
        ZERO(bt->g_tmp, N * C);
        ft_dropout_bwd(bt->g_tmp, bt->g_in, N * C, ph, ft_site(bt->key, l + 1, 2));
        ZERO(bt->g_ctx, N * C);
        ft_linear_bwd(bt->g_ctx, G(L->ao_w), G(L->ao_b), bt->g_tmp, a->ctx, ft_param_data(ps, L->ao_w), (int)N, C, C);
        ft_lora_bwd(m, L->ao_w, bt->g_ctx, bt->g_tmp, C, a->ctx, (int)N);
        ZERO(bt->g_qkv, 3 * N * C);
        ft_attn at = ft_attn_packed(B, T, C, H, bt->mask, 0, pa, ft_site(bt->key, l + 1, 1));
        ft_attn_bwd(&at, bt->g_qkv, bt->g_qkv + C, bt->g_qkv + 2 * C, NULL, bt->g_ctx, a->qkv, a->qkv + C,
                    a->qkv + 2 * C, a->probs, bt->scratch);
        ft_linear_bwd(bt->g_in, G(L->qkv_w), G(L->qkv_b), bt->g_qkv, h, ft_param_data(ps, L->qkv_w), (int)N, C, 3 * C);
        for (int j = 0; j < 3; j++)
            ft_lora_bwd(m, L->qkv_w + j, bt->g_in, bt->g_qkv + j * C, 3 * C, h, (int)N);
        float *t = bt->g_out; bt->g_out = bt->g_in; bt->g_in = t;
        ft_grads_ready(m, L->qkv_w);    /* the layer's first parameter; heads lie above */
    }

    /* embeddings: hs[0] = dropout(LN(word + pos + type)) */
    ZERO(bt->g_tmp, N * C);
    ft_dropout_bwd(bt->g_tmp, bt->g_out, N * C, ph, ft_site(bt->key, 0, 0));
    ZERO(bt->g_in, N * C);
    ft_layernorm_bwd(bt->g_in, G(bt->eln_w), G(bt->eln_b), bt->g_tmp, bt->emb_in, bt->emb_mean, bt->emb_rstd,
                     ft_param_data(ps, bt->eln_w), (int)N, C);
    if (G(bt->word)) ft_embedding_bwd(G(bt->word), b->input_ids, bt->g_in, (int)N, C);
    if (G(bt->pos)) ft_embedding_bwd(G(bt->pos), bt->pos_ids, bt->g_in, (int)N, C);
    if (G(bt->type)) ft_embedding_bwd(G(bt->type), b->token_type_ids ? b->token_type_ids : bt->zero_ids,
                                      bt->g_in, (int)N, C);
    bt->have_grad = 0;
}

static double bert_flops(const ft_model *m, int B, int T)
{
    const bert *bt = m->impl;
    double C = bt->c.hidden_size, F = bt->c.intermediate_size, N = (double)B * T;
    /* matmuls: 2 flops per MAC, ×3 for forward + two backward GEMMs */
    double layer = 6 * N * (4 * C * C + 2 * C * F) + 3 * 2 * 2 * N * T * C;
    double head = 6 * B * (C * C + C * m->num_labels);
    /* masked LM: the head runs on the labelled tokens — the last batch's
       count if there was one, else HF's default 15 % */
    if (bt->mlm) head = 6 * (bt->M ? bt->M : 0.15 * N) * (C * C + C * bt->c.vocab_size);
    return bt->c.num_layers * layer + head;
}

static void bert_free(ft_model *m)
{
    bert *bt = m->impl;
    ft_slab_free(&bt->arena); free(bt->hs); free(bt->A); free(bt->L); free(bt->cls_w); free(bt->cls_b);
    free(bt->pos_ids); free(bt->zero_ids);
    free(bt->mx); free(bt->mt); free(bt->mg); free(bt->mu); free(bt->md1); free(bt->md2);
    free(bt->mmean); free(bt->mrstd); free(bt->mlogits); free(bt->mdlogits); free(bt->msel); free(bt->mlab);
    free(bt);
}

/* Linear layers that call the LoRA hooks: every encoder dense layer and the pooler. */
static int bert_linear_kind(const ft_model *m, int i)
{
    const char *nm = m->params.p[i].name;
    size_t n = strlen(nm);
    if (n < 7 || strcmp(nm + n - 7, ".weight") != 0 || strstr(nm, "LayerNorm") || strstr(nm, "embeddings")) return 0;
    return strncmp(nm, "bert.encoder.layer.", 19) == 0 || strcmp(nm, "bert.pooler.dense.weight") == 0;
}

static int bert_param_head(const ft_model *m, int idx)
{
    const bert *bt = m->impl;
    for (int h = 0; h < m->ntasks; h++)
        if (idx == bt->cls_w[h] || idx == bt->cls_b[h]) return h;
    return -1;
}

static const ft_model_vt bert_vt = {
    .forward = bert_forward, .backward = bert_backward, .reserve = bert_reserve, .flops = bert_flops,
    .free = bert_free, .init_param = ft_bert_init_param, .linear_kind = bert_linear_kind,
    .param_head = bert_param_head,
};

static ft_model *bert_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);

/* What model_type "bert" stands for (model.h).  LoRA targets as PEFT maps
   "bert"; the seq-cls head is "classifier", kept trainable under LoRA. */
const ft_family ft_bert_family = {
    .model_type = "bert", .name = "BERT", .default_task = "seq-cls", .encoder_decoder = 0,
    .lora_targets = "query,value", .cls_head = "classifier", .eos_token_id = -1, .pad_token_id = -1,
    .span_corruption = 0, .new_model = bert_new,
};

/* The decoder of BertForMaskedLM is the word embedding (tied, HF's default);
   a checkpoint may store it again under these names. */
static const char *const mlm_tied_keys[] = { "cls.predictions.decoder.weight", "cls.predictions.decoder.bias", NULL };

static ft_model *bert_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed)
{
    if (task != FT_TASK_SEQ_CLS && task != FT_TASK_MASKED_LM)
        ft_die("%s: BERT supports --task seq-cls and masked-lm", cfg->path);
    bert *bt = ft_xcalloc(1, sizeof *bt);
    if (task == FT_TASK_MASKED_LM) {
        if (!ft_config_bool(cfg, "tie_word_embeddings", 1))
            ft_die("%s: masked LM with tie_word_embeddings false is not supported", cfg->path);
        bt->mlm = 1;
        ft_model *m = ft_model_shell(&bert_vt, bt, "BertForMaskedLM", "bert.", cfg, task, seed);
        m->num_labels = cfg->num_labels;
        m->ignore_keys = mlm_tied_keys;
        ft_bert_config_read(cfg, &bt->c);
        build_params(m, bt);
        return m;
    }
    if (num_labels > 0 && num_labels != cfg->num_labels) ft_config_set_labels(cfg, num_labels, NULL);
    ft_model *m = ft_model_shell(&bert_vt, bt, "BertForSequenceClassification", "bert.", cfg, task, seed);
    m->num_labels = cfg->num_labels;
    ft_model_read_tasks(m);
    if (m->ntasks && cfg->problem_type && strcmp(cfg->problem_type, "single_label_classification"))
        ft_die("%s: several tasks (ft_tasks) need single-label classification", cfg->path);
    if (m->num_labels < 1) ft_die("%s: num_labels must be at least 1", cfg->path);
    const char *pt = cfg->problem_type;
    if (!pt) m->problem = m->num_labels == 1 && !m->ntasks ? FT_PROBLEM_REGRESSION : FT_PROBLEM_SINGLE_LABEL;
    else if (strcmp(pt, "regression") == 0) m->problem = FT_PROBLEM_REGRESSION;
    else if (strcmp(pt, "single_label_classification") == 0) m->problem = FT_PROBLEM_SINGLE_LABEL;
    else if (strcmp(pt, "multi_label_classification") == 0) m->problem = FT_PROBLEM_MULTI_LABEL;
    else ft_die("%s: unknown problem_type \"%s\"", cfg->path, pt);
    ft_bert_config_read(cfg, &bt->c);
    build_params(m, bt);
    return m;
}
