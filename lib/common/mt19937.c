/* mt19937: see mt19937.h.  The generator is Matsumoto & Nishimura's reference
   algorithm; what matters for numpy parity is the seeding and the order in
   which draws are consumed, both documented in the header. */
#include "mt19937.h"
#include "mt19937_internal.h"
#include "util.h"
#include <string.h>

#define MT_M 397
#define MATRIX_A 0x9908b0dfU
#define UPPER 0x80000000U
#define LOWER 0x7fffffffU

void ft_mt_seed(ft_mt19937 *mt, uint32_t seed)
{
    mt->key[0] = seed;
    for (int i = 1; i < FT_MT_N; i++)
        mt->key[i] = 1812433253U * (mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) + (uint32_t)i;
    mt->pos = FT_MT_N;   /* first draw regenerates the whole block */
}

void ft_mt_seed_array(ft_mt19937 *mt, const uint32_t *key, size_t n)
{
    ft_mt_seed(mt, 19650218U);
    size_t i = 1, j = 0;
    for (size_t k = FT_MT_N > n ? FT_MT_N : n; k; k--) {
        mt->key[i] = (mt->key[i] ^ ((mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) * 1664525U)) +
                     key[j] + (uint32_t)j;
        i++, j++;
        if (i >= FT_MT_N) { mt->key[0] = mt->key[FT_MT_N - 1]; i = 1; }
        if (j >= n) j = 0;
    }
    for (size_t k = FT_MT_N - 1; k; k--) {
        mt->key[i] = (mt->key[i] ^ ((mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) * 1566083941U)) -
                     (uint32_t)i;
        i++;
        if (i >= FT_MT_N) { mt->key[0] = mt->key[FT_MT_N - 1]; i = 1; }
    }
    mt->key[0] = 0x80000000U;   /* non-zero initial state is guaranteed */
    mt->pos = FT_MT_N;
}

static void regenerate(ft_mt19937 *mt)
{
    uint32_t *k = mt->key, y;
    int i;
    for (i = 0; i < FT_MT_N - MT_M; i++) {
        y = (k[i] & UPPER) | (k[i + 1] & LOWER);
        k[i] = k[i + MT_M] ^ (y >> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; i < FT_MT_N - 1; i++) {
        y = (k[i] & UPPER) | (k[i + 1] & LOWER);
        k[i] = k[i + (MT_M - FT_MT_N)] ^ (y >> 1) ^ (-(y & 1) & MATRIX_A);
    }
    y = (k[FT_MT_N - 1] & UPPER) | (k[0] & LOWER);
    k[FT_MT_N - 1] = k[MT_M - 1] ^ (y >> 1) ^ (-(y & 1) & MATRIX_A);
    mt->pos = 0;
}

uint32_t ft_mt_next32(ft_mt19937 *mt)
{
    if (mt->pos == FT_MT_N) regenerate(mt);
    uint32_t y = mt->key[mt->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

/* Two 32-bit draws, the first in the high half (numpy's next_uint64). */
static uint64_t ft_mt_next64(ft_mt19937 *mt)
{
    uint64_t hi = ft_mt_next32(mt);
    return hi << 32 | ft_mt_next32(mt);
}

uint64_t ft_mt_interval(ft_mt19937 *mt, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max, v;
    mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4;
    mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32;
    if (max <= 0xffffffffU)
        while ((v = ft_mt_next32(mt) & mask) > max) {}
    else
        while ((v = ft_mt_next64(mt) & mask) > max) {}
    return v;
}

void ft_mt_shuffle(ft_mt19937 *mt, void *items, size_t n, size_t size)
{
    char *a = items, tmp[64];
    char *buf = size <= sizeof tmp ? tmp : ft_xmalloc(size);
    for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
        size_t j = (size_t)ft_mt_interval(mt, i);
        memcpy(buf, a + i * size, size);
        memcpy(a + i * size, a + j * size, size);
        memcpy(a + j * size, buf, size);
    }
    if (buf != tmp) free(buf);
}

uint64_t *ft_mt_permutation(ft_mt19937 *mt, size_t n)
{
    uint64_t *p = ft_xmalloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = i;
    ft_mt_shuffle(mt, p, n, sizeof *p);
    return p;
}
