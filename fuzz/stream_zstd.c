/* Harness: the reader on zstd-compressed input.  The fuzzer's bytes are
   compressed first (so the decoder sees valid frames of hostile content),
   and with the low bit of the first byte clear the compressed frame is also
   cut short or has a byte flipped, for the decoder's own checks. */
#include "format.h"
#include "fuzz.h"
#include <stdlib.h>
#include <zstd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    size_t cap = ZSTD_compressBound(n - 1);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, data + 1, n - 1, 1);
    if (ZSTD_isError(zn)) abort();
    if (!(data[0] & 1) && zn > 4) {
        if (data[0] & 2) zn -= 1 + data[0] % (zn - 4);          /* cut short */
        else z[4 + data[0] % (zn - 4)] ^= 0x5a;                 /* corrupt one byte */
    }
    fuzz_stdin(z, zn);
    free(z);
    fuzz_read_stdin(FT_FMT_AUTO);
    return 0;
}
