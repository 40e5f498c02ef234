/* generate: options, their check against the model, and the one decoding
 * loop for every model behind ft_model_vt's decode hooks.  See generate.h. */
#include "beam.h"
#include "generate.h"
#include "rng.h"
#include "util.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int cfg_id(const ft_config *c, const char *key, int def)
{
    json_t *e = json_object_get(c->json, key);
    return e && json_is_integer(e) ? (int)json_integer_value(e) : def;
}

void ft_gen_opts_default(ft_gen_opts *o, const ft_model *m)
{
    memset(o, 0, sizeof *o);
    o->max_new_tokens = 20;
    o->eos_token_id = o->pad_token_id = FT_GEN_ID_FROM_CONFIG;
    o->num_beams = 1;
    o->length_penalty = 1.0f;
    ft_sampling_default(&o->s);
    if (m) ft_gen_opts_config_ids(o, m);
}

void ft_gen_opts_config_ids(ft_gen_opts *o, const ft_model *m)
{
    const ft_family *f = m->family;                     /* the HF config class's defaults */
    if (o->eos_token_id == FT_GEN_ID_FROM_CONFIG) o->eos_token_id = cfg_id(m->cfg, "eos_token_id", f ? f->eos_token_id : -1);
    if (o->pad_token_id == FT_GEN_ID_FROM_CONFIG) o->pad_token_id = cfg_id(m->cfg, "pad_token_id", f ? f->pad_token_id : -1);
}

const char *ft_generate_task(const char *model_dir)
{
    char *p = ft_xasprintf("%s/config.json", model_dir);
    ft_config *c = ft_config_load(p);
    int ed = ft_config_is_encoder_decoder(c);
    ft_config_free(c);
    free(p);
    return ed ? "seq2seq" : "causal-lm";
}

void ft_gen_check(const ft_model *m, const ft_gen_opts *o)
{
    if (m->task != FT_TASK_CAUSAL_LM && m->task != FT_TASK_SEQ2SEQ)
        ft_die("generation needs a causal-lm or seq2seq model, not a sequence classifier");
    if (o->max_new_tokens < 0) ft_die("--max-new-tokens: must not be negative");
    if (o->num_beams < 1) ft_die("--num-beams: must be at least 1");
    if (o->num_beams > 1 && o->s.do_sample)
        ft_die("--do-sample: not supported with --num-beams > 1 (beam sampling) yet; "
               "--temperature, --top-k and --top-p imply --do-sample");
    if (o->num_beams == 1 && o->length_penalty != 1.0f)
        ft_die("--length-penalty: applies to beam search only (give --num-beams N > 1)");
    if (o->num_beams == 1 && o->early_stopping)
        ft_die("--early-stopping: applies to beam search only (give --num-beams N > 1)");
}

/* ---- the decoding loop, one for every model that generates ----
   R = B·K rows (row r continues prompt r / K), each holding the tokens the
   decoder has seen — a decoder-only model's prompt, left-padded to one
   length n (position ids cumsum(attention_mask) − 1, 1 on padding, as GPT-2's
   prepare_inputs_for_generation makes them), or an encoder-decoder model's
   decoder_start_token_id (its prompt is the encoder's input, encoded once)
   — then the generated tokens.  The first step feeds every row whole and
   fills the model's KV cache; each later step feeds one token per row.  The
   logits processors see a row as HF's input_ids. */
typedef struct rows {
    int R, n, maxT, T;              /* T: tokens in every row so far */
    int32_t *seq, *mask;            /* [R, maxT] */
    int32_t *seq2, *mask2, *npos2;  /* beam reordering writes here, then swaps */
    int32_t *cm;                    /* [R, T] the mask as decode_step takes it */
    int32_t *npos;                  /* [R] next position id */
    int32_t *ids, *pos;             /* [R, n] the first step's input */
} rows;

static void rows_init(rows *w, int B, int K, const int32_t *const *prompts, const int *lens,
                      int max_new, int limit, int pad, int bos)
{
    int n = 1;
    for (int i = 0; i < B; i++) if (lens[i] > n) n = lens[i];
    if (limit <= 0) limit = INT_MAX;
    if (n >= limit) ft_die("a prompt of %d tokens leaves no room in the model's %d positions", n, limit);
    w->R = B * K; w->n = n; w->T = n;
    w->maxT = n + max_new < limit ? n + max_new : limit;
    w->seq = ft_xmalloc((size_t)w->R * w->maxT * sizeof *w->seq);
    w->mask = ft_xmalloc((size_t)w->R * w->maxT * sizeof *w->mask);
    w->cm = ft_xmalloc((size_t)w->R * w->maxT * sizeof *w->cm);
    w->npos = ft_xmalloc(w->R * sizeof *w->npos);
    w->seq2 = w->mask2 = w->npos2 = NULL;
    w->ids = ft_xmalloc((size_t)w->R * n * sizeof *w->ids);
    w->pos = ft_xmalloc((size_t)w->R * n * sizeof *w->pos);
    for (int r = 0; r < w->R; r++) {
        int i = r / K, len = lens[i] ? lens[i] : 1, padn = n - len;
        const int32_t *p = lens[i] ? prompts[i] : (const int32_t *)&bos;
        for (int t = 0; t < n; t++) {
            int real = t >= padn;
            w->seq[(size_t)r * w->maxT + t] = real ? p[t - padn] : pad;
            w->mask[(size_t)r * w->maxT + t] = real;
            w->ids[(size_t)r * n + t] = w->seq[(size_t)r * w->maxT + t];
            w->pos[(size_t)r * n + t] = real ? t - padn : 1;
        }
        w->npos[r] = len;
    }
}

static void rows_free(rows *w)
{
    free(w->seq); free(w->mask); free(w->cm); free(w->npos);
    free(w->seq2); free(w->mask2); free(w->npos2); free(w->ids); free(w->pos);
}

/* The mask of every row over its T tokens, packed [R, T]. */
static const int32_t *rows_mask(rows *w)
{
    for (int r = 0; r < w->R; r++) memcpy(w->cm + (size_t)r * w->T, w->mask + (size_t)r * w->maxT, w->T * sizeof *w->cm);
    return w->cm;
}

/* Append tok[r] to every row; np receives the position ids to feed. */
static void rows_push(rows *w, const int32_t *tok, int32_t *np)
{
    for (int r = 0; r < w->R; r++) {
        w->seq[(size_t)r * w->maxT + w->T] = tok[r];
        w->mask[(size_t)r * w->maxT + w->T] = 1;
        np[r] = w->npos[r]++;
    }
    w->T++;
}

/* Beam bookkeeping: row r becomes old row src[r] (into the spare buffers,
   allocated once, then swapped). */
static void rows_reorder(rows *w, const int *src)
{
    size_t rowb = (size_t)w->maxT * sizeof *w->seq;
    if (!w->seq2) {
        w->seq2 = ft_xmalloc(w->R * rowb);
        w->mask2 = ft_xmalloc(w->R * rowb);
        w->npos2 = ft_xmalloc(w->R * sizeof *w->npos2);
    }
    for (int r = 0; r < w->R; r++) {
        memcpy(w->seq2 + (size_t)r * w->maxT, w->seq + (size_t)src[r] * w->maxT, rowb);
        memcpy(w->mask2 + (size_t)r * w->maxT, w->mask + (size_t)src[r] * w->maxT, rowb);
        w->npos2[r] = w->npos[src[r]];
    }
    int32_t *t;
    t = w->seq; w->seq = w->seq2; w->seq2 = t;
    t = w->mask; w->mask = w->mask2; w->mask2 = t;
    t = w->npos; w->npos = w->npos2; w->npos2 = t;
}

/* Beam search (beam.c; generated_len counts the generated tokens only, as
   HF's decoder_prompt_len makes it). */
static void gen_beam(ft_model *m, ft_decoder *d, rows *w, int B, const ft_gen_opts *o, int pad,
                     int32_t **out, int *out_len)
{
    int V = m->gen.vocab_size, R = w->R;
    ft_beam *bs = ft_beam_new(B, o->num_beams, w->maxT - w->n, o->length_penalty, o->early_stopping,
                              o->eos_token_id, pad);
    float *lp = ft_xmalloc((size_t)R * V * sizeof *lp);
    int32_t *tok = ft_xmalloc(R * sizeof *tok), *np = ft_xmalloc(R * sizeof *np);
    int *src = ft_xmalloc(R * sizeof *src);
    m->vt->decode_step(m, d, w->ids, w->pos, rows_mask(w), w->n, lp);
    for (;;) {
        ft_log_softmax_rows(lp, R, V);
        for (int r = 0; r < R; r++)
            ft_process_logits(&o->s, lp + (size_t)r * V, V, w->seq + (size_t)r * w->maxT, w->T);
        if (ft_beam_step(bs, lp, V, tok, src)) break;
        m->vt->decode_reorder(m, d, src);
        rows_reorder(w, src);
        rows_push(w, tok, np);
        m->vt->decode_step(m, d, tok, np, rows_mask(w), 1, lp);
    }
    ft_beam_take_best(bs, B, out, out_len);
    ft_beam_free(bs);
    free(lp); free(tok); free(np); free(src);
}

/* Greedy or sampled: a row that produced EOS keeps receiving pad tokens (not
   reported) until every row is done or max_new_tokens is reached. */
static void gen_simple(ft_model *m, ft_decoder *d, rows *w, const ft_gen_opts *o, int pad, long first_row,
                       int32_t **out, int *out_len)
{
    int B = w->R, V = m->gen.vocab_size, eos = o->eos_token_id;
    int *done = ft_xcalloc(B, sizeof *done);
    int32_t *nid = ft_xmalloc(B * sizeof *nid), *np = ft_xmalloc(B * sizeof *np);
    float *logits = ft_xmalloc((size_t)B * V * sizeof *logits);
    ft_rng *rng = ft_xmalloc(B * sizeof *rng);
    for (int i = 0; i < B; i++) {
        out[i] = ft_xmalloc((o->max_new_tokens + 1) * sizeof **out);
        out_len[i] = 0;
        ft_rng_seed(&rng[i], ft_key_mix(o->s.seed, (uint64_t)(first_row + i)));
    }
    m->vt->decode_step(m, d, w->ids, w->pos, rows_mask(w), w->n, logits);
    for (int step = 0; step < o->max_new_tokens && w->T < w->maxT; step++) {
        int all_done = 1;
        for (int i = 0; i < B; i++) {
            int32_t tok = pad;
            if (!done[i]) {
                tok = ft_next_token(&o->s, logits + (size_t)i * V, V, w->seq + (size_t)i * w->maxT, w->T, &rng[i]);
                out[i][out_len[i]++] = tok;
                if (tok == eos) done[i] = 1;
            }
            all_done &= done[i];
            nid[i] = tok;
        }
        rows_push(w, nid, np);
        if (all_done || step + 1 == o->max_new_tokens || w->T >= w->maxT) break;
        m->vt->decode_step(m, d, nid, np, rows_mask(w), 1, logits);
    }
    free(done); free(nid); free(np); free(logits); free(rng);
}

void ft_generate(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                 const ft_gen_opts *o, long first_row, int32_t **out, int *out_len)
{
    ft_gen_check(m, o);
    if (!m->vt->decode_begin) ft_die("generation is not supported for %s", m->arch);
    if (o->max_new_tokens == 0) {
        for (int b = 0; b < B; b++) { out[b] = ft_xmalloc(sizeof **out); out_len[b] = 0; }
        return;
    }
    const ft_decode_spec *c = &m->gen;
    int eos = o->eos_token_id, K = o->num_beams;
    int pad = o->pad_token_id >= 0 ? o->pad_token_id : c->pad_token_id >= 0 ? c->pad_token_id : eos >= 0 ? eos : 0;
    int bos = c->bos_token_id >= 0 ? c->bos_token_id : eos >= 0 ? eos : 0;
    rows w;
    ft_decoder *d;
    if (m->task == FT_TASK_SEQ2SEQ) {
        /* the prompts go to the encoder, right-padded into one batch; every
           decoder row starts from decoder_start_token_id */
        int T = 1;
        for (int b = 0; b < B; b++) if (lens[b] > T) T = lens[b];
        int32_t *ids = ft_xmalloc((size_t)B * T * sizeof *ids), *mask = ft_xmalloc((size_t)B * T * sizeof *mask);
        const int32_t **start = ft_xmalloc(B * sizeof *start);
        int *one = ft_xmalloc(B * sizeof *one);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                ids[(size_t)b * T + t] = t < lens[b] ? prompts[b][t] : pad;
                mask[(size_t)b * T + t] = t < lens[b];
            }
            start[b] = &c->decoder_start_token_id;
            one[b] = 1;
        }
        rows_init(&w, B, K, start, one, o->max_new_tokens, 0, pad, bos);
        ft_encoder_input in = { ids, mask, B, T };
        d = m->vt->decode_begin(m, w.R, w.maxT, &in);
        free(ids); free(mask); free(start); free(one);
    } else {
        rows_init(&w, B, K, prompts, lens, o->max_new_tokens, c->max_positions, pad, bos);
        d = m->vt->decode_begin(m, w.R, w.maxT, NULL);
    }
    if (K > 1) gen_beam(m, d, &w, B, o, pad, out, out_len);
    else gen_simple(m, d, &w, o, pad, first_row, out, out_len);
    m->vt->decode_end(d);
    rows_free(&w);
}
