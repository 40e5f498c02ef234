/* mapin: input that can be looked at before it is read, and addressed by byte
   offset.  ft-split needs both: it sniffs the format to choose how to split,
   and copies CSV rows out by byte range in any order.  Pipes and zstd input
   cannot be seeked, so they are first copied to an unlinked temp file (disk,
   not memory: memory stays proportional to rows, never to bytes). */
#ifndef FT_MAPIN_H
#define FT_MAPIN_H
#include "format.h"
#include <stddef.h>

/* If path is stdin ("-") or another non-regular file, copies its raw bytes to
   an unlinked temp file and puts that on stdin (fd 0), so "-" can be opened
   again and again from the start.  Returns the path to open from now on:
   the original for a regular file, else "-". */
const char *ft_input_make_seekable(const char *path);

/* The format of a seekable input, sniffed from its first (decoded) bytes;
   the input is left unread.  Dies on empty input. */
ft_format ft_input_sniff(const char *path);

/* An unlinked temp file in $TMPDIR (or /tmp), open for reading and writing:
   nothing is left behind however the process ends. */
int ft_temp_fd(void);

typedef struct ft_mapped {
    const char *data;   /* decoded bytes, read-only */
    size_t len;
    const char *name;   /* "stdin" or the path, for messages */
    int fd;
} ft_mapped;

/* Maps a seekable input's decoded bytes: a plain regular file directly, zstd
   input after decoding it to an unlinked temp file. */
ft_mapped *ft_map_input(const char *path);
void ft_unmap_input(ft_mapped *m);
/* Maps an open file's first len bytes read-only (NULL-safe for len 0). */
const char *ft_map_fd(int fd, size_t len, const char *name);
#endif
