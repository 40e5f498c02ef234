/* penalty: differentiable regularisers that keep weights near the ones
   training started from, against forgetting an earlier task:
     L2-SP   (λ/2) Σ (θ − θ0)²
     EWC     (λ/2) Σ F (θ − θ0)²   with F a diagonal Fisher of the old task
   θ0 is the model as loaded (the old task's result).  Only trainable
   parameters take part.  The Fisher file is safetensors with one tensor per
   parameter, named as the parameter, and metadata {"ft_kind": "fisher",
   "samples": N}; ft-eval --fisher-out writes it. */
#ifndef FT_PENALTY_H
#define FT_PENALTY_H
#include "params.h"

typedef struct ft_penalty {
    double l2sp, ewc;       /* λs; 0 = off */
    float *anchor;          /* θ0, parallel to ps->data */
    float *fisher;          /* diag F, parallel to ps->data; NULL without EWC */
} ft_penalty;

/* NULL when both λ are 0.  fisher_path is required when ewc > 0. */
ft_penalty *ft_penalty_new(const ft_params *ps, double l2sp, double ewc, const char *fisher_path);
void ft_penalty_free(ft_penalty *p);
/* Adds the penalties' gradients to ps->grad; returns their values. */
void ft_penalty_apply(const ft_penalty *p, ft_params *ps, double *l2sp_val, double *ewc_val);

void ft_fisher_save(const ft_params *ps, const float *F, long samples, const char *path);
/* A buffer parallel to ps->data (zeros for params the file lacks: dies if a
   trainable one is missing or a shape differs). */
float *ft_fisher_load(const ft_params *ps, const char *path, long *samples);
#endif
