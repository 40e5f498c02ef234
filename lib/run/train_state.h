/* train_state: a training run's state — the step, the schedule's lengths,
   the optimizer, the best metric, the log — and the checkpoint-N/
   directories that hold it (weights, optimizer.safetensors,
   trainer_state.json), saved and resumed bit for bit.  The trainer's own
   module; tools use trainer.h. */
#ifndef FT_TRAIN_STATE_H
#define FT_TRAIN_STATE_H
#include "model.h"
#include "optim.h"
#include "penalty.h"
#include "progress.h"
#include "tensorboard.h"
#include "trainer.h"
#include <jansson.h>

typedef struct ft_run_state {
    const ft_train_args *a;
    ft_model *m;
    ft_adamw *opt;
    long global_step, total_steps, warmup, steps_per_epoch;   /* optimiser steps */
    long batches_per_epoch;                                    /* micro-batches */
    double epoch;                                              /* fractional */
    json_t *log_history;
    int have_best;
    double best_metric;
    char *best_checkpoint;
    int patience_left;
    FILE *log_file;
    double tokens, t_start;
    ft_penalty *penalty;
    double l2sp_val, ewc_val;
    ft_progress *bar;           /* the step progress line */
    ft_tb *tb;                  /* TensorBoard event file (--report-to), or NULL */
} ft_run_state;

/* trainer_state.json as HF writes it, plus what ft needs to resume. */
void ft_run_state_write(const ft_run_state *st, const char *path);
/* Saves output_dir/checkpoint-<step>/ (whole, or not at all); returns its path. */
char *ft_run_save_checkpoint(ft_run_state *st);
/* Keeps at most save_total_limit checkpoints, never deleting the best one. */
void ft_run_rotate_checkpoints(const ft_run_state *st);
/* Loads the weights, optimizer, penalty anchor and state of a checkpoint. */
void ft_run_resume(ft_run_state *st, const char *dir);
#endif
