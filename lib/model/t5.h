/* t5: T5ForConditionalGeneration (HF modeling_t5) on the ops — T5 v1.0 /
 * CodeT5 (ReLU FFN) and v1.1 (gated GELU), tied or separate LM head.
 * Parameter names are HF's ("shared.weight", "encoder.block.0.layer.0.
 * SelfAttention.q.weight", …).  Training goes through model.h with
 * task "seq2seq": ft_batch.input_ids/attention_mask are the encoder input,
 * labels [B,Tl] the target (−100 ignored); the decoder input is the labels
 * shifted right with decoder_start_token_id in front.
 *
 * Generation goes through ft_model_vt's decode hooks: the encoder runs
 * once, the decoder one token per call with a self-attention key/value cache
 * and the cross-attention keys/values computed once per input. */
#ifndef FT_T5_H
#define FT_T5_H
#include "model.h"

typedef struct ft_t5_config {
    int vocab_size, d_model, d_kv, d_ff, num_layers, num_decoder_layers, num_heads;
    int num_buckets, max_distance;
    float eps, dropout, init_factor;
    int act;                    /* 0 gelu (erf), 1 gelu_new (tanh), 2 relu */
    int gated;                  /* feed_forward_proj "gated-*" */
    int tie;                    /* tie_word_embeddings (default true) */
    int pad_token_id, eos_token_id, decoder_start_token_id;
} ft_t5_config;

void ft_t5_config_read(const ft_config *cfg, ft_t5_config *tc);

/* The family (model.h): model_type "t5".  Its new_model builds the model
   (params allocated, zero); ft_model_open initialises the weights through
   ft_model_vt.init_param. */
extern const ft_family ft_t5_family;
/* HF T5PreTrainedModel._init_weights for one parameter. */
void ft_t5_init_param(ft_model *m, int idx, uint64_t seed);

#endif
