/* bert: BertForSequenceClassification and BertForMaskedLM (HF modeling_bert)
 * on the ops, with one classifier per task for multi-task models.  Parameter
 * names are HF's ("bert.embeddings.word_embeddings.weight", ...,
 * "classifier.weight", "classifier.<task>.weight").  Not normally used
 * directly: go through model.h. */
#ifndef FT_BERT_H
#define FT_BERT_H
#include "model.h"

typedef struct ft_bert_config {
    int vocab_size, hidden_size, num_layers, num_heads, intermediate_size;
    int max_position, type_vocab_size, pad_token_id;
    float layer_norm_eps, initializer_range;
    float hidden_dropout, attention_dropout, classifier_dropout;
    int act;                    /* 0 gelu (erf), 1 gelu_new (tanh), 2 relu */
} ft_bert_config;

void ft_bert_config_read(const ft_config *cfg, ft_bert_config *bc);

/* The family (model.h): model_type "bert".  Its new_model builds the model
   (params allocated, zero); ft_model_open initialises the weights through
   ft_model_vt.init_param. */
extern const ft_family ft_bert_family;
/* HF BertPreTrainedModel._init_weights of one parameter (by its name); the
   vtable's init_param, exported for the benchmarks. */
void ft_bert_init_param(ft_model *m, int idx, uint64_t seed);

#endif
