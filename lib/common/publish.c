/* publish: crash-safe publication of files and directories.  See publish.h. */
#define _GNU_SOURCE
#include "publish.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static char *tmp_dir;                   /* at most one is being filled at a time */

/* What ft_die does last: unlink every uncommitted output file and remove
   the temporary directory being filled. */
static void remove_unpublished(void)
{
    ft_out_abort_all();
    if (tmp_dir) { char *d = tmp_dir; tmp_dir = NULL; ft_rm_rf(d); }
}

void ft_tmp_dir_begin(const char *path)
{
    free(tmp_dir);
    tmp_dir = ft_xstrdup(path);
    ft_on_die(remove_unpublished);
}

void ft_tmp_dir_done(void)
{
    free(tmp_dir);
    tmp_dir = NULL;
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
    ft_on_die(remove_unpublished);
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

void ft_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) ft_die("%s: cannot open to sync: %s", path, strerror(errno));
    /* EINVAL: a file system without fsync (some FUSE, /proc); nothing to do */
    if (fsync(fd) != 0 && errno != EINVAL)
        ft_die("%s: cannot sync to disk: %s", path, strerror(errno));
    close(fd);
}

void ft_fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) { ft_fsync_path("."); return; }
    char *d = slash == path ? ft_xstrdup("/") : ft_xasprintf("%.*s", (int)(slash - path), path);
    ft_fsync_path(d);
    free(d);
}

char *ft_tmp_name(const char *path)
{
    return ft_xasprintf("%s.tmp.%ld", path, (long)getpid());
}

void ft_write_json(const void *json, const char *path, size_t flags)
{
    ft_outfile *o = ft_out_open(path, 0);
    if (json_dumpf((const json_t *)json, o->fp, flags) != 0 || fputc('\n', o->fp) == EOF)
        ft_die("%s: cannot write: %s", path, strerror(errno));
    ft_out_commit(o);
}

void ft_dir_publish(const char *tmp, const char *dir)
{
    ft_fsync_path(tmp);
    ft_tmp_dir_done();
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) == 0) {
        ft_fsync_parent(dir);
        return;
    }
    if (errno != EEXIST && errno != ENOTEMPTY && errno != EINVAL && errno != ENOSYS)
        ft_die("%s: cannot rename into place: %s", dir, strerror(errno));
    /* dir exists (a run resumed from an earlier step saves it again): swap
       the two in one step, so dir is at every moment either complete copy */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) != 0) {
        if (errno != EINVAL && errno != ENOSYS)
            ft_die("%s: cannot exchange into place: %s", dir, strerror(errno));
        /* a file system without exchange: retire the old one first (dir is
           briefly absent, never half there) */
        ft_dir_retire(dir);
        if (rename(tmp, dir) != 0) ft_die("%s: cannot rename into place: %s", dir, strerror(errno));
        ft_fsync_parent(dir);
        return;
    }
    ft_fsync_parent(dir);
    ft_rm_rf(tmp);                      /* the old contents */
}

void ft_dir_retire(const char *dir)
{
    char *gone = ft_tmp_name(dir);
    ft_rm_rf(gone);
    if (rename(dir, gone) != 0) {
        if (errno != ENOENT) ft_warn("%s: cannot remove: %s", dir, strerror(errno));
        free(gone);
        return;
    }
    ft_fsync_parent(dir);
    ft_rm_rf(gone);
    free(gone);
}

/* The PID in "NAME.tmp.PID", or 0 when the name has not that shape. */
static long temp_owner(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (!t) return 0;
    const char *last;
    while ((last = strstr(t + 1, ".tmp."))) t = last;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    return *end || end == t + 5 || pid <= 0 ? 0 : pid;
}

/* Entries of dir named PREFIX.tmp.PID (any prefix when NULL) whose PID is dead. */
static int sweep(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t pl = prefix ? strlen(prefix) : 0;
    int swept = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (prefix && (strncmp(e->d_name, prefix, pl) != 0 || strncmp(e->d_name + pl, ".tmp.", 5) != 0)) continue;
        long pid = temp_owner(e->d_name);
        if (!pid || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;   /* alive (or not ours to judge) */
        char *p = ft_xasprintf("%s/%s", dir, e->d_name);
        ft_rm_rf(p);
        free(p);
        swept++;
    }
    closedir(d);
    return swept;
}

int ft_sweep_dead_temps(const char *dir) { return sweep(dir, NULL); }

int ft_sweep_dead_temps_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return sweep(".", path);
    char *d = slash == path ? ft_xstrdup("/") : ft_xasprintf("%.*s", (int)(slash - path), path);
    int n = sweep(d, slash + 1);
    free(d);
    return n;
}
