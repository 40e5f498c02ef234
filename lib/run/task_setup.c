#include "task_setup.h"
#include "util.h"
#include <string.h>

void ft_task_opts_default(ft_task_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mlm_probability = 0.15;
    o->mean_noise_span = 3.0;
}

/* The task config.json's architectures say the model in dir is for. */
static char *task_of_dir(const char *dir)
{
    char *cp = ft_xasprintf("%s/config.json", dir);
    ft_config *cfg = ft_config_load(cp);
    char *task = ft_xstrdup(ft_task_of_config(cfg));
    ft_config_free(cfg);
    free(cp);
    return task;
}

ft_task_setup *ft_task_setup_new(const ft_task_opts *o, const char *dir)
{
    ft_task_setup *s = ft_xcalloc(1, sizeof *s);
    s->task = o->task ? ft_xstrdup(o->task) : task_of_dir(dir);
    const char *task = s->task;
    s->span_corruption = ft_task_is_span_corruption(&task);
    if (ft_task_parse(task) < 0)
        ft_die("--task: unknown task '%s' (seq-cls, causal-lm, seq2seq, masked-lm, span-corruption)", task);
    if (task != s->task) { free(s->task); s->task = ft_xstrdup(task); }
    s->masked_lm = ft_task_parse(task) == FT_TASK_MASKED_LM;
    s->flag_task = s->masked_lm ? "masked-lm" : s->span_corruption ? "span-corruption" : s->task;
    if (o->mlm_probability_given && !s->masked_lm && !s->span_corruption)
        ft_die("--mlm-probability is for --task masked-lm or span-corruption");
    if (o->mean_noise_span_given && !s->span_corruption)
        ft_die("--mean-noise-span-length is for --task span-corruption");
    s->label_smoothing = (float)o->label_smoothing;
    if (s->span_corruption) s->spans = ft_spans_for_model(dir, o->mlm_probability, o->mean_noise_span);
    return s;
}

/* --task-weights NAME=W,... → one weight per head (1 for the rest). */
static double *parse_weights(const ft_model *m, const char *spec)
{
    double *w = ft_xmalloc(m->ntasks * sizeof *w);
    for (int t = 0; t < m->ntasks; t++) w[t] = 1;
    char *copy = ft_xstrdup(spec), *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (!eq) ft_die("--task-weights: '%s' is not NAME=W", it);
        *eq = 0;
        int h = ft_model_head(m, it);
        if (h < 0) ft_die("--task-weights: no task \"%s\"", it);
        w[h] = ft_parse_double("--task-weights", eq + 1, 1e-9, 1e6);
    }
    free(copy);
    return w;
}

void ft_task_setup_attach(ft_task_setup *s, const ft_model *m, const char *dir, const ft_task_opts *o)
{
    if (s->masked_lm) s->mlm = ft_mlm_from_tokenizer(dir, o->mlm_probability);
    if (o->task_weights && m->ntasks) s->task_weights = parse_weights(m, o->task_weights);
}

void ft_task_setup_free(ft_task_setup *s)
{
    if (!s) return;
    ft_mlm_free(s->mlm);
    ft_spans_free(s->spans);
    free(s->task_weights);
    free(s->task);
    free(s);
}

void ft_task_buf_free(ft_task_buf *buf)
{
    ft_mlm_buf_free(&buf->mlm);
    ft_spans_buf_free(&buf->spans);
}

size_t ft_task_prepare_batch(const ft_task_setup *s, ft_task_buf *buf, ft_batch *b, uint64_t key)
{
    if (!s) return 0;
    b->label_smoothing = s->label_smoothing;
    if (s->mlm) return ft_mlm_mask_batch(s->mlm, &buf->mlm, b, key);
    if (!s->spans) return 0;
    ft_spans_corrupt_batch(s->spans, &buf->spans, b, key);
    return (size_t)b->B * b->Tl;
}
