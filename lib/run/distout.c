/* distout: see distout.h. */
#include "distout.h"
#include "dist.h"
#include "msgpack_value.h"
#include "util.h"
#include <stdlib.h>

struct ft_distout {
    ft_writer *w;
    int direct;                 /* one process: write through */
    msgpack_sbuffer sbuf;       /* [index, record] pairs, packed */
    msgpack_packer pk;
};

ft_distout *ft_distout_new(ft_writer *w)
{
    ft_distout *d = ft_xcalloc(1, sizeof *d);
    d->w = w;
    d->direct = ft_dist_size() == 1;
    msgpack_sbuffer_init(&d->sbuf);
    msgpack_packer_init(&d->pk, &d->sbuf, msgpack_sbuffer_write);
    return d;
}

void ft_distout_put(ft_distout *d, long index, const ft_record *rec)
{
    if (d->direct) { if (d->w) ft_writer_put(d->w, rec); return; }
    msgpack_pack_int64(&d->pk, index);
    ft_pack_record(&d->pk, rec);
}

typedef struct { long index; const msgpack_object *o; } tagged;

static int by_index(const void *a, const void *b)
{
    long x = ((const tagged *)a)->index, y = ((const tagged *)b)->index;
    return (x > y) - (x < y);
}

void ft_distout_close(ft_distout *d)
{
    if (!d->direct) {
        size_t *lens;
        char *all = ft_dist_gather_bytes(d->sbuf.data, d->sbuf.size, &lens);
        if (all) {              /* rank 0 */
            size_t total = 0, n = 0, cap = 1024;
            for (int r = 0; r < ft_dist_size(); r++) total += lens[r];
            /* one zone holds every unpacked object until they are written */
            msgpack_zone *z = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
            msgpack_object *objs = ft_xmalloc(cap * sizeof *objs);
            size_t off = 0;
            while (off < total) {
                if (n + 1 >= cap) objs = ft_xrealloc(objs, (cap *= 2) * sizeof *objs);
                msgpack_unpack_return ur = msgpack_unpack(all, total, &off, z, &objs[n]);
                if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES)
                    ft_die("gathered outputs: unreadable at byte %zu", off);
                n++;
            }
            if (n % 2) ft_die("gathered outputs: an index without its record");
            tagged *t = ft_xmalloc((n / 2 + 1) * sizeof *t);
            for (size_t i = 0; i < n / 2; i++) {
                if (objs[2 * i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                    ft_die("gathered outputs: record %zu has no index", i);
                t[i] = (tagged){ (long)objs[2 * i].via.u64, &objs[2 * i + 1] };
            }
            qsort(t, n / 2, sizeof *t, by_index);
            ft_record rec = {0};
            for (size_t i = 0; i < n / 2; i++) {
                const char *err = NULL;
                if (ft_unpack_record(&rec, t[i].o, &err)) ft_die("gathered outputs: record %ld: %s", t[i].index, err);
                if (d->w) ft_writer_put(d->w, &rec);
            }
            ft_record_free(&rec);
            free(t);
            free(objs);
            msgpack_zone_free(z);
            free(all);
        }
        free(lens);
    }
    msgpack_sbuffer_destroy(&d->sbuf);
    free(d);
}
