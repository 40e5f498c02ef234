/* chat_records: ft-tokenize --chat and --prompt-completion as a library:
   records in (JSONL or an ft stream), token records out: input_ids, and
   labels (none with add_generation_prompt, a prompt for ft-generate).
   - --chat: each record's "messages" (a list of maps) rendered with the chat
     template; labels the ids, or -100 outside the assistant's spans with
     assistant_only_loss (lib/tok/chat_tokenize.c);
   - prompt_completion: each record's "prompt" and "completion", strings (cfg
     NULL: the standard form) or lists of messages (the conversational form,
     with a chat template), as TRL's SFTTrainer tokenizes them
     (lib/tok/chat_completion.c); with completion_only_loss the prompt's
     labels are -100.
   max_length cuts each record to its first max_length tokens, as TRL's
   SFTTrainer truncates (truncate_dataset, keep_start), and says on stderr
   how many it cut.
   Template variables: the record's "tools", then the keys of
   template_kwargs (--chat-template-kwargs), then those of the record's
   "chat_template_kwargs" map. */
#ifndef FT_CHAT_RECORDS_H
#define FT_CHAT_RECORDS_H
#include "chat_tokenize.h"
#include "stream.h"

typedef struct ft_chat_opts {
    int add_generation_prompt;  /* --add-generation-prompt */
    int assistant_only_loss;    /* --assistant-only-loss */
    int prompt_completion;      /* --prompt-completion (or --completion-only-loss) */
    int completion_only_loss;   /* --completion-only-loss */
    int add_special_tokens;     /* the standard prompt-completion form's tokenizer calls */
    const char *eos_token;      /* appended to standard completions (TRL's add_eos) */
    json_t *template_kwargs;    /* --chat-template-kwargs, or NULL */
    int max_length;             /* --max-length: keep a training record's first N tokens (0: all) */
} ft_chat_opts;

/* cfg may be NULL only for the standard prompt-completion form.  Dies with
   "FILE:LINE: ..." on bad input or a template error. */
size_t ft_tokenize_chat_files(const ft_chat_opts *o, const ft_chat_config *cfg, const ft_tokenizer *t,
                              char *const *files, int nfiles, void (*put)(void *, const ft_record *), void *ctx);

/* Checks a --chat-template-kwargs / chat_template_kwargs value: a map whose
   keys are not the ones apply_chat_template sets itself.  NULL, or the
   complaint (static). */
const char *ft_chat_kwargs_problem(json_t *kwargs);
#endif
