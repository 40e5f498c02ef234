#include "trainer.h"
#include "batcher.h"
#include "checkpoint.h"
#include "evaluate.h"
#include "mlm.h"
#include "optim.h"
#include "penalty.h"
#include "publish.h"
#include "rng.h"
#include "safetensors.h"
#include "util.h"
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ft_train_args_default(ft_train_args *a)
{
    memset(a, 0, sizeof *a);
    a->num_train_epochs = 3;
    a->max_steps = -1;
    a->train_batch_size = a->eval_batch_size = 8;
    a->learning_rate = 5e-5;
    a->adam_beta1 = 0.9;
    a->adam_beta2 = 0.999;
    a->adam_epsilon = 1e-8;
    a->max_grad_norm = 1.0;
    a->lr_scheduler = FT_SCHED_LINEAR;
    a->grad_accum = 1;
    a->eval_strategy = FT_IV_NO;
    a->save_strategy = FT_IV_STEPS;
    a->logging_strategy = FT_IV_STEPS;
    a->save_steps = a->logging_steps = 500;
    a->metric_for_best_model = "loss";
    a->greater_is_better = -1;
    a->seed = 42;
    a->task_temperature = 2;
}

int ft_task_sampling_parse(const char *s)
{
    if (!strcmp(s, "proportional")) return FT_TS_PROPORTIONAL;
    if (!strcmp(s, "temperature")) return FT_TS_TEMPERATURE;
    if (!strcmp(s, "round-robin")) return FT_TS_ROUND_ROBIN;
    return -1;
}

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

/* ---------- the state that trainer_state.json holds ---------- */
typedef struct run_state {
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
} run_state;

static const char *metric_key(const ft_train_args *a, char *buf, size_t n)
{
    const char *k = a->metric_for_best_model;
    snprintf(buf, n, "%s%s", strncmp(k, "eval_", 5) ? "eval_" : "", k);
    return buf;
}

static int greater_is_better(const ft_train_args *a)
{
    if (a->greater_is_better >= 0) return a->greater_is_better;
    const char *k = a->metric_for_best_model;
    return !(strcmp(k, "loss") == 0 || strcmp(k, "eval_loss") == 0);
}

static void log_line(run_state *st, json_t *j)
{
    json_array_append(st->log_history, j);
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(8));
    if (isatty(STDERR_FILENO) && !st->a->quiet) fputs("\r\033[K", stderr);
    puts(s);
    fflush(stdout);
    if (st->log_file) { fputs(s, st->log_file); fputc('\n', st->log_file); fflush(st->log_file); }
    free(s);
}

static void progress(run_state *st)
{
    if (st->a->quiet || !isatty(STDERR_FILENO)) return;
    double el = ft_now() - st->t_start;
    long done = st->global_step;
    double eta = done ? el / done * (st->total_steps - done) : 0;
    fprintf(stderr, "\r\033[K%s: step %ld/%ld  epoch %.2f  %.0f tok/s  ETA %d:%02d",
            ft_prog, done, st->total_steps, st->epoch, el > 0 ? st->tokens / el : 0.0,
            (int)eta / 60, (int)eta % 60);
}

/* ---------- checkpoints ---------- */

static json_t *trainer_state(const run_state *st)
{
    json_t *s = json_object();
    json_object_set_new(s, "best_metric", st->have_best ? json_real(st->best_metric) : json_null());
    json_object_set_new(s, "best_model_checkpoint",
                        st->best_checkpoint ? json_string(st->best_checkpoint) : json_null());
    json_object_set_new(s, "epoch", json_real(st->epoch));
    json_object_set_new(s, "global_step", json_integer(st->global_step));
    json_object_set_new(s, "max_steps", json_integer(st->total_steps));
    json_object_set_new(s, "num_train_epochs", json_integer((json_int_t)ceil(
        (double)st->total_steps / st->steps_per_epoch)));
    json_object_set_new(s, "logging_steps", json_integer(st->a->logging_steps));
    json_object_set_new(s, "eval_steps", json_integer(st->a->eval_steps));
    json_object_set_new(s, "save_steps", json_integer(st->a->save_steps));
    json_object_set_new(s, "train_batch_size", json_integer(st->a->train_batch_size));
    json_object_set_new(s, "log_history", json_deep_copy(st->log_history));
    /* what ft needs to resume bit for bit */
    json_object_set_new(s, "ft_model_step", json_integer((json_int_t)st->m->step));
    json_object_set_new(s, "ft_patience_left", json_integer(st->patience_left));
    json_object_set_new(s, "ft_tokens", json_real(st->tokens));
    return s;
}

static void save_optimizer(const run_state *st, const char *path)
{
    const ft_params *ps = &st->m->params;
    ft_st_writer *w = ft_st_writer_new();
    char **names = ft_xcalloc(2 * ps->n, sizeof *names);
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        names[2 * i] = ft_xasprintf("exp_avg.%s", ps->p[i].name);
        names[2 * i + 1] = ft_xasprintf("exp_avg_sq.%s", ps->p[i].name);
        ft_st_writer_add(w, names[2 * i], ps->p[i].ndim, ps->p[i].shape, st->opt->m + ps->p[i].offset);
        ft_st_writer_add(w, names[2 * i + 1], ps->p[i].ndim, ps->p[i].shape, st->opt->v + ps->p[i].offset);
    }
    char t[32];
    snprintf(t, sizeof t, "%ld", st->opt->t);
    ft_st_writer_meta(w, "step", t);
    char *steps = NULL;
    if (st->opt->pt) {              /* per-tensor steps (multi-task heads skipped) */
        size_t len = 0;
        steps = ft_xmalloc(24 * (size_t)ps->n + 1);
        for (int i = 0; i < ps->n; i++) len += sprintf(steps + len, "%s%ld", i ? "," : "", st->opt->pt[i]);
        ft_st_writer_meta(w, "tensor_steps", steps);
    }
    ft_st_writer_write(w, path);
    ft_st_writer_free(w);
    free(steps);
    for (int i = 0; i < 2 * ps->n; i++) free(names[i]);
    free(names);
}

static void load_optimizer(run_state *st, const char *path)
{
    ft_st_file *f = ft_st_open(path);
    const ft_params *ps = &st->m->params;
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        char name[1024];
        snprintf(name, sizeof name, "exp_avg.%s", ps->p[i].name);
        const ft_st_tensor *m = ft_st_find(f, name);
        snprintf(name, sizeof name, "exp_avg_sq.%s", ps->p[i].name);
        const ft_st_tensor *v = ft_st_find(f, name);
        if (!m || !v || m->numel != ps->p[i].numel || v->numel != ps->p[i].numel)
            ft_die("%s: no optimizer state that fits %s", path, ps->p[i].name);
        ft_st_read_f32(f, m, st->opt->m + ps->p[i].offset);
        ft_st_read_f32(f, v, st->opt->v + ps->p[i].offset);
    }
    const char *t = ft_st_meta(f, "step");
    st->opt->t = t ? atol(t) : 0;
    const char *steps = ft_st_meta(f, "tensor_steps");
    if (steps) {
        free(st->opt->pt);
        st->opt->pt = ft_xmalloc((ps->n ? ps->n : 1) * sizeof *st->opt->pt);
        char *end = (char *)steps;
        for (int i = 0; i < ps->n; i++) {
            st->opt->pt[i] = strtol(end, &end, 10);
            if (*end == ',') end++;
            else if (i + 1 < ps->n) ft_die("%s: tensor_steps does not fit the model", path);
        }
    }
    ft_st_close(f);
}

static char *save_checkpoint(run_state *st)
{
    char *dir = ft_xasprintf("%s/checkpoint-%ld", st->a->output_dir, st->global_step);
    /* built under a temporary name, published whole (see publish.h) */
    char *tmp = ft_tmp_name(dir);
    ft_rm_rf(tmp);
    ft_tmp_dir_begin(tmp);
    ft_model_save(st->m, tmp);
    char *p = ft_xasprintf("%s/optimizer.safetensors", tmp);
    save_optimizer(st, p);
    free(p);
    if (st->penalty) {
        /* the weights the penalty pulls towards, so that a resumed run uses them too */
        p = ft_xasprintf("%s/penalty_anchor.safetensors", tmp);
        ft_params view = st->m->params;
        view.data = st->penalty->anchor;
        ft_checkpoint_save_params(&view, p);
        free(p);
    }
    p = ft_xasprintf("%s/trainer_state.json", tmp);
    json_t *s = trainer_state(st);
    ft_write_json(s, p, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(s);
    free(p);
    ft_dir_publish(tmp, dir);
    free(tmp);
    return dir;
}

static void resume(run_state *st, const char *dir)
{
    ft_model_load_weights(st->m, dir);
    char *p = ft_xasprintf("%s/optimizer.safetensors", dir);
    load_optimizer(st, p);
    free(p);
    if (st->penalty) {
        p = ft_xasprintf("%s/penalty_anchor.safetensors", dir);
        ft_st_file *f = ft_st_open(p);
        const ft_params *ps = &st->m->params;
        for (int i = 0; i < ps->n; i++) {
            const ft_st_tensor *t = ft_st_find(f, ps->p[i].name);
            if (!t || t->numel != ps->p[i].numel) ft_die("%s: no anchor for %s", p, ps->p[i].name);
            ft_st_read_f32(f, t, st->penalty->anchor + ps->p[i].offset);
        }
        ft_st_close(f);
        free(p);
    }
    p = ft_xasprintf("%s/trainer_state.json", dir);
    json_error_t e;
    json_t *s = json_load_file(p, 0, &e);
    if (!s) ft_die("%s:%d: %s", p, e.line, e.text);
    free(p);
    st->global_step = (long)json_integer_value(json_object_get(s, "global_step"));
    st->m->step = (uint64_t)json_integer_value(json_object_get(s, "ft_model_step"));
    st->patience_left = (int)json_integer_value(json_object_get(s, "ft_patience_left"));
    st->tokens = json_real_value(json_object_get(s, "ft_tokens"));
    json_t *best = json_object_get(s, "best_metric");
    if (json_is_number(best)) { st->have_best = 1; st->best_metric = json_number_value(best); }
    const char *bc = json_string_value(json_object_get(s, "best_model_checkpoint"));
    if (bc) st->best_checkpoint = ft_xstrdup(bc);
    json_decref(st->log_history);
    st->log_history = json_deep_copy(json_object_get(s, "log_history"));
    if (!st->log_history) st->log_history = json_array();
    json_decref(s);
}

/* ---------- evaluation and the best model ---------- */

/* Returns 1 when training should stop early. */
static int evaluate(run_state *st, const ft_dataset *eval)
{
    json_t *r = ft_evaluate(st->m, eval, st->a->eval_batch_size, "eval_", NULL);
    json_object_set_new(r, "epoch", json_real(st->epoch));
    json_object_set_new(r, "step", json_integer(st->global_step));
    /* the per-class report and matrix are for ft-eval; keep the log lines flat */
    {   /* (per task too: eval_<task>_per_class) */
        const char *k;
        void *tmp;
        json_t *v;
        json_object_foreach_safe(r, tmp, k, v) {
            size_t n = strlen(k);
            if ((n >= 9 && !strcmp(k + n - 9, "per_class")) ||
                (n >= 16 && !strcmp(k + n - 16, "confusion_matrix")))
                json_object_del(r, k);
        }
    }
    char key[128];
    json_t *mv = json_object_get(r, metric_key(st->a, key, sizeof key));
    if (!mv && (st->a->load_best_model_at_end || st->a->early_stopping_patience))
        ft_die("--metric-for-best-model: evaluation has no metric \"%s\"", key);
    int stop = 0;
    if (mv) {
        double v = json_number_value(mv), thr = st->a->early_stopping_threshold;
        int gib = greater_is_better(st->a);
        int better = !st->have_best || (gib ? v > st->best_metric : v < st->best_metric);
        int better_by_thr = !st->have_best || (gib ? v - st->best_metric > thr : st->best_metric - v > thr);
        if (better) {
            st->have_best = 1;
            st->best_metric = v;
            free(st->best_checkpoint);
            st->best_checkpoint = ft_xasprintf("%s/checkpoint-%ld", st->a->output_dir, st->global_step);
        }
        if (st->a->early_stopping_patience) {
            if (better_by_thr) st->patience_left = st->a->early_stopping_patience;
            else if (--st->patience_left <= 0) stop = 1;
        }
    }
    log_line(st, r);
    json_decref(r);
    return stop;
}

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in) return;
    ft_outfile *out = ft_out_open(dst, 0);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out->fp) != n) ft_die("%s: write error: %s", dst, strerror(errno));
    fclose(in);
    ft_out_commit(out);
}

/* ---------- the loop ---------- */

ft_train_data *ft_train_data_load(const char *path)
{
    ft_train_data *d = ft_xcalloc(1, sizeof *d);
    ft_reader *r = ft_reader_open(path, FT_FMT_AUTO);
    if (strcmp(ft_reader_kind(r), "batches") != 0) {
        d->ds = ft_dataset_read(r);
        d->max_len = d->ds->max_len;
        ft_reader_close(r);
        return d;
    }
    json_t *h = ft_reader_header(r);
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

void ft_train_data_add_replay(ft_train_data *d, const char *path, double ratio)
{
    if (!d->ds) ft_die("--replay needs token records to train on, not ready batches");
    ft_dataset *old = ft_dataset_load(path);
    d->n_new = d->ds->n;
    d->replay_ratio = ratio;
    ft_dataset_append(d->ds, old);
    if (old->max_len > d->max_len) d->max_len = old->max_len;
    ft_dataset_free(old);
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

void ft_train_data_free(ft_train_data *d)
{
    if (!d) return;
    ft_dataset_free(d->ds);
    for (long i = 0; i < d->nbatches; i++) ft_batch_data_free(&d->batches[i]);
    free(d->batches);
    free(d);
}

int ft_train(ft_model *m, const ft_train_data *data, const ft_dataset *eval, const ft_train_args *a,
             int argc, char **argv)
{
    (void)argc; (void)argv;
    run_state st = {.a = a, .m = m, .log_history = json_array()};
    ft_params *ps = &m->params;
    ft_batch_opts bo = {.batch_size = a->train_batch_size, .shuffle = 1, .seed = a->seed,
                        .drop_last = a->drop_last, .max_length = a->max_length,
                        .group_by_length = a->group_by_length};
    const ft_dataset *train = data->ds;
    size_t epoch_n = train ? (data->n_new ? data->n_new + replay_count(data) : train->n) : 0;
    int *heads = NULL;                  /* multi-task: the head of each dataset task */
    mt_batch *plan = NULL;
    int *param_head = NULL;             /* multi-task: the head a parameter belongs to, or -1 */
    unsigned char *skip = NULL, *head_used = NULL;
    if (m->ntasks) {
        if (!train) ft_die("a multi-task model trains on token records, not ready batches");
        if (a->task_sampling == FT_TS_TEMPERATURE && !(a->task_temperature > 0))
            ft_die("--task-temperature must be positive");
        heads = ft_task_heads(m, train, "training data");
        /* torch leaves a head that no batch of a step reached alone */
        param_head = ft_xmalloc(ps->n * sizeof *param_head);
        skip = ft_xmalloc(ps->n ? ps->n : 1);
        head_used = ft_xcalloc(m->ntasks, 1);
        for (int i = 0; i < ps->n; i++) {
            param_head[i] = -1;
            for (int h = 0; h < m->ntasks; h++) {
                size_t l = strlen(m->heads[h].name);
                if (!strncmp(ps->p[i].name, "classifier.", 11) && !strncmp(ps->p[i].name + 11, m->heads[h].name, l) &&
                    ps->p[i].name[11 + l] == '.') param_head[i] = h;
            }
        }
    }
    int64_t *sel = heads && data->n_new ? ft_xmalloc(train->n * sizeof *sel) : NULL;
    if (sel) epoch_order(data, &bo, 0, sel);      /* replay: the same task counts every epoch */
    st.batches_per_epoch = heads ? mt_plan(train, sel, epoch_n, heads, m->ntasks, a, 0, NULL, NULL)
                         : !train ? data->batches_per_epoch
                         : a->drop_last ? (long)(epoch_n / a->train_batch_size)
                         : (long)((epoch_n + a->train_batch_size - 1) / a->train_batch_size);
    if (st.batches_per_epoch == 0) ft_die("the training data make no batch");
    st.steps_per_epoch = (st.batches_per_epoch + a->grad_accum - 1) / a->grad_accum;
    double epochs = train ? a->num_train_epochs : (double)data->nbatches / data->batches_per_epoch;
    st.total_steps = a->max_steps > 0 ? a->max_steps : (long)ceil(epochs * st.steps_per_epoch);
    if (!train && st.total_steps > (data->nbatches + a->grad_accum - 1) / a->grad_accum)
        ft_die("--max-steps %ld needs more batches than the input holds (%ld)", st.total_steps, data->nbatches);
    st.warmup = ft_warmup_steps(a->warmup_steps, a->warmup_ratio, st.total_steps);
    if (eval && a->eval_strategy == FT_IV_NO && a->load_best_model_at_end)
        ft_die("--load-best-model-at-end needs an --eval-strategy other than no");
    if (a->load_best_model_at_end && a->eval_strategy != a->save_strategy)
        ft_die("--load-best-model-at-end requires the save and eval strategy to match (HF rule)");
    if (a->eval_strategy != FT_IV_NO && !eval) ft_die("--eval-strategy %s needs --eval-data FILE",
                                                      a->eval_strategy == FT_IV_EPOCH ? "epoch" : "steps");
    st.patience_left = a->early_stopping_patience;

    st.opt = ft_adamw_new(ps, (float)a->weight_decay);
    st.opt->beta1 = (float)a->adam_beta1;
    st.opt->beta2 = (float)a->adam_beta2;
    st.opt->eps = (float)a->adam_epsilon;
    ft_mkdir_p(a->output_dir);
    const char *logdir = a->logging_dir ? a->logging_dir : a->output_dir;
    ft_mkdir_p(logdir);
    char *logpath = ft_xasprintf("%s/train_log.jsonl", logdir);
    st.log_file = fopen(logpath, a->resume_from_checkpoint ? "a" : "w");
    if (!st.log_file) ft_die("%s: cannot create: %s", logpath, strerror(errno));
    free(logpath);
    st.penalty = ft_penalty_new(ps, a->l2sp, a->ewc, a->fisher);
    /* what a run killed here left half-written goes before anything is resumed */
    ft_sweep_dead_temps(a->output_dir);
    if (a->resume_from_checkpoint) {
        char *from = ft_checkpoint_for_resume(a->output_dir, a->resume_from_checkpoint);
        resume(&st, from);
        free(from);
    }

    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    if (train)
        ft_warn("%zu examples, %ld batches of %d per epoch, %ld optimisation steps (warmup %ld), %d threads",
                train->n, st.batches_per_epoch, a->train_batch_size, st.total_steps, st.warmup, m->threads);
    else
        ft_warn("%ld batches given (%ld per epoch), %ld optimisation steps (warmup %ld), %d threads",
                data->nbatches, st.batches_per_epoch, st.total_steps, st.warmup, m->threads);

    int reserve_B = train ? a->train_batch_size : data->batches[0].B;
    ft_model_reserve(m, reserve_B, a->max_length ? a->max_length : data->max_len);
    int64_t *order = train ? ft_xmalloc(train->n * sizeof *order) : NULL;
    ft_batch_data b = {0};
    ft_mlm_buf mlm_buf = {0};                        /* masked-LM inputs and labels */
    if (m->task == FT_TASK_MASKED_LM && !m->mlm) ft_die("internal: masked-LM training without a masking setup");
    double loss_since = 0, last_norm = 0, pen_since = 0;
    long steps_since = 0;
    int stopped_early = 0, exit_status = 0;
    st.t_start = ft_now();
    double tokens_at_start = st.tokens;
    long first_epoch = st.global_step / st.steps_per_epoch;
    char *last_ckpt = NULL;

    for (long ep = first_epoch; st.global_step < st.total_steps && !stopped_early; ep++) {
        if (heads) {
            if (!plan) plan = ft_xmalloc(st.batches_per_epoch * sizeof *plan);
            if (sel) epoch_order(data, &bo, (int)ep, sel);
            mt_plan(train, sel, epoch_n, heads, m->ntasks, a, ep, order, plan);
        } else if (train) epoch_order(data, &bo, (int)ep, order);
        long micro_done = (st.global_step - ep * st.steps_per_epoch) * a->grad_accum;
        long in_step = 0;
        double step_loss = 0;
        for (long mb = micro_done; mb < st.batches_per_epoch; mb++) {
            const ft_batch_data *bd = &b;
            if (heads) {
                ft_batch_fill(train, &bo, order + plan[mb].start, plan[mb].count, &b);
            } else if (train) {
                size_t start = (size_t)mb * a->train_batch_size;
                int count = (int)(epoch_n - start < (size_t)a->train_batch_size ? epoch_n - start
                                                                                : (size_t)a->train_batch_size);
                ft_batch_fill(train, &bo, order + start, count, &b);
            } else {
                long k = ep * st.batches_per_epoch + mb;
                if (k >= data->nbatches) { st.global_step = st.total_steps; break; }
                bd = &data->batches[k];
            }
            ft_batch fb = {.B = bd->B, .T = bd->T, .input_ids = bd->input_ids,
                           .attention_mask = bd->attention_mask, .token_type_ids = bd->token_type_ids,
                           .labels = bd->labels, .Tl = bd->Tl};
            if (m->task == FT_TASK_MASKED_LM) {
                /* fresh masks for every micro-batch, keyed by its place in the run */
                ft_mlm_mask_batch(m->mlm, &mlm_buf, &fb,
                                  ft_key_mix(ft_key_mix(a->seed, 0x6d6c6dULL), (uint64_t)(ep * st.batches_per_epoch + mb)));
            }
            if (heads) {
                fb.task = plan[mb].head;
                fb.loss_weight = a->task_weights ? (float)a->task_weights[fb.task] : 0;
                head_used[fb.task] = 1;
            }
            float loss = ft_model_forward_backward(m, &fb, 1);
            if (!isfinite(loss))
                ft_die("loss became %s at step %ld (epoch %.2f, learning rate %g); "
                       "the last good checkpoint is %s", isnan(loss) ? "NaN" : "infinite",
                       st.global_step + 1, st.epoch, ft_lr_at(a->lr_scheduler, a->learning_rate,
                       st.global_step, st.warmup, st.total_steps), last_ckpt ? last_ckpt : "(none saved yet)");
            for (int i = 0; i < bd->B * bd->T; i++) st.tokens += bd->attention_mask[i] != 0;
            step_loss += loss / a->grad_accum;
            in_step++;
            if (in_step < a->grad_accum && mb + 1 < st.batches_per_epoch) continue;

            /* one optimiser step, as Trainer: loss/accum per micro-batch, clip, step, schedule */
            ft_grad_scale(ps, 1.0f / a->grad_accum);
            if (st.penalty) {
                /* the penalty is part of the loss: its gradient is clipped with the rest */
                ft_penalty_apply(st.penalty, ps, &st.l2sp_val, &st.ewc_val);
                pen_since += st.l2sp_val + st.ewc_val;
            }
            double lr = ft_lr_at(a->lr_scheduler, a->learning_rate, st.global_step, st.warmup, st.total_steps);
            if (heads) {
                for (int i = 0; i < ps->n; i++) skip[i] = param_head[i] >= 0 && !head_used[param_head[i]];
                memset(head_used, 0, m->ntasks);
            }
            last_norm = ft_clip_step_zero(st.opt, ps, (float)lr, (float)a->max_grad_norm, heads ? skip : NULL);
            st.global_step++;
            st.epoch = ep + (double)(mb + 1) / st.batches_per_epoch;
            loss_since += step_loss;
            steps_since++;
            step_loss = 0;
            in_step = 0;

            int end_of_epoch = mb + 1 == st.batches_per_epoch;
            int last = st.global_step >= st.total_steps;
            if (a->logging_strategy != FT_IV_NO &&
                ((a->logging_strategy == FT_IV_STEPS && st.global_step % a->logging_steps == 0) ||
                 (a->logging_strategy == FT_IV_EPOCH && end_of_epoch))) {
                json_t *j = json_object();
                json_object_set_new(j, "loss", json_real(loss_since / steps_since));
                if (st.penalty) {
                    /* the task loss above; the penalty's parts (at this step) and the total */
                    if (a->l2sp > 0) json_object_set_new(j, "l2sp_penalty", json_real(st.l2sp_val));
                    if (a->ewc > 0) json_object_set_new(j, "ewc_penalty", json_real(st.ewc_val));
                    json_object_set_new(j, "total_loss", json_real((loss_since + pen_since) / steps_since));
                    pen_since = 0;
                }
                json_object_set_new(j, "grad_norm", json_real(last_norm));
                /* HF logs the rate the scheduler holds after this step */
                json_object_set_new(j, "learning_rate", json_real(ft_lr_at(a->lr_scheduler,
                    a->learning_rate, st.global_step, st.warmup, st.total_steps)));
                json_object_set_new(j, "epoch", json_real(st.epoch));
                json_object_set_new(j, "step", json_integer(st.global_step));
                double el = ft_now() - st.t_start;
                json_object_set_new(j, "tokens_per_second", json_real(el > 0 ? (st.tokens - tokens_at_start) / el : 0));
                log_line(&st, j);
                json_decref(j);
                loss_since = 0;
                steps_since = 0;
            }
            int do_eval = eval && ((a->eval_strategy == FT_IV_STEPS &&
                                    st.global_step % (a->eval_steps ? a->eval_steps : a->logging_steps) == 0) ||
                                   (a->eval_strategy == FT_IV_EPOCH && end_of_epoch));
            if (do_eval) stopped_early = evaluate(&st, eval);
            int do_save = (a->save_strategy == FT_IV_STEPS && st.global_step % a->save_steps == 0) ||
                          (a->save_strategy == FT_IV_EPOCH && end_of_epoch);
            if (do_save || stop_signal) {
                free(last_ckpt);
                last_ckpt = save_checkpoint(&st);
                ft_checkpoint_rotate(a->output_dir, a->save_total_limit, st.best_checkpoint);
            }
            progress(&st);
            if (stop_signal) {
                ft_warn("interrupted: checkpoint saved to %s; continue with --resume-from-checkpoint %s",
                        last_ckpt, last_ckpt);
                exit_status = 128 + stop_signal;
                goto out;
            }
            if (last || stopped_early) break;
        }
    }
    if (isatty(STDERR_FILENO) && !a->quiet) fputs("\r\033[K", stderr);
    if (stopped_early) ft_warn("early stopping: no improvement in %d evaluations", a->early_stopping_patience);

    if (a->load_best_model_at_end && st.best_checkpoint) {
        ft_model_load_weights(m, st.best_checkpoint);
        ft_warn("loaded the best model from %s (%s = %g)", st.best_checkpoint,
                a->metric_for_best_model, st.best_metric);
    }
    {
        json_t *j = json_object();
        double el = ft_now() - st.t_start;
        json_object_set_new(j, "train_runtime", json_real(el));
        json_object_set_new(j, "train_tokens_per_second", json_real(el > 0 ? (st.tokens - tokens_at_start) / el : 0));
        json_object_set_new(j, "epoch", json_real(st.epoch));
        json_object_set_new(j, "step", json_integer(st.global_step));
        log_line(&st, j);
        json_decref(j);
    }
    /* the final model: output_dir in HF layout, whatever the save strategy */
    ft_model_save(m, a->output_dir);
    {
        char *p = ft_xasprintf("%s/trainer_state.json", a->output_dir);
        json_t *s = trainer_state(&st);
        ft_write_json(s, p, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        json_decref(s);
        free(p);
    }
out:
    free(last_ckpt);
    free(order);
    ft_mlm_buf_free(&mlm_buf);
    free(sel);
    free(plan);
    free(heads);
    free(param_head);
    free(skip);
    free(head_used);
    ft_batch_data_free(&b);
    ft_adamw_free(st.opt);
    ft_penalty_free(st.penalty);
    json_decref(st.log_history);
    free(st.best_checkpoint);
    if (st.log_file) fclose(st.log_file);
    return exit_status;
}

void ft_copy_tokenizer_files(const char *src_dir, const char *dst_dir)
{
    static const char *files[] = {"tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                                  "merges.txt", "special_tokens_map.json", "spiece.model",
                                  "added_tokens.json", NULL};
    for (int i = 0; files[i]; i++) {
        char *s = ft_xasprintf("%s/%s", src_dir, files[i]), *d = ft_xasprintf("%s/%s", dst_dir, files[i]);
        if (strcmp(s, d) != 0 && access(s, R_OK) == 0) copy_file(s, d);
        free(s);
        free(d);
    }
}
