/* pack: examples end to end in rows (see pack.h). */
#include "pack.h"
#include "rng.h"
#include "util.h"
#include <string.h>

static void check_labels(const ft_dataset *ds)
{
    if (ds->label_kind == FT_LABELS_CLASS)
        ft_die("packing is for causal language modelling: these records have class labels, not token labels");
    if (ds->label_kind != FT_LABELS_SEQUENCE) return;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->ex[i].lab_len != ds->ex[i].len)
            ft_die("packing: record %lld has %d labels for %d input tokens (packing needs one label per token)",
                   (long long)ds->ex[i].id, ds->ex[i].lab_len, ds->ex[i].len);
}

ft_pack *ft_pack_new(const ft_dataset *ds, int max_length)
{
    if (max_length <= 0) ft_die("packing needs --max-length, the tokens of a packed row");
    check_labels(ds);
    ft_pack *p = ft_xcalloc(1, sizeof *p);
    p->max_length = max_length;
    p->start = ft_xmalloc((ds->n + 1) * sizeof *p->start);
    p->tokens = ft_xmalloc((ds->n ? ds->n : 1) * sizeof *p->tokens);
    int fill = 0;
    for (size_t i = 0; i < ds->n; i++) {
        int n = ds->ex[i].used;
        if (n > max_length) {
            p->truncated++;
            p->cut_tokens += n - max_length;
            n = max_length;
        }
        if (!p->nrows || fill + n > max_length) {       /* next-fit: a new row */
            p->start[p->nrows] = (int64_t)i;
            p->tokens[p->nrows++] = 0;
            fill = 0;
        }
        fill += n;
        p->tokens[p->nrows - 1] = fill;
    }
    p->start[p->nrows] = (int64_t)ds->n;
    return p;
}

void ft_pack_free(ft_pack *p)
{
    if (!p) return;
    free(p->start);
    free(p->tokens);
    free(p);
}

void ft_pack_report(const ft_pack *p)
{
    if (p->truncated)
        ft_warn("packing: %ld example%s longer than --max-length %d cut to it (%lld tokens dropped)",
                p->truncated, p->truncated == 1 ? "" : "s", p->max_length, p->cut_tokens);
}

/* Row r's examples into row[T] (and its mask, labels, positions, segments). */
static void fill_row(const ft_dataset *ds, const ft_pack *p, long r, int T, int Tl, ft_batch_data *out, int i)
{
    size_t o = (size_t)i * T;
    int t = 0, k = 0;
    for (int64_t e = p->start[r]; e < p->start[r + 1]; e++, k++) {
        const ft_example *x = &ds->ex[e];
        int n = x->used < p->max_length ? x->used : p->max_length;
        memcpy(out->input_ids + o + t, ds->ids + x->tok, n * sizeof(int32_t));
        memcpy(out->attention_mask + o + t, ds->mask + x->tok, n * sizeof(int32_t));
        if (ds->type_ids) memcpy(out->token_type_ids + o + t, ds->type_ids + x->tok, n * sizeof(int32_t));
        if (Tl) memcpy(out->labels + o + t, ds->seq_labels + x->lab, n * sizeof(int32_t));
        for (int j = 0; j < n; j++) {
            out->position_ids[o + t + j] = j;
            out->segment_ids[o + t + j] = k;
        }
        t += n;
    }
    /* trailing padding: masked, unlabelled, part of the row's last example */
    for (; t < T; t++) {
        out->input_ids[o + t] = ds->pad_id;
        out->attention_mask[o + t] = 0;
        if (ds->type_ids) out->token_type_ids[o + t] = 0;
        if (Tl) out->labels[o + t] = -100;
        out->position_ids[o + t] = 0;
        out->segment_ids[o + t] = k > 0 ? k - 1 : 0;
    }
    if (!Tl) out->labels[i] = -100;           /* no labels: a causal LM's follow the inputs */
    out->ids[i] = ds->ex[p->start[r]].id;
    out->tasks[i] = ds->ex[p->start[r]].task;
}

void ft_pack_fill(const ft_dataset *ds, const ft_pack *p, const ft_batch_opts *o, const int64_t *rows, int count,
                  ft_batch_data *out)
{
    int T = o->max_length;
    if (!T)
        for (int i = 0; i < count; i++)
            if (p->tokens[rows[i]] > T) T = p->tokens[rows[i]];
    if (T <= 0) T = 1;
    int Tl = ds->label_kind == FT_LABELS_SEQUENCE ? T : 0;
    ft_batch_reserve(out, count, T, Tl, ds->type_ids != NULL, 1);
    out->B = count;
    out->T = T;
    out->Tl = Tl;
    for (int i = 0; i < count; i++) fill_row(ds, p, rows[i], T, Tl, out, i);
}
