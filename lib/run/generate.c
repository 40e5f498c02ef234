/* generate: options, their check against the model, and the one dispatch to
 * the decoder-only or encoder-decoder path.  See generate.h. */
#include "generate.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static int cfg_id(const ft_config *c, const char *key, int def)
{
    json_t *e = json_object_get(c->json, key);
    return e && json_is_integer(e) ? (int)json_integer_value(e) : def;
}

void ft_gen_opts_default(ft_gen_opts *o, const ft_model *m)
{
    memset(o, 0, sizeof *o);
    o->max_new_tokens = 20;
    o->eos_token_id = o->pad_token_id = FT_GEN_ID_FROM_CONFIG;
    o->num_beams = 1;
    o->length_penalty = 1.0f;
    ft_sampling_default(&o->s);
    if (m) ft_gen_opts_config_ids(o, m);
}

void ft_gen_opts_config_ids(ft_gen_opts *o, const ft_model *m)
{
    int s2s = m->task == FT_TASK_SEQ2SEQ;                               /* T5Config: eos 1, pad 0 */
    if (o->eos_token_id == FT_GEN_ID_FROM_CONFIG) o->eos_token_id = cfg_id(m->cfg, "eos_token_id", s2s ? 1 : -1);
    if (o->pad_token_id == FT_GEN_ID_FROM_CONFIG) o->pad_token_id = cfg_id(m->cfg, "pad_token_id", s2s ? 0 : -1);
}

const char *ft_generate_task(const char *model_dir)
{
    char *p = ft_xasprintf("%s/config.json", model_dir);
    ft_config *c = ft_config_load(p);
    int ed = ft_config_is_encoder_decoder(c);
    ft_config_free(c);
    free(p);
    return ed ? "seq2seq" : "causal-lm";
}

void ft_gen_check(const ft_model *m, const ft_gen_opts *o)
{
    if (m->task != FT_TASK_CAUSAL_LM && m->task != FT_TASK_SEQ2SEQ)
        ft_die("generation needs a causal-lm or seq2seq model, not a sequence classifier");
    if (o->max_new_tokens < 0) ft_die("--max-new-tokens: must not be negative");
    if (o->num_beams < 1) ft_die("--num-beams: must be at least 1");
    if (o->num_beams > 1 && o->s.do_sample)
        ft_die("--do-sample: not supported with --num-beams > 1 (beam sampling) yet; "
               "--temperature, --top-k and --top-p imply --do-sample");
    if (o->num_beams == 1 && o->length_penalty != 1.0f)
        ft_die("--length-penalty: applies to beam search only (give --num-beams N > 1)");
    if (o->num_beams == 1 && o->early_stopping)
        ft_die("--early-stopping: applies to beam search only (give --num-beams N > 1)");
}

void ft_generate(ft_model *m, int B, const int32_t *const *prompts, const int *lens,
                 const ft_gen_opts *o, long first_row, int32_t **out, int *out_len)
{
    ft_gen_check(m, o);
    if (m->task == FT_TASK_SEQ2SEQ) ft_generate_s2s(m, B, prompts, lens, o, first_row, out, out_len);
    else ft_generate_causal(m, B, prompts, lens, o, first_row, out, out_len);
}
