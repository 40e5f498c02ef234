#include "labelfile.h"
#include "labelfile_internal.h"
#include "util.h"
#include <string.h>

void ft_label_names_free(ft_label_names *l)
{
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

int ft_label_names_find(const ft_label_names *l, const char *s, size_t len)
{
    for (int i = 0; i < l->n; i++)
        if (strlen(l->names[i]) == len && !memcmp(l->names[i], s, len)) return i;
    return -1;
}

/* Is everything from i on blank lines (only line ends)? */
static int only_blank_lines(const char *s, size_t i, size_t n)
{
    for (; i < n; i++)
        if (s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

int ft_label_names_parse(const char *s, size_t n, ft_label_names *out, size_t *line, const char **err)
{
    memset(out, 0, sizeof *out);
    *line = 0;
    for (size_t i = 0, ln = 1; i < n && !only_blank_lines(s, i, n); ln++) {
        size_t j = i;
        while (j < n && s[j] != '\n') j++;
        size_t e = j > i && s[j - 1] == '\r' ? j - 1 : j;
        *line = ln;
        if (e == i) { *err = "blank line (line N names class N-1; a blank line would shift the ids)"; goto bad; }
        if (memchr(s + i, 0, e - i)) { *err = "NUL byte in a label name"; goto bad; }
        if (ft_label_names_find(out, s + i, e - i) >= 0) { *err = "label name given twice"; goto bad; }
        out->names = ft_xrealloc(out->names, (out->n + 1) * sizeof *out->names);
        out->names[out->n++] = ft_xasprintf("%.*s", (int)(e - i), s + i);
        i = j + 1;
    }
    if (out->n) return 0;
    *line = 1;
    *err = "no label names";
bad:
    ft_label_names_free(out);
    return -1;
}

ft_label_names ft_label_names_read(const char *path)
{
    size_t n, line;
    const char *err;
    char *s = ft_read_file(path, &n);
    ft_label_names l;
    if (ft_label_names_parse(s, n, &l, &line, &err)) ft_die("%s:%zu: %s", path, line, err);
    free(s);
    return l;
}
