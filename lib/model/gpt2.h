/* gpt2: GPT2LMHeadModel (HF modeling_gpt2) on the ops.
 * Parameter names are HF's ("transformer.wte.weight", ...,
 * "transformer.h.0.attn.c_attn.weight" stored [in,out] as Conv1D); the LM
 * head is tied to wte, so there is no lm_head tensor.  Training and
 * evaluation go through model.h, and so does generation (ft_model_vt's
 * decode hooks: a KV cache of keys and values per layer). */
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

/* The family (model.h): model_type "gpt2".  Its new_model builds the model
   (params allocated, zero); ft_model_open initialises the weights through
   ft_model_vt.init_param. */
extern const ft_family ft_gpt2_family;
#endif
