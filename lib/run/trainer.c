#include "trainer.h"
#include "evaluate.h"
#include "checkpoint.h"
#include "dist.h"
#include "progress.h"
#include "publish.h"
#include "rng.h"
#include "tensorboard.h"
#include "train_state.h"
#include "util.h"
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
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

static void log_line(ft_run_state *st, json_t *j)
{
    json_array_append(st->log_history, j);
    if (!ft_dist_main()) return;        /* rank 0 speaks for the job */
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(8));
    ft_progress_clear(st->bar);
    puts(s);
    fflush(stdout);
    if (st->log_file) { fputs(s, st->log_file); fputc('\n', st->log_file); fflush(st->log_file); }
    if (st->tb) ft_tb_log(st->tb, j, st->global_step);
    free(s);
}

static void progress(ft_run_state *st, double tokens_at_start)
{
    double el = ft_now() - st->t_start;
    ft_progress_update(st->bar, (double)st->global_step, -1, "epoch %.2f  %.0f tok/s", st->epoch,
                       el > 0 ? (st->tokens - tokens_at_start) / el : 0.0);
}


/* ---------- evaluation and the best model ---------- */

/* Returns 1 when training should stop early. */
static int evaluate(ft_run_state *st, const ft_task_setup *ts, const ft_dataset *eval)
{
    json_t *r = ft_evaluate(st->m, ts, eval, st->a->eval_batch_size, "eval_", NULL, st->a->quiet || !ft_dist_main());
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


/* ---------- the loop, step by step ---------- */

/* One run: its saved state and what the loop keeps between steps. */
typedef struct trainer {
    ft_run_state st;
    const ft_task_setup *ts;            /* what every batch gets for the task */
    const ft_train_data *data;
    const ft_dataset *eval;
    ft_train_feed *feed;
    int *heads;                         /* multi-task: the head of each dataset task */
    int *param_head;                    /* multi-task: the head a parameter belongs to, or -1 */
    unsigned char *skip, *head_used;    /* multi-task: heads this step left alone / reached */
    ft_task_buf task_buf;               /* masked or span-corrupted inputs and labels */
    double step_loss, loss_since, pen_since, last_norm, tokens_at_start;
    double grad_weight;                 /* several ranks: params.grad holds the gradient / this */
    int summed;                         /* several ranks: the step's sum ran with backward */
    long steps_since;
    char *last_ckpt;
} trainer;

static void check_args(const ft_train_args *a, const ft_train_data *data, const ft_dataset *eval,
                       const ft_model *m, const ft_task_setup *ts)
{
    if (m->ntasks && !data->ds) ft_die("a multi-task model trains on token records, not ready batches");
    if (m->ntasks && a->task_sampling == FT_TS_TEMPERATURE && !(a->task_temperature > 0))
        ft_die("--task-temperature must be positive");
    if (eval && a->eval_strategy == FT_IV_NO && a->load_best_model_at_end)
        ft_die("--load-best-model-at-end needs an --eval-strategy other than no");
    if (a->load_best_model_at_end && a->eval_strategy != a->save_strategy)
        ft_die("--load-best-model-at-end requires the save and eval strategy to match (HF rule)");
    if (a->eval_strategy != FT_IV_NO && !eval) ft_die("--eval-strategy %s needs --eval-data FILE",
                                                      a->eval_strategy == FT_IV_EPOCH ? "epoch" : "steps");
    if (m->task == FT_TASK_MASKED_LM && !(ts && ts->mlm)) ft_die("internal: masked-LM training without a masking setup");
    if (a->world_size > 1 && !data->ds)
        ft_die("ready batches (ft-batch) train in one process only: give several ranks token records");
}

/* Multi-task: which head each parameter belongs to, so that a step skips the
   heads none of its batches reached (torch leaves them alone). */
static void map_heads(trainer *t)
{
    const ft_model *m = t->st.m;
    const ft_params *ps = &m->params;
    t->heads = ft_task_heads(m, t->data->ds, "training data");
    t->param_head = ft_xmalloc(ps->n * sizeof *t->param_head);
    t->skip = ft_xmalloc(ps->n ? ps->n : 1);
    t->head_used = ft_xcalloc(m->ntasks, 1);
    for (int i = 0; i < ps->n; i++) t->param_head[i] = ft_model_param_head(m, i);
}

/* The schedule's lengths: batches and steps per epoch, total and warmup steps. */
static void plan_steps(trainer *t)
{
    ft_run_state *st = &t->st;
    const ft_train_args *a = st->a;
    const ft_train_data *data = t->data;
    int packed = a->packing || (!data->ds && data->batches[0].segment_ids);
    if (packed && st->m->task != FT_TASK_CAUSAL_LM)
        ft_die("packed batches are for a causal language model (--task causal-lm), not this model's task");
    t->feed = ft_train_feed_new(data, a, t->heads, st->m->ntasks);
    st->batches_per_epoch = ft_train_feed_batches_per_epoch(t->feed);
    if (st->batches_per_epoch == 0) ft_die("the training data make no batch");
    st->steps_per_epoch = (st->batches_per_epoch + a->grad_accum - 1) / a->grad_accum;
    double epochs = data->ds ? a->num_train_epochs : (double)data->nbatches / data->batches_per_epoch;
    st->total_steps = a->max_steps > 0 ? a->max_steps : (long)ceil(epochs * st->steps_per_epoch);
    if (!data->ds && st->total_steps > (data->nbatches + a->grad_accum - 1) / a->grad_accum)
        ft_die("--max-steps %ld needs more batches than the input holds (%ld)", st->total_steps, data->nbatches);
    st->warmup = ft_warmup_steps(a->warmup_steps, a->warmup_ratio, st->total_steps);
    st->patience_left = a->early_stopping_patience;
}

/* Optimizer, output and log files, penalty, a checkpoint to resume from. */
static void open_run(trainer *t)
{
    ft_run_state *st = &t->st;
    const ft_train_args *a = st->a;
    ft_params *ps = &st->m->params;
    int main_rank = ft_dist_main();
    /* from here a signal asks for a checkpoint at the end of a step; several
       ranks catch it before they meet, so that none is killed while the
       others go on to save (one process: once loading is over, below) */
    if (a->world_size > 1) { signal(SIGINT, on_stop); signal(SIGTERM, on_stop); }
    /* every rank starts from rank 0's weights (a head initialised afresh, LoRA's A) */
    ft_dist_bcast_params(ps);
    st->opt = ft_adamw_new(ps, (float)a->weight_decay);
    st->opt->beta1 = (float)a->adam_beta1;
    st->opt->beta2 = (float)a->adam_beta2;
    st->opt->eps = (float)a->adam_epsilon;
    if (main_rank) {                    /* rank 0 writes the output and the logs */
        ft_mkdir_p(a->output_dir);
        const char *logdir = a->logging_dir ? a->logging_dir : a->output_dir;
        ft_mkdir_p(logdir);
        char *logpath = ft_xasprintf("%s/train_log.jsonl", logdir);
        st->log_file = fopen(logpath, a->resume_from_checkpoint ? "a" : "w");
        if (!st->log_file) ft_die("%s: cannot create: %s", logpath, strerror(errno));
        free(logpath);
    }
    if (a->report_tensorboard && main_rank) {
        char *tbdir = a->logging_dir ? ft_xstrdup(a->logging_dir) : ft_tb_default_dir(a->output_dir);
        st->tb = ft_tb_open(tbdir);
        free(tbdir);
    }
    st->penalty = ft_penalty_new(ps, a->l2sp, a->ewc, a->fisher);
    /* what a run killed here left half-written goes before anything is resumed */
    if (main_rank) ft_sweep_dead_temps(a->output_dir);
    ft_dist_barrier();                  /* ... before any rank looks for a checkpoint */
    if (a->resume_from_checkpoint) {
        char *from = ft_checkpoint_for_resume(a->output_dir, a->resume_from_checkpoint);
        ft_run_resume(st, from);
        free(from);
    }
    ft_dist_check_same(ft_dist_params_hash(ps), "the weights at the start");
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    const ft_train_data *data = t->data;
    if (a->world_size > 1 && main_rank)
        ft_warn("%d processes: global batch %d per process × %d × %d accumulation = %d", a->world_size,
                a->train_batch_size, a->world_size, a->grad_accum,
                a->train_batch_size * a->world_size * a->grad_accum);
    if (main_rank && data->ds && a->packing)
        ft_warn("%zu examples packed into rows of %d tokens, %ld batches of %d rows per epoch, "
                "%ld optimisation steps (warmup %ld), %d threads", data->ds->n, a->max_length,
                st->batches_per_epoch, a->train_batch_size, st->total_steps, st->warmup, st->m->threads);
    else if (main_rank && data->ds)
        ft_warn("%zu examples, %ld batches of %d per epoch, %ld optimisation steps (warmup %ld), %d threads",
                data->ds->n, st->batches_per_epoch, a->train_batch_size, st->total_steps, st->warmup, st->m->threads);
    else if (main_rank)
        ft_warn("%ld batches given (%ld per epoch), %ld optimisation steps (warmup %ld), %d threads",
                data->nbatches, st->batches_per_epoch, st->total_steps, st->warmup, st->m->threads);
    ft_model_reserve(st->m, data->ds ? a->train_batch_size : data->batches[0].B,
                     a->max_length ? a->max_length : data->max_len);
    st->t_start = ft_now();
    t->tokens_at_start = st->tokens;
    st->bar = ft_progress_new("steps", (double)st->global_step, (double)st->total_steps, a->quiet || !main_rank);
}

/* Several ranks: micro-batch mb of every rank together is one micro-batch of
   the global step, and its loss the mean over all their loss items (HF's
   num_items_in_batch): this rank's gradient, a mean over its own items,
   counts n_rank/n_all.  params.grad holds the sum so far divided by
   grad_weight; before backward adds this micro-batch, the buffer moves to
   its weight.  Returns the micro-batch's global loss; *tokens becomes the
   tokens of every rank. */
static float shared_forward_backward(trainer *t, const ft_batch *fb, double *tokens, int last)
{
    ft_model *m = t->st.m;
    float loss = ft_model_forward_train(m, fb, 1);
    int n = m->loss_items;
    double s[3] = { n, n ? (double)loss * n : 0, *tokens };
    ft_dist_sum_f64(s, 3);
    *tokens = s[2];
    if (n) {
        double w = n / s[0];
        if (t->grad_weight && w != t->grad_weight) ft_grad_scale(&m->params, (float)(t->grad_weight / w));
        t->grad_weight = w;
        /* the step's last micro-batch: its sum runs alongside backward and
           leaves params.grad holding the gradient itself */
        ft_dist_overlap *o = last ? ft_dist_overlap_begin(m, (float)w) : NULL;
        ft_model_backward(m, fb);
        if (o) {
            ft_dist_overlap_end(o);
            t->grad_weight = 0;
            t->summed = 1;
        }
    }
    return s[0] ? (float)(s[1] / s[0]) : 0.0f;
}

/* Forward and backward over micro-batch mb of epoch ep, gradients
   accumulating.  Returns 0 when ready batches ran out. */
static int micro_step(trainer *t, long ep, long mb, int last)
{
    ft_run_state *st = &t->st;
    const ft_train_args *a = st->a;
    ft_model *m = st->m;
    int head;
    const ft_batch_data *bd = ft_train_feed_batch(t->feed, mb, &head);
    if (!bd) return 0;
    ft_batch fb = {.B = bd->B, .T = bd->T, .input_ids = bd->input_ids,
                   .attention_mask = bd->attention_mask, .token_type_ids = bd->token_type_ids,
                   .labels = bd->labels, .Tl = bd->Tl,
                   .position_ids = bd->position_ids, .segment_ids = bd->segment_ids};
    /* fresh masks (or spans) for every micro-batch, keyed by its place in the run */
    uint64_t noise_key = ft_key_mix(ft_key_mix(a->seed, 0x6d6c6dULL), (uint64_t)(ep * st->batches_per_epoch + mb));
    if (a->world_size > 1) noise_key = ft_key_mix(noise_key, (uint64_t)a->process_index);  /* its own masks */
    ft_task_prepare_batch(t->ts, &t->task_buf, &fb, noise_key);
    if (head >= 0) {
        fb.task = head;
        fb.loss_weight = t->ts && t->ts->task_weights ? (float)t->ts->task_weights[head] : 0;
        t->head_used[head] = 1;
    }
    double tokens = 0;
    for (int i = 0; i < bd->B * bd->T; i++) tokens += bd->attention_mask[i] != 0;
    float loss = a->world_size > 1 ? shared_forward_backward(t, &fb, &tokens, last) : ft_model_forward_backward(m, &fb, 1);
    if (!isfinite(loss))
        ft_die("loss became %s at step %ld (epoch %.2f, learning rate %g); "
               "the last good checkpoint is %s", isnan(loss) ? "NaN" : "infinite",
               st->global_step + 1, st->epoch, ft_lr_at(a->lr_scheduler, a->learning_rate,
               st->global_step, st->warmup, st->total_steps), t->last_ckpt ? t->last_ckpt : "(none saved yet)");
    st->tokens += tokens;
    t->step_loss += loss / a->grad_accum;
    return 1;
}

/* One optimiser step, as Trainer: loss/accum per micro-batch, clip, step, schedule. */
static void optimizer_step(trainer *t, long ep, long mb)
{
    ft_run_state *st = &t->st;
    const ft_train_args *a = st->a;
    ft_params *ps = &st->m->params;
    if (a->world_size > 1 && !t->summed) {  /* the sum of every rank's weighted gradient */
        if (t->grad_weight && t->grad_weight != 1) ft_grad_scale(ps, (float)t->grad_weight);
        t->grad_weight = 0;
        ft_dist_sum_grads(ps);
    }
    t->summed = 0;
    ft_grad_scale(ps, 1.0f / a->grad_accum);
    if (st->penalty) {
        /* the penalty is part of the loss: its gradient is clipped with the rest */
        ft_penalty_apply(st->penalty, ps, &st->l2sp_val, &st->ewc_val);
        t->pen_since += st->l2sp_val + st->ewc_val;
    }
    double lr = ft_lr_at(a->lr_scheduler, a->learning_rate, st->global_step, st->warmup, st->total_steps);
    if (t->heads) {
        for (int i = 0; i < ps->n; i++) t->skip[i] = t->param_head[i] >= 0 && !t->head_used[t->param_head[i]];
        memset(t->head_used, 0, st->m->ntasks);
    }
    t->last_norm = ft_clip_step_zero(st->opt, ps, (float)lr, (float)a->max_grad_norm, t->heads ? t->skip : NULL);
    st->global_step++;
    st->epoch = ep + (double)(mb + 1) / st->batches_per_epoch;
    t->loss_since += t->step_loss;
    t->steps_since++;
    t->step_loss = 0;
}

/* The log line of the steps since the last one. */
static void log_train(trainer *t)
{
    ft_run_state *st = &t->st;
    const ft_train_args *a = st->a;
    json_t *j = json_object();
    json_object_set_new(j, "loss", json_real(t->loss_since / t->steps_since));
    if (st->penalty) {
        /* the task loss above; the penalty's parts (at this step) and the total */
        if (a->l2sp > 0) json_object_set_new(j, "l2sp_penalty", json_real(st->l2sp_val));
        if (a->ewc > 0) json_object_set_new(j, "ewc_penalty", json_real(st->ewc_val));
        json_object_set_new(j, "total_loss", json_real((t->loss_since + t->pen_since) / t->steps_since));
        t->pen_since = 0;
    }
    json_object_set_new(j, "grad_norm", json_real(t->last_norm));
    /* HF logs the rate the scheduler holds after this step */
    json_object_set_new(j, "learning_rate", json_real(ft_lr_at(a->lr_scheduler,
        a->learning_rate, st->global_step, st->warmup, st->total_steps)));
    json_object_set_new(j, "epoch", json_real(st->epoch));
    json_object_set_new(j, "step", json_integer(st->global_step));
    double el = ft_now() - st->t_start;
    json_object_set_new(j, "tokens_per_second", json_real(el > 0 ? (st->tokens - t->tokens_at_start) / el : 0));
    log_line(st, j);
    json_decref(j);
    t->loss_since = 0;
    t->steps_since = 0;
}

/* Whether an every-N-steps or every-epoch event falls on this step. */
static int due(enum ft_interval iv, long every, long step, int end_of_epoch)
{
    return (iv == FT_IV_STEPS && step % every == 0) || (iv == FT_IV_EPOCH && end_of_epoch);
}

/* After the last step: the best model if asked, the summary line, the final
   model in output_dir (HF layout, whatever the save strategy). */
static void finish(trainer *t, int stopped_early)
{
    ft_run_state *st = &t->st;
    const ft_train_args *a = st->a;
    ft_progress_end(st->bar);
    st->bar = NULL;
    if (!ft_dist_main()) return;        /* rank 0 reports and writes the model */
    if (stopped_early) ft_warn("early stopping: no improvement in %d evaluations", a->early_stopping_patience);
    if (a->load_best_model_at_end && st->best_checkpoint) {
        ft_model_load_weights(st->m, st->best_checkpoint);
        ft_warn("loaded the best model from %s (%s = %g)", st->best_checkpoint,
                a->metric_for_best_model, st->best_metric);
    }
    json_t *j = json_object();
    double el = ft_now() - st->t_start;
    json_object_set_new(j, "train_runtime", json_real(el));
    json_object_set_new(j, "train_tokens_per_second", json_real(el > 0 ? (st->tokens - t->tokens_at_start) / el : 0));
    if (a->world_size > 1)              /* rank 0's time in gradient sums, waiting for the others included */
        json_object_set_new(j, "train_allreduce_seconds", json_real(ft_dist_wait_seconds()));
    json_object_set_new(j, "epoch", json_real(st->epoch));
    json_object_set_new(j, "step", json_integer(st->global_step));
    log_line(st, j);
    json_decref(j);
    ft_model_save(st->m, a->output_dir);
    char *p = ft_xasprintf("%s/trainer_state.json", a->output_dir);
    ft_run_state_write(st, p);
    free(p);
}

static void close_run(trainer *t)
{
    free(t->last_ckpt);
    ft_task_buf_free(&t->task_buf);
    ft_train_feed_free(t->feed);
    free(t->heads);
    free(t->param_head);
    free(t->skip);
    free(t->head_used);
    ft_adamw_free(t->st.opt);
    ft_penalty_free(t->st.penalty);
    json_decref(t->st.log_history);
    free(t->st.best_checkpoint);
    if (t->st.log_file) fclose(t->st.log_file);
    ft_progress_end(t->st.bar);
    ft_tb_close(t->st.tb);
}

/* Several ranks: every one stops at the same step (a signal reached some of
   them, rank 0's evaluation said stop), and holds the same weights. */
static void agree(trainer *t, int *stopped_early, int check_weights)
{
    int f[2] = { stop_signal, *stopped_early };
    ft_dist_max_int(f, 2);
    if (f[0]) stop_signal = f[0];
    *stopped_early = f[1];
    if (check_weights) {
        char what[64];
        snprintf(what, sizeof what, "the weights after step %ld", t->st.global_step);
        ft_dist_check_same(ft_dist_params_hash(&t->st.m->params), what);
    }
}

int ft_train(ft_model *m, const ft_task_setup *ts, const ft_train_data *data, const ft_dataset *eval,
             const ft_train_args *args)
{
    ft_train_args la = *args;           /* with this process's place in the job */
    la.process_index = ft_dist_rank();
    la.world_size = ft_dist_size();
    const ft_train_args *a = &la;
    int main_rank = ft_dist_main(), many = a->world_size > 1;
    trainer t = {.st = {.a = a, .m = m, .log_history = json_array()}, .ts = ts, .data = data, .eval = eval};
    ft_run_state *st = &t.st;
    if (many) m->seed = ft_key_mix(m->seed, (uint64_t)a->process_index);  /* each rank its own dropout */
    check_args(a, data, eval, m, ts);
    if (m->ntasks) map_heads(&t);
    plan_steps(&t);
    open_run(&t);
    int stopped_early = 0, exit_status = 0;
    for (long ep = st->global_step / st->steps_per_epoch; st->global_step < st->total_steps && !stopped_early; ep++) {
        ft_train_feed_epoch(t.feed, ep);
        long in_step = 0;
        for (long mb = (st->global_step - ep * st->steps_per_epoch) * a->grad_accum; mb < st->batches_per_epoch; mb++) {
            int last = in_step + 1 >= a->grad_accum || mb + 1 >= st->batches_per_epoch;
            if (!micro_step(&t, ep, mb, last)) { st->global_step = st->total_steps; break; }
            if (++in_step < a->grad_accum && mb + 1 < st->batches_per_epoch) continue;
            in_step = 0;
            optimizer_step(&t, ep, mb);
            int end_of_epoch = mb + 1 == st->batches_per_epoch;
            int logging = due(a->logging_strategy, a->logging_steps, st->global_step, end_of_epoch);
            int saving = due(a->save_strategy, a->save_steps, st->global_step, end_of_epoch);
            if (logging) log_train(&t);
            if (eval && due(a->eval_strategy, a->eval_steps ? a->eval_steps : a->logging_steps,
                            st->global_step, end_of_epoch))
                stopped_early = evaluate(st, ts, eval);     /* sharded over the ranks */
            if (many) agree(&t, &stopped_early, logging || saving);
            if (saving || stop_signal) {
                free(t.last_ckpt);
                t.last_ckpt = main_rank ? ft_run_save_checkpoint(st)
                                        : ft_xasprintf("%s/checkpoint-%ld", a->output_dir, st->global_step);
                if (main_rank) ft_run_rotate_checkpoints(st);
            }
            progress(st, t.tokens_at_start);
            if (stop_signal) {
                if (main_rank)
                    ft_warn("interrupted: checkpoint saved to %s; continue with --resume-from-checkpoint %s",
                            t.last_ckpt, t.last_ckpt);
                ft_dist_barrier();      /* no rank ends the job before rank 0 has saved */
                exit_status = 128 + stop_signal;
                break;
            }
            if (st->global_step >= st->total_steps || stopped_early) break;
        }
        if (exit_status) break;
    }
    if (!exit_status) finish(&t, stopped_early);
    close_run(&t);
    return exit_status;
}
