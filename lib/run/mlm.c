/* mlm: DataCollatorForLanguageModeling's masking.  See mlm.h. */
#include "mlm.h"
#include "mlm_internal.h"
#include "rng.h"
#include "tokenizer.h"
#include "util.h"
#include <stdlib.h>

ft_mlm *ft_mlm_from_tokenizer(const char *dir, double probability)
{
    char *err = NULL;
    ft_tokenizer *t = ft_tok_load(dir, &err);
    if (!t) ft_die("masked LM needs the model's tokenizer (for [MASK] and the special tokens): %s", err);
    ft_mlm *c = ft_xcalloc(1, sizeof *c);
    c->probability = (float)probability;
    c->vocab = ft_tok_vocab_size(t);
    c->mask_id = ft_tok_mask_id(t);
    if (c->mask_id < 0) ft_die("%s: the tokenizer has no mask token ([MASK] or <mask>)", dir);
    c->special = ft_xcalloc(c->vocab, 1);
    for (int id = 0; id < c->vocab; id++) c->special[id] = (uint8_t)ft_tok_is_special(t, id);
    int pad = ft_tok_pad_id(t);
    if (pad >= 0) c->special[pad] = 1;
    ft_tok_free(t);
    return c;
}

void ft_mlm_free(ft_mlm *c)
{
    if (!c) return;
    free(c->special);
    free(c);
}

size_t ft_mlm_mask(const ft_mlm *c, size_t n, const int32_t *ids, const int32_t *attention_mask,
                   int32_t *ids_out, int32_t *labels_out, uint64_t key)
{
    ft_rng r;
    ft_rng_seed(&r, key);
    size_t chosen = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        ids_out[i] = id;
        labels_out[i] = -100;
        /* three draws per token whatever happens, so token i's fate does not
           depend on the tokens before it */
        double u = ft_rng_uniform(&r), v = ft_rng_uniform(&r);
        int32_t random_id = (int32_t)(ft_rng_u64(&r) % (uint64_t)c->vocab);
        if ((attention_mask && !attention_mask[i]) || (id >= 0 && id < c->vocab && c->special[id])) continue;
        if (u >= c->probability) continue;
        chosen++;
        labels_out[i] = id;
        if (v < 0.8) ids_out[i] = c->mask_id;
        else if (v < 0.9) ids_out[i] = random_id;
    }
    return chosen;
}

size_t ft_mlm_mask_batch(const ft_mlm *c, ft_mlm_buf *buf, ft_batch *b, uint64_t key)
{
    size_t n = (size_t)b->B * b->T;
    if (n > buf->cap) {
        buf->ids = ft_xrealloc(buf->ids, n * sizeof *buf->ids);
        buf->labels = ft_xrealloc(buf->labels, n * sizeof *buf->labels);
        buf->cap = n;
    }
    size_t chosen = ft_mlm_mask(c, n, b->input_ids, b->attention_mask, buf->ids, buf->labels, key);
    b->input_ids = buf->ids;
    b->labels = buf->labels;
    b->Tl = b->T;
    return chosen;
}

void ft_mlm_buf_free(ft_mlm_buf *buf)
{
    free(buf->ids);
    free(buf->labels);
    *buf = (ft_mlm_buf){0};
}
