/* Harness: the reader on zstd-compressed input.  The fuzzer's bytes are
   compressed first (so the decoder sees valid frames of hostile content),
   and with the low bit of the first byte clear the compressed frame is also
   cut short or has a byte flipped, for the decoder's own checks. */
#include "fuzz.h"
#include "stream.h"
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

static FILE *out;

static void read_all(void)
{
    ft_reader *r = ft_reader_open("-", FT_FMT_AUTO);
    ft_record rec = {0};
    while (ft_reader_next(r, &rec)) ft_record_write_json(out, &rec);
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
    size_t cap = ZSTD_compressBound(n - 1);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, data + 1, n - 1, 1);
    if (ZSTD_isError(zn)) abort();
    if (!(data[0] & 1) && zn > 4) {
        if (data[0] & 2) zn -= 1 + data[0] % (zn - 4);          /* cut short */
        else z[4 + data[0] % (zn - 4)] ^= 0x5a;                 /* corrupt one byte */
    }
    int ok;
    fuzz_stdin(z, zn);
    free(z);
    FUZZ_RUN(ok, read_all());
    (void)ok;
    return 0;
}
