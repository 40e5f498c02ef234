#include "train_state.h"
#include "train_state_internal.h"
#include "checkpoint.h"
#include "publish.h"
#include "safetensors.h"
#include "util.h"
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static json_t *state_json(const ft_run_state *st)
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
    if (st->a->world_size > 1) json_object_set_new(s, "ft_world_size", json_integer(st->a->world_size));
    return s;
}

void ft_run_state_write(const ft_run_state *st, const char *path)
{
    json_t *j = state_json(st);
    ft_write_json(j, path, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(j);
}

static void save_optimizer(const ft_run_state *st, const char *path)
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

static void load_optimizer(ft_run_state *st, const char *path)
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

void ft_run_rotate_checkpoints(const ft_run_state *st)
{
    ft_checkpoint_rotate(st->a->output_dir, st->a->save_total_limit, st->best_checkpoint);
}

char *ft_run_save_checkpoint(ft_run_state *st)
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
    ft_run_state_write(st, p);
    free(p);
    ft_dir_publish(tmp, dir);
    free(tmp);
    return dir;
}

void ft_run_resume(ft_run_state *st, const char *dir)
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
    ft_run_state_read(st, p);
    free(p);
}

void ft_run_state_read(ft_run_state *st, const char *path)
{
    json_error_t e;
    json_t *s = json_load_file(path, 0, &e);
    if (!s) ft_die("%s:%d: %s", path, e.line, e.text);
    /* the global batch, the schedule and each rank's share of every epoch
       follow from the rank count: another one cannot continue the run */
    json_t *ws = json_object_get(s, "ft_world_size");
    int was = ws ? (int)json_integer_value(ws) : 1, now = st->a->world_size > 1 ? st->a->world_size : 1;
    if (was != now)
        ft_die("%s: the run was trained on %d process%s, this one has %d: resume it with "
               "mpirun -np %d, or start a new run from its weights (--model %.*s)", path, was,
               was == 1 ? "" : "es", now, was, (int)(strrchr(path, '/') ? strrchr(path, '/') - path : 1),
               strrchr(path, '/') ? path : ".");
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
