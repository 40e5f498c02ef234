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

/* The processors in HF's order (repetition penalty, then no-repeat n-gram)
   over the row's tokens so far, seen[nseen]: what greedy, sampling and beam
   search (on log-probabilities) all apply. */
void ft_process_logits(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen);
/* The whole chain in HF's order: ft_process_logits, then (sampling only)
   temperature, top-k, top-p, draw; greedy takes the argmax. */
int ft_next_token(const ft_sampling *s, float *logits, int V, const int32_t *seen, int nseen,
                  ft_rng *r);
#endif
