/* ft-eval: a model and token records in, metrics JSON out. */
#include "dataset.h"
#include "evaluate.h"
#include "model.h"
#include "stream.h"
#include "util.h"
#include <getopt.h>
#include <omp.h>
#include <string.h>

static const char usage[] =
"usage: ft-eval --model DIR [options] [FILE]\n"
"Evaluates the model in DIR on token records (ft-tokenize output; default stdin)\n"
"and prints one JSON object: eval_loss and, for classification, accuracy,\n"
"precision/recall/F1 (macro and weighted, sklearn's definitions), a per-class\n"
"report and the confusion matrix, with classes named from id2label.\n"
"  --model DIR              a model directory written by ft-train (or any HF one)\n"
"  --task seq-cls           the task (default: seq-cls)\n"
"  --per-device-eval-batch-size N   rows per forward pass (default 8; alias --batch-size)\n"
"  --predictions FILE       also write one record per input: id, label, prediction,\n"
"                           predicted_label, probabilities (.jsonl, .ft, .csv)\n"
"  -o, --output FILE        write the metrics JSON to FILE instead of stdout\n"
"  --threads N              OpenMP threads\n"
"  -h, --help               show this help\n";

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_MODEL = 256, O_TASK, O_EBS, O_PRED, O_THREADS };
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"task", 1, 0, O_TASK}, {"per-device-eval-batch-size", 1, 0, O_EBS},
        {"batch-size", 1, 0, O_EBS}, {"predictions", 1, 0, O_PRED}, {"output", 1, 0, 'o'},
        {"threads", 1, 0, O_THREADS}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *task = "seq-cls", *pred_path = NULL, *out_path = NULL;
    int bs = 8, c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_TASK: task = optarg; break;
        case O_EBS: bs = (int)ft_parse_long("--per-device-eval-batch-size", optarg, 1, 1 << 20); break;
        case O_PRED: pred_path = optarg; break;
        case 'o': out_path = optarg; break;
        case O_THREADS: omp_set_num_threads((int)ft_parse_long("--threads", optarg, 1, 1024)); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!model) ft_die("--model DIR is required (see --help)");
    if (ft_task_parse(task) < 0) ft_die("--task: unknown task '%s' (seq-cls, causal-lm, seq2seq)", task);
    if (optind + 1 < argc) ft_die("one input file at most (got %d)", argc - optind);
    const char *in = optind < argc ? argv[optind] : "-";

    ft_dataset *ds = ft_dataset_load(in);
    ft_model *m = ft_model_load(model, task, 0, 0);
    ft_check_dataset_fits(m, ds, in);
    ft_writer *pw = NULL;
    if (pred_path) pw = ft_writer_open(pred_path, FT_FMT_AUTO, 0, ft_header_new("predictions", argc, argv));
    json_t *r = ft_evaluate(m, ds, bs, "eval_", pw);
    json_object_set_new(r, "eval_samples", json_integer((json_int_t)ds->n));
    if (pw) ft_writer_close(pw);
    ft_outfile *o = ft_out_open(out_path, 0);
    json_dumpf(r, o->fp, JSON_COMPACT | JSON_REAL_PRECISION(6));
    fputc('\n', o->fp);
    ft_out_commit(o);
    json_decref(r);
    ft_model_free(m);
    ft_dataset_free(ds);
    return 0;
}
