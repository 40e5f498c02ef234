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
