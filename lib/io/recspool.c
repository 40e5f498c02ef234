/* recspool: see recspool.h. */
#include "recspool.h"
#include "mapin.h"
#include "msgpack_value.h"
#include "util.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

struct ft_recspool {
    FILE *fp;
    int fd;
    uint64_t *off;          /* off[i] = start of record i; off[n] = end */
    size_t n, cap;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    const char *data;       /* after seal */
    size_t len;
    msgpack_unpacked unp;
};

ft_recspool *ft_recspool_new(void)
{
    ft_recspool *s = ft_xcalloc(1, sizeof *s);
    s->fd = ft_temp_fd();
    s->fp = fdopen(s->fd, "w+b");
    if (!s->fp) ft_die("temp file: %s", strerror(errno));
    setvbuf(s->fp, NULL, _IOFBF, 1 << 20);
    s->cap = 1024;
    s->off = ft_xmalloc(s->cap * sizeof *s->off);
    s->off[0] = 0;
    msgpack_sbuffer_init(&s->sbuf);
    msgpack_packer_init(&s->pk, &s->sbuf, msgpack_sbuffer_write);
    msgpack_unpacked_init(&s->unp);
    return s;
}

size_t ft_recspool_count(const ft_recspool *s) { return s->n; }

void ft_recspool_put(ft_recspool *s, const ft_record *rec)
{
    msgpack_sbuffer_clear(&s->sbuf);
    ft_pack_record(&s->pk, rec);
    if (fwrite(s->sbuf.data, 1, s->sbuf.size, s->fp) != s->sbuf.size)
        ft_die("temp file: write error: %s", strerror(errno));
    if (s->n + 2 > s->cap) s->off = ft_xrealloc(s->off, (s->cap *= 2) * sizeof *s->off);
    s->off[s->n + 1] = s->off[s->n] + s->sbuf.size;
    s->n++;
}

void ft_recspool_seal(ft_recspool *s)
{
    if (fflush(s->fp) != 0) ft_die("temp file: write error: %s", strerror(errno));
    s->len = s->off[s->n];
    s->data = ft_map_fd(s->fd, s->len, "temp file");
}

void ft_recspool_get(ft_recspool *s, size_t i, ft_record *rec)
{
    ft_record_clear(rec);
    size_t pos = 0;
    if (msgpack_unpack_next(&s->unp, s->data + s->off[i], s->off[i + 1] - s->off[i], &pos) !=
        MSGPACK_UNPACK_SUCCESS)
        ft_die("temp file: record %zu unreadable", i);
    const char *err = NULL;
    if (ft_unpack_record(rec, &s->unp.data, &err)) ft_die("temp file: record %zu: %s", i, err);
}

void ft_recspool_free(ft_recspool *s)
{
    if (!s) return;
    if (s->data && s->len) munmap((void *)s->data, s->len);
    fclose(s->fp);
    free(s->off);
    msgpack_sbuffer_destroy(&s->sbuf);
    msgpack_unpacked_destroy(&s->unp);
    free(s);
}
