/* Driver for tests/ref/bf16.sh: one forward and backward of any model family
 * in a given precision, dropout off, for the PyTorch autocast parity check.
 *   bf16_drv DIR BATCH TASK fp32|bf16 OUT [ADAPTER]
 * DIR holds config.json and model.safetensors; BATCH is a safetensors file of
 * input_ids, attention_mask, labels and optional token_type_ids (F32).  TASK: seq-cls,
 * masked-lm, causal-lm or seq2seq (labels [B,Tl]).  ADAPTER: a PEFT LoRA
 * directory applied unmerged.  Writes OUT (safetensors): logits, loss and
 * grad.<name> of every trainable tensor.  Logits: seq-cls [B,labels];
 * masked-lm [M,V] for the M labelled tokens; causal-lm [B·T,V]; seq2seq
 * [B·Tl,V]. */
#include "gemm.h"
#include "lora.h"
#include "model.h"
#include "safetensors.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static int32_t *ints(ft_st_file *f, const char *name, const ft_st_tensor **t)
{
    *t = ft_st_find(f, name);
    if (!*t) return NULL;
    float *x = ft_xmalloc((*t)->numel * sizeof *x);
    ft_st_read_f32(f, *t, x);
    int32_t *r = ft_xmalloc((*t)->numel * sizeof *r);
    for (size_t i = 0; i < (*t)->numel; i++) r[i] = (int32_t)x[i];
    free(x);
    return r;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    if (argc != 6 && argc != 7) ft_die("usage: bf16_drv DIR BATCH TASK fp32|bf16 OUT [ADAPTER]");
    const char *dir = argv[1], *task = argv[3];
    ft_set_precision(strcmp(argv[4], "bf16") ? FT_PREC_FP32 : FT_PREC_BF16);
    ft_model *m = ft_model_load(dir, task, 0, 1);
    if (argc == 7) ft_lora_load(m, argv[6]);
    ft_st_file *bf = ft_st_open(argv[2]);
    const ft_st_tensor *ti, *tl, *tx;
    int32_t *ids = ints(bf, "input_ids", &ti), *am = ints(bf, "attention_mask", &tx);
    int32_t *tt = ints(bf, "token_type_ids", &tx), *lab = ints(bf, "labels", &tl);
    int B = (int)ti->shape[0], T = (int)ti->shape[1];
    int Tl = tl->ndim == 2 ? (int)tl->shape[1] : 0;
    long V = ft_config_int(m->cfg, "vocab_size", 0), rows, cols;
    if (m->task == FT_TASK_SEQ_CLS) { rows = B; cols = m->num_labels; }
    else if (m->task == FT_TASK_MASKED_LM) {
        rows = 0;
        for (size_t i = 0; i < tl->numel; i++) rows += lab[i] != -100;
        cols = V;
    } else { rows = (long)B * Tl; cols = V; }
    ft_batch b = { .B = B, .T = T, .input_ids = ids, .attention_mask = am, .token_type_ids = tt,
                   .labels = lab, .Tl = Tl };
    ft_params *ps = ft_model_params(m);
    float *logits = ft_xmalloc((size_t)rows * cols * sizeof *logits);
    ft_params_zero_grad(ps);
    float loss = m->vt->forward(m, &b, 0, 1, logits);
    m->vt->backward(m, &b);

    ft_st_writer *w = ft_st_writer_new();
    int64_t sh[2] = { rows, cols }, one[1] = { 1 };
    ft_st_writer_add(w, "logits", 2, sh, logits);
    ft_st_writer_add(w, "loss", 1, one, &loss);
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i].trainable)
            ft_st_writer_add(w, ft_xasprintf("grad.%s", ps->p[i].name), ps->p[i].ndim, ps->p[i].shape,
                             ft_param_grad(ps, i));
    ft_st_writer_write(w, argv[5]);
    return 0;
}
