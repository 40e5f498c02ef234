/* export_gguf: ft_model → GGUF (see export_gguf.h). */
#include "export_gguf.h"
#include "lora.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ft_gguf_outtype_parse(const char *s)
{
    return !strcmp(s, "f32") ? FT_GGUF_F32 : !strcmp(s, "f16") ? FT_GGUF_F16
         : !strcmp(s, "bf16") ? FT_GGUF_BF16 : !strcmp(s, "q8_0") ? FT_GGUF_Q8_0 : -1;
}

/* llama_ftype of the file (general.file_type): ALL_F32, MOSTLY_F16, MOSTLY_Q8_0, MOSTLY_BF16 */
static uint32_t file_type(enum ft_gguf_type t)
{
    return t == FT_GGUF_F16 ? 1 : t == FT_GGUF_Q8_0 ? 7 : t == FT_GGUF_BF16 ? 32 : 0;
}

static const ft_gguf_family *gguf_of(const ft_model *m, const char *dir)
{
    if (!m->family || !m->family->gguf) {
        char list[256] = "";            /* the families that have a GGUF mapping */
        for (const ft_family *const *f = ft_families(); *f; f++)
            if ((*f)->gguf) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "",
                                     (*f)->model_type);
        ft_die("%s: model_type \"%s\" cannot be exported as GGUF (%s)", dir,
               m->family ? m->family->model_type : "?", list);
    }
    if (m->task != FT_TASK_CAUSAL_LM) ft_die("%s: only causal language models are exported as GGUF", dir);
    return m->family->gguf;
}

static void general(ft_gguf *g, const char *arch, const char *type, const char *dir, enum ft_gguf_type t)
{
    ft_gguf_kv_str(g, "general.architecture", arch);
    ft_gguf_kv_str(g, "general.type", type);
    const char *base = strrchr(dir, '/');
    char name[256];
    snprintf(name, sizeof name, "%s", base && base[1] ? base + 1 : dir);
    ft_gguf_kv_str(g, "general.name", name);
    ft_gguf_kv_u32(g, "general.alignment", FT_GGUF_ALIGNMENT);
    ft_gguf_kv_u32(g, "general.file_type", file_type(t));
    ft_gguf_kv_u32(g, "general.quantization_version", 2);
}

/* x [rows, cols] with rows grouped by heads: within each head, rows
   (half, j) become (j, half), as convert_hf_to_gguf's LlamaModel.permute:
   reshape(n_head, 2, rows/n_head/2, cols).swapaxes(1, 2) */
static void permute_rows(float *dst, const float *x, int64_t rows, int64_t cols, int heads, const char *name)
{
    if (heads <= 0 || rows % (2 * heads)) ft_die("gguf: tensor %s: %lld rows are not pairs of %d heads", name, (long long)rows, heads);
    int64_t per = rows / heads, half = per / 2;
    for (int64_t h = 0; h < heads; h++)
        for (int64_t s = 0; s < 2; s++)
            for (int64_t j = 0; j < half; j++)
                memcpy(dst + (h * per + 2 * j + s) * cols, x + (h * per + s * half + j) * cols, cols * sizeof *x);
}

/* One parameter as the family names it, in its file orientation: only a
   transposed or permuted tensor is copied first (ft_gguf_tensor converts
   from x itself otherwise). */
static void add_tensor(ft_gguf *g, const ft_gguf_name *nm, int nd, const int64_t *shape0, const float *x,
                       enum ft_gguf_type outtype)
{
    int64_t shape[2] = { shape0[0], nd > 1 ? shape0[1] : 1 }, numel = shape[0] * shape[1];
    float *t_buf = NULL, *p_buf = NULL;
    if (nm->transpose) {
        t_buf = ft_xmalloc((size_t)numel * sizeof *t_buf);
        for (int64_t i = 0; i < shape[0]; i++)
            for (int64_t j = 0; j < shape[1]; j++) t_buf[j * shape[0] + i] = x[i * shape[1] + j];
        int64_t t = shape[0]; shape[0] = shape[1]; shape[1] = t;
        x = t_buf;
    }
    if (nm->permute_heads) {
        p_buf = ft_xmalloc((size_t)numel * sizeof *p_buf);
        permute_rows(p_buf, x, shape[0], shape[1], nm->permute_heads, nm->name);
        x = p_buf;
    }
    enum ft_gguf_type t = outtype;
    if (nd < 2 || nm->keep_f32) t = FT_GGUF_F32;
    else if (t == FT_GGUF_Q8_0 && !ft_gguf_can_q8_0(2, shape)) t = FT_GGUF_F16;
    ft_gguf_tensor(g, nm->name, nd, shape, x, t);
    free(t_buf);
    free(p_buf);
}

void ft_export_gguf_model(ft_model *m, const char *dir, enum ft_gguf_type outtype, const char *out)
{
    const ft_gguf_family *fam = gguf_of(m, dir);
    if (m->lora) ft_die("%s: merge the adapter first (ft-merge-lora), or export it alone", dir);
    const char *arch = fam->arch(m);
    ft_gguf *g = ft_gguf_new();
    general(g, arch, "model", dir, outtype);
    fam->meta(m, g, arch);
    ft_export_gguf_vocab(g, dir, m->gen.vocab_size);
    ft_params *ps = &m->params;
    for (int i = 0; i < ps->n; i++) {
        ft_gguf_name nm;
        if (fam->name(m, ps->p[i].name, &nm))
            ft_die("%s: parameter %s has no name in llama.cpp's %s", dir, ps->p[i].name, arch);
        add_tensor(g, &nm, ps->p[i].ndim, ps->p[i].shape, ft_param_data(ps, i), outtype);
    }
    ft_gguf_write(g, out);
    ft_gguf_free(g);
}

void ft_export_gguf_adapter(ft_model *m, const char *adapter_dir, enum ft_gguf_type outtype, const char *out)
{
    const ft_gguf_family *fam = gguf_of(m, adapter_dir);
    ft_lora *lo = m->lora;
    if (!lo) ft_die("%s: no adapter loaded", adapter_dir);
    if (lo->cfg.bias != FT_LORA_BIAS_NONE || lo->nsave)
        ft_die("%s: trained biases or modules_to_save: llama.cpp's LoRA adapters hold lora_a and lora_b only "
               "(merge with ft-merge-lora and export the model)", adapter_dir);
    const char *arch = fam->arch(m);
    ft_gguf *g = ft_gguf_new();
    general(g, arch, "adapter", adapter_dir, outtype);
    ft_gguf_kv_str(g, "adapter.type", "lora");
    /* llama.cpp scales by alpha / r; rsLoRA's scale is alpha / sqrt(r) */
    int r = lo->cfg.r;
    ft_gguf_kv_f32(g, "adapter.lora.alpha", lo->cfg.use_rslora ? lo->cfg.alpha * sqrtf((float)r) : lo->cfg.alpha);
    ft_params *ps = &m->params;
    for (int k = 0; k < lo->n; k++) {
        const ft_lora_layer *L = &lo->L[k];
        ft_gguf_name base, a, b;
        if (fam->name(m, ps->p[L->w].name, &base))
            ft_die("%s: adapted layer %s has no name in llama.cpp's %s", adapter_dir, L->module, arch);
        a = (ft_gguf_name){ .permute_heads = 0 };
        b = (ft_gguf_name){ .permute_heads = base.permute_heads };
        if (strlen(base.name) + 8 > sizeof a.name) ft_die("%s: tensor name %s too long for ggml", adapter_dir, base.name);
        memcpy(a.name, base.name, sizeof a.name - 8); strcat(a.name, ".lora_a");
        memcpy(b.name, base.name, sizeof b.name - 8); strcat(b.name, ".lora_b");
        add_tensor(g, &a, 2, ps->p[L->A].shape, ft_param_data(ps, L->A), outtype);
        add_tensor(g, &b, 2, ps->p[L->B].shape, ft_param_data(ps, L->B), outtype);
    }
    ft_gguf_write(g, out);
    ft_gguf_free(g);
}
