/* mt19937 against values printed by numpy 1.24's legacy RandomState. */
#include "mt19937_internal.h"
#include "test.h"

static void reference_stream(void)
{
    /* RandomState(5489).randint(0, 2**32, 3, dtype=uint64): raw 32-bit draws. */
    ft_mt19937 mt;
    ft_mt_seed(&mt, 5489);
    CHECK(ft_mt_next32(&mt) == 3499211612U);
    CHECK(ft_mt_next32(&mt) == 581869302U);
    CHECK(ft_mt_next32(&mt) == 3890346734U);
}

static int perm_is(ft_mt19937 *mt, size_t n, const uint64_t *want)
{
    uint64_t *p = ft_mt_permutation(mt, n);
    int same = 1;
    for (size_t i = 0; i < n; i++) same &= p[i] == want[i];
    free(p);
    return same;
}

static void permutation_matches_numpy(void)
{
    ft_mt19937 mt;
    ft_mt_seed(&mt, 42);
    CHECK(perm_is(&mt, 10, (const uint64_t[]){8, 1, 5, 0, 7, 2, 9, 4, 3, 6}));
    ft_mt_seed(&mt, 0);
    CHECK(perm_is(&mt, 10, (const uint64_t[]){2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
    ft_mt_seed_array(&mt, (const uint32_t[]){1, 2, 3}, 3);
    CHECK(perm_is(&mt, 10, (const uint64_t[]){0, 4, 8, 1, 2, 6, 7, 5, 3, 9}));
}

static void small_permutations_draw_nothing(void)
{
    /* permutation(0) and (1) consume no draws, as in numpy (loop from n-1 to 1). */
    ft_mt19937 a, b;
    ft_mt_seed(&a, 7);
    ft_mt_seed(&b, 7);
    free(ft_mt_permutation(&a, 0));
    free(ft_mt_permutation(&a, 1));
    CHECK(ft_mt_next32(&a) == ft_mt_next32(&b));
}

static void interval_in_range(void)
{
    ft_mt19937 mt;
    ft_mt_seed(&mt, 1);
    int seen[6] = {0};
    for (int i = 0; i < 600; i++) {
        uint64_t v = ft_mt_interval(&mt, 5);
        CHECK(v <= 5);
        if (v <= 5) seen[v]++;
    }
    for (int i = 0; i < 6; i++) CHECK(seen[i] > 50);
    CHECK(ft_mt_interval(&mt, 0) == 0);
    CHECK(ft_mt_interval(&mt, (uint64_t)1 << 40) <= (uint64_t)1 << 40);
}

int main(void)
{
    RUN(reference_stream);
    RUN(permutation_matches_numpy);
    RUN(small_permutations_draw_nothing);
    RUN(interval_in_range);
    TEST_MAIN_END();
}
