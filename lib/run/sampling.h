/* sampling: the logits processing of HF's generate() (LogitsProcessor /
 * LogitsWarper semantics) and the choice of the next token, in one place for
 * the decoding loop (generate.c): decoder-only and encoder-decoder models,
 * greedy, sampled and beam search.  All functions work on
 * one row of V logits in place; filtered tokens become -INFINITY. */
#ifndef FT_SAMPLING_H
#define FT_SAMPLING_H
#include "rng.h"
#include <stdint.h>

typedef struct ft_sampling {
    int do_sample;              /* 0: greedy (argmax) */
    float temperature;          /* 1.0 */
    int top_k;                  /* 50 as HF; 0 = off (only when sampling) */
    float top_p;                /* 1.0 = off (only when sampling) */
    float repetition_penalty;   /* 1.0 = off (also applies to greedy and beams) */
    int no_repeat_ngram_size;   /* 0 = off (also applies to greedy and beams) */
    uint64_t seed;              /* 42 */
} ft_sampling;

void ft_sampling_default(ft_sampling *s);

/* RepetitionPenaltyLogitsProcessor: for every distinct token in seen[n],
   logit < 0 ? logit·p : logit/p. */
void ft_repetition_penalty(float *logits, int V, const int32_t *seen, int n, float penalty);
/* NoRepeatNGramLogitsProcessor: logits[t] = -inf for every token t that
   would repeat an n-gram of seq[0..len). */
void ft_ban_repeat_ngrams(float *logits, const int32_t *seq, int len, int n);
/* The processors in HF's order (repetition penalty, then no-repeat n-gram)
   over the row's tokens so far, seen[nseen]: what greedy, sampling and beam
   search (on log-probabilities) all apply. */
void ft_process_logits(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen);
/* TopKLogitsWarper: keep logits >= the k-th largest (ties kept). */
void ft_top_k(float *logits, int V, int k);
/* TopPLogitsWarper: drop the smallest tokens whose cumulative probability
   (ascending) stays <= 1 - p; the most likely token is always kept. */
void ft_top_p(float *logits, int V, float p);
/* The whole chain in HF's order: ft_process_logits, then (sampling only)
   temperature, top-k, top-p, draw; greedy takes the argmax. */
int ft_next_token(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen,
                  ft_rng *r);
#endif
