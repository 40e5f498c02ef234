/* ft-merge-lora: fold a LoRA adapter into its base model (PEFT's
   merge_and_unload) and write a plain Hugging Face checkpoint. */
#include "checkpoint.h"
#include "lora.h"
#include "opts.h"
#include "model.h"
#include "publish.h"
#include "util.h"
#include <dirent.h>
#include <jansson.h>
#include <string.h>

static const char usage[] =
"usage: ft-merge-lora --base DIR --adapter DIR --output-dir DIR\n"
"Adds scale·B·A of every adapted layer to its base weight (transposed for\n"
"GPT-2's Conv1D), keeps trained biases and modules_to_save, and writes\n"
"config.json + model.safetensors with the base's tokenizer files to\n"
"--output-dir.  Refuses an adapter whose tensors do not fit the base.\n"
"The directory appears whole (built beside it, then renamed); an earlier\n"
"model there is replaced, any other non-empty directory refused.\n"
"  -h, --help   show this help\n";

static int is_empty_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n == 0;
}

static const char *task_of(const char *adapter)
{
    char *p = ft_xasprintf("%s/adapter_config.json", adapter);
    json_error_t e;
    json_t *j = json_load_file(p, 0, &e);
    if (!j) ft_die("%s:%d: %s", p, e.line, e.text);
    const char *tt = json_string_value(json_object_get(j, "task_type"));
    const char *task = !tt || !strcmp(tt, "CAUSAL_LM") ? "causal-lm"
                     : !strcmp(tt, "SEQ_CLS") ? "seq-cls"
                     : !strcmp(tt, "SEQ_2_SEQ_LM") ? "seq2seq" : NULL;
    if (!task) ft_die("%s: task_type %s is not supported", p, tt);
    json_decref(j);
    free(p);
    return task;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    const char *base = NULL, *adapter = NULL, *out = NULL;
    const ft_opt opts[] = {
        {"base", FT_OPT_STR, .dst = &base}, {"adapter", FT_OPT_STR, .dst = &adapter},
        {"output-dir", FT_OPT_STR, .dst = &out}, {"help", FT_OPT_HELP, .short_name = 'h'}, {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (!base || !adapter || !out) ft_die("--base, --adapter and --output-dir are required (see --help)");
    if (first < argc) ft_die("unexpected argument '%s'", argv[first]);
    char *dir = ft_resolve_model_dir(base);
    ft_model *m = ft_model_load(dir, task_of(adapter), 0, 42);
    ft_lora_load(m, adapter);
    int layers = m->lora->n;
    ft_lora_merge(m);
    /* the merged model appears whole or not at all: built beside OUT,
       published by rename; an earlier model there is replaced as a whole */
    ft_sweep_dead_temps_of(out);
    if (ft_is_dir(out) && !is_empty_dir(out) && !ft_is_model_dir(out))
        ft_die("%s: exists and holds no model (config.json with weights); not replaced", out);
    char *tmp = ft_tmp_name(out);
    ft_rm_rf(tmp);
    ft_tmp_dir_begin(tmp);
    ft_model_save(m, tmp);
    ft_copy_tokenizer_files(dir, tmp);
    ft_dir_publish(tmp, out);
    free(tmp);
    ft_warn("merged %d adapted layers into %s", layers, out);
    ft_model_free(m);
    free(dir);
    return 0;
}
