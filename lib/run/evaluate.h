/* evaluate: run a model over a dataset and compute the metrics of its task
   (eval_loss always; accuracy, precision/recall/F1 and the confusion matrix
   for classification; perplexity for language modelling). */
#ifndef FT_EVALUATE_H
#define FT_EVALUATE_H
#include "batcher.h"
#include "dataset.h"
#include "distout.h"
#include "model.h"
#include "stream.h"
#include "task_setup.h"
#include <jansson.h>

/* Metrics as HF's evaluate() names them: keys prefixed with `prefix`
   ("eval_").  A multi-task model is evaluated per task: <prefix><task>_<metric>
   for each task in ds, <prefix>average_<metric> their mean, <prefix>loss over
   all records.  preds, if not NULL (on every rank), receives one record per
   example (id, label, predicted label, probabilities), tagged with its place
   in one process's order; the caller closes it (it writes on rank 0).  ts
   (may be NULL) prepares each batch as training does (masks, spans, label
   smoothing), with a fixed key per batch.  A progress bar shows on a
   terminal unless quiet. */
json_t *ft_evaluate(ft_model *m, const ft_task_setup *ts, const ft_dataset *ds, int batch_size,
                    const char *prefix, ft_distout *preds, int quiet);
/* Multi-task models: the head (index into m->heads) of each of ds's tasks,
   matched by name; dies naming `what` when a task has no head.  Free it. */
int *ft_task_heads(const ft_model *m, const ft_dataset *ds, const char *what);
/* Refuse token ids outside the model's vocabulary or labels outside its range
   (tokens from another tokenizer, a wrong --num-labels). */
void ft_check_dataset_fits(const ft_model *m, const ft_dataset *ds, const char *what);
void ft_check_batches_fit(const ft_model *m, const ft_batch_data *b, long n, const char *what);
/* The diagonal empirical Fisher: the mean over labelled records of the
   squared gradient of each record's loss (dropout off), plus gamma times an
   earlier Fisher file when given (online EWC).  Written to path; returns the
   number of records it covers. */
long ft_fisher_compute(ft_model *m, const ft_dataset *ds, const char *earlier, double gamma,
                       const char *path);
#endif
