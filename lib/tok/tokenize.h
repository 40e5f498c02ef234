/* tokenize: the ft-tokenize job as a library: records (CSV, TSV, JSONL or an
   ft stream) in, token records out, in groups of FT_TOKENIZE_GROUP encoded
   together on a thread team; and the way back (decode).

   Token records are written small: input_ids in the narrowest dtype that
   holds the vocabulary (u16 for GPT-2 and BERT), token_type_ids as u8, the
   attention mask as u8 and left out when it is all ones, sequence labels in
   the narrowest signed dtype that holds -100 and the vocabulary.  Every
   reader of token records (lib/data/dataset.c, ft-generate, ft-eval) takes any
   integer dtype and a missing mask as all ones. */
#ifndef FT_TOKENIZE_H
#define FT_TOKENIZE_H
#include "labelfile.h"
#include "stream.h"
#include "tokenizer.h"

#define FT_TOKENIZE_GROUP 1000   /* records encoded together: --padding longest's unit,
                                    and datasets.map(batched=True)'s batch for --block-size */

typedef struct ft_tokenize_opts {
    const char *text_col, *pair_col, *label_col, *target_col;
    const char *prefix, *task, *task_col;
    int label_col_given;        /* a missing --label-column is an error, not "no label" */
    int max_target_length;      /* 0: --max-length */
    int replace;                /* --errors replace: invalid UTF-8 becomes U+FFFD */
    int block_size;             /* > 0: group_texts into blocks of this many tokens */
    int threads;
    ft_tok_opts tok;
    const char *labels_file;    /* label names (read by ft_tokenize_check) */
    ft_label_names labels;
} ft_tokenize_opts;

/* Defaults: text column "text", label column "label", special tokens on,
   one thread per CPU. */
void ft_tokenize_opts_init(ft_tokenize_opts *o);
/* Option words: 0, or -1 when s is not one of them. */
int ft_tok_truncation_parse(const char *s, ft_trunc *out);
int ft_tok_padding_parse(const char *s, ft_pad *out);
int ft_tok_errors_parse(const char *s, int *replace);
/* Checks the options against each other and the tokenizer (dies with a
   message naming the option), fills in what follows from them (truncation
   with --max-length, model_max_length when truncating without a length), and
   reads the label file.  trunc_given: --truncation was given. */
void ft_tokenize_check(ft_tokenize_opts *o, const ft_tokenizer *t, const char *model, int trunc_given);

/* Everything that changes the records, as one canonical string (the stream
   header's "options", and part of the cache key). */
char *ft_tokenize_options_key(const ft_tokenize_opts *o);
/* The "tokens" stream header: tokenizer identity, options, max_length. */
json_t *ft_tokenize_header(const ft_tokenizer *t, const char *model, const ft_tokenize_opts *o,
                           int argc, char **argv);

/* Where token records go (a writer, a cache shard beside it). */
typedef void (*ft_record_sink)(void *ctx, const ft_record *rec);
/* Tokenizes every record of the files in order; returns the number of token
   records given to put.  Dies with "FILE:LINE: what" on bad input. */
size_t ft_tokenize_files(const ft_tokenize_opts *o, const ft_tokenizer *t, char *const *files, int nfiles,
                         ft_record_sink put, void *ctx);

/* --decode: input_ids (and sequence labels) of each record back to text
   ("text", "target"). */
void ft_tokenize_decode(const ft_tokenizer *t, int skip_special, char *const *files, int nfiles,
                        ft_writer *w);

/* --errors replace for whole files: a path (under /proc/self/fd) to a copy of
   path whose invalid UTF-8 is U+FFFD as Python's errors="replace" makes it;
   ft streams are passed through (their strings are repaired per field). */
char *ft_tokenize_repaired_copy(const char *path);
#endif
