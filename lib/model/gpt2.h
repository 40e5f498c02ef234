/* gpt2: GPT2LMHeadModel (HF modeling_gpt2) on the ops.
 * Parameter names are HF's ("transformer.wte.weight", ...,
 * "transformer.h.0.attn.c_attn.weight" stored [in,out] as Conv1D); the LM
 * head is tied to wte, so there is no lm_head tensor.  Training and
 * evaluation go through model.h; generation uses the KV-cache decoder below. */
#ifndef FT_GPT2_H
#define FT_GPT2_H
#include "model.h"

typedef struct ft_gpt2_config {
    int vocab_size, n_embd, n_layer, n_head, n_inner, n_positions;
    int eos_token_id, bos_token_id, pad_token_id;   /* -1 if absent */
    float layer_norm_eps, initializer_range;
    float resid_pdrop, embd_pdrop, attn_pdrop;
    int act;                    /* 0 gelu (erf), 1 gelu_new (tanh), 2 relu */
} ft_gpt2_config;

void ft_gpt2_config_read(const ft_config *cfg, ft_gpt2_config *gc);

ft_model *ft_gpt2_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);
const ft_gpt2_config *ft_gpt2_cfg(const ft_model *m);

/* ---- incremental decoding with a KV cache ----
   A cache holds keys and values for B rows of up to maxT positions.  Each
   call appends Tn tokens per row: ids[B,Tn], pos[B,Tn] (position ids),
   mask[B, len+Tn] (1 = attend, 0 = padding) covering the cached and new
   tokens, and writes the logits of the last new position of every row to
   logits[B,V].  Dropout is off; an attached LoRA adapter is applied. */
typedef struct ft_gpt2_cache ft_gpt2_cache;
ft_gpt2_cache *ft_gpt2_cache_new(ft_model *m, int B, int maxT);
void ft_gpt2_cache_free(ft_gpt2_cache *c);
/* Beam search: row r of the cache becomes old row src[r]. */
void ft_gpt2_cache_reorder(ft_model *m, ft_gpt2_cache *c, const int *src);
void ft_gpt2_decode(ft_model *m, ft_gpt2_cache *c, const int32_t *ids, const int32_t *pos,
                    const int32_t *mask, int Tn, float *logits);
#endif
