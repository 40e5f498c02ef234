/* safetensors reader (mmap) and writer.  See safetensors.h for the format. */
#define _GNU_SOURCE
#include "safetensors.h"
#include "publish.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* element sizes: ft_dtype_size (tensor.c) */
static const struct { const char *name; enum ft_dtype d; } dtypes[] = {
    { "F32", FT_F32 }, { "F16", FT_F16 }, { "BF16", FT_BF16 }, { "F64", FT_F64 },
    { "I64", FT_I64 }, { "I32", FT_I32 }, { "I16", FT_I16 }, { "I8", FT_I8 },
    { "U8", FT_U8 }, { "BOOL", FT_BOOL },
};

static const char *ft_dtype_name(enum ft_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (dtypes[i].d == d) return dtypes[i].name;
    return "?";
}

/* ---- reader ---- */

static enum ft_dtype parse_dtype(const char *s)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (strcmp(dtypes[i].name, s) == 0) return dtypes[i].d;
    return FT_DTYPE_OTHER;
}

static int cmp_tensor(const void *a, const void *b)
{
    return strcmp(((const ft_st_tensor *)a)->name, ((const ft_st_tensor *)b)->name);
}

static int cmp_span(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

ft_st_file *ft_st_open(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) ft_die("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) ft_die("%s: %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    if (size < 8) ft_die("%s: not a safetensors file (%zu bytes)", path, size);
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) ft_die("%s: mmap: %s", path, strerror(errno));

    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | ((unsigned char *)map)[i];
    if (hlen > size - 8 || hlen > FT_ST_MAX_HEADER)
        ft_die("%s: not a safetensors file (header length %llu)", path, (unsigned long long)hlen);
    json_error_t err;
    json_t *hdr = json_loadb((const char *)map + 8, hlen, JSON_REJECT_DUPLICATES, &err);
    if (!hdr || !json_is_object(hdr))
        ft_die("%s: bad safetensors header: %s", path, hdr ? "not an object" : err.text);

    ft_st_file *f = ft_xcalloc(1, sizeof *f);
    f->path = ft_xstrdup(path);
    f->map = map;
    f->size = size;
    f->data = (const unsigned char *)map + 8 + hlen;
    size_t data_size = size - 8 - hlen;
    f->t = ft_xcalloc(json_object_size(hdr) + 1, sizeof *f->t);

    const char *key;
    json_t *val;
    json_object_foreach(hdr, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            const char *mk;
            json_t *mv;
            if (!json_is_object(val)) ft_die("%s: __metadata__ is not an object", path);
            f->meta_keys = ft_xcalloc(json_object_size(val) + 1, sizeof(char *));
            f->meta_vals = ft_xcalloc(json_object_size(val) + 1, sizeof(char *));
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) ft_die("%s: __metadata__[%s] is not a string", path, mk);
                f->meta_keys[f->n_meta] = ft_xstrdup(mk);
                f->meta_vals[f->n_meta++] = ft_xstrdup(json_string_value(mv));
            }
            continue;
        }
        json_t *dt = json_object_get(val, "dtype"), *sh = json_object_get(val, "shape"),
               *off = json_object_get(val, "data_offsets");
        if (!json_is_string(dt) || !json_is_array(sh) || !json_is_array(off) || json_array_size(off) != 2)
            ft_die("%s: tensor %s: missing dtype, shape or data_offsets", path, key);
        ft_st_tensor *t = &f->t[f->n++];
        t->name = ft_xstrdup(key);
        t->dtype = parse_dtype(json_string_value(dt));
        if (json_array_size(sh) > 8) ft_die("%s: tensor %s: too many dimensions", path, key);
        t->ndim = (int)json_array_size(sh);
        for (int d = 0; d < t->ndim; d++) {
            json_t *x = json_array_get(sh, d);
            if (!json_is_integer(x) || json_integer_value(x) < 0)
                ft_die("%s: tensor %s: bad shape", path, key);
            t->shape[d] = json_integer_value(x);
        }
        int64_t numel, nbytes;
        if (ft_shape_size(t->dtype, t->ndim, t->shape, &numel, &nbytes) < 0)
            ft_die("%s: tensor %s: shape too large (its byte size overflows)", path, key);
        t->numel = (size_t)numel;
        json_t *b = json_array_get(off, 0), *e = json_array_get(off, 1);
        if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
            json_integer_value(e) < json_integer_value(b) || (size_t)json_integer_value(e) > data_size)
            ft_die("%s: tensor %s: data_offsets outside the file", path, key);
        t->begin = (size_t)json_integer_value(b);
        t->end = (size_t)json_integer_value(e);
        if (ft_dtype_size(t->dtype) && t->end - t->begin != (size_t)nbytes)
            ft_die("%s: tensor %s: %zu bytes for %zu %s elements", path, key,
                   t->end - t->begin, t->numel, json_string_value(dt));
    }
    json_decref(hdr);
    /* The spec wants the data section fully indexed, without holes or overlaps. */
    size_t *spans = ft_xmalloc((f->n + 1) * 2 * sizeof *spans);
    for (int i = 0; i < f->n; i++) { spans[2 * i] = f->t[i].begin; spans[2 * i + 1] = f->t[i].end; }
    qsort(spans, f->n, 2 * sizeof *spans, cmp_span);
    size_t at = 0;
    for (int i = 0; i < f->n; i++) {
        if (spans[2 * i] != at) ft_die("%s: tensor data has a hole or overlap at byte %zu", path, at);
        at = spans[2 * i + 1];
    }
    if (at != data_size) ft_die("%s: %zu bytes after the last tensor", path, data_size - at);
    free(spans);
    qsort(f->t, f->n, sizeof *f->t, cmp_tensor);
    return f;
}

void ft_st_close(ft_st_file *f)
{
    if (!f) return;
    munmap(f->map, f->size);
    for (int i = 0; i < f->n; i++) free(f->t[i].name);
    for (int i = 0; i < f->n_meta; i++) { free(f->meta_keys[i]); free(f->meta_vals[i]); }
    free(f->meta_keys); free(f->meta_vals);
    free(f->t); free(f->path); free(f);
}

const ft_st_tensor *ft_st_find(const ft_st_file *f, const char *name)
{
    ft_st_tensor key = { .name = (char *)name };
    return bsearch(&key, f->t, f->n, sizeof *f->t, cmp_tensor);
}

const char *ft_st_meta(const ft_st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_vals[i];
    return NULL;
}

/* dst[0..n) from n elements of dtype at src (little-endian host). */
static int convert_f32(float *dst, const unsigned char *src, size_t n, int dtype)
{
    switch (dtype) {
    case FT_F32: memcpy(dst, src, n * 4); return 1;
    case FT_F16:
        for (size_t i = 0; i < n; i++) dst[i] = ft_f16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        return 1;
    case FT_BF16:
        for (size_t i = 0; i < n; i++) dst[i] = ft_bf16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        return 1;
    case FT_F64:
        for (size_t i = 0; i < n; i++) { double d; memcpy(&d, src + 8 * i, 8); dst[i] = (float)d; }
        return 1;
    default: return 0;
    }
}

/* Hands the whole pages of [p, p+bytes) of the map back: once copied, the
   file's pages need not stay in this process's memory until the file is
   closed (a 2 GB checkpoint would otherwise sit resident beside its copy).
   They stay in the page cache; a later read of the map faults them in. */
/* In pieces of 16 MiB of the file, each released once converted, so that
   a large tensor (a 151,936-word embedding is 544 MB) is never resident
   twice. */
void ft_st_read_f32(const ft_st_file *f, const ft_st_tensor *t, float *dst)
{
    const unsigned char *src = f->data + t->begin;
    size_t esize = (t->end - t->begin) / (t->numel ? t->numel : 1), piece = ((size_t)16 << 20) / (esize ? esize : 1);
    if (!convert_f32(dst, src, 0, t->dtype))
        ft_die("%s: tensor %s: dtype %s is not a float type", f->path, t->name, ft_dtype_name(t->dtype));
    for (size_t i = 0; i < t->numel; i += piece) {
        size_t n = t->numel - i < piece ? t->numel - i : piece;
        convert_f32(dst + i, src + i * esize, n, t->dtype);
        ft_pages_drop(src + i * esize, n * esize, NULL, NULL);
    }
}

/* ---- writer ---- */

typedef struct { char *name; int ndim; int64_t shape[8]; size_t numel; const float *data; } wtensor;
struct ft_st_writer {
    wtensor *t;
    int n, cap;
    json_t *meta;
};

ft_st_writer *ft_st_writer_new(void)
{
    ft_st_writer *w = ft_xcalloc(1, sizeof *w);
    w->meta = json_object();
    return w;
}

void ft_st_writer_add(ft_st_writer *w, const char *name, int ndim, const int64_t *shape,
                      const float *data)
{
    if (ndim > 8) ft_die("internal: tensor %s: too many dimensions", name);
    if (w->n == w->cap) { w->cap = w->cap ? 2 * w->cap : 64; w->t = ft_xrealloc(w->t, w->cap * sizeof *w->t); }
    wtensor *t = &w->t[w->n++];
    t->name = ft_xstrdup(name);
    t->ndim = ndim;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) { t->shape[d] = shape[d]; t->numel *= (size_t)shape[d]; }
    t->data = data;
}

void ft_st_writer_meta(ft_st_writer *w, const char *key, const char *val)
{
    json_object_set_new(w->meta, key, json_string(val));
}

static int cmp_wtensor(const void *a, const void *b)
{
    return strcmp(((const wtensor *)a)->name, ((const wtensor *)b)->name);
}

void ft_st_writer_write(ft_st_writer *w, const char *path)
{
    qsort(w->t, w->n, sizeof *w->t, cmp_wtensor);
    json_t *hdr = json_object();
    if (json_object_size(w->meta)) json_object_set(hdr, "__metadata__", w->meta);
    size_t off = 0;
    for (int i = 0; i < w->n; i++) {
        json_t *sh = json_array(), *o = json_array(), *e = json_object();
        for (int d = 0; d < w->t[i].ndim; d++) json_array_append_new(sh, json_integer(w->t[i].shape[d]));
        json_array_append_new(o, json_integer((json_int_t)off));
        off += w->t[i].numel * 4;
        json_array_append_new(o, json_integer((json_int_t)off));
        json_object_set_new(e, "dtype", json_string("F32"));
        json_object_set_new(e, "shape", sh);
        json_object_set_new(e, "data_offsets", o);
        if (json_object_get(hdr, w->t[i].name)) ft_die("internal: duplicate tensor %s", w->t[i].name);
        json_object_set_new(hdr, w->t[i].name, e);
    }
    char *js = json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(hdr);
    size_t hl = strlen(js), padded = (hl + 7) & ~(size_t)7;   /* data 8-byte aligned */
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(padded >> (8 * i));
    ft_outfile *o = ft_out_open(path, 0);
    fwrite(len8, 1, 8, o->fp);
    fwrite(js, 1, hl, o->fp);
    for (size_t i = hl; i < padded; i++) fputc(' ', o->fp);
    for (int i = 0; i < w->n; i++)
        if (fwrite(w->t[i].data, 4, w->t[i].numel, o->fp) != w->t[i].numel)
            ft_die("%s: write failed: %s", path, strerror(errno));
    if (ferror(o->fp)) ft_die("%s: write failed", path);
    ft_out_commit(o);
    free(js);
}

void ft_st_writer_free(ft_st_writer *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->t[i].name);
    free(w->t);
    json_decref(w->meta);
    free(w);
}
