/* Harness: the CSV, TSV and JSONL readers, the format forced by the first
   byte (as ft-cat --from csv does), so that text that would be sniffed as
   another format still reaches each parser. */
#include "format.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const ft_format fmts[3] = { FT_FMT_CSV, FT_FMT_TSV, FT_FMT_JSONL };
    if (n < 1) return 0;
    fuzz_stdin(data + 1, n - 1);
    fuzz_read_stdin(fmts[data[0] % 3]);
    return 0;
}
