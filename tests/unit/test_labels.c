/* labels: np.unique's order over what pandas would read. */
#include "labels.h"
#include "test.h"
#include <string.h>

/* Interns words in order and returns their class numbers in *cls. */
static size_t classes_of(const char *const *words, size_t n, uint32_t *cls)
{
    ft_labels *l = ft_labels_new();
    uint32_t id[16];
    for (size_t i = 0; i < n; i++) id[i] = ft_labels_intern(l, words[i], strlen(words[i]));
    size_t ncls;
    const uint32_t *map = ft_labels_classes(l, &ncls);
    for (size_t i = 0; i < n; i++) cls[i] = map[id[i]];
    ft_labels_free(l);
    return ncls;
}

static void integers_sort_as_numbers(void)
{
    const char *w[] = {"10", "2", "100", "2", "-1"};
    uint32_t c[5];
    CHECK(classes_of(w, 5, c) == 4);
    CHECK(c[4] == 0 && c[1] == 1 && c[3] == 1 && c[0] == 2 && c[2] == 3);
}

static void same_number_same_class(void)
{
    const char *w[] = {"1", "1.0", "0.5", "01"};   /* a float64 column: 1.0, 1.0, 0.5, 1.0 */
    uint32_t c[4];
    CHECK(classes_of(w, 4, c) == 2);
    CHECK(c[0] == 1 && c[1] == 1 && c[3] == 1 && c[2] == 0);
}

static void text_sorts_by_code_point(void)
{
    const char *w[] = {"b", "a", "10", "2", "中", "Z", "ab"};
    uint32_t c[7];
    CHECK(classes_of(w, 7, c) == 7);
    /* "10" < "2" < "Z" < "a" < "ab" < "b" < "中" */
    CHECK(c[2] == 0 && c[3] == 1 && c[5] == 2 && c[1] == 3 && c[6] == 4 && c[0] == 5 && c[4] == 6);
}

static void many_labels(void)
{
    ft_labels *l = ft_labels_new();
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "%d", 4999 - i);
        CHECK(ft_labels_intern(l, buf, strlen(buf)) == (uint32_t)i);
    }
    snprintf(buf, sizeof buf, "%d", 1234);
    CHECK(ft_labels_intern(l, buf, strlen(buf)) == 4999 - 1234);
    size_t ncls;
    const uint32_t *map = ft_labels_classes(l, &ncls);
    CHECK(ncls == 5000 && map[0] == 4999 && map[4999] == 0);
    ft_labels_free(l);
}

int main(void)
{
    RUN(integers_sort_as_numbers);
    RUN(same_number_same_class);
    RUN(text_sorts_by_code_point);
    RUN(many_labels);
    TEST_MAIN_END();
}
