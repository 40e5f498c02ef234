/* input: a buffered byte source over a file or stdin that decompresses zstd
   transparently (detected by its magic bytes), with line reading for text
   formats.  Knows nothing about what the bytes mean. */
#ifndef FT_INPUT_H
#define FT_INPUT_H
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct ft_input ft_input;

ft_input *ft_input_open(const char *path);     /* "-" = stdin; dies on error */
void ft_input_close(ft_input *in);
const char *ft_input_name(const ft_input *in); /* "stdin" or the path */
int ft_input_is_zstd(const ft_input *in);

/* Makes at least `want` decoded bytes visible at *p (fewer only at EOF);
   returns how many are visible.  Does not consume. */
size_t ft_input_peek(ft_input *in, const char **p, size_t want);
/* Consumes n bytes already made visible by ft_input_peek. */
void ft_input_skip(ft_input *in, size_t n);
/* Copies up to n decoded bytes out; returns 0 only at EOF. */
size_t ft_input_read(ft_input *in, void *dst, size_t n);
/* Next line including its '\n' (absent on a last unterminated line); the
   pointer stays valid until the next call.  Returns the length, 0 at EOF. */
size_t ft_input_getline(ft_input *in, const char **line);
/* Share of a regular file's (raw, maybe compressed) bytes read so far, in
   [0, 1], for a progress bar's ETA; -1 when the size is unknown (a pipe). */
double ft_input_fraction(const ft_input *in);
#endif
