/* model: the interface the trainer and evaluator drive, independent of the
 * architecture.  Each family (bert.c, gpt2.c, t5.c, llama.c) provides an ft_model_vt
 * and an ft_family, and a line in model.c's table of families; a new family
 * touches its own file and that line.
 *
 * Typical training loop (see docs/compute-core.md):
 *   ft_model *m = ft_model_load("bert-base-chinese", "seq-cls", 5, seed);
 *   ft_adamw *opt = ft_adamw_new(ft_model_params(m), 0.01f);
 *   for each optimiser step s:
 *       ft_params_zero_grad(ft_model_params(m));
 *       for each micro-batch: loss = ft_model_forward_backward(m, &batch, 1);
 *       ft_grad_scale(ps, 1.0f/accum); ft_clip_grad_norm(ps, 1.0f);
 *       ft_adamw_step(opt, ps, ft_lr_at(FT_SCHED_LINEAR, lr, s, warmup, total));
 *   ft_model_save(m, "out/");
 */
#ifndef FT_MODEL_H
#define FT_MODEL_H
#include <stdint.h>
#include "params.h"
#include "hf_config.h"

/* Tasks.  Strings accepted by ft_task_parse: "seq-cls" (also
   "sequence-classification"), "causal-lm", "seq2seq", "masked-lm" (also
   "fill-mask": BertForMaskedLM, for pretraining an encoder on unlabelled text). */
enum ft_task { FT_TASK_SEQ_CLS, FT_TASK_CAUSAL_LM, FT_TASK_SEQ2SEQ, FT_TASK_MASKED_LM };
int ft_task_parse(const char *s);           /* -1 if unknown */
/* The task a saved model is for, from its config.json: architectures[0]
   (…ForMaskedLM: masked-lm; …LMHeadModel, …ForCausalLM: causal-lm;
   …ForConditionalGeneration: seq2seq), else its family's default task (by
   model_type), else seq-cls. */
const char *ft_task_of_config(const ft_config *c);

/* HF problem_type for sequence classification. */
enum ft_problem { FT_PROBLEM_SINGLE_LABEL, FT_PROBLEM_MULTI_LABEL, FT_PROBLEM_REGRESSION };

/* A padded batch, row-major [B,T].  Pointers are borrowed for the call. */
typedef struct ft_batch {
    int B, T;
    const int32_t *input_ids;        /* [B,T] */
    const int32_t *attention_mask;   /* [B,T] 1 = token, 0 = padding; NULL = all 1 */
    const int32_t *token_type_ids;   /* [B,T]; NULL = all 0 */
    const int32_t *labels;           /* single-label: [B] class ids, -100 = ignore */
    const float *float_labels;       /* regression / multi-label: [B, num_labels] */
    int Tl;                          /* > 0: labels are token labels [B,Tl] (causal LM,
                                        seq2seq); 0: labels are [B] as above */
    int task;                        /* multi-task models: the head (index into
                                        ft_model.heads) every row of the batch uses */
    float loss_weight;               /* scales the loss and its gradient; 0 = 1 */
    float label_smoothing;           /* HF label_smoothing_factor for the loss; 0 = none */
    /* Packing (docs/packing.md; causal LMs): several examples laid end to end
       in a row.  segment_ids [B,T]: which example of its row each token
       belongs to, an example's tokens contiguous (trailing padding takes its
       row's last id); attention stays inside an example and no label
       crosses into the next.  position_ids [B,T]: each token's position
       (0 at each example's start).  NULL: one example per row, positions
       0..T-1. */
    const int32_t *position_ids;
    const int32_t *segment_ids;
} ft_batch;

/* One classification head of a multi-task model: config.json's "ft_tasks"
   entry {"name", "num_labels", "id2label"}; its weights are
   classifier.<name>.weight / .bias. */
typedef struct ft_head {
    char *name;
    int num_labels;
    char **id2label;             /* num_labels names ("LABEL_i" when unnamed) */
} ft_head;

typedef struct ft_model ft_model;
struct ft_checkpoint;

/* Generation with a key/value cache (generate.c's one decoding loop).  A
   decoder holds R rows (batch × beams), each of up to max_len positions. */
typedef struct ft_decoder ft_decoder;
/* An encoder-decoder model's inputs: B rows ids[B,T], mask[B,T] or NULL. */
typedef struct ft_encoder_input {
    const int32_t *ids, *mask;
    int B, T;
} ft_encoder_input;
/* What generation reads of a model that can generate (set by its constructor). */
typedef struct ft_decode_spec {
    int vocab_size;
    int max_positions;           /* decoder-only: a row's length limit; 0: none */
    int bos_token_id;            /* decoder-only: an empty prompt is this token (-1: none) */
    int pad_token_id, decoder_start_token_id;  /* encoder-decoder */
} ft_decode_spec;

typedef struct ft_model_vt {
    /* Forward; if logits != NULL copy them out ([B, num_labels]; masked LM:
       [M, vocab_size] for the M tokens whose label is not -100, in order).  train=1
       enables dropout.  grad=1 keeps activations for backward.  Returns the
       loss, or NAN when the batch has no labels. */
    float (*forward)(ft_model *m, const ft_batch *b, int train, int grad, float *logits);
    /* Backward of the last forward (grad=1); accumulates into params.grad. */
    void (*backward)(ft_model *m, const ft_batch *b);
    /* Reserve activations for up to B×T tokens (later calls may grow it). */
    void (*reserve)(ft_model *m, int B, int T);
    /* Forward+backward FLOPs for one step of B×T tokens (for benchmarks). */
    double (*flops)(const ft_model *m, int B, int T);
    void (*free)(ft_model *m);
    /* HF _init_weights of one parameter. */
    void (*init_param)(ft_model *m, int idx, uint64_t seed);
    /* Is parameter idx the weight of a linear layer that calls the LoRA hooks?
       0 no, 1 nn.Linear ([out,in]), 2 Conv1D ([in,out]).  NULL: none. */
    int (*linear_kind)(const ft_model *m, int idx);
    /* After the checkpoint ck filled the parameters marked in loaded[]: the
       family's quirks (T5: a tied embedding stored under another name).
       NULL: none. */
    void (*after_load)(ft_model *m, const struct ft_checkpoint *ck, int *loaded);
    /* Multi-task: the head (index into heads) parameter idx belongs to, or -1.
       NULL: no multi-task heads. */
    int (*param_head)(const ft_model *m, int idx);
    /* Cached decoding; NULL decode_begin: the family cannot generate.
       begin: R rows of up to max_len positions; an encoder-decoder model
       encodes enc once (R a multiple of enc->B; row r decodes against input
       r / (R / B)), a decoder-only model gets enc NULL.
       step: Tn new tokens per row, ids[R,Tn], with pos[R,Tn] position ids and
       mask[R, cached+Tn] (1 = attend) over the cached and new tokens; an
       encoder-decoder model takes Tn = 1 and ignores pos and mask.  Writes
       the logits of each row's last new token to logits[R, vocab].  Dropout
       is off; an attached LoRA adapter applies.
       reorder (beam search): row r becomes old row src[r]. */
    ft_decoder *(*decode_begin)(ft_model *m, int R, int max_len, const ft_encoder_input *enc);
    void (*decode_step)(ft_model *m, ft_decoder *d, const int32_t *ids, const int32_t *pos,
                        const int32_t *mask, int Tn, float *logits);
    void (*decode_reorder)(ft_model *m, ft_decoder *d, const int *src);
    void (*decode_end)(ft_decoder *d);
} ft_model_vt;

/* How a family is written as GGUF for llama.cpp (export_gguf.h): what it
   knows of llama.cpp's names.  Each hook dies naming the config key or
   parameter that llama.cpp cannot express. */
struct ft_gguf;
typedef struct ft_gguf_name {
    char name[64];               /* llama.cpp's tensor name ("blk.0.attn_q.weight") */
    int transpose;               /* stored [in,out] (Conv1D): written as [out,in] */
    int permute_heads;           /* > 0: rows interleaved as convert_hf_to_gguf's
                                    LlamaModel.permute does with this many heads */
    int keep_f32;                /* F32 whatever the output type (position_embd) */
} ft_gguf_name;
typedef struct ft_gguf_family {
    /* general.architecture ("llama" for mistral) */
    const char *(*arch)(const ft_model *m);
    /* the ARCH.* hyperparameters, and tensors the converter derives (rope_freqs) */
    void (*meta)(const ft_model *m, struct ft_gguf *g, const char *arch);
    /* llama.cpp's name for parameter hf: 0, or -1 when it has none */
    int (*name)(const ft_model *m, const char *hf, ft_gguf_name *out);
} ft_gguf_family;

/* A model family: what config.json's model_type alone tells, before any
   model is built.  Each family's file defines one beside its vtable; model.c
   lists them. */
typedef struct ft_family {
    const char *model_type;      /* config.json's "model_type" */
    const char *name;            /* in messages ("T5") */
    const char *default_task;    /* ft_task_of_config's answer when no architectures say */
    int encoder_decoder;         /* is_encoder_decoder when the config does not say */
    const char *lora_targets;    /* LoRA's default target modules: PEFT's
                                    TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING */
    const char *cls_head;        /* the sequence-classification head's module, which
                                    LoRA keeps trainable as PEFT's SEQ_CLS does; NULL: none */
    int eos_token_id, pad_token_id;  /* generation's defaults where config.json has
                                        none (the HF config class's), -1: none */
    int span_corruption;         /* --task span-corruption can pretrain it */
    int gradient_checkpointing;  /* honours ft_model.gradient_checkpointing */
    ft_model *(*new_model)(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);
    const ft_gguf_family *gguf;  /* ft-export --format gguf; NULL: not exportable */
} ft_family;
/* The family of a model_type, or NULL. */
const ft_family *ft_family_of(const char *model_type);
/* The families, NULL-terminated. */
const ft_family *const *ft_families(void);
/* PretrainedConfig.is_encoder_decoder: the key when present, else the model
   class's default (its family's encoder_decoder; 0 for an unknown family). */
int ft_config_is_encoder_decoder(const ft_config *c);

struct ft_model {
    const ft_model_vt *vt;
    const ft_family *family;     /* what its config's model_type names (ft_model_new sets it) */
    const char *arch;            /* HF class name written to config.json */
    const char *base_prefix;     /* "bert." ... for checkpoint quirks */
    enum ft_task task;
    enum ft_problem problem;
    int num_labels;              /* multi-task: the largest head's */
    int ntasks;                  /* 0: one HF head "classifier"; else one head per task */
    ft_head *heads;              /* [ntasks] */
    ft_config *cfg;              /* labels live here (cfg->id2label) */
    ft_params params;            /* weights + grads, HF names */
    uint64_t seed;               /* dropout stream root */
    uint64_t step;               /* forward calls in train mode (dropout keys) */
    int threads;                 /* OpenMP threads used (omp_get_max_threads) */
    int loss_items;              /* what the last forward's loss is the mean over: labelled
                                    tokens (LMs), rows (classification); data-parallel
                                    training weighs each rank's gradient by it */
    ft_decode_spec gen;          /* generation's ids and limits (decoding families) */
    void *impl;                  /* architecture-specific state */
    struct ft_lora *lora;        /* attached adapter (lora.h), or NULL */
    /* Gradients ready (data-parallel overlap, dist.h): backward calls
       grads_ready(ctx, k) once every parameter gradient with index >= k
       (a LoRA adapter's: with its base weight's) is final, k decreasing.
       NULL: no hook, and backward pays one branch. */
    void (*grads_ready)(void *ctx, int k);
    void *grads_ready_ctx;
    int gradient_checkpointing;  /* TrainingArguments' gradient_checkpointing: training keeps
                                    each layer's input only and recomputes the layer in
                                    backward (families with .gradient_checkpointing) */
    const char *const *ignore_keys;  /* checkpoint names (suffixes) that are buffers,
                                        not weights; NULL-terminated, may be NULL */
};

/* Load config.json + weights from a directory, hub name or cache path.
   num_labels <= 0 keeps the config's labels.  Missing heads are initialised
   as HF does (normal(0, initializer_range), bias 0) from seed. */
ft_model *ft_model_load(const char *name_or_dir, const char *task, int num_labels, uint64_t seed);
/* Either of the two above (scratch=1: from config.json alone), with
   tasks (a JSON array of {"name", "num_labels", "id2label"?}, borrowed) set
   as the config's "ft_tasks" first: one shared encoder, one head per task.
   tasks NULL keeps what the config has. */
ft_model *ft_model_open(const char *name_or_dir, const char *task, int num_labels, json_t *tasks,
                        int scratch, uint64_t seed);
/* The head of the task called name, or -1. */
int ft_model_head(const ft_model *m, const char *name);
/* A fresh model from a config alone, initialised as HF's _init_weights. */
ft_model *ft_model_new_from_config(const char *config_path, const char *task,
                                   int num_labels, uint64_t seed);
/* Takes ownership of cfg. */
ft_model *ft_model_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);
void ft_model_free(ft_model *m);

/* The multi-task head parameter idx belongs to, or -1 (a shared weight). */
int ft_model_param_head(const ft_model *m, int idx);

/* Forward + backward in one call; gradients ACCUMULATE (zero them per
   optimiser step with ft_params_zero_grad).  train=1: dropout on.
   Returns the mean loss of the batch. */
float ft_model_forward_backward(ft_model *m, const ft_batch *b, int train);
/* Its two halves, for a caller that acts in between (data-parallel training
   weighs the gradient once every rank's loss_items are known).  Backward
   follows the forward of the same batch. */
float ft_model_forward_train(ft_model *m, const ft_batch *b, int train);
void ft_model_backward(ft_model *m, const ft_batch *b);
/* Inference: dropout off, no activations kept.  logits_out [B, num_labels]
   may be NULL.  Returns the loss, or NAN without labels. */
float ft_model_forward(ft_model *m, const ft_batch *b, float *logits_out);
void ft_model_reserve(ft_model *m, int B, int T);
/* Turns gradient checkpointing on; dies naming the flag when m's family
   cannot recompute its layers. */
void ft_model_gradient_checkpointing(ft_model *m);
double ft_model_flops(const ft_model *m, int B, int T);

/* Write config.json + model.safetensors (HF layout) into dir (created).
   With a LoRA adapter attached: adapter_config.json + adapter_model.safetensors. */
void ft_model_save(ft_model *m, const char *dir);
/* Overwrite the weights from a directory ft_model_save wrote (a checkpoint of
   this same run: every trainable tensor must be there). */
void ft_model_load_weights(ft_model *m, const char *dir);

static inline ft_params *ft_model_params(ft_model *m) { return &m->params; }
static inline int ft_model_num_labels(const ft_model *m) { return m->num_labels; }
const char *ft_model_label_name(const ft_model *m, int i);
/* Name the labels (id2label), e.g. from the training data; n must equal num_labels. */
void ft_model_set_label_names(ft_model *m, int n, const char *const *names);

#endif
