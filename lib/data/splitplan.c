/* splitplan: see splitplan.h.  Every random draw happens in the same order as
   in sklearn/numpy, since one extra or missing draw changes every row after. */
#include "splitplan.h"
#include "splitplan_internal.h"
#include "util.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

ft_split_size ft_split_size_parse(const char *flag, const char *s)
{
    ft_split_size z = {FT_SIZE_NONE, 0, 0};
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s && !*end && errno == 0) {
        z.kind = FT_SIZE_COUNT;
        z.count = v;
        return z;
    }
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || *end || errno || isnan(d)) ft_die("%s: \"%s\" is not a number", flag, s);
    z.kind = FT_SIZE_FRACTION;
    z.frac = d;
    return z;
}

/* Python's repr of a float: shortest text that reads back the same. */
static void py_float(char *buf, size_t cap, double d)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    if (!strpbrk(buf, ".eni")) strncat(buf, ".0", cap - strlen(buf) - 1);
}

static void py_size(char *buf, size_t cap, ft_split_size z)
{
    if (z.kind == FT_SIZE_NONE) snprintf(buf, cap, "None");
    else if (z.kind == FT_SIZE_COUNT) snprintf(buf, cap, "%lld", z.count);
    else py_float(buf, cap, z.frac);
}

static int out_of_range(ft_split_size z, size_t n)
{
    return (z.kind == FT_SIZE_COUNT && (z.count >= (long long)n || z.count <= 0)) ||
           (z.kind == FT_SIZE_FRACTION && (z.frac <= 0 || z.frac >= 1));
}

char *ft_split_sizes(size_t n, ft_split_size test, ft_split_size train,
                     size_t *n_train, size_t *n_test)
{
    char a[64], b[64];
    if (test.kind == FT_SIZE_NONE && train.kind == FT_SIZE_NONE)
        test = (ft_split_size){FT_SIZE_FRACTION, 0, 0.25};
    if (out_of_range(test, n)) {
        py_size(a, sizeof a, test);
        return ft_xasprintf("test_size=%s should be either positive and smaller than the number "
                            "of samples %zu or a float in the (0, 1) range", a, n);
    }
    if (out_of_range(train, n)) {
        py_size(a, sizeof a, train);
        return ft_xasprintf("train_size=%s should be either positive and smaller than the number "
                            "of samples %zu or a float in the (0, 1) range", a, n);
    }
    if (train.kind == FT_SIZE_FRACTION && test.kind == FT_SIZE_FRACTION && train.frac + test.frac > 1) {
        py_float(a, sizeof a, train.frac + test.frac);
        return ft_xasprintf("The sum of test_size and train_size = %s, should be in the (0, 1) "
                            "range. Reduce test_size and/or train_size.", a);
    }
    /* Python computes in floats: ceil/floor of the product, then int(). */
    double te = 0, tr = 0;
    if (test.kind == FT_SIZE_FRACTION) te = ceil(test.frac * (double)n);
    else if (test.kind == FT_SIZE_COUNT) te = (double)test.count;
    if (train.kind == FT_SIZE_FRACTION) tr = floor(train.frac * (double)n);
    else if (train.kind == FT_SIZE_COUNT) tr = (double)train.count;
    if (train.kind == FT_SIZE_NONE) tr = (double)n - te;
    else if (test.kind == FT_SIZE_NONE) te = (double)n - tr;
    if (tr + te > (double)n)
        return ft_xasprintf("The sum of train_size and test_size = %lld, should be smaller than "
                            "the number of samples %zu. Reduce test_size and/or train_size.",
                            (long long)(tr + te), n);
    *n_train = (size_t)tr;
    *n_test = (size_t)te;
    if (*n_train == 0) {
        py_size(a, sizeof a, test);
        py_size(b, sizeof b, train);
        return ft_xasprintf("With n_samples=%zu, test_size=%s and train_size=%s, the resulting "
                            "train set will be empty. Adjust any of the aforementioned "
                            "parameters.", n, a, b);
    }
    return NULL;
}

static void plan_alloc(ft_split_plan *p, size_t n_train, size_t n_test)
{
    p->mem = ft_xmalloc((n_train + n_test + 1) * sizeof *p->mem);
    p->train = p->mem;
    p->test = p->mem + n_train;
    p->n_train = n_train;
    p->n_test = n_test;
}

void ft_split_ordered(ft_split_plan *p, size_t n_train, size_t n_test)
{
    plan_alloc(p, n_train, n_test);
    for (size_t i = 0; i < n_train + n_test; i++) p->mem[i] = i;
}

void ft_split_shuffled(ft_split_plan *p, ft_mt19937 *mt, size_t n, size_t n_train, size_t n_test)
{
    p->mem = ft_mt_permutation(mt, n);
    p->test = p->mem;
    p->train = p->mem + n_test;
    p->n_train = n_train;
    p->n_test = n_test;
}

/* Classes ordered by remainder, largest first, ties by class number: then each
   run of equal remainders is np.where(remainder == value) in order. */
static const double *sort_rem;
static int by_remainder(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (sort_rem[i] != sort_rem[j]) return sort_rem[i] > sort_rem[j] ? -1 : 1;
    return (i > j) - (i < j);
}

void ft_approximate_mode(const uint64_t *counts, size_t ncls, size_t n_draws, ft_mt19937 *mt,
                         uint64_t *out)
{
    double total = 0, floored_sum = 0;
    for (size_t c = 0; c < ncls; c++) total += (double)counts[c];
    double *rem = ft_xmalloc((ncls + 1) * sizeof *rem);
    for (size_t c = 0; c < ncls; c++) {
        double cont = (double)counts[c] / total * (double)n_draws;
        double fl = floor(cont);
        out[c] = (uint64_t)fl;
        rem[c] = cont - fl;
        floored_sum += fl;
    }
    long long need = (long long)((double)n_draws - floored_sum);
    if (need > 0) {
        size_t *order = ft_xmalloc((ncls + 1) * sizeof *order);
        for (size_t c = 0; c < ncls; c++) order[c] = c;
        sort_rem = rem;
        qsort(order, ncls, sizeof *order, by_remainder);
        for (size_t s = 0; s < ncls && need > 0;) {
            size_t e = s;
            while (e < ncls && rem[order[e]] == rem[order[s]]) e++;
            size_t len = e - s, add = (size_t)need < len ? (size_t)need : len;
            /* rng.choice(inds, add, replace=False) = inds[permutation(len)[:add]] */
            uint64_t *perm = ft_mt_permutation(mt, len);
            for (size_t k = 0; k < add; k++) out[order[s + perm[k]]]++;
            free(perm);
            need -= (long long)add;
            s = e;
        }
        free(order);
    }
    free(rem);
}

char *ft_split_stratified(ft_split_plan *p, ft_mt19937 *mt, const uint32_t *y, size_t n,
                          size_t ncls, size_t n_train, size_t n_test)
{
    uint64_t *counts = ft_xcalloc(ncls + 1, sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[y[i]]++;
    for (size_t c = 0; c < ncls; c++)
        if (counts[c] < 2) {
            free(counts);
            return ft_xasprintf("The least populated class in y has only 1 member, which is too "
                                "few. The minimum number of groups for any class cannot be less "
                                "than 2.");
        }
    if (n_train < ncls || n_test < ncls) {
        free(counts);
        return n_train < ncls
            ? ft_xasprintf("The train_size = %zu should be greater or equal to the number of "
                           "classes = %zu", n_train, ncls)
            : ft_xasprintf("The test_size = %zu should be greater or equal to the number of "
                           "classes = %zu", n_test, ncls);
    }
    /* Rows of each class in file order (the stable argsort of y). */
    uint64_t *start = ft_xcalloc(ncls + 1, sizeof *start);
    for (size_t c = 0; c < ncls; c++) start[c + 1] = start[c] + counts[c];
    uint64_t *members = ft_xmalloc((n + 1) * sizeof *members), *fill = ft_xmalloc((ncls + 1) * sizeof *fill);
    memcpy(fill, start, ncls * sizeof *fill);
    for (size_t i = 0; i < n; i++) members[fill[y[i]]++] = i;

    uint64_t *n_i = ft_xmalloc((ncls + 1) * sizeof *n_i), *t_i = ft_xmalloc((ncls + 1) * sizeof *t_i);
    ft_approximate_mode(counts, ncls, n_train, mt, n_i);
    for (size_t c = 0; c < ncls; c++) fill[c] = counts[c] - n_i[c];   /* remaining */
    ft_approximate_mode(fill, ncls, n_test, mt, t_i);

    plan_alloc(p, n_train, n_test);
    size_t a = 0, b = 0;
    for (size_t c = 0; c < ncls; c++) {
        uint64_t *perm = ft_mt_permutation(mt, counts[c]);
        for (size_t k = 0; k < n_i[c]; k++) p->train[a++] = members[start[c] + perm[k]];
        for (size_t k = n_i[c]; k < n_i[c] + t_i[c]; k++) p->test[b++] = members[start[c] + perm[k]];
        free(perm);
    }
    ft_mt_shuffle(mt, p->train, a, sizeof *p->train);
    ft_mt_shuffle(mt, p->test, b, sizeof *p->test);
    free(counts); free(start); free(members); free(fill); free(n_i); free(t_i);
    return NULL;
}

void ft_split_plan_free(ft_split_plan *p)
{
    free(p->mem);
    memset(p, 0, sizeof *p);
}
