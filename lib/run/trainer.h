/* trainer: the Hugging Face Trainer's loop, step for step: epochs of shuffled
   batches, gradient accumulation, clipping, AdamW with a schedule, logging,
   evaluation and checkpoints (checkpoint-N/ with trainer_state.json), the best
   model kept, resumable bit for bit. */
#ifndef FT_TRAINER_H
#define FT_TRAINER_H
#include "batcher.h"
#include "dataset.h"
#include "model.h"
#include "task_setup.h"
#include "train_data.h"

enum ft_interval { FT_IV_NO, FT_IV_STEPS, FT_IV_EPOCH };
/* Multi-task models: the order of the per-task batches in an epoch.  Every
   batch of every task is used once per epoch; the next batch comes from a
   task drawn with probability ∝ its size (proportional), ∝ size^(1/T)
   (temperature; T=1 is proportional, large T tends to uniform), or from
   each task in turn (round-robin; exhausted tasks drop out). */
enum ft_task_sampling { FT_TS_PROPORTIONAL, FT_TS_TEMPERATURE, FT_TS_ROUND_ROBIN };
int ft_task_sampling_parse(const char *s);  /* -1 if unknown */

/* TrainingArguments, with HF's defaults (ft_train_args_default). */
typedef struct ft_train_args {
    const char *output_dir;
    double num_train_epochs;            /* 3 */
    long max_steps;                     /* -1: from epochs */
    int train_batch_size, eval_batch_size;   /* 8, 8 */
    double learning_rate;               /* 5e-5 */
    long warmup_steps;                  /* 0 */
    double warmup_ratio;                /* 0 */
    double weight_decay;                /* 0 */
    double adam_beta1, adam_beta2, adam_epsilon;   /* 0.9, 0.999, 1e-8 */
    double max_grad_norm;               /* 1.0; 0 = no clipping */
    int lr_scheduler;                   /* enum ft_sched; linear */
    int grad_accum;                     /* 1 */
    enum ft_interval eval_strategy, save_strategy, logging_strategy;  /* no, steps, steps */
    long eval_steps, save_steps, logging_steps;     /* -, 500, 500 (eval_steps 0 = logging_steps) */
    int save_total_limit;               /* 0 = keep all */
    int load_best_model_at_end;
    const char *metric_for_best_model;  /* "loss" */
    int greater_is_better;              /* -1 = from the metric name */
    int early_stopping_patience;        /* 0 = off */
    double early_stopping_threshold;
    const char *logging_dir;            /* NULL: output_dir (TensorBoard: output_dir/runs/DATE_HOST) */
    int report_tensorboard;             /* --report-to tensorboard: event files in the logging dir */
    uint64_t seed;                      /* 42 */
    int drop_last, group_by_length;
    int max_length;                     /* pad batches to this; 0 = longest; with packing,
                                           a packed row's tokens */
    int packing;                        /* SFTConfig packing + padding_free (pack.h) */
    const char *resume_from_checkpoint;
    double l2sp, ewc;                   /* continual learning penalties (0 = off) */
    const char *fisher;                 /* diagonal Fisher for EWC */
    int quiet;                          /* no progress bar */
    int task_sampling;                  /* enum ft_task_sampling (proportional) */
    double task_temperature;            /* T for temperature sampling (2) */
    /* data parallel (set by ft_train from dist.h; 0 and 1 alone): this
       process's rank and the number of ranks, each reading its shard of
       every epoch (DistributedSampler) */
    int process_index, world_size;
} ft_train_args;

void ft_train_args_default(ft_train_args *a);

/* Trains m on train (eval may be NULL) with every batch prepared by ts (may
   be NULL: batches as they are) and writes the final (or best) model to
   output_dir.  Returns the process exit status (0, or 128+signal when
   interrupted after saving a checkpoint). */
int ft_train(ft_model *m, const ft_task_setup *ts, const ft_train_data *train, const ft_dataset *eval,
             const ft_train_args *a);
#endif
