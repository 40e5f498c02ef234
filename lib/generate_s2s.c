/* generate_s2s: greedy, beam and sampled decoding for T5.  See generate_s2s.h. */
#include "generate_s2s.h"
#include "beam.h"
#include "sampling.h"
#include "rng.h"
#include "t5.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ft_s2s_opts_default(ft_s2s_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_new_tokens = 20;
    o->num_beams = 1;
    o->length_penalty = 1.0f;
    o->temperature = 1.0f;
    o->top_k = 50;
    o->top_p = 1.0f;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* HF warpers in order: temperature, top-k, top-p; then softmax and a draw. */
static int sample_row(float *x, int V, const ft_s2s_opts *o, ft_rng *rng, float *tmp)
{
    if (o->temperature > 0 && o->temperature != 1.0f)
        for (int v = 0; v < V; v++) x[v] /= o->temperature;
    if (o->top_k > 0 && o->top_k < V) {
        memcpy(tmp, x, V * sizeof *tmp);
        qsort(tmp, V, sizeof *tmp, cmp_desc);
        float kth = tmp[o->top_k - 1];
        for (int v = 0; v < V; v++) if (x[v] < kth) x[v] = -INFINITY;
    }
    float mx = -INFINITY;
    for (int v = 0; v < V; v++) if (x[v] > mx) mx = x[v];
    double s = 0;
    for (int v = 0; v < V; v++) s += exp((double)x[v] - mx);
    if (o->top_p < 1.0f) {
        /* keep the smallest set of top tokens whose probability reaches top_p
           (HF: drop tokens whose ascending cumulative mass is ≤ 1 − top_p) */
        memcpy(tmp, x, V * sizeof *tmp);
        qsort(tmp, V, sizeof *tmp, cmp_desc);
        double cum = 0, thr = -INFINITY;
        for (int i = 0; i < V; i++) {
            cum += exp((double)tmp[i] - mx) / s;
            thr = tmp[i];
            if (cum >= o->top_p) break;
        }
        for (int v = 0; v < V; v++) if (x[v] < thr) x[v] = -INFINITY;
        s = 0;
        for (int v = 0; v < V; v++) s += exp((double)x[v] - mx);
    }
    double u = ft_rng_uniform(rng) * s, c = 0;
    int last = 0;
    for (int v = 0; v < V; v++) {
        if (x[v] == -INFINITY) continue;
        c += exp((double)x[v] - mx);
        last = v;
        if (c > u) return v;
    }
    return last;
}

static void gen_simple(ft_model *m, const int32_t *ids, const int32_t *mask, int B, int T,
                       const ft_s2s_opts *o, int32_t **out, int *lens)
{
    const ft_t5_config *c = ft_t5_get_config(m);
    int V = c->vocab_size, N = o->max_new_tokens;
    ft_t5_state *s = ft_t5_state_new(m, ids, mask, B, T, 1, N);
    float *logits = ft_xmalloc((size_t)B * V * sizeof *logits), *tmp = ft_xmalloc(V * sizeof *tmp);
    int32_t *seq = ft_xmalloc((size_t)B * (N + 1) * sizeof *seq), *tok = ft_xmalloc(B * sizeof *tok);
    int *done = ft_xcalloc(B, sizeof *done);
    ft_rng rng;
    ft_rng_seed(&rng, o->seed);
    for (int b = 0; b < B; b++) { seq[b * (N + 1)] = tok[b] = c->decoder_start_token_id; lens[b] = 0; }
    for (int t = 0; t < N; t++) {
        ft_t5_decode_step(m, s, tok, logits);
        int all = 1;
        for (int b = 0; b < B; b++) {
            float *row = logits + (size_t)b * V;
            ft_ban_repeat_ngrams(row, seq + b * (N + 1), t + 1, o->no_repeat_ngram_size);
            int next;
            if (o->do_sample) next = sample_row(row, V, o, &rng, tmp);
            else { next = 0; for (int v = 1; v < V; v++) if (row[v] > row[next]) next = v; }
            if (done[b]) next = c->pad_token_id;
            else { lens[b]++; if (next == c->eos_token_id) done[b] = 1; }
            seq[b * (N + 1) + t + 1] = tok[b] = next;
            all &= done[b];
        }
        if (all) break;
    }
    for (int b = 0; b < B; b++) {
        out[b] = ft_xmalloc((lens[b] + 1) * sizeof **out);
        memcpy(out[b], seq + b * (N + 1) + 1, lens[b] * sizeof **out);
    }
    ft_t5_state_free(s);
    free(logits); free(tmp); free(seq); free(tok); free(done);
}

static void gen_beam(ft_model *m, const int32_t *ids, const int32_t *mask, int B, int T,
                     const ft_s2s_opts *o, int32_t **out, int *lens)
{
    const ft_t5_config *c = ft_t5_get_config(m);
    int V = c->vocab_size, K = o->num_beams, R = B * K, N = o->max_new_tokens;
    ft_t5_state *s = ft_t5_state_new(m, ids, mask, B, T, K, N);
    ft_beam *bs = ft_beam_new(B, K, N, o->length_penalty, o->early_stopping, c->eos_token_id,
                              c->pad_token_id, c->decoder_start_token_id);
    float *lp = ft_xmalloc((size_t)R * V * sizeof *lp);
    int32_t *tok = ft_xmalloc(R * sizeof *tok);
    int *src = ft_xmalloc(R * sizeof *src);
    for (int r = 0; r < R; r++) tok[r] = c->decoder_start_token_id;
    for (;;) {
        ft_t5_decode_step(m, s, tok, lp);
        ft_log_softmax_rows(lp, R, V);
        for (int r = 0; r < R; r++) {
            int len;
            const int32_t *row = ft_beam_row(bs, r, &len);
            ft_ban_repeat_ngrams(lp + (size_t)r * V, row, len, o->no_repeat_ngram_size);
        }
        int over = ft_beam_step(bs, lp, V, tok, src);
        if (over) break;
        ft_t5_state_reorder(s, src);
    }
    for (int b = 0; b < B; b++) {
        const int32_t *best = ft_beam_best(bs, b, &lens[b], NULL);
        out[b] = ft_xmalloc((lens[b] + 1) * sizeof **out);
        if (lens[b]) memcpy(out[b], best, lens[b] * sizeof **out);
    }
    ft_beam_free(bs);
    ft_t5_state_free(s);
    free(lp); free(tok); free(src);
}

void ft_s2s_generate(ft_model *m, const int32_t *ids, const int32_t *mask, int B, int T,
                     const ft_s2s_opts *o, int32_t **out, int *lens)
{
    if (strcmp(m->arch, "T5ForConditionalGeneration") != 0)
        ft_die("seq2seq generation needs an encoder-decoder model (T5), not %s", m->arch);
    if (o->max_new_tokens < 1) ft_die("--max-new-tokens must be at least 1");
    if (o->num_beams > 1) {
        if (o->do_sample) ft_die("beam sampling (--num-beams with --do-sample) is not supported");
        gen_beam(m, ids, mask, B, T, o, out, lens);
    } else gen_simple(m, ids, mask, B, T, o, out, lens);
}
