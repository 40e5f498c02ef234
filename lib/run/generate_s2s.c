/* generate_s2s: the decoding loops of HF's generate() for an encoder-decoder
 * model (T5); ft_generate (generate.c) dispatches here.
 *
 * Inputs are right-padded into one [B,T] batch with an attention mask; the
 * encoder runs once, the decoder one token per row per step with a
 * self-attention key/value cache and cross-attention keys/values computed
 * once.  Every row starts from decoder_start_token_id.  Greedy and sampling
 * pick tokens with ft_next_token (sampling.h); a row that produced eos keeps
 * receiving pad tokens (not reported).  Beam search (beam.h) expands each
 * input to num_beams rows, applies log_softmax and the processors of
 * sampling.h, and reorders the cache by the rows each step continues. */
#include "generate.h"
#include "beam.h"
#include "rng.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static void gen_simple(ft_model *m, const int32_t *ids, const int32_t *mask, int B, int T,
                       const ft_gen_opts *o, long first_row, int32_t **out, int *lens)
{
    const ft_decode_spec *c = &m->gen;
    int V = c->vocab_size, N = o->max_new_tokens, eos = o->eos_token_id;
    int pad = o->pad_token_id >= 0 ? o->pad_token_id : c->pad_token_id;
    ft_encoder_input in = { ids, mask, B, T };
    ft_decoder *s = m->vt->decode_begin(m, B, N, &in);
    float *logits = ft_xmalloc((size_t)B * V * sizeof *logits);
    int32_t *seq = ft_xmalloc((size_t)B * (N + 1) * sizeof *seq), *tok = ft_xmalloc(B * sizeof *tok);
    int *done = ft_xcalloc(B, sizeof *done);
    ft_rng *rng = ft_xmalloc(B * sizeof *rng);
    for (int b = 0; b < B; b++) {
        seq[b * (N + 1)] = tok[b] = c->decoder_start_token_id;
        lens[b] = 0;
        ft_rng_seed(&rng[b], ft_key_mix(o->s.seed, (uint64_t)(first_row + b)));
    }
    for (int t = 0; t < N; t++) {
        m->vt->decode_step(m, s, tok, NULL, NULL, 1, logits);
        int all = 1;
        for (int b = 0; b < B; b++) {
            int next = pad;
            if (!done[b]) {
                next = ft_next_token(&o->s, logits + (size_t)b * V, V, seq + b * (N + 1), t + 1, &rng[b]);
                lens[b]++;
                if (next == eos) done[b] = 1;
            }
            seq[b * (N + 1) + t + 1] = tok[b] = next;
            all &= done[b];
        }
        if (all) break;
    }
    for (int b = 0; b < B; b++) {
        out[b] = ft_xmalloc((lens[b] + 1) * sizeof **out);
        memcpy(out[b], seq + b * (N + 1) + 1, lens[b] * sizeof **out);
    }
    m->vt->decode_end(s);
    free(logits); free(seq); free(tok); free(done); free(rng);
}

static void gen_beam(ft_model *m, const int32_t *ids, const int32_t *mask, int B, int T,
                     const ft_gen_opts *o, int32_t **out, int *lens)
{
    const ft_decode_spec *c = &m->gen;
    int V = c->vocab_size, K = o->num_beams, R = B * K, N = o->max_new_tokens;
    int pad = o->pad_token_id >= 0 ? o->pad_token_id : c->pad_token_id;
    ft_encoder_input in = { ids, mask, B, T };
    ft_decoder *s = m->vt->decode_begin(m, R, N, &in);
    ft_beam *bs = ft_beam_new(B, K, N, o->length_penalty, o->early_stopping, o->eos_token_id,
                              pad, c->decoder_start_token_id);
    float *lp = ft_xmalloc((size_t)R * V * sizeof *lp);
    int32_t *tok = ft_xmalloc(R * sizeof *tok);
    int *src = ft_xmalloc(R * sizeof *src);
    for (int r = 0; r < R; r++) tok[r] = c->decoder_start_token_id;
    for (;;) {
        m->vt->decode_step(m, s, tok, NULL, NULL, 1, lp);
        ft_log_softmax_rows(lp, R, V);
        for (int r = 0; r < R; r++) {
            int len;
            const int32_t *row = ft_beam_row(bs, r, &len);
            ft_process_logits(&o->s, lp + (size_t)r * V, V, row, len);
        }
        if (ft_beam_step(bs, lp, V, tok, src)) break;
        m->vt->decode_reorder(m, s, src);
    }
    ft_beam_take_best(bs, B, out, lens);
    ft_beam_free(bs);
    m->vt->decode_end(s);
    free(lp); free(tok); free(src);
}

void ft_generate_s2s(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                     const ft_gen_opts *o, long first_row, int32_t **out, int *out_len)
{
    if (!m->vt->decode_begin) ft_die("generation is not supported for %s", m->arch);
    if (o->max_new_tokens == 0) {
        for (int b = 0; b < B; b++) { out[b] = ft_xmalloc(sizeof **out); out_len[b] = 0; }
        return;
    }
    int pad = o->pad_token_id >= 0 ? o->pad_token_id : m->gen.pad_token_id, T = 1;
    for (int b = 0; b < B; b++) if (lens[b] > T) T = lens[b];
    int32_t *ids = ft_xmalloc((size_t)B * T * sizeof *ids), *mask = ft_xmalloc((size_t)B * T * sizeof *mask);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            ids[(size_t)b * T + t] = t < lens[b] ? prompts[b][t] : pad;
            mask[(size_t)b * T + t] = t < lens[b];
        }
    if (o->num_beams > 1) gen_beam(m, ids, mask, B, T, o, out, out_len);
    else gen_simple(m, ids, mask, B, T, o, first_row, out, out_len);
    free(ids); free(mask);
}
