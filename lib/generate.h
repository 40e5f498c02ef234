/* generate: HF's generate() for decoder-only models (GPT-2): left-padded
 * batches, a KV cache, greedy or sampled decoding (sampling.h), stop at EOS.
 * Encoder-decoder models (T5) add their own branch to ft_generate, reusing
 * sampling.h; beam search lives in beam.h. */
#ifndef FT_GENERATE_H
#define FT_GENERATE_H
#include "model.h"
#include "sampling.h"

typedef struct ft_gen_opts {
    int max_new_tokens;         /* 20 */
    int eos_token_id;           /* from config.json; -1 = none */
    int pad_token_id;           /* -1: eos, as HF for open-ended generation */
    ft_sampling s;
} ft_gen_opts;

/* Defaults with the model's eos/pad ids. */
void ft_gen_opts_default(ft_gen_opts *o, const ft_model *m);

/* Generate for B prompts at once.  prompts[i] holds lens[i] token ids (an
   empty prompt starts from bos).  out[i] (malloc'd) receives the new tokens
   only, out_len[i] of them, EOS included when reached.  Sampling draws from a
   stream per prompt keyed by (seed, first_row + i), so results do not depend
   on how prompts are batched. */
void ft_generate(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                 const ft_gen_opts *o, long first_row, int32_t **out, int *out_len);
#endif
