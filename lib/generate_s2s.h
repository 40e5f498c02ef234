/* generate_s2s: text generation with an encoder-decoder model (T5) in HF's
 * generate() semantics: greedy search, beam search (beam.h) and sampling
 * (temperature, top-k, top-p), with no_repeat_ngram_size.  The encoder runs
 * once per input; the decoder uses a self-attention key/value cache and
 * cross-attention keys/values computed once.  Inputs are decoded in batches. */
#ifndef FT_GENERATE_S2S_H
#define FT_GENERATE_S2S_H
#include "model.h"
#include <stdint.h>

typedef struct ft_s2s_opts {
    int max_new_tokens;         /* 20 (HF default max_length 20 counts the start token) */
    int num_beams;              /* 1 */
    float length_penalty;       /* 1.0 */
    int early_stopping;         /* 0 */
    int no_repeat_ngram_size;   /* 0 */
    int do_sample;              /* 0 */
    float temperature;          /* 1.0 */
    int top_k;                  /* 50 (HF default; 0 = off) */
    float top_p;                /* 1.0 */
    uint64_t seed;              /* sampling stream */
} ft_s2s_opts;

void ft_s2s_opts_default(ft_s2s_opts *o);

/* Generate for B inputs ids/mask [B,T] (mask may be NULL).  out[b] receives a
   malloc'd array of the generated tokens (no decoder start token; ending with
   eos when the model produced it), lens[b] its length. */
void ft_s2s_generate(ft_model *m, const int32_t *ids, const int32_t *mask, int B, int T,
                     const ft_s2s_opts *o, int32_t **out, int *lens);
#endif
