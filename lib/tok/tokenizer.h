/* tokenizer: Hugging Face tokenizers in C, exact to the Rust `tokenizers`
   library's ids, special tokens, truncation and padding.

   Load once from a model directory (tokenizer.json first, as AutoTokenizer
   does, else vocab.txt / vocab.json+merges.txt / spiece.model); the loaded
   tokenizer is read-only, so any number of threads may encode with it at once, each with
   its own ft_tok_scratch.  Encoding allocates nothing per token: buffers live
   in the scratch and in the ft_encoding and only grow.

   Layering: uses util, jansson, utf8proc and the probed Unicode classes in
   tok_unicode.h; nothing about streams, tensors or models. */
#ifndef FT_TOKENIZER_H
#define FT_TOKENIZER_H
#include <stddef.h>
#include <stdint.h>

typedef struct ft_tokenizer ft_tokenizer;
typedef struct ft_tok_scratch ft_tok_scratch;

/* Load from DIR.  On failure returns NULL and sets *err to a malloc'd message
   naming the file and the entry at fault ("DIR/tokenizer.json: model.merges[12]:
   ..."); ft_tok_load_or_die() prints it through ft_die. */
ft_tokenizer *ft_tok_load(const char *dir, char **err);
ft_tokenizer *ft_tok_load_or_die(const char *dir);
void ft_tok_free(ft_tokenizer *t);

/* Identity for stream headers and cache keys: "KIND FILE" (e.g. "WordPiece
   tokenizer.json") and a 64-bit hash of the bytes of every file read. */
const char *ft_tok_describe(const ft_tokenizer *t);
uint64_t ft_tok_hash(const ft_tokenizer *t);

/* Tokens of byte-level vocabularies (GPT-2, RoBERTa) are their raw bytes
   here (" the", not "Ġthe"): the alphabet is undone at load. */
int ft_tok_vocab_size(const ft_tokenizer *t);          /* highest id + 1 */
int ft_tok_token_to_id(const ft_tokenizer *t, const char *s, size_t n);  /* -1: none */
/* NULL: none.  API for libft's users (the inverse of token_to_id); the tools decode whole sequences. */
const char *ft_tok_id_to_token(const ft_tokenizer *t, int id, size_t *n);
int ft_tok_pad_id(const ft_tokenizer *t);              /* -1: no pad token */
int ft_tok_mask_id(const ft_tokenizer *t);             /* [MASK] / <mask>; -1: none */
int ft_tok_is_special(const ft_tokenizer *t, int id);  /* a special added token ([CLS], <pad>, ...) */
int ft_tok_has_type_ids(const ft_tokenizer *t);        /* model takes token_type_ids */
int ft_tok_model_max_length(const ft_tokenizer *t);    /* from tokenizer_config.json, 0: unknown */

typedef enum { FT_TRUNC_NONE, FT_TRUNC_LONGEST_FIRST, FT_TRUNC_ONLY_FIRST,
               FT_TRUNC_ONLY_SECOND } ft_trunc;
typedef enum { FT_PAD_NONE, FT_PAD_LONGEST, FT_PAD_MAX_LENGTH } ft_pad;

typedef struct ft_tok_opts {
    int add_special_tokens;     /* 1: run the post-processor ([CLS] A [SEP] ...) */
    int max_length;             /* truncation / padding length; 0: none */
    ft_trunc truncation;
    ft_pad padding;             /* LONGEST pads within one ft_tok_encode_batch call */
} ft_tok_opts;

/* One encoded text or pair.  Arrays have n valid entries and cap capacity;
   reuse an ft_encoding across calls to avoid allocating. */
typedef struct ft_encoding {
    int32_t *ids, *type_ids, *attention_mask, *special_mask;
    size_t n, cap;
} ft_encoding;
void ft_encoding_free(ft_encoding *e);

ft_tok_scratch *ft_tok_scratch_new(void);
void ft_tok_scratch_free(ft_tok_scratch *s);

/* Encode text a (and b, NULL for a single text).  Both must be valid UTF-8
   (see ft_utf8_check / ft_utf8_repair in tok_unicode.h).  Returns 0, or -1
   with *err set to a static message (invalid UTF-8, impossible truncation). */
int ft_tok_encode(const ft_tokenizer *t, ft_tok_scratch *s,
                  const char *a, size_t alen, const char *b, size_t blen,
                  const ft_tok_opts *o, ft_encoding *e, const char **err);


/* A team: one scratch per thread, kept across batches so that each thread's
   BPE word cache stays warm. */
typedef struct ft_tok_team ft_tok_team;
ft_tok_team *ft_tok_team_new(int nthreads);
void ft_tok_team_free(ft_tok_team *team);

/* Encode n texts (b may be NULL, or hold NULL entries) on the team's threads;
   out[i] belongs to input i whatever thread did it.  Applies FT_PAD_LONGEST
   across the batch.  Returns -1 and sets *bad to the first failing index and
   *err to its message, else 0. */
int ft_tok_encode_batch(const ft_tokenizer *t, ft_tok_team *team, size_t n,
                        const char *const *a, const size_t *alen,
                        const char *const *b, const size_t *blen,
                        const ft_tok_opts *o, ft_encoding *out,
                        size_t *bad, const char **err);

/* Ids back to text, as the tokenizer's decoder does (WordPiece "##" joining
   and clean-up, byte-level bytes).  Writes a NUL-terminated string into
   *buf (grown as needed, *cap its size) and returns its length. */
size_t ft_tok_decode(const ft_tokenizer *t, const int32_t *ids, size_t n,
                     int skip_special, char **buf, size_t *cap);

#endif
