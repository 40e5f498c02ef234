/* ft-tokenize: records (CSV, JSONL, ft stream) -> token records, exactly as
   Hugging Face's tokenizers would make them; or, with --decode, back. */
#define _GNU_SOURCE
#include "input.h"
#include "stream.h"
#include "tokenizer.h"
#include "tok_unicode.h"
#include "publish.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
"usage: ft-tokenize --model DIR [options] [FILE...]\n"
"Tokenizes the text column of each record (CSV, TSV, JSONL or ft stream) with\n"
"the model's tokenizer (tokenizer.json, else vocab.txt, else vocab.json +\n"
"merges.txt, else spiece.model) and writes token records: input_ids, attention_mask,\n"
"token_type_ids (models that take them), labels, task.  Ids, special tokens,\n"
"truncation and padding equal Hugging Face tokenizers'.  FILE defaults to stdin.\n"
"  -m, --model DIR            model directory holding the tokenizer files\n"
"      --text-column NAME     column to tokenize (default text)\n"
"      --text-pair-column NAME  second text of a pair ([CLS] a [SEP] b [SEP])\n"
"      --label-column NAME    integer class label, or a name mapped by --labels\n"
"                             (default label, when the input has it)\n"
"      --labels FILE          label names, one a line; line N (from 0) is id N\n"
"      --target-column NAME   seq2seq target text, tokenized into labels\n"
"      --max-target-length N  truncate targets to N tokens (default --max-length)\n"
"      --prefix TEXT          put TEXT before every text (e.g. \"summarize: \")\n"
"      --task NAME            add task NAME to every record\n"
"      --task-column NAME     take each record's task from column NAME\n"
"      --max-length N         truncate to N tokens, special tokens included\n"
"      --truncation S         longest_first (default with --max-length),\n"
"                             only_first, only_second, none; without\n"
"                             --max-length: the model's model_max_length\n"
"      --padding P            none (default), max_length (to --max-length;\n"
"                             target pads are -100), longest (to the longest\n"
"                             of each 1000 records, as datasets.map(batched=True))\n"
"      --add-special-tokens   add [CLS]/[SEP], <s>/</s>, ... (default)\n"
"      --no-add-special-tokens\n"
"      --errors MODE          invalid UTF-8 is an error (strict, default) or\n"
"                             becomes U+FFFD as Python's errors=\"replace\" (replace)\n"
"  -j, --threads N            tokenizing threads (default: all CPUs); order kept\n"
"      --cache-dir DIR        keep the output as shards in DIR, keyed by the\n"
"                             tokenizer files, options and input bytes; a rerun\n"
"                             reads them back without tokenizing\n"
"      --shard-size N         records per cached shard (default 100000)\n"
"      --block-size N         language-model chunks: concatenate each 1000 records'\n"
"                             ids and cut them into N-token blocks (labels = input_ids;\n"
"                             the remainder is dropped), as HF's group_texts in\n"
"                             run_clm and run_mlm (ft-train --task masked-lm masks them)\n"
"      --decode               turn input_ids (and sequence labels) back into text\n"
"      --skip-special-tokens  with --decode: leave special tokens out\n"
"  -o, --output FILE          write FILE (.ft, .ftz, .jsonl, .csv) instead of stdout\n"
"  -z, --zstd                 compress the output\n"
"  -h, --help                 show this help\n";

#define GROUP 1000          /* records encoded together: --padding longest's unit */
#define KEY_VERSION "ft-tokenize-1"

typedef struct {
    const char *model, *text_col, *pair_col, *label_col, *labels_file, *target_col;
    const char *prefix, *task, *task_col, *cache_dir, *out;
    int max_length, max_target_length, threads, zstd, replace, decode, skip_special;
    int block_size;                     /* > 0: group_texts into blocks */
    long shard_size;
    int label_col_given;
    ft_tok_opts opts;
    char **label_names; int nlabels;
} opts_t;

/* One group of records waiting to be encoded: their strings live in one
   growing byte buffer, addressed by offsets until the group is full. */
typedef struct {
    char *buf; size_t len, cap;
    size_t n;
    size_t text[GROUP][2], pair[GROUP][2], target[GROUP][2], task[GROUP][2], where[GROUP][2];
    int has_pair[GROUP], has_target[GROUP], has_task[GROUP];
    int64_t label[GROUP]; int has_label[GROUP];
} group_t;

static void gput(group_t *g, const char *s, size_t n, size_t out[2])
{
    if (g->len + n + 1 > g->cap) {
        size_t c = g->cap ? g->cap : 1 << 16;
        while (c < g->len + n + 1) c *= 2;
        g->buf = ft_xrealloc(g->buf, c); g->cap = c;
    }
    memcpy(g->buf + g->len, s, n);
    out[0] = g->len; out[1] = n;
    g->len += n;
}

/* ---- reading records ---- */

static const ft_value *column(ft_reader *r, const ft_record *rec, const char *name, int required)
{
    const ft_value *v = ft_record_get(rec, name);
    if (!v && required) ft_reader_die(r, "column \"%s\" missing", name);
    return v;
}

/* A text value into the group, checked (or repaired) as UTF-8. */
static void put_text(const opts_t *o, ft_reader *r, group_t *g, const ft_value *v, const char *col,
                     const char *prefix, size_t out[2])
{
    char num[64];
    const char *s; size_t n;
    if (v->type == FT_V_STR) { s = v->str.s; n = v->str.len; }
    else if (v->type == FT_V_INT) { n = snprintf(num, sizeof num, "%lld", (long long)v->i); s = num; }
    else if (v->type == FT_V_NIL) { s = ""; n = 0; }
    else ft_reader_die(r, "column \"%s\" is not text", col);
    size_t pl = prefix ? strlen(prefix) : 0;
    size_t bad = ft_utf8_check(s, n);
    if (bad == n) {
        size_t a[2], b[2];
        gput(g, prefix ? prefix : "", pl, a);
        gput(g, s, n, b);
        out[0] = a[0]; out[1] = pl + n;
        return;
    }
    if (!o->replace)
        ft_reader_die(r, "column \"%s\": invalid UTF-8 at byte %zu (--errors replace turns it into U+FFFD)", col, bad);
    char *fixed = ft_xmalloc(3 * n + 1);
    size_t m = ft_utf8_repair(s, n, fixed);
    size_t a[2], b[2];
    gput(g, prefix ? prefix : "", pl, a);
    gput(g, fixed, m, b);
    free(fixed);
    out[0] = a[0]; out[1] = pl + m;
}

static int64_t label_of(const opts_t *o, ft_reader *r, const ft_value *v)
{
    if (v->type == FT_V_INT) return v->i;
    if (v->type != FT_V_STR) ft_reader_die(r, "column \"%s\" is neither an integer nor a label name", o->label_col);
    if (o->nlabels) {
        for (int i = 0; i < o->nlabels; i++)
            if (strlen(o->label_names[i]) == v->str.len && !memcmp(o->label_names[i], v->str.s, v->str.len)) return i;
        ft_reader_die(r, "label \"%.*s\" is not in %s", (int)v->str.len, v->str.s, o->labels_file);
    }
    char buf[32];
    if (v->str.len == 0 || v->str.len >= sizeof buf) goto bad;
    memcpy(buf, v->str.s, v->str.len); buf[v->str.len] = 0;
    char *end; errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (*end || errno) goto bad;
    return x;
bad:
    ft_reader_die(r, "label \"%.*s\" is not an integer (name the labels with --labels FILE)",
                  (int)v->str.len, v->str.s);
}

/* Reads one record into the group; 0 at the end of input. */
static int read_one(const opts_t *o, ft_reader *r, ft_record *rec, group_t *g)
{
    if (!ft_reader_next(r, rec)) return 0;
    size_t i = g->n;
    const ft_value *v = column(r, rec, o->text_col, 1);
    put_text(o, r, g, v, o->text_col, o->prefix, g->text[i]);
    g->has_pair[i] = 0;
    if (o->pair_col) { put_text(o, r, g, column(r, rec, o->pair_col, 1), o->pair_col, NULL, g->pair[i]); g->has_pair[i] = 1; }
    g->has_target[i] = 0;
    if (o->target_col) { put_text(o, r, g, column(r, rec, o->target_col, 1), o->target_col, NULL, g->target[i]); g->has_target[i] = 1; }
    g->has_label[i] = 0;
    if (o->label_col && !o->target_col) {
        const ft_value *lv = column(r, rec, o->label_col, o->label_col_given);
        if (lv && lv->type != FT_V_NIL) { g->label[i] = label_of(o, r, lv); g->has_label[i] = 1; }
    }
    g->has_task[i] = 0;
    if (o->task_col) { put_text(o, r, g, column(r, rec, o->task_col, 1), o->task_col, NULL, g->task[i]); g->has_task[i] = 1; }
    else if (o->task) { gput(g, o->task, strlen(o->task), g->task[i]); g->has_task[i] = 1; }
    const char *w = ft_reader_where(r);
    gput(g, w, strlen(w), g->where[i]);
    g->n++;
    return 1;
}

/* ---- writing ---- */

typedef struct {
    ft_writer *out;
    /* cache shards */
    char *shard_dir; long shard_size, in_shard; int nshards;
    ft_writer *shard;
    json_t *shard_header;
} sink_t;

static void sink_put(sink_t *k, const ft_record *rec)
{
    ft_writer_put(k->out, rec);
    if (!k->shard_dir) return;
    if (k->shard && k->in_shard == k->shard_size) { ft_writer_close(k->shard); k->shard = NULL; }
    if (!k->shard) {
        char *p = ft_xasprintf("%s/shard-%05d.ftz", k->shard_dir, k->nshards++);
        json_t *h = json_deep_copy(k->shard_header);
        json_object_set_new(h, "shard", json_integer(k->nshards - 1));
        k->shard = ft_writer_open(p, FT_FMT_FT, 1, h);
        free(p);
        k->in_shard = 0;
    }
    ft_writer_put(k->shard, rec);
    k->in_shard++;
}

static void set_ids(ft_record *rec, const char *key, const int32_t *v, size_t n)
{
    int64_t shape[1] = { (int64_t)n };
    ft_record_set_tensor(rec, key, FT_I32, 1, shape, v);
}

static void encode_group(const opts_t *o, const ft_tokenizer *t, ft_tok_team *team, group_t *g,
                         ft_encoding *enc, ft_encoding *tgt, ft_record *rec, sink_t *k)
{
    if (!g->n) return;
    const char *a[GROUP], *b[GROUP], *c[GROUP];
    size_t alen[GROUP], blen[GROUP], clen[GROUP], bad;
    const char *err;
    for (size_t i = 0; i < g->n; i++) {
        a[i] = g->buf + g->text[i][0]; alen[i] = g->text[i][1];
        b[i] = g->has_pair[i] ? g->buf + g->pair[i][0] : NULL; blen[i] = g->pair[i][1];
        c[i] = g->buf + g->target[i][0]; clen[i] = g->target[i][1];
    }
    if (ft_tok_encode_batch(t, team, g->n, a, alen, o->pair_col ? b : NULL, blen, &o->opts, enc, &bad, &err))
        ft_die("%.*s: %s", (int)g->where[bad][1], g->buf + g->where[bad][0], err);
    if (o->target_col) {
        /* targets: same tokenizer, their own length; pads become -100 so the
           loss ignores them (HF ignore_pad_token_for_loss) */
        ft_tok_opts to = o->opts;
        to.max_length = o->max_target_length;
        if (to.max_length && to.truncation == FT_TRUNC_NONE) to.truncation = FT_TRUNC_LONGEST_FIRST;
        if (to.truncation != FT_TRUNC_NONE) to.truncation = FT_TRUNC_LONGEST_FIRST;
        if (ft_tok_encode_batch(t, team, g->n, c, clen, NULL, NULL, &to, tgt, &bad, &err))
            ft_die("%.*s: target: %s", (int)g->where[bad][1], g->buf + g->where[bad][0], err);
    }
    if (o->block_size > 0) {
        /* run_clm's group_texts over one datasets.map batch (GROUP records):
           concatenate, keep total // block · block tokens (all of them when
           fewer than one block), cut, labels = input_ids */
        size_t total = 0;
        for (size_t i = 0; i < g->n; i++) total += enc[i].n;
        int32_t *cat = ft_xmalloc((total + 1) * sizeof *cat), *ones = ft_xmalloc((o->block_size + 1) * sizeof *ones);
        size_t p = 0;
        for (size_t i = 0; i < g->n; i++) { memcpy(cat + p, enc[i].ids, enc[i].n * sizeof *cat); p += enc[i].n; }
        for (int j = 0; j < o->block_size; j++) ones[j] = 1;
        size_t bs = (size_t)o->block_size, keep = total >= bs ? total / bs * bs : total;
        for (size_t s = 0; s < keep; s += bs) {
            size_t n = keep - s < bs ? keep - s : bs;
            ft_record_clear(rec);
            set_ids(rec, "input_ids", cat + s, n);
            set_ids(rec, "attention_mask", ones, n);
            set_ids(rec, "labels", cat + s, n);
            sink_put(k, rec);
        }
        free(cat); free(ones);
        g->n = 0; g->len = 0;
        return;
    }
    int type_ids = ft_tok_has_type_ids(t);
    for (size_t i = 0; i < g->n; i++) {
        ft_record_clear(rec);
        set_ids(rec, "input_ids", enc[i].ids, enc[i].n);
        set_ids(rec, "attention_mask", enc[i].attention_mask, enc[i].n);
        if (type_ids) set_ids(rec, "token_type_ids", enc[i].type_ids, enc[i].n);
        if (o->target_col) {
            for (size_t j = 0; j < tgt[i].n; j++) if (!tgt[i].attention_mask[j]) tgt[i].ids[j] = -100;
            set_ids(rec, "labels", tgt[i].ids, tgt[i].n);
        } else if (g->has_label[i]) ft_record_set_int(rec, "labels", g->label[i]);
        if (g->has_task[i]) ft_record_set_str(rec, "task", g->buf + g->task[i][0], g->task[i][1]);
        sink_put(k, rec);
    }
    g->n = 0; g->len = 0;
}

/* ---- cache ---- */

static uint64_t hash_file(const char *path, uint64_t seed)
{
    size_t n;
    char *s = ft_read_file(path, &n);
    uint64_t h = ft_hash64(s, n, seed);
    free(s);
    return h;
}

/* Everything that changes the records, as one canonical string. */
static char *options_key(const opts_t *o)
{
    uint64_t lh = o->labels_file ? hash_file(o->labels_file, 7) : 0;
    return ft_xasprintf(KEY_VERSION " text=%s pair=%s label=%s labels=%016llx target=%s mtl=%d prefix=%s "
                        "task=%s taskcol=%s ml=%d trunc=%d pad=%d special=%d replace=%d block=%d",
                        o->text_col, o->pair_col ? o->pair_col : "", o->label_col ? o->label_col : "",
                        (unsigned long long)lh, o->target_col ? o->target_col : "", o->max_target_length,
                        o->prefix ? o->prefix : "", o->task ? o->task : "", o->task_col ? o->task_col : "",
                        o->opts.max_length, o->opts.truncation, o->opts.padding,
                        o->opts.add_special_tokens, o->replace, o->block_size);
}

static int shard_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Copies the cached shards of dir to the output; returns the record count. */
static size_t replay(const char *dir, sink_t *k)
{
    DIR *d = opendir(dir);
    if (!d) ft_die("%s: %s", dir, strerror(errno));
    char **names = NULL; size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "shard-", 6)) {
            names = ft_xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = ft_xasprintf("%s/%s", dir, e->d_name);
        }
    closedir(d);
    qsort(names, n, sizeof *names, shard_cmp);
    ft_record rec = {0};
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        ft_reader *r = ft_reader_open(names[i], FT_FMT_AUTO);
        ft_reader_expect_stream(r, "tokens");
        while (ft_reader_next(r, &rec)) { ft_writer_put(k->out, &rec); count++; }
        ft_reader_close(r);
        free(names[i]);
    }
    free(names);
    ft_record_free(&rec);
    return count;
}

/* ---- decode ---- */

static void decode_all(const opts_t *o, const ft_tokenizer *t, char **files, int nfiles, ft_writer *w)
{
    ft_record rec = {0}, out = {0};
    char *buf = NULL; size_t cap = 0;
    int32_t *ids = NULL; size_t idcap = 0;
    for (int f = 0; f < nfiles; f++) {
        ft_reader *r = ft_reader_open(files[f], FT_FMT_AUTO);
        while (ft_reader_next(r, &rec)) {
            ft_record_clear(&out);
            static const char *keys[] = { "input_ids", "labels" }, *names[] = { "text", "target" };
            for (int k = 0; k < 2; k++) {
                const ft_value *v = ft_record_get(&rec, keys[k]);
                if (!v) { if (!k) ft_reader_die(r, "field \"input_ids\" missing"); continue; }
                if (v->type != FT_V_TENSOR || v->t.ndim != 1) {
                    if (k) continue;           /* a class label: nothing to decode */
                    ft_reader_die(r, "field \"input_ids\" is not a list of ids");
                }
                size_t n = v->t.shape[0], m = 0;
                if (n + 1 > idcap) { idcap = n + 1; ids = ft_xrealloc(ids, idcap * sizeof *ids); }
                for (size_t i = 0; i < n; i++) {
                    double x = ft_tensor_get(&v->t, i);
                    if (x < 0) continue;       /* -100: ignored label positions */
                    ids[m++] = (int32_t)x;
                }
                size_t len = ft_tok_decode(t, ids, m, o->skip_special, &buf, &cap);
                ft_record_set_str(&out, names[k], buf, len);
            }
            ft_writer_put(w, &out);
        }
        ft_reader_close(r);
    }
    free(buf); free(ids);
    ft_record_free(&rec); ft_record_free(&out);
}

/* --errors replace: the readers refuse invalid UTF-8, so text input is
   repaired as bytes first, into an anonymous file the reader then opens by
   /proc/self/fd path.  CSV and JSON syntax is ASCII, which never belongs to
   an invalid sequence, so this equals replacing inside each field.  ft
   streams are copied unchanged (their strings are repaired per field). */
static char *repaired_copy(const char *path)
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

static void read_labels(opts_t *o)
{
    size_t n;
    char *s = ft_read_file(o->labels_file, &n);
    for (size_t i = 0, line = 1; i < n; line++) {
        size_t j = i;
        while (j < n && s[j] != '\n') j++;
        size_t e = j > i && s[j - 1] == '\r' ? j - 1 : j;
        if (e == i && j >= n) break;
        if (e == i) ft_die("%s:%zu: empty label name", o->labels_file, line);
        char *name = ft_xasprintf("%.*s", (int)(e - i), s + i);
        for (int k = 0; k < o->nlabels; k++)
            if (!strcmp(o->label_names[k], name)) ft_die("%s:%zu: label \"%s\" repeats line %d", o->labels_file, line, name, k + 1);
        o->label_names = ft_xrealloc(o->label_names, (o->nlabels + 1) * sizeof *o->label_names);
        o->label_names[o->nlabels++] = name;
        i = j + 1;
    }
    free(s);
    if (!o->nlabels) ft_die("%s: no label names", o->labels_file);
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_TEXT = 256, O_PAIR, O_LABEL, O_LABELS, O_TARGET, O_MTL, O_PREFIX, O_TASK, O_TASKCOL,
           O_MAXLEN, O_TRUNC, O_PAD, O_SPECIAL, O_NOSPECIAL, O_ERRORS, O_CACHE, O_SHARD, O_DECODE, O_SKIP,
           O_BLOCK };
    static const struct option lo[] = {
        {"model", required_argument, 0, 'm'}, {"text-column", required_argument, 0, O_TEXT},
        {"text-pair-column", required_argument, 0, O_PAIR}, {"label-column", required_argument, 0, O_LABEL},
        {"labels", required_argument, 0, O_LABELS}, {"target-column", required_argument, 0, O_TARGET},
        {"max-target-length", required_argument, 0, O_MTL}, {"prefix", required_argument, 0, O_PREFIX},
        {"task", required_argument, 0, O_TASK}, {"task-column", required_argument, 0, O_TASKCOL},
        {"max-length", required_argument, 0, O_MAXLEN}, {"truncation", required_argument, 0, O_TRUNC},
        {"padding", required_argument, 0, O_PAD}, {"add-special-tokens", no_argument, 0, O_SPECIAL},
        {"no-add-special-tokens", no_argument, 0, O_NOSPECIAL}, {"errors", required_argument, 0, O_ERRORS},
        {"threads", required_argument, 0, 'j'}, {"cache-dir", required_argument, 0, O_CACHE},
        {"shard-size", required_argument, 0, O_SHARD}, {"decode", no_argument, 0, O_DECODE},
        {"skip-special-tokens", no_argument, 0, O_SKIP}, {"block-size", required_argument, 0, O_BLOCK}, {"output", required_argument, 0, 'o'},
        {"zstd", no_argument, 0, 'z'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    opts_t o = { .text_col = "text", .label_col = "label", .shard_size = 100000,
                 .opts = { .add_special_tokens = 1 } };
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = ncpu > 0 ? (int)ncpu : 1;
    int trunc_given = 0, c;
    while ((c = getopt_long(argc, argv, "m:j:o:zh", lo, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case O_TEXT: o.text_col = optarg; break;
        case O_PAIR: o.pair_col = optarg; break;
        case O_LABEL: o.label_col = optarg; o.label_col_given = 1; break;
        case O_LABELS: o.labels_file = optarg; break;
        case O_TARGET: o.target_col = optarg; break;
        case O_MTL: o.max_target_length = (int)ft_parse_long("--max-target-length", optarg, 1, 1 << 24); break;
        case O_PREFIX: o.prefix = optarg; break;
        case O_TASK: o.task = optarg; break;
        case O_TASKCOL: o.task_col = optarg; break;
        case O_MAXLEN: o.opts.max_length = (int)ft_parse_long("--max-length", optarg, 1, 1 << 24); break;
        case O_TRUNC:
            trunc_given = 1;
            if (!strcmp(optarg, "longest_first")) o.opts.truncation = FT_TRUNC_LONGEST_FIRST;
            else if (!strcmp(optarg, "only_first")) o.opts.truncation = FT_TRUNC_ONLY_FIRST;
            else if (!strcmp(optarg, "only_second")) o.opts.truncation = FT_TRUNC_ONLY_SECOND;
            else if (!strcmp(optarg, "none") || !strcmp(optarg, "do_not_truncate")) o.opts.truncation = FT_TRUNC_NONE;
            else ft_die("--truncation: '%s' is not longest_first, only_first, only_second or none", optarg);
            break;
        case O_PAD:
            if (!strcmp(optarg, "max_length")) o.opts.padding = FT_PAD_MAX_LENGTH;
            else if (!strcmp(optarg, "longest")) o.opts.padding = FT_PAD_LONGEST;
            else if (!strcmp(optarg, "none") || !strcmp(optarg, "do_not_pad")) o.opts.padding = FT_PAD_NONE;
            else ft_die("--padding: '%s' is not none, max_length or longest", optarg);
            break;
        case O_SPECIAL: o.opts.add_special_tokens = 1; break;
        case O_NOSPECIAL: o.opts.add_special_tokens = 0; break;
        case O_ERRORS:
            if (!strcmp(optarg, "replace")) o.replace = 1;
            else if (!strcmp(optarg, "strict")) o.replace = 0;
            else ft_die("--errors: '%s' is not strict or replace", optarg);
            break;
        case 'j': o.threads = (int)ft_parse_long("--threads", optarg, 1, 1024); break;
        case O_CACHE: o.cache_dir = optarg; break;
        case O_SHARD: o.shard_size = ft_parse_long("--shard-size", optarg, 1, __LONG_MAX__); break;
        case O_DECODE: o.decode = 1; break;
        case O_SKIP: o.skip_special = 1; break;
        case O_BLOCK: o.block_size = (int)ft_parse_long("--block-size", optarg, 1, 1 << 24); break;
        case 'o': o.out = optarg; break;
        case 'z': o.zstd = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!o.model) { fputs(usage, stderr); ft_die("--model DIR is required"); }
    if (o.opts.max_length && !trunc_given) o.opts.truncation = FT_TRUNC_LONGEST_FIRST;
    if (o.opts.padding == FT_PAD_MAX_LENGTH && !o.opts.max_length) ft_die("--padding max_length needs --max-length N");
    if (!o.max_target_length) o.max_target_length = o.opts.max_length;
    if (o.task && o.task_col) ft_die("--task and --task-column exclude each other");
    if (o.labels_file) read_labels(&o);
    if (o.block_size && (o.opts.max_length || o.opts.padding != FT_PAD_NONE || o.pair_col || o.target_col))
        ft_die("--block-size concatenates whole texts: no --max-length, --padding, pairs or targets");

    const char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : (char **)stdin_only;
    int nfiles = optind < argc ? argc - optind : 1;
    ft_tokenizer *t = ft_tok_load_or_die(o.model);

    if (o.decode) {
        ft_writer *w = ft_writer_open(o.out, o.out ? FT_FMT_AUTO : FT_FMT_JSONL, o.zstd, NULL);
        decode_all(&o, t, files, nfiles, w);
        ft_writer_close(w);
        ft_tok_free(t);
        return 0;
    }
    if (trunc_given && o.opts.truncation != FT_TRUNC_NONE && !o.opts.max_length) {
        /* as transformers: truncation without max_length means model_max_length */
        o.opts.max_length = ft_tok_model_max_length(t);
        if (!o.opts.max_length) ft_die("--truncation needs --max-length N (%s gives no model_max_length)", o.model);
        if (!o.max_target_length) o.max_target_length = o.opts.max_length;
    }
    if (ft_tok_pad_id(t) < 0 && o.opts.padding != FT_PAD_NONE)
        ft_die("%s: the tokenizer has no pad token; use --padding none", o.model);

    json_t *tokj = json_object();
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)ft_tok_hash(t));
    json_object_set_new(tokj, "id", json_string(hash));
    json_object_set_new(tokj, "name", json_string(ft_tok_describe(t)));
    json_object_set_new(tokj, "model", json_string(o.model));
    json_object_set_new(tokj, "vocab_size", json_integer(ft_tok_vocab_size(t)));
    json_object_set_new(tokj, "pad_token_id", ft_tok_pad_id(t) >= 0 ? json_integer(ft_tok_pad_id(t)) : json_null());
    json_object_set_new(tokj, "token_type_ids", json_boolean(ft_tok_has_type_ids(t)));
    char *okey = options_key(&o);
    json_t *h = ft_header_new("tokens", argc, argv);
    json_object_set(h, "tokenizer", tokj);
    json_object_set_new(h, "options", json_string(okey));
    if (o.opts.max_length) json_object_set_new(h, "max_length", json_integer(o.opts.max_length));

    sink_t k = { .shard_size = o.shard_size };
    char *key_dir = NULL, *spool = NULL;
    if (o.cache_dir) {
        if (mkdir(o.cache_dir, 0777) && errno != EEXIST) ft_die("%s: %s", o.cache_dir, strerror(errno));
        ft_sweep_dead_temps(o.cache_dir);   /* shards of runs killed before they finished */
        if (nfiles == 1 && !strcmp(files[0], "-")) {
            /* stdin must be hashed before it is read: keep a copy */
            size_t n; char *s = ft_read_file("-", &n);
            char *base = ft_xasprintf("%s/stdin", o.cache_dir);
            spool = ft_tmp_name(base);      /* a temporary: swept if this run is killed */
            free(base);
            ft_outfile *f = ft_out_open(spool, 0);
            fwrite(s, 1, n, f->fp);
            ft_out_commit(f);
            free(s);
            files[0] = spool;
        }
        uint64_t key = ft_hash64(okey, strlen(okey), ft_tok_hash(t));
        for (int f = 0; f < nfiles; f++) key = hash_file(files[f], key);
        key_dir = ft_xasprintf("%s/%016llx", o.cache_dir, (unsigned long long)key);
        struct stat st;
        if (stat(key_dir, &st) == 0) {
            json_object_set_new(h, "cache", json_string(key_dir));
            k.out = ft_writer_open(o.out, FT_FMT_AUTO, o.zstd, h);
            size_t n = replay(key_dir, &k);
            ft_writer_close(k.out);
            fprintf(stderr, "%s: %zu records from cache %s (not tokenized again)\n", ft_prog, n, key_dir);
            if (spool) unlink(spool);
            return 0;
        }
        k.shard_dir = ft_tmp_name(key_dir);
        ft_tmp_dir_begin(k.shard_dir);
        if (mkdir(k.shard_dir, 0777)) ft_die("%s: %s", k.shard_dir, strerror(errno));
        k.shard_header = json_deep_copy(h);
    }
    k.out = ft_writer_open(o.out, FT_FMT_AUTO, o.zstd, h);
    if (o.replace)
        for (int f = 0; f < nfiles; f++) files[f] = repaired_copy(files[f]);

    ft_tok_team *team = ft_tok_team_new(o.threads);
    group_t *g = ft_xcalloc(1, sizeof *g);
    ft_encoding *enc = ft_xcalloc(GROUP, sizeof *enc), *tgt = ft_xcalloc(GROUP, sizeof *tgt);
    ft_record rec = {0}, out = {0};
    for (int f = 0; f < nfiles; f++) {
        ft_reader *r = ft_reader_open(files[f], FT_FMT_AUTO);
        while (1) {
            if (g->n == GROUP) encode_group(&o, t, team, g, enc, tgt, &out, &k);
            if (!read_one(&o, r, &rec, g)) break;
        }
        encode_group(&o, t, team, g, enc, tgt, &out, &k);
        ft_reader_close(r);
    }
    ft_writer_close(k.out);
    if (k.shard_dir) {
        if (k.shard) ft_writer_close(k.shard);
        /* the finished directory appears at once, under its key */
        ft_fsync_path(k.shard_dir);
        ft_tmp_dir_done();
        if (rename(k.shard_dir, key_dir) != 0) {
            ft_warn("%s: %s (cache not kept)", key_dir, strerror(errno));
            ft_rm_rf(k.shard_dir);
        } else {
            ft_fsync_parent(key_dir);
            fprintf(stderr, "%s: cached %d shards in %s\n", ft_prog, k.nshards, key_dir);
        }
    }
    if (spool) unlink(spool);
    ft_record_free(&rec); ft_record_free(&out);
    for (int i = 0; i < GROUP; i++) { ft_encoding_free(&enc[i]); ft_encoding_free(&tgt[i]); }
    free(enc); free(tgt); free(g->buf); free(g);
    ft_tok_team_free(team);
    ft_tok_free(t);
    json_decref(tokj);
    free(okey);
    return 0;
}
