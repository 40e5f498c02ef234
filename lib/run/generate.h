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

/* A row ends at any of its eos ids (Llama 3 has three); HF takes a list of any
   length, ft this many. */
#define FT_GEN_MAX_EOS 16
/* An option not given yet: ft_gen_opts_from_model fills it from the model. */
#define FT_GEN_UNSET (-2)

typedef struct ft_gen_opts {
    int max_new_tokens;         /* 20; -1: by max_length */
    int max_length;             /* 0; else the length of a row, prompt (a decoder-
                                   only model's, padded) or decoder start included,
                                   as HF's max_length, used when max_new_tokens is -1 */
    int n_eos;                  /* how many eos ids; 0 = none */
    int eos_token_ids[FT_GEN_MAX_EOS];
    int pad_token_id;           /* -1: the first eos (decoder-only, as HF) */
    int bos_token_id;           /* a decoder-only model's empty prompt; -1: none */
    int decoder_start_token_id; /* an encoder-decoder model's; -1: bos */
    int num_beams;              /* 1: greedy or sampling */
    float length_penalty;       /* 1.0 (beam search) */
    int early_stopping;         /* 0 (beam search) */
    ft_sampling s;              /* do_sample, temperature, top_k, top_p,
                                   repetition_penalty, no_repeat_ngram_size, seed */
} ft_gen_opts;

/* Every generation option as HF's model.generate() would take it for m: from
   the model directory's generation_config.json when it has one (as
   GenerationConfig.from_pretrained: its ids, max_new_tokens / max_length,
   do_sample, temperature, top_k, top_p, repetition_penalty,
   no_repeat_ngram_size, num_beams, length_penalty, early_stopping; an id it
   lacks is none), else config.json's ids (GenerationConfig.from_model_config)
   and GenerationConfig's defaults — but max_new_tokens 20, not HF's max_length
   20.  m NULL (a tool before it loads the model, about to parse flags into
   o): every option the model may give is left FT_GEN_UNSET (floats NAN) for
   ft_gen_opts_from_model, which fills only those, so a flag overrides the file.
   Dies naming the file and key on a value it cannot take. */
void ft_gen_opts_default(ft_gen_opts *o, const ft_model *m);
void ft_gen_opts_from_model(ft_gen_opts *o, const ft_model *m);

/* Parses an eos id list, "2", "128001,128009", or "-1" (none), into o;
   returns NULL, or what is wrong. */
const char *ft_gen_parse_eos(const char *s, ft_gen_opts *o);

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
