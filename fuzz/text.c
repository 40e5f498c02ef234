/* Harness: the CSV, TSV and JSONL readers, the format forced by the first
   byte (as ft-cat --from csv does), so that text that would be sniffed as
   another format still reaches each parser. */
#include "fuzz.h"
#include "stream.h"
#include <stdio.h>

static FILE *out;
static ft_format fmt;

static void read_all(void)
{
    ft_reader *r = ft_reader_open("-", fmt);
    ft_record rec = {0};
    size_t ncols;
    ft_reader_columns(r, &ncols);
    while (ft_reader_next(r, &rec)) {
        ft_record_write_json(out, &rec);
        ft_reader_where(r);
    }
    ft_record_free(&rec);
    ft_reader_close(r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    fuzz_init();
    out = fopen("/dev/null", "w");
    fputs("warm", out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    static const ft_format fmts[3] = { FT_FMT_CSV, FT_FMT_TSV, FT_FMT_JSONL };
    fmt = fmts[data[0] % 3];
    int ok;
    fuzz_stdin(data + 1, n - 1);
    FUZZ_RUN(ok, read_all());
    (void)ok;
    return 0;
}
