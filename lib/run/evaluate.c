#include "evaluate.h"
#include "batcher.h"
#include "dist.h"
#include "metrics.h"
#include "mlm.h"
#include "spans.h"
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

/* Metrics over the examples idx[0..n) with head `head` (0 for a one-head
   model); adds the summed loss and its count to *loss_sum, *loss_n; base is
   the place of idx[0] among all the records evaluated (predictions' order).
   Under several ranks rank r evaluates batches r, r+N, … and
   the sums behind every metric are added up across the ranks: the metrics
   of one process over the same batches. */
static json_t *evaluate_part(ft_model *m, const ft_dataset *ds, const int64_t *order, size_t n,
                             int head, int batch_size, const char *prefix, ft_distout *preds, size_t base,
                             double *loss_sum_out, long *loss_n_out, ft_progress *bar, size_t *done)
{
    ft_batch_opts o = {.batch_size = batch_size};
    int k = m->ntasks ? m->heads[head].num_labels : m->num_labels;
    ft_batch_data b = {0};
    float *logits = ft_xmalloc((size_t)batch_size * (k > 0 ? k : 1) * sizeof *logits);
    float *prob = ft_xmalloc((k > 0 ? k : 1) * sizeof *prob);
    ft_cls_metrics *cm = m->task == FT_TASK_SEQ_CLS && k > 1 ? ft_cls_metrics_new(k) : NULL;
    double loss_sum = 0;
    long loss_n = 0;
    /* masked LM: each batch masked as in training, but with a fixed key per
       batch so every evaluation sees the same masks; accuracy over them */
    int mlm = m->task == FT_TASK_MASKED_LM;
    if (mlm && !m->mlm) ft_die("internal: masked-LM evaluation without a masking setup");
    int V = mlm ? m->mlm->vocab : 0;
    ft_mlm_buf mbuf = {0};
    size_t mlogits_cap = 0;
    float *mlogits = NULL;
    long mlm_right = 0, mlm_total = 0;
    /* span corruption: the same, keyed per batch; token accuracy over the targets */
    ft_spans_buf sbuf = {0};
    if (m->spans) V = ft_config_int(m->cfg, "vocab_size", 0);
    ft_record rec = {0};
    int nranks = ft_dist_size(), rank = nranks > 1 ? ft_dist_rank() : 0;
    for (size_t s = 0; s < n; s += batch_size) {
        int count = (int)(n - s < (size_t)batch_size ? n - s : (size_t)batch_size);
        if ((long)(s / batch_size) % nranks != rank) continue;
        ft_batch_fill(ds, &o, order + s, count, &b);
        ft_batch fb = {.B = b.B, .T = b.T, .input_ids = b.input_ids,
                       .attention_mask = b.attention_mask, .token_type_ids = b.token_type_ids,
                       .labels = ds->label_kind != FT_LABELS_NONE ? b.labels : NULL,
                       .Tl = ds->label_kind == FT_LABELS_SEQUENCE ? b.Tl : 0, .task = head};
        if (mlm) {
            size_t chosen = ft_mlm_mask_batch(m->mlm, &mbuf, &fb, ft_key_mix(0x65766d6c6dULL, s));
            if (chosen * V > mlogits_cap) mlogits = ft_xrealloc(mlogits, (mlogits_cap = chosen * V) * sizeof *mlogits);
        } else if (m->spans) {          /* logits come for every target position */
            ft_spans_corrupt_batch(m->spans, &sbuf, &fb, ft_key_mix(0x65766d6c6dULL, s));
            size_t need = (size_t)fb.B * fb.Tl * V;
            if (need > mlogits_cap) mlogits = ft_xrealloc(mlogits, (mlogits_cap = need) * sizeof *mlogits);
        }
        float loss = ft_model_forward(m, &fb, m->task == FT_TASK_SEQ_CLS ? logits : mlm || m->spans ? mlogits : NULL);
        if (mlm || m->spans) {
            /* masked LM: logits of the labelled tokens only; spans: of every position */
            const int32_t *mlab = fb.labels;
            for (size_t i = 0, r = 0; i < (size_t)fb.B * (mlm ? fb.T : fb.Tl); i++) {
                if (mlab[i] == -100) { r += !mlm; continue; }
                const float *row = mlogits + r++ * V;
                int pred = 0;
                for (int c = 1; c < V; c++) if (row[c] > row[pred]) pred = c;
                mlm_right += pred == mlab[i];
                mlm_total++;
            }
        }
        if (!isnan(loss)) {
            /* HF averages per-example losses: weight each batch by its size */
            loss_sum += (double)loss * count;
            loss_n += count;
        }
        *done += (size_t)count;
        ft_progress_update(bar, (double)*done, -1, NULL);
        /* per-example records are class predictions; generation tasks write theirs with ft-generate */
        if (!cm && (!preds || m->task != FT_TASK_SEQ_CLS)) continue;
        for (int i = 0; i < count; i++) {
            const float *row = logits + (size_t)i * k;
            int pred = 0;
            for (int c = 1; c < k; c++) if (row[c] > row[pred]) pred = c;
            if (cm && b.labels[i] != -100) ft_cls_metrics_add(cm, b.labels[i], pred);
            if (!preds) continue;
            softmax(row, k, prob);
            ft_record_clear(&rec);
            ft_record_set_int(&rec, "id", b.ids[i]);
            if (m->ntasks) ft_record_set_str(&rec, "task", m->heads[head].name, strlen(m->heads[head].name));
            if (b.labels[i] != -100) ft_record_set_int(&rec, "label", b.labels[i]);
            ft_record_set_int(&rec, "prediction", pred);
            const char *name = m->ntasks ? m->heads[head].id2label[pred] : ft_model_label_name(m, pred);
            if (name) ft_record_set_str(&rec, "predicted_label", name, strlen(name));
            int64_t shape[1] = {k};
            ft_record_set_tensor(&rec, "probabilities", FT_F32, 1, shape, prob);
            ft_distout_put(preds, (long)(base + s + i), &rec);
        }
    }
    if (nranks > 1) {
        double sums[4] = { loss_sum, (double)loss_n, (double)mlm_right, (double)mlm_total };
        ft_dist_sum_f64(sums, 4);
        loss_sum = sums[0];
        loss_n = (long)sums[1];
        mlm_right = (long)sums[2];
        mlm_total = (long)sums[3];
        if (cm) {
            ft_dist_sum_long(cm->confusion, k * k);
            ft_dist_sum_long(&cm->n, 1);
        }
    }
    json_t *out = json_object();
    char key[256];
    if (loss_n) {
        snprintf(key, sizeof key, "%sloss", prefix);
        json_object_set_new(out, key, json_real(loss_sum / loss_n));
        if (m->task == FT_TASK_CAUSAL_LM || m->task == FT_TASK_SEQ2SEQ || mlm) {
            snprintf(key, sizeof key, "%sperplexity", prefix);
            json_object_set_new(out, key, json_real(exp(loss_sum / loss_n)));
        }
    }
    if (mlm_total) {       /* run_mlm.py's accuracy: over the masked tokens (span targets) */
        snprintf(key, sizeof key, "%saccuracy", prefix);
        json_object_set_new(out, key, json_real((double)mlm_right / mlm_total));
        snprintf(key, sizeof key, mlm ? "%smasked_tokens" : "%starget_tokens", prefix);
        json_object_set_new(out, key, json_integer(mlm_total));
    }
    if (cm) {
        ft_cls_metrics_finish(cm);
        const char **names = ft_xcalloc(k, sizeof *names);
        for (int c = 0; c < k; c++) names[c] = m->ntasks ? m->heads[head].id2label[c] : ft_model_label_name(m, c);
        json_t *cj = ft_cls_metrics_json(cm, names, prefix);
        json_object_update(out, cj);
        json_decref(cj);
        free(names);
        ft_cls_metrics_free(cm);
    }
    *loss_sum_out += loss_sum;
    *loss_n_out += loss_n;
    ft_record_free(&rec);
    ft_batch_data_free(&b);
    free(logits);
    free(prob);
    ft_mlm_buf_free(&mbuf);
    ft_spans_buf_free(&sbuf);
    free(mlogits);
    return out;
}

json_t *ft_evaluate(ft_model *m, const ft_dataset *ds, int batch_size, const char *prefix,
                    ft_distout *preds, int quiet)
{
    ft_progress *bar = ft_progress_new("records", 0, (double)ds->n, quiet);
    size_t done = 0;
    int64_t *order = ft_xmalloc((ds->n ? ds->n : 1) * sizeof *order);
    double t0 = ft_now(), loss_sum = 0;
    long loss_n = 0;
    json_t *out;
    char key[256];
    if (!m->ntasks) {
        ft_batch_opts o = {.batch_size = batch_size};
        ft_epoch_order(ds, &o, 0, order);
        out = evaluate_part(m, ds, order, ds->n, 0, batch_size, prefix, preds, 0, &loss_sum, &loss_n, bar, &done);
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
            json_t *r = evaluate_part(m, ds, order, n, h, batch_size, pre, preds, base, &loss_sum, &loss_n, bar, &done);
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
        if (loss_n) {
            snprintf(key, sizeof key, "%sloss", prefix);
            json_object_set_new(out, key, json_real(loss_sum / loss_n));
        }
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
