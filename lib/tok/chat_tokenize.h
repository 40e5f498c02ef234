/* chat_tokenize: conversations into token records as transformers'
   apply_chat_template(messages, tokenize=True) makes them (the render
   tokenized without adding special tokens again), with the labels of
   --assistant-only-loss (docs/chat.md states the rule). */
#ifndef FT_CHAT_TOKENIZE_H
#define FT_CHAT_TOKENIZE_H
#include "chat_template.h"
#include "tokenizer.h"
#include <jansson.h>
#include <stdint.h>

typedef struct ft_chat_config {
    ft_chat_template *tpl;
    json_t *special;            /* bos_token, eos_token, ... as strings */
} ft_chat_config;

/* The special tokens of dir's tokenizer_config.json (bos_token, eos_token,
   unk_token, pad_token; strings or AddedToken maps) as strings, as
   transformers' special_tokens_map has them; an empty object without it. */
json_t *ft_chat_special_tokens(const char *dir);
/* The chat template's source (malloc'd): chat_template.jinja when dir has
   one, else tokenizer_config.json's chat_template (a list: its "default");
   NULL with *err when there is none. */
char *ft_chat_template_source(const char *dir, char **err);

/* The chat template of model directory dir; NULL with *err (malloc'd). */
ft_chat_config *ft_chat_config_load(const char *dir, char **err);
void ft_chat_config_free(ft_chat_config *c);

/* Renders messages (a list of maps) with the special tokens, the flag, and
   the keys of extra (tools, ..., may be NULL).  0, or -1 with *err. */
int ft_chat_render_messages(const ft_chat_config *c, json_t *messages, json_t *extra, int add_generation_prompt,
                            ft_chat_render *out, char **err);

/* Encoding conversations with one tokenizer. */
typedef struct ft_chat_encoder ft_chat_encoder;
ft_chat_encoder *ft_chat_encoder_new(const ft_chat_config *c, const ft_tokenizer *t);
void ft_chat_encoder_free(ft_chat_encoder *e);

/* One conversation: e->ids are the render's tokens; labels (n entries,
   malloc'd into *labels, grown as needed) are the ids, or with
   assistant_only -100 outside the assistant spans of docs/chat.md.  0, or -1
   with *err malloc'd. */
int ft_chat_encode(ft_chat_encoder *ce, json_t *messages, json_t *extra, int add_generation_prompt,
                   int assistant_only, ft_encoding *e, int32_t **labels, char **err);

#endif
