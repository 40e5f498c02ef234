#include "test.h"
#include "publish.h"
#include "util.h"
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static void test_atomic_output(void)
{
    char path[] = "/tmp/ft_test_util_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    ft_outfile *o = ft_out_open(path, 0);
    fputs("hello", o->fp);
    CHECK(access(path, F_OK) != 0);          /* not visible before commit */
    ft_out_commit(o);
    size_t n;
    char *s = ft_read_file(path, &n);
    CHECK(n == 5 && strcmp(s, "hello") == 0);
    free(s);
    unlink(path);
}

/* Cache keys (ft-tokenize --cache-dir) and stream checksums are XXH3-64:
   the published test vectors of the xxHash project (its sanity buffer:
   byte i = top byte of PRIME32 * PRIME64^i) pin the algorithm, so that a
   different library or a fallback would show here, not as stale caches. */
static void test_hash(void)
{
    enum { N = 195 };
    const uint64_t P32 = 2654435761U, P64 = 11400714785074694797ULL;
    unsigned char buf[N];
    uint64_t gen = P32;
    for (int i = 0; i < N; i++) { buf[i] = (unsigned char)(gen >> 56); gen *= P64; }
    static const struct { size_t len; int seeded; uint64_t want; } v[] = {
        {0, 0, 0x2D06800538D394C2ULL},   {0, 1, 0xA8A6B918B2F0364AULL},
        {1, 0, 0xC44BDFF4074EECDBULL},   {1, 1, 0x032BE332DD766EF8ULL},
        {6, 0, 0x27B56A84CD2D7325ULL},   {6, 1, 0x84589C116AB59AB9ULL},
        {12, 0, 0xA713DAF0DFBB77E7ULL},  {12, 1, 0xE7303E1B2336DE0EULL},
        {24, 0, 0xA3FE70BF9D3510EBULL},  {24, 1, 0x850E80FC35BDD690ULL},
        {48, 0, 0x397DA259ECBA1F11ULL},  {48, 1, 0xADC2CBAA44ACC616ULL},
        {80, 0, 0xBCDEFBBB2C47C90AULL},  {80, 1, 0xC6DD0CB699532E73ULL},
        {195, 0, 0xCD94217EE362EC3AULL}, {195, 1, 0xBA68003D370CB3D9ULL},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        uint64_t got = ft_hash64(buf, v[i].len, v[i].seeded ? P64 : 0);
        if (got != v[i].want)
            fprintf(stderr, "  XXH3 len %zu seed %s: %016llx, want %016llx\n", v[i].len,
                    v[i].seeded ? "PRIME64" : "0", (unsigned long long)got, (unsigned long long)v[i].want);
        CHECK(got == v[i].want);
    }
    CHECK(ft_hash64("abc", 3, 0) != ft_hash64("abd", 3, 0));
}

int main(void)
{
    RUN(test_atomic_output);
    RUN(test_hash);
    TEST_MAIN_END();
}
