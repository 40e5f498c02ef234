/* util: errors, checked allocation, number parsing, directories, time,
   hashing.  libc and libxxhash only: the lowest layer. */
#ifndef FT_UTIL_H
#define FT_UTIL_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

/* Name printed before every message ("ft-split"); set once by main. */
extern const char *ft_prog;
void ft_set_prog(const char *argv0);

/* Print "prog: message" to stderr and exit(1).  Every fatal error goes through
   here so that half-written outputs registered below are removed first. */
__attribute__((noreturn, format(printf, 1, 2))) void ft_die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void ft_warn(const char *fmt, ...);
/* Fuzz harnesses (fuzz/) turn fatal errors into rejected inputs: when set,
   ft_die passes the message here instead of printing it and exiting.  The
   hook must not return (it longjmps back into the harness). */
extern void (*ft_die_hook)(const char *msg);
/* Modules above util that have something on screen or on disk to tidy
   register it here, so that util needs none of them: fn runs before every
   ft_warn/ft_die message (progress.c erases its bar), resp. as ft_die's last
   step before exit (publish.c removes unpublished outputs).  One of each. */
void ft_on_message(void (*fn)(void));
void ft_on_die(void (*fn)(void));

void *ft_xmalloc(size_t n);
void *ft_xcalloc(size_t count, size_t size);
void *ft_xrealloc(void *p, size_t n);
/* calloc for the big buffers: the error names what (e.g. "AdamW moments")
   and its size, so that a user under ulimit -v knows what did not fit. */
void *ft_xcalloc_named(size_t count, size_t size, const char *what);
char *ft_xstrdup(const char *s);
/* n bytes of s, NUL-terminated; unlike "%.*s", keeps bytes after a NUL in s */
char *ft_xmemdup(const char *s, size_t n);
char *ft_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));


/* Read a whole file ("-" = stdin) into memory; dies with the name on error. */
char *ft_read_file(const char *path, size_t *len);
/* Gives the whole pages inside [p, p+bytes) back to the kernel
   (MADV_DONTNEED: private anonymous or read-only mapped memory reads as
   zeros or the file again).  0 with [*lo, *hi) the range given back (either
   may be NULL), -1 when no whole page lies inside or madvise failed. */
int ft_pages_drop(const void *p, size_t bytes, uintptr_t *lo, uintptr_t *hi);
/* The same, NULL when the file does not exist (an optional file). */
char *ft_read_file_opt(const char *path, size_t *len);

/* Strict number parsing for flags: dies naming the flag on bad input. */
long ft_parse_long(const char *flag, const char *s, long min, long max);
double ft_parse_double(const char *flag, const char *s, double min, double max);

/* mkdir -p; dies naming the directory on failure. */
void ft_mkdir_p(const char *dir);
/* 1 when path names a directory (following links). */
int ft_is_dir(const char *path);
/* rm -rf of a file or directory tree; errors are ignored (best effort). */
void ft_rm_rf(const char *path);

/* Does s end with suf?  The _n form looks at the first n bytes of s only. */
int ft_ends_with_n(const char *s, size_t n, const char *suf);
int ft_ends_with(const char *s, const char *suf);

/* Monotonic seconds, for progress and throughput. */
double ft_now(void);

/* XXH3 64-bit hash, used for stream checksums and cache keys. */
uint64_t ft_hash64(const void *data, size_t n, uint64_t seed);
/* ft_hash64 of a whole file's bytes (dies if it cannot be read). */
uint64_t ft_hash_file(const char *path, uint64_t seed);

#endif
