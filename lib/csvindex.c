/* csvindex: see csvindex.h.  A hand-written scanner rather than libcsv: we need
   byte offsets, which libcsv's callbacks don't give, and speed (memchr inside
   quoted fields, a table lookup outside them). */
#include "csvindex.h"
#include "utf8.h"
#include "util.h"
#include <string.h>

typedef struct scan {
    const char *p, *name;
    size_t n, pos;
    long line;              /* physical line (counting \n) at pos */
    char delim;
    int check_utf8;
    unsigned char stop[256];/* bytes that end an unquoted field */
    char *buf;              /* unquoted copy of a field */
    size_t bufcap;
} scan;

static long count_nl(const char *p, size_t n)
{
    long k = 0;
    const char *e = p + n;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) k++, p++;
    return k;
}

/* Unquotes p[0..n) (a field as written) into s->buf. */
static const char *unquote(scan *s, const char *p, size_t n, size_t *len)
{
    if (n == 0 || p[0] != '"') { *len = n; return p; }
    if (n + 1 > s->bufcap) s->buf = ft_xrealloc(s->buf, s->bufcap = 2 * n + 16);
    size_t k = 0;
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            if (inq && i + 1 < n && p[i + 1] == '"') { s->buf[k++] = '"'; i++; }
            else inq = !inq;
        } else s->buf[k++] = p[i];
    }
    *len = k;
    return s->buf;
}

typedef void (*field_fn)(scan *s, size_t idx, const char *f, size_t n, void *ctx);

/* Parses one row at s->pos; returns its field count (0 at end of text) and
   leaves s->pos after its line end.  *row_line is the line it starts on. */
static size_t parse_row(scan *s, long *row_line, field_fn fn, void *ctx)
{
    const char *p = s->p;
    size_t n = s->n;
    while (s->pos < n && (p[s->pos] == '\n' || p[s->pos] == '\r')) {   /* blank lines */
        if (p[s->pos] == '\n') s->line++;
        s->pos++;
    }
    if (s->pos >= n) return 0;
    *row_line = s->line;
    size_t nf = 0;
    for (;;) {
        size_t f0 = s->pos, i = s->pos;
        if (i < n && p[i] == '"') {
            i++;
            for (;;) {
                const char *q = memchr(p + i, '"', n - i);
                if (!q)
                    ft_die("%s:%ld: unterminated quoted field (the quote opened on this line is "
                           "never closed)", s->name, *row_line);
                s->line += count_nl(p + i, (size_t)(q - p) - i);
                i = (size_t)(q - p) + 1;
                if (i < n && p[i] == '"') { i++; continue; }
                break;
            }
        }
        while (i < n && !s->stop[(unsigned char)p[i]]) i++;   /* unquoted (rest of) field */
        size_t bad;
        if (s->check_utf8 && !ft_utf8_valid(p + f0, i - f0, &bad))
            ft_die("%s:%ld: invalid UTF-8 in column %zu (byte %zu of the field)", s->name,
                   *row_line, nf + 1, bad + 1 - (p[f0] == '"'));
        if (fn) fn(s, nf, p + f0, i - f0, ctx);
        nf++;
        if (i < n && p[i] == s->delim) { s->pos = i + 1; continue; }
        if (i < n && p[i] == '\r') i++;
        if (i < n && p[i] == '\n') { i++; s->line++; }
        s->pos = i;
        return nf;
    }
}

typedef struct header_ctx { ft_csvindex *ix; } header_ctx;

static void header_field(scan *s, size_t idx, const char *f, size_t n, void *ctx)
{
    ft_csvindex *ix = ((header_ctx *)ctx)->ix;
    size_t len;
    const char *v = unquote(s, f, n, &len);
    ix->cols = ft_xrealloc(ix->cols, (idx + 1) * sizeof *ix->cols);
    ix->cols[idx] = ft_xmalloc(len + 1);
    memcpy(ix->cols[idx], v, len);
    ix->cols[idx][len] = 0;
    ix->ncols = idx + 1;
}

typedef struct key_ctx {
    size_t col, row;
    long line;
    ft_csv_key_fn key;
    void *ctx;
} key_ctx;

static void key_field(scan *s, size_t idx, const char *f, size_t n, void *ctx)
{
    key_ctx *k = ctx;
    if (idx != k->col) return;
    size_t len;
    const char *v = unquote(s, f, n, &len);
    k->key(k->ctx, k->row, v, len, k->line);
}

void ft_csv_index(ft_csvindex *ix, const char *name, const char *p, size_t n, char delim,
                  const char *key_col, ft_csv_key_fn key, void *ctx, int check_utf8)
{
    memset(ix, 0, sizeof *ix);
    ix->name = name;
    scan s = {.p = p, .name = name, .n = n, .line = 1, .delim = delim,
              .check_utf8 = check_utf8};
    s.stop[(unsigned char)delim] = s.stop['\n'] = s.stop['\r'] = 1;
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) s.pos = 3;

    long line;
    header_ctx hc = {ix};
    if (!parse_row(&s, &line, header_field, &hc)) ft_die("%s: empty input (no header line)", name);
    ix->header_len = s.pos;
    ix->eol = s.pos >= 2 && p[s.pos - 2] == '\r' && p[s.pos - 1] == '\n' ? "\r\n" : "\n";
    for (size_t i = 0; i < ix->ncols; i++) {
        if (!ix->cols[i][0] && ix->ncols > 1)
            ft_die("%s:%ld: header column %zu has no name", name, line, i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(ix->cols[i], ix->cols[j]) == 0)
                ft_die("%s:%ld: header names column \"%s\" twice", name, line, ix->cols[i]);
    }
    key_ctx kc = {.col = 0, .key = key, .ctx = ctx};
    if (key_col) {
        while (kc.col < ix->ncols && strcmp(ix->cols[kc.col], key_col) != 0) kc.col++;
        if (kc.col == ix->ncols) ft_die("%s:%ld: column \"%s\" missing", name, line, key_col);
    }
    for (;;) {
        size_t row_start;
        /* skip blank lines first so that the row's range starts at its text */
        while (s.pos < n && (p[s.pos] == '\n' || p[s.pos] == '\r')) {
            if (p[s.pos] == '\n') s.line++;
            s.pos++;
        }
        row_start = s.pos;
        kc.row = ix->n;
        kc.line = s.line;
        size_t nf = parse_row(&s, &line, key_col ? key_field : NULL, &kc);
        if (!nf) break;
        if (nf != ix->ncols)
            ft_die("%s:%ld: row has %zu fields, the header has %zu", name, line, nf, ix->ncols);
        if (s.pos - row_start > UINT32_MAX) ft_die("%s:%ld: row longer than 4 GiB", name, line);
        if (ix->n == ix->cap) {
            ix->cap = ix->cap ? 2 * ix->cap : 1024;
            ix->start = ft_xrealloc(ix->start, ix->cap * sizeof *ix->start);
            ix->len = ft_xrealloc(ix->len, ix->cap * sizeof *ix->len);
        }
        ix->start[ix->n] = row_start;
        ix->len[ix->n] = (uint32_t)(s.pos - row_start);
        ix->n++;
    }
    free(s.buf);
}

void ft_csv_index_free(ft_csvindex *ix)
{
    for (size_t i = 0; i < ix->ncols; i++) free(ix->cols[i]);
    free(ix->cols);
    free(ix->start);
    free(ix->len);
    memset(ix, 0, sizeof *ix);
}
