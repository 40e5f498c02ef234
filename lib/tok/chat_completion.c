/* chat_completion: prompt-completion records as TRL's SFTTrainer tokenizes
   them (the header says which lines of TRL; docs/chat.md states the rule).
   Both forms tokenize the prompt alone and the prompt with its completion,
   and take the first len(prompt ids) tokens of the whole for the prompt:
   TRL's completion_mask is [0] * len(prompt_ids) + [1] * (rest), by position,
   with only a warning when the prompt's ids are not the whole's first ids
   (info->prefix tells the caller, which counts them). */
#include "chat_completion.h"
#include "util.h"
#include <string.h>

/* The prompt's share of the labels: TRL's completion_mask, by position. */
static void mask_prompt(const ft_encoding *p, const ft_encoding *e, int32_t *labels, int completion_only,
                        ft_completion_info *info)
{
    info->nprompt = p->n;
    info->prefix = p->n <= e->n && !memcmp(p->ids, e->ids, p->n * sizeof *p->ids);
    if (completion_only)
        for (size_t k = 0; k < p->n && k < e->n; k++) labels[k] = -100;
}

static int encode_or_err(const ft_tokenizer *t, ft_tok_scratch *s, const char *text, size_t len,
                         int add_special_tokens, ft_encoding *e, const char *what, char **err)
{
    ft_tok_opts o = {.add_special_tokens = add_special_tokens};
    const char *terr;
    if (!ft_tok_encode(t, s, text, len, NULL, 0, &o, e, &terr)) return 0;
    *err = ft_xasprintf("%s: %s", what, terr);
    return -1;
}

int ft_completion_encode_text(const ft_tokenizer *t, ft_tok_scratch *s, const char *prompt, const char *completion,
                              const char *eos, int add_special_tokens, int completion_only, ft_encoding *e,
                              int32_t **labels, ft_completion_info *info, char **err)
{
    /* TRL's add_eos: completion + eos_token unless it ends with it already */
    size_t pl = strlen(prompt), cl = strlen(completion), el = strlen(eos);
    int add_eos = cl < el || memcmp(completion + cl - el, eos, el);
    char *whole = ft_xmalloc(pl + cl + el + 1);
    memcpy(whole, prompt, pl);
    memcpy(whole + pl, completion, cl);
    memcpy(whole + pl + cl, eos, add_eos ? el : 0);
    whole[pl + cl + (add_eos ? el : 0)] = 0;
    ft_encoding p = {0};
    int rc = encode_or_err(t, s, prompt, pl, add_special_tokens, &p, "prompt", err);
    if (!rc) rc = encode_or_err(t, s, whole, strlen(whole), add_special_tokens, e, "prompt + completion", err);
    if (!rc) {
        *labels = ft_xrealloc(*labels, (e->n + 1) * sizeof **labels);
        memcpy(*labels, e->ids, e->n * sizeof **labels);
        mask_prompt(&p, e, *labels, completion_only, info);
    }
    ft_encoding_free(&p);
    free(whole);
    return rc;
}

int ft_completion_encode_chat(ft_chat_encoder *ce, json_t *prompt, json_t *completion, json_t *extra,
                              int assistant_only, int completion_only, ft_encoding *e, int32_t **labels,
                              ft_completion_info *info, char **err)
{
    ft_encoding p = {0};
    int32_t *plabels = NULL;
    char *perr = NULL;
    if (ft_chat_encode(ce, prompt, extra, 1, 0, &p, &plabels, &perr)) {
        *err = ft_xasprintf("the prompt: %s", perr);
        free(perr);
        ft_encoding_free(&p);
        free(plabels);
        return -1;
    }
    json_t *whole = json_copy(prompt);
    json_array_extend(whole, completion);
    int rc = ft_chat_encode(ce, whole, extra, 0, assistant_only, e, labels, err);
    if (!rc) mask_prompt(&p, e, *labels, completion_only, info);
    json_decref(whole);
    ft_encoding_free(&p);
    free(plabels);
    return rc;
}
