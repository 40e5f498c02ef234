#define _GNU_SOURCE
#include "progress.h"
#include "util.h"
#include "publish.h"
#include <errno.h>
#include <signal.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

const char *ft_prog = "ft";

/* Uncommitted output files, removed on any abnormal exit. */
#define FT_MAX_OUT 64
static ft_outfile *open_outs[FT_MAX_OUT];

/* Unlink every uncommitted temp file. */
static void ft_out_abort_all(void)
{
    for (int i = 0; i < FT_MAX_OUT; i++)
        if (open_outs[i] && open_outs[i]->tmp) unlink(open_outs[i]->tmp);
}

static void on_signal(int sig)
{
    ft_out_abort_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

void ft_set_prog(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    ft_prog = slash ? slash + 1 : argv0;
}

void (*ft_die_hook)(const char *msg);

static char *tmp_dir;                   /* at most one is being filled at a time */

void ft_tmp_dir_begin(const char *path)
{
    free(tmp_dir);
    tmp_dir = ft_xstrdup(path);
}

void ft_tmp_dir_done(void)
{
    free(tmp_dir);
    tmp_dir = NULL;
}

/* "PROG: message" on stderr, the progress line (if any) erased first. */
static void say(const char *fmt, va_list ap)
{
    ft_progress_interrupt();
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
    ft_out_abort_all();
    if (tmp_dir) { char *d = tmp_dir; tmp_dir = NULL; ft_rm_rf(d); }
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

ft_outfile *ft_out_open(const char *path, int refuse_tty_binary)
{
    ft_outfile *o = ft_xcalloc(1, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        if (refuse_tty_binary && isatty(STDOUT_FILENO))
            ft_die("refusing to write binary output to a terminal; "
                   "redirect it (> file), pass -o FILE, or pipe it to ft-cat");
        o->fp = stdout;
        return o;
    }
    o->path = ft_xstrdup(path);
    o->tmp = ft_tmp_name(path);
    o->fp = fopen(o->tmp, "wb");
    if (!o->fp) ft_die("%s: cannot create: %s", path, strerror(errno));
    int slot = -1;
    for (int i = 0; i < FT_MAX_OUT; i++)
        if (!open_outs[i]) { slot = i; break; }
    if (slot < 0) ft_die("too many open output files");
    open_outs[slot] = o;
    static int handlers;
    if (!handlers) {
        handlers = 1;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, on_signal);
        signal(SIGHUP, on_signal);
        /* past a file-size limit, write() fails with EFBIG and the error is
           reported like a full disk, instead of a silent kill that would leave
           the temporary behind */
        signal(SIGXFSZ, SIG_IGN);
    }
    return o;
}

void ft_out_commit(ft_outfile *o)
{
    if (fflush(o->fp) != 0 || ferror(o->fp))
        ft_die("%s: write error: %s", o->path ? o->path : "stdout", strerror(errno));
    if (o->fp == stdout) { free(o); return; }
    /* on disk before it is named: a crash never leaves a final name holding
       a file whose data was still in the page cache */
    if (fsync(fileno(o->fp)) != 0 && errno != EINVAL)
        ft_die("%s: write error: %s", o->path, strerror(errno));
    if (fclose(o->fp) != 0)
        ft_die("%s: write error: %s", o->path, strerror(errno));
    if (rename(o->tmp, o->path) != 0)
        ft_die("%s: cannot rename into place: %s", o->path, strerror(errno));
    ft_fsync_parent(o->path);
    for (int i = 0; i < FT_MAX_OUT; i++)
        if (open_outs[i] == o) open_outs[i] = NULL;
    free(o->tmp);
    free(o->path);
    free(o);
}

char *ft_read_file(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) ft_die("%s: cannot open: %s", path, strerror(errno));
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
