/* model_impl: the model shell and the multi-task heads every family's
   constructor builds on.  See model_impl.h. */
#include "model_impl.h"
#include <omp.h>

ft_model *ft_model_shell(const ft_model_vt *vt, void *impl, const char *arch, const char *base_prefix,
                         ft_config *cfg, enum ft_task task, uint64_t seed)
{
    ft_model *m = ft_xcalloc(1, sizeof *m);
    m->vt = vt;
    m->impl = impl;
    m->arch = arch;
    m->base_prefix = base_prefix;
    m->task = task;
    m->cfg = cfg;
    m->seed = seed;
    m->threads = omp_get_max_threads();
    ft_params_init(&m->params);
    return m;
}

void ft_model_read_tasks(ft_model *m)
{
    json_t *a = json_object_get(m->cfg->json, "ft_tasks");
    if (!a || json_is_null(a)) return;
    const char *path = m->cfg->path ? m->cfg->path : "config";
    if (!json_is_array(a) || json_array_size(a) == 0) ft_die("%s: ft_tasks is not a list of tasks", path);
    m->ntasks = (int)json_array_size(a);
    m->heads = ft_xcalloc(m->ntasks, sizeof *m->heads);
    m->num_labels = 0;
    for (int t = 0; t < m->ntasks; t++) {
        json_t *o = json_array_get(a, t);
        const char *name = json_string_value(json_object_get(o, "name"));
        json_t *nl = json_object_get(o, "num_labels"), *names = json_object_get(o, "id2label");
        if (!name || !*name || strchr(name, '.') || !json_is_integer(nl) || json_integer_value(nl) < 2 ||
            json_integer_value(nl) > 1 << 20)
            ft_die("%s: ft_tasks[%d] needs a name (no dots) and num_labels >= 2", path, t);
        for (int u = 0; u < t; u++)
            if (!strcmp(m->heads[u].name, name)) ft_die("%s: task \"%s\" twice in ft_tasks", path, name);
        ft_head *h = &m->heads[t];
        h->name = ft_xstrdup(name);
        h->num_labels = (int)json_integer_value(nl);
        h->id2label = ft_xcalloc(h->num_labels, sizeof *h->id2label);
        for (int i = 0; i < h->num_labels; i++) {
            char k[32];
            snprintf(k, sizeof k, "%d", i);
            const char *v = json_string_value(json_object_get(names, k));
            h->id2label[i] = v ? ft_xstrdup(v) : ft_xasprintf("LABEL_%d", i);
        }
        if (h->num_labels > m->num_labels) m->num_labels = h->num_labels;
    }
}

/* What the causal-LM families share: the labels their loss reads.  With
   packing, a token's label is never the next example's first token. */
int ft_shift_labels(const ft_batch *b, int32_t *out, int V)
{
    int B = b->B, T = b->T;
    const int32_t *lab = b->Tl > 0 ? b->labels : NULL;   /* class labels [B]: none for an LM */
    if (lab && b->Tl > T) ft_die("labels have %d tokens, inputs %d", b->Tl, T);
    for (int i = 0; i < B; i++)
        for (int t = 0; t < T; t++) {
            int32_t y = -100;
            if (t + 1 < T && !(b->segment_ids && b->segment_ids[(size_t)i * T + t + 1] !=
                                                 b->segment_ids[(size_t)i * T + t])) {
                if (lab) y = t + 1 < b->Tl ? lab[(size_t)i * b->Tl + t + 1] : -100;
                else if (!b->attention_mask || b->attention_mask[(size_t)i * T + t + 1])
                    y = b->input_ids[(size_t)i * T + t + 1];
            }
            if (y != -100 && (y < 0 || y >= V)) ft_die("label %d out of range for vocab_size %d", y, V);
            out[(size_t)i * T + t] = y;
        }
    return 1;
}

void ft_batch_positions(const ft_batch *b, int32_t *pos, int max_pos)
{
    size_t N = (size_t)b->B * b->T;
    for (size_t i = 0; i < N; i++) {
        pos[i] = b->position_ids ? b->position_ids[i] : (int32_t)(i % b->T);
        if (pos[i] < 0 || pos[i] >= max_pos)
            ft_die("position id %d (row %zu, token %zu) outside [0, %d)", pos[i], i / b->T, i % b->T, max_pos);
    }
}
