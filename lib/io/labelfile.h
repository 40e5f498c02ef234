/* labelfile: a --labels file, class names one a line, line N (from 0) being
   class id N.  One reader for every tool (ft-tokenize maps names to ids with
   it, ft-train writes id2label from it), so a file means the same ids
   everywhere.  CRLF line ends are accepted; a blank line or a name given twice
   is an error (a skipped blank line would shift every later id); blank lines
   at the very end are ignored (they shift nothing). */
#ifndef FT_LABELFILE_H
#define FT_LABELFILE_H
#include <stddef.h>

typedef struct ft_label_names {
    char **names;
    int n;
} ft_label_names;

/* Reads path, or dies with "PATH:LINE: what is wrong". */
ft_label_names ft_label_names_read(const char *path);
/* The id of name s[0..len), or -1. */
int ft_label_names_find(const ft_label_names *l, const char *s, size_t len);
void ft_label_names_free(ft_label_names *l);
#endif
