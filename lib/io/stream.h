/* stream: read and write records in any format ft knows.
   Readers recognise the format by content (ft stream, JSONL, CSV, TSV, each
   possibly zstd-compressed); writers pick it from the file name or a flag.
   The ft stream format itself is specified in docs/stream-format.md. */
#ifndef FT_STREAM_H
#define FT_STREAM_H
#include "format.h"
#include "publish.h"
#include "record.h"
#include <jansson.h>

/* Version 2 added the short 1-D tensor form {dtype: bin} and the u16/i16
   dtypes; version 1 streams (every tensor {dtype, shape, data}) still read. */
#define FT_STREAM_VERSION 2
#define FT_STREAM_VERSION_MIN 1
/* Limits a reader enforces (docs/stream-format.md): a frame is at most
   FT_STREAM_MAX_FRAME bytes; a field's value nests at most FT_VALUE_MAX_DEPTH
   lists/maps (msgpack-c's unpacker stops at 32 levels: record map + 24 + a
   tensor's 2 stay below it, so whatever ft writes it reads back). */
#define FT_STREAM_MAX_FRAME ((size_t)1 << 30)
#define FT_VALUE_MAX_DEPTH 24
#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)

/* ---- reading ---- */
typedef struct ft_reader ft_reader;

/* Opens path ("-" = stdin).  force != FT_FMT_AUTO skips detection. */
ft_reader *ft_reader_open(const char *path, ft_format force);
void ft_reader_close(ft_reader *r);
ft_format ft_reader_format(const ft_reader *r);
/* The stream header (borrowed), or NULL for CSV/TSV/JSONL input. */
json_t *ft_reader_header(const ft_reader *r);
/* The header's "kind" ("records", "tokens", "batches", ...), or "records". */
const char *ft_reader_kind(const ft_reader *r);
/* Column names of CSV/TSV input (NULL otherwise). */
const char *const *ft_reader_columns(const ft_reader *r, size_t *n);
/* Fills rec with the next record: 1, or 0 at a clean end.  Dies with
   "FILE:LINE: ..." on malformed input, or "truncated stream after N records"
   when an ft stream ends without its trailer. */
int ft_reader_next(ft_reader *r, ft_record *rec);
/* "FILE:LINE" (text) or "FILE: record N" (stream) of the last record read,
   for error messages about its content.  Valid until the next call. */
const char *ft_reader_where(ft_reader *r);
/* The number ft_reader_where shows for the last record (its line, or its
   index in a stream), to name a record later with ft_reader_where_at. */
long ft_reader_place(const ft_reader *r);
const char *ft_reader_where_at(ft_reader *r, long place);
const char *ft_reader_name(const ft_reader *r);
size_t ft_reader_count(const ft_reader *r);
/* Share of the input file read so far (0..1), -1 for a pipe: for progress. */
double ft_reader_fraction(const ft_reader *r);
/* Errors about a record's content, prefixed with its place. */
__attribute__((noreturn, format(printf, 2, 3)))
void ft_reader_die(ft_reader *r, const char *fmt, ...);
/* Refuse input that is not an ft stream of this kind (NULL = any kind). */
void ft_reader_expect_stream(ft_reader *r, const char *kind);

/* ---- writing ---- */
typedef struct ft_writer ft_writer;

/* A header {format, version, kind, producer: {tool, args}}; add more keys
   (tokenizer identity, options) before passing it to ft_writer_open. */
json_t *ft_header_new(const char *kind, int argc, char **argv);
/* path NULL or "-" = stdout.  fmt AUTO = from the name, else ft.  zstd: compress
   (also implied by .ftz/.zst names).  header is consumed (may be NULL).
   Binary output to a terminal is refused. */
ft_writer *ft_writer_open(const char *path, ft_format fmt, int zstd, json_t *header);
void ft_writer_put(ft_writer *w, const ft_record *rec);
/* Writes the trailer, flushes and renames the file into place. */
void ft_writer_close(ft_writer *w);
/* ft_writer_close without the rename: for a tool whose outputs must appear
   together (ft-split's train and test), committed with ft_out_commit once all
   are written; until then a failure removes them all. */
struct ft_outfile *ft_writer_finish(ft_writer *w);
ft_format ft_writer_format(const ft_writer *w);

/* ---- value codecs (used by the above and by tools) ---- */
/* JSON text of a value: tensors become nested arrays when their dtype is the
   one JSON input would infer (i32 for integers, f32 for floats), else a typed
   object {"dtype":…,"shape":…,"data":[…]} so that the round trip is exact. */
void ft_value_write_json(FILE *fp, const ft_value *v);
void ft_record_write_json(FILE *fp, const ft_record *rec);
/* jansson value → ft value in the arena; numeric rectangular arrays become
   tensors.  Returns NULL with *err set on an unsupported shape. */
ft_value *ft_value_from_json(ft_arena *a, json_t *j, const char **err);
#endif
