/* evaluate_s2s: generation metrics over a references file.  See evaluate_s2s.h. */
#include "evaluate_s2s.h"
#include "util.h"
#include <omp.h>
#include <stdlib.h>
#include <string.h>

void ft_s2s_eval_opts_default(ft_s2s_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->exec = 1;
    o->jobs = 2;
    ft_exec_opts_default(&o->x);
}

typedef struct {
    int64_t id;
    int has_id;
    char *text;                 /* prediction or reference target */
    char *setup;
    char **tests;
    int ntests;
} item;

/* A value as text: strings as they are, integer tensors/arrays as their ids
   separated by spaces (−100 dropped), so token outputs compare too. */
static char *value_text(const ft_value *v)
{
    if (!v) return NULL;
    if (v->type == FT_V_STR) {
        char *s = ft_xmalloc(v->str.len + 1);
        memcpy(s, v->str.s, v->str.len);
        s[v->str.len] = 0;
        return s;
    }
    size_t n = 0;
    int64_t *x = NULL;
    if (v->type == FT_V_TENSOR && ft_dtype_is_int(v->t.dtype)) {
        n = (size_t)ft_tensor_numel(&v->t);
        x = ft_xmalloc((n + 1) * sizeof *x);
        for (size_t i = 0; i < n; i++)
            if (v->t.dtype == FT_I64) memcpy(&x[i], (const char *)v->t.data + 8 * i, 8);
            else x[i] = (int64_t)ft_tensor_get(&v->t, i);
    } else if (v->type == FT_V_ARRAY) {
        n = v->arr.n;
        x = ft_xmalloc((n + 1) * sizeof *x);
        for (size_t i = 0; i < n; i++) {
            if (v->arr.items[i]->type != FT_V_INT) { free(x); return NULL; }
            x[i] = v->arr.items[i]->i;
        }
    } else return NULL;
    char *s = ft_xmalloc(n * 21 + 1);
    size_t len = 0;
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] != -100) len += sprintf(s + len, "%s%lld", len ? " " : "", (long long)x[i]);
    free(x);
    return s;
}

static item *read_items(const char *path, int refs, const char *target, size_t *n_out, const char **col_out)
{
    ft_reader *r = ft_reader_open(path, FT_FMT_AUTO);
    ft_record rec = {0};
    item *it = NULL;
    size_t n = 0, cap = 0;
    static const char *cands[] = { "code", "snippet", "target", "labels" };
    const char *col = target;
    while (ft_reader_next(r, &rec)) {
        if (n == cap) it = ft_xrealloc(it, (cap = cap ? 2 * cap : 256) * sizeof *it);
        item *x = &it[n++];
        memset(x, 0, sizeof *x);
        const ft_value *id = ft_record_get(&rec, "id");
        if (id && id->type == FT_V_INT) { x->id = id->i; x->has_id = 1; }
        if (refs) {
            if (!col)
                for (int i = 0; i < 4 && !col; i++) if (ft_record_get(&rec, cands[i])) col = cands[i];
            if (!col) ft_reader_die(r, "no target column (code, snippet, target, labels); use --target-column");
            x->text = value_text(ft_record_get(&rec, col));
            if (!x->text) ft_reader_die(r, "column \"%s\" missing or not text / token ids", col);
            const ft_value *t = ft_record_get(&rec, "test_list");
            if (t && t->type == FT_V_ARRAY) {
                x->tests = ft_xcalloc(t->arr.n + 1, sizeof *x->tests);
                for (size_t i = 0; i < t->arr.n; i++) {
                    char *s = value_text(t->arr.items[i]);
                    if (s) x->tests[x->ntests++] = s;
                }
                x->setup = value_text(ft_record_get(&rec, "test_setup_code"));
            }
        } else {
            const ft_value *g = ft_record_get(&rec, "generated_text");
            if (!g) g = ft_record_get(&rec, "generated_ids");
            x->text = value_text(g);
            if (!x->text) ft_reader_die(r, "no generated_text or generated_ids (ft-generate output expected)");
        }
    }
    ft_reader_close(r);
    ft_record_free(&rec);
    *n_out = n;
    if (col_out) *col_out = col;
    return it;
}

static void free_items(item *it, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(it[i].text);
        free(it[i].setup);
        for (int j = 0; j < it[i].ntests; j++) free(it[i].tests[j]);
        free(it[i].tests);
    }
    free(it);
}

json_t *ft_s2s_evaluate(const char *refs_path, const char *gen_path, const ft_s2s_eval_opts *o,
                        const char *prefix, ft_writer *preds)
{
    size_t nr, ng;
    const char *col;
    item *ref = read_items(refs_path, 1, o->target_column, &nr, &col);
    item *gen = read_items(gen_path, 0, NULL, &ng, NULL);
    /* pair them: by id when the predictions' ids are reference ids, else by
       position (ft-generate numbers records 0..n−1) */
    size_t *match = ft_xmalloc((ng + 1) * sizeof *match);
    int by_ref_id = ng > 0;
    for (size_t i = 0; i < ng && by_ref_id; i++) {
        if (!gen[i].has_id) { by_ref_id = 0; break; }
        size_t j = 0;
        while (j < nr && !(ref[j].has_id && ref[j].id == gen[i].id)) j++;
        if (j == nr) by_ref_id = 0; else match[i] = j;
    }
    if (!by_ref_id)
        for (size_t i = 0; i < ng; i++) {
            size_t j = gen[i].has_id ? (size_t)gen[i].id : i;
            if (!gen[i].has_id && i >= nr) ft_die("%s: more predictions (%zu) than references (%zu)", gen_path, ng, nr);
            if (j >= nr) ft_die("%s: prediction id %lld has no reference in %s", gen_path, (long long)gen[i].id, refs_path);
            match[i] = j;
        }
    if (ng < nr) ft_warn("%s: %zu predictions for %zu references; scoring the %zu predicted", gen_path, ng, nr, ng);

    ft_bleu bl;
    ft_bleu_init(&bl);
    long em = 0, with_tests = 0, passed = 0, counts[5] = {0};
    static const char *kinds[5] = { "passed", "failed", "timeout", "crashed", "error" };
    int *st = ft_xcalloc(ng + 1, sizeof *st);
    for (size_t i = 0; i < ng; i++) {
        const item *r = &ref[match[i]];
        em += ft_exact_match(gen[i].text, r->text);
        ft_bleu_add(&bl, gen[i].text, r->text);
        st[i] = -1;
        if (r->ntests && o->exec) with_tests++;
    }
    if (with_tests) {
        #pragma omp parallel for schedule(dynamic, 1) num_threads(o->jobs > 0 ? o->jobs : 1)
        for (size_t i = 0; i < ng; i++) {
            const item *r = &ref[match[i]];
            if (!r->ntests) continue;
            const char *why;
            ft_exec_tests(gen[i].text, r->setup, (const char *const *)r->tests, r->ntests, &o->x, &why);
            for (int k = 0; k < 5; k++) if (!strcmp(why, kinds[k])) st[i] = k;
        }
        for (size_t i = 0; i < ng; i++) if (st[i] >= 0) { counts[st[i]]++; passed += st[i] == 0; }
    }
    json_t *out = json_object();
    char key[96];
#define K(name) (snprintf(key, sizeof key, "%s%s", prefix, name), key)
    json_object_set_new(out, K("exact_match"), json_real(ng ? (double)em / ng : 0));
    double p[4], bp, b = ft_bleu_score(&bl, p, &bp);
    json_object_set_new(out, K("bleu"), json_real(b));
    json_t *pa = json_array();
    for (int k = 0; k < 4; k++) json_array_append_new(pa, json_real(p[k]));
    json_object_set_new(out, K("bleu_precisions"), pa);
    json_object_set_new(out, K("bleu_brevity_penalty"), json_real(bp));
    json_object_set_new(out, K("bleu_sys_len"), json_integer((json_int_t)bl.sys_len));
    json_object_set_new(out, K("bleu_ref_len"), json_integer((json_int_t)bl.ref_len));
    if (with_tests) {
        json_object_set_new(out, K("pass@1"), json_real((double)passed / with_tests));
        json_t *c = json_object();
        for (int k = 0; k < 5; k++) json_object_set_new(c, kinds[k], json_integer(counts[k]));
        json_object_set_new(out, K("exec"), c);
    }
    json_object_set_new(out, K("samples"), json_integer((json_int_t)ng));
    json_object_set_new(out, K("target_column"), json_string(col));
#undef K
    if (preds) {
        ft_record rec = {0};
        for (size_t i = 0; i < ng; i++) {
            const item *r = &ref[match[i]];
            ft_record_clear(&rec);
            if (gen[i].has_id) ft_record_set_int(&rec, "id", gen[i].id);
            ft_record_set_str(&rec, "prediction", gen[i].text, strlen(gen[i].text));
            ft_record_set_str(&rec, "reference", r->text, strlen(r->text));
            ft_record_set_int(&rec, "exact_match", ft_exact_match(gen[i].text, r->text));
            if (st[i] >= 0) ft_record_set_str(&rec, "exec", kinds[st[i]], strlen(kinds[st[i]]));
            ft_writer_put(preds, &rec);
        }
        ft_record_free(&rec);
    }
    free(st);
    free(match);
    free_items(ref, nr);
    free_items(gen, ng);
    return out;
}
