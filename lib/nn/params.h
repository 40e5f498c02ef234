/* params: every weight of a model in one contiguous buffer, described by a
 * table of (HF name, shape, offset).  The same table drives safetensors I/O,
 * weight-decay groups, LoRA targets and gradient checks.  Gradients live in a
 * parallel buffer at the same offsets.  Frozen tensors (trainable = 0) get no
 * gradient and no optimiser state (LoRA freezes the base model). */
#ifndef FT_PARAMS_H
#define FT_PARAMS_H
#include <stddef.h>
#include <stdint.h>

#define FT_MAX_DIMS 4

typedef struct ft_param {
    char *name;                 /* HF name, e.g. "bert.encoder.layer.0.attention.self.query.weight" */
    int ndim;
    int64_t shape[FT_MAX_DIMS];
    size_t numel;
    size_t offset;              /* into data / grad, in floats; 16-float aligned unless packed */
    int trainable;              /* 0: frozen */
    int no_decay;               /* 1: bias or norm weight, excluded from weight decay */
} ft_param;

typedef struct ft_params {
    ft_param *p;
    int n, cap;
    size_t total;               /* floats in data (and grad) */
    float *data;                /* NULL until ft_params_alloc */
    float *grad;
    int packing;                /* see ft_params_pack */
    const char *norm_marker;    /* in the names of norm-module tensors (ft_hf_no_decay); set by the model */
} ft_params;

void ft_params_init(ft_params *ps);
void ft_params_free(ft_params *ps);
/* Append a tensor to the table; returns its index.  shape has ndim entries. */
int ft_params_add(ft_params *ps, const char *name, int ndim, const int64_t *shape, int no_decay);
/* HF Trainer's weight-decay rule, the one place it lives: 1 (no decay) when
   the name contains "bias" anywhere or names a parameter of a norm module,
   recognised by the model's norm_marker ("LayerNorm.", ".ln_", "layer_norm";
   NULL: the tensor is not in a norm module). */
int ft_hf_no_decay(const char *name, const char *norm_marker);
/* A [d0] (d1 == 0) or [d0,d1] tensor with that rule (ps->norm_marker). */
int ft_params_add_hf(ft_params *ps, const char *name, int64_t d0, int64_t d1);
/* While packing is on, tensors are added back to back without alignment
   padding, so a group (q, k, v weights) is one matrix for one GEMM. */
static inline void ft_params_pack(ft_params *ps, int on) { ps->packing = on; }
/* Allocate data (zeroed) and grad once the table is complete. */
void ft_params_alloc(ft_params *ps);
int ft_params_find(const ft_params *ps, const char *name);   /* -1 if absent */
static inline float *ft_param_data(const ft_params *ps, int i) { return ps->data + ps->p[i].offset; }
static inline float *ft_param_grad(const ft_params *ps, int i) { return ps->grad + ps->p[i].offset; }
void ft_params_zero_grad(ft_params *ps);
size_t ft_params_count(const ft_params *ps, int trainable_only);  /* elements */

#endif
