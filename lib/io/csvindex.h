/* csvindex: the byte range of every row of CSV/TSV text, found in one pass,
   so rows can be copied out verbatim in any order without holding the text
   (ft-split: memory ~12 bytes a row, whatever the row length).  Rows are cut
   exactly where libcsv (lib/io/reader.c) cuts them - RFC 4180 quotes with line
   breaks inside, blanks before a quote skipped, "a"b kept quoted, \n or \r\n
   line ends, blank and blank-only lines skipped, an optional UTF-8 BOM - and
   malformed input gets the reader's messages: unterminated quote, ragged row,
   invalid UTF-8, bad header.  tests/sh/split_fuzz.sh holds the two together.
   (A lone \r also ends a row here, as in libcsv and pandas; the reader, which
   feeds libcsv whole \n-lines, would join such rows.) */
#ifndef FT_CSVINDEX_H
#define FT_CSVINDEX_H
#include "record.h"
#include <stddef.h>
#include <stdint.h>

typedef struct ft_csvindex {
    const char *name;       /* for messages */
    size_t header_len;      /* the header is bytes [0, header_len): BOM and line end included */
    char **cols;            /* header names, unquoted */
    size_t ncols;
    uint64_t *start;        /* data row i is bytes [start[i], start[i] + len[i]) */
    uint32_t *len;          /* ... line end included when the row has one */
    size_t n, cap;
    const char *eol;        /* the header's line end, for a last row without one */
    char *error;            /* "NAME:LINE: what is wrong", when indexing was deferred */
    char delim;
} ft_csvindex;

/* Called with each row's value of the key column (unquoted as the reader
   would; valid only during the call).  Returns NULL, or what is wrong with the
   value: the row's place is put before it. */
typedef const char *(*ft_csv_key_fn)(void *ctx, size_t row, const char *s, size_t len);

/* Indexes text p[0..n).  key_col: a header name whose values go to key (or
   NULL); 'NAME:1: column "X" missing' if the header lacks it.  Errors are
   those lib/io/reader.c gives, in its order (row by row; in a row: UTF-8, field
   count, key).  check_utf8 0 skips UTF-8 validation, for a caller that
   validates the whole text on another thread.  defer 0 dies on malformed
   input; defer 1 returns -1 with the message in ix->error (then index again
   with every check on to find the first error in reading order). */
int ft_csv_index(ft_csvindex *ix, const char *name, const char *p, size_t n, char delim,
                 const char *key_col, ft_csv_key_fn key, void *ctx, int check_utf8, int defer);
/* Fills rec with data row i of the indexed text, as lib/io/reader.c would: one
   string field per header column.  Safe to call from several threads. */
void ft_csv_row_record(const ft_csvindex *ix, const char *text, size_t i, ft_record *rec);
void ft_csv_index_free(ft_csvindex *ix);
#endif
