/* spans: DataCollatorForT5MLM's span corruption.  See spans.h. */
#include "spans.h"
#include "spans_internal.h"
#include "rng.h"
#include "tokenizer.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ft_spans *ft_spans_from_tokenizer(const char *dir, double noise_density, double mean_span)
{
    if (!(noise_density > 0 && noise_density < 1))
        ft_die("--mlm-probability %g: span corruption needs a noise density in (0, 1)", noise_density);
    if (!(mean_span >= 1)) ft_die("--mean-noise-span-length %g: must be at least 1", mean_span);
    char *err = NULL;
    ft_tokenizer *t = ft_tok_load(dir, &err);
    if (!t) ft_die("span corruption needs the model's tokenizer (for its sentinels <extra_id_N>): %s", err);
    ft_spans *c = ft_xcalloc(1, sizeof *c);
    c->noise_density = noise_density;
    c->mean_span = mean_span;
    char name[32];
    for (;;) {
        int n = snprintf(name, sizeof name, "<extra_id_%d>", c->nsentinels);
        int id = ft_tok_token_to_id(t, name, (size_t)n);
        if (id < 0) break;
        c->sentinel = ft_xrealloc(c->sentinel, (c->nsentinels + 1) * sizeof *c->sentinel);
        c->sentinel[c->nsentinels++] = id;
    }
    if (!c->nsentinels)
        ft_die("%s: the tokenizer has no sentinel tokens (<extra_id_0> ...): span corruption needs a T5-style vocabulary", dir);
    c->eos_id = ft_tok_token_to_id(t, "</s>", 4);
    c->pad_id = ft_tok_pad_id(t);
    if (c->eos_id < 0) ft_die("%s: the tokenizer has no </s> (span corruption ends inputs and labels with it)", dir);
    if (c->pad_id < 0) c->pad_id = 0;
    ft_tok_free(t);
    return c;
}

ft_spans *ft_spans_for_model(const char *dir, double noise_density, double mean_span)
{
    char *cp = ft_xasprintf("%s/config.json", dir);
    ft_config *cfg = ft_config_load(cp);
    const ft_family *f = ft_family_of(ft_config_str(cfg, "model_type", ""));
    if (!f || !f->span_corruption) {
        char can[256] = "";
        for (const ft_family *const *g = ft_families(); *g; g++)
            if ((*g)->span_corruption)
                snprintf(can + strlen(can), sizeof can - strlen(can), "%s%s models (model_type \"%s\")",
                         *can ? ", " : "", (*g)->name, (*g)->model_type);
        ft_die("%s: --task span-corruption pretrains %s, not \"%s\"", cp, can, ft_config_str(cfg, "model_type", "?"));
    }
    ft_config_free(cfg);
    free(cp);
    return ft_spans_from_tokenizer(dir, noise_density, mean_span);
}

int ft_task_is_span_corruption(const char **task)
{
    if (strcmp(*task, "span-corruption")) return 0;
    *task = "seq2seq";
    return 1;
}

void ft_spans_free(ft_spans *c)
{
    if (!c) return;
    free(c->sentinel);
    free(c);
}

/* numpy's round and Python's round(): halves to even (rint in the default mode) */
void ft_spans_counts(double noise_density, double mean_span, int n, int *noise, int *spans)
{
    int k = (int)rint(n * noise_density);
    int nonnoise_before = n - k;        /* HF takes the min() below before clamping */
    k = k < 1 ? 1 : k > n - 1 ? n - 1 : k;
    int s = (int)rint((k < nonnoise_before ? k : nonnoise_before) / mean_span);
    *noise = k;
    *spans = s < 1 ? 1 : s;
}

void ft_spans_lengths(double noise_density, double mean_span, int inputs_length,
                      int *tokens_length, int *targets_length)
{
    /* compute_input_and_target_lengths: the longest block whose inputs
       (non-noise + one sentinel per span + </s>) fit */
    int tokens = inputs_length;
    for (;;) {
        int k = (int)rint((tokens + 1) * noise_density);
        int s = (int)rint(k / mean_span);
        if ((tokens + 1) - k + s + 1 > inputs_length) break;
        tokens++;
    }
    int k = (int)rint(tokens * noise_density), s = (int)rint(k / mean_span);
    int out = k + s + 1;
    if (noise_density == 0.5 && out > inputs_length) { tokens--; out--; }
    *tokens_length = tokens;
    *targets_length = out;
}

/* Fisher-Yates over m elements as numpy's shuffle: i from m-1 down to 1 */
static int shuffle_draws(int m, ft_rng *r, uint32_t *draws)
{
    int t = 0;
    for (int i = m - 1; i >= 1; i--) draws[t++] = (uint32_t)(ft_rng_u64(r) % (uint64_t)(i + 1));
    return t;
}

int ft_spans_draw(const ft_spans *c, int n, uint64_t key, uint32_t *draws)
{
    int noise, spans;
    ft_spans_counts(c->noise_density, c->mean_span, n, &noise, &spans);
    ft_rng r;
    ft_rng_seed(&r, key);
    int t = shuffle_draws(noise - 1, &r, draws);
    return t + shuffle_draws(n - noise - 1, &r, draws + t);
}

/* _random_segmentation: num_items cut into num_segments non-empty runs; the
   cut points are the first num_segments-1 of num_items-1 slots, shuffled. */
static const uint32_t *segment(int items, int segments, const uint32_t *draws, uint8_t *slot, int *len)
{
    int m = items - 1;
    for (int i = 0; i < m; i++) slot[i] = i < segments - 1;
    for (int i = m - 1; i >= 1; i--) {
        uint32_t j = *draws++;
        uint8_t x = slot[i]; slot[i] = slot[j]; slot[j] = x;
    }
    int s = 0;
    len[0] = 1;
    for (int i = 0; i < m; i++) {
        if (slot[i]) len[++s] = 1;
        else len[s]++;
    }
    return draws;
}

void ft_spans_noise_mask(const ft_spans *c, int n, const uint32_t *draws, uint8_t *is_noise)
{
    int noise, spans;
    ft_spans_counts(c->noise_density, c->mean_span, n, &noise, &spans);
    /* scratch: the slots (n) and both length lists (spans each) */
    uint8_t *slot = ft_xmalloc((size_t)n);
    int *noise_len = ft_xmalloc(2 * (size_t)spans * sizeof *noise_len), *plain_len = noise_len + spans;
    draws = segment(noise, spans, draws, slot, noise_len);
    segment(n - noise, spans, draws, slot, plain_len);
    int p = 0;
    for (int s = 0; s < spans; s++) {       /* interleaved, a non-noise run first */
        for (int i = 0; i < plain_len[s]; i++) is_noise[p++] = 0;
        for (int i = 0; i < noise_len[s]; i++) is_noise[p++] = 1;
    }
    free(slot);
    free(noise_len);
}

/* Sentinel *k, then the next one; a block with more spans than sentinels is an error */
static int32_t next_sentinel(const ft_spans *c, int *k, int n)
{
    if (*k == c->nsentinels)
        ft_die("span corruption: a block of %d tokens needs more than the tokenizer's %d sentinels "
               "(use shorter blocks or a longer --mean-noise-span-length)", n, c->nsentinels);
    return c->sentinel[(*k)++];
}

void ft_spans_apply(const ft_spans *c, const int32_t *ids, int n, const uint8_t *is_noise,
                    int32_t *inputs, int *ninputs, int32_t *labels, int *nlabels)
{
    /* a noise span is a sentinel in the inputs and its tokens in the labels; a
       non-noise run is the reverse (the labels' sentinels number those runs) */
    int ni = 0, nl = 0, in_sent = 0, lab_sent = 0;
    for (int i = 0; i < n; i++) {
        int start = i == 0 || is_noise[i] != is_noise[i - 1];
        if (is_noise[i]) {
            if (start) inputs[ni++] = next_sentinel(c, &in_sent, n);
            labels[nl++] = ids[i];
        } else {
            if (start) labels[nl++] = next_sentinel(c, &lab_sent, n);
            inputs[ni++] = ids[i];
        }
    }
    inputs[ni++] = c->eos_id;
    labels[nl++] = c->eos_id;
    *ninputs = ni;
    *nlabels = nl;
}

#define GROW(p, n) ((p) = ft_xrealloc((p), (n) * sizeof *(p)))

size_t ft_spans_corrupt_batch(const ft_spans *c, ft_spans_buf *buf, ft_batch *b, uint64_t key)
{
    int B = b->B, T = b->T;
    size_t row = (size_t)T + 1;
    if ((size_t)B * row > buf->cap) {
        buf->cap = (size_t)B * row;
        GROW(buf->ids, buf->cap); GROW(buf->mask, buf->cap); GROW(buf->labels, buf->cap);
        GROW(buf->row_in, buf->cap); GROW(buf->row_lab, buf->cap);
        buf->row_cap = 0;
    }
    if (row > buf->row_cap) {
        buf->row_cap = row;
        GROW(buf->tokens, row); GROW(buf->draws, row); GROW(buf->noise, row);
    }
    int *nin = ft_xmalloc(2 * (size_t)B * sizeof *nin), *nlab = nin + B, Ti = 0, Tl = 0;
    for (int r = 0; r < B; r++) {
        int n = 0;                          /* the row's tokens: those with attention 1 */
        for (int j = 0; j < T; j++)
            if (!b->attention_mask || b->attention_mask[(size_t)r * T + j]) buf->tokens[n++] = b->input_ids[(size_t)r * T + j];
        if (n < 2) ft_die("span corruption: a block of %d token%s (at least 2 are needed)", n, n == 1 ? "" : "s");
        ft_spans_draw(c, n, ft_key_mix(key, (uint64_t)r), buf->draws);
        ft_spans_noise_mask(c, n, buf->draws, buf->noise);
        ft_spans_apply(c, buf->tokens, n, buf->noise, buf->row_in + (size_t)r * row, &nin[r],
                       buf->row_lab + (size_t)r * row, &nlab[r]);
        if (nin[r] > Ti) Ti = nin[r];
        if (nlab[r] > Tl) Tl = nlab[r];
    }
    size_t labelled = 0;
    for (int r = 0; r < B; r++) {           /* pack to [B, Ti] and [B, Tl] */
        for (int j = 0; j < Ti; j++) {
            int in = j < nin[r];
            buf->ids[(size_t)r * Ti + j] = in ? buf->row_in[(size_t)r * row + j] : c->pad_id;
            buf->mask[(size_t)r * Ti + j] = in;
        }
        for (int j = 0; j < Tl; j++)
            buf->labels[(size_t)r * Tl + j] = j < nlab[r] ? buf->row_lab[(size_t)r * row + j] : -100;
        labelled += (size_t)nlab[r];
    }
    free(nin);
    b->input_ids = buf->ids;
    b->attention_mask = buf->mask;
    b->token_type_ids = NULL;
    b->labels = buf->labels;
    b->T = Ti;
    b->Tl = Tl;
    return labelled;
}

void ft_spans_buf_free(ft_spans_buf *buf)
{
    free(buf->ids); free(buf->mask); free(buf->labels); free(buf->row_in); free(buf->row_lab);
    free(buf->tokens); free(buf->draws); free(buf->noise);
    *buf = (ft_spans_buf){0};
}
