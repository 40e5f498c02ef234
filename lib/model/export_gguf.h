/* export_gguf: a model or a LoRA adapter as a GGUF file llama.cpp loads
 * (ft-export --format gguf; docs/export.md).  The family's ft_gguf_family
 * (model.h) names the architecture, its hyperparameter keys and each
 * tensor; this file does what is the same for every family: the general.*
 * keys, the tokenizer (export_vocab.c), the conversion of each tensor to the
 * output type, the permutation and transposition the family asks for, and
 * the atomic, checked write (gguf.h). */
#ifndef FT_EXPORT_GGUF_H
#define FT_EXPORT_GGUF_H
#include "gguf.h"
#include "model.h"

/* "f32", "f16", "bf16", "q8_0" → the type; -1 if unknown */
int ft_gguf_outtype_parse(const char *s);

/* Model m, loaded from dir (its tokenizer files are read from there), as
   outtype (matrices; vectors and position embeddings stay F32, and a matrix
   whose rows are not whole Q8_0 blocks is F16 as convert_hf_to_gguf does).
   Dies naming the directory and key or tensor llama.cpp cannot express. */
void ft_export_gguf_model(ft_model *m, const char *dir, enum ft_gguf_type outtype, const char *out);

/* The LoRA adapter attached to m (ft_lora_load), loaded from adapter_dir, as
   llama.cpp's LoRA adapter: "<tensor>.lora_a" [r,in] and ".lora_b" [out,r]
   in outtype (F16 where a row is not whole Q8_0 blocks), lora_b permuted as
   its base tensor, adapter.lora.alpha such that alpha / r is PEFT's scale. */
void ft_export_gguf_adapter(ft_model *m, const char *adapter_dir, enum ft_gguf_type outtype, const char *out);

/* export_vocab.c: tokenizer.ggml.* and tokenizer.chat_template from dir's
   tokenizer.json and tokenizer_config.json, for a vocabulary of n_vocab
   rows (ids past the tokenizer's are padding tokens, as the converter
   writes them).  Dies naming the file and entry it cannot express. */
void ft_export_gguf_vocab(struct ft_gguf *g, const char *dir, int n_vocab);

/* export_vocab_spm.c: when tokenizer.json tj (read from path) is
   SentencePiece-style BPE, writes model "llama", its scores and
   add_space_prefix, turns the byte tokens' and the unknown token's types
   tt[] into BYTE and UNKNOWN, and returns 1; 0 when it is not.  Dies naming
   path and the entry llama.cpp's SPM tokenizer cannot express. */
struct json_t;
int ft_export_vocab_spm(struct ft_gguf *g, struct json_t *tj, const char *path, const char *const *tok,
                        int32_t *tt, int n_vocab);

#endif
