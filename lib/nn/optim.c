/* optim: AdamW as torch.optim.AdamW (single-tensor path, amsgrad off),
 * HF schedules, global-norm clipping.  See optim.h. */
#include "optim.h"
#include "gemm.h"
#include "kern.h"
#include "util.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

ft_adamw *ft_adamw_new(const ft_params *ps, float weight_decay)
{
    ft_adamw *o = ft_xcalloc(1, sizeof *o);
    o->beta1 = 0.9f; o->beta2 = 0.999f; o->eps = 1e-8f;
    o->weight_decay = weight_decay;
    o->n = ps->total;
    o->np = ps->n;
    /* State for the whole buffer keeps offsets shared; frozen ranges stay 0
       (a LoRA run could pack trainables first if this memory matters). */
    o->m = ft_xcalloc_named(o->n ? o->n : 1, sizeof(float), "the AdamW first moments");
    o->v = ft_xcalloc_named(o->n ? o->n : 1, sizeof(float), "the AdamW second moments");
    return o;
}

void ft_adamw_free(ft_adamw *o)
{
    if (!o) return;
    free(o->m); free(o->v); free(o->pt); free(o);
}

/* The update, with each gradient read as g·gscale and, when zero is set,
   cleared once read (the next step's zero_grad without another pass). */
static void adamw_pass(ft_adamw *o, ft_params *ps, float lr, const unsigned char *skip, float gscale, int zero)
{
    if (ps->total != o->n || ps->n != o->np) ft_die("internal: optimiser built for another parameter set");
    if (skip && !o->pt) {
        o->pt = ft_xmalloc((o->np ? o->np : 1) * sizeof *o->pt);
        for (int i = 0; i < o->np; i++) o->pt[i] = o->t;
    }
    o->t++;
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    for (int i = 0; i < ps->n; i++) {
        const ft_param *p = &ps->p[i];
        if (!p->trainable) continue;
        float *w = ps->data + p->offset, *g = ps->grad + p->offset;
        size_t n = p->numel;
        if (skip && skip[i]) {
            if (zero) memset(g, 0, n * sizeof *g);
            continue;
        }
        long t = o->pt ? ++o->pt[i] : o->t;
        /* torch computes these in Python floats (double) then uses them as scalars. */
        double bc1 = 1.0 - pow(o->beta1, (double)t), bc2 = 1.0 - pow(o->beta2, (double)t);
        float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
        float *m = o->m + p->offset, *v = o->v + p->offset;
        ft_adamw_coef c = { .b1 = b1, .b2 = b2, .eps = eps, .step_size = step_size, .bc2_sqrt = bc2_sqrt,
                            .decay = p->no_decay ? 1.0f : 1.0f - lr * o->weight_decay,
                            .gscale = gscale, .zero = zero };
        #pragma omp parallel if (n > 32768)
        {
            size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
            size_t lo = n * t / nt, hi = n * (t + 1) / nt;
            ft_kern->adamw(w + lo, g + lo, m + lo, v + lo, hi - lo, &c);
        }
        ft_gemm_weights_changed(w, n);                 /* --bf16: cast again at next use */
    }
}

void ft_adamw_step(ft_adamw *o, ft_params *ps, float lr) { adamw_pass(o, ps, lr, NULL, 1.0f, 0); }

void ft_adamw_step_some(ft_adamw *o, ft_params *ps, float lr, const unsigned char *skip)
{
    adamw_pass(o, ps, lr, skip, 1.0f, 0);
}

/* The global L2 norm of the trainable gradients. */
static float ft_grad_norm(const ft_params *ps)
{
    /* torch: norm of the per-tensor norms; accumulate in double here. */
    double total = 0;
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        const float *g = ps->grad + ps->p[i].offset;
        size_t n = ps->p[i].numel;
        double s = 0;
        /* simd (kern.h): several partial sums, else one dependent add per
           element (latency-bound, 3× slower than reading the gradients) */
        #pragma omp parallel reduction(+:s) if (n > 32768)
        {
            size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
            s += ft_kern->sumsq(g + n * t / nt, n * (t + 1) / nt - n * t / nt);
        }
        total += s;
    }
    return (float)sqrt(total);
}

/* torch's clip_coef_clamped: min(1, max_norm/(norm+1e-6)); 1 when clipping is off. */
static float clip_coef(float norm, float max_norm)
{
    float c = max_norm / (norm + 1e-6f);
    return max_norm > 0 && c < 1.0f ? c : 1.0f;
}

float ft_clip_step_zero(ft_adamw *o, ft_params *ps, float lr, float max_norm, const unsigned char *skip)
{
    float norm = ft_grad_norm(ps);
    adamw_pass(o, ps, lr, skip, clip_coef(norm, max_norm), 1);
    return norm;
}

void ft_grad_scale(ft_params *ps, float scale)
{
    if (scale == 1.0f) return;
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i].trainable) continue;
        float *g = ps->grad + ps->p[i].offset;
        size_t n = ps->p[i].numel;
        #pragma omp parallel for simd schedule(static) if (n > 32768)
        for (size_t j = 0; j < n; j++) g[j] *= scale;
    }
}

float ft_clip_grad_norm(ft_params *ps, float max_norm)
{
    float norm = ft_grad_norm(ps);
    ft_grad_scale(ps, clip_coef(norm, max_norm));       /* a no-op at 1 */
    return norm;
}

int ft_sched_parse(const char *s)
{
    if (!strcmp(s, "linear")) return FT_SCHED_LINEAR;
    if (!strcmp(s, "cosine")) return FT_SCHED_COSINE;
    if (!strcmp(s, "constant")) return FT_SCHED_CONSTANT;
    if (!strcmp(s, "constant_with_warmup")) return FT_SCHED_CONSTANT_WARMUP;
    return -1;
}

long ft_warmup_steps(long warmup_steps, double warmup_ratio, long total_steps)
{
    return warmup_steps > 0 ? warmup_steps : (long)ceil(warmup_ratio * total_steps);
}

/* The lambdas of transformers.optimization, evaluated at current_step = step
   (LambdaLR starts at 0 and is stepped after each optimiser step). */
double ft_lr_at(enum ft_sched s, double base_lr, long step, long warmup, long total)
{
    if (s == FT_SCHED_CONSTANT) return base_lr;
    if (step < warmup) return base_lr * (double)step / (double)(warmup > 1 ? warmup : 1);
    if (s == FT_SCHED_CONSTANT_WARMUP) return base_lr;
    long span = total - warmup > 1 ? total - warmup : 1;
    if (s == FT_SCHED_LINEAR) {
        double f = (double)(total - step) / (double)span;
        return base_lr * (f > 0 ? f : 0);
    }
    double progress = (double)(step - warmup) / (double)span;   /* cosine, 0.5 cycles */
    double f = 0.5 * (1.0 + cos(M_PI * 0.5 * 2.0 * progress));
    return base_lr * (f > 0 ? f : 0);
}
