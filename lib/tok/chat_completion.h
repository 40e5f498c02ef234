/* chat_completion: prompt-completion records into ids and labels as TRL's
   SFTTrainer tokenizes them (trl/trainer/sft_trainer.py, _prepare_dataset's
   tokenize_fn), in both of its forms:
   - standard: prompt and completion strings; the eos token appended to the
     completion unless it ends with it already; prompt and prompt+completion
     (the strings concatenated) each tokenized with the tokenizer's special
     tokens;
   - conversational: prompt and completion lists of messages; the prompt
     rendered with the chat template and add_generation_prompt on, then
     prompt+completion (the lists concatenated) with it off.
   The prompt's tokens are the first len(prompt ids) tokens of the whole,
   whether or not they are a prefix of it (TRL only warns); with
   completion_only_loss their labels are -100.  docs/chat.md states it. */
#ifndef FT_CHAT_COMPLETION_H
#define FT_CHAT_COMPLETION_H
#include "chat_tokenize.h"

/* What one record came to besides the ids and labels. */
typedef struct ft_completion_info {
    size_t nprompt;        /* tokens of the prompt alone */
    int prefix;            /* those tokens are the whole's first tokens */
} ft_completion_info;

/* Standard form: e->ids = tokens of prompt + completion (+ eos); labels
   (malloc'd into *labels, grown as needed) the ids, with completion_only -100
   on the first nprompt.  0, or -1 with *err malloc'd. */
int ft_completion_encode_text(const ft_tokenizer *t, ft_tok_scratch *s, const char *prompt, const char *completion,
                              const char *eos, int add_special_tokens, int completion_only, ft_encoding *e,
                              int32_t **labels, ft_completion_info *info, char **err);

/* Conversational form: prompt and completion are lists of messages; extra
   holds the template's other variables (tools, chat_template_kwargs).
   Labels as ft_chat_encode makes them for prompt + completion (assistant_only:
   the assistant spans), then with completion_only -100 on the first nprompt. */
int ft_completion_encode_chat(ft_chat_encoder *ce, json_t *prompt, json_t *completion, json_t *extra,
                              int assistant_only, int completion_only, ft_encoding *e, int32_t **labels,
                              ft_completion_info *info, char **err);
#endif
