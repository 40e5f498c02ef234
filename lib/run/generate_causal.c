/* generate_causal: the decoding loop of HF's generate() for a decoder-only
 * model (GPT-2); ft_generate (generate.c) dispatches here.
 *
 * Prompts are left-padded to one length n; position ids are
 * cumsum(attention_mask) − 1 (1 on padding), as GPT-2's
 * prepare_inputs_for_generation makes them.  The first step runs the whole
 * prompt through the model and fills the KV cache; each later step feeds one
 * token per row.  Greedy/sampling: a row that produced EOS keeps receiving pad
 * tokens (which are not reported) until every row is done or max_new_tokens
 * is reached.  Beam search: each prompt becomes num_beams rows, the search
 * itself is beam.c's (generated_len counts the generated tokens only, as HF's
 * decoder_prompt_len makes it), and the processors see the padded prompt
 * followed by the row's tokens, as HF's input_ids. */
#include "beam.h"
#include "generate.h"
#include "util.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* R = B·K rows (row r holds prompt r / K), each its padded prompt, then room
   for the generated tokens. */
typedef struct rows {
    int R, n, maxT, T;              /* T: tokens in every row so far */
    int32_t *seq, *mask;            /* [R, maxT] */
    int32_t *seq2, *mask2, *npos2;  /* beam reordering writes here, then swaps */
    int32_t *cm;                    /* [R, T] the mask as decode_step takes it */
    int32_t *npos;                  /* [R] next position id */
} rows;

static void rows_init(rows *w, const ft_decode_spec *c, int B, int K, const int32_t *const *prompts,
                      const int *lens, int max_new, int pad, int bos, int32_t **ids, int32_t **pos)
{
    int n = 1;
    for (int i = 0; i < B; i++) if (lens[i] > n) n = lens[i];
    int limit = c->max_positions > 0 ? c->max_positions : INT_MAX;
    if (n >= limit) ft_die("a prompt of %d tokens leaves no room in the model's %d positions", n, limit);
    w->R = B * K; w->n = n; w->T = n;
    w->maxT = n + max_new < limit ? n + max_new : limit;
    w->seq = ft_xmalloc((size_t)w->R * w->maxT * sizeof *w->seq);
    w->mask = ft_xmalloc((size_t)w->R * w->maxT * sizeof *w->mask);
    w->cm = ft_xmalloc((size_t)w->R * w->maxT * sizeof *w->cm);
    w->npos = ft_xmalloc(w->R * sizeof *w->npos);
    w->seq2 = w->mask2 = w->npos2 = NULL;
    *ids = ft_xmalloc((size_t)w->R * n * sizeof **ids);
    *pos = ft_xmalloc((size_t)w->R * n * sizeof **pos);
    for (int r = 0; r < w->R; r++) {
        int i = r / K, len = lens[i] ? lens[i] : 1, padn = n - len;
        const int32_t *p = lens[i] ? prompts[i] : (const int32_t *)&bos;
        for (int t = 0; t < n; t++) {
            int real = t >= padn;
            w->seq[(size_t)r * w->maxT + t] = real ? p[t - padn] : pad;
            w->mask[(size_t)r * w->maxT + t] = real;
            (*ids)[(size_t)r * n + t] = w->seq[(size_t)r * w->maxT + t];
            (*pos)[(size_t)r * n + t] = real ? t - padn : 1;
        }
        w->npos[r] = len;
    }
}

static void rows_free(rows *w)
{
    free(w->seq); free(w->mask); free(w->cm); free(w->npos);
    free(w->seq2); free(w->mask2); free(w->npos2);
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

static void gen_beam(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                     const ft_gen_opts *o, int pad, int bos, int32_t **out, int *out_len)
{
    const ft_decode_spec *c = &m->gen;
    int V = c->vocab_size, K = o->num_beams;
    rows w;
    int32_t *ids, *pos;
    rows_init(&w, c, B, K, prompts, lens, o->max_new_tokens, pad, bos, &ids, &pos);
    int R = w.R, max_new = w.maxT - w.n;
    /* the beam rows start with a placeholder that stands for the prompt */
    ft_beam *bs = ft_beam_new(B, K, max_new, o->length_penalty, o->early_stopping, o->eos_token_id, pad, pad);
    float *lp = ft_xmalloc((size_t)R * V * sizeof *lp);
    int32_t *tok = ft_xmalloc(R * sizeof *tok), *np = ft_xmalloc(R * sizeof *np);
    int *src = ft_xmalloc(R * sizeof *src);
    ft_decoder *kc = m->vt->decode_begin(m, R, w.maxT, NULL);
    m->vt->decode_step(m, kc, ids, pos, rows_mask(&w), w.n, lp);
    for (;;) {
        ft_log_softmax_rows(lp, R, V);
        for (int r = 0; r < R; r++)
            ft_process_logits(&o->s, lp + (size_t)r * V, V, w.seq + (size_t)r * w.maxT, w.T);
        if (ft_beam_step(bs, lp, V, tok, src)) break;
        m->vt->decode_reorder(m, kc, src);
        rows_reorder(&w, src);
        rows_push(&w, tok, np);
        m->vt->decode_step(m, kc, tok, np, rows_mask(&w), 1, lp);
    }
    ft_beam_take_best(bs, B, out, out_len);
    m->vt->decode_end(kc);
    ft_beam_free(bs);
    rows_free(&w);
    free(ids); free(pos); free(lp); free(tok); free(np); free(src);
}

void ft_generate_causal(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                        const ft_gen_opts *o, long first_row, int32_t **out, int *out_len)
{
    if (!m->vt->decode_begin) ft_die("generation is not supported for %s", m->arch);
    const ft_decode_spec *c = &m->gen;
    int V = c->vocab_size, eos = o->eos_token_id;
    int pad = o->pad_token_id >= 0 ? o->pad_token_id : eos >= 0 ? eos : 0;
    int bos = c->bos_token_id >= 0 ? c->bos_token_id : eos >= 0 ? eos : 0;
    if (o->num_beams > 1 && o->max_new_tokens > 0) {
        gen_beam(m, B, prompts, lens, o, pad, bos, out, out_len);
        return;
    }
    rows w;
    int32_t *ids, *pos;
    rows_init(&w, c, B, 1, prompts, lens, o->max_new_tokens, pad, bos, &ids, &pos);
    int *done = ft_xcalloc(B, sizeof *done);
    int32_t *nid = ft_xmalloc(B * sizeof *nid), *np = ft_xmalloc(B * sizeof *np);
    float *logits = ft_xmalloc((size_t)B * V * sizeof *logits);
    ft_rng *rng = ft_xmalloc(B * sizeof *rng);
    for (int i = 0; i < B; i++) {
        out[i] = ft_xmalloc((o->max_new_tokens + 1) * sizeof **out);
        out_len[i] = 0;
        ft_rng_seed(&rng[i], ft_key_mix(o->s.seed, (uint64_t)(first_row + i)));
    }
    ft_decoder *kc = m->vt->decode_begin(m, B, w.maxT, NULL);
    m->vt->decode_step(m, kc, ids, pos, rows_mask(&w), w.n, logits);
    for (int step = 0; step < o->max_new_tokens && w.T < w.maxT; step++) {
        int all_done = 1;
        for (int i = 0; i < B; i++) {
            int32_t tok = pad;
            if (!done[i]) {
                tok = ft_next_token(&o->s, logits + (size_t)i * V, V, w.seq + (size_t)i * w.maxT, w.T, &rng[i]);
                out[i][out_len[i]++] = tok;
                if (tok == eos) done[i] = 1;
            }
            all_done &= done[i];
            nid[i] = tok;
        }
        rows_push(&w, nid, np);
        if (all_done || step + 1 == o->max_new_tokens || w.T >= w.maxT) break;
        m->vt->decode_step(m, kc, nid, np, rows_mask(&w), 1, logits);
    }
    m->vt->decode_end(kc);
    rows_free(&w);
    free(ids); free(pos); free(done); free(nid); free(np); free(logits); free(rng);
}
