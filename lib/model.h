/* model: the interface the trainer and evaluator drive, independent of the
 * architecture.  BERT is the first implementation (bert.c); GPT-2 and T5 plug
 * in by providing another ft_model_vt and a case in ft_model_new.
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
   "sequence-classification"), "causal-lm", "seq2seq". */
enum ft_task { FT_TASK_SEQ_CLS, FT_TASK_CAUSAL_LM, FT_TASK_SEQ2SEQ };
int ft_task_parse(const char *s);           /* -1 if unknown */

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
    int Tl;                          /* token labels: labels is [B,Tl] (seq2seq, causal LM); 0 = class labels */
} ft_batch;

typedef struct ft_model ft_model;
typedef struct ft_model_vt {
    /* Forward; if logits != NULL copy them out ([B, num_labels]).  train=1
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
} ft_model_vt;

struct ft_model {
    const ft_model_vt *vt;
    const char *arch;            /* HF class name written to config.json */
    const char *base_prefix;     /* "bert." ... for checkpoint quirks */
    enum ft_task task;
    enum ft_problem problem;
    int num_labels;
    ft_config *cfg;              /* labels live here (cfg->id2label) */
    ft_params params;            /* weights + grads, HF names */
    uint64_t seed;               /* dropout stream root */
    uint64_t step;               /* forward calls in train mode (dropout keys) */
    int threads;                 /* OpenMP threads used (omp_get_max_threads) */
    void *impl;                  /* architecture-specific state */
};

/* Load config.json + weights from a directory, hub name or cache path.
   num_labels <= 0 keeps the config's labels.  Missing heads are initialised
   as HF does (normal(0, initializer_range), bias 0) from seed. */
ft_model *ft_model_load(const char *name_or_dir, const char *task, int num_labels, uint64_t seed);
/* A fresh model from a config alone, initialised as HF's _init_weights. */
ft_model *ft_model_new_from_config(const char *config_path, const char *task,
                                   int num_labels, uint64_t seed);
/* Takes ownership of cfg. */
ft_model *ft_model_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed);
void ft_model_free(ft_model *m);

/* Forward + backward in one call; gradients ACCUMULATE (zero them per
   optimiser step with ft_params_zero_grad).  train=1: dropout on.
   Returns the mean loss of the batch. */
float ft_model_forward_backward(ft_model *m, const ft_batch *b, int train);
/* Inference: dropout off, no activations kept.  logits_out [B, num_labels]
   may be NULL.  Returns the loss, or NAN without labels. */
float ft_model_forward(ft_model *m, const ft_batch *b, float *logits_out);
void ft_model_reserve(ft_model *m, int B, int T);
double ft_model_flops(const ft_model *m, int B, int T);

/* Write config.json + model.safetensors (HF layout) into dir (created). */
void ft_model_save(ft_model *m, const char *dir);

static inline ft_params *ft_model_params(ft_model *m) { return &m->params; }
static inline int ft_model_num_labels(const ft_model *m) { return m->num_labels; }
const char *ft_model_label_name(const ft_model *m, int i);
/* Name the labels (id2label), e.g. from the training data; n must equal num_labels. */
void ft_model_set_label_names(ft_model *m, int n, const char *const *names);

#endif
