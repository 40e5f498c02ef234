/* ft-eval: a model and token records in, metrics JSON out. */
#include "checkpoint.h"
#include "dataset.h"
#include "dist.h"
#include "evaluate.h"
#include "evaluate_s2s.h"
#include "lora.h"
#include "mlm.h"
#include "spans.h"
#include "model.h"
#include "ops.h"
#include "stream.h"
#include "penalty.h"
#include "tokcheck.h"
#include "util.h"
#include <getopt.h>
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

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_dist_init(&argc, &argv);         /* one rank of several under mpirun */
    enum { O_MODEL = 256, O_TASK, O_EBS, O_PRED, O_THREADS, O_FOUT, O_FIN, O_GAMMA, O_REFS, O_TCOL,
           O_NOEXEC, O_JOBS, O_XTIME, O_XMEM, O_PYTHON, O_ADAPTER, O_MLM_P, O_MEAN_SPAN, O_ALLOW_TOK, O_QUIET, O_BF16 };
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"task", 1, 0, O_TASK}, {"per-device-eval-batch-size", 1, 0, O_EBS},
        {"batch-size", 1, 0, O_EBS}, {"predictions", 1, 0, O_PRED}, {"output", 1, 0, 'o'},
        {"threads", 1, 0, O_THREADS}, {"bf16", 0, 0, O_BF16}, {"fisher-out", 1, 0, O_FOUT}, {"fisher-in", 1, 0, O_FIN},
        {"ewc-gamma", 1, 0, O_GAMMA}, {"references", 1, 0, O_REFS}, {"target-column", 1, 0, O_TCOL},
        {"no-exec", 0, 0, O_NOEXEC}, {"jobs", 1, 0, O_JOBS}, {"exec-timeout", 1, 0, O_XTIME},
        {"exec-memory-mb", 1, 0, O_XMEM}, {"python", 1, 0, O_PYTHON}, {"adapter", 1, 0, O_ADAPTER},
        {"mlm-probability", 1, 0, O_MLM_P}, {"allow-tokenizer-mismatch", 0, 0, O_ALLOW_TOK},
        {"mean-noise-span-length", 1, 0, O_MEAN_SPAN}, {"quiet", 0, 0, O_QUIET},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL, *task = NULL, *pred_path = NULL, *out_path = NULL;
    const char *fisher_out = NULL, *fisher_in = NULL, *adapter = NULL;
    double gamma = 1.0, mlm_p = 0.15, mean_span = 3.0;
    int bs = 8, c, mlm_p_given = 0, mean_span_given = 0, allow_tok = 0, quiet = 0;
    const char *refs = NULL;
    ft_s2s_eval_opts so;
    ft_s2s_eval_opts_default(&so);
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_TASK: task = optarg; break;
        case O_EBS: bs = (int)ft_parse_long("--per-device-eval-batch-size", optarg, 1, 1 << 20); break;
        case O_PRED: pred_path = optarg; break;
        case 'o': out_path = optarg; break;
        case O_FOUT: fisher_out = optarg; break;
        case O_FIN: fisher_in = optarg; break;
        case O_GAMMA: gamma = ft_parse_double("--ewc-gamma", optarg, 0, 1); break;
        case O_THREADS: ft_set_threads((int)ft_parse_long("--threads", optarg, 1, 1024)); break;
        case O_BF16: ft_set_precision(FT_PREC_BF16); break;
        case O_REFS: refs = optarg; break;
        case O_TCOL: so.target_column = optarg; break;
        case O_NOEXEC: so.exec = 0; break;
        case O_JOBS: so.jobs = (int)ft_parse_long("--jobs", optarg, 1, 256); break;
        case O_XTIME: so.x.timeout_s = ft_parse_double("--exec-timeout", optarg, 0.01, 86400); break;
        case O_XMEM: so.x.mem_mb = ft_parse_long("--exec-memory-mb", optarg, 16, 1 << 24); break;
        case O_PYTHON: so.x.python = optarg; break;
        case O_ADAPTER: adapter = optarg; break;
        case O_QUIET: quiet = 1; break;
        case O_ALLOW_TOK: allow_tok = 1; break;
        case O_MLM_P: mlm_p = ft_parse_double("--mlm-probability", optarg, 1e-6, 1); mlm_p_given = 1; break;
        case O_MEAN_SPAN:
            mean_span = ft_parse_double("--mean-noise-span-length", optarg, 1, 1e6);
            mean_span_given = 1;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (ft_dist_size() > 1 && refs)
        ft_die("--references: one process only (not under mpirun -np %d)", ft_dist_size());
    if (refs) {
        if (task && ft_task_parse(task) != FT_TASK_SEQ2SEQ) ft_die("--references is for --task seq2seq");
        if (optind + 1 < argc) ft_die("one generations file at most (got %d)", argc - optind);
        ft_writer *pw = pred_path ? ft_writer_open(pred_path, FT_FMT_AUTO, 0, ft_header_new("predictions", argc, argv)) : NULL;
        json_t *r = ft_s2s_evaluate(refs, optind < argc ? argv[optind] : "-", &so, "eval_", pw);
        if (pw) ft_writer_close(pw);
        ft_outfile *o = ft_out_open(out_path, 0);
        json_dumpf(r, o->fp, JSON_COMPACT | JSON_REAL_PRECISION(6));
        fputc('\n', o->fp);
        ft_out_commit(o);
        json_decref(r);
        return 0;
    }
    if (!model) ft_die("--model DIR is required (see --help)");
    char *dir = ft_resolve_model_dir(model), *task_from = NULL;
    if (!task) {                /* evaluate the model as what it was saved as */
        char *cp = ft_xasprintf("%s/config.json", dir);
        ft_config *cfg = ft_config_load(cp);
        task = task_from = ft_xstrdup(ft_task_of_config(cfg));
        ft_config_free(cfg);
        free(cp);
    }
    int span = ft_task_is_span_corruption(&task);
    if (ft_task_parse(task) < 0)
        ft_die("--task: unknown task '%s' (seq-cls, causal-lm, seq2seq, masked-lm, span-corruption)", task);
    if (optind + 1 < argc) ft_die("one input file at most (got %d)", argc - optind);
    const char *in = optind < argc ? argv[optind] : "-";

    int mlm = ft_task_parse(task) == FT_TASK_MASKED_LM;
    if (mlm_p_given && !mlm && !span) ft_die("--mlm-probability is for --task masked-lm or span-corruption");
    if (mean_span_given && !span) ft_die("--mean-noise-span-length is for --task span-corruption");
    if ((mlm || span) && (pred_path || fisher_out))
        ft_die("--predictions and --fisher-out are for classification, not --task %s", mlm ? "masked-lm" : "span-corruption");
    ft_dataset *ds = ft_dataset_load(in);
    ft_check_tokenizer(ds->header, in, dir, allow_tok);
    ft_spans *spans = span ? ft_spans_for_model(dir, mlm_p, mean_span) : NULL;
    ft_model *m = ft_model_load(dir, task, 0, 0);
    ft_mlm *masking = mlm ? ft_mlm_from_tokenizer(dir, mlm_p) : NULL;
    m->mlm = masking;
    m->spans = spans;
    if (adapter) {
        if (!m->vt->linear_kind) ft_die("--adapter: not supported for %s models yet", m->arch);
        ft_lora_load(m, adapter);
    }
    ft_check_dataset_fits(m, ds, in);
    /* predictions: every rank makes those of its batches, rank 0 writes them all */
    ft_writer *pw = NULL;
    if (pred_path && ft_dist_main()) pw = ft_writer_open(pred_path, FT_FMT_AUTO, 0, ft_header_new("predictions", argc, argv));
    ft_distout *pd = pred_path ? ft_distout_new(pw) : NULL;
    json_t *r = ft_evaluate(m, ds, bs, "eval_", pd, quiet || !ft_dist_main());   /* sharded over ranks */
    if (pd) ft_distout_close(pd);
    json_object_set_new(r, "eval_samples", json_integer((json_int_t)ds->n));
    if (fisher_in && !fisher_out) ft_die("--fisher-in needs --fisher-out FILE");
    if (fisher_out) {
        long n = ft_fisher_compute(m, ds, fisher_in, gamma, fisher_out);
        json_object_set_new(r, "fisher_samples", json_integer(n));
    }
    if (pw) ft_writer_close(pw);
    if (ft_dist_main()) {               /* rank 0 speaks for the job */
        ft_outfile *o = ft_out_open(out_path, 0);
        json_dumpf(r, o->fp, JSON_COMPACT | JSON_REAL_PRECISION(6));
        fputc('\n', o->fp);
        ft_out_commit(o);
    }
    json_decref(r);
    ft_dist_finalize();
    ft_model_free(m);
    ft_mlm_free(masking);
    ft_spans_free(spans);
    ft_dataset_free(ds);
    free(task_from);
    free(dir);
    return 0;
}
