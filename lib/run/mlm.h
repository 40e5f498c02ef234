/* mlm: masking for masked-language-model training, as transformers'
 * DataCollatorForLanguageModeling(mlm=True) does it: each token that is not a
 * special token (tokenizer.all_special_ids, padding included) is chosen with
 * probability mlm_probability; a chosen token keeps its id as the label (the
 * rest get -100) and is replaced by [MASK] with probability 0.8, by a random
 * id in [0, len(tokenizer)) with probability 0.1, and left as it is otherwise.
 * The draws come from a counter-based stream keyed by the caller (training:
 * seed and micro-batch number), so a resumed run masks exactly as an
 * uninterrupted one and the thread count does not matter. */
#ifndef FT_MLM_H
#define FT_MLM_H
#include "model.h"
#include <stddef.h>
#include <stdint.h>

typedef struct ft_mlm {
    float probability;          /* mlm_probability (HF default 0.15) */
    int mask_id;                /* tokenizer.mask_token_id */
    int vocab;                  /* len(tokenizer): random replacements are < vocab */
    uint8_t *special;           /* [vocab]: 1 = never masked */
} ft_mlm;

/* From the tokenizer files in dir (tokenizer.json or vocab.txt ...); dies
   naming dir when there is none or it has no mask token. */
ft_mlm *ft_mlm_from_tokenizer(const char *dir, double probability);
void ft_mlm_free(ft_mlm *c);

/* Masked inputs and labels for one batch at a time; they only grow. */
typedef struct ft_mlm_buf { int32_t *ids, *labels; size_t cap; } ft_mlm_buf;
/* Masks batch b in place of its inputs: b->input_ids and b->labels then
   point into buf (token labels, b->Tl = b->T).  Returns the tokens chosen. */
size_t ft_mlm_mask_batch(const ft_mlm *c, ft_mlm_buf *buf, ft_batch *b, uint64_t key);
void ft_mlm_buf_free(ft_mlm_buf *buf);

#endif
