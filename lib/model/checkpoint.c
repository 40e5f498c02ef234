/* checkpoint: HF model directories, hub cache layout, sharded safetensors,
 * and loading with from_pretrained's name quirks.  See checkpoint.h. */
#define _GNU_SOURCE
#include "checkpoint.h"
#include "publish.h"
#include "gemm.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_file(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }

static int has_config(const char *dir)
{
    char *p = ft_xasprintf("%s/config.json", dir);
    int ok = is_file(p);
    free(p);
    return ok;
}

/* models--org--name/ → snapshots/<refs/main> or the only snapshot. */
static char *snapshot_of(const char *repo)
{
    char *ref = ft_xasprintf("%s/refs/main", repo), *rev = NULL;
    FILE *f = fopen(ref, "r");
    if (f) {
        char buf[256];
        if (fgets(buf, sizeof buf, f)) { buf[strcspn(buf, "\r\n")] = 0; rev = ft_xasprintf("%s/snapshots/%s", repo, buf); }
        fclose(f);
    }
    free(ref);
    if (rev && has_config(rev)) return rev;
    free(rev);
    char *snaps = ft_xasprintf("%s/snapshots", repo), *only = NULL;
    int count = 0;
    DIR *d = opendir(snaps);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char *p = ft_xasprintf("%s/%s", snaps, e->d_name);
            if (has_config(p)) { count++; free(only); only = p; } else free(p);
        }
        closedir(d);
    }
    free(snaps);
    if (count > 1) ft_die("%s: several snapshots and no refs/main; name one directly", repo);
    return only;
}

char *ft_resolve_model_dir(const char *name)
{
    if (ft_is_dir(name)) {
        if (has_config(name)) return ft_xstrdup(name);
        char *s = snapshot_of(name);                 /* a models--org--name path */
        if (s) return s;
        ft_die("%s: no config.json in this directory", name);
    }
    /* Hub name "org/name" or "name" → cache directory. */
    const char *hub = getenv("HF_HUB_CACHE"), *home = getenv("HF_HOME"), *uh = getenv("HOME");
    char *cache = hub && *hub ? ft_xstrdup(hub)
                : home && *home ? ft_xasprintf("%s/hub", home)
                : ft_xasprintf("%s/.cache/huggingface/hub", uh ? uh : ".");
    /* "org/name" → models--org--name */
    size_t n = strlen(name), k = 0;
    char *flat = ft_xmalloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '/') { flat[k++] = '-'; flat[k++] = '-'; }
        else flat[k++] = name[i];
    }
    flat[k] = 0;
    char *repo = ft_xasprintf("%s/models--%s", cache, flat);
    free(flat);
    char *s = ft_is_dir(repo) ? snapshot_of(repo) : NULL;
    if (!s) ft_die("%s: not a model directory, and not in the Hugging Face cache (%s)", name, repo);
    free(repo);
    free(cache);
    return s;
}

ft_checkpoint *ft_checkpoint_open(const char *dir)
{
    ft_checkpoint *ck = ft_xcalloc(1, sizeof *ck);
    ck->dir = ft_xstrdup(dir);
    char *single = ft_xasprintf("%s/model.safetensors", dir);
    char *index = ft_xasprintf("%s/model.safetensors.index.json", dir);
    if (is_file(single)) {
        ck->files = ft_xcalloc(1, sizeof *ck->files);
        ck->files[ck->nfiles++] = ft_st_open(single);
    } else if (is_file(index)) {
        json_error_t err;
        json_t *ix = json_load_file(index, 0, &err);
        if (!ix) ft_die("%s:%d: %s", index, err.line, err.text);
        json_t *wm = json_object_get(ix, "weight_map");
        if (!json_is_object(wm)) ft_die("%s: no weight_map", index);
        /* Distinct shard names, in first-seen order. */
        char **names = ft_xcalloc(json_object_size(wm) + 1, sizeof *names);
        int nn = 0;
        const char *k;
        json_t *v;
        json_object_foreach(wm, k, v) {
            if (!json_is_string(v) || strchr(json_string_value(v), '/'))
                ft_die("%s: weight_map[%s]: bad shard name", index, k);
            int seen = 0;
            for (int i = 0; i < nn; i++) if (strcmp(names[i], json_string_value(v)) == 0) seen = 1;
            if (!seen) names[nn++] = ft_xstrdup(json_string_value(v));
        }
        ck->files = ft_xcalloc(nn + 1, sizeof *ck->files);
        for (int i = 0; i < nn; i++) {
            char *p = ft_xasprintf("%s/%s", dir, names[i]);
            ck->files[ck->nfiles++] = ft_st_open(p);
            free(p);
            free(names[i]);
        }
        free(names);
        /* Every indexed tensor must be in the shard the index names. */
        json_object_foreach(wm, k, v) {
            const ft_st_file *f;
            if (!ft_checkpoint_find(ck, k, &f) || !strstr(f->path, json_string_value(v)))
                ft_die("%s: %s is not in %s", index, k, json_string_value(v));
        }
        json_decref(ix);
    } else {
        free(single); free(index); free(ck->dir); free(ck);
        return NULL;
    }
    free(single);
    free(index);
    return ck;
}

void ft_checkpoint_close(ft_checkpoint *ck)
{
    if (!ck) return;
    for (int i = 0; i < ck->nfiles; i++) ft_st_close(ck->files[i]);
    free(ck->files);
    free(ck->dir);
    free(ck);
}

const ft_st_tensor *ft_checkpoint_find(const ft_checkpoint *ck, const char *name,
                                       const ft_st_file **file)
{
    for (int i = 0; i < ck->nfiles; i++) {
        const ft_st_tensor *t = ft_st_find(ck->files[i], name);
        if (t) { if (file) *file = ck->files[i]; return t; }
    }
    return NULL;
}

/* Legacy TF-era names: LayerNorm.gamma → .weight, .beta → .bias. */
static char *modern_name(const char *name)
{
    size_t n = strlen(name);
    if (n > 6 && strcmp(name + n - 6, ".gamma") == 0)
        return ft_xasprintf("%.*s.weight", (int)(n - 6), name);
    if (n > 5 && strcmp(name + n - 5, ".beta") == 0)
        return ft_xasprintf("%.*s.bias", (int)(n - 5), name);
    return ft_xstrdup(name);
}

/* Which parameter a file tensor feeds: exact, with the base prefix added
   (a bare BertModel checkpoint), or with it removed (a task checkpoint loaded
   into a bare model). */
static int map_name(const ft_params *ps, const char *name, const char *prefix)
{
    char *m = modern_name(name);
    int i = ft_params_find(ps, m);
    size_t pl = prefix ? strlen(prefix) : 0;
    if (i < 0 && pl) {
        if (strncmp(m, prefix, pl) == 0) i = ft_params_find(ps, m + pl);
        else { char *p = ft_xasprintf("%s%s", prefix, m); i = ft_params_find(ps, p); free(p); }
    }
    free(m);
    return i;
}

static void print_list(char *head, char **names, int n)
{
    fprintf(stderr, "%s: %s: [", ft_prog, head);
    for (int i = 0; i < n; i++) fprintf(stderr, "%s'%s'", i ? ", " : "", names[i]);
    fprintf(stderr, "]\n");
    free(head);
}

static int ignored(const char *name, const char *const *ignore)
{
    size_t n = strlen(name);
    for (; ignore && *ignore; ignore++) {
        size_t k = strlen(*ignore);
        if (n >= k && strcmp(name + n - k, *ignore) == 0) return 1;
    }
    return 0;
}

int ft_checkpoint_load(const ft_checkpoint *ck, ft_params *ps, const char *prefix,
                       const char *arch, int *loaded, int quiet)
{
    return ft_checkpoint_load_ex(ck, ps, prefix, arch, loaded, quiet, NULL);
}

int ft_checkpoint_load_ex(const ft_checkpoint *ck, ft_params *ps, const char *prefix,
                          const char *arch, int *loaded, int quiet, const char *const *ignore)
{
    memset(loaded, 0, ps->n * sizeof *loaded);
    char **unexpected = NULL;
    int nun = 0, count = 0;
    for (int f = 0; f < ck->nfiles; f++) {
        const ft_st_file *sf = ck->files[f];
        for (int t = 0; t < sf->n; t++) {
            const ft_st_tensor *st = &sf->t[t];
            /* A registered buffer in older checkpoints, not a weight. */
            size_t sl = strlen(st->name);
            if (sl >= 12 && strcmp(st->name + sl - 12, "position_ids") == 0) continue;
            int i = map_name(ps, st->name, prefix);
            if (i < 0 && ignored(st->name, ignore)) continue;
            if (i < 0 || loaded[i]) {
                unexpected = ft_xrealloc(unexpected, (nun + 1) * sizeof *unexpected);
                unexpected[nun++] = st->name;
                continue;
            }
            const ft_param *p = &ps->p[i];
            int same = st->ndim == p->ndim;
            for (int d = 0; same && d < p->ndim; d++) same = st->shape[d] == p->shape[d];
            if (!same) {
                char a[128] = "", b[128] = "";
                for (int d = 0; d < st->ndim; d++) snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", d ? ", " : "", (long long)st->shape[d]);
                for (int d = 0; d < p->ndim; d++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", d ? ", " : "", (long long)p->shape[d]);
                ft_die("%s: size mismatch for %s: copying a param with shape [%s] from checkpoint, "
                       "the shape in the current model is [%s]", sf->path, p->name, a, b);
            }
            ft_st_read_f32(sf, st, ps->data + p->offset);
            ft_gemm_weights_changed(ps->data + p->offset, p->numel);   /* --bf16 copies */
            loaded[i] = 1;
            count++;
        }
    }
    if (!quiet && nun)
        print_list(ft_xasprintf("Some weights of the model checkpoint at %s were not used when "
                                "initializing %s", ck->dir, arch), unexpected, nun);
    char **missing = ft_xcalloc(ps->n + 1, sizeof *missing);
    int nmiss = 0;
    for (int i = 0; i < ps->n; i++) if (!loaded[i]) missing[nmiss++] = ps->p[i].name;
    if (!quiet && nmiss) {
        print_list(ft_xasprintf("Some weights of %s were not initialized from the model checkpoint "
                                "at %s and are newly initialized", arch, ck->dir), missing, nmiss);
        fprintf(stderr, "%s: You should probably TRAIN this model on a down-stream task to be able "
                "to use it for predictions and inference.\n", ft_prog);
    }
    free(missing);
    free(unexpected);
    return count;
}

void ft_checkpoint_save_params(const ft_params *ps, const char *path)
{
    ft_st_writer *w = ft_st_writer_new();
    ft_st_writer_meta(w, "format", "pt");
    for (int i = 0; i < ps->n; i++)
        ft_st_writer_add(w, ps->p[i].name, ps->p[i].ndim, ps->p[i].shape, ps->data + ps->p[i].offset);
    ft_st_writer_write(w, path);
    ft_st_writer_free(w);
}

/* ---- checkpoint-N directories ---- */

static int has_file(const char *dir, const char *name)
{
    char *p = ft_xasprintf("%s/%s", dir, name);
    struct stat st;
    int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    free(p);
    return ok;
}

int ft_is_model_dir(const char *dir)
{
    return has_file(dir, "config.json") &&
           (has_file(dir, "model.safetensors") || has_file(dir, "model.safetensors.index.json"));
}

/* 1 when dir holds trainer_state.json, optimizer.safetensors and the weights
   with their config (model.safetensors + config.json, or the adapter pair). */
static int ft_checkpoint_complete(const char *dir)
{
    int weights = ft_is_model_dir(dir) ||
                  (has_file(dir, "adapter_config.json") && has_file(dir, "adapter_model.safetensors"));
    return weights && has_file(dir, "optimizer.safetensors") && has_file(dir, "trainer_state.json");
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The steps N of the output_dir/checkpoint-N directories, ascending
   (malloc'd; *n set; NULL when none). */
static long *ft_checkpoint_steps(const char *output_dir, int *n)
{
    *n = 0;
    DIR *d = opendir(output_dir);
    if (!d) return NULL;
    long *steps = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (strncmp(s, "checkpoint-", 11) != 0 || s[11] < '0' || s[11] > '9') continue;
        char *end;
        long step = strtol(s + 11, &end, 10);
        if (*end) continue;             /* checkpoint-N.tmp.PID: never complete */
        char *p = ft_xasprintf("%s/%s", output_dir, s);
        int dir = ft_is_dir(p);
        free(p);
        if (!dir) continue;
        if (*n == cap) steps = ft_xrealloc(steps, (cap = cap ? 2 * cap : 16) * sizeof *steps);
        steps[(*n)++] = step;
    }
    closedir(d);
    if (steps) qsort(steps, *n, sizeof *steps, cmp_long);
    return steps;
}

/* output_dir/checkpoint-N of the highest N that is complete (malloc'd), or
   NULL; incomplete ones passed over are named in a warning. */
static char *ft_checkpoint_last(const char *output_dir)
{
    int n;
    long *steps = ft_checkpoint_steps(output_dir, &n);
    char *found = NULL;
    for (int i = n - 1; i >= 0 && !found; i--) {
        char *p = ft_xasprintf("%s/checkpoint-%ld", output_dir, steps[i]);
        if (ft_checkpoint_complete(p)) found = p;
        else { ft_warn("%s: incomplete checkpoint (no trainer state, optimizer or weights), passed over", p); free(p); }
    }
    free(steps);
    return found;
}

void ft_checkpoint_rotate(const char *output_dir, int limit, const char *best)
{
    if (limit <= 0) return;
    int n;
    long *steps = ft_checkpoint_steps(output_dir, &n);
    char **dirs = ft_xcalloc(n + 1, sizeof *dirs);
    int ibest = -1;
    for (int i = 0; i < n; i++) {
        dirs[i] = ft_xasprintf("%s/checkpoint-%ld", output_dir, steps[i]);
        if (best && strcmp(dirs[i], best) == 0) ibest = i;
    }
    /* HF's _sorted_checkpoints: the best moves to the second-newest place so
       it outlives the others; with a limit of 1 and another newest, keep 2 */
    for (int i = ibest; ibest >= 0 && i < n - 2; i++) { char *t = dirs[i]; dirs[i] = dirs[i + 1]; dirs[i + 1] = t; }
    if (limit == 1 && ibest >= 0 && ibest != n - 1) limit = 2;
    for (int i = 0; i < n - limit; i++) ft_dir_retire(dirs[i]);
    for (int i = 0; i < n; i++) free(dirs[i]);
    free(dirs);
    free(steps);
}

char *ft_checkpoint_for_resume(const char *output_dir, const char *arg)
{
    if (strcmp(arg, "last") == 0) {
        char *p = ft_checkpoint_last(output_dir);
        if (!p) ft_die("--resume-from-checkpoint: no complete checkpoint-N directory in %s", output_dir);
        ft_warn("resuming from %s", p);
        return p;
    }
    if (!ft_is_dir(arg)) ft_die("--resume-from-checkpoint: %s: not a directory", arg);
    if (!ft_checkpoint_complete(arg))
        ft_die("--resume-from-checkpoint: %s: incomplete checkpoint (needs trainer_state.json, "
               "optimizer.safetensors and the weights with their config)", arg);
    return ft_xstrdup(arg);
}

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in) ft_die("%s: cannot open: %s", src, strerror(errno));
    ft_outfile *out = ft_out_open(dst, 0);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out->fp) != n) ft_die("%s: write error: %s", dst, strerror(errno));
    if (ferror(in)) ft_die("%s: read error", src);
    fclose(in);
    ft_out_commit(out);
}

void ft_copy_tokenizer_files(const char *src_dir, const char *dst_dir)
{
    static const char *files[] = {"tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                                  "merges.txt", "special_tokens_map.json", "spiece.model",
                                  "added_tokens.json", "chat_template.jinja",
                                  "generation_config.json", NULL};
    for (int i = 0; files[i]; i++) {
        char *s = ft_xasprintf("%s/%s", src_dir, files[i]), *d = ft_xasprintf("%s/%s", dst_dir, files[i]);
        if (strcmp(s, d) != 0 && access(s, R_OK) == 0) copy_file(s, d);
        free(s);
        free(d);
    }
}
