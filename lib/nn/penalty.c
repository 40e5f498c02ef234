#include "penalty.h"
#include "safetensors.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

ft_penalty *ft_penalty_new(const ft_params *ps, double l2sp, double ewc, const char *fisher_path)
{
    if (l2sp <= 0 && ewc <= 0) return NULL;
    if (ewc > 0 && !fisher_path) ft_die("--ewc needs --fisher FILE (ft-eval --fisher-out writes one)");
    ft_penalty *p = ft_xcalloc(1, sizeof *p);
    p->l2sp = l2sp;
    p->ewc = ewc;
    p->anchor = ft_xmalloc(ps->total * sizeof *p->anchor);
    memcpy(p->anchor, ps->data, ps->total * sizeof *p->anchor);
    if (ewc > 0) p->fisher = ft_fisher_load(ps, fisher_path, NULL);
    return p;
}

void ft_penalty_free(ft_penalty *p)
{
    if (!p) return;
    free(p->anchor);
    free(p->fisher);
    free(p);
}

void ft_penalty_apply(const ft_penalty *p, ft_params *ps, double *l2sp_val, double *ewc_val)
{
    double l2 = 0, ew = 0;
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        size_t off = ps->p[i].offset, n = ps->p[i].numel;
        const float *th = ps->data + off, *a = p->anchor + off, *F = p->fisher ? p->fisher + off : NULL;
        float *g = ps->grad + off;
        float lam2 = (float)p->l2sp, lame = (float)p->ewc;
        #pragma omp parallel for reduction(+:l2, ew) schedule(static) if (n > 65536)
        for (size_t k = 0; k < n; k++) {
            float d = th[k] - a[k];
            float gk = lam2 * d;
            l2 += (double)d * d;
            if (F) {
                gk += lame * F[k] * d;
                ew += (double)F[k] * d * d;
            }
            g[k] += gk;
        }
    }
    if (l2sp_val) *l2sp_val = 0.5 * p->l2sp * l2;
    if (ewc_val) *ewc_val = 0.5 * p->ewc * ew;
}

void ft_fisher_save(const ft_params *ps, const float *F, long samples, const char *path)
{
    ft_st_writer *w = ft_st_writer_new();
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i].trainable)
            ft_st_writer_add(w, ps->p[i].name, ps->p[i].ndim, ps->p[i].shape, F + ps->p[i].offset);
    char n[32];
    snprintf(n, sizeof n, "%ld", samples);
    ft_st_writer_meta(w, "ft_kind", "fisher");
    ft_st_writer_meta(w, "samples", n);
    ft_st_writer_write(w, path);
    ft_st_writer_free(w);
}

float *ft_fisher_load(const ft_params *ps, const char *path, long *samples)
{
    ft_st_file *f = ft_st_open(path);
    const char *kind = ft_st_meta(f, "ft_kind");
    if (!kind || strcmp(kind, "fisher") != 0)
        ft_die("%s: not a Fisher file (no __metadata__ ft_kind=fisher; ft-eval --fisher-out writes one)", path);
    /* A parameter the Fisher does not cover (a head added for a new task)
       mattered to no earlier task: it gets weight 0, and is named. */
    float *F = ft_xcalloc(ps->total, sizeof *F);
    int found = 0;
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        const ft_st_tensor *t = ft_st_find(f, ps->p[i].name);
        if (!t) {
            ft_warn("%s: no Fisher values for %s: weight 0 (new since the Fisher was computed)", path,
                    ps->p[i].name);
            continue;
        }
        if (t->numel != ps->p[i].numel)
            ft_die("%s: %s has %zu values, the model's parameter %zu", path, ps->p[i].name, t->numel, ps->p[i].numel);
        ft_st_read_f32(f, t, F + ps->p[i].offset);
        found++;
    }
    if (!found) ft_die("%s: no Fisher values for any of the model's parameters (computed for another model?)", path);
    const char *s = ft_st_meta(f, "samples");
    if (samples) *samples = s ? atol(s) : 0;
    ft_st_close(f);
    return F;
}
