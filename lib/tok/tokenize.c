/* tokenize: records -> token records (see tokenize.h). */
#define _GNU_SOURCE
#include "tokenize.h"
#include "progress.h"
#include "format.h"
#include "input.h"
#include "tok_unicode.h"
#include "util.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GROUP FT_TOKENIZE_GROUP
#define KEY_VERSION "ft-tokenize-2"   /* 2: records in stream format 2 (u16 ids, no all-ones mask) */

void ft_tokenize_opts_init(ft_tokenize_opts *o)
{
    memset(o, 0, sizeof *o);
    o->text_col = "text";
    o->label_col = "label";
    o->tok.add_special_tokens = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = ncpu > 0 ? (int)ncpu : 1;
}

int ft_tok_truncation_parse(const char *s, ft_trunc *out)
{
    if (!strcmp(s, "longest_first")) *out = FT_TRUNC_LONGEST_FIRST;
    else if (!strcmp(s, "only_first")) *out = FT_TRUNC_ONLY_FIRST;
    else if (!strcmp(s, "only_second")) *out = FT_TRUNC_ONLY_SECOND;
    else if (!strcmp(s, "none") || !strcmp(s, "do_not_truncate")) *out = FT_TRUNC_NONE;
    else return -1;
    return 0;
}

int ft_tok_padding_parse(const char *s, ft_pad *out)
{
    if (!strcmp(s, "max_length")) *out = FT_PAD_MAX_LENGTH;
    else if (!strcmp(s, "longest")) *out = FT_PAD_LONGEST;
    else if (!strcmp(s, "none") || !strcmp(s, "do_not_pad")) *out = FT_PAD_NONE;
    else return -1;
    return 0;
}

int ft_tok_errors_parse(const char *s, int *replace)
{
    if (!strcmp(s, "replace")) *replace = 1;
    else if (!strcmp(s, "strict")) *replace = 0;
    else return -1;
    return 0;
}

void ft_tokenize_check(ft_tokenize_opts *o, const ft_tokenizer *t, const char *model, int trunc_given)
{
    if (o->tok.max_length && !trunc_given) o->tok.truncation = FT_TRUNC_LONGEST_FIRST;
    if (o->tok.padding == FT_PAD_MAX_LENGTH && !o->tok.max_length) ft_die("--padding max_length needs --max-length N");
    if (!o->max_target_length) o->max_target_length = o->tok.max_length;
    if (o->task && o->task_col) ft_die("--task and --task-column exclude each other");
    if (o->block_size && (o->tok.max_length || o->tok.padding != FT_PAD_NONE || o->pair_col || o->target_col))
        ft_die("--block-size concatenates whole texts: no --max-length, --padding, pairs or targets");
    if (o->labels_file && !o->labels.n) o->labels = ft_label_names_read(o->labels_file);
    if (!t) return;
    if (trunc_given && o->tok.truncation != FT_TRUNC_NONE && !o->tok.max_length) {
        /* as transformers: truncation without max_length means model_max_length */
        o->tok.max_length = ft_tok_model_max_length(t);
        if (!o->tok.max_length) ft_die("--truncation needs --max-length N (%s gives no model_max_length)", model);
        if (!o->max_target_length) o->max_target_length = o->tok.max_length;
    }
    if (ft_tok_pad_id(t) < 0 && o->tok.padding != FT_PAD_NONE)
        ft_die("%s: the tokenizer has no pad token; use --padding none", model);
}

char *ft_tokenize_options_key(const ft_tokenize_opts *o)
{
    uint64_t lh = o->labels_file ? ft_hash_file(o->labels_file, 7) : 0;
    return ft_xasprintf(KEY_VERSION " text=%s pair=%s label=%s labels=%016llx target=%s mtl=%d prefix=%s "
                        "task=%s taskcol=%s ml=%d trunc=%d pad=%d special=%d replace=%d block=%d",
                        o->text_col, o->pair_col ? o->pair_col : "", o->label_col ? o->label_col : "",
                        (unsigned long long)lh, o->target_col ? o->target_col : "", o->max_target_length,
                        o->prefix ? o->prefix : "", o->task ? o->task : "", o->task_col ? o->task_col : "",
                        o->tok.max_length, o->tok.truncation, o->tok.padding,
                        o->tok.add_special_tokens, o->replace, o->block_size);
}

json_t *ft_tokenize_header(const ft_tokenizer *t, const char *model, const ft_tokenize_opts *o,
                           int argc, char **argv)
{
    json_t *tokj = json_object();
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)ft_tok_hash(t));
    json_object_set_new(tokj, "id", json_string(hash));
    json_object_set_new(tokj, "name", json_string(ft_tok_describe(t)));
    json_object_set_new(tokj, "model", json_string(model));
    json_object_set_new(tokj, "vocab_size", json_integer(ft_tok_vocab_size(t)));
    json_object_set_new(tokj, "pad_token_id", ft_tok_pad_id(t) >= 0 ? json_integer(ft_tok_pad_id(t)) : json_null());
    json_object_set_new(tokj, "token_type_ids", json_boolean(ft_tok_has_type_ids(t)));
    json_t *h = ft_header_new("tokens", argc, argv);
    json_object_set_new(h, "tokenizer", tokj);
    char *key = ft_tokenize_options_key(o);
    json_object_set_new(h, "options", json_string(key));
    free(key);
    if (o->tok.max_length) json_object_set_new(h, "max_length", json_integer(o->tok.max_length));
    return h;
}

/* ---- reading: one group of records, their strings in one growing buffer ---- */

typedef struct { size_t off, len; } span;

typedef struct {
    char *buf; size_t len, cap;
    size_t n;
    span text[GROUP], pair[GROUP], target[GROUP], task[GROUP];
    long place[GROUP];                  /* for ft_reader_where_at, only on error */
    int has_pair[GROUP], has_target[GROUP], has_task[GROUP];
    int64_t label[GROUP]; int has_label[GROUP];
} group_t;

static void gput(group_t *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        size_t c = g->cap ? g->cap : 1 << 16;
        while (c < g->len + n + 1) c *= 2;
        g->buf = ft_xrealloc(g->buf, c);
        g->cap = c;
    }
    memcpy(g->buf + g->len, s, n);
    g->len += n;
}

static const ft_value *column(ft_reader *r, const ft_record *rec, const char *name, int required)
{
    const ft_value *v = ft_record_get(rec, name);
    if (v || !required) return v;
    /* records of the other shapes ft-tokenize reads say which flag they need */
    const char *hint = ft_record_get(rec, "messages") ? " (a conversation: --chat)"
                     : ft_record_get(rec, "prompt") && ft_record_get(rec, "completion")
                     ? " (prompt and completion: --completion-only-loss, or --prompt-completion to label both)" : "";
    ft_reader_die(r, "column \"%s\" missing%s", name, hint);
}

/* A text value into the group.  CSV and JSON readers have checked its UTF-8
   already; strings from ft streams are checked (or repaired) here. */
static span put_text(const ft_tokenize_opts *o, ft_reader *r, group_t *g, const ft_value *v,
                     const char *col, const char *prefix)
{
    char num[32];
    const char *s; size_t n;
    if (v->type == FT_V_STR) { s = v->str.s; n = v->str.len; }
    else if (v->type == FT_V_INT) { n = (size_t)snprintf(num, sizeof num, "%lld", (long long)v->i); s = num; }
    else if (v->type == FT_V_NIL) { s = ""; n = 0; }
    else ft_reader_die(r, "column \"%s\" is not text", col);
    span out = { g->len, 0 };
    if (prefix) gput(g, prefix, strlen(prefix));
    size_t bad = ft_reader_format(r) == FT_FMT_FT ? ft_utf8_check(s, n) : n;
    if (bad == n) gput(g, s, n);
    else {
        if (!o->replace)
            ft_reader_die(r, "column \"%s\": invalid UTF-8 at byte %zu (--errors replace turns it into U+FFFD)", col, bad);
        char *fixed = ft_xmalloc(3 * n + 1);
        gput(g, fixed, ft_utf8_repair(s, n, fixed));
        free(fixed);
    }
    out.len = g->len - out.off;
    return out;
}

static int64_t label_of(const ft_tokenize_opts *o, ft_reader *r, const ft_value *v)
{
    if (v->type == FT_V_INT) return v->i;
    if (v->type != FT_V_STR) ft_reader_die(r, "column \"%s\" is neither an integer nor a label name", o->label_col);
    if (o->labels.n) {
        int id = ft_label_names_find(&o->labels, v->str.s, v->str.len);
        if (id < 0) ft_reader_die(r, "label \"%.*s\" is not in %s", (int)v->str.len, v->str.s, o->labels_file);
        return id;
    }
    char buf[32];
    if (v->str.len == 0 || v->str.len >= sizeof buf) goto bad;
    memcpy(buf, v->str.s, v->str.len);
    buf[v->str.len] = 0;
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (*end || errno) goto bad;
    return x;
bad:
    ft_reader_die(r, "label \"%.*s\" is not an integer (name the labels with --labels FILE)",
                  (int)v->str.len, v->str.s);
}

/* Reads one record into the group; 0 at the end of input. */
static int read_one(const ft_tokenize_opts *o, ft_reader *r, ft_record *rec, group_t *g)
{
    if (!ft_reader_next(r, rec)) return 0;
    size_t i = g->n;
    g->text[i] = put_text(o, r, g, column(r, rec, o->text_col, 1), o->text_col, o->prefix);
    g->has_pair[i] = o->pair_col != NULL;
    if (o->pair_col) g->pair[i] = put_text(o, r, g, column(r, rec, o->pair_col, 1), o->pair_col, NULL);
    g->has_target[i] = o->target_col != NULL;
    if (o->target_col) g->target[i] = put_text(o, r, g, column(r, rec, o->target_col, 1), o->target_col, NULL);
    g->has_label[i] = 0;
    if (o->label_col && !o->target_col) {
        const ft_value *lv = column(r, rec, o->label_col, o->label_col_given);
        if (lv && lv->type != FT_V_NIL) { g->label[i] = label_of(o, r, lv); g->has_label[i] = 1; }
    }
    g->has_task[i] = 0;
    if (o->task_col) { g->task[i] = put_text(o, r, g, column(r, rec, o->task_col, 1), o->task_col, NULL); g->has_task[i] = 1; }
    else if (o->task) { g->task[i] = (span){ g->len, strlen(o->task) }; gput(g, o->task, g->task[i].len); g->has_task[i] = 1; }
    g->place[i] = ft_reader_place(r);
    g->n++;
    return 1;
}

/* ---- writing: small records ---- */

typedef struct {
    const ft_tokenize_opts *o;
    const ft_tokenizer *t;
    ft_tok_team *team;
    ft_encoding enc[GROUP], tgt[GROUP];
    ft_record out;
    ft_dtype id_dtype, label_dtype;     /* what the vocabulary needs */
    ft_record_sink put;
    void *ctx;
    size_t count;
} job_t;

/* n ints under key, in dtype d unless a value does not fit it (then i32). */
static void put_ints(ft_record *rec, const char *key, const int32_t *v, size_t n, ft_dtype d)
{
    if (d != FT_I32 && n) {
        int32_t lo = v[0], hi = v[0];
        for (size_t i = 1; i < n; i++) { lo = v[i] < lo ? v[i] : lo; hi = v[i] > hi ? v[i] : hi; }
        int64_t dlo = d == FT_I16 ? INT16_MIN : 0, dhi = d == FT_U8 ? UINT8_MAX : d == FT_U16 ? UINT16_MAX : INT16_MAX;
        if (lo < dlo || hi > dhi) d = FT_I32;
    }
    ft_value *x = ft_record_add(rec, key, strlen(key));
    x->type = FT_V_TENSOR;
    x->t.dtype = d;
    x->t.ndim = 1;
    x->t.shape[0] = (int64_t)n;
    x->t.data = ft_arena_alloc(&rec->arena, n * ft_dtype_size(d) + 1);
    ft_i32_to_dtype(v, n, d, x->t.data);
}

static int all_ones(const int32_t *m, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= m[i] == 1;
    return ok;
}

static void emit(job_t *j, const ft_record *rec)
{
    j->put(j->ctx, rec);
    j->count++;
}

/* run_clm's group_texts over one datasets.map batch (GROUP records):
   concatenate, keep total // block · block tokens (all of them when fewer
   than one block), cut, labels = input_ids. */
static void emit_blocks(job_t *j, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += j->enc[i].n;
    int32_t *cat = ft_xmalloc((total + 1) * sizeof *cat);
    size_t p = 0;
    for (size_t i = 0; i < n; i++) { memcpy(cat + p, j->enc[i].ids, j->enc[i].n * sizeof *cat); p += j->enc[i].n; }
    size_t bs = (size_t)j->o->block_size, keep = total >= bs ? total / bs * bs : total;
    for (size_t s = 0; s < keep; s += bs) {
        size_t m = keep - s < bs ? keep - s : bs;
        ft_record_clear(&j->out);
        put_ints(&j->out, "input_ids", cat + s, m, j->id_dtype);
        put_ints(&j->out, "labels", cat + s, m, j->id_dtype);
        emit(j, &j->out);
    }
    free(cat);
}

static void encode_group(job_t *j, ft_reader *r, group_t *g)
{
    if (!g->n) return;
    const ft_tokenize_opts *o = j->o;
    const char *a[GROUP], *b[GROUP], *c[GROUP];
    size_t alen[GROUP], blen[GROUP], clen[GROUP], bad;
    const char *err;
    for (size_t i = 0; i < g->n; i++) {
        a[i] = g->buf + g->text[i].off; alen[i] = g->text[i].len;
        b[i] = g->has_pair[i] ? g->buf + g->pair[i].off : NULL; blen[i] = g->has_pair[i] ? g->pair[i].len : 0;
        c[i] = g->has_target[i] ? g->buf + g->target[i].off : ""; clen[i] = g->has_target[i] ? g->target[i].len : 0;
    }
    if (ft_tok_encode_batch(j->t, j->team, g->n, a, alen, o->pair_col ? b : NULL, blen, &o->tok, j->enc, &bad, &err))
        ft_die("%s: %s", ft_reader_where_at(r, g->place[bad]), err);
    if (o->target_col) {
        /* targets: same tokenizer, their own length; pads become -100 so the
           loss ignores them (HF ignore_pad_token_for_loss) */
        ft_tok_opts to = o->tok;
        to.max_length = o->max_target_length;
        if (to.max_length && to.truncation == FT_TRUNC_NONE) to.truncation = FT_TRUNC_LONGEST_FIRST;
        if (to.truncation != FT_TRUNC_NONE) to.truncation = FT_TRUNC_LONGEST_FIRST;
        if (ft_tok_encode_batch(j->t, j->team, g->n, c, clen, NULL, NULL, &to, j->tgt, &bad, &err))
            ft_die("%s: target: %s", ft_reader_where_at(r, g->place[bad]), err);
    }
    if (o->block_size > 0) {
        emit_blocks(j, g->n);
        g->n = g->len = 0;
        return;
    }
    int type_ids = ft_tok_has_type_ids(j->t);
    ft_record *rec = &j->out;
    for (size_t i = 0; i < g->n; i++) {
        ft_encoding *e = &j->enc[i];
        ft_record_clear(rec);
        put_ints(rec, "input_ids", e->ids, e->n, j->id_dtype);
        if (!all_ones(e->attention_mask, e->n)) put_ints(rec, "attention_mask", e->attention_mask, e->n, FT_U8);
        if (type_ids) put_ints(rec, "token_type_ids", e->type_ids, e->n, FT_U8);
        if (o->target_col) {
            ft_encoding *tg = &j->tgt[i];
            for (size_t k = 0; k < tg->n; k++) if (!tg->attention_mask[k]) tg->ids[k] = -100;
            put_ints(rec, "labels", tg->ids, tg->n, j->label_dtype);
        } else if (g->has_label[i]) ft_record_set_int(rec, "labels", g->label[i]);
        if (g->has_task[i]) ft_record_set_str(rec, "task", g->buf + g->task[i].off, g->task[i].len);
        emit(j, rec);
    }
    g->n = g->len = 0;
}

size_t ft_tokenize_files(const ft_tokenize_opts *o, const ft_tokenizer *t, char *const *files, int nfiles,
                         ft_record_sink put, void *ctx)
{
    job_t *j = ft_xcalloc(1, sizeof *j);
    j->o = o;
    j->t = t;
    j->put = put;
    j->ctx = ctx;
    int vocab = ft_tok_vocab_size(t);
    /* ids: u16 while the vocabulary fits (never u8: a record's ids keep one
       dtype across tokenizers of a family), i32 beyond; labels also hold -100 */
    j->id_dtype = vocab - 1 <= UINT16_MAX ? FT_U16 : FT_I32;
    j->label_dtype = ft_dtype_narrowest(-100, vocab - 1);
    j->team = ft_tok_team_new(o->threads);
    group_t *g = ft_xcalloc(1, sizeof *g);
    ft_record rec = {0};
    ft_progress *bar = ft_progress_new("records", 0, 0, 0);
    size_t before = 0;                           /* records in the files done */
    for (int f = 0; f < nfiles; f++) {
        ft_reader *r = ft_reader_open(files[f], FT_FMT_AUTO);
        for (;;) {
            if (g->n == GROUP) {
                encode_group(j, r, g);
                double fr = ft_reader_fraction(r);   /* ETA from the share of the files read */
                ft_progress_update(bar, (double)(before + ft_reader_count(r)), fr < 0 ? -1 : (f + fr) / nfiles, NULL);
            }
            if (!read_one(o, r, &rec, g)) break;
        }
        before += ft_reader_count(r);
        encode_group(j, r, g);
        ft_reader_close(r);
    }
    ft_progress_end(bar);
    size_t count = j->count;
    ft_record_free(&rec);
    ft_record_free(&j->out);
    for (int i = 0; i < GROUP; i++) { ft_encoding_free(&j->enc[i]); ft_encoding_free(&j->tgt[i]); }
    ft_tok_team_free(j->team);
    free(g->buf);
    free(g);
    free(j);
    return count;
}

/* ---- decode ---- */

void ft_tokenize_decode(const ft_tokenizer *t, int skip_special, char *const *files, int nfiles, ft_writer *w)
{
    ft_record rec = {0}, out = {0};
    char *buf = NULL; size_t cap = 0;
    int32_t *ids = NULL; size_t idcap = 0;
    static const char *keys[] = { "input_ids", "labels" }, *names[] = { "text", "target" };
    for (int f = 0; f < nfiles; f++) {
        ft_reader *r = ft_reader_open(files[f], FT_FMT_AUTO);
        while (ft_reader_next(r, &rec)) {
            ft_record_clear(&out);
            for (int k = 0; k < 2; k++) {
                const ft_value *v = ft_record_get(&rec, keys[k]);
                if (!v) { if (!k) ft_reader_die(r, "field \"input_ids\" missing"); continue; }
                if (v->type != FT_V_TENSOR || v->t.ndim != 1 || !ft_dtype_is_int(v->t.dtype)) {
                    if (k) continue;           /* a class label: nothing to decode */
                    ft_reader_die(r, "field \"input_ids\" is not a list of ids");
                }
                size_t n = (size_t)v->t.shape[0], m = 0;
                if (n + 1 > idcap) { idcap = n + 1; ids = ft_xrealloc(ids, idcap * sizeof *ids); }
                ft_tensor_to_i32(&v->t, ids);
                for (size_t i = 0; i < n; i++)
                    if (ids[i] >= 0) ids[m++] = ids[i];   /* -100: ignored label positions */
                size_t len = ft_tok_decode(t, ids, m, skip_special, &buf, &cap);
                ft_record_set_str(&out, names[k], buf, len);
            }
            ft_writer_put(w, &out);
        }
        ft_reader_close(r);
    }
    free(buf); free(ids);
    ft_record_free(&rec); ft_record_free(&out);
}

/* The readers refuse invalid UTF-8, so text input is repaired as bytes first,
   into an anonymous file the reader then opens by /proc/self/fd path.  CSV
   and JSON syntax is ASCII, which never belongs to an invalid sequence, so
   this equals replacing inside each field. */
char *ft_tokenize_repaired_copy(const char *path)
{
    ft_input *in = ft_input_open(path);
    size_t n = 0, cap = 1 << 20, r;
    char *buf = ft_xmalloc(cap);
    while ((r = ft_input_read(in, buf + n, cap - n)) > 0) {
        n += r;
        if (n == cap) buf = ft_xrealloc(buf, cap *= 2);
    }
    ft_input_close(in);
    int fd = memfd_create("ft-tokenize-input", 0);
    if (fd < 0) ft_die("memfd_create: %s", strerror(errno));
    FILE *f = fdopen(fd, "w+");
    if (ft_format_sniff(buf, n) == FT_FMT_FT || ft_utf8_check(buf, n) == n) fwrite(buf, 1, n, f);
    else {
        char *fixed = ft_xmalloc(3 * n + 1);
        fwrite(fixed, 1, ft_utf8_repair(buf, n, fixed), f);
        free(fixed);
    }
    free(buf);
    fflush(f);
    /* keep fd open for the life of the process: the path names it */
    return ft_xasprintf("/proc/self/fd/%d", dup(fd));
}
