#include "dataset.h"
#include "util.h"
#include <string.h>

static void grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    *p = ft_xrealloc(*p, c * elem);
    *cap = c;
}

/* An int tensor (any int dtype) or a JSON-ish list of ints as int32. */
static int32_t *int_field(ft_reader *r, const ft_record *rec, const char *key, int32_t *len,
                          int required)
{
    const ft_value *v = ft_record_get(rec, key);
    if (!v) {
        if (required) ft_reader_die(r, "field \"%s\" missing (not token records? run ft-tokenize first)", key);
        return NULL;
    }
    if (v->type != FT_V_TENSOR || v->t.ndim != 1 || !ft_dtype_is_int(v->t.dtype))
        ft_reader_die(r, "field \"%s\" is not a 1-D integer tensor", key);
    *len = (int32_t)v->t.shape[0];
    static __thread int32_t *tmp;
    static __thread size_t tmpcap;
    grow((void **)&tmp, &tmpcap, (size_t)*len + 1, sizeof *tmp);
    ft_tensor_to_i32(&v->t, tmp);
    return tmp;
}

/* ids, mask and type_ids grow together: one capacity for all three. */
static void grow_tokens(ft_dataset *ds, size_t need)
{
    if (need <= ds->tokcap) return;
    size_t c = ds->tokcap ? ds->tokcap : 1 << 16;
    while (c < need) c *= 2;
    ds->ids = ft_xrealloc(ds->ids, c * sizeof *ds->ids);
    ds->mask = ft_xrealloc(ds->mask, c * sizeof *ds->mask);
    ds->type_ids = ft_xrealloc(ds->type_ids, c * sizeof *ds->type_ids);
    ds->tokcap = c;
}

static int ft_dataset_task_index(ft_dataset *ds, const char *name, int add)
{
    for (int i = 0; i < ds->ntasks; i++)
        if (strcmp(ds->tasks[i], name) == 0) return i;
    if (!add) return -1;
    ds->tasks = ft_xrealloc(ds->tasks, (ds->ntasks + 1) * sizeof *ds->tasks);
    ds->tasks[ds->ntasks] = ft_xstrdup(name);
    return ds->ntasks++;
}

ft_dataset *ft_dataset_load(const char *path)
{
    ft_reader *r = ft_reader_open(path, FT_FMT_AUTO);
    ft_dataset *ds = ft_dataset_read(r);
    ft_reader_close(r);
    return ds;
}

/* Right padding carries no information: masked keys get zero attention
   weight, later positions cannot reach earlier ones in a causal decoder, and
   -100 labels are not scored.  Dropping it gives the same outputs and loss. */
static void trim_padding(const ft_dataset *ds, ft_example *e)
{
    const int32_t *mask = ds->mask + e->tok;
    const int32_t *lab = ds->label_kind == FT_LABELS_SEQUENCE ? ds->seq_labels + e->lab : NULL;
    int labels_follow_inputs = lab && e->lab_len == e->len;
    e->used = e->len;
    while (e->used > 1 && mask[e->used - 1] == 0 && (!labels_follow_inputs || lab[e->used - 1] == -100))
        e->used--;
    e->lab_used = e->lab_len;
    if (labels_follow_inputs) e->lab_used = e->used;
    else if (lab)
        while (e->lab_used > 1 && lab[e->lab_used - 1] == -100) e->lab_used--;
}

ft_dataset *ft_dataset_read(ft_reader *r)
{
    ft_dataset *ds = ft_xcalloc(1, sizeof *ds);
    const char *path = ft_reader_name(r);
    if (ft_reader_format(r) == FT_FMT_FT) {
        const char *kind = ft_reader_kind(r);
        if (strcmp(kind, "tokens") != 0 && strcmp(kind, "records") != 0)
            ft_die("%s: expected token records, got a stream of %s%s", path, kind,
                   strcmp(kind, "batches") == 0 ? " (ft-train reads batches directly; ft-batch wants tokens)" : "");
        ds->header = json_deep_copy(ft_reader_header(r));
        json_t *tok = json_object_get(ds->header, "tokenizer");
        json_t *pad = tok ? json_object_get(tok, "pad_token_id") : NULL;
        if (json_is_integer(pad)) ds->pad_id = (int32_t)json_integer_value(pad);
    }
    ft_record rec = {0};
    int first = 1;
    while (ft_reader_next(r, &rec)) {
        int32_t len, mlen, tlen;
        const int32_t *ids = int_field(r, &rec, "input_ids", &len, 1);
        grow((void **)&ds->ex, &ds->cap, ds->n + 1, sizeof *ds->ex);
        ft_example *e = &ds->ex[ds->n];
        memset(e, 0, sizeof *e);
        grow_tokens(ds, ds->ntok + len);
        memcpy(ds->ids + ds->ntok, ids, len * sizeof *ids);
        const int32_t *mask = int_field(r, &rec, "attention_mask", &mlen, 0);
        if (mask && mlen != len) ft_reader_die(r, "attention_mask has %d entries, input_ids %d", mlen, len);
        for (int32_t i = 0; i < len; i++) ds->mask[ds->ntok + i] = mask ? mask[i] : 1;
        const int32_t *tt = int_field(r, &rec, "token_type_ids", &tlen, 0);
        if (first) ds->has_type_ids = tt != NULL;
        else if (!!tt != ds->has_type_ids)
            ft_reader_die(r, "token_type_ids present in some records and not in others");
        if (tt) {
            if (tlen != len) ft_reader_die(r, "token_type_ids has %d entries, input_ids %d", tlen, len);
            memcpy(ds->type_ids + ds->ntok, tt, len * sizeof *tt);
        }
        e->tok = (int64_t)ds->ntok;
        e->len = len;
        ds->ntok += len;
        if (len > ds->max_len) ds->max_len = len;

        e->label = -100;
        const ft_value *lab = ft_record_get(&rec, "labels");
        if (!lab) lab = ft_record_get(&rec, "label");
        enum ft_label_kind kind = FT_LABELS_NONE;
        if (lab && lab->type == FT_V_INT) {
            kind = FT_LABELS_CLASS;
            e->label = (int32_t)lab->i;
        } else if (lab && lab->type == FT_V_STR) {
            char *end;
            kind = FT_LABELS_CLASS;
            e->label = (int32_t)strtol(lab->str.s, &end, 10);
            if (!lab->str.len || *end)
                ft_reader_die(r, "label \"%.*s\" is not an integer (ft-tokenize --labels maps names)",
                              (int)lab->str.len, lab->str.s);
        } else if (lab && lab->type == FT_V_TENSOR) {
            int32_t llen;
            const int32_t *l = int_field(r, &rec, ft_record_get(&rec, "labels") ? "labels" : "label", &llen, 1);
            kind = FT_LABELS_SEQUENCE;
            grow((void **)&ds->seq_labels, &ds->labcap, ds->nlab + llen, sizeof *ds->seq_labels);
            memcpy(ds->seq_labels + ds->nlab, l, llen * sizeof *l);
            e->lab = (int64_t)ds->nlab;
            e->lab_len = llen;
            ds->nlab += llen;
        } else if (lab && lab->type != FT_V_NIL)
            ft_reader_die(r, "field \"labels\" is neither an integer nor an integer tensor");
        if (first) ds->label_kind = kind;
        else if (kind != ds->label_kind)
            ft_reader_die(r, "labels differ in kind from the first record's");

        const ft_value *task = ft_record_get(&rec, "task");
        if (task && task->type == FT_V_STR) {
            char *name = ft_xasprintf("%.*s", (int)task->str.len, task->str.s);
            e->task = ft_dataset_task_index(ds, name, 1);
            free(name);
        }
        trim_padding(ds, e);
        const ft_value *id = ft_record_get(&rec, "id");
        e->id = id && id->type == FT_V_INT ? id->i : (int64_t)ds->n;
        ds->n++;
        first = 0;
    }
    if (ds->n == 0) ft_die("%s: no token records", path);
    ft_record_free(&rec);
    if (!ds->has_type_ids) { free(ds->type_ids); ds->type_ids = NULL; }
    return ds;
}

void ft_dataset_free(ft_dataset *ds)
{
    if (!ds) return;
    free(ds->ex);
    free(ds->ids);
    free(ds->mask);
    free(ds->type_ids);
    free(ds->seq_labels);
    for (int i = 0; i < ds->ntasks; i++) free(ds->tasks[i]);
    free(ds->tasks);
    json_decref(ds->header);
    free(ds);
}

void ft_dataset_append(ft_dataset *dst, const ft_dataset *src)
{
    if (!!dst->type_ids != !!src->type_ids)
        ft_die("cannot mix token records with and without token_type_ids");
    if (dst->label_kind != src->label_kind)
        ft_die("cannot mix token records with different kinds of labels");
    grow_tokens(dst, dst->ntok + src->ntok);
    memcpy(dst->ids + dst->ntok, src->ids, src->ntok * sizeof *src->ids);
    memcpy(dst->mask + dst->ntok, src->mask, src->ntok * sizeof *src->mask);
    if (src->type_ids) memcpy(dst->type_ids + dst->ntok, src->type_ids, src->ntok * sizeof *src->type_ids);
    grow((void **)&dst->seq_labels, &dst->labcap, dst->nlab + src->nlab, sizeof *dst->seq_labels);
    if (src->nlab) memcpy(dst->seq_labels + dst->nlab, src->seq_labels, src->nlab * sizeof *src->seq_labels);
    grow((void **)&dst->ex, &dst->cap, dst->n + src->n, sizeof *dst->ex);
    for (size_t i = 0; i < src->n; i++) {
        ft_example e = src->ex[i];
        e.tok += (int64_t)dst->ntok;
        e.lab += (int64_t)dst->nlab;
        e.task = src->ntasks ? ft_dataset_task_index(dst, src->tasks[e.task], 1) : e.task;
        dst->ex[dst->n + i] = e;
    }
    dst->n += src->n;
    dst->ntok += src->ntok;
    dst->nlab += src->nlab;
    if (src->max_len > dst->max_len) dst->max_len = src->max_len;
}
