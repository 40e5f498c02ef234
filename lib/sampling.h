/* sampling: choosing the next token from logits, as HF's generate() does
 * (LogitsProcessor / LogitsWarper semantics), for any decoder: GPT-2's
 * decoding loop (generate.c) and encoder-decoder / beam search (beam.c) share
 * it.  All functions work on one row of V logits in place; filtered tokens
 * become -INFINITY. */
#ifndef FT_SAMPLING_H
#define FT_SAMPLING_H
#include "rng.h"
#include <stdint.h>

typedef struct ft_sampling {
    int do_sample;              /* 0: greedy (argmax) */
    float temperature;          /* 1.0 */
    int top_k;                  /* 50 as HF; 0 = off (only when sampling) */
    float top_p;                /* 1.0 = off (only when sampling) */
    float repetition_penalty;   /* 1.0 = off (also applies to greedy) */
    uint64_t seed;              /* 42 */
} ft_sampling;

void ft_sampling_default(ft_sampling *s);

/* RepetitionPenaltyLogitsProcessor: for every distinct token in seen[n],
   logit < 0 ? logit·p : logit/p. */
void ft_repetition_penalty(float *logits, int V, const int32_t *seen, int n, float penalty);
/* TemperatureLogitsWarper: logits / t. */
void ft_temperature(float *logits, int V, float t);
/* TopKLogitsWarper: keep logits >= the k-th largest (ties kept). */
void ft_top_k(float *logits, int V, int k);
/* TopPLogitsWarper: drop the smallest tokens whose cumulative probability
   (ascending) stays <= 1 - p; the most likely token is always kept. */
void ft_top_p(float *logits, int V, float p);
int ft_argmax(const float *logits, int V);          /* first maximum, as torch */
/* Softmax, then one draw from r. */
int ft_sample_token(const float *logits, int V, ft_rng *r);
/* The whole chain in HF's order: repetition penalty, then (sampling only)
   temperature, top-k, top-p, draw; greedy takes the argmax. */
int ft_next_token(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen,
                  ft_rng *r);
#endif
