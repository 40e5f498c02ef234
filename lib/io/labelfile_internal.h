/* labelfile_internal: what labelfile.h keeps out of its stable API: the parser under
   ft_label_names_read.
   Tested directly, so declared here for the tests and benchmarks, beside the
   module (zstd keeps its stable API apart the same way); tools never include it. */
#ifndef FT_LABELFILE_INTERNAL_H
#define FT_LABELFILE_INTERNAL_H
#include "labelfile.h"
#include <stddef.h>
#include <stdint.h>

/* Parses text[0..len).  0 on success; else -1 with *line (from 1) and *err (a
   static message) describing the first problem. */
int ft_label_names_parse(const char *text, size_t len, ft_label_names *out, size_t *line,
                         const char **err);

#endif
