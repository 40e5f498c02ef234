#include "evaluate.h"
#include "batcher.h"
#include "dist.h"
#include "metrics.h"
#include "task_setup.h"
#include "penalty.h"
#include "progress.h"
#include "rng.h"
#include "util.h"
#include <math.h>
#include <string.h>

int *ft_task_heads(const ft_model *m, const ft_dataset *ds, const char *what)
{
    if (!ds->ntasks) ft_die("%s: the records name no task, but the model has %d task heads "
                            "(ft-tokenize --task NAME)", what, m->ntasks);
    int *h = ft_xmalloc(ds->ntasks * sizeof *h);
    for (int t = 0; t < ds->ntasks; t++)
        if ((h[t] = ft_model_head(m, ds->tasks[t])) < 0)
            ft_die("%s: task \"%s\" has no head in the model", what, ds->tasks[t]);
    return h;
}

void ft_check_dataset_fits(const ft_model *m, const ft_dataset *ds, const char *what)
{
    long vocab = ft_config_int(m->cfg, "vocab_size", 0);
    for (size_t i = 0; i < ds->ntok; i++)
        if (vocab && (ds->ids[i] < 0 || ds->ids[i] >= vocab))
            ft_die("%s: token id %d is outside the model's vocabulary of %ld "
                   "(tokenized with another tokenizer?)", what, ds->ids[i], vocab);
    if (m->ntasks) {
        int *heads = ft_task_heads(m, ds, what);
        for (size_t i = 0; i < ds->n; i++) {
            const ft_head *h = &m->heads[heads[ds->ex[i].task]];
            if (ds->ex[i].label != -100 && (ds->ex[i].label < 0 || ds->ex[i].label >= h->num_labels))
                ft_die("%s: record %lld of task \"%s\" has label %d, but its head has %d labels",
                       what, (long long)ds->ex[i].id, h->name, ds->ex[i].label, h->num_labels);
        }
        free(heads);
    } else if (m->task == FT_TASK_SEQ_CLS && m->problem == FT_PROBLEM_SINGLE_LABEL)
        for (size_t i = 0; i < ds->n; i++)
            if (ds->ex[i].label != -100 && (ds->ex[i].label < 0 || ds->ex[i].label >= m->num_labels))
                ft_die("%s: record %lld has label %d, but the model has %d labels (--num-labels)",
                       what, (long long)ds->ex[i].id, ds->ex[i].label, m->num_labels);
}

void ft_check_batches_fit(const ft_model *m, const ft_batch_data *b, long n, const char *what)
{
    long vocab = ft_config_int(m->cfg, "vocab_size", 0);
    for (long k = 0; k < n; k++) {
        for (int i = 0; i < b[k].B * b[k].T; i++)
            if (vocab && (b[k].input_ids[i] < 0 || b[k].input_ids[i] >= vocab))
                ft_die("%s: batch %ld: token id %d is outside the model's vocabulary of %ld "
                       "(tokenized with another tokenizer?)", what, k + 1, b[k].input_ids[i], vocab);
        if (m->task == FT_TASK_SEQ_CLS && !b[k].Tl)
            for (int i = 0; i < b[k].B; i++)
                if (b[k].labels[i] != -100 && (b[k].labels[i] < 0 || b[k].labels[i] >= m->num_labels))
                    ft_die("%s: batch %ld has label %d, but the model has %d labels (--num-labels)",
                           what, k + 1, b[k].labels[i], m->num_labels);
    }
}

static void softmax(const float *x, int k, float *p)
{
    float mx = x[0], s = 0;
    for (int i = 1; i < k; i++) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < k; i++) s += p[i] = expf(x[i] - mx);
    for (int i = 0; i < k; i++) p[i] /= s;
}

/* What one part of an evaluation (the records of one head) adds up, batch by
   batch, per kind of metric; under several ranks each rank adds its own
   batches and part_reduce sums them, so that the metrics are those of one
   process over the same batches. */
typedef struct loss_acc { double sum; long n; } loss_acc;
/* masked LM (masked tokens) and span corruption (target tokens): token accuracy */
typedef struct token_acc {
    int masked_lm, vocab;
    float *logits;
    size_t cap;
    long right, total;
} token_acc;
/* classification: the confusion matrix and the per-record predictions */
typedef struct cls_acc {
    int k;                              /* classes of the head */
    float *logits, *prob;
    ft_cls_metrics *cm;                 /* NULL: one class (regression) or not classification */
    ft_record rec;
} cls_acc;

typedef struct part {
    ft_model *m;
    const ft_task_setup *ts;
    int head;
    ft_task_buf buf;
    loss_acc loss;
    token_acc tok;
    cls_acc cls;
} part;

static void part_begin(part *p, ft_model *m, const ft_task_setup *ts, int head, int batch_size)
{
    memset(p, 0, sizeof *p);
    p->m = m;
    p->ts = ts;
    p->head = head;
    int k = m->ntasks ? m->heads[head].num_labels : m->num_labels;
    p->cls.k = k;
    p->cls.logits = ft_xmalloc((size_t)batch_size * (k > 0 ? k : 1) * sizeof *p->cls.logits);
    p->cls.prob = ft_xmalloc((k > 0 ? k : 1) * sizeof *p->cls.prob);
    p->cls.cm = m->task == FT_TASK_SEQ_CLS && k > 1 ? ft_cls_metrics_new(k) : NULL;
    /* masked LM: each batch masked as in training, but with a fixed key per
       batch so every evaluation sees the same masks; accuracy over them.
       Span corruption: the same, keyed per batch; accuracy over the targets */
    p->tok.masked_lm = m->task == FT_TASK_MASKED_LM;
    if (p->tok.masked_lm && !(ts && ts->mlm)) ft_die("internal: masked-LM evaluation without a masking setup");
    if (p->tok.masked_lm) p->tok.vocab = ts->mlm->vocab;
    else if (ts && ts->spans) p->tok.vocab = (int)ft_config_int(m->cfg, "vocab_size", 0);
}

/* The batch's loss; its logits land where its task's metrics read them. */
static float part_forward(part *p, ft_batch *fb, size_t s)
{
    size_t rows = ft_task_prepare_batch(p->ts, &p->buf, fb, ft_key_mix(0x65766d6c6dULL, s));
    token_acc *t = &p->tok;
    int tokens = t->vocab > 0;
    if (tokens && rows * t->vocab > t->cap)
        t->logits = ft_xrealloc(t->logits, (t->cap = rows * t->vocab) * sizeof *t->logits);
    float *out = p->m->task == FT_TASK_SEQ_CLS ? p->cls.logits : tokens ? t->logits : NULL;
    return ft_model_forward(p->m, fb, out);
}

static void loss_add(loss_acc *l, float loss, int count)
{
    if (isnan(loss)) return;
    /* HF averages per-example losses: weight each batch by its size */
    l->sum += (double)loss * count;
    l->n += count;
}

/* masked LM: logits of the labelled tokens only; spans: of every position */
static void token_add(token_acc *t, const ft_batch *fb)
{
    if (!t->vocab) return;
    const int32_t *lab = fb->labels;
    int V = t->vocab;
    for (size_t i = 0, r = 0; i < (size_t)fb->B * (t->masked_lm ? fb->T : fb->Tl); i++) {
        if (lab[i] == -100) { r += !t->masked_lm; continue; }
        const float *row = t->logits + r++ * V;
        int pred = 0;
        for (int c = 1; c < V; c++) if (row[c] > row[pred]) pred = c;
        t->right += pred == lab[i];
        t->total++;
    }
}

static const char *class_name(const ft_model *m, int head, int c)
{
    return m->ntasks ? m->heads[head].id2label[c] : ft_model_label_name(m, c);
}

/* The batch's class predictions into the confusion matrix, and one record
   each to preds (at place first + i). */
static void cls_add(part *p, const ft_batch_data *b, int count, ft_distout *preds, size_t first)
{
    cls_acc *a = &p->cls;
    const ft_model *m = p->m;
    int k = a->k;
    for (int i = 0; i < count; i++) {
        const float *row = a->logits + (size_t)i * k;
        int pred = 0;
        for (int c = 1; c < k; c++) if (row[c] > row[pred]) pred = c;
        if (a->cm && b->labels[i] != -100) ft_cls_metrics_add(a->cm, b->labels[i], pred);
        if (!preds) continue;
        softmax(row, k, a->prob);
        ft_record *rec = &a->rec;
        ft_record_clear(rec);
        ft_record_set_int(rec, "id", b->ids[i]);
        if (m->ntasks) ft_record_set_str(rec, "task", m->heads[p->head].name, strlen(m->heads[p->head].name));
        if (b->labels[i] != -100) ft_record_set_int(rec, "label", b->labels[i]);
        ft_record_set_int(rec, "prediction", pred);
        const char *name = class_name(m, p->head, pred);
        if (name) ft_record_set_str(rec, "predicted_label", name, strlen(name));
        int64_t shape[1] = {k};
        ft_record_set_tensor(rec, "probabilities", FT_F32, 1, shape, a->prob);
        ft_distout_put(preds, (long)(first + i), rec);
    }
}

/* The one cross-rank step: every rank's sums added up. */
static void part_reduce(part *p)
{
    if (ft_dist_size() <= 1) return;
    double sums[4] = { p->loss.sum, (double)p->loss.n, (double)p->tok.right, (double)p->tok.total };
    ft_dist_sum_f64(sums, 4);
    p->loss.sum = sums[0];
    p->loss.n = (long)sums[1];
    p->tok.right = (long)sums[2];
    p->tok.total = (long)sums[3];
    if (p->cls.cm) {
        ft_dist_sum_long(p->cls.cm->confusion, p->cls.k * p->cls.k);
        ft_dist_sum_long(&p->cls.cm->n, 1);
    }
}

static void set_real(json_t *out, const char *prefix, const char *name, double v)
{
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    json_object_set_new(out, key, json_real(v));
}

static json_t *part_json(part *p, const char *prefix)
{
    json_t *out = json_object();
    const ft_model *m = p->m;
    if (p->loss.n) {
        set_real(out, prefix, "loss", p->loss.sum / p->loss.n);
        if (m->task == FT_TASK_CAUSAL_LM || m->task == FT_TASK_SEQ2SEQ || p->tok.masked_lm)
            set_real(out, prefix, "perplexity", exp(p->loss.sum / p->loss.n));
    }
    if (p->tok.total) {    /* run_mlm.py's accuracy: over the masked tokens (span targets) */
        set_real(out, prefix, "accuracy", (double)p->tok.right / p->tok.total);
        char key[256];
        snprintf(key, sizeof key, p->tok.masked_lm ? "%smasked_tokens" : "%starget_tokens", prefix);
        json_object_set_new(out, key, json_integer(p->tok.total));
    }
    if (p->cls.cm) {
        int k = p->cls.k;
        ft_cls_metrics_finish(p->cls.cm);
        const char **names = ft_xcalloc(k, sizeof *names);
        for (int c = 0; c < k; c++) names[c] = class_name(m, p->head, c);
        json_t *cj = ft_cls_metrics_json(p->cls.cm, names, prefix);
        json_object_update(out, cj);
        json_decref(cj);
        free(names);
    }
    return out;
}

static void part_end(part *p)
{
    ft_cls_metrics_free(p->cls.cm);
    ft_record_free(&p->cls.rec);
    free(p->cls.logits);
    free(p->cls.prob);
    free(p->tok.logits);
    ft_task_buf_free(&p->buf);
}

/* Metrics over the examples order[0..n) with head `head` (0 for a one-head
   model); adds the summed loss and its count to *total; base is the place of
   order[0] among all the records evaluated (predictions' order).  Under
   several ranks rank r evaluates batches r, r+N, …. */
static json_t *evaluate_part(ft_model *m, const ft_task_setup *ts, const ft_dataset *ds,
                             const int64_t *order, size_t n, int head, int batch_size,
                             const char *prefix, ft_distout *preds, size_t base, loss_acc *total,
                             ft_progress *bar, size_t *done)
{
    part p;
    part_begin(&p, m, ts, head, batch_size);
    ft_batch_opts o = {.batch_size = batch_size};
    ft_batch_data b = {0};
    /* per-example records are class predictions; generation tasks write theirs with ft-generate */
    int classes = p.cls.cm || (preds && m->task == FT_TASK_SEQ_CLS);
    int nranks = ft_dist_size(), rank = nranks > 1 ? ft_dist_rank() : 0;
    for (size_t s = 0; s < n; s += batch_size) {
        int count = (int)(n - s < (size_t)batch_size ? n - s : (size_t)batch_size);
        if ((long)(s / batch_size) % nranks != rank) continue;
        ft_batch_fill(ds, &o, order + s, count, &b);
        ft_batch fb = {.B = b.B, .T = b.T, .input_ids = b.input_ids,
                       .attention_mask = b.attention_mask, .token_type_ids = b.token_type_ids,
                       .labels = ds->label_kind != FT_LABELS_NONE ? b.labels : NULL,
                       .Tl = ds->label_kind == FT_LABELS_SEQUENCE ? b.Tl : 0, .task = head};
        float loss = part_forward(&p, &fb, s);
        token_add(&p.tok, &fb);
        loss_add(&p.loss, loss, count);
        *done += (size_t)count;
        ft_progress_update(bar, (double)*done, -1, NULL);
        if (classes) cls_add(&p, &b, count, preds, base + s);
    }
    part_reduce(&p);
    json_t *out = part_json(&p, prefix);
    total->sum += p.loss.sum;
    total->n += p.loss.n;
    part_end(&p);
    ft_batch_data_free(&b);
    return out;
}

json_t *ft_evaluate(ft_model *m, const ft_task_setup *ts, const ft_dataset *ds, int batch_size,
                    const char *prefix, ft_distout *preds, int quiet)
{
    ft_progress *bar = ft_progress_new("records", 0, (double)ds->n, quiet);
    size_t done = 0;
    int64_t *order = ft_xmalloc((ds->n ? ds->n : 1) * sizeof *order);
    double t0 = ft_now();
    loss_acc loss = {0};
    json_t *out;
    char key[256];
    if (!m->ntasks) {
        ft_batch_opts o = {.batch_size = batch_size};
        ft_epoch_order(ds, &o, 0, order);
        out = evaluate_part(m, ts, ds, order, ds->n, 0, batch_size, prefix, preds, 0, &loss, bar, &done);
    } else {
        /* one part per task: <prefix><task>_<metric>, then the overall loss
           and each metric's mean over the tasks (<prefix>average_<metric>) */
        out = json_object();
        int *heads = ft_task_heads(m, ds, "evaluation data");
        json_t *avg = json_object();
        int parts = 0;
        size_t base = 0;
        for (int h = 0; h < m->ntasks; h++) {
            size_t n = 0;
            for (size_t i = 0; i < ds->n; i++) if (heads[ds->ex[i].task] == h) order[n++] = (int64_t)i;
            if (!n) continue;
            char *pre = ft_xasprintf("%s%s_", prefix, m->heads[h].name);
            json_t *r = evaluate_part(m, ts, ds, order, n, h, batch_size, pre, preds, base, &loss, bar, &done);
            base += n;
            const char *k;
            json_t *v;
            size_t pl = strlen(pre);
            json_object_foreach(r, k, v) {
                if (!json_is_number(v)) continue;
                json_t *acc = json_object_get(avg, k + pl);
                double sum = (acc ? json_number_value(acc) : 0) + json_number_value(v);
                json_object_set_new(avg, k + pl, json_real(sum));
            }
            json_object_update(out, r);
            json_decref(r);
            free(pre);
            parts++;
        }
        const char *k;
        json_t *v;
        json_object_foreach(avg, k, v) {
            snprintf(key, sizeof key, "%saverage_%s", prefix, k);
            json_object_set_new(out, key, json_real(json_number_value(v) / parts));
        }
        json_decref(avg);
        free(heads);
        if (loss.n) set_real(out, prefix, "loss", loss.sum / loss.n);
    }
    ft_progress_end(bar);
    double secs = ft_now() - t0;
    snprintf(key, sizeof key, "%sruntime", prefix);
    json_object_set_new(out, key, json_real(secs));
    snprintf(key, sizeof key, "%ssamples_per_second", prefix);
    json_object_set_new(out, key, json_real(secs > 0 ? ds->n / secs : 0));
    free(order);
    return out;
}

long ft_fisher_compute(ft_model *m, const ft_dataset *ds, const char *earlier, double gamma,
                       const char *path)
{
    ft_params *ps = &m->params;
    for (int i = 0; i < ps->n; i++) ps->p[i].trainable = 1;
    ft_batch_opts o = {.batch_size = 1};
    ft_batch_data b = {0};
    float *F = ft_xcalloc(ps->total, sizeof *F);
    long n = 0;
    ft_model_reserve(m, 1, ds->max_len);
    /* several ranks: rank r takes examples r, r+N, …; the Fisher is a sum
       over examples, so the ranks' sums add up (in another fp32 order than
       one process: equal within summation rounding); rank 0 saves */
    int nranks = ft_dist_size(), rank = ft_dist_rank();
    for (size_t i = (size_t)rank; i < ds->n; i += (size_t)nranks) {
        int64_t idx = (int64_t)i;
        if (ds->label_kind == FT_LABELS_CLASS && ds->ex[i].label == -100) continue;
        ft_batch_fill(ds, &o, &idx, 1, &b);
        ft_batch fb = {.B = 1, .T = b.T, .input_ids = b.input_ids, .attention_mask = b.attention_mask,
                       .token_type_ids = b.token_type_ids, .labels = b.labels};
        ft_params_zero_grad(ps);
        ft_model_forward_backward(m, &fb, 0);       /* dropout off */
        for (size_t k = 0; k < ps->total; k++) F[k] += ps->grad[k] * ps->grad[k];
        n++;
    }
    ft_dist_sum_f32(F, ps->total);
    ft_dist_sum_long(&n, 1);
    if (!n) ft_die("no labelled records to compute a Fisher from");
    for (size_t k = 0; k < ps->total; k++) F[k] /= (float)n;
    if (earlier) {
        long n0;
        float *F0 = ft_fisher_load(ps, earlier, &n0);
        for (size_t k = 0; k < ps->total; k++) F[k] += (float)gamma * F0[k];
        free(F0);
        n += n0;
    }
    if (ft_dist_main()) ft_fisher_save(ps, F, n, path);
    free(F);
    ft_batch_data_free(&b);
    return n;
}
