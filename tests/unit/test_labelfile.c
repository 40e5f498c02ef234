/* labelfile: the one --labels reader (ft-tokenize and ft-train). */
#include "labelfile_internal.h"
#include "test.h"
#include <string.h>

static int parse(const char *text, ft_label_names *l, size_t *line, const char **err)
{
    return ft_label_names_parse(text, strlen(text), l, line, err);
}

static void line_n_is_id_n(void)
{
    ft_label_names l;
    size_t line;
    const char *err;
    CHECK(parse("肝病科\r\n消化科\n神经科", &l, &line, &err) == 0);
    CHECK(l.n == 3 && !strcmp(l.names[0], "肝病科") && !strcmp(l.names[2], "神经科"));
    CHECK(ft_label_names_find(&l, "消化科", strlen("消化科")) == 1);
    CHECK(ft_label_names_find(&l, "外科", strlen("外科")) == -1);
    ft_label_names_free(&l);
    /* blank lines at the very end shift nothing */
    CHECK(parse("a\nb\n\n\r\n", &l, &line, &err) == 0 && l.n == 2);
    ft_label_names_free(&l);
}

static void blank_or_repeated_names_refused(void)
{
    ft_label_names l;
    size_t line;
    const char *err;
    CHECK(parse("a\n\nb\n", &l, &line, &err) == -1 && line == 2 && strstr(err, "blank line"));
    CHECK(parse("a\r\n\r\nb\r\n", &l, &line, &err) == -1 && line == 2);
    CHECK(parse("a\nb\na\n", &l, &line, &err) == -1 && line == 3 && strstr(err, "twice"));
    CHECK(parse("", &l, &line, &err) == -1 && strstr(err, "no label names"));
    CHECK(parse("\n\n", &l, &line, &err) == -1 && strstr(err, "no label names"));
}

int main(void)
{
    RUN(line_n_is_id_n);
    RUN(blank_or_repeated_names_refused);
    TEST_MAIN_END();
}
