/* batcher: epochs of padded batches from a dataset, as the HF Trainer's
   DataLoader makes them (random order each epoch when shuffling, the last
   partial batch kept unless drop_last, optional length grouping). */
#ifndef FT_BATCHER_H
#define FT_BATCHER_H
#include "dataset.h"
#include "record.h"

typedef struct ft_batch_opts {
    int batch_size;
    int shuffle;
    uint64_t seed;
    int drop_last;
    int max_length;        /* pad every batch to this; 0 = to its longest row */
    int group_by_length;   /* HF LengthGroupedSampler: similar lengths together */
} ft_batch_opts;

/* A padded batch, row-major.  Buffers are reused between fills. */
typedef struct ft_batch_data {
    int B, T, Tl;                 /* rows, tokens per row, label length (seq labels) */
    int32_t *input_ids, *attention_mask, *token_type_ids;  /* [B,T]; type ids NULL if none */
    int32_t *labels;              /* [B] class ids or [B,Tl] token labels (-100 = ignore) */
    int64_t *ids;                 /* [B] source record ids */
    int32_t *tasks;               /* [B] task index */
    int32_t *tt_buf;              /* storage behind token_type_ids */
    /* packed rows (pack.h): [B,T] each token's position in its example and
       the example's index in its row; NULL when rows are one example each */
    int32_t *position_ids, *segment_ids;
    int32_t *pos_buf, *seg_buf;   /* storage behind them */
    size_t cap_tok, cap_tt, cap_rows, cap_lab, cap_pack;
} ft_batch_data;

long ft_batches_per_epoch(const ft_dataset *ds, const ft_batch_opts *o);
/* Batches of o->batch_size in an epoch of n units (examples, packed rows),
   the last one partial unless drop_last. */
long ft_batches_for(size_t n, const ft_batch_opts *o);
/* order[0..n) = 0 .. n-1, shuffled with the epoch's seed when shuffle: the
   one shuffle of examples (ft_epoch_order) and of packed rows. */
void ft_order_shuffled(int64_t *order, size_t n, uint64_t seed, int epoch, int shuffle);
/* The order of examples in an epoch (0-based): n = ds->n indices. */
void ft_epoch_order(const ft_dataset *ds, const ft_batch_opts *o, int epoch, int64_t *order);
/* Fisher-Yates with an unbiased bounded draw: the order depends only on the
   rng's seed. */
struct ft_rng;
void ft_shuffle_i64(int64_t *a, size_t n, struct ft_rng *rng);
/* Pads examples idx[0..count) into out.  Dies if a row exceeds max_length. */
void ft_batch_fill(const ft_dataset *ds, const ft_batch_opts *o, const int64_t *idx, int count,
                   ft_batch_data *out);
void ft_batch_data_free(ft_batch_data *b);
/* Room in b for B rows of T tokens and Tl labels (Tl 0: one per row), with
   token type ids (has_tt) and packing's position and segment ids (packed);
   the pointers of what is not asked for become NULL. */
void ft_batch_reserve(ft_batch_data *b, int B, int T, int Tl, int has_tt, int packed);

/* Batch <-> record (fields input_ids, attention_mask, token_type_ids, labels, id;
   packed batches also position_ids and segment_ids). */
void ft_batch_to_record(const ft_batch_data *b, ft_record *rec);
/* Returns 0 with *err set if the record is not a batch. */
int ft_batch_from_record(const ft_record *rec, ft_batch_data *b, const char **err);
#endif
