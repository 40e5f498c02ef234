/* Driver for tests/ref/bert_parity.py: runs ft on a checkpoint and batch the
 * Python side wrote, and writes what PyTorch must match.
 *   bert_ref_drv DIR ACCUM LR WD MAXNORM WARMUP TOTAL [TASK]
 * DIR holds config.json, model.safetensors and batch.safetensors (input_ids,
 * attention_mask, token_type_ids, labels as F32).  Writes DIR/ft_out.safetensors:
 *   logits, loss, grad.<param> of one forward/backward on the whole batch
 *   (dropout off), then after TOTAL optimiser steps (each over ACCUM
 *   micro-batches splitting the batch by rows, HF Trainer style: grads of the
 *   micro-batch means summed and scaled by 1/ACCUM, clipped at MAXNORM, AdamW,
 *   linear schedule with WARMUP) final.<param>.
 * A multi-task model (config ft_tasks) takes batch.safetensors' batch_tasks
 * [TOTAL×ACCUM]: the head of each micro-batch (the whole batch uses the
 * first); a step leaves the heads none of its micro-batches used alone, as
 * ft-train does (torch: grad None).
 * TASK masked-lm: labels are [B,T] token labels (-100 = not masked); logits
 * are then [M, vocab] for the M labelled tokens. */
#include "model.h"
#include "optim.h"
#include "safetensors.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static int32_t *read_ints(ft_st_file *f, const char *name, size_t *n)
{
    const ft_st_tensor *t = ft_st_find(f, name);
    if (!t) return NULL;
    float *x = ft_xmalloc(t->numel * sizeof *x);
    ft_st_read_f32(f, t, x);
    int32_t *r = ft_xmalloc(t->numel * sizeof *r);
    for (size_t i = 0; i < t->numel; i++) r[i] = (int32_t)x[i];
    *n = t->numel;
    free(x);
    return r;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    if (argc != 8 && argc != 9) ft_die("usage: bert_ref_drv DIR ACCUM LR WD MAXNORM WARMUP TOTAL [TASK]");
    const char *task = argc == 9 ? argv[8] : "seq-cls";
    const char *dir = argv[1];
    int accum = atoi(argv[2]);
    float lr = strtof(argv[3], NULL), wd = strtof(argv[4], NULL), maxnorm = strtof(argv[5], NULL);
    int warmup = atoi(argv[6]), total = atoi(argv[7]);

    ft_model *m = ft_model_load(dir, task, 0, 1);
    int mlm = m->task == FT_TASK_MASKED_LM;
    char *bp = ft_xasprintf("%s/batch.safetensors", dir);
    ft_st_file *bf = ft_st_open(bp);
    size_t n, nl;
    int32_t *ids = read_ints(bf, "input_ids", &n), *am = read_ints(bf, "attention_mask", &n);
    int32_t *tt = read_ints(bf, "token_type_ids", &n), *lab = read_ints(bf, "labels", &nl);
    const ft_st_tensor *it = ft_st_find(bf, "input_ids");
    int B = (int)it->shape[0], T = (int)it->shape[1];
    float *flab = NULL;
    if (!mlm && m->problem != FT_PROBLEM_SINGLE_LABEL) {
        flab = ft_xmalloc(nl * sizeof *flab);
        ft_st_read_f32(bf, ft_st_find(bf, "labels"), flab);
    }
    size_t ntk = 0;
    int32_t *tasks = read_ints(bf, "batch_tasks", &ntk);
    if (tasks && (int)ntk != accum * total) ft_die("batch_tasks has %zu entries, not ACCUM×TOTAL", ntk);
    int L = m->num_labels, Tl = mlm ? T : 0;
    if (mlm) {                      /* logits rows: the labelled tokens */
        L = (int)ft_config_int(m->cfg, "vocab_size", 0);
        B = 0;
        for (size_t i = 0; i < nl; i++) B += lab[i] != -100;
    }
    ft_batch b = { .B = (int)it->shape[0], .T = T, .input_ids = ids, .attention_mask = am, .token_type_ids = tt,
                   .labels = flab ? NULL : lab, .float_labels = flab, .task = tasks ? tasks[0] : 0, .Tl = Tl };

    ft_params *ps = ft_model_params(m);
    float *logits = ft_xmalloc((size_t)B * L * sizeof *logits);
    ft_params_zero_grad(ps);
    float loss = m->vt->forward(m, &b, 0, 1, logits);
    m->vt->backward(m, &b);

    ft_st_writer *w = ft_st_writer_new();
    int64_t sh[2] = { B, L }, one[1] = { 1 };
    ft_st_writer_add(w, "logits", 2, sh, logits);
    ft_st_writer_add(w, "loss", 1, one, &loss);
    char **names = ft_xcalloc(2 * ps->n, sizeof *names);
    float *grads = ft_xmalloc(ps->total * sizeof *grads);
    memcpy(grads, ps->grad, ps->total * sizeof *grads);
    for (int i = 0; i < ps->n; i++) {
        names[i] = ft_xasprintf("grad.%s", ps->p[i].name);
        ft_st_writer_add(w, names[i], ps->p[i].ndim, ps->p[i].shape, grads + ps->p[i].offset);
    }

    /* Training: TOTAL steps of ACCUM micro-batches (rows split evenly). */
    ft_adamw *opt = ft_adamw_new(ps, wd);
    int rows = b.B / accum;
    float *norms = ft_xmalloc(total * sizeof *norms);
    for (int s = 0; s < total; s++) {
        ft_params_zero_grad(ps);
        for (int a = 0; a < accum; a++) {
            size_t off = (size_t)a * rows * T;
            ft_batch mb = { .B = rows, .T = T, .input_ids = ids + off, .attention_mask = am + off,
                            .token_type_ids = tt + off, .labels = flab ? NULL : lab + a * rows * (Tl ? Tl : 1), .Tl = Tl,
                            .float_labels = flab ? flab + (size_t)a * rows * L : NULL,
                            .task = tasks ? tasks[s * accum + a] : 0 };
            ft_model_forward_backward(m, &mb, 0);
        }
        ft_grad_scale(ps, 1.0f / accum);
        norms[s] = ft_clip_grad_norm(ps, maxnorm);
        float lr_s = (float)ft_lr_at(FT_SCHED_LINEAR, lr, s, warmup, total);
        if (!tasks) { ft_adamw_step(opt, ps, lr_s); continue; }
        unsigned char *skip = ft_xcalloc(ps->n, 1);
        for (int i = 0; i < ps->n; i++) {
            if (strncmp(ps->p[i].name, "classifier.", 11)) continue;
            skip[i] = 1;
            for (int a = 0; a < accum; a++) {
                const char *h = m->heads[tasks[s * accum + a]].name;
                if (!strncmp(ps->p[i].name + 11, h, strlen(h)) && ps->p[i].name[11 + strlen(h)] == '.') skip[i] = 0;
            }
        }
        ft_adamw_step_some(opt, ps, lr_s, skip);
        free(skip);
    }
    int64_t ts[1] = { total };
    ft_st_writer_add(w, "grad_norms", 1, ts, norms);
    for (int i = 0; i < ps->n; i++) {
        names[ps->n + i] = ft_xasprintf("final.%s", ps->p[i].name);
        ft_st_writer_add(w, names[ps->n + i], ps->p[i].ndim, ps->p[i].shape, ps->data + ps->p[i].offset);
    }
    char *op = ft_xasprintf("%s/ft_out.safetensors", dir);
    ft_st_writer_write(w, op);
    /* and the HF layout, for the Python side to check it loads */
    char *sd = ft_xasprintf("%s/saved", dir);
    ft_model_save(m, sd);
    return 0;
}
