#include "batcher.h"
#include "rng.h"
#include "util.h"
#include <string.h>

long ft_batches_for(size_t n, const ft_batch_opts *o)
{
    size_t b = (size_t)o->batch_size;
    return (long)(o->drop_last ? n / b : (n + b - 1) / b);
}

long ft_batches_per_epoch(const ft_dataset *ds, const ft_batch_opts *o) { return ft_batches_for(ds->n, o); }

/* Lemire's multiply-shift with rejection for the bounded draw. */
void ft_shuffle_i64(int64_t *a, size_t n, ft_rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        uint64_t bound = i, x = ft_rng_u64(rng);
        __uint128_t m = (__uint128_t)x * bound;
        uint64_t low = (uint64_t)m;
        if (low < bound) {
            uint64_t t = -bound % bound;
            while (low < t) {
                x = ft_rng_u64(rng);
                m = (__uint128_t)x * bound;
                low = (uint64_t)m;
            }
        }
        size_t j = (size_t)(m >> 64);
        int64_t tmp = a[i - 1];
        a[i - 1] = a[j];
        a[j] = tmp;
    }
}

static const ft_dataset *sort_ds;
static int by_len_desc(const void *x, const void *y)
{
    int32_t a = sort_ds->ex[*(const int64_t *)x].used, b = sort_ds->ex[*(const int64_t *)y].used;
    return (a < b) - (a > b);
}

void ft_order_shuffled(int64_t *order, size_t n, uint64_t seed, int epoch, int shuffle)
{
    for (size_t i = 0; i < n; i++) order[i] = (int64_t)i;
    if (!shuffle) return;
    ft_rng rng;
    ft_rng_seed(&rng, seed * 0x100000001b3ull + (uint64_t)epoch);
    ft_shuffle_i64(order, n, &rng);
}

void ft_epoch_order(const ft_dataset *ds, const ft_batch_opts *o, int epoch, int64_t *order)
{
    ft_order_shuffled(order, ds->n, o->seed, epoch, o->shuffle || o->group_by_length);
    if (!o->group_by_length) return;
    /* LengthGroupedSampler: megabatches of 50 batches, each sorted by length
       (longest first), and the longest example of all moved to the very
       first batch so an out-of-memory shows up at once. */
    size_t mega = (size_t)o->batch_size * 50;
    sort_ds = ds;
    size_t longest = 0;
    for (size_t s = 0; s < ds->n; s += mega) {
        size_t len = ds->n - s < mega ? ds->n - s : mega;
        qsort(order + s, len, sizeof *order, by_len_desc);
        if (ds->ex[order[s]].used > ds->ex[order[longest]].used) longest = s;
    }
    int64_t t = order[0];
    order[0] = order[longest];
    order[longest] = t;
}

void ft_batch_reserve(ft_batch_data *b, int B, int T, int Tl, int has_tt, int packed)
{
    size_t tok = (size_t)B * T, lab = (size_t)B * (Tl > 0 ? Tl : 1);
    if (tok > b->cap_tok) {
        b->cap_tok = tok;
        b->input_ids = ft_xrealloc(b->input_ids, tok * sizeof(int32_t));
        b->attention_mask = ft_xrealloc(b->attention_mask, tok * sizeof(int32_t));
        b->cap_tt = 0;
        b->cap_pack = 0;
    }
    if (has_tt && b->cap_tt < b->cap_tok) {
        b->cap_tt = b->cap_tok;
        b->tt_buf = ft_xrealloc(b->tt_buf, b->cap_tt * sizeof(int32_t));
    }
    b->token_type_ids = has_tt ? b->tt_buf : NULL;
    if (packed && b->cap_pack < b->cap_tok) {
        b->cap_pack = b->cap_tok;
        b->pos_buf = ft_xrealloc(b->pos_buf, b->cap_pack * sizeof(int32_t));
        b->seg_buf = ft_xrealloc(b->seg_buf, b->cap_pack * sizeof(int32_t));
    }
    b->position_ids = packed ? b->pos_buf : NULL;
    b->segment_ids = packed ? b->seg_buf : NULL;
    if ((size_t)B > b->cap_rows) {
        b->cap_rows = B;
        b->ids = ft_xrealloc(b->ids, B * sizeof *b->ids);
        b->tasks = ft_xrealloc(b->tasks, B * sizeof *b->tasks);
    }
    if (lab > b->cap_lab) {
        b->cap_lab = lab;
        b->labels = ft_xrealloc(b->labels, lab * sizeof *b->labels);
    }
}

void ft_batch_fill(const ft_dataset *ds, const ft_batch_opts *o, const int64_t *idx, int count,
                   ft_batch_data *out)
{
    /* Rows are cut to what they use (see ft_example.used), so records padded
       to max_length by ft-tokenize cost no more than unpadded ones. */
    int T = 0, Tl = 0;
    for (int i = 0; i < count; i++) {
        const ft_example *e = &ds->ex[idx[i]];
        if (o->max_length && e->used > o->max_length)
            ft_die("record %lld has %d tokens, more than --max-length %d (tokenize with --max-length to truncate)",
                   (long long)e->id, e->used, o->max_length);
        if (e->used > T) T = e->used;
        if (e->lab_used > Tl) Tl = e->lab_used;
    }
    if (o->max_length) T = o->max_length;
    int labels_follow_inputs = 0;
    if (ds->label_kind == FT_LABELS_SEQUENCE) {
        /* causal-LM labels (one per input token) follow the inputs' padding */
        labels_follow_inputs = 1;
        for (int i = 0; i < count && labels_follow_inputs; i++)
            labels_follow_inputs = ds->ex[idx[i]].lab_len == ds->ex[idx[i]].len;
        if (labels_follow_inputs) Tl = T;
    }
    ft_batch_reserve(out, count, T, Tl, ds->type_ids != NULL, 0);
    out->B = count;
    out->T = T;
    out->Tl = ds->label_kind == FT_LABELS_SEQUENCE ? Tl : 0;
    for (int i = 0; i < count; i++) {
        const ft_example *e = &ds->ex[idx[i]];
        int n = e->len < T ? e->len : T;
        int32_t *row = out->input_ids + (size_t)i * T, *mrow = out->attention_mask + (size_t)i * T;
        memcpy(row, ds->ids + e->tok, n * sizeof *row);
        memcpy(mrow, ds->mask + e->tok, n * sizeof *mrow);
        for (int t = n; t < T; t++) { row[t] = ds->pad_id; mrow[t] = 0; }
        if (ds->type_ids) {
            int32_t *trow = out->token_type_ids + (size_t)i * T;
            memcpy(trow, ds->type_ids + e->tok, n * sizeof *trow);
            for (int t = n; t < T; t++) trow[t] = 0;
        }
        if (ds->label_kind == FT_LABELS_SEQUENCE) {
            int nl = e->lab_len < Tl ? e->lab_len : Tl;
            int32_t *lrow = out->labels + (size_t)i * Tl;
            memcpy(lrow, ds->seq_labels + e->lab, nl * sizeof *lrow);
            for (int t = nl; t < Tl; t++) lrow[t] = -100;
        } else out->labels[i] = e->label;
        out->ids[i] = e->id;
        out->tasks[i] = e->task;
    }
}

void ft_batch_data_free(ft_batch_data *b)
{
    free(b->input_ids);
    free(b->attention_mask);
    free(b->tt_buf);
    free(b->pos_buf);
    free(b->seg_buf);
    free(b->labels);
    free(b->ids);
    free(b->tasks);
    memset(b, 0, sizeof *b);
}

void ft_batch_to_record(const ft_batch_data *b, ft_record *rec)
{
    int64_t shape[2] = {b->B, b->T};
    ft_record_set_tensor(rec, "input_ids", FT_I32, 2, shape, b->input_ids);
    ft_record_set_tensor(rec, "attention_mask", FT_I32, 2, shape, b->attention_mask);
    if (b->token_type_ids) ft_record_set_tensor(rec, "token_type_ids", FT_I32, 2, shape, b->token_type_ids);
    if (b->position_ids) ft_record_set_tensor(rec, "position_ids", FT_I32, 2, shape, b->position_ids);
    if (b->segment_ids) ft_record_set_tensor(rec, "segment_ids", FT_I32, 2, shape, b->segment_ids);
    int64_t lshape[2] = {b->B, b->Tl};
    ft_record_set_tensor(rec, "labels", FT_I32, b->Tl ? 2 : 1, lshape, b->labels);
    ft_record_set_tensor(rec, "id", FT_I64, 1, shape, b->ids);
}

static int int_tensor(const ft_record *rec, const char *key, int ndim, const ft_value **v)
{
    *v = ft_record_get(rec, key);
    return *v && (*v)->type == FT_V_TENSOR && (*v)->t.ndim == ndim &&
           ft_dtype_is_int((*v)->t.dtype);
}

int ft_batch_from_record(const ft_record *rec, ft_batch_data *b, const char **err)
{
    const ft_value *ids, *mask, *tt, *lab, *id, *pos, *seg;
    if (!int_tensor(rec, "input_ids", 2, &ids)) { *err = "input_ids is not a [B,T] integer tensor"; return 0; }
    int B = (int)ids->t.shape[0], T = (int)ids->t.shape[1];
    int has_mask = int_tensor(rec, "attention_mask", 2, &mask);
    int has_tt = int_tensor(rec, "token_type_ids", 2, &tt);
    int has_pos = int_tensor(rec, "position_ids", 2, &pos), has_seg = int_tensor(rec, "segment_ids", 2, &seg);
    if ((has_mask && (mask->t.shape[0] != B || mask->t.shape[1] != T)) ||
        (has_tt && (tt->t.shape[0] != B || tt->t.shape[1] != T)) ||
        (has_pos && (pos->t.shape[0] != B || pos->t.shape[1] != T)) ||
        (has_seg && (seg->t.shape[0] != B || seg->t.shape[1] != T))) {
        *err = "attention_mask/token_type_ids/position_ids/segment_ids shape differs from input_ids";
        return 0;
    }
    if (has_pos != has_seg) { *err = "a packed batch needs both position_ids and segment_ids"; return 0; }
    int Tl = 0;
    lab = ft_record_get(rec, "labels");
    if (lab && lab->type == FT_V_TENSOR && lab->t.ndim == 2) Tl = (int)lab->t.shape[1];
    ft_batch_reserve(b, B, T, Tl, has_tt, has_pos);
    b->B = B;
    b->T = T;
    b->Tl = Tl;
    ft_tensor_to_i32(&ids->t, b->input_ids);
    if (has_mask) ft_tensor_to_i32(&mask->t, b->attention_mask);
    else for (int i = 0; i < B * T; i++) b->attention_mask[i] = 1;
    if (has_tt) ft_tensor_to_i32(&tt->t, b->token_type_ids);
    if (has_pos) {
        ft_tensor_to_i32(&pos->t, b->position_ids);
        ft_tensor_to_i32(&seg->t, b->segment_ids);
    }

    if (lab && lab->type == FT_V_TENSOR && lab->t.shape[0] == B &&
        ft_dtype_is_int(lab->t.dtype))
        ft_tensor_to_i32(&lab->t, b->labels);
    else if (lab) { *err = "labels is not a [B] or [B,T] integer tensor"; return 0; }
    else for (int i = 0; i < B; i++) b->labels[i] = -100;
    id = ft_record_get(rec, "id");
    for (int i = 0; i < B; i++)
        b->ids[i] = id && id->type == FT_V_TENSOR && id->t.shape[0] == B ? (int64_t)ft_tensor_get(&id->t, i) : i;
    for (int i = 0; i < B; i++) b->tasks[i] = 0;
    return 1;
}
