#include "input.h"
#include "util.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

struct ft_input {
    char *name;
    FILE *fp;
    int eof;                    /* no more raw bytes */
    /* zstd state, when the input starts with a zstd frame */
    ZSTD_DStream *zs;
    char *zbuf;
    ZSTD_inBuffer zin;
    size_t zlast;               /* last ZSTD_decompressStream result: 0 = frame ended */
    /* decoded bytes: buf[pos..len) are unread */
    char *buf;
    size_t pos, len, cap, consumed;
    double size;                /* bytes of a regular file; -1: a pipe or terminal */
};

#define CHUNK (256 * 1024)

static size_t raw_read(ft_input *in, void *dst, size_t n)
{
    if (in->eof) return 0;
    size_t got = fread(dst, 1, n, in->fp);
    if (got < n) {
        if (ferror(in->fp)) ft_die("%s: read error: %s", in->name, strerror(errno));
        in->eof = 1;
    }
    return got;
}

/* Appends decoded bytes to buf; returns how many (0 = end of data). */
static size_t fill(ft_input *in)
{
    if (in->pos > 0 && in->pos == in->len) in->pos = in->len = 0;
    if (in->cap - in->len < CHUNK) {
        if (in->pos > 0) {              /* compact before growing */
            memmove(in->buf, in->buf + in->pos, in->len - in->pos);
            in->len -= in->pos;
            in->pos = 0;
        }
        if (in->cap - in->len < CHUNK) {
            in->cap = in->cap * 2 > in->len + CHUNK ? in->cap * 2 : in->len + CHUNK;
            in->buf = ft_xrealloc(in->buf, in->cap);
        }
    }
    if (!in->zs) {
        size_t got = raw_read(in, in->buf + in->len, in->cap - in->len);
        in->len += got;
        return got;
    }
    for (;;) {
        if (in->zin.pos == in->zin.size) {
            in->zin.size = raw_read(in, in->zbuf, ZSTD_DStreamInSize());
            in->zin.pos = 0;
            if (in->zin.size == 0) {
                if (in->zlast != 0)
                    ft_die("%s: truncated zstd data (the stream ends inside a frame)", in->name);
                return 0;
            }
        }
        ZSTD_outBuffer out = {in->buf + in->len, in->cap - in->len, 0};
        in->zlast = ZSTD_decompressStream(in->zs, &out, &in->zin);
        if (ZSTD_isError(in->zlast))
            ft_die("%s: corrupt zstd data: %s", in->name, ZSTD_getErrorName(in->zlast));
        in->len += out.pos;
        if (out.pos) return out.pos;
    }
}

ft_input *ft_input_open(const char *path)
{
    ft_input *in = ft_xcalloc(1, sizeof *in);
    if (strcmp(path, "-") == 0) {
        in->fp = stdin;
        in->name = ft_xstrdup("stdin");
    } else {
        in->fp = fopen(path, "rb");
        if (!in->fp) ft_die("%s: cannot open: %s", path, strerror(errno));
        in->name = ft_xstrdup(path);
    }
    struct stat st;
    in->size = fstat(fileno(in->fp), &st) == 0 && S_ISREG(st.st_mode) ? (double)st.st_size : -1;
    in->cap = 2 * CHUNK;
    in->buf = ft_xmalloc(in->cap);
    /* Sniff the zstd magic (28 b5 2f fd) from raw bytes. */
    unsigned char magic[4];
    size_t got = raw_read(in, magic, 4);
    if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
        in->zs = ZSTD_createDStream();
        ZSTD_initDStream(in->zs);
        in->zbuf = ft_xmalloc(ZSTD_DStreamInSize() > 4 ? ZSTD_DStreamInSize() : 4);
        memcpy(in->zbuf, magic, 4);
        in->zin = (ZSTD_inBuffer){in->zbuf, 4, 0};
        in->zlast = 1;
    } else {
        memcpy(in->buf, magic, got);
        in->len = got;
    }
    return in;
}

void ft_input_close(ft_input *in)
{
    if (!in) return;
    if (in->fp != stdin) fclose(in->fp);
    if (in->zs) ZSTD_freeDStream(in->zs);
    free(in->zbuf);
    free(in->buf);
    free(in->name);
    free(in);
}

const char *ft_input_name(const ft_input *in) { return in->name; }
int ft_input_is_zstd(const ft_input *in) { return in->zs != NULL; }
double ft_input_fraction(const ft_input *in)
{
    if (in->size <= 0) return -1;
    /* raw bytes: the file position less what waits undecoded in zbuf */
    double raw = in->zs ? (double)ftell(in->fp) - (double)(in->zin.size - in->zin.pos)
                        : (double)in->consumed;
    double f = raw / in->size;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

size_t ft_input_peek(ft_input *in, const char **p, size_t want)
{
    while (in->len - in->pos < want && fill(in) > 0) {}
    *p = in->buf + in->pos;
    return in->len - in->pos;
}

void ft_input_skip(ft_input *in, size_t n)
{
    in->pos += n;
    in->consumed += n;
}

size_t ft_input_read(ft_input *in, void *dst, size_t n)
{
    if (in->pos == in->len && fill(in) == 0) return 0;
    size_t k = in->len - in->pos < n ? in->len - in->pos : n;
    memcpy(dst, in->buf + in->pos, k);
    in->pos += k;
    in->consumed += k;
    return k;
}

size_t ft_input_getline(ft_input *in, const char **line)
{
    size_t scanned = 0;
    for (;;) {
        char *start = in->buf + in->pos;
        char *nl = memchr(start + scanned, '\n', in->len - in->pos - scanned);
        if (nl) {
            size_t n = nl - start + 1;
            *line = start;
            in->pos += n;
            in->consumed += n;
            return n;
        }
        scanned = in->len - in->pos;
        if (fill(in) == 0) {                  /* last line without '\n' */
            size_t n = in->len - in->pos;
            *line = in->buf + in->pos;
            in->pos = in->len;
            in->consumed += n;
            return n;
        }
    }
}
