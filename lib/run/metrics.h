/* metrics: classification metrics with scikit-learn's definitions
   (precision_recall_fscore_support with zero_division=0, confusion_matrix). */
#ifndef FT_METRICS_H
#define FT_METRICS_H
#include <jansson.h>
#include <stdint.h>

typedef struct ft_cls_metrics {
    int k;                    /* classes */
    long n;                   /* examples counted */
    long *confusion;          /* [k,k] rows = true, cols = predicted */
    double accuracy;
    double *precision, *recall, *f1;   /* [k] */
    long *support;                     /* [k] */
    double macro_p, macro_r, macro_f1, weighted_p, weighted_r, weighted_f1;
} ft_cls_metrics;

ft_cls_metrics *ft_cls_metrics_new(int k);
void ft_cls_metrics_add(ft_cls_metrics *m, int truth, int pred);
void ft_cls_metrics_finish(ft_cls_metrics *m);
/* {"accuracy":…, "f1_macro":…, …, "per_class":{name:{precision,recall,f1,support}},
   "confusion_matrix":[[…]]}; prefix is prepended to the scalar keys ("eval_"). */
json_t *ft_cls_metrics_json(const ft_cls_metrics *m, const char *const *names, const char *prefix);
void ft_cls_metrics_free(ft_cls_metrics *m);
#endif
