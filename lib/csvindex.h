/* csvindex: the byte range of every row of CSV/TSV text, found in one pass,
   so rows can be copied out verbatim in any order without holding the text
   (ft-split: memory ~12 bytes a row, whatever the row length).  The dialect
   is the one lib/reader.c reads: RFC 4180 quotes ("" inside a quoted field,
   line breaks allowed inside), \n, \r\n or \r line ends, blank lines skipped,
   an optional UTF-8 BOM.  Malformed input dies with "NAME:LINE: ...", in the
   reader's words: unterminated quote, ragged row, invalid UTF-8, bad header. */
#ifndef FT_CSVINDEX_H
#define FT_CSVINDEX_H
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
} ft_csvindex;

/* Called with each row's value of the key column (unquoted; valid only during
   the call) and the line the row starts on. */
typedef void (*ft_csv_key_fn)(void *ctx, size_t row, const char *s, size_t len, long line);

/* Indexes text p[0..n).  key_col: a header name whose values go to key (or
   NULL); dies 'NAME:1: column "X" missing' if the header lacks it.
   check_utf8 0 skips UTF-8 validation, for a caller that validates the whole
   text on another thread (and indexes again with it on to name the place). */
void ft_csv_index(ft_csvindex *ix, const char *name, const char *p, size_t n, char delim,
                  const char *key_col, ft_csv_key_fn key, void *ctx, int check_utf8);
void ft_csv_index_free(ft_csvindex *ix);
#endif
