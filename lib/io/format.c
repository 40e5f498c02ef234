#include "format.h"
#include "util.h"
#include <string.h>

static const char *names[] = {"auto", "ft", "jsonl", "csv", "tsv"};

const char *ft_format_name(ft_format f) { return names[f]; }

ft_format ft_format_parse(const char *s)
{
    for (int i = 1; i < 5; i++)
        if (strcmp(s, names[i]) == 0) return (ft_format)i;
    if (strcmp(s, "json") == 0) return FT_FMT_JSONL;
    ft_die("--format: unknown format '%s' (ft, jsonl, csv, tsv)", s);
}


ft_format ft_format_from_name(const char *path, int *zstd)
{
    size_t n = strlen(path);
    *zstd = 0;
    if (ft_ends_with_n(path, n, ".zst")) { *zstd = 1; n -= 4; }
    if (ft_ends_with_n(path, n, ".ftz")) { *zstd = 1; return FT_FMT_FT; }
    if (ft_ends_with_n(path, n, ".ft") || ft_ends_with_n(path, n, ".tok")) return FT_FMT_FT;
    if (ft_ends_with_n(path, n, ".jsonl") || ft_ends_with_n(path, n, ".json") ||
        ft_ends_with_n(path, n, ".ndjson")) return FT_FMT_JSONL;
    if (ft_ends_with_n(path, n, ".csv")) return FT_FMT_CSV;
    if (ft_ends_with_n(path, n, ".tsv")) return FT_FMT_TSV;
    return FT_FMT_AUTO;
}

ft_format ft_format_sniff(const char *p, size_t n)
{
    /* An ft stream starts with a msgpack map whose first key is "format":
       a fixmap (up to 15 keys) or a map16 (a header with more). */
    const unsigned char *u = (const unsigned char *)p;
    size_t k = n >= 1 && (u[0] & 0xf0) == 0x80 ? 1 : n >= 1 && u[0] == 0xde ? 3 : 0;
    if (k && n >= k + 7 && u[k] == 0xa6 && memcmp(p + k + 1, "format", 6) == 0)
        return FT_FMT_FT;
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) i = 3;       /* UTF-8 BOM */
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    if (i < n && p[i] == '{') return FT_FMT_JSONL;
    /* Text with a header line: tabs and no commas in it means TSV. */
    const char *nl = memchr(p, '\n', n);
    size_t line = nl ? (size_t)(nl - p) : n;
    int tabs = memchr(p, '\t', line) != NULL, commas = memchr(p, ',', line) != NULL;
    return tabs && !commas ? FT_FMT_TSV : FT_FMT_CSV;
}
