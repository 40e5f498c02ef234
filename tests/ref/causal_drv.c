/* Parity of any causal-LM family with a PyTorch reference, through the
 * generic ft_model API only.
 *   causal_drv DIR
 * DIR is what tests/ref/llama_ref.py writes for one model: model/ (config +
 * weights), adapter0/ (a PEFT adapter to start from), batch.safetensors
 * (input_ids, attention_mask, labels as F32 [B,T]), ref.safetensors and
 * meta.json (LoRA targets, learning rates, weight decay, clipping).
 * Checks, one "ok NAME" / "FAIL NAME" line each (NAME = meta's name + what):
 *   logits at real tokens, loss, the gradient of every parameter by name;
 *   the weights after 3 steps (clip_grad_norm, AdamW, constant lr);
 *   LoRA attached fresh with meta's targets (null: the family's default)
 *   and set to adapter0's A and B: logits, loss, gradients of A and B, the
 *   adapter after 3 steps, the merged weights; the same adapter loaded from
 *   adapter0/ (PEFT layout) gives the same logits.
 * Tolerances against the float64 reference (TOL_*): max |ft - ref| <=
 * TOL · max |ref| per tensor; after 3 AdamW steps plus, per element,
 * 3·lr·min(2, GRAD_NOISE·max|g| / |g_i|) with g the reference's first-step
 * gradient: Adam divides each step by the element's own gradient, so where
 * that is near zero (RoPE's slowest pair barely turns over 9 positions, which
 * leaves a k bias almost shift invariant) fp32 rounding becomes a share of
 * the step.  A check line prints the worst ratio of error to bound. */
#include "hf_config.h"
#include "lora.h"
#include "model.h"
#include "optim.h"
#include "safetensors.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL_LOGITS 2e-5
#define TOL_LOSS   2e-6
#define TOL_GRAD   1e-4
#define TOL_STEP   2e-5
#define TOL_MERGED 2e-5
#define GRAD_NOISE 1e-5

static ft_st_file *ref;
static const char *name;
static int failures;

static float *ref_tensor(const char *key, size_t *n)
{
    const ft_st_tensor *t = ft_st_find(ref, key);
    if (!t) return NULL;
    float *x = ft_xmalloc((t->numel ? t->numel : 1) * sizeof *x);
    ft_st_read_f32(ref, t, x);
    if (n) *n = t->numel;
    return x;
}

/* max over the elements where keep (NULL: all) of |a - b| / bound, bound =
   tol·max|b|, plus the Adam noise term (above) where g0 (the reference's
   first-step gradient) is given: <= 1 passes */
static double err_ratio(const float *a, const float *b, size_t n, const int32_t *keep, size_t row, double tol,
                        const float *g0, double lr)
{
    double scale = 0, gmax = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (keep && !keep[i / row]) continue;
        scale = fmax(scale, fabs(b[i]));
        if (g0) gmax = fmax(gmax, fabs(g0[i]));
    }
    double base = tol * (scale > 0 ? scale : 1);
    for (size_t i = 0; i < n; i++) {
        if (keep && !keep[i / row]) continue;
        double bound = base;
        if (g0) bound += 3 * lr * fmin(2.0, GRAD_NOISE * gmax / fmax(fabs(g0[i]), 1e-30));
        worst = fmax(worst, fabs((double)a[i] - b[i]) / bound);
    }
    return worst;
}

/* One check line; worst names the tensor with the largest error / bound. */
static void report(const char *what, double ratio, const char *worst, double tol, int missing)
{
    int ok = ratio <= 1 && !missing;
    printf("%s %s_%s\n", ok ? "ok" : "FAIL", name, what);
    if (!ok || getenv("FT_REF_VERBOSE"))
        printf("  %s: worst |ft - ref| / bound %.3g (%s), tolerance %.3g%s\n", what, ratio, worst ? worst : "-", tol,
               missing ? "; tensors missing from the reference or of another size" : "");
    failures += !ok;
}

/* Folds the comparison of got with the reference's KEY into *worst. */
static void cmp_tensor(const char *key, const float *got, size_t n, double tol, const char *gkey, double lr,
                       double *worst, char **worst_name, int *missing)
{
    size_t nr = 0, ng = 0;
    float *want = ref_tensor(key, &nr), *g0 = gkey ? ref_tensor(gkey, &ng) : NULL;
    if (!want || nr != n || (gkey && (!g0 || ng != n))) {
        printf("  %s: %s\n", key, want ? "size differs (or no first-step gradient)" : "not in the reference");
        (*missing)++;
    } else {
        double e = err_ratio(got, want, n, NULL, 1, tol, g0, lr);
        if (e > *worst || !*worst_name) { *worst = e; free(*worst_name); *worst_name = ft_xstrdup(key); }
    }
    free(want);
    free(g0);
}

/* Every reference tensor under prefix must be a parameter of the model. */
static int ref_count(const char *prefix)
{
    int c = 0;
    for (int i = 0; i < ref->n; i++) c += !strncmp(ref->t[i].name, prefix, strlen(prefix));
    return c;
}

/* Every tensor (grads: every trainable one's gradient) against PREFIX<name>;
   lr > 0: weights after Adam steps, bounded with grad.<name>. */
static void cmp_all(ft_params *ps, const char *prefix, int grads, const char *what, double tol, double lr)
{
    double worst = 0;
    char *wn = NULL;
    int missing = 0, n = 0;
    for (int i = 0; i < ps->n; i++) {
        if (grads && !ps->p[i].trainable) continue;
        char *k = ft_xasprintf("%s%s", prefix, ps->p[i].name), *gk = ft_xasprintf("grad.%s", ps->p[i].name);
        cmp_tensor(k, grads ? ft_param_grad(ps, i) : ft_param_data(ps, i), ps->p[i].numel, tol, lr > 0 ? gk : NULL,
                   lr, &worst, &wn, &missing);
        free(k); free(gk);
        n++;
    }
    if (ref_count(prefix) != n) {
        printf("  %s: the model has %d tensors, the reference %d\n", prefix, n, ref_count(prefix));
        missing++;
    }
    report(what, worst, wn, tol, missing);
    free(wn);
}

static int32_t *ids, *mask, *labels;
static ft_batch read_batch(const char *dir)
{
    char *p = ft_xasprintf("%s/batch.safetensors", dir);
    ft_st_file *f = ft_st_open(p);
    const ft_st_tensor *t = ft_st_find(f, "input_ids");
    if (!t || t->ndim != 2) ft_die("%s: no input_ids [B,T]", p);
    float *x = ft_xmalloc(t->numel * sizeof *x);
    int32_t **dst[3] = { &ids, &mask, &labels };
    const char *nm[3] = { "input_ids", "attention_mask", "labels" };
    for (int k = 0; k < 3; k++) {
        const ft_st_tensor *u = ft_st_find(f, nm[k]);
        if (!u || u->numel != t->numel) ft_die("%s: %s missing or not [B,T]", p, nm[k]);
        ft_st_read_f32(f, u, x);
        *dst[k] = ft_xmalloc(t->numel * sizeof(int32_t));
        for (size_t i = 0; i < t->numel; i++) (*dst[k])[i] = (int32_t)x[i];
    }
    ft_batch b = { .B = (int)t->shape[0], .T = (int)t->shape[1], .input_ids = ids, .attention_mask = mask,
                   .labels = labels, .Tl = (int)t->shape[1] };
    free(x);
    ft_st_close(f);
    free(p);
    return b;
}

/* logits at real tokens (pad queries see no key: implementation-defined) and loss */
static void cmp_logits_loss(ft_model *m, const ft_batch *b, const char *lk, const char *sk, const char *what)
{
    size_t n;
    float *want = ref_tensor(lk, &n), *wl = ref_tensor(sk, NULL);
    if (!want || !wl) ft_die("reference lacks %s or %s", lk, sk);
    int V = m->gen.vocab_size;
    float *got = ft_xmalloc(n * sizeof *got);
    char w[64];
    if (n != (size_t)b->B * b->T * V) {
        snprintf(w, sizeof w, "%s_shape", what);
        report(w, INFINITY, lk, 0, 1);
        free(got); free(want); free(wl);
        return;
    }
    float loss = ft_model_forward(m, b, got);
    snprintf(w, sizeof w, "%s_logits", what);
    report(w, err_ratio(got, want, n, mask, (size_t)V, TOL_LOGITS, NULL, 0), lk, TOL_LOGITS, 0);
    snprintf(w, sizeof w, "%s_loss", what);
    report(w, fabs(loss - wl[0]) / (TOL_LOSS * fabs(wl[0])), sk, TOL_LOSS, 0);
    free(got); free(want); free(wl);
}

static void train_steps(ft_model *m, const ft_batch *b, float lr, float wd, float max_norm)
{
    ft_params *ps = ft_model_params(m);
    ft_adamw *o = ft_adamw_new(ps, wd);
    for (int s = 0; s < 3; s++) {
        ft_params_zero_grad(ps);
        ft_model_forward_backward(m, b, 0);
        ft_clip_grad_norm(ps, max_norm);
        ft_adamw_step(o, ps, lr);
    }
    ft_adamw_free(o);
}

static void full_model(const char *dir, const ft_config *meta, const ft_batch *b)
{
    char *md = ft_xasprintf("%s/model", dir);
    ft_model *m = ft_model_load(md, "causal-lm", 0, 1);
    cmp_logits_loss(m, b, "logits", "loss", "base");
    ft_params *ps = ft_model_params(m);
    ft_params_zero_grad(ps);
    ft_model_forward_backward(m, b, 0);
    cmp_all(ps, "grad.", 1, "grads", TOL_GRAD, 0);
    double lr = ft_config_num(meta, "lr", 0);
    train_steps(m, b, (float)lr, (float)ft_config_num(meta, "weight_decay", 0),
                (float)ft_config_num(meta, "max_grad_norm", 0));
    cmp_all(ps, "step3.", 0, "adamw_3_steps", TOL_STEP, lr);
    ft_model_free(m);
    free(md);
}

/* The adapter's A and B from the reference (lora_init_A.<module>, lora_init_B.<module>). */
static int set_adapter(ft_model *m)
{
    ft_params *ps = ft_model_params(m);
    int bad = 0;
    for (int l = 0; l < m->lora->n; l++) {
        ft_lora_layer *L = &m->lora->L[l];
        for (int j = 0; j < 2; j++) {
            char *k = ft_xasprintf("lora_init_%c.%s", j ? 'B' : 'A', L->module);
            int idx = j ? L->B : L->A;
            size_t n;
            float *x = ref_tensor(k, &n);
            if (!x || n != ps->p[idx].numel) { printf("  %s: missing or of another size\n", k); bad++; }
            else memcpy(ft_param_data(ps, idx), x, n * sizeof *x);
            free(k); free(x);
        }
    }
    return bad;
}

/* A and B of every adapted layer against the reference's PREFIX_A./PREFIX_B.<module>;
   lr > 0: after Adam steps, bounded with lora_grad_A/B (the first step's). */
static void cmp_adapter(ft_model *m, const char *prefix, int grads, const char *what, double tol, double lr)
{
    ft_params *ps = ft_model_params(m);
    double worst = 0;
    char *wn = NULL;
    int missing = 0;
    for (int l = 0; l < m->lora->n; l++) {
        ft_lora_layer *L = &m->lora->L[l];
        for (int j = 0; j < 2; j++) {
            int idx = j ? L->B : L->A;
            char *k = ft_xasprintf("%s_%c.%s", prefix, j ? 'B' : 'A', L->module);
            char *gk = ft_xasprintf("lora_grad_%c.%s", j ? 'B' : 'A', L->module);
            cmp_tensor(k, grads ? ft_param_grad(ps, idx) : ft_param_data(ps, idx), ps->p[idx].numel, tol,
                       lr > 0 ? gk : NULL, lr, &worst, &wn, &missing);
            free(k); free(gk);
        }
    }
    report(what, worst, wn, tol, missing);
    free(wn);
}

static void lora(const char *dir, const ft_config *meta, const ft_batch *b)
{
    char *md = ft_xasprintf("%s/model", dir);
    ft_model *m = ft_model_load(md, "causal-lm", 0, 1);
    ft_lora_config c;
    ft_lora_config_default(&c);
    c.r = (int)ft_config_int(meta, "r", 0);
    c.alpha = (float)ft_config_num(meta, "alpha", 0);
    c.target_modules = ft_config_str(meta, "targets", NULL);   /* null: the family's default */
    ft_lora_attach(m, &c, 1);
    int want = (int)ft_config_int(meta, "lora_modules", 0);
    if (m->lora->n != want) printf("  %d adapted layers, the reference %d\n", m->lora->n, want);
    int bad = set_adapter(m);
    report("lora_targets", 0, c.target_modules ? c.target_modules : "default", 1, bad || m->lora->n != want);
    cmp_logits_loss(m, b, "lora_logits", "lora_loss", "lora");
    ft_params *ps = ft_model_params(m);
    ft_params_zero_grad(ps);
    ft_model_forward_backward(m, b, 0);
    cmp_adapter(m, "lora_grad", 1, "lora_grads", TOL_GRAD, 0);
    for (int i = 0; i < m->lora->nparams_base; i++)
        if (ps->p[i].trainable) { report("lora_base_frozen", 2, ps->p[i].name, 1, 0); break; }
    double lr = ft_config_num(meta, "lora_lr", 0);
    train_steps(m, b, (float)lr, (float)ft_config_num(meta, "weight_decay", 0),
                (float)ft_config_num(meta, "max_grad_norm", 0));
    cmp_adapter(m, "lora_step3", 0, "lora_adamw_3_steps", TOL_STEP, lr);
    ft_lora_merge(m);
    cmp_all(ft_model_params(m), "merged.", 0, "lora_merged", TOL_MERGED, 0);
    ft_model_free(m);

    /* the same adapter from its PEFT files */
    m = ft_model_load(md, "causal-lm", 0, 1);
    char *ad = ft_xasprintf("%s/adapter0", dir);
    ft_lora_load(m, ad);
    cmp_logits_loss(m, b, "lora_logits", "lora_loss", "lora_peft_load");
    ft_model_free(m);
    free(ad);
    free(md);
}

int main(int argc, char **argv)
{
    ft_set_prog("causal_drv");
    if (argc != 2) ft_die("usage: causal_drv DIR");
    const char *dir = argv[1];
    char *p = ft_xasprintf("%s/meta.json", dir);
    ft_config *meta = ft_config_load(p);
    free(p);
    name = ft_config_str(meta, "name", "model");
    p = ft_xasprintf("%s/ref.safetensors", dir);
    ref = ft_st_open(p);
    free(p);
    ft_batch b = read_batch(dir);
    full_model(dir, meta, &b);
    lora(dir, meta, &b);
    ft_st_close(ref);
    ft_config_free(meta);
    return failures != 0;
}
