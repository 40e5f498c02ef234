/* tokcheck: token ids mean something only to the tokenizer that made them.
 * ft-tokenize records its tokenizer's identity in the stream header
 * (docs/stream-format.md); a consumer with a model directory compares it with
 * the tokenizer files in that directory before training or evaluating. */
#ifndef FT_TOKCHECK_H
#define FT_TOKCHECK_H
#include <jansson.h>

/* header: the stream header (NULL for JSONL/CSV input), from the stream
   named what.  Dies "WHAT: tokens made by ... but DIR has ..." when the
   header names a tokenizer and model_dir holds a different one; with allow
   set (the tool's --allow-tokenizer-mismatch) it warns instead.  Nothing to
   compare (no tokenizer in the header, no tokenizer files in model_dir)
   passes. */
void ft_check_tokenizer(const json_t *header, const char *what, const char *model_dir, int allow);
#endif
