/* llama: the Llama-shaped decoders — HF's LlamaForCausalLM and the families
 * that share its body: MistralForCausalLM, Qwen2ForCausalLM,
 * Qwen3ForCausalLM.  RMSNorm, rotary embeddings (rotate-half; rope_scaling
 * llama3 and linear), grouped-query attention, a SwiGLU MLP; per family:
 * q/k/v biases (qwen2, attention_bias), per-head q/k RMSNorm and an explicit
 * head_dim (qwen3), a sliding window (mistral; qwen2/3 where the config
 * turns it on), tied or untied lm_head.  Parameter names are HF's
 * ("model.layers.0.self_attn.q_proj.weight", nn.Linear [out,in]).
 * Training, evaluation and KV-cache generation go through model.h; the LM
 * head and its loss run in row chunks (ft_lm_head_loss), and
 * gradient checkpointing (ft_model.gradient_checkpointing) keeps only each
 * layer's input and recomputes the layer in backward. */
#ifndef FT_LLAMA_H
#define FT_LLAMA_H
#include "model.h"

/* The families (model.h), model_type "llama", "mistral", "qwen2", "qwen3". */
extern const ft_family ft_llama_family, ft_mistral_family, ft_qwen2_family, ft_qwen3_family;
#endif
