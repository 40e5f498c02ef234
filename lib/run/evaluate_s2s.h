/* evaluate_s2s: ft-eval --task seq2seq --references: generated outputs
   (ft-generate records: generated_text, else generated_ids) against reference
   records (the target column, and for MBPP-style records test_list /
   test_setup_code), with the metrics of seq2seq_metrics.h. */
#ifndef FT_EVALUATE_S2S_H
#define FT_EVALUATE_S2S_H
#include "seq2seq_metrics.h"
#include "stream.h"
#include <jansson.h>

typedef struct ft_s2s_eval_opts {
    const char *target_column;   /* NULL: code, snippet, target, labels (first present) */
    int exec;                    /* run tests when the references carry them (1) */
    int jobs;                    /* programs run at once (2) */
    ft_exec_opts x;
} ft_s2s_eval_opts;

void ft_s2s_eval_opts_default(ft_s2s_eval_opts *o);
/* Metrics keyed "<prefix>exact_match", "<prefix>bleu", ..., "<prefix>pass@1".
   preds, if not NULL, receives one record per example (id, prediction,
   reference, exact_match, exec status). */
json_t *ft_s2s_evaluate(const char *refs_path, const char *gen_path, const ft_s2s_eval_opts *o,
                        const char *prefix, ft_writer *preds);
#endif
