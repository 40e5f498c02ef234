#define _GNU_SOURCE
#include "util.h"
#include <errno.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

const char *ft_prog = "ft";

void ft_set_prog(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    ft_prog = slash ? slash + 1 : argv0;
}

void (*ft_die_hook)(const char *msg);

static void (*before_message)(void), (*on_die)(void);

void ft_on_message(void (*fn)(void)) { before_message = fn; }
void ft_on_die(void (*fn)(void)) { on_die = fn; }

/* "PROG: message" on stderr, the progress line (if any) erased first. */
static void say(const char *fmt, va_list ap)
{
    if (before_message) before_message();
    fprintf(stderr, "%s: ", ft_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void ft_die(const char *fmt, ...)
{
    va_list ap;
    if (ft_die_hook) {
        char msg[1024];
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        ft_die_hook(msg);
    }
    fflush(stdout);
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    if (on_die) on_die();
    exit(1);
}

void ft_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

void *ft_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) ft_die("out of memory (%zu bytes)", n);
    return p;
}

void *ft_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) ft_die("out of memory (%zu x %zu bytes)", count, size);
    return p;
}

void *ft_xcalloc_named(size_t count, size_t size, const char *what)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) ft_die("out of memory allocating %s (%zu x %zu bytes, %.1f MiB)", what, count, size,
                   (double)count * size / (1 << 20));
    return p;
}

void *ft_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) ft_die("out of memory (%zu bytes)", n);
    return p;
}

char *ft_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(ft_xmalloc(n), s, n);
}

char *ft_xmemdup(const char *s, size_t n)
{
    char *d = ft_xmalloc(n + 1);
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *ft_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) ft_die("out of memory");
    return s;
}

int ft_pages_drop(const void *p, size_t bytes, uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1), b = ((uintptr_t)p + bytes) & ~(pg - 1);
    if (b <= a || madvise((void *)a, b - a, MADV_DONTNEED)) return -1;
    if (lo) *lo = a;
    if (hi) *hi = b;
    return 0;
}

static char *read_all(FILE *fp, const char *path, size_t *len);

char *ft_read_file(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) ft_die("%s: cannot open: %s", path, strerror(errno));
    return read_all(fp, path, len);
}

char *ft_read_file_opt(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp && errno == ENOENT) return NULL;
    if (!fp) ft_die("%s: cannot open: %s", path, strerror(errno));
    return read_all(fp, path, len);
}

static char *read_all(FILE *fp, const char *path, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = ft_xmalloc(cap + 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap) break;
        cap *= 2;
        buf = ft_xrealloc(buf, cap + 1);
    }
    if (ferror(fp)) ft_die("%s: read error: %s", path, strerror(errno));
    if (fp != stdin) fclose(fp);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

long ft_parse_long(const char *flag, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno)
        ft_die("%s: '%s' is not an integer", flag, s);
    if (v < min || v > max)
        ft_die("%s: %ld is out of range [%ld, %ld]", flag, v, min, max);
    return v;
}

double ft_parse_double(const char *flag, const char *s, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || v != v)
        ft_die("%s: '%s' is not a number", flag, s);
    if (v < min || v > max)
        ft_die("%s: %g is out of range [%g, %g]", flag, v, min, max);
    return v;
}

double ft_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

uint64_t ft_hash64(const void *data, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, n, seed);
}

uint64_t ft_hash_file(const char *path, uint64_t seed)
{
    size_t n;
    char *s = ft_read_file(path, &n);
    uint64_t h = ft_hash64(s, n, seed);
    free(s);
    return h;
}

void ft_mkdir_p(const char *dir)
{
    char *p = ft_xstrdup(dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') { *s = 0; mkdir(p, 0777); *s = '/'; }
    if (mkdir(p, 0777) != 0 && errno != EEXIST) ft_die("%s: cannot create directory: %s", dir, strerror(errno));
    free(p);
}

int ft_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void ft_rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (!d) { unlink(path); return; }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = ft_xasprintf("%s/%s", path, e->d_name);
        ft_rm_rf(p);
        free(p);
    }
    closedir(d);
    rmdir(path);
}

int ft_ends_with_n(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

int ft_ends_with(const char *s, const char *suf) { return ft_ends_with_n(s, strlen(s), suf); }
