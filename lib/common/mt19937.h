/* mt19937: the Mersenne Twister exactly as numpy's legacy RandomState uses it,
   so that a seed given to ft reproduces what np.random.RandomState(seed) (and
   hence sklearn's random_state=seed) would draw: the same permutations, the
   same shuffles, the same bounded integers.  libc only. */
#ifndef FT_MT19937_H
#define FT_MT19937_H
#include <stddef.h>
#include <stdint.h>

#define FT_MT_N 624

typedef struct ft_mt19937 {
    uint32_t key[FT_MT_N];
    int pos;
} ft_mt19937;

/* RandomState(seed) for an integer seed in [0, 2**32): numpy's legacy seeding
   uses the reference init_genrand, not init_by_array, for a plain int. */
void ft_mt_seed(ft_mt19937 *mt, uint32_t seed);
/* RandomState(array of uint32): the reference init_by_array. */
void ft_mt_seed_array(ft_mt19937 *mt, const uint32_t *key, size_t n);
/* RandomState.shuffle of a 1-d array of n items of `size` bytes: Fisher-Yates
   from the last item down, j = interval(i). */
void ft_mt_shuffle(ft_mt19937 *mt, void *items, size_t n, size_t size);
/* RandomState.permutation(n): a new array 0..n-1, shuffled (caller frees). */
uint64_t *ft_mt_permutation(ft_mt19937 *mt, size_t n);
#endif
