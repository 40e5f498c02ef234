#include "tokcache.h"
#include "publish.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ft_tokcache {
    char *key_dir, *tmp_dir, *spool;
    int complete;
    ft_writer *out, *shard;
    json_t *header;
    long shard_size, in_shard;
    int nshards;
};

ft_tokcache *ft_tokcache_open(const char *dir, uint64_t seed, const char *options_key, char **files, int nfiles)
{
    ft_tokcache *c = ft_xcalloc(1, sizeof *c);
    if (mkdir(dir, 0777) && errno != EEXIST) ft_die("%s: %s", dir, strerror(errno));
    ft_sweep_dead_temps(dir);   /* shards of runs killed before they finished */
    if (nfiles == 1 && !strcmp(files[0], "-")) {
        size_t n;
        char *s = ft_read_file("-", &n);
        char *base = ft_xasprintf("%s/stdin", dir);
        c->spool = ft_tmp_name(base);      /* a temporary: swept if this run is killed */
        free(base);
        ft_outfile *f = ft_out_open(c->spool, 0);
        fwrite(s, 1, n, f->fp);
        ft_out_commit(f);
        free(s);
        files[0] = c->spool;
    }
    uint64_t key = ft_hash64(options_key, strlen(options_key), seed);
    for (int f = 0; f < nfiles; f++) key = ft_hash_file(files[f], key);
    c->key_dir = ft_xasprintf("%s/%016llx", dir, (unsigned long long)key);
    struct stat st;
    c->complete = stat(c->key_dir, &st) == 0;
    return c;
}

const char *ft_tokcache_hit(const ft_tokcache *c) { return c->complete ? c->key_dir : NULL; }

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

size_t ft_tokcache_replay(const ft_tokcache *c, ft_writer *w)
{
    DIR *d = opendir(c->key_dir);
    if (!d) ft_die("%s: %s", c->key_dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "shard-", 6)) {
            names = ft_xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = ft_xasprintf("%s/%s", c->key_dir, e->d_name);
        }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    ft_record rec = {0};
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        ft_reader *r = ft_reader_open(names[i], FT_FMT_AUTO);
        ft_reader_expect_stream(r, "tokens");
        while (ft_reader_next(r, &rec)) { ft_writer_put(w, &rec); count++; }
        ft_reader_close(r);
        free(names[i]);
    }
    free(names);
    ft_record_free(&rec);
    return count;
}

void ft_tokcache_begin(ft_tokcache *c, ft_writer *w, const json_t *header, long shard_size)
{
    c->out = w;
    c->shard_size = shard_size;
    c->header = json_deep_copy(header);
    c->tmp_dir = ft_tmp_name(c->key_dir);
    ft_tmp_dir_begin(c->tmp_dir);
    if (mkdir(c->tmp_dir, 0777)) ft_die("%s: %s", c->tmp_dir, strerror(errno));
}

void ft_tokcache_put(void *ctx, const ft_record *rec)
{
    ft_tokcache *c = ctx;
    ft_writer_put(c->out, rec);
    if (c->shard && c->in_shard == c->shard_size) { ft_writer_close(c->shard); c->shard = NULL; }
    if (!c->shard) {
        char *p = ft_xasprintf("%s/shard-%05d.ftz", c->tmp_dir, c->nshards);
        json_t *h = json_deep_copy(c->header);
        json_object_set_new(h, "shard", json_integer(c->nshards++));
        c->shard = ft_writer_open(p, FT_FMT_FT, 1, h);
        free(p);
        c->in_shard = 0;
    }
    ft_writer_put(c->shard, rec);
    c->in_shard++;
}

void ft_tokcache_close(ft_tokcache *c)
{
    if (c->tmp_dir) {
        if (c->shard) ft_writer_close(c->shard);
        /* the finished directory appears at once, under its key */
        ft_fsync_path(c->tmp_dir);
        ft_tmp_dir_done();
        if (rename(c->tmp_dir, c->key_dir) != 0) {
            ft_warn("%s: %s (cache not kept)", c->key_dir, strerror(errno));
            ft_rm_rf(c->tmp_dir);
        } else {
            ft_fsync_parent(c->key_dir);
            fprintf(stderr, "%s: cached %d shards in %s\n", ft_prog, c->nshards, c->key_dir);
        }
    }
    if (c->spool) unlink(c->spool);
    json_decref(c->header);
    free(c->key_dir);
    free(c->tmp_dir);
    free(c->spool);
    free(c);
}
