/* generate: HF's model.generate() — one entry point and one decoding loop
 * for every model that generates, over ft_model_vt's decode hooks (a KV
 * cache per family).  The kind is chosen from config.json as HF does
 * (is_encoder_decoder; T5's default is true): a decoder-only model (GPT-2)
 * continues left-padded prompts; an encoder-decoder model (T5) encodes its
 * inputs once and decodes from decoder_start_token_id.  Greedy, sampled or
 * beam search (beam.h); tokens are chosen through sampling.h (repetition
 * penalty, no-repeat n-gram, temperature, top-k, top-p). */
#ifndef FT_GENERATE_H
#define FT_GENERATE_H
#include "model.h"
#include "sampling.h"

typedef struct ft_gen_opts {
    int max_new_tokens;         /* 20 */
    int eos_token_id;           /* from config.json; -1 = none */
    int pad_token_id;           /* from config.json; -1: eos (decoder-only, as HF) */
    int num_beams;              /* 1: greedy or sampling */
    float length_penalty;       /* 1.0 (beam search) */
    int early_stopping;         /* 0 (beam search) */
    ft_sampling s;              /* do_sample, temperature, top_k, top_p,
                                   repetition_penalty, no_repeat_ngram_size, seed */
} ft_gen_opts;

/* The defaults of every generation option (HF GenerationConfig's), with the
   model's eos/pad ids; m NULL (a tool parsing flags before it loads the
   model) leaves the ids FT_GEN_ID_FROM_CONFIG for ft_gen_opts_config_ids. */
#define FT_GEN_ID_FROM_CONFIG (-2)
void ft_gen_opts_default(ft_gen_opts *o, const ft_model *m);
/* eos/pad ids still FT_GEN_ID_FROM_CONFIG taken from the model's config. */
void ft_gen_opts_config_ids(ft_gen_opts *o, const ft_model *m);

/* The task to load a model directory with for generation: "seq2seq" for an
   encoder-decoder config, else "causal-lm". */
const char *ft_generate_task(const char *model_dir);

/* Dies "--flag: ..." (HF's generate() argument, kebab-case) when o asks for
   something this model's path does not do yet, e.g. beam search for a
   decoder-only model; never ignores an option silently.  ft_generate calls it;
   tools call it once before reading input. */
void ft_gen_check(const ft_model *m, const ft_gen_opts *o);

/* Generate for B prompts at once.  prompts[i] holds lens[i] token ids: the
   prompt a decoder-only model continues (an empty one starts from bos), or
   the encoder input of an encoder-decoder model.  out[i] (malloc'd) receives
   the new tokens only (no prompt, no decoder start token), out_len[i] of
   them, EOS included when reached.  Sampling draws from a stream per prompt
   keyed by (seed, first_row + i), so results do not depend on how prompts
   are batched. */
void ft_generate(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                 const ft_gen_opts *o, long first_row, int32_t **out, int *out_len);

#endif
