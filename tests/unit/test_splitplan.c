/* splitplan against values printed by scikit-learn 1.2 / numpy 1.24. */
#include "splitplan_internal.h"
#include "test.h"
#include <string.h>

static ft_split_size frac(double f) { return (ft_split_size){FT_SIZE_FRACTION, 0, f}; }
static ft_split_size count(long long c) { return (ft_split_size){FT_SIZE_COUNT, c, 0}; }
static const ft_split_size none = {FT_SIZE_NONE, 0, 0};

static int sizes_are(size_t n, ft_split_size te, ft_split_size tr, size_t want_tr, size_t want_te)
{
    size_t a = 0, b = 0;
    char *err = ft_split_sizes(n, te, tr, &a, &b);
    free(err);
    return !err && a == want_tr && b == want_te;
}

static void sizes_match_validate_shuffle_split(void)
{
    CHECK(sizes_are(4533, none, none, 3399, 1134));          /* default 0.25, test rounded up */
    CHECK(sizes_are(10, frac(0.33), none, 6, 4));
    CHECK(sizes_are(10, none, frac(0.7), 7, 3));             /* train rounded down */
    CHECK(sizes_are(7, frac(0.1), frac(0.3), 2, 1));         /* both given: the rest unused */
    CHECK(sizes_are(4533, count(500), none, 4033, 500));
}

static int error_is(size_t n, ft_split_size te, ft_split_size tr, const char *want)
{
    size_t a, b;
    char *err = ft_split_sizes(n, te, tr, &a, &b);
    int ok = err && strcmp(err, want) == 0;
    if (!ok) fprintf(stderr, "  got: %s\n", err ? err : "(no error)");
    free(err);
    return ok;
}

static void errors_in_sklearns_words(void)
{
    CHECK(error_is(10, frac(1.5), none, "test_size=1.5 should be either positive and smaller "
                   "than the number of samples 10 or a float in the (0, 1) range"));
    CHECK(error_is(10, none, count(10), "train_size=10 should be either positive and smaller "
                   "than the number of samples 10 or a float in the (0, 1) range"));
    CHECK(sizes_are(10, frac(0.1), frac(0.9), 9, 1));      /* a sum of exactly 1 is accepted */
    CHECK(error_is(10, frac(0.5), frac(0.6), "The sum of test_size and train_size = 1.1, should "
                   "be in the (0, 1) range. Reduce test_size and/or train_size."));
    CHECK(error_is(1, none, none, "With n_samples=1, test_size=0.25 and train_size=None, the "
                   "resulting train set will be empty. Adjust any of the aforementioned "
                   "parameters."));
}

static int mode_is(const uint64_t *counts, size_t k, size_t draws, uint32_t seed, const uint64_t *want)
{
    ft_mt19937 mt;
    ft_mt_seed(&mt, seed);
    uint64_t out[8];
    ft_approximate_mode(counts, k, draws, &mt, out);
    return memcmp(out, want, k * sizeof *out) == 0;
}

static void approximate_mode_matches(void)
{
    const uint64_t three[] = {3, 3, 3};
    CHECK(mode_is(three, 3, 4, 0, (const uint64_t[]){1, 1, 2}));   /* ties broken by the rng */
    CHECK(mode_is(three, 3, 4, 1, (const uint64_t[]){2, 1, 1}));
    CHECK(mode_is(three, 3, 4, 2, (const uint64_t[]){1, 1, 2}));
    CHECK(mode_is((const uint64_t[]){5, 7, 9, 2}, 4, 13, 42, (const uint64_t[]){3, 4, 5, 1}));
    CHECK(mode_is((const uint64_t[]){1000, 1000, 1000, 1000, 533}, 5, 3399, 0,
                  (const uint64_t[]){750, 750, 750, 750, 399}));
}

static void size_parse_int_vs_float(void)
{
    CHECK(ft_split_size_parse("--test-size", "3").kind == FT_SIZE_COUNT);
    CHECK(ft_split_size_parse("--test-size", "1.0").kind == FT_SIZE_FRACTION);
    CHECK(ft_split_size_parse("--test-size", "2e-1").kind == FT_SIZE_FRACTION);
}

int main(void)
{
    RUN(sizes_match_validate_shuffle_split);
    RUN(errors_in_sklearns_words);
    RUN(approximate_mode_matches);
    RUN(size_parse_int_vs_float);
    TEST_MAIN_END();
}
