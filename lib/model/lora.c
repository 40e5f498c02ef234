/* lora: adapters on linear layers, PEFT's semantics and file layout.  See lora.h. */
#define _GNU_SOURCE
#include "lora.h"
#include "regex.h"
#include "checkpoint.h"
#include "ops.h"
#include "rng.h"
#include "safetensors.h"
#include "publish.h"
#include "util.h"
#include <cblas.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PEFT_PREFIX "base_model.model."

void ft_lora_config_default(ft_lora_config *c)
{
    memset(c, 0, sizeof *c);
    c->r = 8;
    c->alpha = 8;
}

int ft_lora_bias_parse(const char *s)
{
    if (!strcmp(s, "none")) return FT_LORA_BIAS_NONE;
    if (!strcmp(s, "all")) return FT_LORA_BIAS_ALL;
    if (!strcmp(s, "lora_only")) return FT_LORA_BIAS_ONLY;
    return -1;
}
static const char *bias_names[] = { "none", "all", "lora_only" };

static char **split_list(const char *s, int *n)
{
    char **out = NULL;
    *n = 0;
    if (!s) return NULL;
    char *dup = ft_xstrdup(s), *save = NULL;
    for (char *tok = strtok_r(dup, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        out = ft_xrealloc(out, (*n + 1) * sizeof *out);
        out[(*n)++] = ft_xstrdup(tok);
    }
    free(dup);
    return out;
}

/* PEFT's check_target_module_exists: a string is a Python regex that must match the
   whole name (re.fullmatch); a list matches a name exactly or as a dotted suffix. */
static int name_matches(const char *name, char **list, int n)
{
    size_t nl = strlen(name);
    for (int i = 0; i < n; i++) {
        size_t k = strlen(list[i]);
        if (!strcmp(name, list[i])) return 1;
        if (nl > k && name[nl - k - 1] == '.' && !strcmp(name + nl - k, list[i])) return 1;
    }
    return 0;
}

static int regex_full(const char *pattern, const char *name)
{
    char *err = NULL;
    int ok = ft_regex_fullmatch(pattern, name, &err);
    if (ok < 0) ft_die("--target-modules: bad regex '%s': %s", pattern, err);
    return ok;
}

static int is_regex(const char *s) { return strpbrk(s, "*+?[]()|\\^$") != NULL; }

/* Append tensors to a table that is already allocated: a new data buffer
   holding the old values, and a new gradient buffer that is zeroed only for
   trainable tensors (frozen ranges are never touched, so a large frozen model
   costs no resident gradient memory). */
static void grow_params(ft_params *ps, int nnew, char **names, int64_t (*shapes)[2])
{
    float *old = ps->data;
    free(ps->grad);
    ps->data = NULL;
    ps->grad = NULL;
    size_t old_total = ps->total;
    for (int i = 0; i < nnew; i++) ft_params_add(ps, names[i], 2, shapes[i], ft_hf_no_decay(names[i], NULL));
    /* realloc grows a large buffer in place (mremap), so the base weights
       are not held twice while the adapter is added; a block that comes back
       off the 64-byte alignment is copied once more into an aligned one */
    ft_gemm_weights_forget(old, old_total);
    float *d = realloc(old, ps->total * sizeof(float));
    void *g = NULL;
    if (!d || posix_memalign(&g, 64, ps->total * sizeof(float))) ft_die("out of memory adding LoRA parameters");
    if ((uintptr_t)d % 64) {
        void *a = NULL;
        if (posix_memalign(&a, 64, ps->total * sizeof(float))) ft_die("out of memory adding LoRA parameters");
        memcpy(a, d, old_total * sizeof(float));
        free(d);
        d = a;
    }
    memset(d + old_total, 0, (ps->total - old_total) * sizeof(float));
    ps->data = d;
    ft_gemm_weights(d, ps->total);
    ps->grad = g;
}

static void zero_trainable_grads(ft_params *ps)
{
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i].trainable) memset(ps->grad + ps->p[i].offset, 0, ps->p[i].numel * sizeof(float));
}

static char *module_of(const char *wname)
{
    size_t n = strlen(wname);
    return ft_xasprintf("%.*s", (int)(n - 7), wname);   /* drop ".weight" */
}

/* PEFT's INCLUDE_LINEAR_LAYERS_SHORTHAND, compared case-insensitively as PEFT does. */
static int is_all_linear(const char *s) { return !strcasecmp(s, "all-linear"); }

/* "all-linear" resolved as PEFT's _maybe_include_all_linear_layers: the full
   name of every linear layer, less the output layer (get_output_embeddings)
   and, for SEQ_CLS, the classifier head.  A family's linear_kind marks
   neither (they have no LoRA hooks), so the marked layers are the set; PEFT
   saves that resolved set in adapter_config.json, and so does ft. */
static char **all_linear_modules(const ft_model *m, int *n)
{
    char **out = NULL;
    *n = 0;
    for (int i = 0; i < m->params.n; i++) {
        if (!m->vt->linear_kind(m, i)) continue;
        out = ft_xrealloc(out, (*n + 1) * sizeof *out);
        out[(*n)++] = module_of(m->params.p[i].name);
    }
    return out;
}

static int is_bias(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && !strcmp(name + n - 5, ".bias");
}

ft_lora *ft_lora_attach(ft_model *m, const ft_lora_config *cfg, uint64_t seed)
{
    if (m->lora) ft_die("internal: model already has an adapter");
    if (!m->vt->linear_kind) ft_die("LoRA is not available for %s", m->arch);
    if (cfg->r <= 0) ft_die("--lora-r must be positive");
    ft_params *ps = &m->params;
    ft_lora *lo = ft_xcalloc(1, sizeof *lo);
    lo->cfg = *cfg;
    lo->ps_ = ps;
    const char *tm = cfg->target_modules;
    if (!tm) {
        tm = m->family ? m->family->lora_targets : NULL;
        if (!tm) ft_die("--target-modules is required for model_type %s", ft_config_str(m->cfg, "model_type", ""));
    }
    lo->cfg.target_modules = ft_xstrdup(tm);
    lo->is_regex = !is_all_linear(tm) && is_regex(tm);
    if (is_all_linear(tm)) lo->targets = all_linear_modules(m, &lo->ntargets);
    else if (!lo->is_regex) lo->targets = split_list(tm, &lo->ntargets);
    lo->save = split_list(cfg->modules_to_save, &lo->nsave);
    const char *head = m->family ? m->family->cls_head : NULL;
    if (m->task == FT_TASK_SEQ_CLS && head && !name_matches(head, lo->save, lo->nsave)) {
        /* PEFT's SEQ_CLS task type keeps the new head trainable */
        lo->save = ft_xrealloc(lo->save, (lo->nsave + 1) * sizeof *lo->save);
        lo->save[lo->nsave++] = ft_xstrdup(head);
    }
    lo->cfg.modules_to_save = NULL;
    lo->nparams_base = ps->n;
    lo->by_weight = ft_xmalloc(ps->n * sizeof *lo->by_weight);
    int nl = 0;
    for (int i = 0; i < ps->n; i++) {
        lo->by_weight[i] = -1;
        int kind = m->vt->linear_kind(m, i);
        if (!kind) continue;
        char *mod = module_of(ps->p[i].name);
        int hit = lo->is_regex ? regex_full(tm, mod) : name_matches(mod, lo->targets, lo->ntargets);
        if (!hit) { free(mod); continue; }
        lo->L = ft_xrealloc(lo->L, (nl + 1) * sizeof *lo->L);
        ft_lora_layer *L = &lo->L[nl];
        memset(L, 0, sizeof *L);
        L->module = mod;
        L->w = i;
        char *bn = ft_xasprintf("%s.bias", mod);
        L->b = ft_params_find(ps, bn);
        free(bn);
        L->conv1d = kind == 2;
        L->in = (int)(L->conv1d ? ps->p[i].shape[0] : ps->p[i].shape[1]);
        L->out = (int)(L->conv1d ? ps->p[i].shape[1] : ps->p[i].shape[0]);
        L->r = cfg->r;
        L->scale = cfg->use_rslora ? cfg->alpha / sqrtf((float)cfg->r) : cfg->alpha / (float)cfg->r;
        L->p = cfg->dropout;
        lo->by_weight[i] = nl++;
    }
    lo->n = nl;
    if (!nl) ft_die("Target modules %s not found in the base model (%s)", tm, m->arch);
    /* freeze the base, then add A and B */
    for (int i = 0; i < ps->n; i++) {
        ft_param *p = &ps->p[i];
        p->trainable = 0;
        if (cfg->bias == FT_LORA_BIAS_ALL && is_bias(p->name)) p->trainable = 1;
        char *mod = ft_xstrdup(p->name);
        char *dot = strrchr(mod, '.');
        if (dot) *dot = 0;
        if (lo->nsave && name_matches(mod, lo->save, lo->nsave)) p->trainable = 1;
        free(mod);
    }
    if (cfg->bias == FT_LORA_BIAS_ONLY)
        for (int l = 0; l < nl; l++) if (lo->L[l].b >= 0) ps->p[lo->L[l].b].trainable = 1;
    char **names = ft_xcalloc(2 * nl, sizeof *names);
    int64_t (*shapes)[2] = ft_xcalloc(2 * nl, sizeof *shapes);
    for (int l = 0; l < nl; l++) {
        ft_lora_layer *L = &lo->L[l];
        names[2 * l] = ft_xasprintf("%s.lora_A.weight", L->module);
        shapes[2 * l][0] = L->r; shapes[2 * l][1] = L->in;
        names[2 * l + 1] = ft_xasprintf("%s.lora_B.weight", L->module);
        shapes[2 * l + 1][0] = L->out; shapes[2 * l + 1][1] = L->r;
    }
    grow_params(ps, 2 * nl, names, shapes);
    for (int l = 0; l < nl; l++) {
        ft_lora_layer *L = &lo->L[l];
        L->A = lo->nparams_base + 2 * l;
        L->B = L->A + 1;
        /* kaiming_uniform_(a=sqrt(5)) on [r,in]: U(-1/sqrt(in), 1/sqrt(in)) */
        ft_rng r;
        ft_rng_seed(&r, ft_key_mix(seed, ft_hash64(names[2 * l], strlen(names[2 * l]), 1)));
        float bound = 1.0f / sqrtf((float)L->in), *a = ft_param_data(ps, L->A);
        for (size_t j = 0; j < ps->p[L->A].numel; j++) a[j] = (float)((2 * ft_rng_uniform(&r) - 1) * bound);
        free(names[2 * l]);
        free(names[2 * l + 1]);
    }
    free(names);
    free(shapes);
    zero_trainable_grads(ps);
    m->lora = lo;
    return lo;
}

void ft_lora_free(ft_lora *lo)
{
    if (!lo) return;
    for (int l = 0; l < lo->n; l++) {
        free(lo->L[l].module); free(lo->L[l].t); free(lo->L[l].dt);
    }
    for (int i = 0; i < lo->ntargets; i++) free(lo->targets[i]);
    for (int i = 0; i < lo->nsave; i++) free(lo->save[i]);
    free(lo->targets); free(lo->save); free(lo->L); free(lo->by_weight); free(lo->xd);
    free((char *)lo->cfg.target_modules);
    free(lo->base_model);
    free(lo);
}

/* ---- hooks ---- */

static void ensure(ft_lora *lo, ft_lora_layer *L, int N)
{
    if ((size_t)N * L->in > lo->xd_cap) {
        lo->xd_cap = (size_t)N * L->in;
        free(lo->xd);
        lo->xd = ft_xmalloc(lo->xd_cap * sizeof(float));
    }
    if ((size_t)N <= L->capN) return;
    L->capN = N;
    free(L->t); free(L->dt);
    L->t = ft_xmalloc((size_t)N * L->r * sizeof(float));
    L->dt = ft_xmalloc((size_t)N * L->r * sizeof(float));
}

void ft_lora_fwd_(ft_lora *lo, int layer, float *out, int ldo, const float *in, int N,
                  int train, uint64_t key)
{
    ft_lora_layer *L = &lo->L[layer];
    ensure(lo, L, N);
    L->train = train && L->p > 0;
    L->key = key;
    const float *x = in;
    if (L->train) { ft_dropout_fwd(lo->xd, in, (size_t)N * L->in, L->p, key); x = lo->xd; }
    const ft_params *ps = lo->ps_;
    ft_sgemm(0, 1, N, L->r, L->in, 1.0f, x, L->in,
             ft_param_data(ps, L->A), L->in, 0.0f, L->t, L->r);
    ft_sgemm(0, 1, N, L->out, L->r, L->scale, L->t, L->r,
             ft_param_data(ps, L->B), L->r, 1.0f, out, ldo);
}

void ft_lora_bwd_(ft_lora *lo, int layer, float *din, const float *dout, int ldo,
                  const float *in, int N)
{
    ft_lora_layer *L = &lo->L[layer];
    const ft_params *ps = lo->ps_;
    if ((size_t)N > L->capN) ft_die("internal: LoRA backward without its forward");
    float *dA = ps->p[L->A].trainable ? ft_param_grad(ps, L->A) : NULL;
    float *dB = ps->p[L->B].trainable ? ft_param_grad(ps, L->B) : NULL;
    if (dB)
        ft_sgemm(1, 0, L->out, L->r, N, L->scale, dout, ldo,
                 L->t, L->r, 1.0f, dB, L->r);
    ft_sgemm(0, 0, N, L->r, L->out, L->scale, dout, ldo,
             ft_param_data(ps, L->B), L->r, 0.0f, L->dt, L->r);
    const float *x = in;
    if (L->train && dA) { ft_dropout_fwd(lo->xd, in, (size_t)N * L->in, L->p, L->key); x = lo->xd; }
    if (dA)
        ft_sgemm(1, 0, L->r, L->in, N, 1.0f, L->dt, L->r,
                 x, L->in, 1.0f, dA, L->in);
    if (!din) return;
    if (L->train) {
        ft_sgemm(0, 0, N, L->in, L->r, 1.0f, L->dt, L->r,
                 ft_param_data(ps, L->A), L->in, 0.0f, lo->xd, L->in);
        ft_dropout_bwd(din, lo->xd, (size_t)N * L->in, L->p, L->key);
    } else
        ft_sgemm(0, 0, N, L->in, L->r, 1.0f, L->dt, L->r,
                 ft_param_data(ps, L->A), L->in, 1.0f, din, L->in);
}

/* ---- merge: fp32 weight arithmetic (sgemm directly), never bf16 ---- */

void ft_lora_merge(ft_model *m)
{
    ft_lora *lo = m->lora;
    if (!lo) return;
    ft_params *ps = &m->params;
    for (int l = 0; l < lo->n; l++) {
        ft_lora_layer *L = &lo->L[l];
        float *W = ft_param_data(ps, L->w);
        const float *A = ft_param_data(ps, L->A), *B = ft_param_data(ps, L->B);
        if (L->conv1d)      /* W[in,out] += scale·A^T·B^T */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, L->in, L->out, L->r, L->scale,
                        A, L->in, B, L->r, 1.0f, W, L->out);
        else                /* W[out,in] += scale·B·A */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L->out, L->in, L->r, L->scale,
                        B, L->r, A, L->in, 1.0f, W, L->in);
    }
    for (int i = lo->nparams_base; i < ps->n; i++) free(ps->p[i].name);
    ps->n = lo->nparams_base;
    for (int i = 0; i < ps->n; i++) ps->p[i].trainable = 1;
    ft_lora_free(lo);
    m->lora = NULL;
}

/* ---- files ---- */

static int saved_param(const ft_model *m, int i)
{
    const ft_lora *lo = m->lora;
    return i >= lo->nparams_base || m->params.p[i].trainable;
}

void ft_lora_save(ft_model *m, const char *dir)
{
    ft_lora *lo = m->lora;
    ft_params *ps = &m->params;
    ft_mkdir_p(dir);
    ft_st_writer *w = ft_st_writer_new();
    ft_st_writer_meta(w, "format", "pt");
    for (int i = 0; i < ps->n; i++) {
        if (!saved_param(m, i)) continue;
        char *k = ft_xasprintf(PEFT_PREFIX "%s", ps->p[i].name);
        ft_st_writer_add(w, k, ps->p[i].ndim, ps->p[i].shape, ft_param_data(ps, i));
        free(k);
    }
    char *p = ft_xasprintf("%s/adapter_model.safetensors", dir);
    ft_st_writer_write(w, p);
    ft_st_writer_free(w);
    free(p);

    json_t *j = json_object();
    int fifo = 0;
    for (int l = 0; l < lo->n; l++) fifo |= lo->L[l].conv1d;
    json_object_set_new(j, "alpha_pattern", json_object());
    json_object_set_new(j, "auto_mapping", json_null());
    json_object_set_new(j, "base_model_name_or_path", lo->base_model ? json_string(lo->base_model) : json_null());
    json_object_set_new(j, "bias", json_string(bias_names[lo->cfg.bias]));
    json_object_set_new(j, "fan_in_fan_out", json_boolean(fifo));
    json_object_set_new(j, "inference_mode", json_true());
    json_object_set_new(j, "init_lora_weights", json_true());
    json_object_set_new(j, "layers_pattern", json_null());
    json_object_set_new(j, "layers_to_transform", json_null());
    json_object_set_new(j, "lora_alpha", json_real(lo->cfg.alpha));
    json_object_set_new(j, "lora_dropout", json_real(lo->cfg.dropout));
    json_t *ms = json_null();
    if (lo->nsave) {
        ms = json_array();
        for (int i = 0; i < lo->nsave; i++) json_array_append_new(ms, json_string(lo->save[i]));
    }
    json_object_set_new(j, "modules_to_save", ms);
    json_object_set_new(j, "peft_type", json_string("LORA"));
    json_object_set_new(j, "r", json_integer(lo->cfg.r));
    json_object_set_new(j, "rank_pattern", json_object());
    json_object_set_new(j, "revision", json_null());
    if (lo->is_regex) json_object_set_new(j, "target_modules", json_string(lo->cfg.target_modules));
    else {
        json_t *t = json_array();
        for (int i = 0; i < lo->ntargets; i++) json_array_append_new(t, json_string(lo->targets[i]));
        json_object_set_new(j, "target_modules", t);
    }
    json_object_set_new(j, "task_type", json_string(m->task == FT_TASK_CAUSAL_LM ? "CAUSAL_LM" :
                                                    m->task == FT_TASK_SEQ2SEQ ? "SEQ_2_SEQ_LM" : "SEQ_CLS"));
    json_object_set_new(j, "use_dora", json_false());
    json_object_set_new(j, "use_rslora", json_boolean(lo->cfg.use_rslora));
    p = ft_xasprintf("%s/adapter_config.json", dir);
    ft_write_json(j, p, JSON_INDENT(2) | JSON_SORT_KEYS);
    free(p);
    json_decref(j);
}

/* The parameter a file tensor of an adapter feeds, or -1. */
static int map_adapter_name(const ft_model *m, const char *key)
{
    const char *k = strncmp(key, PEFT_PREFIX, strlen(PEFT_PREFIX)) == 0 ? key + strlen(PEFT_PREFIX) : key;
    char *nm = ft_xstrdup(k);
    /* older PEFT keeps the adapter name: lora_A.default.weight */
    char *d = strstr(nm, ".default.weight");
    if (d) memmove(d, d + 8, strlen(d + 8) + 1);
    int i = ft_params_find(&m->params, nm);
    if (i < 0 && m->base_prefix) {
        size_t pl = strlen(m->base_prefix);
        if (!strncmp(nm, m->base_prefix, pl)) i = ft_params_find(&m->params, nm + pl);
        else { char *p = ft_xasprintf("%s%s", m->base_prefix, nm); i = ft_params_find(&m->params, p); free(p); }
    }
    free(nm);
    return i;
}

void ft_lora_load_weights(ft_model *m, const char *dir)
{
    ft_params *ps = &m->params;
    char *p = ft_xasprintf("%s/adapter_model.safetensors", dir);
    struct stat st;
    if (stat(p, &st) != 0) {
        char *bin = ft_xasprintf("%s/adapter_model.bin", dir);
        if (stat(bin, &st) == 0) ft_die("%s: only adapter_model.bin; ft reads safetensors "
                                        "(save the adapter with safe_serialization=True)", dir);
        ft_die("%s: no adapter_model.safetensors", dir);
    }
    ft_st_file *f = ft_st_open(p);
    int *loaded = ft_xcalloc(ps->n, sizeof *loaded);
    for (int t = 0; t < f->n; t++) {
        const ft_st_tensor *tt = &f->t[t];
        int i = map_adapter_name(m, tt->name);
        if (i < 0) ft_die("%s: adapter tensor %s has no counterpart in the base model (%s)",
                          p, tt->name, m->arch);
        const ft_param *q = &ps->p[i];
        int same = tt->ndim == q->ndim;
        for (int d = 0; same && d < q->ndim; d++) same = tt->shape[d] == q->shape[d];
        if (!same) {
            char a[96] = "", b[96] = "";
            for (int d = 0; d < tt->ndim; d++) snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", d ? ", " : "", (long long)tt->shape[d]);
            for (int d = 0; d < q->ndim; d++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", d ? ", " : "", (long long)q->shape[d]);
            ft_die("%s: size mismatch for %s: shape [%s] in the adapter, [%s] in the base model",
                   p, tt->name, a, b);
        }
        ft_st_read_f32(f, tt, ft_param_data(ps, i));
        ft_gemm_weights_changed(ft_param_data(ps, i), q->numel);
        loaded[i] = 1;
    }
    for (int i = m->lora->nparams_base; i < ps->n; i++)
        if (!loaded[i]) ft_die("%s: adapter lacks %s%s", p, PEFT_PREFIX, ps->p[i].name);
    free(loaded);
    ft_st_close(f);
    free(p);
}

/* "a,b,c" from a JSON string or list of strings; NULL when absent. */
static char *comma_list(const char *p, const char *key, json_t *v)
{
    if (!v || json_is_null(v)) return NULL;
    if (json_is_string(v)) return ft_xstrdup(json_string_value(v));
    if (!json_is_array(v)) ft_die("%s: %s must be a string or a list of strings", p, key);
    char *list = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (!json_is_string(x)) ft_die("%s: %s[%zu] is not a string", p, key, i);
        char *t = ft_xasprintf("%s%s%s", list ? list : "", list ? "," : "", json_string_value(x));
        free(list);
        list = t;
    }
    return list;
}

void ft_lora_config_read(const char *p, ft_lora_config *c, char **base_model)
{
    json_error_t e;
    json_t *j = json_load_file(p, 0, &e);
    if (!j) ft_die("%s:%d: %s", p, e.line, e.text);
    if (!json_is_object(j)) ft_die("%s: not a JSON object", p);
    const char *pt = json_string_value(json_object_get(j, "peft_type"));
    if (pt && strcmp(pt, "LORA")) ft_die("%s: peft_type %s is not LORA", p, pt);
    ft_lora_config_default(c);
    json_t *v;
    if ((v = json_object_get(j, "r")) && json_is_integer(v)) {
        /* PEFT's r is a small rank; a huge one would only size allocations */
        if (json_integer_value(v) < 1 || json_integer_value(v) > 65536)
            ft_die("%s: r %lld is not a rank between 1 and 65536", p, (long long)json_integer_value(v));
        c->r = (int)json_integer_value(v);
    }
    if ((v = json_object_get(j, "lora_alpha")) && json_is_number(v)) c->alpha = (float)json_number_value(v);
    if ((v = json_object_get(j, "lora_dropout")) && json_is_number(v)) c->dropout = (float)json_number_value(v);
    if ((v = json_object_get(j, "use_rslora")) && json_is_true(v)) c->use_rslora = 1;
    const char *bias = json_string_value(json_object_get(j, "bias"));
    if (bias && (int)(c->bias = ft_lora_bias_parse(bias)) < 0) ft_die("%s: bias \"%s\" unknown", p, bias);
    if (json_object_size(json_object_get(j, "rank_pattern")) || json_object_size(json_object_get(j, "alpha_pattern")))
        ft_die("%s: rank_pattern / alpha_pattern are not supported", p);
    if ((v = json_object_get(j, "use_dora")) && json_is_true(v)) ft_die("%s: DoRA is not supported", p);
    c->target_modules = comma_list(p, "target_modules", json_object_get(j, "target_modules"));
    c->modules_to_save = comma_list(p, "modules_to_save", json_object_get(j, "modules_to_save"));
    const char *base = json_string_value(json_object_get(j, "base_model_name_or_path"));
    *base_model = base ? ft_xstrdup(base) : NULL;
    json_decref(j);
}

ft_lora *ft_lora_load(ft_model *m, const char *dir)
{
    char *p = ft_xasprintf("%s/adapter_config.json", dir), *base;
    ft_lora_config c;
    ft_lora_config_read(p, &c, &base);
    ft_lora *lo = ft_lora_attach(m, &c, 0);
    lo->base_model = base;
    free((char *)c.target_modules);
    free((char *)c.modules_to_save);
    free(p);
    ft_lora_load_weights(m, dir);
    return lo;
}

static void commas(char *buf, size_t n, size_t v)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%zu", v), o = 0;
    for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
}

void ft_lora_trainable_line(const ft_model *m, char *buf, size_t n)
{
    const ft_params *ps = &m->params;
    size_t train = ft_params_count(ps, 1), all = ft_params_count(ps, 0);
    /* PEFT keeps modules_to_save as a copy next to the original */
    if (m->lora)
        for (int i = 0; i < m->lora->nparams_base; i++)
            if (ps->p[i].trainable && !(is_bias(ps->p[i].name) && m->lora->cfg.bias != FT_LORA_BIAS_NONE))
                all += ps->p[i].numel;
    char a[32], b[32];
    commas(a, sizeof a, train);
    commas(b, sizeof b, all);
    snprintf(buf, n, "trainable params: %s || all params: %s || trainable%%: %.4f", a, b,
             all ? 100.0 * train / all : 0.0);
}

int ft_lora_supported(const ft_model *m)
{
    return m->vt->linear_kind != NULL;
}
