/* gguf: the GGUF v3 writer and its structural check.  See gguf.h. */
#include "gguf.h"
#include "mapin.h"
#include "publish.h"
#include "tensor.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GGUF's metadata value types */
enum { T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 };

typedef struct { char *name; int nd; int64_t ne[4]; int type; uint8_t *data; size_t nbytes; } gtensor;
typedef struct { uint8_t *p; size_t n, cap; } bytes;

struct ft_gguf {
    bytes kv;
    char **keys; size_t n_kv;
    gtensor *t; size_t n_t;
};

static void put(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = ft_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void put_u32(bytes *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(bytes *b, uint64_t v) { put(b, &v, 8); }
static void put_str(bytes *b, const char *s, size_t n) { put_u64(b, n); put(b, s, n); }

ft_gguf *ft_gguf_new(void) { return ft_xcalloc(1, sizeof(ft_gguf)); }

void ft_gguf_free(ft_gguf *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_kv; i++) free(g->keys[i]);
    for (size_t i = 0; i < g->n_t; i++) { free(g->t[i].name); free(g->t[i].data); }
    free(g->keys); free(g->t); free(g->kv.p); free(g);
}

static void key(ft_gguf *g, const char *k, int type)
{
    for (size_t i = 0; i < g->n_kv; i++)
        if (!strcmp(g->keys[i], k)) ft_die("gguf: metadata key %s set twice", k);
    g->keys = ft_xrealloc(g->keys, (g->n_kv + 1) * sizeof *g->keys);
    g->keys[g->n_kv++] = ft_xstrdup(k);
    put_str(&g->kv, k, strlen(k));
    put_u32(&g->kv, (uint32_t)type);
}

void ft_gguf_kv_str(ft_gguf *g, const char *k, const char *val) { key(g, k, T_STR); put_str(&g->kv, val, strlen(val)); }
void ft_gguf_kv_u32(ft_gguf *g, const char *k, uint32_t v) { key(g, k, T_U32); put_u32(&g->kv, v); }
void ft_gguf_kv_f32(ft_gguf *g, const char *k, float v) { key(g, k, T_F32); put(&g->kv, &v, 4); }
void ft_gguf_kv_bool(ft_gguf *g, const char *k, int v) { uint8_t b = v != 0; key(g, k, T_BOOL); put(&g->kv, &b, 1); }

#define ARCH_KEY(k, arch, name) char k[128]; snprintf(k, sizeof k, "%s.%s", arch, name)
void ft_gguf_arch_u32(ft_gguf *g, const char *arch, const char *name, uint32_t v) { ARCH_KEY(k, arch, name); ft_gguf_kv_u32(g, k, v); }
void ft_gguf_arch_f32(ft_gguf *g, const char *arch, const char *name, float v) { ARCH_KEY(k, arch, name); ft_gguf_kv_f32(g, k, v); }
void ft_gguf_arch_str(ft_gguf *g, const char *arch, const char *name, const char *val) { ARCH_KEY(k, arch, name); ft_gguf_kv_str(g, k, val); }
#undef ARCH_KEY

int ft_gguf_map_name(const char *hf, const char *layer_prefix, const char *const (*map)[2], int nmap,
                     int n_layer_rows, char *out, size_t outsz)
{
    const char *dot = strrchr(hf, '.');
    if (!dot || (strcmp(dot, ".weight") && strcmp(dot, ".bias"))) return -1;
    size_t np = strlen(layer_prefix);
    int l = -1, at = 0;
    if (!strncmp(hf, layer_prefix, np) && sscanf(hf + np, "%d.%n", &l, &at) == 1 && at) hf += np + at;
    else l = -1;
    size_t n = (size_t)(dot - hf);
    for (int i = 0; i < nmap; i++) {
        if (strlen(map[i][0]) != n || strncmp(hf, map[i][0], n) || (l >= 0) != (i < n_layer_rows)) continue;
        if (l >= 0) snprintf(out, outsz, "blk.%d.%s%s", l, map[i][1], dot);
        else snprintf(out, outsz, "%s%s", map[i][1], dot);
        return i;
    }
    return -1;
}

static void arr(ft_gguf *g, const char *k, int type, size_t n)
{
    key(g, k, T_ARR);
    put_u32(&g->kv, (uint32_t)type);
    put_u64(&g->kv, n);
}

void ft_gguf_kv_strs(ft_gguf *g, const char *k, const char *const *v, const size_t *len, size_t n)
{
    arr(g, k, T_STR, n);
    for (size_t i = 0; i < n; i++) put_str(&g->kv, v[i], len ? len[i] : strlen(v[i]));
}
void ft_gguf_kv_i32s(ft_gguf *g, const char *k, const int32_t *v, size_t n) { arr(g, k, T_I32, n); put(&g->kv, v, 4 * n); }
void ft_gguf_kv_f32s(ft_gguf *g, const char *k, const float *v, size_t n) { arr(g, k, T_F32, n); put(&g->kv, v, 4 * n); }

/* ---- tensors ---- */

size_t ft_gguf_nbytes(enum ft_gguf_type type, int64_t numel)
{
    switch (type) {
    case FT_GGUF_F32: return (size_t)numel * 4;
    case FT_GGUF_F16: case FT_GGUF_BF16: return (size_t)numel * 2;
    case FT_GGUF_Q8_0: return (size_t)numel / FT_GGUF_QK8_0 * (2 + FT_GGUF_QK8_0);
    }
    return 0;
}

int ft_gguf_can_q8_0(int nd, const int64_t *shape) { return nd >= 1 && shape[nd - 1] % FT_GGUF_QK8_0 == 0; }

void ft_gguf_q8_0(const float *x, size_t n, uint8_t *out)
{
    for (size_t b = 0; b < n / FT_GGUF_QK8_0; b++, x += FT_GGUF_QK8_0, out += 2 + FT_GGUF_QK8_0) {
        float amax = 0;
        for (int j = 0; j < FT_GGUF_QK8_0; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
        uint16_t h = ft_f32_to_f16(d);
        memcpy(out, &h, 2);
        for (int j = 0; j < FT_GGUF_QK8_0; j++) out[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
    }
}

void ft_gguf_tensor(ft_gguf *g, const char *name, int nd, const int64_t *shape, const float *x,
                    enum ft_gguf_type type)
{
    if (nd < 1 || nd > 4) ft_die("gguf: tensor %s has %d dimensions (1 to 4)", name, nd);
    if (strlen(name) >= 64) ft_die("gguf: tensor name %s is longer than ggml's 63 characters", name);
    for (size_t i = 0; i < g->n_t; i++)
        if (!strcmp(g->t[i].name, name)) ft_die("gguf: tensor %s added twice", name);
    if (type == FT_GGUF_Q8_0 && !ft_gguf_can_q8_0(nd, shape))
        ft_die("gguf: tensor %s: Q8_0 needs the last dimension a multiple of 32", name);
    g->t = ft_xrealloc(g->t, (g->n_t + 1) * sizeof *g->t);
    gtensor *t = &g->t[g->n_t++];
    memset(t, 0, sizeof *t);
    t->name = ft_xstrdup(name);
    t->nd = nd;
    t->type = type;
    int64_t numel = 1;
    for (int i = 0; i < nd; i++) { t->ne[i] = shape[nd - 1 - i]; numel *= shape[i]; }
    t->nbytes = ft_gguf_nbytes(type, numel);
    t->data = ft_xmalloc(t->nbytes ? t->nbytes : 1);
    uint16_t *h = (uint16_t *)t->data;
    if (type == FT_GGUF_F32) memcpy(t->data, x, t->nbytes);
    else if (type == FT_GGUF_F16) for (int64_t i = 0; i < numel; i++) h[i] = ft_f32_to_f16(x[i]);
    else if (type == FT_GGUF_BF16) for (int64_t i = 0; i < numel; i++) h[i] = ft_f32_to_bf16(x[i]);
    else ft_gguf_q8_0(x, (size_t)numel, t->data);
}

/* ---- writing ---- */

static size_t align_up(size_t n) { return (n + FT_GGUF_ALIGNMENT - 1) / FT_GGUF_ALIGNMENT * FT_GGUF_ALIGNMENT; }

static void wr(FILE *fp, const void *p, size_t n, const char *path)
{
    if (n && fwrite(p, 1, n, fp) != n) ft_die("%s: write failed", path);
}

static void write_zeros(FILE *fp, size_t n, const char *path)
{
    static const uint8_t z[FT_GGUF_ALIGNMENT];
    wr(fp, z, n, path);
}

void ft_gguf_write(const ft_gguf *g, const char *path)
{
    bytes h = { 0 };
    put(&h, "GGUF", 4);
    put_u32(&h, 3);
    put_u64(&h, g->n_t);
    put_u64(&h, g->n_kv);
    put(&h, g->kv.p, g->kv.n);
    size_t off = 0;
    for (size_t i = 0; i < g->n_t; i++) {
        const gtensor *t = &g->t[i];
        put_str(&h, t->name, strlen(t->name));
        put_u32(&h, (uint32_t)t->nd);
        for (int d = 0; d < t->nd; d++) put_u64(&h, (uint64_t)t->ne[d]);
        put_u32(&h, (uint32_t)t->type);
        put_u64(&h, off);
        off = align_up(off + t->nbytes);
    }
    ft_outfile *o = ft_out_open(path, 1);
    if (!o->path) ft_die("a GGUF file cannot go to stdout (its check reads it back)");
    wr(o->fp, h.p, h.n, path);
    write_zeros(o->fp, align_up(h.n) - h.n, path);
    for (size_t i = 0; i < g->n_t; i++) {
        wr(o->fp, g->t[i].data, g->t[i].nbytes, path);
        write_zeros(o->fp, align_up(g->t[i].nbytes) - g->t[i].nbytes, path);
    }
    free(h.p);
    if (fflush(o->fp)) ft_die("%s: write failed", path);
    char *err = NULL;
    if (ft_gguf_check(o->tmp, &err)) ft_die("%s: the written file fails its check, not published: %s", path, err);
    ft_out_commit(o);
}

/* ---- the check: an independent parse of what was written ---- */

typedef struct { const uint8_t *p; size_t n, at; const char *path; char **err; } rd;

static int bad(rd *r, const char *what, const char *name)
{
    if (!*r->err) *r->err = ft_xasprintf("%s: %s%s%s (at byte %zu)", r->path, what, name ? " " : "", name ? name : "", r->at);
    return -1;
}
static int take(rd *r, void *out, size_t n)
{
    if (r->n - r->at < n) return bad(r, "truncated", NULL);
    if (out) memcpy(out, r->p + r->at, n);
    r->at += n;
    return 0;
}
static int take_str(rd *r, char **s)
{
    uint64_t n;
    if (take(r, &n, 8) || n > r->n - r->at) return bad(r, "string runs past the end", NULL);
    if (s) { *s = ft_xmalloc(n + 1); memcpy(*s, r->p + r->at, n); (*s)[n] = 0; }
    r->at += n;
    return 0;
}

static const size_t scalar_size[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

static int take_value(rd *r, uint32_t type, const char *k, uint32_t *u32)
{
    if (type > T_F64) return bad(r, "unknown value type of key", k);
    if (type == T_STR) return take_str(r, NULL);
    if (type != T_ARR) {
        if (u32 && type == T_U32) return take(r, u32, 4);
        return take(r, NULL, scalar_size[type]);
    }
    uint32_t et; uint64_t n;
    if (take(r, &et, 4) || take(r, &n, 8)) return -1;
    if (et == T_ARR || et > T_F64) return bad(r, "bad array element type of key", k);
    for (uint64_t i = 0; i < n; i++)
        if (take_value(r, et, k, NULL)) return -1;
    return 0;
}

static int check_kvs(rd *r, uint64_t n_kv, size_t *alignment)
{
    char **keys = ft_xcalloc(n_kv ? n_kv : 1, sizeof *keys);
    int rc = 0;
    for (uint64_t i = 0; i < n_kv && !rc; i++) {
        uint32_t type, v = 0;
        if (take_str(r, &keys[i]) || take(r, &type, 4)) { rc = -1; break; }
        for (uint64_t j = 0; j < i && !rc; j++)
            if (!strcmp(keys[i], keys[j])) rc = bad(r, "duplicate key", keys[i]);
        if (!rc) rc = take_value(r, type, keys[i], &v);
        if (!rc && !strcmp(keys[i], "general.alignment")) {
            if (type != T_U32 || !v || (v & (v - 1))) rc = bad(r, "general.alignment is not a power of two u32", NULL);
            else *alignment = v;
        }
    }
    for (uint64_t i = 0; i < n_kv; i++) free(keys[i]);
    free(keys);
    return rc;
}

static int check_infos(rd *r, uint64_t n_t, size_t alignment)
{
    char **names = ft_xcalloc(n_t ? n_t : 1, sizeof *names);
    uint64_t *off = ft_xcalloc(n_t ? n_t : 1, 8), *size = ft_xcalloc(n_t ? n_t : 1, 8);
    int rc = 0;
    for (uint64_t i = 0; i < n_t && !rc; i++) {
        uint32_t nd, type; int64_t numel = 1;
        if (take_str(r, &names[i]) || take(r, &nd, 4)) { rc = -1; break; }
        if (strlen(names[i]) >= 64 || nd < 1 || nd > 4) { rc = bad(r, "bad name length or dimension count of tensor", names[i]); break; }
        for (uint32_t d = 0; d < nd && !rc; d++) {
            int64_t ne;
            rc = take(r, &ne, 8);
            if (!rc && ne <= 0) rc = bad(r, "non-positive dimension of tensor", names[i]);
            numel *= ne;
        }
        if (rc || take(r, &type, 4) || take(r, &off[i], 8)) { rc = -1; break; }
        for (uint64_t j = 0; j < i && !rc; j++)
            if (!strcmp(names[i], names[j])) rc = bad(r, "duplicate tensor", names[i]);
        size[i] = type == FT_GGUF_F32 || type == FT_GGUF_F16 || type == FT_GGUF_BF16 || type == FT_GGUF_Q8_0
                ? ft_gguf_nbytes((enum ft_gguf_type)type, numel) : 0;
        if (!rc && !size[i]) rc = bad(r, "unknown type of tensor", names[i]);
        if (!rc && type == FT_GGUF_Q8_0 && numel % FT_GGUF_QK8_0) rc = bad(r, "Q8_0 size not whole blocks in tensor", names[i]);
        if (!rc && off[i] % alignment) rc = bad(r, "unaligned offset of tensor", names[i]);
        if (!rc && i && off[i] < off[i - 1] + size[i - 1]) rc = bad(r, "offset overlaps the previous tensor:", names[i]);
    }
    size_t data = (r->at + alignment - 1) / alignment * alignment;
    uint64_t end = n_t ? off[n_t - 1] + size[n_t - 1] : 0;
    end = (end + alignment - 1) / alignment * alignment;
    if (!rc && data + end != r->n) {
        r->at = r->n;
        rc = bad(r, "file length differs from the data its tensor infos describe", NULL);
    }
    for (uint64_t i = 0; i < n_t; i++) free(names[i]);
    free(names); free(off); free(size);
    return rc;
}

int ft_gguf_check(const char *path, char **err)
{
    *err = NULL;
    /* mapped, not read: the check parses the header and compares sizes, so
       the tensors' pages are never touched (an f32 file is the model's size) */
    ft_mapped *m = ft_map_input(path);
    const uint8_t *buf = (const uint8_t *)m->data;
    rd r = { buf, m->len, 0, path, err };
    uint32_t ver = 0; uint64_t n_t = 0, n_kv = 0;
    size_t alignment = FT_GGUF_ALIGNMENT;
    int rc = take(&r, NULL, 4) || memcmp(buf, "GGUF", 4) ? bad(&r, "not a GGUF file", NULL) : 0;
    if (!rc && (take(&r, &ver, 4) || ver != 3)) rc = bad(&r, "not GGUF version 3", NULL);
    if (!rc && (take(&r, &n_t, 8) || take(&r, &n_kv, 8))) rc = -1;
    if (!rc) rc = check_kvs(&r, n_kv, &alignment);
    if (!rc) rc = check_infos(&r, n_t, alignment);
    ft_unmap_input(m);
    return rc;
}
