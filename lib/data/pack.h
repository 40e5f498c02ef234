/* pack: TRL's packing with padding_free semantics (SFTConfig packing=True,
   padding_free=True; HF DataCollatorWithFlattening): examples laid end to
   end in rows of at most max_length tokens, each token carrying its
   position in its example and the example's index in the row, so that the
   model keeps examples apart (docs/packing.md).
   Rows are filled in dataset order, next-fit: an example goes into the
   current row when it fits and starts a new row when it does not (TRL's
   padding_free keeps the order; its "bfd" strategy, which reorders to fill
   rows better, is not this).  An example longer than max_length is cut to
   max_length, as TRL's packing does, and counted in truncated.  Packing
   happens once, before the first epoch; epochs shuffle rows, as TRL's
   Trainer shuffles the packed dataset. */
#ifndef FT_PACK_H
#define FT_PACK_H
#include "batcher.h"

typedef struct ft_pack {
    long nrows;
    int64_t *start;       /* [nrows+1]: row r holds examples start[r] .. start[r+1]-1 */
    int32_t *tokens;      /* [nrows] tokens in each row */
    int max_length;
    long truncated;       /* examples cut to max_length */
    long long cut_tokens; /* tokens those lost */
} ft_pack;

/* Dies when the dataset's labels are class labels, or token labels not one
   per input token (packing is for causal LMs: token labels, or none, the
   labels then following the inputs). */
ft_pack *ft_pack_new(const ft_dataset *ds, int max_length);
void ft_pack_free(ft_pack *p);
/* "<tool>: packing: N examples longer than --max-length M cut to it (K tokens dropped)"
   on stderr when any was; nothing otherwise. */
void ft_pack_report(const ft_pack *p);
/* Epochs: ft_batches_for(p->nrows, o) batches, the rows in the order of
   ft_order_shuffled (batcher.h), as examples unpacked. */
/* Rows rows[0..count) into out, padded to o->max_length when set, else to the
   longest row; out->position_ids and out->segment_ids are filled (trailing
   padding: position 0, its row's last example), out->ids[r] is the record id
   of row r's first example. */
void ft_pack_fill(const ft_dataset *ds, const ft_pack *p, const ft_batch_opts *o, const int64_t *rows, int count,
                  ft_batch_data *out);
#endif
