/* beam: HF BeamSearchScorer semantics.  See beam.h. */
#include "beam.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { double score; int32_t *seq; int len; } hyp;

struct ft_beam {
    int B, K, max_new, max_len, pad, cur;        /* cur: tokens per row so far */
    int *eos, n_eos;            /* the ids that end a hypothesis */
    float lp;
    int early;
    int32_t *seqs, *tmp;        /* [B·K, max_len] */
    float *scores;              /* [B·K] running sum of log-probs */
    float *cand_s;              /* [2K] */
    int *cand_i;
    hyp *hyps;                  /* [B·K] kept hypotheses, K per input */
    int *nhyp;
    double *worst;
    int *done;
    int finalized;
};

ft_beam *ft_beam_new(int B, int K, int max_new, float length_penalty, int early_stopping,
                     const int *eos, int n_eos, int pad)
{
    ft_beam *bs = ft_xcalloc(1, sizeof *bs);
    bs->B = B; bs->K = K; bs->max_new = max_new; bs->max_len = max_new + 1;
    bs->eos = ft_xmalloc((n_eos + 1) * sizeof *bs->eos);
    if (n_eos) memcpy(bs->eos, eos, n_eos * sizeof *eos);
    bs->n_eos = n_eos; bs->pad = pad; bs->lp = length_penalty; bs->early = early_stopping;
    bs->cur = 1;
    size_t R = (size_t)B * K;
    bs->seqs = ft_xcalloc(R * bs->max_len, sizeof *bs->seqs);
    bs->tmp = ft_xcalloc(R * bs->max_len, sizeof *bs->tmp);
    bs->scores = ft_xcalloc(R, sizeof *bs->scores);
    bs->cand_s = ft_xcalloc(2 * K, sizeof *bs->cand_s);
    bs->cand_i = ft_xcalloc(2 * K, sizeof *bs->cand_i);
    bs->hyps = ft_xcalloc(R, sizeof *bs->hyps);
    bs->nhyp = ft_xcalloc(B, sizeof *bs->nhyp);
    bs->worst = ft_xcalloc(B, sizeof *bs->worst);
    bs->done = ft_xcalloc(B, sizeof *bs->done);
    for (size_t r = 0; r < R; r++) {
        bs->seqs[r * bs->max_len] = pad;           /* stands for the prompt (or decoder start) */
        bs->scores[r] = r % K ? -1e9f : 0.0f;     /* only the first beam is live at first */
    }
    for (int b = 0; b < B; b++) bs->worst[b] = 1e9;
    return bs;
}

void ft_beam_free(ft_beam *bs)
{
    if (!bs) return;
    for (int i = 0; i < bs->B * bs->K; i++) free(bs->hyps[i].seq);
    free(bs->seqs); free(bs->tmp); free(bs->scores); free(bs->cand_s); free(bs->cand_i);
    free(bs->hyps); free(bs->nhyp); free(bs->worst); free(bs->done); free(bs->eos);
    free(bs);
}

/* BeamHypotheses.add: seq[0..len) (start token first), score already
   normalised; a hypothesis that ended with an eos id keeps it (eos; -1: none
   — HF appends eos to every hypothesis shorter than max_length, which are
   exactly those). */
static void add_hyp(ft_beam *bs, int b, const int32_t *seq, int len, double score, int eos)
{
    hyp *H = bs->hyps + (size_t)b * bs->K;
    int n = bs->nhyp[b];
    if (!(n < bs->K || score > bs->worst[b])) return;
    int slot = n;
    if (n == bs->K) {                        /* replace the worst */
        slot = 0;
        for (int i = 1; i < n; i++) if (H[i].score < H[slot].score) slot = i;
        free(H[slot].seq);
    } else bs->nhyp[b]++;
    H[slot].seq = ft_xmalloc((size_t)(len + 1) * sizeof *H[slot].seq);
    memcpy(H[slot].seq, seq, (size_t)len * sizeof *seq);
    if (eos >= 0) H[slot].seq[len++] = eos;
    H[slot].len = len;
    H[slot].score = score;
    double w = 1e9;
    if (bs->nhyp[b] < bs->K) w = bs->worst[b] < score ? bs->worst[b] : score;
    else for (int i = 0; i < bs->nhyp[b]; i++) if (H[i].score < w) w = H[i].score;
    bs->worst[b] = w;
}

int ft_beam_step(ft_beam *bs, float *lp, int V, int32_t *next, int *src)
{
    int B = bs->B, K = bs->K, C = 2 * K;
    size_t ML = bs->max_len;
    int cur = bs->cur;                          /* generated_len of a new eos hypothesis */
    for (int b = 0; b < B; b++) {
        if (bs->done[b]) {
            for (int k = 0; k < K; k++) {
                int r = b * K + k;
                next[r] = bs->pad; src[r] = b * K; bs->scores[r] = 0;
            }
            continue;
        }
        /* top 2K of (logprob + beam score) over K·V, sorted descending; ties keep the lower index */
        int n = 0;
        for (int k = 0; k < K; k++) {
            const float *row = lp + (size_t)(b * K + k) * V;
            float base = bs->scores[b * K + k];
            for (int v = 0; v < V; v++) {
                float s = row[v] + base;
                if (n == C && !(s > bs->cand_s[C - 1])) continue;
                int j = n < C ? n++ : C - 1;
                while (j > 0 && s > bs->cand_s[j - 1]) {
                    bs->cand_s[j] = bs->cand_s[j - 1]; bs->cand_i[j] = bs->cand_i[j - 1]; j--;
                }
                bs->cand_s[j] = s;
                bs->cand_i[j] = k * V + v;
            }
        }
        int kept = 0;
        float new_scores[K];
        for (int rank = 0; rank < n && kept < K; rank++) {
            int k = bs->cand_i[rank] / V, tok = bs->cand_i[rank] % V, row = b * K + k;
            if (ft_is_eos(tok, bs->eos, bs->n_eos)) {
                if (rank >= K) continue;
                add_hyp(bs, b, bs->seqs + (size_t)row * ML, cur, bs->cand_s[rank] / pow(cur, bs->lp), tok);
            } else {
                int r = b * K + kept;
                next[r] = tok; src[r] = row; new_scores[kept] = bs->cand_s[rank];
                kept++;
            }
        }
        for (int k = 0; k < K; k++) bs->scores[b * K + k] = k < kept ? new_scores[k] : -1e9f;
        if (bs->nhyp[b] >= K) {
            if (bs->early) bs->done[b] = 1;
            else if (bs->worst[b] >= bs->cand_s[0] / pow(cur, bs->lp)) bs->done[b] = 1;
        }
    }
    /* new rows = source rows + the new token */
    for (int r = 0; r < B * K; r++) {
        memcpy(bs->tmp + (size_t)r * ML, bs->seqs + (size_t)src[r] * ML, cur * sizeof(int32_t));
        bs->tmp[(size_t)r * ML + cur] = next[r];
    }
    int32_t *t = bs->seqs; bs->seqs = bs->tmp; bs->tmp = t;
    bs->cur = ++cur;
    int all = 1;
    for (int b = 0; b < B; b++) all &= bs->done[b];
    return all || cur >= bs->max_len;
}

/* Best sequence of input b after the search: generated tokens (no start
   token; eos at the end when it finished with one).  *len receives the count;
   the array lives as long as bs. */
static const int32_t *ft_beam_best(ft_beam *bs, int b, int *len, double *score)
{
    if (!bs->finalized) {
        bs->finalized = 1;
        for (int i = 0; i < bs->B; i++) {
            if (bs->done[i]) continue;
            for (int k = 0; k < bs->K; k++) {
                int r = i * bs->K + k;
                add_hyp(bs, i, bs->seqs + (size_t)r * bs->max_len, bs->cur,
                        bs->scores[r] / pow(bs->cur - 1, bs->lp), -1);
            }
        }
    }
    hyp *H = bs->hyps + (size_t)b * bs->K;
    int best = 0;
    for (int i = 1; i < bs->nhyp[b]; i++) if (H[i].score > H[best].score) best = i;
    if (bs->nhyp[b] == 0) { *len = 0; if (score) *score = -INFINITY; return NULL; }
    if (score) *score = H[best].score;
    *len = H[best].len - 1;
    return H[best].seq + 1;
}

void ft_log_softmax_rows(float *x, int n, int V)
{
    for (int i = 0; i < n; i++) {
        float *r = x + (size_t)i * V, mx = r[0];
        for (int v = 1; v < V; v++) if (r[v] > mx) mx = r[v];
        double s = 0;
        for (int v = 0; v < V; v++) s += exp((double)r[v] - mx);
        float lse = mx + (float)log(s);
        for (int v = 0; v < V; v++) r[v] -= lse;
    }
}

void ft_beam_take_best(ft_beam *bs, int B, int32_t **out, int *lens)
{
    for (int b = 0; b < B; b++) {
        const int32_t *best = ft_beam_best(bs, b, &lens[b], NULL);
        out[b] = ft_xmalloc((lens[b] + 1) * sizeof **out);
        if (lens[b]) memcpy(out[b], best, lens[b] * sizeof **out);
    }
}
