/* generate_causal: the decoding loop of HF's generate() for a decoder-only
 * model (GPT-2); ft_generate (generate.c) dispatches here.
 *
 * Prompts are left-padded to one length n; position ids are
 * cumsum(attention_mask) − 1 (1 on padding), as GPT-2's
 * prepare_inputs_for_generation makes them.  The first step runs the whole
 * prompt through the model and fills the KV cache; each later step feeds one
 * token per row.  A row that produced EOS keeps receiving pad tokens (which
 * are not reported) until every row is done or max_new_tokens is reached. */
#include "generate.h"
#include "gpt2.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

void ft_generate_causal(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                        const ft_gen_opts *o, long first_row, int32_t **out, int *out_len)
{
    if (strcmp(m->arch, "GPT2LMHeadModel") != 0)
        ft_die("generation is not supported for %s yet", m->arch);
    const ft_gpt2_config *c = ft_gpt2_cfg(m);
    int V = c->vocab_size, eos = o->eos_token_id;
    int pad = o->pad_token_id >= 0 ? o->pad_token_id : eos >= 0 ? eos : 0;
    int bos = c->bos_token_id >= 0 ? c->bos_token_id : eos >= 0 ? eos : 0;
    int n = 1;
    for (int i = 0; i < B; i++) if (lens[i] > n) n = lens[i];
    int maxT = n + o->max_new_tokens;
    if (n >= c->n_positions) ft_die("a prompt of %d tokens leaves no room in n_positions %d", n, c->n_positions);
    if (maxT > c->n_positions) maxT = c->n_positions;
    int32_t *seq = ft_xmalloc((size_t)B * maxT * sizeof *seq);    /* [B,maxT] all tokens */
    int32_t *mask = ft_xmalloc((size_t)B * maxT * sizeof *mask);
    int32_t *ids = ft_xmalloc((size_t)B * n * sizeof *ids), *pos = ft_xmalloc((size_t)B * n * sizeof *pos);
    int32_t *cm = ft_xmalloc((size_t)B * maxT * sizeof *cm);
    int *npos = ft_xcalloc(B, sizeof *npos), *done = ft_xcalloc(B, sizeof *done);
    float *logits = ft_xmalloc((size_t)B * V * sizeof *logits);
    ft_rng *rng = ft_xmalloc(B * sizeof *rng);
    for (int i = 0; i < B; i++) {
        int len = lens[i] ? lens[i] : 1, padn = n - len;
        const int32_t *p = lens[i] ? prompts[i] : (const int32_t *)&bos;
        for (int t = 0; t < n; t++) {
            int real = t >= padn;
            seq[(size_t)i * maxT + t] = real ? p[t - padn] : pad;
            mask[(size_t)i * maxT + t] = real;
            ids[(size_t)i * n + t] = seq[(size_t)i * maxT + t];
            pos[(size_t)i * n + t] = real ? t - padn : 1;
        }
        npos[i] = len;
        out[i] = ft_xmalloc((o->max_new_tokens + 1) * sizeof **out);
        out_len[i] = 0;
        ft_rng_seed(&rng[i], ft_key_mix(o->s.seed, (uint64_t)(first_row + i)));
    }
    ft_gpt2_cache *kc = ft_gpt2_cache_new(m, B, maxT);
    int T = n;
    for (int i = 0; i < B; i++) memcpy(cm + (size_t)i * T, mask + (size_t)i * maxT, T * sizeof *cm);
    ft_gpt2_decode(m, kc, ids, pos, cm, n, logits);
    for (int step = 0; step < o->max_new_tokens && T < maxT; step++) {
        int all_done = 1;
        int32_t nid[B > 0 ? B : 1], np[B > 0 ? B : 1];
        for (int i = 0; i < B; i++) {
            int32_t tok = pad;
            if (!done[i]) {
                tok = ft_next_token(&o->s, logits + (size_t)i * V, V, seq + (size_t)i * maxT, T, &rng[i]);
                out[i][out_len[i]++] = tok;
                if (tok == eos) done[i] = 1;
            }
            all_done &= done[i];
            seq[(size_t)i * maxT + T] = tok;
            mask[(size_t)i * maxT + T] = 1;
            nid[i] = tok;
            np[i] = npos[i]++;
        }
        T++;
        if (all_done || step + 1 == o->max_new_tokens || T >= maxT) break;
        for (int i = 0; i < B; i++) memcpy(cm + (size_t)i * T, mask + (size_t)i * maxT, T * sizeof *cm);
        ft_gpt2_decode(m, kc, nid, np, cm, 1, logits);
    }
    ft_gpt2_cache_free(kc);
    free(seq); free(mask); free(ids); free(pos); free(cm); free(npos); free(done); free(logits); free(rng);
}
