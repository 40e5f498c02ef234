/* ft-train: fine-tune a model on token records, as HF Trainer.train() does. */
#include "checkpoint.h"
#include "dataset.h"
#include "dist.h"
#include "evaluate.h"
#include "labelfile.h"
#include "lora.h"
#include "mlm.h"
#include "spans.h"
#include "model.h"
#include "ops.h"
#include "optim.h"
#include "tokcheck.h"
#include "trainer.h"
#include "util.h"
#include <getopt.h>
#include <string.h>

static const char usage[] =
"usage: ft-train --model DIR --output-dir DIR [options] [TRAIN...]\n"
"Fine-tunes the model in DIR (a Hugging Face directory: config.json, and\n"
"model.safetensors unless training from scratch) on TRAIN (token records from\n"
"ft-tokenize, several files are one data set in the order given; or batches\n"
"from ft-batch; default stdin) and writes the result to --output-dir in HF\n"
"layout.  Flags are TrainingArguments in kebab-case.  Under mpirun -np N,\n"
"N processes train one model (--per-device-train-batch-size is per process;\n"
"evaluation is sharded; rank 0 logs and saves; docs/distributed.md).\n"
"Model and task:\n"
"  --model DIR                   model directory, HF cache entry or name\n"
"  --task seq-cls                what to train (seq-cls; causal-lm, seq2seq with their models;\n"
"                                masked-lm: BertForMaskedLM on unlabelled text, to pretrain;\n"
"                                span-corruption: T5 on unlabelled text blocks, to pretrain)\n"
"  --mlm-probability P           masked-lm: share of tokens masked afresh in every batch (0.15;\n"
"                                DataCollatorForLanguageModeling: 80% [MASK], 10% random, 10% kept);\n"
"                                span-corruption: the noise density (0.15)\n"
"  --mean-noise-span-length L    span-corruption: mean length of a corrupted span (3.0);\n"
"                                DataCollatorForT5MLM: spans become <extra_id_N> in the inputs,\n"
"                                the targets are the spans behind their sentinels\n"
"  --span-block-size N           print the block length (ft-tokenize --block-size) whose\n"
"                                span-corrupted inputs are N tokens, and exit\n"
"  --num-labels N                classes for seq-cls (a missing head is initialised as HF does)\n"
"  --labels FILE                 class names, one a line (sets id2label)\n"
"  --from-scratch                ignore weights in DIR: initialise from config.json alone\n"
"  --allow-tokenizer-mismatch    train on tokens whose stream header names another tokenizer\n"
"                                than DIR's (refused by default: the ids would mean other tokens)\n"
"Several tasks (records with a task name, ft-tokenize --task): one shared encoder, one\n"
"classification head per task (classifier.<task>.*, listed in config.json's ft_tasks):\n"
"  --task-labels NAME=N[:FILE]   labels of task NAME (repeatable; default: max label + 1)\n"
"  --task-sampling proportional|temperature|round-robin  order of the per-task batches (proportional)\n"
"  --task-temperature T          temperature sampling: task drawn ∝ size^(1/T) (2)\n"
"  --task-weights NAME=W,...     loss weight per task (1)\n"
"LoRA (PEFT's LoraConfig; any of these turns it on; output-dir gets a PEFT adapter):\n"
"  --lora-r N (8)  --lora-alpha X (8)  --lora-dropout X (0)  --use-rslora\n"
"  --target-modules LIST|REGEX   names or dotted suffixes (c_attn,c_proj; query,value),\n"
"                                or a regex matched against the whole module name\n"
"  --lora-bias none|all|lora_only (none)   --modules-to-save LIST\n"
"  --adapter DIR                 continue training the adapter in DIR (adapter_config.json)\n"
"Data and schedule:\n"
"  --eval-data FILE              token records to evaluate on\n"
"  --num-train-epochs X          (3)      --max-steps N              (-1: from epochs)\n"
"  --per-device-train-batch-size N (8)    --per-device-eval-batch-size N (8)\n"
"  --gradient-accumulation-steps N (1)    --dataloader-drop-last     --group-by-length\n"
"  --max-length N                pad batches to N tokens (default: the longest row)\n"
"Optimiser:\n"
"  --learning-rate X (5e-5)  --weight-decay X (0)  --adam-beta1 X (0.9)  --adam-beta2 X (0.999)\n"
"  --adam-epsilon X (1e-8)   --max-grad-norm X (1.0; 0 = no clipping)\n"
"  --lr-scheduler-type linear|cosine|constant|constant_with_warmup (linear)\n"
"  --warmup-steps N (0)      --warmup-ratio X (0)\n"
"  --label-smoothing-factor X (0)  targets (1-X)·one-hot + X/classes, as HF's LabelSmoother\n"
"Evaluation, saving, logging:\n"
"  --eval-strategy no|steps|epoch (no; alias --evaluation-strategy)  --eval-steps N\n"
"  --save-strategy no|steps|epoch (steps)  --save-steps N (500)  --save-total-limit N\n"
"  --load-best-model-at-end  --metric-for-best-model NAME (loss)  --greater-is-better true|false\n"
"  --early-stopping-patience N  --early-stopping-threshold X\n"
"  --logging-strategy no|steps|epoch (steps)  --logging-steps N (500)  --logging-dir DIR\n"
"  --report-to none|tensorboard|all (none)  TensorBoard event files in the logging dir\n"
"                                (default OUTPUT/runs/DATE_HOST, as HF's)\n"
"Continual learning (keep an earlier task while learning this one):\n"
"  --l2sp LAMBDA                 penalty (LAMBDA/2)·Σ(θ−θ0)² towards the weights training starts from\n"
"  --ewc LAMBDA --fisher FILE    EWC: (LAMBDA/2)·Σ F·(θ−θ0)², F from ft-eval --fisher-out\n"
"  --replay FILE --replay-ratio R  mix old-task token records in: R of each epoch (0.2)\n"
"  --resume-from-checkpoint [DIR|last]  continue a run; no DIR or \"last\": the newest\n"
"                                complete checkpoint-N in --output-dir\n"
"  --bf16                        mixed precision as TrainingArguments(bf16=True) (torch.autocast\n"
"                                on CPU): matmuls take bf16 inputs with fp32 accumulation;\n"
"                                weights, optimiser, norms, softmax, losses stay fp32.  oneDNN on\n"
"                                a CPU with AVX512-BF16, else emulated (the same rounding, fp32\n"
"                                speed; one notice); checkpoints are fp32 as without it\n"
"  --seed N (42)  --threads N  --quiet  --help\n"
"Log lines (JSON, one per logging step and evaluation) go to stdout and to\n"
"train_log.jsonl in the logging dir; a progress bar goes to stderr on a terminal.\n";

enum {
    O_MODEL = 256, O_TASK, O_NUM_LABELS, O_LABELS, O_SCRATCH, O_OUT, O_EVAL_DATA, O_EPOCHS,
    O_MAX_STEPS, O_TBS, O_EBS, O_LR, O_WARMUP_STEPS, O_WARMUP_RATIO, O_WD, O_B1, O_B2, O_EPS,
    O_MGN, O_SCHED, O_ACCUM, O_EVAL_STRAT, O_EVAL_STEPS, O_SAVE_STRAT, O_SAVE_STEPS,
    O_SAVE_LIMIT, O_LOAD_BEST, O_METRIC, O_GIB, O_PATIENCE, O_THRESH, O_LOG_DIR, O_LOG_STEPS,
    O_LOG_STRAT, O_SEED, O_THREADS, O_RESUME, O_DROP_LAST, O_GROUP, O_MAX_LEN, O_QUIET, O_HELP,
    O_L2SP, O_EWC, O_FISHER, O_REPLAY, O_REPLAY_RATIO,
    O_LORA_R, O_LORA_ALPHA, O_LORA_DROPOUT, O_TARGETS, O_LORA_BIAS, O_MODULES_TO_SAVE, O_RSLORA,
    O_ADAPTER, O_TASK_LABELS, O_TASK_SAMPLING, O_TASK_TEMP, O_TASK_WEIGHTS, O_LABEL_SMOOTHING, O_MLM_P,
    O_MEAN_SPAN, O_SPAN_BLOCK, O_ALLOW_TOK, O_REPORT_TO, O_BF16
};

/* HF's --report_to: a list of integrations; ft has TensorBoard ("all" is it) */
static int report_to(const char *s)
{
    int tb = 0;
    char *list = ft_xstrdup(s), *save = NULL;
    for (char *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(w, "tensorboard") || !strcmp(w, "all")) tb = 1;
        else if (strcmp(w, "none")) ft_die("--report-to: '%s' is not supported (none, tensorboard, all)", w);
    }
    free(list);
    return tb;
}

static enum ft_interval interval(const char *flag, const char *s)
{
    if (!strcmp(s, "no")) return FT_IV_NO;
    if (!strcmp(s, "steps")) return FT_IV_STEPS;
    if (!strcmp(s, "epoch")) return FT_IV_EPOCH;
    ft_die("%s: '%s' is not one of no, steps, epoch", flag, s);
}

/* A --labels file: the one reader ft-tokenize uses too (lib/io/labelfile.c). */
static char **read_lines(const char *path, int *n)
{
    ft_label_names l = ft_label_names_read(path);
    *n = l.n;
    return l.names;
}

/* --task-labels NAME=N[:FILE] → (name, n, names file). */
static const char *task_labels_for(const char **spec, int n, const char *name, int *count, const char **file)
{
    size_t l = strlen(name);
    for (int i = 0; i < n; i++) {
        if (strncmp(spec[i], name, l) || spec[i][l] != '=') continue;
        char *end;
        long v = strtol(spec[i] + l + 1, &end, 10);
        if (end == spec[i] + l + 1 || v < 2 || v > 1 << 20 || (*end && *end != ':'))
            ft_die("--task-labels %s: expected NAME=N[:FILE] with N >= 2", spec[i]);
        *count = (int)v;
        *file = *end == ':' ? end + 1 : NULL;
        return spec[i];
    }
    return NULL;
}

static json_t *task_entry(json_t *arr, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
        if (!strcmp(json_string_value(json_object_get(o, "name")), name)) return o;
    return NULL;
}

/* The "ft_tasks" of a multi-task model for these records, or NULL when they
   hold one task (or none) and no --task-labels asks for heads.  A model that
   has ft_tasks already keeps its heads; tasks new in the records get new ones
   (continual learning: the old heads stay, a head is added per new task).
   NULL also when nothing changes (ft_model_open keeps the config's). */
static json_t *multi_task(const ft_dataset *train, const ft_dataset *eval, const char *cfgpath,
                          const char **spec, int nspec)
{
    if (!train || !train->ntasks) return NULL;
    ft_config *cfg = ft_config_load(cfgpath);
    json_t *have = json_object_get(cfg->json, "ft_tasks");
    json_t *arr = json_is_array(have) ? json_deep_copy(have) : json_array();
    ft_config_free(cfg);
    if (!json_array_size(arr) && train->ntasks < 2 && !nspec) { json_decref(arr); return NULL; }
    for (int i = 0; i < nspec; i++) {
        int found = 0;
        for (int t = 0; t < train->ntasks; t++) {
            size_t l = strlen(train->tasks[t]);
            found |= !strncmp(spec[i], train->tasks[t], l) && spec[i][l] == '=';
        }
        if (!found) ft_die("--task-labels %s: no such task in the training records", spec[i]);
    }
    int changed = 0;
    for (int t = 0; t < train->ntasks; t++) {
        const char *name = train->tasks[t], *file = NULL;
        int n = 0, given = task_labels_for(spec, nspec, name, &n, &file) != NULL;
        json_t *had = task_entry(arr, name);
        if (had) {
            int hn = (int)json_integer_value(json_object_get(had, "num_labels"));
            if (given && n != hn)
                ft_die("--task-labels %s=%d: the model's head for %s has %d labels", name, n, name, hn);
            if (!file) continue;
        } else if (!given) {
            /* from the data: the largest label + 1 (train and eval records) */
            for (size_t i = 0; i < train->n; i++)
                if (train->ex[i].task == t && train->ex[i].label >= n) n = train->ex[i].label + 1;
            if (eval)
                for (size_t i = 0; i < eval->n; i++)
                    if (eval->ex[i].task < eval->ntasks && !strcmp(eval->tasks[eval->ex[i].task], name) &&
                        eval->ex[i].label >= n) n = eval->ex[i].label + 1;
            if (n < 2) n = 2;
        }
        json_t *o = had ? had : json_pack("{s:s, s:i}", "name", name, "num_labels", n);
        if (file) {
            int nn;
            char **lines = read_lines(file, &nn);
            if (nn != n) ft_die("--task-labels %s=%d: %s names %d labels", name, n, file, nn);
            json_t *id2 = json_object();
            for (int i = 0; i < nn; i++) {
                char k[32];
                snprintf(k, sizeof k, "%d", i);
                json_object_set_new(id2, k, json_string(lines[i]));
                free(lines[i]);
            }
            free(lines);
            json_object_set_new(o, "id2label", id2);
        }
        if (!had) json_array_append_new(arr, o);
        changed = 1;
    }
    if (!changed) { json_decref(arr); return NULL; }
    return arr;
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

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_dist_init(&argc, &argv);         /* one rank of several under mpirun */
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"task", 1, 0, O_TASK}, {"num-labels", 1, 0, O_NUM_LABELS},
        {"labels", 1, 0, O_LABELS}, {"from-scratch", 0, 0, O_SCRATCH}, {"output-dir", 1, 0, O_OUT},
        {"eval-data", 1, 0, O_EVAL_DATA}, {"num-train-epochs", 1, 0, O_EPOCHS},
        {"max-steps", 1, 0, O_MAX_STEPS}, {"per-device-train-batch-size", 1, 0, O_TBS},
        {"per-device-eval-batch-size", 1, 0, O_EBS}, {"learning-rate", 1, 0, O_LR},
        {"warmup-steps", 1, 0, O_WARMUP_STEPS}, {"warmup-ratio", 1, 0, O_WARMUP_RATIO},
        {"weight-decay", 1, 0, O_WD}, {"adam-beta1", 1, 0, O_B1}, {"adam-beta2", 1, 0, O_B2},
        {"adam-epsilon", 1, 0, O_EPS}, {"max-grad-norm", 1, 0, O_MGN},
        {"label-smoothing-factor", 1, 0, O_LABEL_SMOOTHING}, {"mlm-probability", 1, 0, O_MLM_P},
        {"mean-noise-span-length", 1, 0, O_MEAN_SPAN}, {"span-block-size", 1, 0, O_SPAN_BLOCK},
        {"lr-scheduler-type", 1, 0, O_SCHED}, {"gradient-accumulation-steps", 1, 0, O_ACCUM},
        {"eval-strategy", 1, 0, O_EVAL_STRAT}, {"evaluation-strategy", 1, 0, O_EVAL_STRAT},
        {"eval-steps", 1, 0, O_EVAL_STEPS}, {"save-strategy", 1, 0, O_SAVE_STRAT},
        {"save-steps", 1, 0, O_SAVE_STEPS}, {"save-total-limit", 1, 0, O_SAVE_LIMIT},
        {"load-best-model-at-end", 0, 0, O_LOAD_BEST}, {"metric-for-best-model", 1, 0, O_METRIC},
        {"greater-is-better", 1, 0, O_GIB}, {"early-stopping-patience", 1, 0, O_PATIENCE},
        {"early-stopping-threshold", 1, 0, O_THRESH}, {"logging-dir", 1, 0, O_LOG_DIR}, {"report-to", 1, 0, O_REPORT_TO},
        {"logging-steps", 1, 0, O_LOG_STEPS}, {"logging-strategy", 1, 0, O_LOG_STRAT},
        {"seed", 1, 0, O_SEED}, {"threads", 1, 0, O_THREADS}, {"bf16", 0, 0, O_BF16},
        {"resume-from-checkpoint", 2, 0, O_RESUME}, {"dataloader-drop-last", 0, 0, O_DROP_LAST},
        {"group-by-length", 0, 0, O_GROUP}, {"max-length", 1, 0, O_MAX_LEN},
        {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP}, {"l2sp", 1, 0, O_L2SP},
        {"ewc", 1, 0, O_EWC}, {"fisher", 1, 0, O_FISHER}, {"replay", 1, 0, O_REPLAY},
        {"replay-ratio", 1, 0, O_REPLAY_RATIO},
        {"lora-r", 1, 0, O_LORA_R}, {"lora-alpha", 1, 0, O_LORA_ALPHA},
        {"lora-dropout", 1, 0, O_LORA_DROPOUT}, {"target-modules", 1, 0, O_TARGETS},
        {"lora-bias", 1, 0, O_LORA_BIAS}, {"modules-to-save", 1, 0, O_MODULES_TO_SAVE},
        {"use-rslora", 0, 0, O_RSLORA}, {"adapter", 1, 0, O_ADAPTER}, {"task-labels", 1, 0, O_TASK_LABELS},
        {"task-sampling", 1, 0, O_TASK_SAMPLING}, {"task-temperature", 1, 0, O_TASK_TEMP},
        {"task-weights", 1, 0, O_TASK_WEIGHTS}, {"allow-tokenizer-mismatch", 0, 0, O_ALLOW_TOK},
        {0, 0, 0, 0}};
    ft_train_args a;
    ft_train_args_default(&a);
    float label_smoothing = 0;
    double mlm_p = 0.15, mean_span = 3.0;
    int mlm_p_given = 0, mean_span_given = 0;
    const char *model = NULL, *task = "seq-cls", *labels_file = NULL, *eval_path = NULL;
    const char *replay = NULL, *task_weights = NULL;
    const char **task_labels = ft_xcalloc(argc, sizeof *task_labels);
    int ntask_labels = 0;
    double replay_ratio = 0.2;
    int num_labels = 0, scratch = 0, c, lora = 0, span_block = 0, allow_tok = 0;
    ft_lora_config lc;
    ft_lora_config_default(&lc);
    const char *adapter = NULL;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_TASK: task = optarg; break;
        case O_NUM_LABELS: num_labels = (int)ft_parse_long("--num-labels", optarg, 1, 1 << 20); break;
        case O_LABELS: labels_file = optarg; break;
        case O_SCRATCH: scratch = 1; break;
        case O_ALLOW_TOK: allow_tok = 1; break;
        case O_OUT: a.output_dir = optarg; break;
        case O_EVAL_DATA: eval_path = optarg; break;
        case O_EPOCHS: a.num_train_epochs = ft_parse_double("--num-train-epochs", optarg, 1e-9, 1e9); break;
        case O_MAX_STEPS: a.max_steps = ft_parse_long("--max-steps", optarg, -1, __LONG_MAX__); break;
        case O_TBS: a.train_batch_size = (int)ft_parse_long("--per-device-train-batch-size", optarg, 1, 1 << 20); break;
        case O_EBS: a.eval_batch_size = (int)ft_parse_long("--per-device-eval-batch-size", optarg, 1, 1 << 20); break;
        case O_LR: a.learning_rate = ft_parse_double("--learning-rate", optarg, 0, 10); break;
        case O_WARMUP_STEPS: a.warmup_steps = ft_parse_long("--warmup-steps", optarg, 0, __LONG_MAX__); break;
        case O_WARMUP_RATIO: a.warmup_ratio = ft_parse_double("--warmup-ratio", optarg, 0, 1); break;
        case O_WD: a.weight_decay = ft_parse_double("--weight-decay", optarg, 0, 1e3); break;
        case O_B1: a.adam_beta1 = ft_parse_double("--adam-beta1", optarg, 0, 0.999999); break;
        case O_B2: a.adam_beta2 = ft_parse_double("--adam-beta2", optarg, 0, 0.999999999); break;
        case O_EPS: a.adam_epsilon = ft_parse_double("--adam-epsilon", optarg, 0, 1); break;
        case O_MLM_P: mlm_p = ft_parse_double("--mlm-probability", optarg, 1e-6, 1); mlm_p_given = 1; break;
        case O_MEAN_SPAN:
            mean_span = ft_parse_double("--mean-noise-span-length", optarg, 1, 1e6);
            mean_span_given = 1;
            break;
        case O_SPAN_BLOCK: span_block = (int)ft_parse_long("--span-block-size", optarg, 2, 1 << 24); break;
        case O_LABEL_SMOOTHING:
            label_smoothing = (float)ft_parse_double("--label-smoothing-factor", optarg, 0, 1);
            break;
        case O_MGN: a.max_grad_norm = ft_parse_double("--max-grad-norm", optarg, 0, 1e9); break;
        case O_SCHED:
            if ((a.lr_scheduler = ft_sched_parse(optarg)) < 0)
                ft_die("--lr-scheduler-type: '%s' is not linear, cosine, constant or constant_with_warmup", optarg);
            break;
        case O_ACCUM: a.grad_accum = (int)ft_parse_long("--gradient-accumulation-steps", optarg, 1, 1 << 20); break;
        case O_EVAL_STRAT: a.eval_strategy = interval("--eval-strategy", optarg); break;
        case O_EVAL_STEPS: a.eval_steps = ft_parse_long("--eval-steps", optarg, 1, __LONG_MAX__); break;
        case O_SAVE_STRAT: a.save_strategy = interval("--save-strategy", optarg); break;
        case O_SAVE_STEPS: a.save_steps = ft_parse_long("--save-steps", optarg, 1, __LONG_MAX__); break;
        case O_SAVE_LIMIT: a.save_total_limit = (int)ft_parse_long("--save-total-limit", optarg, 1, 1 << 20); break;
        case O_LOAD_BEST: a.load_best_model_at_end = 1; break;
        case O_METRIC: a.metric_for_best_model = optarg; break;
        case O_GIB:
            if (!strcmp(optarg, "true") || !strcmp(optarg, "True") || !strcmp(optarg, "1")) a.greater_is_better = 1;
            else if (!strcmp(optarg, "false") || !strcmp(optarg, "False") || !strcmp(optarg, "0")) a.greater_is_better = 0;
            else ft_die("--greater-is-better: '%s' is not true or false", optarg);
            break;
        case O_PATIENCE: a.early_stopping_patience = (int)ft_parse_long("--early-stopping-patience", optarg, 1, 1 << 20); break;
        case O_THRESH: a.early_stopping_threshold = ft_parse_double("--early-stopping-threshold", optarg, 0, 1e9); break;
        case O_LOG_DIR: a.logging_dir = optarg; break;
        case O_REPORT_TO: a.report_tensorboard = report_to(optarg); break;
        case O_LOG_STEPS: a.logging_steps = ft_parse_long("--logging-steps", optarg, 1, __LONG_MAX__); break;
        case O_LOG_STRAT: a.logging_strategy = interval("--logging-strategy", optarg); break;
        case O_SEED: a.seed = (uint64_t)ft_parse_long("--seed", optarg, 0, __LONG_MAX__); break;
        case O_THREADS: ft_set_threads((int)ft_parse_long("--threads", optarg, 1, 1024)); break;
        case O_BF16: ft_set_precision(FT_PREC_BF16); break;
        case O_RESUME:
            /* DIR is optional (HF's resume_from_checkpoint=True): the next
               word is taken when it is "last" or a directory; training data
               is a file, so "--resume-from-checkpoint train.ft" still means last */
            if (!optarg && optind < argc && (!strcmp(argv[optind], "last") || ft_is_dir(argv[optind])))
                optarg = argv[optind++];
            a.resume_from_checkpoint = optarg ? optarg : "last";
            break;
        case O_DROP_LAST: a.drop_last = 1; break;
        case O_GROUP: a.group_by_length = 1; break;
        case O_MAX_LEN: a.max_length = (int)ft_parse_long("--max-length", optarg, 1, 1 << 24); break;
        case O_QUIET: a.quiet = 1; break;
        case O_L2SP: a.l2sp = ft_parse_double("--l2sp", optarg, 0, 1e12); break;
        case O_EWC: a.ewc = ft_parse_double("--ewc", optarg, 0, 1e12); break;
        case O_FISHER: a.fisher = optarg; break;
        case O_REPLAY: replay = optarg; break;
        case O_REPLAY_RATIO: replay_ratio = ft_parse_double("--replay-ratio", optarg, 0, 0.99); break;
        case O_TASK_LABELS: task_labels[ntask_labels++] = optarg; break;
        case O_TASK_SAMPLING:
            if ((a.task_sampling = ft_task_sampling_parse(optarg)) < 0)
                ft_die("--task-sampling: '%s' is not proportional, temperature or round-robin", optarg);
            break;
        case O_TASK_TEMP: a.task_temperature = ft_parse_double("--task-temperature", optarg, 1e-6, 1e6); break;
        case O_TASK_WEIGHTS: task_weights = optarg; break;
        case O_LORA_R: lc.r = (int)ft_parse_long("--lora-r", optarg, 1, 1 << 16); lora = 1; break;
        case O_LORA_ALPHA: lc.alpha = (float)ft_parse_double("--lora-alpha", optarg, 0, 1e6); lora = 1; break;
        case O_LORA_DROPOUT: lc.dropout = (float)ft_parse_double("--lora-dropout", optarg, 0, 0.999); lora = 1; break;
        case O_TARGETS: lc.target_modules = optarg; lora = 1; break;
        case O_LORA_BIAS:
            if ((int)(lc.bias = ft_lora_bias_parse(optarg)) < 0)
                ft_die("--lora-bias: '%s' is not none, all or lora_only", optarg);
            lora = 1;
            break;
        case O_MODULES_TO_SAVE: lc.modules_to_save = optarg; lora = 1; break;
        case O_RSLORA: lc.use_rslora = 1; lora = 1; break;
        case O_ADAPTER: adapter = optarg; break;
        case O_HELP: case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (span_block) {           /* compute_input_and_target_lengths */
        if (mlm_p >= 1) ft_die("--mlm-probability %g: span corruption needs a noise density below 1", mlm_p);
        int tokens, targets;
        ft_spans_lengths(mlm_p, mean_span, span_block, &tokens, &targets);
        printf("%d\n", tokens);
        ft_warn("blocks of %d tokens: span-corrupted inputs of %d, targets of %d", tokens, span_block, targets);
        return 0;
    }
    if (!model) ft_die("--model DIR is required (see --help)");
    if (!a.output_dir) ft_die("--output-dir DIR is required");
    int span = ft_task_is_span_corruption(&task);
    if (ft_task_parse(task) < 0)
        ft_die("--task: unknown task '%s' (seq-cls, causal-lm, seq2seq, masked-lm, span-corruption)", task);
    const char *train_path = optind < argc ? argv[optind] : "-";
    int mlm = ft_task_parse(task) == FT_TASK_MASKED_LM;
    if (mlm_p_given && !mlm && !span) ft_die("--mlm-probability is for --task masked-lm or span-corruption");
    if (mean_span_given && !span) ft_die("--mean-noise-span-length is for --task span-corruption");
    if ((mlm || span) && (num_labels || labels_file || ntask_labels))
        ft_die("--task %s predicts tokens: --num-labels, --labels and --task-labels do not apply",
               mlm ? "masked-lm" : "span-corruption");

    int nnames = 0;
    char **names = labels_file ? read_lines(labels_file, &nnames) : NULL;
    if (names && num_labels && num_labels != nnames)
        ft_die("--num-labels %d but %s names %d labels", num_labels, labels_file, nnames);
    if (names) num_labels = nnames;

    char *dir = ft_resolve_model_dir(model);
    ft_train_data *train = ft_train_data_load(train_path);
    ft_check_tokenizer(train->header, train_path, dir, allow_tok);
    for (int i = optind + 1; i < argc; i++) {
        ft_dataset *more = ft_dataset_load(argv[i]);
        ft_check_tokenizer(more->header, argv[i], dir, allow_tok);
        ft_train_data_append(train, more, argv[i]);
    }
    if (replay) ft_train_data_add_replay(train, replay, replay_ratio, dir, allow_tok);
    ft_dataset *eval = eval_path ? ft_dataset_load(eval_path) : NULL;

    if (eval) ft_check_tokenizer(eval->header, eval_path, dir, allow_tok);
    char *cfgpath = ft_xasprintf("%s/config.json", dir);
    json_t *tasks = mlm || span ? NULL : multi_task(train->ds, eval, cfgpath, task_labels, ntask_labels);
    if (tasks && (num_labels || names)) ft_die("several tasks: give their labels with --task-labels, not --num-labels/--labels");
    if (!tasks && (task_weights || a.task_sampling || ntask_labels))
        ft_die("--task-* options need records of several tasks (ft-tokenize --task NAME)");
    ft_spans *spans = span ? ft_spans_for_model(dir, mlm_p, mean_span) : NULL;
    ft_model *m = ft_model_open(scratch ? cfgpath : dir, task, num_labels, tasks, scratch, a.seed);
    free(cfgpath);
    json_decref(tasks);
    m->label_smoothing = label_smoothing;
    ft_mlm *masking = mlm ? ft_mlm_from_tokenizer(dir, mlm_p) : NULL;
    m->mlm = masking;
    m->spans = spans;
    double *weights = task_weights ? parse_weights(m, task_weights) : NULL;
    a.task_weights = weights;
    if (names) ft_model_set_label_names(m, nnames, (const char *const *)names);
    if (adapter && lora) ft_die("--adapter continues an adapter with its own config; drop the --lora-* flags");
    if (adapter) ft_lora_load(m, adapter);
    else if (lora) ft_lora_attach(m, &lc, a.seed);
    if (m->lora) {
        if (!m->lora->base_model) m->lora->base_model = ft_xstrdup(model);
        char line[256];
        ft_lora_trainable_line(m, line, sizeof line);
        if (ft_dist_main()) fprintf(stderr, "%s\n", line);
    }
    if (train->ds) ft_check_dataset_fits(m, train->ds, train_path);
    else ft_check_batches_fit(m, train->batches, train->nbatches, train_path);
    if (eval) ft_check_dataset_fits(m, eval, eval_path);

    int rc = ft_train(m, train, eval, &a);
    if (rc == 0 && ft_dist_main()) {
        ft_copy_tokenizer_files(dir, a.output_dir);
        ft_warn("model written to %s", a.output_dir);
    }
    for (int i = 0; i < nnames; i++) free(names[i]);
    free(names);
    free(weights);
    free(task_labels);
    free(dir);
    ft_model_free(m);
    ft_mlm_free(masking);
    ft_spans_free(spans);
    ft_train_data_free(train);
    ft_dataset_free(eval);
    ft_dist_finalize();
    return rc;
}
