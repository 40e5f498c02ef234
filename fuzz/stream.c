/* Harness: any bytes as a tool's input (ft-cat, ft-batch, ft-train read
   through the same reader): the format is sniffed (ft stream, CSV, TSV,
   JSONL, each maybe zstd-compressed), every record is read and printed as
   ft-cat prints it. */
#include "fuzz.h"
#include "format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    fuzz_stdin(data, n);
    fuzz_read_stdin(FT_FMT_AUTO);
    return 0;
}
