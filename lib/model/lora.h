/* lora: Low-Rank Adaptation as a property of a model's linear layers, after
 * PEFT's LoraConfig / LoraModel.
 *
 *   y = base(x) + scale · (dropout(x) · A^T) · B^T      A [r,in], B [out,r]
 *   scale = alpha / r   (alpha / sqrt(r) with rsLoRA)
 *
 * A model routes each linear layer through the hooks below (ft_lora_fwd right
 * after the base GEMM, ft_lora_bwd next to its backward); with no adapter on a
 * layer they cost one branch.  Attaching an adapter adds lora_A / lora_B
 * tensors to the model's parameter table ("<module>.lora_A.weight") and
 * freezes every base tensor (no gradient, no optimiser state), except biases
 * (--lora-bias all | lora_only) and --modules-to-save.
 *
 * Files are PEFT's: adapter_config.json and adapter_model.safetensors with
 * keys "base_model.model.<module>.lora_A.weight"; modules_to_save and biases
 * as "base_model.model.<name>".  GPT-2's Conv1D layers get fan_in_fan_out:
 * merging adds (B·A)^T to their [in,out] weight. */
#ifndef FT_LORA_H
#define FT_LORA_H
#include "model.h"

enum ft_lora_bias { FT_LORA_BIAS_NONE, FT_LORA_BIAS_ALL, FT_LORA_BIAS_ONLY };

typedef struct ft_lora_config {
    int r;                      /* 8 */
    float alpha;                /* 8 (PEFT's default lora_alpha) */
    float dropout;              /* 0 */
    const char *target_modules; /* "c_attn,c_proj" (names or dotted suffixes), or a regex
                                   matched against the whole module name when it has
                                   regex characters, or "all-linear" (PEFT's shorthand:
                                   every layer linear_kind marks, which must leave out
                                   the output layer); NULL = the model's default */
    enum ft_lora_bias bias;
    const char *modules_to_save;/* comma list, or NULL */
    int use_rslora;
} ft_lora_config;

void ft_lora_config_default(ft_lora_config *c);
int ft_lora_bias_parse(const char *s);        /* -1 if unknown */
/* Reads a PEFT adapter_config.json at path into c (target_modules and
   modules_to_save malloc'd, the caller frees them) and *base_model (its
   base_model_name_or_path, malloc'd, or NULL).  Dies "PATH: reason". */
void ft_lora_config_read(const char *path, ft_lora_config *c, char **base_model);

typedef struct ft_lora_layer {
    char *module;               /* "transformer.h.0.attn.c_attn" */
    int w, b;                   /* base weight / bias parameter (b = -1 if none) */
    int A, B;                   /* lora_A.weight [r,in], lora_B.weight [out,r] */
    int in, out, r, conv1d;
    float scale, p;
    /* state of the last forward */
    float *t;                   /* [N,r] dropout(x)·A^T */
    float *dt;                  /* scratch [N,r] */
    size_t capN;
    int train;
    uint64_t key;
} ft_lora_layer;

typedef struct ft_lora {
    ft_lora_config cfg;
    char **targets;             /* parsed target list (NULL with a regex) */
    int ntargets, is_regex;
    char **save;                /* modules_to_save */
    int nsave;
    ft_lora_layer *L;
    int n;
    int *by_weight;             /* parameter index → layer, -1 */
    float *xd;                  /* dropout(x) of the layer in hand [N, widest in]: shared,
                                   since backward draws the mask again from its key */
    size_t xd_cap;
    int nparams_base;           /* parameters before the adapter's */
    ft_params *ps_;             /* the model's table */
    char *base_model;           /* base_model_name_or_path for adapter_config.json */
} ft_lora;

/* Attach a fresh adapter (A Kaiming-uniform from seed, B = 0) to every linear
   layer whose module name matches.  Dies if nothing matches, naming the
   targets.  Prints nothing. */
ft_lora *ft_lora_attach(ft_model *m, const ft_lora_config *c, uint64_t seed);
/* Attach the adapter PEFT (or ft) saved in dir: its config and weights.  Dies
   naming the tensor when shapes or names do not fit the base model. */
ft_lora *ft_lora_load(ft_model *m, const char *dir);
/* Load adapter weights from dir into the attached adapter (resume, best model). */
void ft_lora_load_weights(ft_model *m, const char *dir);
/* adapter_config.json + adapter_model.safetensors into dir (created). */
void ft_lora_save(ft_model *m, const char *dir);
/* PEFT's print_trainable_parameters() line (no newline). */
void ft_lora_trainable_line(const ft_model *m, char *buf, size_t n);
/* W ← W + scale·B·A in every adapted layer (transposed for Conv1D) and detach
   the adapter: the model is then a plain model again. */
void ft_lora_merge(ft_model *m);
void ft_lora_free(ft_lora *lo);

/* ---- hooks for the models ----
   out[N, ldo] (pointing at this layer's first output column) += scale ·
   dropout(in)·A^T·B^T, for in[N,in].  train enables dropout with stream key. */
void ft_lora_fwd_(ft_lora *lo, int layer, float *out, int ldo, const float *in, int N,
                  int train, uint64_t key);
/* Backward of the last ft_lora_fwd of this layer: dA, dB accumulate,
   din[N,in] += ∂/∂in (din may be NULL). */
void ft_lora_bwd_(ft_lora *lo, int layer, float *din, const float *dout, int ldo,
                  const float *in, int N);

static inline void ft_lora_fwd(ft_model *m, int widx, float *out, int ldo, const float *in,
                               int N, int train, uint64_t key)
{
    if (m->lora && widx < m->lora->nparams_base && m->lora->by_weight[widx] >= 0)
        ft_lora_fwd_(m->lora, m->lora->by_weight[widx], out, ldo, in, N, train, key);
}
static inline void ft_lora_bwd(ft_model *m, int widx, float *din, const float *dout, int ldo,
                               const float *in, int N)
{
    if (m->lora && widx < m->lora->nparams_base && m->lora->by_weight[widx] >= 0)
        ft_lora_bwd_(m->lora, m->lora->by_weight[widx], din, dout, ldo, in, N);
}

/* Can an adapter attach to m at all (its family marks LoRA's linear layers)? */
int ft_lora_supported(const ft_model *m);
#endif
