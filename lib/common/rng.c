/* rng: xoshiro256** seeded by splitmix64; Box-Muller normals.  See rng.h. */
#include "rng.h"
#include "rng_internal.h"
#include <math.h>
#include <stddef.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ft_rng_seed(ft_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ft_rng_u64(ft_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

double ft_rng_uniform(ft_rng *r) { return (ft_rng_u64(r) >> 11) * 0x1.0p-53; }

double ft_rng_normal(ft_rng *r)
{
    double u1 = ft_rng_uniform(r), u2 = ft_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Both Box-Muller outputs are used: initialising BERT-base draws 100M. */
void ft_rng_normal_fill(ft_rng *r, float *x, size_t n, float mean, float std)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        double u1 = ft_rng_uniform(r), u2 = ft_rng_uniform(r);
        if (u1 < 1e-300) u1 = 1e-300;
        double rad = sqrt(-2.0 * log(u1));
        x[i] = mean + std * (float)(rad * cos(2.0 * M_PI * u2));
        x[i + 1] = mean + std * (float)(rad * sin(2.0 * M_PI * u2));
    }
    if (i < n) x[i] = mean + std * (float)ft_rng_normal(r);
}
