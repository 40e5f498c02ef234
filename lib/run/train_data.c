#include "train_data.h"
#include "pack.h"
#include "rng.h"
#include "tokcheck.h"
#include "trainer.h"
#include "util.h"
#include <math.h>
#include <string.h>

ft_train_data *ft_train_data_load(const char *path)
{
    ft_train_data *d = ft_xcalloc(1, sizeof *d);
    ft_reader *r = ft_reader_open(path, FT_FMT_AUTO);
    if (strcmp(ft_reader_kind(r), "batches") != 0) {
        d->ds = ft_dataset_read(r);
        d->max_len = d->ds->max_len;
        d->header = json_incref(d->ds->header);
        ft_reader_close(r);
        return d;
    }
    json_t *h = ft_reader_header(r);
    d->header = json_deep_copy(h);
    d->batches_per_epoch = (long)json_integer_value(json_object_get(h, "steps_per_epoch"));
    ft_record rec = {0};
    size_t cap = 0;
    while (ft_reader_next(r, &rec)) {
        if ((size_t)d->nbatches == cap) {
            cap = cap ? 2 * cap : 64;
            d->batches = ft_xrealloc(d->batches, cap * sizeof *d->batches);
        }
        ft_batch_data *b = &d->batches[d->nbatches];
        memset(b, 0, sizeof *b);
        const char *err = NULL;
        if (!ft_batch_from_record(&rec, b, &err)) ft_reader_die(r, "%s", err);
        if (b->T > d->max_len) d->max_len = b->T;
        d->nbatches++;
    }
    if (!d->nbatches) ft_die("%s: no batches", path);
    if (d->batches_per_epoch <= 0 || d->batches_per_epoch > d->nbatches) d->batches_per_epoch = d->nbatches;
    ft_record_free(&rec);
    ft_reader_close(r);
    return d;
}

void ft_train_data_append(ft_train_data *d, ft_dataset *more, const char *path)
{
    if (!d->ds) ft_die("%s: several training files must all be token records; the first is ready batches (ft-batch)", path);
    ft_dataset_append(d->ds, more);
    if (more->max_len > d->max_len) d->max_len = more->max_len;
    ft_dataset_free(more);
}

void ft_train_data_add_replay(ft_train_data *d, const char *path, double ratio,
                              const char *model_dir, int allow)
{
    if (!d->ds) ft_die("--replay needs token records to train on, not ready batches");
    size_t n_new = d->ds->n;
    ft_dataset *old = ft_dataset_load(path);
    ft_check_tokenizer(old->header, path, model_dir, allow);
    ft_train_data_append(d, old, path);
    d->n_new = n_new;
    d->replay_ratio = ratio;
}

void ft_train_data_free(ft_train_data *d)
{
    if (!d) return;
    ft_dataset_free(d->ds);
    json_decref(d->header);
    for (long i = 0; i < d->nbatches; i++) ft_batch_data_free(&d->batches[i]);
    free(d->batches);
    free(d);
}

/* Old examples per epoch so that they are `ratio` of what the epoch sees. */
static size_t replay_count(const ft_train_data *d)
{
    size_t n_old = d->ds->n - d->n_new;
    size_t k = (size_t)(d->replay_ratio / (1 - d->replay_ratio) * d->n_new + 0.5);
    return k < n_old ? k : n_old;
}

/* An epoch's order: every new example and a fresh sample of old ones,
   shuffled together; reproducible from (seed, epoch).  Old examples are
   sampled per task in proportion to each task's share of them, so that with
   several tasks every epoch holds the same number of each. */
static size_t epoch_order(const ft_train_data *d, const ft_batch_opts *bo, int ep, int64_t *order)
{
    if (!d->n_new) {
        ft_epoch_order(d->ds, bo, ep, order);
        return d->ds->n;
    }
    const ft_dataset *ds = d->ds;
    size_t n_old = ds->n - d->n_new, k = replay_count(d), taken = 0, seen = 0;
    ft_rng rng;
    ft_rng_seed(&rng, ft_key_mix(bo->seed, 0x7265706c6179ull + (uint64_t)ep));   /* "replay" */
    int64_t *old = ft_xmalloc(n_old * sizeof *old);
    for (size_t i = 0; i < d->n_new; i++) order[i] = (int64_t)i;
    int ntask = ds->ntasks ? ds->ntasks : 1;
    for (int t = 0; t < ntask; t++) {
        size_t n_t = 0;
        for (size_t i = d->n_new; i < ds->n; i++)
            if (ds->ex[i].task == t) old[n_t++] = (int64_t)i;
        if (!n_t) continue;
        seen += n_t;
        size_t upto = (size_t)((double)k * seen / n_old + 0.5), k_t = upto - taken;
        ft_shuffle_i64(old, n_t, &rng);
        memcpy(order + d->n_new + taken, old, k_t * sizeof *old);
        taken = upto;
    }
    free(old);
    ft_shuffle_i64(order, d->n_new + k, &rng);
    return d->n_new + k;
}

/* ---------- multi-task epochs: per-task batches, interleaved ---------- */

typedef struct mt_batch { size_t start; int count, head; } mt_batch;

/* The i-th example of an epoch's selection (sel NULL: every example). */
static inline size_t sel_at(const int64_t *sel, size_t i) { return sel ? (size_t)sel[i] : i; }

/* Batches of one epoch over the examples sel[0..nsel) (all of ds when sel is
   NULL): order[] receives each head's examples (shuffled, reproducible from
   (seed, epoch)), plan[] the batches in training order.  Returns the number
   of batches; with plan NULL only counts them. */
static long mt_plan(const ft_dataset *ds, const int64_t *sel, size_t nsel, const int *head, int nheads,
                    const ft_train_args *a, long ep, int64_t *order, mt_batch *plan)
{
    if (!sel) nsel = ds->n;
    int bs = a->train_batch_size;
    size_t *size = ft_xcalloc(nheads, sizeof *size), *first = ft_xcalloc(nheads, sizeof *first);
    long *nb = ft_xcalloc(nheads, sizeof *nb), *used = ft_xcalloc(nheads, sizeof *used), total = 0;
    for (size_t i = 0; i < nsel; i++) size[head[ds->ex[sel_at(sel, i)].task]]++;
    for (int h = 0; h < nheads; h++) {
        nb[h] = a->drop_last ? (long)(size[h] / bs) : (long)((size[h] + bs - 1) / bs);
        total += nb[h];
        if (h) first[h] = first[h - 1] + size[h - 1];
    }
    if (plan) {
        ft_rng rng;
        ft_rng_seed(&rng, ft_key_mix(a->seed, 0x6d756c7469ull + (uint64_t)ep));   /* "multi" */
        size_t *fill = ft_xmalloc(nheads * sizeof *fill);
        memcpy(fill, first, nheads * sizeof *fill);
        for (size_t i = 0; i < nsel; i++) order[fill[head[ds->ex[sel_at(sel, i)].task]]++] = (int64_t)sel_at(sel, i);
        free(fill);
        for (int h = 0; h < nheads; h++) ft_shuffle_i64(order + first[h], size[h], &rng);
        double *w = ft_xmalloc(nheads * sizeof *w);
        double inv_t = a->task_sampling == FT_TS_TEMPERATURE ? 1.0 / a->task_temperature : 1.0;
        for (int h = 0; h < nheads; h++) w[h] = size[h] ? pow((double)size[h], inv_t) : 0;
        int rr = 0;
        for (long k = 0; k < total; k++) {
            int h = 0;
            if (a->task_sampling == FT_TS_ROUND_ROBIN) {
                while (used[rr % nheads] >= nb[rr % nheads]) rr++;
                h = rr++ % nheads;
            } else {
                double sum = 0;
                for (int j = 0; j < nheads; j++) if (used[j] < nb[j]) sum += w[j];
                double u = ft_rng_uniform(&rng) * sum;
                for (h = 0; h < nheads; h++) {
                    if (used[h] >= nb[h]) continue;
                    if (u < w[h]) break;
                    u -= w[h];
                }
                if (h == nheads)            /* rounding: the last task left */
                    for (h = nheads - 1; used[h] >= nb[h]; h--) ;
            }
            size_t start = first[h] + (size_t)used[h] * bs, left = size[h] - (size_t)used[h] * bs;
            plan[k] = (mt_batch){ start, (int)(left < (size_t)bs ? left : (size_t)bs), h };
            used[h]++;
        }
        free(w);
    }
    free(size); free(first); free(nb); free(used);
    return total;
}

/* ---------- several ranks: torch's DistributedSampler ---------- */

/* Examples per rank: the epoch padded to a multiple of the rank count, or
   cut to one with drop_last. */
static size_t shard_size(size_t n, int nranks, int drop_last)
{
    return drop_last ? n / nranks : (n + nranks - 1) / nranks;
}

/* Rank r takes every nranks-th example of the epoch's order from the r-th;
   the padding repeats the order from its start.  Micro-batch k of every rank
   together is micro-batch k of one process with nranks times the batch. */
static void shard(const int64_t *order, size_t n, int rank, int nranks, int64_t *out, size_t per_rank)
{
    for (size_t j = 0; j < per_rank; j++) out[j] = order[(rank + j * nranks) % n];
}

struct ft_train_feed {
    const ft_train_data *data;
    const ft_train_args *a;
    ft_batch_opts bo;
    const int *heads;                   /* multi-task only */
    int nheads;
    size_t epoch_n;                     /* examples an epoch sees (this rank's) */
    size_t global_n;                    /* ... all ranks together, before padding */
    long batches_per_epoch, ep;
    int64_t *order, *sel;               /* sel: multi-task replay's examples */
    int64_t *full;                      /* several ranks: the epoch's order before sharding */
    mt_batch *plan;                     /* multi-task: the epoch's batches */
    ft_pack *pack;                      /* packing: the rows, made once; order is over rows */
    ft_batch_data b;
};

/* --packing: the rows of the token records, packed once in their order; an
   epoch is then over rows as it is over examples unpacked (several ranks:
   every rank packs the same rows and takes its DistributedSampler shard). */
static void feed_pack(ft_train_feed *f)
{
    const ft_train_data *d = f->data;
    const ft_train_args *a = f->a;
    if (!d->ds) ft_die("--packing packs token records; ready batches are packed by ft-batch --packing");
    if (f->heads || d->n_new) ft_die("--packing trains one task, without replay (for now)");
    if (a->group_by_length) ft_die("--packing and --group-by-length do not go together");
    f->pack = ft_pack_new(d->ds, a->max_length);
    if (a->process_index == 0) ft_pack_report(f->pack);
    f->bo.max_length = 0;               /* rows padded to the batch's longest, as padding_free */
}

ft_train_feed *ft_train_feed_new(const ft_train_data *d, const ft_train_args *a, const int *heads, int nheads)
{
    ft_train_feed *f = ft_xcalloc(1, sizeof *f);
    const ft_dataset *train = d->ds;
    f->data = d;
    f->a = a;
    f->heads = heads;
    f->nheads = nheads;
    f->bo = (ft_batch_opts){.batch_size = a->train_batch_size, .shuffle = 1, .seed = a->seed,
                            .drop_last = a->drop_last, .max_length = a->max_length,
                            .group_by_length = a->group_by_length};
    if (a->packing) feed_pack(f);
    f->global_n = f->epoch_n = f->pack ? (size_t)f->pack->nrows
                             : train ? (d->n_new ? d->n_new + replay_count(d) : train->n) : 0;
    f->order = train ? ft_xmalloc((train->n + 1) * sizeof *f->order) : NULL;
    if (train && a->world_size > 1) {
        if (heads) ft_die("a multi-task model trains in one process only (for now)");
        f->epoch_n = shard_size(f->global_n, a->world_size, a->drop_last);
        f->full = ft_xmalloc(train->n * sizeof *f->full);
    }
    f->sel = heads && d->n_new ? ft_xmalloc(train->n * sizeof *f->sel) : NULL;
    if (f->sel) epoch_order(d, &f->bo, 0, f->sel);      /* replay: the same task counts every epoch */
    f->batches_per_epoch = heads ? mt_plan(train, f->sel, f->epoch_n, heads, nheads, a, 0, NULL, NULL)
                         : !train ? d->batches_per_epoch : ft_batches_for(f->epoch_n, &f->bo);
    if (heads) f->plan = ft_xmalloc((f->batches_per_epoch ? f->batches_per_epoch : 1) * sizeof *f->plan);
    return f;
}

long ft_train_feed_batches_per_epoch(const ft_train_feed *f) { return f->batches_per_epoch; }

void ft_train_feed_epoch(ft_train_feed *f, long ep)
{
    f->ep = ep;
    if (f->heads) {
        if (f->sel) epoch_order(f->data, &f->bo, (int)ep, f->sel);
        mt_plan(f->data->ds, f->sel, f->epoch_n, f->heads, f->nheads, f->a, ep, f->order, f->plan);
    } else if (f->full) {
        if (f->pack) ft_order_shuffled(f->full, f->global_n, f->bo.seed, (int)ep, f->bo.shuffle);
        else epoch_order(f->data, &f->bo, (int)ep, f->full);
        shard(f->full, f->global_n, f->a->process_index, f->a->world_size, f->order, f->epoch_n);
    } else if (f->pack) ft_order_shuffled(f->order, f->global_n, f->bo.seed, (int)ep, f->bo.shuffle);
    else if (f->data->ds) epoch_order(f->data, &f->bo, (int)ep, f->order);
}

const ft_batch_data *ft_train_feed_batch(ft_train_feed *f, long mb, int *head)
{
    *head = -1;
    if (f->heads) {
        ft_batch_fill(f->data->ds, &f->bo, f->order + f->plan[mb].start, f->plan[mb].count, &f->b);
        *head = f->plan[mb].head;
    } else if (f->data->ds) {
        size_t bs = (size_t)f->a->train_batch_size, start = (size_t)mb * bs;
        int count = (int)(f->epoch_n - start < bs ? f->epoch_n - start : bs);
        if (f->pack) ft_pack_fill(f->data->ds, f->pack, &f->bo, f->order + start, count, &f->b);
        else ft_batch_fill(f->data->ds, &f->bo, f->order + start, count, &f->b);
    } else {
        long k = f->ep * f->batches_per_epoch + mb;
        return k < f->data->nbatches ? &f->data->batches[k] : NULL;
    }
    return &f->b;
}

void ft_train_feed_free(ft_train_feed *f)
{
    if (!f) return;
    free(f->order);
    free(f->full);
    free(f->sel);
    free(f->plan);
    ft_pack_free(f->pack);
    ft_batch_data_free(&f->b);
    free(f);
}
