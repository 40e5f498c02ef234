/* publish: outputs that appear whole or not at all, even across kill -9 and
 * power loss.  Everything is first written under a temporary name ending in
 * ".tmp.PID" (PID = the writer's process id), fsynced, then renamed onto its
 * final name and the parent directory fsynced.  A name with that ending is
 * never a finished output: a later run sweeps those whose writer is dead. */
#ifndef FT_PUBLISH_H
#define FT_PUBLISH_H
#include <stddef.h>
#include <stdio.h>

/* Atomic output: data goes to "PATH.tmp.PID" and is renamed onto PATH only by
   ft_out_commit().  If the process dies through ft_die() or a signal first,
   the temp file is unlinked, so no reader ever sees a half-written file.
   path "-" or NULL means stdout (nothing to rename). */
typedef struct ft_outfile {
    FILE *fp;
    char *path;     /* final name, NULL for stdout */
    char *tmp;      /* temp name while open */
} ft_outfile;
ft_outfile *ft_out_open(const char *path, int refuse_tty_binary);
void ft_out_commit(ft_outfile *o);   /* fflush, fsync, close, rename, fsync the directory */
/* A temporary directory (PATH.tmp.PID being filled) that ft_die removes
   (a signal leaves it to the next run's sweep, see below); forgotten by
   ft_tmp_dir_done once published. */
void ft_tmp_dir_begin(const char *path);
void ft_tmp_dir_done(void);

/* fsync a file or directory by name; dies naming it on failure. */
void ft_fsync_path(const char *path);
/* fsync the directory holding path ("." for a bare name). */
void ft_fsync_parent(const char *path);

/* "PATH.tmp.PID" for this process (malloc'd). */
char *ft_tmp_name(const char *path);

/* Write a JSON document (jansson json_t *, dump flags) as path, atomically
   like every output: temp file, fsync, rename.  Dies naming path on error. */
void ft_write_json(const void *json, const char *path, size_t flags);

/* Publish directory tmp (complete, its files already fsynced) as dir: tmp is
   fsynced, then atomically exchanged with an existing dir (the old contents
   end up under tmp's name and are deleted) or renamed onto a new one.
   Ends ft_tmp_dir_begin(tmp). */
void ft_dir_publish(const char *tmp, const char *dir);

/* Remove a published directory so that no half-deleted tree is ever left
   under its name: renamed to a temporary name first, then deleted. */
void ft_dir_retire(const char *dir);

/* Delete the entries of dir named "*.tmp.PID" whose PID is no running
   process (a writer killed before it could publish).  A live PID's
   temporaries are left alone: another job may be writing them.  Returns the
   number swept. */
int ft_sweep_dead_temps(const char *dir);
/* The same for the temporaries of one output only: PATH.tmp.PID beside PATH. */
int ft_sweep_dead_temps_of(const char *path);

#endif
