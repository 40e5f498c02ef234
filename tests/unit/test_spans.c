/* T5 span corruption (DataCollatorForT5MLM's rule) on the real codet5-base
   and t5-small tokenizers in $FT_SHARED/models: sentinels, lengths, the
   statistics of many draws, the layout of inputs and targets, batches. */
#include "spans.h"
#include "spans_internal.h"
#include "rng.h"
#include "test.h"
#include "util.h"
#include <string.h>

static char codet5[512], t5small[512];

static void test_from_tokenizer(void)
{
    ft_spans *c = ft_spans_from_tokenizer(codet5, 0.15, 3.0);
    /* CodeT5: 32100 ids, <extra_id_0> = 32099 counting down to <extra_id_99> = 32000 */
    CHECK(c->nsentinels == 100);
    CHECK(c->sentinel[0] == 32099 && c->sentinel[1] == 32098 && c->sentinel[99] == 32000);
    CHECK(c->eos_id == 2 && c->pad_id == 0);
    ft_spans_free(c);
    c = ft_spans_from_tokenizer(t5small, 0.15, 3.0);      /* sentencepiece T5: </s> = 1 */
    CHECK(c->nsentinels == 100 && c->sentinel[0] == 32099 && c->sentinel[99] == 32000);
    CHECK(c->eos_id == 1 && c->pad_id == 0);
    ft_spans_free(c);
}

/* compute_input_and_target_lengths: run_t5_mlm_flax's 512 → 568 / 114 */
static void test_lengths(void)
{
    int tokens, targets;
    ft_spans_lengths(0.15, 3.0, 512, &tokens, &targets);
    CHECK(tokens == 568 && targets == 114);
    ft_spans_lengths(0.15, 3.0, 128, &tokens, &targets);
    CHECK(tokens == 141 && targets == 29);
    /* the blocks then corrupt to exactly those lengths */
    int noise, spans;
    ft_spans_counts(0.15, 3.0, 568, &noise, &spans);
    CHECK(568 - noise + spans + 1 == 512 && noise + spans + 1 == 114);
    ft_spans_counts(0.15, 3.0, 30, &noise, &spans);      /* np.round(4.5) = 4 (half to even), round(4/3) = 1 */
    CHECK(noise == 4 && spans == 1);
    ft_spans_counts(0.15, 3.0, 3, &noise, &spans);       /* round(0.45) = 0, raised to 1 */
    CHECK(noise == 1 && spans == 1);
    ft_spans_counts(0.5, 2.0, 20, &noise, &spans);
    CHECK(noise == 10 && spans == 5);
}

/* One corrupted block read back: inputs = non-noise runs with <extra_id_k>
   in order for each noise span, targets = <extra_id_k> + span, both ending in
   </s>; putting the spans back gives the block. */
static int layout_ok(const ft_spans *c, const int32_t *ids, int n, const uint8_t *noise,
                     const int32_t *in, int nin, const int32_t *lab, int nlab, int want_spans)
{
    if (in[nin - 1] != c->eos_id || lab[nlab - 1] != c->eos_id) return 0;
    int32_t *back = malloc((size_t)(n + 1) * sizeof *back);
    int nb = 0, k = 0, l = 0, ok = 1;
    if (lab[0] != c->sentinel[0]) ok = 0;
    for (int i = 0; i < nin - 1 && ok; i++) {
        if (in[i] >= 32000) {                           /* a sentinel: must be the next one */
            if (in[i] != c->sentinel[k]) { ok = 0; break; }
            /* its span in the targets: behind the same sentinel, up to the next */
            while (l < nlab - 1 && lab[l] != c->sentinel[k]) l++;
            if (l == nlab - 1) { ok = 0; break; }
            for (l++; l < nlab - 1 && lab[l] < 32000; l++) back[nb++] = lab[l];
            k++;
        } else back[nb++] = in[i];
    }
    ok = ok && k == want_spans && nb == n && !memcmp(back, ids, (size_t)n * sizeof *ids);
    /* no sentinel inside a span: a sentinel stands where noise starts, nowhere else */
    int starts = 0;
    for (int i = 0; i < n; i++) starts += noise[i] && (i == 0 || !noise[i - 1]);
    ok = ok && starts == want_spans && !noise[0];
    free(back);
    return ok;
}

static void test_statistics(void)
{
    ft_spans *c = ft_spans_from_tokenizer(codet5, 0.15, 3.0);
    enum { N = 141, DRAWS = 20000 };
    int32_t ids[N], in[N + 1], lab[N + 1];
    for (int i = 0; i < N; i++) ids[i] = 100 + i;
    uint32_t draws[N];
    uint8_t noise[N];
    int want_noise, want_spans;
    ft_spans_counts(0.15, 3.0, N, &want_noise, &want_spans);
    long noise_total = 0, spans_total = 0, bad = 0, pos_noise[N] = {0}, len_hist[N + 1] = {0};
    for (int d = 0; d < DRAWS; d++) {
        ft_spans_draw(c, N, ft_key_mix(99, (uint64_t)d), draws);
        ft_spans_noise_mask(c, N, draws, noise);
        int nin, nlab, k = 0, run = 0;
        ft_spans_apply(c, ids, N, noise, in, &nin, lab, &nlab);
        bad += nin != N - want_noise + want_spans + 1 || nlab != want_noise + want_spans + 1;
        bad += !layout_ok(c, ids, N, noise, in, nin, lab, nlab, want_spans);
        for (int i = 0; i < N; i++) {
            noise_total += noise[i];
            pos_noise[i] += noise[i];
            if (noise[i]) run++;
            if (run && (!noise[i] || i == N - 1)) { len_hist[run]++; k++; run = 0; }
        }
        spans_total += k;
    }
    CHECK(bad == 0);
    /* the noise density and mean span length asked for (21 of 141 in 7 spans) */
    CHECK_NEAR((double)noise_total / ((double)DRAWS * N), 0.15, 0.002);
    CHECK_NEAR((double)noise_total / spans_total, 3.0, 0.01);
    /* spans are random: every position but the first is noise about as often
       (the first run is always non-noise, as in HF) */
    CHECK(pos_noise[0] == 0);
    double lo = 1, hi = 0;
    for (int i = 10; i < N - 10; i++) {
        double f = (double)pos_noise[i] / DRAWS;
        lo = f < lo ? f : lo; hi = f > hi ? f : hi;
    }
    CHECK(lo > 0.12 && hi < 0.18);
    /* span lengths vary (a random segmentation, not all 3) */
    CHECK(len_hist[1] > DRAWS && len_hist[3] > DRAWS / 2 && len_hist[8] > 0);
    /* the same key, the same spans; another key, others */
    uint8_t a[N], b[N];
    ft_spans_draw(c, N, 5, draws); ft_spans_noise_mask(c, N, draws, a);
    ft_spans_draw(c, N, 5, draws); ft_spans_noise_mask(c, N, draws, b);
    CHECK(!memcmp(a, b, N));
    ft_spans_draw(c, N, 6, draws); ft_spans_noise_mask(c, N, draws, b);
    CHECK(memcmp(a, b, N) != 0);
    ft_spans_free(c);
}

/* A batch: each row corrupted as on its own with key (key, row); a short
   row (padding) gives shorter inputs and targets, padded with <pad> / -100. */
static void test_batch(void)
{
    ft_spans *c = ft_spans_from_tokenizer(codet5, 0.15, 3.0);
    enum { B = 3, T = 60 };
    int32_t ids[B * T], am[B * T];
    for (int i = 0; i < B * T; i++) { ids[i] = 5 + i; am[i] = 1; }
    for (int t = 40; t < T; t++) { am[T + t] = 0; ids[T + t] = 0; }    /* row 1: 40 tokens */
    ft_batch b = {.B = B, .T = T, .input_ids = ids, .attention_mask = am, .labels = NULL};
    ft_spans_buf buf = {0};
    size_t labelled = ft_spans_corrupt_batch(c, &buf, &b, 77);
    int noise, spans, noise40, spans40;
    ft_spans_counts(0.15, 3.0, T, &noise, &spans);
    ft_spans_counts(0.15, 3.0, 40, &noise40, &spans40);
    CHECK(b.T == T - noise + spans + 1 && b.Tl == noise + spans + 1);
    CHECK(labelled == (size_t)(2 * (noise + spans + 1) + noise40 + spans40 + 1));
    for (int r = 0; r < B; r++) {
        int n = r == 1 ? 40 : T, nin, nlab;
        uint32_t draws[T];
        uint8_t mask[T];
        int32_t in[T + 1], lab[T + 1];
        ft_spans_draw(c, n, ft_key_mix(77, (uint64_t)r), draws);
        ft_spans_noise_mask(c, n, draws, mask);
        ft_spans_apply(c, ids + r * T, n, mask, in, &nin, lab, &nlab);
        CHECK(!memcmp(b.input_ids + r * b.T, in, nin * sizeof *in));
        CHECK(!memcmp(b.labels + r * b.Tl, lab, nlab * sizeof *lab));
        for (int j = 0; j < b.T; j++) CHECK(b.attention_mask[r * b.T + j] == (j < nin));
        for (int j = nin; j < b.T; j++) CHECK(b.input_ids[r * b.T + j] == c->pad_id);
        for (int j = nlab; j < b.Tl; j++) CHECK(b.labels[r * b.Tl + j] == -100);
    }
    ft_spans_buf_free(&buf);
    ft_spans_free(c);
}

int main(void)
{
    snprintf(codet5, sizeof codet5, "%s/models/codet5-base", test_shared());
    snprintf(t5small, sizeof t5small, "%s/models/t5-small", test_shared());
    RUN(test_from_tokenizer);
    RUN(test_lengths);
    RUN(test_statistics);
    RUN(test_batch);
    TEST_MAIN_END();
}
