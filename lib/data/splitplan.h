/* splitplan: which rows go to train and which to test, and in what order,
   computed exactly as scikit-learn's train_test_split does (1.2), so that
   ft-split with a seed gives the same rows as the Python call:
     sizes       _validate_shuffle_split (fractions: test ceil, train floor)
     shuffled    ShuffleSplit: p = RandomState(seed).permutation(n),
                 test = p[:n_test], train = p[n_test:n_test+n_train]
     stratified  StratifiedShuffleSplit (_approximate_mode allocation, one
                 permutation per class, then each part permuted)
     ordered     shuffle=False: train = 0..n_train-1, test = the next n_test
   Errors come back as messages in sklearn's own words. */
#ifndef FT_SPLITPLAN_H
#define FT_SPLITPLAN_H
#include "mt19937.h"
#include <stddef.h>
#include <stdint.h>

/* A --test-size/--train-size value: an integer is a count, anything else a
   fraction (as Python's int vs float). */
typedef struct ft_split_size {
    enum { FT_SIZE_NONE, FT_SIZE_COUNT, FT_SIZE_FRACTION } kind;
    long long count;
    double frac;
} ft_split_size;

/* Parses a flag value; dies naming the flag if it is not a number. */
ft_split_size ft_split_size_parse(const char *flag, const char *s);

/* _validate_shuffle_split with default_test_size 0.25.  Returns NULL and sets
   *n_train, *n_test, or returns an error message (caller frees). */
char *ft_split_sizes(size_t n, ft_split_size test, ft_split_size train,
                     size_t *n_train, size_t *n_test);

typedef struct ft_split_plan {
    uint64_t *train, *test;      /* row numbers, in output order */
    size_t n_train, n_test;
    uint64_t *mem;               /* backing allocation */
} ft_split_plan;

void ft_split_ordered(ft_split_plan *p, size_t n_train, size_t n_test);
void ft_split_shuffled(ft_split_plan *p, ft_mt19937 *mt, size_t n, size_t n_train, size_t n_test);
/* y[i] is row i's class, numbered 0..ncls-1 in np.unique order (sorted).
   Returns NULL, or an error message (caller frees). */
char *ft_split_stratified(ft_split_plan *p, ft_mt19937 *mt, const uint32_t *y, size_t n,
                          size_t ncls, size_t n_train, size_t n_test);
void ft_split_plan_free(ft_split_plan *p);
#endif
