/* reader: one interface over ft streams, JSONL, CSV and TSV input. */
#include "stream.h"
#include "input.h"
#include "msgpack_value.h"
#include "utf8.h"
#include "json_line.h"
#include "util.h"
#include <csv.h>
#include <stdarg.h>
#include <string.h>
#include <xxhash.h>

struct ft_reader {
    ft_input *in;
    ft_format fmt;
    size_t count;              /* records returned so far (all concatenated streams) */
    long line;                 /* text: physical lines read; record's first line below */
    long rec_line;
    char where[512];
    /* ft stream */
    json_t *header;
    size_t stream_count;       /* records in the current stream (for the trailer) */
    XXH3_state_t *hash;
    msgpack_unpacked unp;
    /* csv/tsv */
    struct csv_parser csv;
    char **cols;
    size_t ncols;
    int header_done;
    char *rowbuf;              /* current row's fields, NUL-separated */
    size_t rowlen, rowcap;
    size_t *foff, nf, fcap;    /* field offsets into rowbuf */
    int row_ready;
    const char *pend;          /* rest of the current line, not yet fed */
    size_t pendlen;
};

static const char *reader_kind_default = "records";

const char *ft_reader_name(const ft_reader *r) { return ft_input_name(r->in); }
ft_format ft_reader_format(const ft_reader *r) { return r->fmt; }
json_t *ft_reader_header(const ft_reader *r) { return r->header; }
size_t ft_reader_count(const ft_reader *r) { return r->count; }
double ft_reader_fraction(const ft_reader *r) { return ft_input_fraction(r->in); }

const char *ft_reader_kind(const ft_reader *r)
{
    const char *k = r->header ? json_string_value(json_object_get(r->header, "kind")) : NULL;
    return k ? k : reader_kind_default;
}

const char *const *ft_reader_columns(const ft_reader *r, size_t *n)
{
    *n = r->ncols;
    return (const char *const *)r->cols;
}

long ft_reader_place(const ft_reader *r)
{
    return r->fmt == FT_FMT_FT ? (long)r->count : r->rec_line;
}

const char *ft_reader_where_at(ft_reader *r, long place)
{
    if (r->fmt == FT_FMT_FT)
        snprintf(r->where, sizeof r->where, "%s: record %ld", ft_input_name(r->in), place);
    else
        snprintf(r->where, sizeof r->where, "%s:%ld", ft_input_name(r->in), place);
    return r->where;
}

const char *ft_reader_where(ft_reader *r)
{
    return ft_reader_where_at(r, ft_reader_place(r));
}

void ft_reader_die(ft_reader *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ft_die("%s: %s", ft_reader_where(r), msg);
}

void ft_reader_expect_stream(ft_reader *r, const char *kind)
{
    if (r->fmt != FT_FMT_FT && kind && strcmp(kind, "records") != 0)
        ft_die("%s: expected an ft stream of %s, got %s text", ft_input_name(r->in), kind,
               ft_format_name(r->fmt));
    if (kind && strcmp(ft_reader_kind(r), kind) != 0)
        ft_die("%s: expected a stream of %s, got one of %s", ft_input_name(r->in), kind,
               ft_reader_kind(r));
}

/* ---------- ft stream ---------- */

/* Reads one msgpack frame into r->unp.  Returns 0 at EOF before any byte.
   The frame's bytes stay visible at *bytes until the next read. */
static int next_frame(ft_reader *r, const char **bytes, size_t *nbytes)
{
    const char *p;
    size_t want = 4096, len = 0;
    for (;;) {
        size_t avail = ft_input_peek(r->in, &p, want);
        if (avail == 0) return 0;
        int got = ft_msgpack_frame(p, avail, &len);
        if (got > 0) break;
        if (got < 0)
            ft_die("%s: corrupt frame after record %zu (not valid msgpack, or nested over %d levels)",
                   ft_input_name(r->in), r->count, FT_MSGPACK_MAX_DEPTH);
        if (avail < want)       /* EOF inside a frame */
            ft_die("%s: truncated stream after %zu records (EOF inside a frame)",
                   ft_input_name(r->in), r->count);
        if (avail >= FT_STREAM_MAX_FRAME)
            ft_die("%s: frame after record %zu is over %zu MiB (corrupt, or not an ft stream)",
                   ft_input_name(r->in), r->count, FT_STREAM_MAX_FRAME >> 20);
        want = avail * 2;
    }
    /* complete and every count backed by bytes: msgpack-c allocates little */
    size_t off = 0;
    if (msgpack_unpack_next(&r->unp, p, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        ft_die("%s: corrupt frame after record %zu (not valid msgpack)", ft_input_name(r->in), r->count);
    *bytes = p;
    *nbytes = len;
    ft_input_skip(r->in, len);
    return 1;
}

static void read_stream_header(ft_reader *r)
{
    const char *b;
    size_t n;
    if (!next_frame(r, &b, &n)) ft_die("%s: empty input", ft_input_name(r->in));
    json_t *h = ft_unpack_json(&r->unp.data);
    const char *fmt = json_string_value(json_object_get(h, "format"));
    if (!json_is_object(h) || !fmt || strcmp(fmt, "ft") != 0)
        ft_die("%s: not an ft stream (no header)", ft_input_name(r->in));
    json_int_t v = json_integer_value(json_object_get(h, "version"));
    if (v < FT_STREAM_VERSION_MIN || v > FT_STREAM_VERSION)
        ft_die("%s: unsupported ft stream version %lld (this ft reads versions %d to %d)",
               ft_input_name(r->in), (long long)v, FT_STREAM_VERSION_MIN, FT_STREAM_VERSION);
    if (r->header) {
        /* Concatenated streams (cat a.ft b.ft) must be of one kind. */
        const char *k0 = json_string_value(json_object_get(r->header, "kind"));
        const char *k1 = json_string_value(json_object_get(h, "kind"));
        if (!k0 || !k1 || strcmp(k0, k1) != 0)
            ft_die("%s: concatenated streams of different kinds (%s, %s)", ft_input_name(r->in),
                   k0 ? k0 : "?", k1 ? k1 : "?");
        json_decref(h);
    } else r->header = h;
    r->stream_count = 0;
    XXH3_64bits_reset(r->hash);
}

static int is_trailer(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_MAP && o->via.map.size == 1 &&
           o->via.map.ptr[0].key.type == MSGPACK_OBJECT_STR &&
           o->via.map.ptr[0].key.via.str.size == 10 &&
           memcmp(o->via.map.ptr[0].key.via.str.ptr, "ft_trailer", 10) == 0;
}

static void check_trailer(ft_reader *r)
{
    json_t *t = ft_unpack_json(&r->unp.data.via.map.ptr[0].val);
    json_int_t count = json_integer_value(json_object_get(t, "count"));
    const char *sum = json_string_value(json_object_get(t, "checksum"));
    char mine[17];
    snprintf(mine, sizeof mine, "%016llx", (unsigned long long)XXH3_64bits_digest(r->hash));
    if ((size_t)count != r->stream_count)
        ft_die("%s: trailer says %lld records, stream has %zu", ft_input_name(r->in),
               (long long)count, r->stream_count);
    if (!sum || strcmp(sum, mine) != 0)
        ft_die("%s: checksum mismatch (trailer %s, data %s): the stream is corrupt",
               ft_input_name(r->in), sum ? sum : "missing", mine);
    json_decref(t);
}

static int next_stream_record(ft_reader *r, ft_record *rec)
{
    for (;;) {
        const char *b;
        size_t n;
        if (!next_frame(r, &b, &n))
            ft_die("%s: truncated stream after %zu records (no trailer: did the producer crash?)",
                   ft_input_name(r->in), r->count);
        const msgpack_object *o = &r->unp.data;
        if (is_trailer(o)) {
            check_trailer(r);
            const char *p;
            if (ft_input_peek(r->in, &p, 8) == 0) return 0;
            read_stream_header(r);           /* another stream follows */
            continue;
        }
        XXH3_64bits_update(r->hash, b, n);
        r->count++;
        r->stream_count++;
        if (o->type != MSGPACK_OBJECT_MAP) ft_reader_die(r, "record is not a map");
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) ft_reader_die(r, "record key is not a string");
            ft_value *v = ft_record_add(rec, kv->key.via.str.ptr, kv->key.via.str.size);
            const char *err = NULL;
            ft_value *u = ft_unpack_value(&rec->arena, &kv->val, &err);
            if (!u) ft_reader_die(r, "field \"%.*s\": %s", (int)kv->key.via.str.size,
                                  kv->key.via.str.ptr, err);
            *v = *u;
        }
        return 1;
    }
}

/* ---------- JSONL ---------- */

static int next_jsonl_record(ft_reader *r, ft_record *rec)
{
    const char *line;
    size_t n;
    for (;;) {
        n = ft_input_getline(r->in, &line);
        if (n == 0) return 0;
        r->line++;
        r->rec_line = r->line;
        size_t i = 0;
        if (r->line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) i = 3;
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) i++;
        if (i < n) { line += i; n -= i; break; }
    }
    r->count++;
    if (ft_json_line_fast(rec, line, n)) return 1;
    r->count--;
    ft_record_clear(rec);
    json_error_t e;
    json_t *j = json_loadb(line, n, JSON_ALLOW_NUL, &e);
    if (!j) ft_reader_die(r, "invalid JSON: %s (column %d)", e.text, e.column);
    if (!json_is_object(j)) ft_reader_die(r, "JSON line is not an object");
    r->count++;
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        ft_value *v = ft_record_add(rec, key, strlen(key));
        const char *err = NULL;
        ft_value *u = ft_value_from_json(&rec->arena, val, &err);
        if (!u) ft_reader_die(r, "field \"%s\": %s", key, err);
        *v = *u;
    }
    json_decref(j);
    return 1;
}

/* ---------- CSV / TSV (libcsv) ---------- */

static void csv_field(void *s, size_t len, void *data)
{
    ft_reader *r = data;
    if (r->rowlen + len + 1 > r->rowcap) {
        r->rowcap = (r->rowlen + len + 1) * 2;
        r->rowbuf = ft_xrealloc(r->rowbuf, r->rowcap);
    }
    if (r->nf == r->fcap) {
        r->fcap = r->fcap ? 2 * r->fcap : 16;
        r->foff = ft_xrealloc(r->foff, (r->fcap + 1) * sizeof *r->foff);
    }
    r->foff[r->nf++] = r->rowlen;
    if (len) memcpy(r->rowbuf + r->rowlen, s, len);
    r->rowlen += len;
    r->rowbuf[r->rowlen++] = 0;
}

static void csv_row(int c, void *data)
{
    (void)c;
    ft_reader *r = data;
    r->row_ready = 1;
}

static size_t field_len(const ft_reader *r, size_t i)
{
    return (i + 1 < r->nf ? r->foff[i + 1] : r->rowlen) - r->foff[i] - 1;
}

/* Feeds libcsv one physical line at a time, so that each completed row is
   known to start on r->rec_line.  A line is cut after a lone CR too (old Mac
   line ends), so at most one row completes per piece fed.  1, or 0 at EOF. */
static int csv_read_row(ft_reader *r)
{
    r->nf = r->rowlen = 0;
    r->row_ready = 0;
    while (!r->row_ready) {
        if (r->pendlen == 0) {
            const char *line;
            size_t n = ft_input_getline(r->in, &line);
            if (n == 0) {
                /* libcsv only reports this with CSV_STRICT, which would also refuse
                   stray quotes inside unquoted fields that Python's csv accepts. */
                if (r->csv.pstate == 2 /* FIELD_BEGUN */ && r->csv.quoted)
                    ft_die("%s:%ld: unterminated quoted field (the quote opened on this line is never closed)",
                           ft_input_name(r->in), r->rec_line);
                csv_fini(&r->csv, csv_field, csv_row, r);
                return r->row_ready;
            }
            if (r->line == 0 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) { line += 3; n -= 3; }
            r->pend = line;
            r->pendlen = n;
            r->line++;
        }
        const char *cr = memchr(r->pend, '\r', r->pendlen);
        size_t piece = r->pendlen;
        int lone_cr = cr && (size_t)(cr - r->pend) + 1 < r->pendlen && cr[1] != '\n';
        if (lone_cr) piece = (size_t)(cr - r->pend) + 1;
        if (r->csv.pstate == 0 && r->nf == 0) r->rec_line = r->line;   /* row starts here */
        if (csv_parse(&r->csv, r->pend, piece, csv_field, csv_row, r) != piece)
            ft_die("%s:%ld: malformed CSV: %s", ft_input_name(r->in), r->line,
                   csv_strerror(csv_error(&r->csv)));
        r->pend += piece;
        r->pendlen -= piece;
        if (lone_cr) r->line++;
    }
    for (size_t i = 0; i < r->nf; i++) {
        size_t bad;
        if (!ft_utf8_valid(r->rowbuf + r->foff[i], field_len(r, i), &bad))
            ft_die("%s:%ld: invalid UTF-8 in column %zu (byte %zu of the field)",
                   ft_input_name(r->in), r->rec_line, i + 1, bad + 1);
    }
    return 1;
}

static void csv_read_header(ft_reader *r)
{
    if (!csv_read_row(r)) ft_die("%s: empty input (no header line)", ft_input_name(r->in));
    r->ncols = r->nf;
    r->cols = ft_xcalloc(r->nf, sizeof *r->cols);
    for (size_t i = 0; i < r->nf; i++) {
        r->cols[i] = ft_xstrdup(r->rowbuf + r->foff[i]);
        if (!r->cols[i][0] && r->nf > 1)
            ft_die("%s:%ld: header column %zu has no name", ft_input_name(r->in), r->rec_line, i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->cols[i], r->cols[j]) == 0)
                ft_die("%s:%ld: header names column \"%s\" twice", ft_input_name(r->in),
                       r->rec_line, r->cols[i]);
    }
    r->header_done = 1;
}

static int next_csv_record(ft_reader *r, ft_record *rec)
{
    if (!csv_read_row(r)) return 0;
    if (r->nf != r->ncols)
        ft_die("%s:%ld: row has %zu fields, the header has %zu", ft_input_name(r->in),
               r->rec_line, r->nf, r->ncols);
    r->count++;
    for (size_t i = 0; i < r->nf; i++) {
        ft_value *v = ft_record_add(rec, r->cols[i], strlen(r->cols[i]));
        v->type = FT_V_STR;
        v->str.len = field_len(r, i);
        v->str.s = ft_arena_strdup(&rec->arena, r->rowbuf + r->foff[i], v->str.len);
    }
    return 1;
}

/* ---------- common ---------- */

ft_reader *ft_reader_open(const char *path, ft_format force)
{
    ft_reader *r = ft_xcalloc(1, sizeof *r);
    r->in = ft_input_open(path);
    const char *p;
    size_t n = ft_input_peek(r->in, &p, 4096);
    if (n == 0) ft_die("%s: empty input", ft_input_name(r->in));
    r->fmt = force != FT_FMT_AUTO ? force : ft_format_sniff(p, n);
    switch (r->fmt) {
    case FT_FMT_FT:
        r->hash = XXH3_createState();
        msgpack_unpacked_init(&r->unp);
        read_stream_header(r);
        break;
    case FT_FMT_CSV: case FT_FMT_TSV:
        if (ft_format_sniff(p, n) == FT_FMT_FT)
            ft_die("%s: expected %s text, got an ft stream", ft_input_name(r->in), ft_format_name(r->fmt));
        csv_init(&r->csv, CSV_STRICT_FINI | CSV_APPEND_NULL);
        if (r->fmt == FT_FMT_TSV) csv_set_delim(&r->csv, '\t');
        csv_read_header(r);
        break;
    default:
        break;
    }
    return r;
}

int ft_reader_next(ft_reader *r, ft_record *rec)
{
    ft_record_clear(rec);
    switch (r->fmt) {
    case FT_FMT_FT: return next_stream_record(r, rec);
    case FT_FMT_JSONL: return next_jsonl_record(r, rec);
    default: return next_csv_record(r, rec);
    }
}

void ft_reader_close(ft_reader *r)
{
    if (!r) return;
    if (r->fmt == FT_FMT_FT) {
        msgpack_unpacked_destroy(&r->unp);
        XXH3_freeState(r->hash);
    }
    if (r->fmt == FT_FMT_CSV || r->fmt == FT_FMT_TSV) csv_free(&r->csv);
    for (size_t i = 0; i < r->ncols; i++) free(r->cols[i]);
    free(r->cols);
    free(r->rowbuf);
    free(r->foff);
    json_decref(r->header);
    ft_input_close(r->in);
    free(r);
}
