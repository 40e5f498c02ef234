/* train_data: what ft-train trains on, and the micro-batches of each epoch
   from it — shuffled token records, ready batches from ft-batch, replayed
   old-task examples, or per-task batches interleaved for a multi-task model.
   Every order is reproducible from (seed, epoch), so a resumed run sees the
   same batches. */
#ifndef FT_TRAIN_DATA_H
#define FT_TRAIN_DATA_H
#include "batcher.h"
#include "dataset.h"

/* Token records that ft-train batches itself (ds), or batches that ft-batch
   made (used in their order: their header fixes the epochs and steps per
   epoch). */
typedef struct ft_train_data {
    ft_dataset *ds;
    ft_batch_data *batches;
    long nbatches, batches_per_epoch;
    json_t *header;                     /* the stream's header; NULL for text input */
    int max_len;                        /* longest row, for reserving memory */
    /* replay: ds->ex[n_new..] are old-task examples; each epoch mixes in a
       fresh sample of them so that they make replay_ratio of the epoch */
    size_t n_new;
    double replay_ratio;
} ft_train_data;
ft_train_data *ft_train_data_load(const char *path);
/* Appends the token records of another file (taking more; path names it in
   errors): token shards tokenized apart train as one data set, in the order
   given.  Before any replay is added. */
void ft_train_data_append(ft_train_data *d, ft_dataset *more, const char *path);
/* Adds old-task records for replay (token records only). */
void ft_train_data_add_replay(ft_train_data *d, const char *path, double ratio);
void ft_train_data_free(ft_train_data *d);

/* The micro-batches of one epoch after another. */
struct ft_train_args;
typedef struct ft_train_feed ft_train_feed;
/* heads: multi-task, the model head of each dataset task (NULL: one task). */
ft_train_feed *ft_train_feed_new(const ft_train_data *d, const struct ft_train_args *a,
                                 const int *heads, int nheads);
long ft_train_feed_batches_per_epoch(const ft_train_feed *f);
void ft_train_feed_epoch(ft_train_feed *f, long ep);      /* this epoch's order */
/* Micro-batch mb of the epoch; *head gets its model head (multi-task) or -1.
   NULL when ready batches run out before the epoch does. */
const ft_batch_data *ft_train_feed_batch(ft_train_feed *f, long mb, int *head);
void ft_train_feed_free(ft_train_feed *f);
#endif
