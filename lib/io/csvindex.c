/* csvindex: see csvindex.h.  A hand-written scanner rather than libcsv: we need
   byte offsets, which libcsv's callbacks don't give, and speed (memchr inside
   quoted fields, a table lookup outside them). */
#include "csvindex.h"
#include "utf8.h"
#include "util.h"
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

typedef struct scan {
    const char *p, *name;
    size_t n, pos;
    long line;              /* physical line (counting \n) at pos */
    char delim;
    int check_utf8;
    size_t row_start;       /* of the row parse_row read last */
    size_t key_col;         /* field whose span parse_row keeps (SIZE_MAX: none) */
    size_t key_off, key_len;
    jmp_buf *fail;          /* set: malformed input returns here instead of dying */
    char *error;
    unsigned char stop[256];/* bytes that end an unquoted field */
    char *buf;              /* unquoted copy of a field */
    size_t bufcap;
} scan;

/* Malformed input at `line`: die, or hand the message back to ft_csv_index. */
__attribute__((noreturn, format(printf, 3, 4)))
static void bad_input(scan *s, long line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!s->fail) ft_die("%s:%ld: %s", s->name, line, msg);
    s->error = line ? ft_xasprintf("%s:%ld: %s", s->name, line, msg)
                    : ft_xasprintf("%s: %s", s->name, msg);
    longjmp(*s->fail, 1);
}

static long count_nl(const char *p, size_t n)
{
    long k = 0;
    const char *e = p + n;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) k++, p++;
    return k;
}

static int is_sp(const scan *s, char c) { return (c == ' ' || c == '\t') && c != s->delim; }
static int is_term(char c) { return c == '\n' || c == '\r'; }

/* The value libcsv (hence lib/io/reader.c) gives the field written as p[0..n),
   into s->buf: leading blanks skipped; an unquoted field loses its trailing
   blanks; in a quoted one "" is a quote, and a quote followed by anything but
   a delimiter, line end or blanks + one of those is kept and the field stays
   quoted ("a"b is a"b). */
static const char *field_value(scan *s, const char *p, size_t n, size_t *len)
{
    size_t i = 0, k = 0, spaces = 0;
    while (i < n && is_sp(s, p[i])) i++;
    if (i == n || p[i] != '"') {                 /* unquoted */
        size_t e = n;
        while (e > i && is_sp(s, p[e - 1])) e--;
        *len = e - i;
        return p + i;
    }
    if (n + 1 > s->bufcap) s->buf = ft_xrealloc(s->buf, s->bufcap = 2 * n + 16);
    enum { IN, MIGHT_END } st = IN;
    for (i++; i < n; i++) {
        char c = p[i];
        if (st == IN) {
            s->buf[k++] = c;
            if (c == '"') { st = MIGHT_END; spaces = 0; }
        } else if (is_sp(s, c)) {
            s->buf[k++] = c;
            spaces++;
        } else if (c == '"') {
            if (spaces) { s->buf[k++] = c; spaces = 0; }   /* literal, still might end */
            else st = IN;                                 /* "" = one quote */
        } else {
            s->buf[k++] = c;
            st = IN;
        }
    }
    if (st == MIGHT_END) k -= spaces + 1;                 /* drop the closing quote */
    *len = k;
    return s->buf;
}

typedef void (*field_fn)(scan *s, size_t idx, const char *f, size_t n, void *ctx);

/* Parses one row at s->pos with libcsv's rules; returns its field count (0 at
   end of text) and leaves s->pos after its line end.  *row_line is the line
   it starts on.  Lines of only blanks are skipped like empty ones. */
static size_t parse_row(scan *s, long *row_line, field_fn fn, void *ctx)
{
    const char *p = s->p;
    size_t n = s->n, i = s->pos, nf = 0;
    for (;;) {                                            /* row not begun */
        size_t j = i;
        while (j < n && is_sp(s, p[j])) j++;
        if (j >= n) { s->pos = n; return 0; }
        if (!is_term(p[j])) break;
        if (p[j] == '\n') s->line++;
        i = j + 1;
    }
    *row_line = s->line;
    size_t bad_col = 0, bad_f0 = 0, bad_n = 0;
    s->row_start = i;   /* blank lines before a row belong to no row */
    for (;;) {
        size_t f0 = i;
        while (i < n && is_sp(s, p[i])) i++;
        if (i < n && p[i] == '"') {
            i++;
            for (;;) {                                    /* inside quotes */
                const char *q = memchr(p + i, '"', n - i);
                if (!q)
                    bad_input(s, *row_line, "unterminated quoted field (the quote opened on this "
                              "line is never closed)");
                s->line += count_nl(p + i, (size_t)(q - p) - i);
                i = (size_t)(q - p) + 1;
                size_t spaces = 0;                         /* the field might have ended */
                for (;; i++) {
                    if (i < n && is_sp(s, p[i])) { spaces++; continue; }
                    if (i < n && p[i] == '"' && spaces) { spaces = 0; continue; }
                    break;
                }
                if (i >= n || p[i] == s->delim || is_term(p[i])) break;
                if (p[i] == '"') i++;                     /* "" */
            }
        } else {
            while (i < n && !s->stop[(unsigned char)p[i]]) i++;
        }
        /* the reader checks UTF-8 once the row is complete: an unterminated
           quote later in the row is reported first */
        size_t bad;
        if (s->check_utf8 && !bad_col && !ft_utf8_valid(p + f0, i - f0, &bad)) {
            bad_col = nf + 1;
            bad_f0 = f0;
            bad_n = i - f0;
        }
        if (fn) fn(s, nf, p + f0, i - f0, ctx);
        if (nf == s->key_col) { s->key_off = f0; s->key_len = i - f0; }
        nf++;
        if (i < n && p[i] == s->delim) { i++; continue; }
        if (i < n && p[i] == '\r') i++;
        if (i < n && p[i] == '\n') { i++; s->line++; }
        s->pos = i;
        if (bad_col) {
            size_t len;
            const char *v = field_value(s, p + bad_f0, bad_n, &len);
            ft_utf8_valid(v, len, &bad);
            bad_input(s, *row_line, "invalid UTF-8 in column %zu (byte %zu of the field)", bad_col,
                      bad + 1);
        }
        return nf;
    }
}

typedef struct header_ctx { ft_csvindex *ix; } header_ctx;

static void header_field(scan *s, size_t idx, const char *f, size_t n, void *ctx)
{
    ft_csvindex *ix = ((header_ctx *)ctx)->ix;
    size_t len;
    const char *v = field_value(s, f, n, &len);
    ix->cols = ft_xrealloc(ix->cols, (idx + 1) * sizeof *ix->cols);
    ix->cols[idx] = ft_xmalloc(len + 1);
    memcpy(ix->cols[idx], v, len);
    ix->cols[idx][len] = 0;
    ix->ncols = idx + 1;
}

/* The body of ft_csv_index; malformed input goes through bad_input. */
static void index_rows(ft_csvindex *ix, scan *s, const char *key_col, ft_csv_key_fn key, void *ctx)
{
    const char *p = s->p;
    if (s->n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) s->pos = 3;
    long line;
    header_ctx hc = {ix};
    if (!parse_row(s, &line, header_field, &hc)) bad_input(s, 0, "empty input (no header line)");
    ix->header_len = s->pos;
    ix->eol = s->pos >= 2 && p[s->pos - 2] == '\r' && p[s->pos - 1] == '\n' ? "\r\n" : "\n";
    for (size_t i = 0; i < ix->ncols; i++) {
        if (!ix->cols[i][0] && ix->ncols > 1)
            bad_input(s, line, "header column %zu has no name", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(ix->cols[i], ix->cols[j]) == 0)
                bad_input(s, line, "header names column \"%s\" twice", ix->cols[i]);
    }
    if (key_col) {
        s->key_col = 0;
        while (s->key_col < ix->ncols && strcmp(ix->cols[s->key_col], key_col) != 0) s->key_col++;
        if (s->key_col == ix->ncols) bad_input(s, line, "column \"%s\" missing", key_col);
    }
    for (;;) {
        size_t nf = parse_row(s, &line, NULL, NULL);
        if (!nf) break;
        /* checks in lib/io/reader.c's order: field count, then the key's value */
        if (nf != ix->ncols)
            bad_input(s, line, "row has %zu fields, the header has %zu", nf, ix->ncols);
        if (s->pos - s->row_start > UINT32_MAX) bad_input(s, line, "row longer than 4 GiB");
        if (key_col) {
            size_t len;
            const char *v = field_value(s, p + s->key_off, s->key_len, &len);
            const char *err = key(ctx, ix->n, v, len);
            if (err) bad_input(s, line, "%s", err);
        }
        if (ix->n == ix->cap) {
            ix->cap = ix->cap ? 2 * ix->cap : 1024;
            ix->start = ft_xrealloc(ix->start, ix->cap * sizeof *ix->start);
            ix->len = ft_xrealloc(ix->len, ix->cap * sizeof *ix->len);
        }
        ix->start[ix->n] = s->row_start;
        ix->len[ix->n] = (uint32_t)(s->pos - s->row_start);
        ix->n++;
    }
}

int ft_csv_index(ft_csvindex *ix, const char *name, const char *p, size_t n, char delim,
                 const char *key_col, ft_csv_key_fn key, void *ctx, int check_utf8, int defer)
{
    memset(ix, 0, sizeof *ix);
    ix->name = name;
    ix->delim = delim;
    scan s = {.p = p, .name = name, .n = n, .line = 1, .delim = delim,
              .check_utf8 = check_utf8, .key_col = SIZE_MAX};
    s.stop[(unsigned char)delim] = s.stop['\n'] = s.stop['\r'] = 1;
    jmp_buf jb;
    if (defer) {
        s.fail = &jb;
        if (setjmp(jb)) {
            ix->error = s.error;
            free(s.buf);
            return -1;
        }
    }
    index_rows(ix, &s, key_col, key, ctx);
    free(s.buf);
    return 0;
}

typedef struct record_ctx { const ft_csvindex *ix; ft_record *rec; } record_ctx;

static void record_field(scan *s, size_t idx, const char *f, size_t n, void *ctx)
{
    record_ctx *c = ctx;
    size_t len;
    const char *v = field_value(s, f, n, &len);
    const char *key = c->ix->cols[idx];
    ft_value *val = ft_record_add(c->rec, key, strlen(key));
    val->type = FT_V_STR;
    val->str.len = len;
    val->str.s = ft_arena_strdup(&c->rec->arena, v, len);
}

void ft_csv_row_record(const ft_csvindex *ix, const char *text, size_t i, ft_record *rec)
{
    scan s = {.p = text, .name = ix->name, .n = ix->start[i] + ix->len[i], .pos = ix->start[i],
              .line = 1, .delim = ix->delim, .key_col = SIZE_MAX};
    s.stop[(unsigned char)ix->delim] = s.stop['\n'] = s.stop['\r'] = 1;
    record_ctx c = {ix, rec};
    long line;
    ft_record_clear(rec);
    parse_row(&s, &line, record_field, &c);   /* indexed already: cannot fail */
    free(s.buf);
}

void ft_csv_index_free(ft_csvindex *ix)
{
    for (size_t i = 0; i < ix->ncols; i++) free(ix->cols[i]);
    free(ix->cols);
    free(ix->start);
    free(ix->len);
    free(ix->error);
    memset(ix, 0, sizeof *ix);
}
