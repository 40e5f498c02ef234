/* chat_records: ft-tokenize --chat as a library: records with a "messages"
   list (JSONL or an ft stream) in, token records out: input_ids, and labels
   (the ids, or -100 outside the assistant's spans with assistant_only_loss;
   none with add_generation_prompt, a prompt for ft-generate). */
#ifndef FT_CHAT_RECORDS_H
#define FT_CHAT_RECORDS_H
#include "chat_tokenize.h"
#include "stream.h"

typedef struct ft_chat_opts {
    int add_generation_prompt;  /* --add-generation-prompt */
    int assistant_only_loss;    /* --assistant-only-loss */
} ft_chat_opts;

/* Dies with "FILE:LINE: ..." on bad input or a template error. */
size_t ft_tokenize_chat_files(const ft_chat_opts *o, const ft_chat_config *cfg, const ft_tokenizer *t,
                              char *const *files, int nfiles, void (*put)(void *, const ft_record *), void *ctx);
#endif
