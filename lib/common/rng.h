/* rng: seedable random numbers for initialisation and dropout.
 * This is NOT torch's generator: the same seed gives different numbers than
 * torch.manual_seed.  Exact torch RNG parity is not a goal; parity tests load
 * the same weights into both sides and run with dropout off.
 *
 * ft_rng is a xoshiro256** stream seeded by splitmix64; ft_hash_u32 is a
 * stateless counter hash (splitmix64 finaliser) used where values must be
 * regenerated independently of thread order (dropout masks). */
#ifndef FT_RNG_H
#define FT_RNG_H
#include <stddef.h>
#include <stdint.h>

typedef struct ft_rng { uint64_t s[4]; } ft_rng;

void ft_rng_seed(ft_rng *r, uint64_t seed);
uint64_t ft_rng_u64(ft_rng *r);
double ft_rng_uniform(ft_rng *r);          /* [0, 1) */
void ft_rng_normal_fill(ft_rng *r, float *x, size_t n, float mean, float std);

/* Stateless: 32 well-mixed bits for (key, index). */
static inline uint32_t ft_hash_u32(uint64_t key, uint64_t i)
{
    uint64_t z = key + 0x9e3779b97f4a7c15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}
/* Derive a sub-key (e.g. seed → step → layer → site). */
static inline uint64_t ft_key_mix(uint64_t key, uint64_t v)
{
    uint64_t z = key ^ (v + 0x9e3779b97f4a7c15ull + (key << 6) + (key >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
#endif
