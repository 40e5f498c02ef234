/* seq2seq_metrics: generation metrics for ft-eval --task seq2seq.
 *
 *  - exact match: prediction == reference after stripping leading and
 *    trailing whitespace and turning CRLF into LF (MBPP's code uses CRLF).
 *  - corpus BLEU-4 as sacrebleu computes it by default: 13a tokenization
 *    (mteval-v13a: punctuation split off, "." and "," split unless between
 *    digits, "-" split after a digit), case-sensitive, n-gram counts clipped
 *    by the reference and summed over the corpus, brevity penalty over the
 *    corpus, uniform weights, "exp" smoothing (an order with no match gets
 *    precision 1/(2^k·total) for its k-th such order).  Score in 0..100.
 *  - pass@1 (one sample per task): each program runs with its tests in a
 *    separate python3 process in the sandbox of sandbox.h (namespaces: no
 *    network, read-only file system but a scratch tmpfs, homes hidden, an
 *    unused uid, rlimits, scrubbed environment), with socket creation also
 *    disabled inside Python; any failure, crash or hang counts as a fail and
 *    the evaluation goes on.  Where no sandbox can be built, nothing runs and
 *    every program is scored "error". */
#ifndef FT_SEQ2SEQ_METRICS_H
#define FT_SEQ2SEQ_METRICS_H
#include <stddef.h>

int ft_exact_match(const char *pred, const char *ref);


typedef struct ft_bleu {
    double correct[4], total[4];
    double sys_len, ref_len;
} ft_bleu;
void ft_bleu_init(ft_bleu *b);
void ft_bleu_add(ft_bleu *b, const char *hyp, const char *ref);
/* BLEU in 0..100; precisions[4] (percent) and bp may be NULL. */
double ft_bleu_score(const ft_bleu *b, double *precisions, double *bp);

typedef struct ft_exec_opts {
    const char *python;        /* "python3" */
    double timeout_s;          /* wall clock, 10 */
    long mem_mb;               /* address space, 1024 */
} ft_exec_opts;
void ft_exec_opts_default(ft_exec_opts *o);
/* Runs program, then setup (may be NULL), then each test (assert lines), as
   one script.  Returns 1 when it exits 0 within the limits. *why (may be NULL)
   gets a static word: "passed", "failed", "timeout", "crashed", "error". */
int ft_exec_tests(const char *program, const char *setup, const char *const *tests, int ntests,
                  const ft_exec_opts *o, const char **why);
#endif
