/* ft-train: fine-tune a model on token records, as HF Trainer.train() does. */
#include "checkpoint.h"
#include "dataset.h"
#include "dist.h"
#include "evaluate.h"
#include "labelfile.h"
#include "lora.h"
#include "opts.h"
#include "spans.h"
#include "task_setup.h"
#include "model.h"
#include "ops.h"
#include "optim.h"
#include "tokcheck.h"
#include "trainer.h"
#include "util.h"
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
"  --target-modules LIST|REGEX|all-linear  names or dotted suffixes (c_attn,c_proj;\n"
"                                query,value), a regex matched against the whole module\n"
"                                name, or all-linear: every linear layer but the output\n""                                layer and a classifier\n"
"  --lora-bias none|all|lora_only (none)   --modules-to-save LIST\n"
"  --adapter DIR                 continue training the adapter in DIR (adapter_config.json)\n"
"Data and schedule:\n"
"  --eval-data FILE              token records to evaluate on\n"
"  --num-train-epochs X          (3)      --max-steps N              (-1: from epochs)\n"
"  --per-device-train-batch-size N (8)    --per-device-eval-batch-size N (8)\n"
"  --gradient-accumulation-steps N (1)    --dataloader-drop-last     --group-by-length\n"
"  --max-length N                pad batches to N tokens (default: the longest row);\n"
"                                with --packing, the tokens of a packed row\n"
"  --packing                     causal LM: examples end to end in rows of --max-length\n"
"                                tokens, each attending to itself only (TRL packing with\n"
"                                padding_free); the batch size counts rows (docs/packing.md)\n"
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
"  --gradient-checkpointing      keep each layer's input only and recompute the layer in\n"
"                                backward: less memory, ~1/3 more compute (Llama family)\n"
"  --seed N (42)  --threads N  --quiet  --help\n"
"Log lines (JSON, one per logging step and evaluation) go to stdout and to\n"
"train_log.jsonl in the logging dir; a progress bar goes to stderr on a terminal.\n";

/* HF's --report_to: a list of integrations; ft has TensorBoard ("all" is it) */
static void report_to(const char *s, void *dst)
{
    int tb = 0;
    char *list = ft_xstrdup(s), *save = NULL;
    for (char *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(w, "tensorboard") || !strcmp(w, "all")) tb = 1;
        else if (strcmp(w, "none")) ft_die("--report-to: '%s' is not supported (none, tensorboard, all)", w);
    }
    free(list);
    *(int *)dst = tb;
}

static int interval(const char *s)
{
    if (!strcmp(s, "no")) return FT_IV_NO;
    if (!strcmp(s, "steps")) return FT_IV_STEPS;
    if (!strcmp(s, "epoch")) return FT_IV_EPOCH;
    return -1;
}

static void greater_is_better(const char *s, void *dst)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "1")) *(int *)dst = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "0")) *(int *)dst = 0;
    else ft_die("--greater-is-better: '%s' is not true or false", s);
}

/* DIR is optional (HF's resume_from_checkpoint=True): the next word is taken
   when it is "last" or a directory; training data is a file, so
   "--resume-from-checkpoint train.ft" still means last */
static int checkpoint_word(const char *w) { return !strcmp(w, "last") || ft_is_dir(w); }
static void resume_from(const char *s, void *dst) { *(const char **)dst = s ? s : "last"; }

typedef struct word_list { const char **v; int n; } word_list;
static void append(const char *s, void *dst) { word_list *l = dst; l->v[l->n++] = s; }

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

/* What the flags ask for. */
typedef struct flags {
    ft_train_args a;
    ft_task_opts task;
    ft_lora_config lc;
    const char *model, *labels_file, *eval_path, *replay, *adapter;
    word_list task_labels;
    double replay_ratio;
    int num_labels, scratch, lora, span_block, allow_tok, threads, bf16, checkpointing;
} flags;

static int parse_flags(flags *f, int argc, char **argv)
{
    memset(f, 0, sizeof *f);
    ft_train_args *a = &f->a;
    ft_train_args_default(a);
    ft_task_opts_default(&f->task);
    f->task.task = "seq-cls";
    f->task_labels.v = ft_xcalloc(argc, sizeof *f->task_labels.v);
    f->replay_ratio = 0.2;
    ft_lora_config_default(&f->lc);
    ft_lora_config *lc = &f->lc;
    const long LMAX = __LONG_MAX__;
    const ft_opt opts[] = {
        {"model", FT_OPT_STR, .dst = &f->model}, {"task", FT_OPT_STR, .dst = &f->task.task},
        {"num-labels", FT_OPT_INT, .dst = &f->num_labels, .min = 1, .max = 1 << 20},
        {"labels", FT_OPT_STR, .dst = &f->labels_file}, {"from-scratch", FT_OPT_FLAG, .dst = &f->scratch},
        {"output-dir", FT_OPT_STR, .dst = &a->output_dir}, {"eval-data", FT_OPT_STR, .dst = &f->eval_path},
        {"num-train-epochs", FT_OPT_DOUBLE, .dst = &a->num_train_epochs, .lo = 1e-9, .hi = 1e9},
        {"max-steps", FT_OPT_LONG, .dst = &a->max_steps, .min = -1, .max = LMAX},
        {"per-device-train-batch-size", FT_OPT_INT, .dst = &a->train_batch_size, .min = 1, .max = 1 << 20},
        {"per-device-eval-batch-size", FT_OPT_INT, .dst = &a->eval_batch_size, .min = 1, .max = 1 << 20},
        {"learning-rate", FT_OPT_DOUBLE, .dst = &a->learning_rate, .lo = 0, .hi = 10},
        {"warmup-steps", FT_OPT_LONG, .dst = &a->warmup_steps, .min = 0, .max = LMAX},
        {"warmup-ratio", FT_OPT_DOUBLE, .dst = &a->warmup_ratio, .lo = 0, .hi = 1},
        {"weight-decay", FT_OPT_DOUBLE, .dst = &a->weight_decay, .lo = 0, .hi = 1e3},
        {"adam-beta1", FT_OPT_DOUBLE, .dst = &a->adam_beta1, .lo = 0, .hi = 0.999999},
        {"adam-beta2", FT_OPT_DOUBLE, .dst = &a->adam_beta2, .lo = 0, .hi = 0.999999999},
        {"adam-epsilon", FT_OPT_DOUBLE, .dst = &a->adam_epsilon, .lo = 0, .hi = 1},
        {"max-grad-norm", FT_OPT_DOUBLE, .dst = &a->max_grad_norm, .lo = 0, .hi = 1e9},
        {"label-smoothing-factor", FT_OPT_DOUBLE, .dst = &f->task.label_smoothing, .lo = 0, .hi = 1},
        {"mlm-probability", FT_OPT_DOUBLE, .dst = &f->task.mlm_probability, .lo = 1e-6, .hi = 1,
         .given = &f->task.mlm_probability_given},
        {"mean-noise-span-length", FT_OPT_DOUBLE, .dst = &f->task.mean_noise_span, .lo = 1, .hi = 1e6,
         .given = &f->task.mean_noise_span_given},
        {"span-block-size", FT_OPT_INT, .dst = &f->span_block, .min = 2, .max = 1 << 24},
        {"lr-scheduler-type", FT_OPT_CHOICE, .dst = &a->lr_scheduler, .parse = ft_sched_parse,
         .choices = "linear, cosine, constant or constant_with_warmup"},
        {"gradient-accumulation-steps", FT_OPT_INT, .dst = &a->grad_accum, .min = 1, .max = 1 << 20},
        {"eval-strategy", FT_OPT_CHOICE, .dst = &a->eval_strategy, .parse = interval, .choices = "one of no, steps, epoch"},
        {"evaluation-strategy", FT_OPT_ALIAS, .alias = "eval-strategy"},
        {"eval-steps", FT_OPT_LONG, .dst = &a->eval_steps, .min = 1, .max = LMAX},
        {"save-strategy", FT_OPT_CHOICE, .dst = &a->save_strategy, .parse = interval, .choices = "one of no, steps, epoch"},
        {"save-steps", FT_OPT_LONG, .dst = &a->save_steps, .min = 1, .max = LMAX},
        {"save-total-limit", FT_OPT_INT, .dst = &a->save_total_limit, .min = 1, .max = 1 << 20},
        {"load-best-model-at-end", FT_OPT_FLAG, .dst = &a->load_best_model_at_end},
        {"metric-for-best-model", FT_OPT_STR, .dst = &a->metric_for_best_model},
        {"greater-is-better", FT_OPT_CALL, .dst = &a->greater_is_better, .call = greater_is_better},
        {"early-stopping-patience", FT_OPT_INT, .dst = &a->early_stopping_patience, .min = 1, .max = 1 << 20},
        {"early-stopping-threshold", FT_OPT_DOUBLE, .dst = &a->early_stopping_threshold, .lo = 0, .hi = 1e9},
        {"logging-dir", FT_OPT_STR, .dst = &a->logging_dir},
        {"report-to", FT_OPT_CALL, .dst = &a->report_tensorboard, .call = report_to},
        {"logging-steps", FT_OPT_LONG, .dst = &a->logging_steps, .min = 1, .max = LMAX},
        {"logging-strategy", FT_OPT_CHOICE, .dst = &a->logging_strategy, .parse = interval,
         .choices = "one of no, steps, epoch"},
        {"seed", FT_OPT_U64, .dst = &a->seed, .min = 0, .max = LMAX},
        {"threads", FT_OPT_INT, .dst = &f->threads, .min = 1, .max = 1024}, {"bf16", FT_OPT_FLAG, .dst = &f->bf16},
        {"gradient-checkpointing", FT_OPT_FLAG, .dst = &f->checkpointing},
        {"resume-from-checkpoint", FT_OPT_CALL, .dst = &a->resume_from_checkpoint, .call = resume_from,
         .optional = 1, .takes_next = checkpoint_word},
        {"dataloader-drop-last", FT_OPT_FLAG, .dst = &a->drop_last}, {"group-by-length", FT_OPT_FLAG, .dst = &a->group_by_length},
        {"max-length", FT_OPT_INT, .dst = &a->max_length, .min = 1, .max = 1 << 24},
        {"packing", FT_OPT_FLAG, .dst = &a->packing},
        {"quiet", FT_OPT_FLAG, .dst = &a->quiet}, {"help", FT_OPT_HELP, .short_name = 'h'},
        {"l2sp", FT_OPT_DOUBLE, .dst = &a->l2sp, .lo = 0, .hi = 1e12}, {"ewc", FT_OPT_DOUBLE, .dst = &a->ewc, .lo = 0, .hi = 1e12},
        {"fisher", FT_OPT_STR, .dst = &a->fisher}, {"replay", FT_OPT_STR, .dst = &f->replay},
        {"replay-ratio", FT_OPT_DOUBLE, .dst = &f->replay_ratio, .lo = 0, .hi = 0.99},
        {"lora-r", FT_OPT_INT, .dst = &lc->r, .min = 1, .max = 1 << 16, .given = &f->lora},
        {"lora-alpha", FT_OPT_FLOAT, .dst = &lc->alpha, .lo = 0, .hi = 1e6, .given = &f->lora},
        {"lora-dropout", FT_OPT_FLOAT, .dst = &lc->dropout, .lo = 0, .hi = 0.999, .given = &f->lora},
        {"target-modules", FT_OPT_STR, .dst = &lc->target_modules, .given = &f->lora},
        {"lora-bias", FT_OPT_CHOICE, .dst = &lc->bias, .parse = ft_lora_bias_parse, .choices = "none, all or lora_only",
         .given = &f->lora},
        {"modules-to-save", FT_OPT_STR, .dst = &lc->modules_to_save, .given = &f->lora},
        {"use-rslora", FT_OPT_FLAG, .dst = &lc->use_rslora, .given = &f->lora},
        {"adapter", FT_OPT_STR, .dst = &f->adapter},
        {"task-labels", FT_OPT_CALL, .dst = &f->task_labels, .call = append},
        {"task-sampling", FT_OPT_CHOICE, .dst = &a->task_sampling, .parse = ft_task_sampling_parse,
         .choices = "proportional, temperature or round-robin"},
        {"task-temperature", FT_OPT_DOUBLE, .dst = &a->task_temperature, .lo = 1e-6, .hi = 1e6},
        {"task-weights", FT_OPT_STR, .dst = &f->task.task_weights},
        {"allow-tokenizer-mismatch", FT_OPT_FLAG, .dst = &f->allow_tok},
        {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (f->threads) ft_set_threads(f->threads);
    if (f->bf16) ft_set_precision(FT_PREC_BF16);
    return first;
}

/* --span-block-size N: compute_input_and_target_lengths */
static int print_span_block(const flags *f)
{
    double p = f->task.mlm_probability;
    if (p >= 1) ft_die("--mlm-probability %g: span corruption needs a noise density below 1", p);
    int tokens, targets;
    ft_spans_lengths(p, f->task.mean_noise_span, f->span_block, &tokens, &targets);
    printf("%d\n", tokens);
    ft_warn("blocks of %d tokens: span-corrupted inputs of %d, targets of %d", tokens, f->span_block, targets);
    return 0;
}

/* The training files (the first, or stdin, then the rest), replay and eval
   records, each checked against the model's tokenizer. */
static ft_train_data *load_data(const flags *f, const char *dir, int nfiles, char **files, ft_dataset **eval)
{
    const char *train_path = nfiles ? files[0] : "-";
    ft_train_data *train = ft_train_data_load(train_path);
    ft_check_tokenizer(train->header, train_path, dir, f->allow_tok);
    for (int i = 1; i < nfiles; i++) {
        ft_dataset *more = ft_dataset_load(files[i]);
        ft_check_tokenizer(more->header, files[i], dir, f->allow_tok);
        ft_train_data_append(train, more, files[i]);
    }
    if (f->replay) ft_train_data_add_replay(train, f->replay, f->replay_ratio, dir, f->allow_tok);
    *eval = f->eval_path ? ft_dataset_load(f->eval_path) : NULL;
    if (*eval) ft_check_tokenizer((*eval)->header, f->eval_path, dir, f->allow_tok);
    return train;
}

/* The model to train: its heads for the records' tasks, label names, LoRA. */
static ft_model *open_model(const flags *f, const char *dir, ft_task_setup *ts, const ft_train_data *train,
                            const ft_dataset *eval, int nnames, char **names)
{
    const ft_train_args *a = &f->a;
    char *cfgpath = ft_xasprintf("%s/config.json", dir);
    json_t *tasks = ts->masked_lm || ts->span_corruption ? NULL
                  : multi_task(train->ds, eval, cfgpath, f->task_labels.v, f->task_labels.n);
    if (tasks && (f->num_labels || names)) ft_die("several tasks: give their labels with --task-labels, not --num-labels/--labels");
    if (!tasks && (f->task.task_weights || a->task_sampling || f->task_labels.n))
        ft_die("--task-* options need records of several tasks (ft-tokenize --task NAME)");
    ft_model *m = ft_model_open(f->scratch ? cfgpath : dir, ts->task, nnames, tasks, f->scratch, a->seed);
    free(cfgpath);
    json_decref(tasks);
    ft_task_setup_attach(ts, m, dir, &f->task);
    if (f->checkpointing) ft_model_gradient_checkpointing(m);
    if (names) ft_model_set_label_names(m, nnames, (const char *const *)names);
    if (f->adapter && f->lora) ft_die("--adapter continues an adapter with its own config; drop the --lora-* flags");
    if (f->adapter) ft_lora_load(m, f->adapter);
    else if (f->lora) ft_lora_attach(m, &f->lc, a->seed);
    if (m->lora) {
        if (!m->lora->base_model) m->lora->base_model = ft_xstrdup(f->model);
        char line[256];
        ft_lora_trainable_line(m, line, sizeof line);
        if (ft_dist_main()) fprintf(stderr, "%s\n", line);
    }
    return m;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_dist_init(&argc, &argv);         /* one rank of several under mpirun */
    flags f;
    int first = parse_flags(&f, argc, argv);
    if (f.span_block) return print_span_block(&f);
    if (!f.model) ft_die("--model DIR is required (see --help)");
    if (!f.a.output_dir) ft_die("--output-dir DIR is required");
    char *dir = ft_resolve_model_dir(f.model);
    ft_task_setup *ts = ft_task_setup_new(&f.task, dir);
    if ((ts->masked_lm || ts->span_corruption) && (f.num_labels || f.labels_file || f.task_labels.n))
        ft_die("--task %s predicts tokens: --num-labels, --labels and --task-labels do not apply", ts->flag_task);
    int nnames = 0;
    char **names = f.labels_file ? read_lines(f.labels_file, &nnames) : NULL;
    if (names && f.num_labels && f.num_labels != nnames)
        ft_die("--num-labels %d but %s names %d labels", f.num_labels, f.labels_file, nnames);
    if (!names) nnames = f.num_labels;

    ft_dataset *eval;
    ft_train_data *train = load_data(&f, dir, argc - first, argv + first, &eval);
    ft_model *m = open_model(&f, dir, ts, train, eval, nnames, names);
    const char *train_path = first < argc ? argv[first] : "-";
    if (train->ds) ft_check_dataset_fits(m, train->ds, train_path);
    else ft_check_batches_fit(m, train->batches, train->nbatches, train_path);
    if (eval) ft_check_dataset_fits(m, eval, f.eval_path);

    int rc = ft_train(m, ts, train, eval, &f.a);
    if (rc == 0 && ft_dist_main()) {
        ft_copy_tokenizer_files(dir, f.a.output_dir);
        ft_warn("model written to %s", f.a.output_dir);
    }
    for (int i = 0; names && i < nnames; i++) free(names[i]);
    free(names);
    free(f.task_labels.v);
    free(dir);
    ft_model_free(m);
    ft_task_setup_free(ts);
    ft_train_data_free(train);
    ft_dataset_free(eval);
    ft_dist_finalize();
    return rc;
}
