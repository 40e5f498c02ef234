/* model: architecture dispatch, loading and saving in HF layout.  See model.h. */
#define _GNU_SOURCE
#include "model.h"
#include "ops.h"
#include "bert.h"
#include "gpt2.h"
#include "llama.h"
#include "lora.h"
#include "t5.h"
#include "checkpoint.h"
#include "util.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The model families, one line each. */
static const ft_family *const families[] = { &ft_bert_family, &ft_gpt2_family, &ft_t5_family, &ft_llama_family,
    &ft_mistral_family, &ft_qwen2_family, &ft_qwen3_family, NULL };

const ft_family *const *ft_families(void) { return families; }

const ft_family *ft_family_of(const char *model_type)
{
    for (const ft_family *const *f = families; *f && model_type; f++)
        if (!strcmp((*f)->model_type, model_type)) return *f;
    return NULL;
}

int ft_task_parse(const char *s)
{
    if (!strcmp(s, "seq-cls") || !strcmp(s, "sequence-classification")) return FT_TASK_SEQ_CLS;
    if (!strcmp(s, "causal-lm")) return FT_TASK_CAUSAL_LM;
    if (!strcmp(s, "seq2seq")) return FT_TASK_SEQ2SEQ;
    if (!strcmp(s, "masked-lm") || !strcmp(s, "fill-mask")) return FT_TASK_MASKED_LM;
    return -1;
}


const char *ft_task_of_config(const ft_config *c)
{
    json_t *a = json_array_get(json_object_get(c->json, "architectures"), 0);
    const char *arch = json_is_string(a) ? json_string_value(a) : "";
    if (ft_ends_with(arch, "ForMaskedLM")) return "masked-lm";
    if (ft_ends_with(arch, "LMHeadModel") || ft_ends_with(arch, "ForCausalLM")) return "causal-lm";
    if (ft_ends_with(arch, "ForConditionalGeneration")) return "seq2seq";
    if (*arch) return "seq-cls";
    const ft_family *f = ft_family_of(ft_config_str(c, "model_type", ""));
    return f ? f->default_task : "seq-cls";
}

int ft_config_is_encoder_decoder(const ft_config *c)
{
    json_t *v = json_object_get(c->json, "is_encoder_decoder");
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v))
            ft_die("%s: \"is_encoder_decoder\" is not true or false", c->path ? c->path : "config");
        return json_is_true(v);
    }
    const ft_family *f = ft_family_of(ft_config_str(c, "model_type", ""));
    return f ? f->encoder_decoder : 0;
}

static enum ft_task task_or_die(const char *s)
{
    int t = ft_task_parse(s ? s : "seq-cls");
    if (t < 0) ft_die("unknown task \"%s\" (seq-cls, causal-lm, seq2seq, masked-lm)", s);
    return (enum ft_task)t;
}

ft_model *ft_model_new(ft_config *cfg, enum ft_task task, int num_labels, uint64_t seed)
{
    const char *mt = ft_config_str(cfg, "model_type", NULL);
    if (!mt) ft_die("%s: no model_type", cfg->path);
    const ft_family *f = ft_family_of(mt);
    if (!f) {
        char list[256] = "";
        for (const ft_family *const *g = families; *g; g++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", g == families ? "" : ", ", (*g)->model_type);
        ft_die("%s: model_type \"%s\" is not supported yet (%s)", cfg->path, mt, list);
    }
    ft_blas_reserve();
    ft_model *m = f->new_model(cfg, task, num_labels, seed);
    m->family = f;
    return m;
}

static void init_all(ft_model *m)
{
    for (int i = 0; i < m->params.n; i++) m->vt->init_param(m, i, m->seed);
}

ft_model *ft_model_open(const char *name_or_dir, const char *task, int num_labels, json_t *tasks,
                        int scratch, uint64_t seed)
{
    char *dir = scratch ? NULL : ft_resolve_model_dir(name_or_dir);
    char *cp = scratch ? ft_xstrdup(name_or_dir) : ft_xasprintf("%s/config.json", dir);
    ft_config *cfg = ft_config_load(cp);
    free(cp);
    if (tasks) json_object_set(cfg->json, "ft_tasks", tasks);
    ft_model *m = ft_model_new(cfg, task_or_die(task), num_labels, seed);
    /* Initialise everything as HF does, then overwrite what the file has:
       each tensor has its own init stream, so the result equals initialising
       only the missing ones. */
    init_all(m);
    if (scratch) return m;
    ft_checkpoint *ck = ft_checkpoint_open(dir);
    if (!ck) {
        char *bin = ft_xasprintf("%s/pytorch_model.bin", dir);
        struct stat st;
        if (stat(bin, &st) == 0)
            ft_die("%s: only pytorch_model.bin; ft reads safetensors (convert it with "
                   "transformers: model.save_pretrained(dir, safe_serialization=True))", dir);
        ft_die("%s: no model.safetensors or model.safetensors.index.json", dir);
    }
    int *loaded = ft_xcalloc(m->params.n, sizeof *loaded);
    ft_checkpoint_load_ex(ck, &m->params, m->base_prefix, m->arch, loaded, 0, m->ignore_keys);
    if (m->vt->after_load) m->vt->after_load(m, ck, loaded);
    /* A classifier of another size (num_labels changed) cannot be loaded;
       ft_checkpoint_load dies on the shape mismatch, like from_pretrained. */
    free(loaded);
    ft_checkpoint_close(ck);
    free(dir);
    return m;
}

ft_model *ft_model_new_from_config(const char *config_path, const char *task, int num_labels, uint64_t seed)
{
    return ft_model_open(config_path, task, num_labels, NULL, 1, seed);
}

ft_model *ft_model_load(const char *name_or_dir, const char *task, int num_labels, uint64_t seed)
{
    return ft_model_open(name_or_dir, task, num_labels, NULL, 0, seed);
}

int ft_model_head(const ft_model *m, const char *name)
{
    for (int t = 0; t < m->ntasks; t++)
        if (!strcmp(m->heads[t].name, name)) return t;
    return -1;
}

void ft_model_free(ft_model *m)
{
    if (!m) return;
    m->vt->free(m);
    ft_lora_free(m->lora);
    for (int t = 0; t < m->ntasks; t++) {
        for (int i = 0; i < m->heads[t].num_labels; i++) free(m->heads[t].id2label[i]);
        free(m->heads[t].id2label);
        free(m->heads[t].name);
    }
    free(m->heads);
    ft_params_free(&m->params);
    ft_config_free(m->cfg);
    free(m);
}

float ft_model_forward_train(ft_model *m, const ft_batch *b, int train)
{
    return m->vt->forward(m, b, train, 1, NULL);
}

void ft_model_backward(ft_model *m, const ft_batch *b)
{
    m->vt->backward(m, b);
}

float ft_model_forward_backward(ft_model *m, const ft_batch *b, int train)
{
    float loss = ft_model_forward_train(m, b, train);
    ft_model_backward(m, b);
    return loss;
}

float ft_model_forward(ft_model *m, const ft_batch *b, float *logits_out)
{
    return m->vt->forward(m, b, 0, 0, logits_out);
}

int ft_model_param_head(const ft_model *m, int idx)
{
    return m->vt->param_head ? m->vt->param_head(m, idx) : -1;
}

void ft_model_gradient_checkpointing(ft_model *m)
{
    if (!m->family || !m->family->gradient_checkpointing)
        ft_die("--gradient-checkpointing: not supported for %s yet (the Llama family has it)",
               m->family ? m->family->name : m->arch);
    m->gradient_checkpointing = 1;
}

void ft_model_reserve(ft_model *m, int B, int T) { m->vt->reserve(m, B, T); }
double ft_model_flops(const ft_model *m, int B, int T) { return m->vt->flops(m, B, T); }

const char *ft_model_label_name(const ft_model *m, int i)
{
    return i >= 0 && i < m->cfg->num_labels ? m->cfg->id2label[i] : NULL;
}

void ft_model_set_label_names(ft_model *m, int n, const char *const *names)
{
    if (n != m->num_labels) ft_die("%d label names for a model with %d labels", n, m->num_labels);
    ft_config_set_labels(m->cfg, n, names);
}

void ft_model_save(ft_model *m, const char *dir)
{
    if (m->lora) { ft_lora_save(m, dir); return; }
    ft_mkdir_p(dir);
    if (!m->cfg->problem_type && m->task == FT_TASK_SEQ_CLS) {
        static const char *names[] = { "single_label_classification", "multi_label_classification", "regression" };
        ft_config_set_str(m->cfg, "problem_type", names[m->problem]);
    }
    json_object_set_new(m->cfg->json, "torch_dtype", json_string("float32"));
    char *p = ft_xasprintf("%s/model.safetensors", dir);
    ft_checkpoint_save_params(&m->params, p);
    free(p);
    p = ft_xasprintf("%s/config.json", dir);
    ft_config_save(m->cfg, m->arch, p);
    free(p);
}

void ft_model_load_weights(ft_model *m, const char *dir)
{
    if (m->lora) { ft_lora_load_weights(m, dir); return; }
    ft_checkpoint *ck = ft_checkpoint_open(dir);
    if (!ck) ft_die("%s: no model weights", dir);
    int *loaded = ft_xcalloc(m->params.n, sizeof *loaded);
    ft_checkpoint_load_ex(ck, &m->params, m->base_prefix, m->arch, loaded, 1, m->ignore_keys);
    for (int i = 0; i < m->params.n; i++)
        if (!loaded[i]) ft_die("%s: checkpoint lacks %s", dir, m->params.p[i].name);
    free(loaded);
    ft_checkpoint_close(ck);
}
