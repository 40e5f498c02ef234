/* format: the record formats ft reads and writes, and how they are told apart. */
#ifndef FT_FORMAT_H
#define FT_FORMAT_H
#include <stddef.h>

typedef enum { FT_FMT_AUTO, FT_FMT_FT, FT_FMT_JSONL, FT_FMT_CSV, FT_FMT_TSV } ft_format;

const char *ft_format_name(ft_format f);          /* "ft", "jsonl", "csv", "tsv" */
ft_format ft_format_parse(const char *s);         /* dies on an unknown name */
/* From a file name's extension (.ft .ftz .jsonl .json .csv .tsv, each
   optionally + .zst); *zstd is set for .ftz/.zst.  AUTO if unknown. */
ft_format ft_format_from_name(const char *path, int *zstd);
/* From the first bytes of (decoded) content. */
ft_format ft_format_sniff(const char *p, size_t n);
#endif
