/* mapin: see mapin.h. */
#define _GNU_SOURCE
#include "mapin.h"
#include "input.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* An anonymous temp file: unlinked at once, so nothing is left behind however
   the process ends. */
int ft_temp_fd(void)
{
    const char *dir = getenv("TMPDIR");
    char *tmpl = ft_xasprintf("%s/ft-spool.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) ft_die("%s: cannot create temp file: %s", tmpl, strerror(errno));
    unlink(tmpl);
    free(tmpl);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            ft_die("temp file: write error: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

static void rewind_if_stdin(const char *path);

const char *ft_input_make_seekable(const char *path)
{
    struct stat st;
    int is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin) {
        if (stat(path, &st) != 0) ft_die("%s: cannot open: %s", path, strerror(errno));
        if (S_ISREG(st.st_mode)) return path;
    } else if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) && lseek(0, 0, SEEK_CUR) == 0) {
        return path;                   /* `< file`: already seekable */
    }
    int in = is_stdin ? 0 : open(path, O_RDONLY);
    if (in < 0) ft_die("%s: cannot open: %s", path, strerror(errno));
    int fd = ft_temp_fd();
    char buf[1 << 16];
    for (;;) {
        ssize_t got = read(in, buf, sizeof buf);
        if (got < 0) {
            if (errno == EINTR) continue;
            ft_die("%s: read error: %s", is_stdin ? "stdin" : path, strerror(errno));
        }
        if (got == 0) break;
        write_all(fd, buf, (size_t)got);
    }
    if (in != 0) close(in);
    if (dup2(fd, 0) < 0) ft_die("dup2: %s", strerror(errno));
    close(fd);
    rewind_if_stdin("-");
    return "-";
}

static void rewind_if_stdin(const char *path)
{
    if (strcmp(path, "-") != 0) return;
    if (fseek(stdin, 0, SEEK_SET) != 0 || lseek(0, 0, SEEK_SET) != 0)
        ft_die("stdin: cannot rewind: %s", strerror(errno));
    clearerr(stdin);
}

ft_format ft_input_sniff(const char *path)
{
    ft_input *in = ft_input_open(path);
    const char *p;
    size_t n = ft_input_peek(in, &p, 4096);
    if (n == 0) ft_die("%s: empty input", ft_input_name(in));
    ft_format f = ft_format_sniff(p, n);
    ft_input_close(in);
    rewind_if_stdin(path);
    return f;
}

ft_mapped *ft_map_input(const char *path)
{
    ft_mapped *m = ft_xcalloc(1, sizeof *m);
    ft_input *in = ft_input_open(path);
    m->name = ft_xstrdup(ft_input_name(in));
    if (ft_input_is_zstd(in)) {
        m->fd = ft_temp_fd();
        char buf[1 << 16];
        size_t got;
        while ((got = ft_input_read(in, buf, sizeof buf)) > 0) write_all(m->fd, buf, got);
        ft_input_close(in);
        rewind_if_stdin(path);
    } else {
        ft_input_close(in);
        rewind_if_stdin(path);
        m->fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);
        if (m->fd < 0) ft_die("%s: cannot open: %s", m->name, strerror(errno));
    }
    struct stat st;
    if (fstat(m->fd, &st) != 0) ft_die("%s: stat: %s", m->name, strerror(errno));
    m->len = (size_t)st.st_size;
    m->data = ft_map_fd(m->fd, m->len, m->name);
    return m;
}

const char *ft_map_fd(int fd, size_t len, const char *name)
{
    if (len == 0) return "";
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) ft_die("%s: cannot map: %s", name, strerror(errno));
    madvise(p, len, MADV_WILLNEED);
    return p;
}

void ft_unmap_input(ft_mapped *m)
{
    if (!m) return;
    if (m->len) munmap((void *)m->data, m->len);
    close(m->fd);
    free((char *)m->name);
    free(m);
}
