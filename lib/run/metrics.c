#include "metrics.h"
#include "util.h"
#include <string.h>

ft_cls_metrics *ft_cls_metrics_new(int k)
{
    ft_cls_metrics *m = ft_xcalloc(1, sizeof *m);
    m->k = k;
    m->confusion = ft_xcalloc((size_t)k * k, sizeof *m->confusion);
    m->precision = ft_xcalloc(k, sizeof *m->precision);
    m->recall = ft_xcalloc(k, sizeof *m->recall);
    m->f1 = ft_xcalloc(k, sizeof *m->f1);
    m->support = ft_xcalloc(k, sizeof *m->support);
    return m;
}

void ft_cls_metrics_add(ft_cls_metrics *m, int truth, int pred)
{
    if (truth < 0 || truth >= m->k || pred < 0 || pred >= m->k) return;
    m->confusion[(size_t)truth * m->k + pred]++;
    m->n++;
}

/* sklearn: a ratio whose denominator is 0 is 0 (zero_division=0). */
static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

void ft_cls_metrics_finish(ft_cls_metrics *m)
{
    long correct = 0, total = 0;
    int k = m->k, present = 0;
    m->macro_p = m->macro_r = m->macro_f1 = m->weighted_p = m->weighted_r = m->weighted_f1 = 0;
    for (int c = 0; c < k; c++) {
        long tp = m->confusion[(size_t)c * k + c], pred = 0, truth = 0;
        for (int j = 0; j < k; j++) {
            pred += m->confusion[(size_t)j * k + c];
            truth += m->confusion[(size_t)c * k + j];
        }
        correct += tp;
        total += truth;
        m->support[c] = truth;
        m->precision[c] = ratio(tp, pred);
        m->recall[c] = ratio(tp, truth);
        m->f1[c] = ratio(2.0 * tp, pred + truth);   /* = 2PR/(P+R), 0 when both 0 */
        /* sklearn averages over the labels seen in y_true or y_pred only */
        if (pred || truth) {
            present++;
            m->macro_p += m->precision[c];
            m->macro_r += m->recall[c];
            m->macro_f1 += m->f1[c];
        }
        m->weighted_p += m->precision[c] * truth;
        m->weighted_r += m->recall[c] * truth;
        m->weighted_f1 += m->f1[c] * truth;
    }
    m->macro_p = ratio(m->macro_p, present);
    m->macro_r = ratio(m->macro_r, present);
    m->macro_f1 = ratio(m->macro_f1, present);
    m->weighted_p = ratio(m->weighted_p, total);
    m->weighted_r = ratio(m->weighted_r, total);
    m->weighted_f1 = ratio(m->weighted_f1, total);
    m->accuracy = ratio(correct, total);
}

json_t *ft_cls_metrics_json(const ft_cls_metrics *m, const char *const *names, const char *prefix)
{
    json_t *j = json_object();
    char key[128];
#define PUT(name, val) (snprintf(key, sizeof key, "%s%s", prefix, name), json_object_set_new(j, key, json_real(val)))
    PUT("accuracy", m->accuracy);
    PUT("precision_macro", m->macro_p);
    PUT("recall_macro", m->macro_r);
    PUT("f1_macro", m->macro_f1);
    PUT("precision_weighted", m->weighted_p);
    PUT("recall_weighted", m->weighted_r);
    PUT("f1_weighted", m->weighted_f1);
#undef PUT
    json_t *per = json_object();
    for (int c = 0; c < m->k; c++) {
        json_t *e = json_object();
        json_object_set_new(e, "precision", json_real(m->precision[c]));
        json_object_set_new(e, "recall", json_real(m->recall[c]));
        json_object_set_new(e, "f1", json_real(m->f1[c]));
        json_object_set_new(e, "support", json_integer(m->support[c]));
        char num[16];
        snprintf(num, sizeof num, "%d", c);
        json_object_set_new(per, names && names[c] ? names[c] : num, e);
    }
    snprintf(key, sizeof key, "%sper_class", prefix);
    json_object_set_new(j, key, per);
    json_t *cm = json_array();
    for (int r = 0; r < m->k; r++) {
        json_t *row = json_array();
        for (int c = 0; c < m->k; c++) json_array_append_new(row, json_integer(m->confusion[(size_t)r * m->k + c]));
        json_array_append_new(cm, row);
    }
    snprintf(key, sizeof key, "%sconfusion_matrix", prefix);
    json_object_set_new(j, key, cm);
    return j;
}

void ft_cls_metrics_free(ft_cls_metrics *m)
{
    if (!m) return;
    free(m->confusion);
    free(m->precision);
    free(m->recall);
    free(m->f1);
    free(m->support);
    free(m);
}
