/* ft-eval: a model and token records in, metrics JSON out. */
#include "checkpoint.h"
#include "dataset.h"
#include "dist.h"
#include "evaluate.h"
#include "evaluate_s2s.h"
#include "lora.h"
#include "opts.h"
#include "task_setup.h"
#include "model.h"
#include "ops.h"
#include "stream.h"
#include "penalty.h"
#include "tokcheck.h"
#include "util.h"
#include <string.h>

static const char usage[] =
"usage: ft-eval --model DIR [options] [FILE]\n"
"Evaluates the model in DIR on token records (ft-tokenize output; default stdin)\n"
"and prints one JSON object: eval_loss and, for classification, accuracy,\n"
"precision/recall/F1 (macro and weighted, sklearn's definitions), a per-class\n"
"report and the confusion matrix, with classes named from id2label.\n"
"  --model DIR              a model directory written by ft-train (or any HF one)\n"
"  --task TASK              seq-cls, causal-lm, seq2seq, masked-lm or span-corruption\n"
"                           (default: what config.json's architectures say the model is for)\n"
"  --mlm-probability P      masked-lm: share of tokens masked (0.15), with fixed\n"
"                           masks per batch; reports eval_loss, eval_perplexity and\n"
"                           eval_accuracy over the masked tokens, as run_mlm.py;\n"
"                           span-corruption: the noise density (0.15), fixed spans per\n"
"                           batch; eval_accuracy over the target tokens\n"
"  --mean-noise-span-length L  span-corruption: mean span length (3.0)\n"
"  --adapter DIR            apply a LoRA adapter (PEFT layout) unmerged, as PeftModel\n"
"  --per-device-eval-batch-size N   rows per forward pass (default 8; alias --batch-size)\n"
"  --predictions FILE       also write one record per input: id, label, prediction,\n"
"                           predicted_label, probabilities (.jsonl, .ft, .csv)\n"
"  -o, --output FILE        write the metrics JSON to FILE instead of stdout\n"
"  --fisher-out FILE        also write the diagonal (empirical) Fisher of the\n"
"                           model on these records, for ft-train --ewc\n"
"  --fisher-in FILE         online EWC: add gamma × this earlier Fisher\n"
"  --ewc-gamma G            decay of the earlier Fisher (default 1)\n"
"  --threads N              compute threads (OpenMP and OpenBLAS)\n"
"  --bf16                   matmuls in bf16 with fp32 accumulation, as torch.autocast(\"cpu\",\n"
"                           torch.bfloat16); the rest fp32 (emulated, with a notice, on a\n"
"                           CPU without AVX512-BF16)\n"
"  --quiet                  no progress bar (there is none when stderr is not a terminal)\n"
"  --allow-tokenizer-mismatch  evaluate tokens whose stream header names another\n"
"                           tokenizer than DIR's (refused by default)\n"
"Generation metrics (--task seq2seq --references REFS GENERATED; no --model):\n"
"  exact match, corpus BLEU-4 (sacrebleu 13a tokenization, exp smoothing) and,\n"
"  when references carry test_list (MBPP), pass@1 from running each program\n"
"  with its tests in a sandboxed python3 (namespaces: no network, read-only\n"
"  file system but a scratch tmpfs, own uid, limits; see ft-eval(1)).\n"
"  --references FILE        reference records (JSONL/CSV/ft) in the order generated\n"
"  --target-column NAME     reference text (default: code, snippet, target or labels)\n"
"  --no-exec                do not run tests      --jobs N (2) programs at once\n"
"  --exec-timeout S (10)    --exec-memory-mb N (1024)   --python PATH (python3)\n"
"  -h, --help               show this help\n"
"Under mpirun -np N, N processes share the batches of a model's evaluation and\n"
"rank 0 writes the metrics and --predictions in input order, equal to one\n"
"process's, and the --fisher-out summed over the ranks (docs/distributed.md);\n"
"not with --references.\n";

/* What the flags ask for. */
typedef struct flags {
    ft_task_opts task;
    ft_s2s_eval_opts so;
    const char *model, *pred_path, *out_path, *fisher_out, *fisher_in, *adapter, *refs;
    double gamma;
    int bs, allow_tok, quiet, threads, bf16;
} flags;

static int parse_flags(flags *f, int argc, char **argv)
{
    memset(f, 0, sizeof *f);
    ft_task_opts_default(&f->task);
    ft_s2s_eval_opts_default(&f->so);
    f->gamma = 1.0;
    f->bs = 8;
    ft_s2s_eval_opts *so = &f->so;
    const ft_opt opts[] = {
        {"model", FT_OPT_STR, .dst = &f->model}, {"task", FT_OPT_STR, .dst = &f->task.task},
        {"per-device-eval-batch-size", FT_OPT_INT, .dst = &f->bs, .min = 1, .max = 1 << 20},
        {"batch-size", FT_OPT_ALIAS, .alias = "per-device-eval-batch-size"},
        {"predictions", FT_OPT_STR, .dst = &f->pred_path}, {"output", FT_OPT_STR, .dst = &f->out_path, .short_name = 'o'},
        {"threads", FT_OPT_INT, .dst = &f->threads, .min = 1, .max = 1024}, {"bf16", FT_OPT_FLAG, .dst = &f->bf16},
        {"fisher-out", FT_OPT_STR, .dst = &f->fisher_out}, {"fisher-in", FT_OPT_STR, .dst = &f->fisher_in},
        {"ewc-gamma", FT_OPT_DOUBLE, .dst = &f->gamma, .lo = 0, .hi = 1},
        {"references", FT_OPT_STR, .dst = &f->refs}, {"target-column", FT_OPT_STR, .dst = &so->target_column},
        {"no-exec", FT_OPT_UNSET, .dst = &so->exec}, {"jobs", FT_OPT_INT, .dst = &so->jobs, .min = 1, .max = 256},
        {"exec-timeout", FT_OPT_DOUBLE, .dst = &so->x.timeout_s, .lo = 0.01, .hi = 86400},
        {"exec-memory-mb", FT_OPT_LONG, .dst = &so->x.mem_mb, .min = 16, .max = 1 << 24},
        {"python", FT_OPT_STR, .dst = &so->x.python}, {"adapter", FT_OPT_STR, .dst = &f->adapter},
        {"mlm-probability", FT_OPT_DOUBLE, .dst = &f->task.mlm_probability, .lo = 1e-6, .hi = 1,
         .given = &f->task.mlm_probability_given},
        {"allow-tokenizer-mismatch", FT_OPT_FLAG, .dst = &f->allow_tok},
        {"mean-noise-span-length", FT_OPT_DOUBLE, .dst = &f->task.mean_noise_span, .lo = 1, .hi = 1e6,
         .given = &f->task.mean_noise_span_given},
        {"quiet", FT_OPT_FLAG, .dst = &f->quiet}, {"help", FT_OPT_HELP, .short_name = 'h'},
        {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (f->threads) ft_set_threads(f->threads);
    if (f->bf16) ft_set_precision(FT_PREC_BF16);
    return first;
}

static void write_metrics(const char *path, json_t *r)
{
    ft_outfile *o = ft_out_open(path, 0);
    json_dumpf(r, o->fp, JSON_COMPACT | JSON_REAL_PRECISION(6));
    fputc('\n', o->fp);
    ft_out_commit(o);
}

/* --references: generation metrics of a file of generations (no model). */
static int eval_generations(const flags *f, int nfiles, char **files, int argc, char **argv)
{
    if (ft_dist_size() > 1) ft_die("--references: one process only (not under mpirun -np %d)", ft_dist_size());
    if (f->task.task && ft_task_parse(f->task.task) != FT_TASK_SEQ2SEQ) ft_die("--references is for --task seq2seq");
    if (nfiles > 1) ft_die("one generations file at most (got %d)", nfiles);
    ft_writer *pw = f->pred_path ? ft_writer_open(f->pred_path, FT_FMT_AUTO, 0, ft_header_new("predictions", argc, argv))
                                 : NULL;
    json_t *r = ft_s2s_evaluate(f->refs, nfiles ? files[0] : "-", &f->so, "eval_", pw);
    if (pw) ft_writer_close(pw);
    write_metrics(f->out_path, r);
    json_decref(r);
    return 0;
}

/* The model's metrics on the records in `in` (and its Fisher when asked). */
static json_t *eval_model(const flags *f, ft_model *m, const ft_task_setup *ts, const ft_dataset *ds,
                          int argc, char **argv)
{
    /* predictions: every rank makes those of its batches, rank 0 writes them all */
    ft_writer *pw = NULL;
    if (f->pred_path && ft_dist_main())
        pw = ft_writer_open(f->pred_path, FT_FMT_AUTO, 0, ft_header_new("predictions", argc, argv));
    ft_distout *pd = f->pred_path ? ft_distout_new(pw) : NULL;
    json_t *r = ft_evaluate(m, ts, ds, f->bs, "eval_", pd, f->quiet || !ft_dist_main());   /* sharded over ranks */
    if (pd) ft_distout_close(pd);
    json_object_set_new(r, "eval_samples", json_integer((json_int_t)ds->n));
    if (f->fisher_in && !f->fisher_out) ft_die("--fisher-in needs --fisher-out FILE");
    if (f->fisher_out) {
        long n = ft_fisher_compute(m, ds, f->fisher_in, f->gamma, f->fisher_out);
        json_object_set_new(r, "fisher_samples", json_integer(n));
    }
    if (pw) ft_writer_close(pw);
    return r;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_dist_init(&argc, &argv);         /* one rank of several under mpirun */
    flags f;
    int first = parse_flags(&f, argc, argv);
    if (f.refs) return eval_generations(&f, argc - first, argv + first, argc, argv);
    if (!f.model) ft_die("--model DIR is required (see --help)");
    char *dir = ft_resolve_model_dir(f.model);
    /* no --task: evaluate the model as what it was saved as */
    ft_task_setup *ts = ft_task_setup_new(&f.task, dir);
    if (first + 1 < argc) ft_die("one input file at most (got %d)", argc - first);
    const char *in = first < argc ? argv[first] : "-";
    if ((ts->masked_lm || ts->span_corruption) && (f.pred_path || f.fisher_out))
        ft_die("--predictions and --fisher-out are for classification, not --task %s", ts->flag_task);
    ft_dataset *ds = ft_dataset_load(in);
    ft_check_tokenizer(ds->header, in, dir, f.allow_tok);
    ft_model *m = ft_model_load(dir, ts->task, 0, 0);
    ft_task_setup_attach(ts, m, dir, &f.task);
    if (f.adapter) {
        if (!ft_lora_supported(m)) ft_die("--adapter: not supported for %s models yet", m->arch);
        ft_lora_load(m, f.adapter);
    }
    ft_check_dataset_fits(m, ds, in);
    json_t *r = eval_model(&f, m, ts, ds, argc, argv);
    if (ft_dist_main()) write_metrics(f.out_path, r);   /* rank 0 speaks for the job */
    json_decref(r);
    ft_dist_finalize();
    ft_model_free(m);
    ft_task_setup_free(ts);
    ft_dataset_free(ds);
    free(dir);
    return 0;
}
