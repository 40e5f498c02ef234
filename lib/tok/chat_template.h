/* chat_template: the subset of Jinja that Hugging Face chat templates use,
   rendered exactly as transformers' apply_chat_template renders them
   (ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the
   loopcontrols extension, raise_exception, tojson with ensure_ascii=False).

   What the subset holds is listed in docs/chat.md; any other construct is
   refused when the template is parsed or rendered, with a message naming it
   and its line:column in the template, never rendered approximately.

   Besides the text, a render records where each message's turn went: the
   output written while a for loop stood on messages[i] (the assistant-only
   loss of lib/tok/chat_tokenize.c labels from it), and the output of
   {% generation %} blocks as transformers' return_assistant_tokens_mask
   uses them.  Values are jansson's json_t. */
#ifndef FT_CHAT_TEMPLATE_H
#define FT_CHAT_TEMPLATE_H
#include <jansson.h>
#include <stddef.h>

typedef struct ft_chat_template ft_chat_template;

/* Parses src; NULL with *err (malloc'd, "LINE:COL: ...") on a syntax error or
   a construct outside the subset. */
ft_chat_template *ft_chat_template_parse(const char *src, char **err);
void ft_chat_template_free(ft_chat_template *t);

typedef struct ft_chat_span { size_t start, end; } ft_chat_span;   /* bytes of the text */

typedef struct ft_chat_render {
    char *text;               /* NUL-terminated */
    size_t len;
    size_t nmsg;              /* the length of vars' "messages" */
    ft_chat_span *turn;       /* turn[i]: output of the loop iterations over
                                 messages[i] (start == end: none) */
    ft_chat_span *gen;        /* {% generation %} outputs, in order */
    size_t ngen;
} ft_chat_render;

/* Renders t with the variables of the object vars (messages, bos_token,
   add_generation_prompt, tools, ...).  0, or -1 with *err malloc'd
   ("LINE:COL: ..." for errors of the template, raise_exception's message). */
int ft_chat_template_render(const ft_chat_template *t, json_t *vars, ft_chat_render *out, char **err);
void ft_chat_render_free(ft_chat_render *r);
#endif
