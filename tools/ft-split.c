/* ft-split: split records into train and test parts, as sklearn's
   train_test_split does - with --seed, the very same rows in the same order. */
#include "csvindex.h"
#include "labels.h"
#include "mapin.h"
#include "recspool.h"
#include "splitplan.h"
#include "stream.h"
#include "utf8.h"
#include "util.h"
#include <getopt.h>
#include <string.h>
#include <sys/random.h>

static const char usage[] =
"usage: ft-split --train FILE --test FILE [--test-size N] [--train-size N] [--seed S]\n"
"                [--no-shuffle] [--stratify COLUMN] [--format F] [-z] [FILE]\n"
"Splits the records of FILE (stdin if absent; CSV, TSV, JSONL or an ft stream,\n"
"zstd-compressed or not) into a train and a test part, as scikit-learn's\n"
"train_test_split(df, test_size=, train_size=, random_state=, shuffle=, stratify=)\n"
"does: with --seed S the same rows land in each part, in the same order.\n"
"  --train FILE         write the train part to FILE (format from its name:\n"
"                       .csv .tsv .jsonl .ft .ftz; \"-\": stdout, input's format)\n"
"  --test FILE          write the test part to FILE\n"
"  --test-size N        a fraction in (0, 1), or an integer count of rows;\n"
"                       default 0.25, or the complement of --train-size\n"
"  --train-size N       a fraction in (0, 1), or an integer count of rows;\n"
"                       default: the complement of --test-size\n"
"  --seed S             random_state: an integer in [0, 2**32); without it the\n"
"                       split is different every run\n"
"  --no-shuffle         shuffle=False: the first rows train, the next ones test\n"
"  --stratify COLUMN    keep each class of COLUMN in the same proportion in both\n"
"                       parts (StratifiedShuffleSplit)\n"
"  -f, --format F       output format for both parts: csv, tsv, jsonl, ft\n"
"  -z, --zstd           compress both outputs with zstd\n"
"      --input-format F read the input as F (csv, tsv, jsonl, ft), no detection\n"
"  -v, --verbose        report rows, parts, time and memory on stderr\n"
"  -h, --help           show this help\n"
"CSV to CSV copies each row's bytes verbatim (header, column order and quoting\n"
"kept); both outputs appear only once both are completely written.\n";

typedef struct opts {
    const char *train, *test, *stratify;
    ft_split_size test_size, train_size;
    long long seed;
    int shuffle, zstd, verbose;
    ft_format out_fmt, in_fmt;
    ft_format train_fmt, test_fmt;   /* resolved by out_format */
    int argc;               /* for the producer in an ft stream's header */
    char **argv;
} opts;

/* ---- class labels of --stratify, one per row ---- */
typedef struct strat {
    ft_labels *labels;
    uint32_t *y;
    size_t n, cap;
    const char *name, *col;
    char msg[256];
} strat;

static void strat_add(strat *s, size_t row, const char *v, size_t len)
{
    if (row >= s->cap) s->y = ft_xrealloc(s->y, (s->cap = 2 * row + 1024) * sizeof *s->y);
    s->y[row] = ft_labels_intern(s->labels, v, len);
    s->n = row + 1;
}

static const char *strat_csv_key(void *ctx, size_t row, const char *v, size_t len)
{
    strat *s = ctx;
    if (len == 0) {
        snprintf(s->msg, sizeof s->msg,
                 "column \"%s\" is empty (every row needs a class to stratify)", s->col);
        return s->msg;
    }
    strat_add(s, row, v, len);
    return NULL;
}

/* A record's label as text, the way pandas would show the value. */
static void strat_record(strat *s, ft_reader *r, const ft_record *rec, size_t row)
{
    const ft_value *v = ft_record_get(rec, s->col);
    char buf[64];
    if (!v) ft_reader_die(r, "column \"%s\" missing", s->col);
    switch (v->type) {
    case FT_V_STR:
        if (!v->str.len)
            ft_reader_die(r, "column \"%s\" is empty (every row needs a class to stratify)", s->col);
        strat_add(s, row, v->str.s, v->str.len);
        return;
    case FT_V_INT: snprintf(buf, sizeof buf, "%lld", (long long)v->i); break;
    case FT_V_FLOAT: snprintf(buf, sizeof buf, "%.17g", v->f); break;
    case FT_V_BOOL: snprintf(buf, sizeof buf, "%s", v->b ? "True" : "False"); break;
    case FT_V_NIL: ft_reader_die(r, "column \"%s\" is null (every row needs a class to stratify)", s->col);
    default: ft_reader_die(r, "column \"%s\" is not a scalar, cannot stratify on it", s->col);
    }
    strat_add(s, row, buf, strlen(buf));
}

/* ---- --verbose ---- */
static double t_start;

/* kB of a /proc/self/status line ("VmHWM", "RssAnon", "RssFile"). */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0 && line[k] == ':') v = atol(line + k + 1);
    if (f) fclose(f);
    return v;
}

/* Peak RSS counts the pages of a mapped input, which are the kernel's page
   cache (clean, shared, droppable); private memory is what ft-split allocates. */
static void report(const opts *o, const char *name, size_t n, const ft_split_plan *p)
{
    if (!o->verbose) return;
    fprintf(stderr, "%s: %s: %zu rows: %zu train, %zu test; %.2f s; peak RSS %ld MB "
            "(private %ld MB, mapped input %ld MB)\n", ft_prog, name, n, p->n_train, p->n_test,
            ft_now() - t_start, status_kb("VmHWM") / 1024, status_kb("RssAnon") / 1024,
            status_kb("RssFile") / 1024);
}

/* ---- the plan: sizes and row order, as sklearn ---- */
static void make_plan(ft_split_plan *plan, const opts *o, const char *name, size_t n, strat *s)
{
    size_t n_train, n_test;
    char *err = ft_split_sizes(n, o->test_size, o->train_size, &n_train, &n_test);
    if (err) ft_die("%s: %s", name, err);
    ft_mt19937 mt;
    if (o->seed >= 0) ft_mt_seed(&mt, (uint32_t)o->seed);
    else {
        uint32_t key[4];
        if (getrandom(key, sizeof key, 0) != sizeof key) ft_die("getrandom failed");
        ft_mt_seed_array(&mt, key, 4);
    }
    if (!o->shuffle) ft_split_ordered(plan, n_train, n_test);
    else if (!o->stratify) ft_split_shuffled(plan, &mt, n, n_train, n_test);
    else {
        size_t ncls;
        const uint32_t *cls = ft_labels_classes(s->labels, &ncls);
        for (size_t i = 0; i < n; i++) s->y[i] = cls[s->y[i]];
        err = ft_split_stratified(plan, &mt, s->y, n, ncls, n_train, n_test);
        if (err) ft_die("%s: %s", name, err);
    }
}

/* ---- CSV to CSV: rows copied by byte range from the mapped input ---- */
typedef struct outbuf { ft_outfile *out; char *buf; size_t len, cap; } outbuf;

static void ob_put(outbuf *b, const char *p, size_t n)
{
    if (b->len + n > b->cap) {
        if (b->len && fwrite(b->buf, 1, b->len, b->out->fp) != b->len) return;  /* commit reports it */
        b->len = 0;
        if (n > b->cap) { fwrite(p, 1, n, b->out->fp); return; }
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

/* Header, then the rows in plan order.  Our own buffer rather than one fwrite
   a row: a million small locked calls cost more than the copy. */
static void put_rows(ft_outfile *out, const ft_mapped *m, const ft_csvindex *ix,
                     const uint64_t *rows, size_t k)
{
    outbuf b = {out, ft_xmalloc(4 << 20), 0, 4 << 20};
    size_t eol = strlen(ix->eol);
    ob_put(&b, m->data, ix->header_len);
    if (ix->header_len && m->data[ix->header_len - 1] != '\n' && m->data[ix->header_len - 1] != '\r')
        ob_put(&b, ix->eol, eol);                     /* header-only file without a line end */
    for (size_t i = 0; i < k; i++) {
        const char *p = m->data + ix->start[rows[i]];
        size_t len = ix->len[rows[i]];
        ob_put(&b, p, len);
        if (p[len - 1] != '\n' && p[len - 1] != '\r') ob_put(&b, ix->eol, eol);  /* last row */
    }
    if (b.len) fwrite(b.buf, 1, b.len, out->fp);
    free(b.buf);
}

/* Rows as records, for a change of format: each parsed from its byte range. */
static void put_records(ft_writer *w, const ft_mapped *m, const ft_csvindex *ix,
                        const uint64_t *rows, size_t k)
{
    ft_record rec = {0};
    for (size_t i = 0; i < k; i++) {
        ft_csv_row_record(ix, m->data, rows[i], &rec);
        ft_writer_put(w, &rec);
    }
    ft_record_free(&rec);
}

/* CSV or TSV input: indexed by byte range; rows copied verbatim when both
   outputs are of the input's format, else converted row by row. */
static void split_text(const opts *o, const char *path, char delim, int copy_bytes)
{
    ft_mapped *m = ft_map_input(path);
    if (m->len == 0) ft_die("%s: empty input", m->name);
    ft_csvindex ix;
    strat s = {.labels = o->stratify ? ft_labels_new() : NULL, .name = m->name, .col = o->stratify};
    /* UTF-8 validation of the whole text runs beside the row scan (a quote, a
       delimiter or a line end is ASCII, so whole-text validity is field
       validity).  If either finds a fault, the text is scanned again with
       every check on, which stops at the first fault in reading order and
       names it as lib/io/reader.c would. */
    int utf8_ok = 1, rc = 0;
    #pragma omp parallel sections num_threads(2)
    {
        #pragma omp section
        utf8_ok = ft_utf8_valid(m->data, m->len, NULL);
        #pragma omp section
        rc = ft_csv_index(&ix, m->name, m->data, m->len, delim, o->stratify, strat_csv_key, &s, 0, 1);
    }
    if (!utf8_ok || rc != 0) {
        char *err = ix.error ? ft_xstrdup(ix.error) : NULL;
        ft_csv_index_free(&ix);
        ft_csv_index(&ix, m->name, m->data, m->len, delim, o->stratify, strat_csv_key, &s, 1, 0);
        ft_die("%s", err ? err : "invalid UTF-8");   /* not reached: the scan dies first */
    }
    ft_split_plan plan;
    make_plan(&plan, o, m->name, ix.n, &s);
    if (copy_bytes) {
        ft_outfile *tr = ft_out_open(o->train, 0), *te = ft_out_open(o->test, 0);
        /* The two outputs are independent files: write them at the same time. */
        #pragma omp parallel sections num_threads(2)
        {
            #pragma omp section
            put_rows(tr, m, &ix, plan.train, plan.n_train);
            #pragma omp section
            put_rows(te, m, &ix, plan.test, plan.n_test);
        }
        ft_out_commit(tr);
        ft_out_commit(te);
    } else {
        ft_writer *tr = ft_writer_open(o->train, o->train_fmt, o->zstd,
                                       ft_header_new("records", o->argc, o->argv));
        ft_writer *te = ft_writer_open(o->test, o->test_fmt, o->zstd,
                                       ft_header_new("records", o->argc, o->argv));
        #pragma omp parallel sections num_threads(2)
        {
            #pragma omp section
            put_records(tr, m, &ix, plan.train, plan.n_train);
            #pragma omp section
            put_records(te, m, &ix, plan.test, plan.n_test);
        }
        ft_outfile *a = ft_writer_finish(tr), *b = ft_writer_finish(te);
        ft_out_commit(a);
        ft_out_commit(b);
    }
    report(o, m->name, ix.n, &plan);
    ft_split_plan_free(&plan);
    ft_csv_index_free(&ix);
    ft_labels_free(s.labels);
    free(s.y);
    ft_unmap_input(m);
}

/* ---- JSONL or ft stream input: records spooled to disk, then written in order ---- */
static void split_records(const opts *o, const char *path)
{
    ft_reader *r = ft_reader_open(path, o->in_fmt);
    strat s = {.labels = o->stratify ? ft_labels_new() : NULL, .name = ft_reader_name(r),
               .col = o->stratify};
    ft_recspool *sp = ft_recspool_new();
    ft_record rec = {0};
    while (ft_reader_next(r, &rec)) {
        if (o->stratify) strat_record(&s, r, &rec, ft_recspool_count(sp));
        ft_recspool_put(sp, &rec);
    }
    ft_recspool_seal(sp);
    size_t n = ft_recspool_count(sp);
    ft_split_plan plan;
    make_plan(&plan, o, ft_reader_name(r), n, &s);

    json_t *hdr = ft_reader_header(r);
    ft_writer *wtr = ft_writer_open(o->train, o->train_fmt, o->zstd,
                                    hdr ? json_deep_copy(hdr) : ft_header_new("records", o->argc, o->argv));
    ft_writer *wte = ft_writer_open(o->test, o->test_fmt, o->zstd,
                                    hdr ? json_deep_copy(hdr) : ft_header_new("records", o->argc, o->argv));
    for (size_t i = 0; i < plan.n_train; i++) {
        ft_recspool_get(sp, plan.train[i], &rec);
        ft_writer_put(wtr, &rec);
    }
    for (size_t i = 0; i < plan.n_test; i++) {
        ft_recspool_get(sp, plan.test[i], &rec);
        ft_writer_put(wte, &rec);
    }
    ft_outfile *a = ft_writer_finish(wtr), *b = ft_writer_finish(wte);
    ft_out_commit(a);
    ft_out_commit(b);
    report(o, ft_reader_name(r), n, &plan);
    ft_record_free(&rec);
    ft_split_plan_free(&plan);
    ft_recspool_free(sp);
    ft_labels_free(s.labels);
    free(s.y);
    ft_reader_close(r);
}

/* The format of an output: --format, else its name's, else (stdout) the
   input's, else an ft stream; and whether it is compressed. */
static ft_format out_format(const opts *o, const char *path, ft_format in, int *zstd)
{
    int z = 0, is_stdout = strcmp(path, "-") == 0;
    ft_format f = is_stdout ? FT_FMT_AUTO : ft_format_from_name(path, &z);
    *zstd = z || o->zstd;
    if (o->out_fmt != FT_FMT_AUTO) return o->out_fmt;
    if (f != FT_FMT_AUTO) return f;
    return is_stdout ? in : FT_FMT_FT;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    t_start = ft_now();
    enum { O_TRAIN = 256, O_TEST, O_TEST_SIZE, O_TRAIN_SIZE, O_SEED, O_NO_SHUFFLE, O_STRATIFY, O_INFMT };
    static const struct option lopts[] = {
        {"train", required_argument, 0, O_TRAIN}, {"test", required_argument, 0, O_TEST},
        {"test-size", required_argument, 0, O_TEST_SIZE},
        {"train-size", required_argument, 0, O_TRAIN_SIZE}, {"seed", required_argument, 0, O_SEED},
        {"no-shuffle", no_argument, 0, O_NO_SHUFFLE}, {"stratify", required_argument, 0, O_STRATIFY},
        {"format", required_argument, 0, 'f'}, {"zstd", no_argument, 0, 'z'},
        {"input-format", required_argument, 0, O_INFMT}, {"help", no_argument, 0, 'h'},
        {"verbose", no_argument, 0, 'v'}, {0, 0, 0, 0}};
    opts o = {.seed = -1, .shuffle = 1, .argc = argc, .argv = argv};
    int c;
    while ((c = getopt_long(argc, argv, "f:zhv", lopts, NULL)) != -1) {
        switch (c) {
        case O_TRAIN: o.train = optarg; break;
        case O_TEST: o.test = optarg; break;
        case O_TEST_SIZE: o.test_size = ft_split_size_parse("--test-size", optarg); break;
        case O_TRAIN_SIZE: o.train_size = ft_split_size_parse("--train-size", optarg); break;
        case O_SEED: o.seed = ft_parse_long("--seed", optarg, 0, 4294967295L); break;
        case O_NO_SHUFFLE: o.shuffle = 0; break;
        case O_STRATIFY: o.stratify = optarg; break;
        case 'f': o.out_fmt = ft_format_parse(optarg); break;
        case 'z': o.zstd = 1; break;
        case O_INFMT: o.in_fmt = ft_format_parse(optarg); break;
        case 'v': o.verbose = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind + 1 < argc) ft_die("one input FILE at most (got %d)", argc - optind);
    if (!o.train || !o.test) ft_die("both --train FILE and --test FILE are required");
    if (strcmp(o.train, o.test) == 0 && strcmp(o.train, "-") != 0)
        ft_die("--train and --test name the same file %s", o.train);
    if (strcmp(o.train, "-") == 0 && strcmp(o.test, "-") == 0)
        ft_die("--train and --test cannot both be stdout");
    if (!o.shuffle && o.stratify)
        ft_die("Stratified train/test split is not implemented for shuffle=False");

    const char *path = ft_input_make_seekable(optind < argc ? argv[optind] : "-");
    ft_format in = ft_input_sniff(path);
    if ((o.in_fmt == FT_FMT_CSV || o.in_fmt == FT_FMT_TSV) && in == FT_FMT_FT)
        ft_die("%s: expected %s text, got an ft stream", strcmp(path, "-") ? path : "stdin",
               ft_format_name(o.in_fmt));
    if (o.in_fmt != FT_FMT_AUTO) in = o.in_fmt;
    int ztr, zte;
    ft_format ftr = out_format(&o, o.train, in, &ztr), fte = out_format(&o, o.test, in, &zte);
    o.train_fmt = ftr;
    o.test_fmt = fte;
    if (in == FT_FMT_CSV || in == FT_FMT_TSV)
        split_text(&o, path, in == FT_FMT_TSV ? '\t' : ',', ftr == in && fte == in && !ztr && !zte);
    else
        split_records(&o, path);
    return 0;
}
