/* task_setup: what a run does to every batch for its task, apart from the
   model: masked-LM masking, T5 span corruption, label smoothing, multi-task
   loss weights.  ft-train and ft-eval build it from their flags with the same
   calls and hand it to the trainer and the evaluator; the model itself never
   sees it (the label smoothing reaches the loss as a field of the batch). */
#ifndef FT_TASK_SETUP_H
#define FT_TASK_SETUP_H
#include "mlm.h"
#include "model.h"
#include "spans.h"
#include <stddef.h>
#include <stdint.h>

/* The flags behind it (defaults from ft_task_opts_default). */
typedef struct ft_task_opts {
    const char *task;               /* --task; NULL: what config.json says the model is for */
    double mlm_probability;         /* masked LM: share masked; spans: noise density (0.15) */
    double mean_noise_span;         /* span corruption: mean span length (3.0) */
    int mlm_probability_given, mean_noise_span_given;
    double label_smoothing;         /* HF label_smoothing_factor (0) */
    const char *task_weights;       /* multi-task: NAME=W,... or NULL */
} ft_task_opts;
void ft_task_opts_default(ft_task_opts *o);

typedef struct ft_task_setup {
    char *task;                     /* the model's task string (span-corruption: "seq2seq") */
    const char *flag_task;          /* the task as the flags name it, for messages */
    int masked_lm, span_corruption;
    ft_mlm *mlm;                    /* masked LM: the masking of every batch, or NULL */
    ft_spans *spans;                /* span corruption of every batch, or NULL */
    float label_smoothing;
    double *task_weights;           /* multi-task: loss weight per head; NULL = all 1 */
} ft_task_setup;

/* Checks the flags against the task (dies naming the flag) and, for span
   corruption, reads the sentinels of the model in dir, refusing a model that
   is not a T5.  Called before the model is opened. */
ft_task_setup *ft_task_setup_new(const ft_task_opts *o, const char *dir);
/* Completes the setup for the opened model m (after it, so that a family
   that cannot take the task says so first): masked LM's masking from dir's
   tokenizer, the --task-weights by head. */
void ft_task_setup_attach(ft_task_setup *s, const ft_model *m, const char *dir, const ft_task_opts *o);
void ft_task_setup_free(ft_task_setup *s);

/* A batch's masked or corrupted inputs and labels; they only grow. */
typedef struct ft_task_buf { ft_mlm_buf mlm; ft_spans_buf spans; } ft_task_buf;
void ft_task_buf_free(ft_task_buf *buf);
/* Prepares batch b for the task (s may be NULL: nothing to do): masked LM
   masks it, span corruption corrupts it, both keyed by key (b's inputs and
   labels then point into buf); the label smoothing comes along.  Returns the
   rows of token logits a forward then writes: the masked tokens (masked LM),
   the B·Tl target positions (span corruption), else 0. */
size_t ft_task_prepare_batch(const ft_task_setup *s, ft_task_buf *buf, ft_batch *b, uint64_t key);
#endif
