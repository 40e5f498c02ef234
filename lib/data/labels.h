/* labels: class labels (a --stratify column) interned to small numbers, then
   renumbered in the order np.unique would sort them as pandas reads them:
   numerically when every label is an integer (or every label a number),
   else as strings (by code point).  Labels pandas would read as the same
   number ("1", "01", "1.0" in a numeric column) become one class.  Memory is
   proportional to the number of distinct labels. */
#ifndef FT_LABELS_H
#define FT_LABELS_H
#include <stddef.h>
#include <stdint.h>

typedef struct ft_labels ft_labels;

ft_labels *ft_labels_new(void);
/* The label's id in order of first appearance (0, 1, ...). */
uint32_t ft_labels_intern(ft_labels *l, const char *s, size_t len);
/* Sorts the distinct labels; returns a table mapping first-appearance id to
   class number (0..*ncls-1, sorted order).  Owned by l. */
const uint32_t *ft_labels_classes(ft_labels *l, size_t *ncls);
void ft_labels_free(ft_labels *l);
#endif
