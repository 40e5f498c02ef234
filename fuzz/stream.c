/* Harness: any bytes as a tool's input (ft-cat, ft-batch, ft-train read
   through the same reader): the format is sniffed (ft stream, CSV, TSV,
   JSONL, each maybe zstd-compressed), every record is read and printed as
   ft-cat prints it. */
#include "fuzz.h"
#include "stream.h"
#include <stdio.h>

static FILE *out;

static void read_all(void)
{
    ft_reader *r = ft_reader_open("-", FT_FMT_AUTO);
    ft_record rec = {0};
    while (ft_reader_next(r, &rec)) ft_record_write_json(out, &rec);
    json_t *h = ft_reader_header(r);
    if (h) json_dumpf(h, out, JSON_COMPACT);
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
    int ok;
    fuzz_stdin(data, n);
    FUZZ_RUN(ok, read_all());
    (void)ok;
    return 0;
}
