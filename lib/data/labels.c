/* labels: see labels.h.  An open-addressing hash table of label strings. */
#include "labels.h"
#include "util.h"
#include <errno.h>
#include <math.h>
#include <string.h>

typedef struct label { char *s; size_t len; uint64_t hash; double num; } label;

struct ft_labels {
    label *v;                 /* by id */
    size_t n, cap;
    uint32_t *slots;          /* id+1, 0 = empty */
    size_t nslots;
    uint32_t *cls;
};

ft_labels *ft_labels_new(void)
{
    ft_labels *l = ft_xcalloc(1, sizeof *l);
    l->nslots = 64;
    l->slots = ft_xcalloc(l->nslots, sizeof *l->slots);
    return l;
}

static void grow(ft_labels *l)
{
    free(l->slots);
    l->nslots *= 2;
    l->slots = ft_xcalloc(l->nslots, sizeof *l->slots);
    for (size_t id = 0; id < l->n; id++) {
        size_t i = l->v[id].hash & (l->nslots - 1);
        while (l->slots[i]) i = (i + 1) & (l->nslots - 1);
        l->slots[i] = (uint32_t)id + 1;
    }
}

uint32_t ft_labels_intern(ft_labels *l, const char *s, size_t len)
{
    uint64_t h = ft_hash64(s, len, 0);
    size_t i = h & (l->nslots - 1);
    for (; l->slots[i]; i = (i + 1) & (l->nslots - 1)) {
        label *x = &l->v[l->slots[i] - 1];
        if (x->hash == h && x->len == len && memcmp(x->s, s, len) == 0) return l->slots[i] - 1;
    }
    if (l->n == UINT32_MAX - 1) ft_die("too many distinct labels");
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = ft_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    label *x = &l->v[l->n];
    x->s = ft_xmalloc(len + 1);
    memcpy(x->s, s, len);
    x->s[len] = 0;
    x->len = len;
    x->hash = h;
    l->slots[i] = (uint32_t)++l->n;
    if (2 * l->n > l->nslots) grow(l);
    return (uint32_t)l->n - 1;
}

/* pandas' C parser reads a column as int64 if every value is an integer, as
   float64 if every value is a number; surrounding spaces are allowed. */
static int parse_num(const label *x, int want_int, double *out)
{
    char *end;
    const char *s = x->s;
    if (!x->len || strlen(s) != x->len) return 0;
    errno = 0;
    if (want_int) {
        long long v = strtoll(s, &end, 10);
        *out = (double)v;
    } else {
        *out = strtod(s, &end);
        /* "inf"/"nan" words are numbers to pandas too, but hex is not */
        if (strpbrk(s, "xX")) return 0;
    }
    if (end == s || errno) return 0;
    while (*end == ' ') end++;
    return *end == 0;
}

static const ft_labels *sort_l;
static int sort_numeric;

static int cmp_label(const void *a, const void *b)
{
    const label *x = &sort_l->v[*(const uint32_t *)a], *y = &sort_l->v[*(const uint32_t *)b];
    if (sort_numeric) return (x->num > y->num) - (x->num < y->num);
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, m);   /* UTF-8 byte order = code point order */
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

const uint32_t *ft_labels_classes(ft_labels *l, size_t *ncls)
{
    int numeric = 0;
    for (int want_int = 1; want_int >= 0 && !numeric; want_int--) {
        size_t i = 0;
        while (i < l->n && parse_num(&l->v[i], want_int, &l->v[i].num) && !isnan(l->v[i].num)) i++;
        numeric = l->n > 0 && i == l->n;
    }
    uint32_t *order = ft_xmalloc((l->n + 1) * sizeof *order);
    for (size_t i = 0; i < l->n; i++) order[i] = (uint32_t)i;
    sort_l = l;
    sort_numeric = numeric;
    qsort(order, l->n, sizeof *order, cmp_label);
    free(l->cls);
    l->cls = ft_xmalloc((l->n + 1) * sizeof *l->cls);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0 && cmp_label(&order[i - 1], &order[i]) != 0) k++;
        l->cls[order[i]] = (uint32_t)k;
    }
    *ncls = l->n ? k + 1 : 0;
    free(order);
    return l->cls;
}

void ft_labels_free(ft_labels *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->v[i].s);
    free(l->v);
    free(l->slots);
    free(l->cls);
    free(l);
}
