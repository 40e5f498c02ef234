/* tensorboard: event files as TensorBoardCallback writes them (see tensorboard.h).
   The files are written in place, not through a temp file and a rename:
   TensorBoard reads them while training runs.  Each record goes out in one
   write and is flushed; a run killed mid-record leaves a short last record,
   which readers recognise by its length and CRC and drop. */
#include "tensorboard.h"
#include "tb_event.pb-c.h"
#include "util.h"
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct ft_tb {
    FILE *fp;
    char *path;
    uint8_t *buf;
    size_t cap;
};

/* CRC-32C (Castagnoli) and TFRecord's masked form of it: exposed for tests. */
static uint32_t ft_crc32c(const void *data, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
    const uint8_t *p = data;
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* TFRecord masks every CRC so that a CRC of data holding CRCs stays strong */
static uint32_t ft_tfrecord_mask(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static double wall_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* One TFRecord: u64 length, u32 masked crc(length), data, u32 masked crc(data). */
static void write_event(ft_tb *t, const Tensorboard__Event *ev)
{
    size_t n = tensorboard__event__get_packed_size(ev);
    if (n + 16 > t->cap) t->buf = ft_xrealloc(t->buf, t->cap = n + 16);
    uint8_t *b = t->buf;
    put_le(b, n, 8);
    put_le(b + 8, ft_tfrecord_mask(ft_crc32c(b, 8)), 4);
    tensorboard__event__pack(ev, b + 12);
    put_le(b + 12 + n, ft_tfrecord_mask(ft_crc32c(b + 12, n)), 4);
    if (fwrite(b, 1, n + 16, t->fp) != n + 16 || fflush(t->fp) != 0)
        ft_die("%s: cannot write: %s", t->path, strerror(errno));
}

char *ft_tb_default_dir(const char *output_dir)
{
    char host[256] = "localhost", when[64];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    strftime(when, sizeof when, "%b%d_%H-%M-%S", localtime(&now));
    return ft_xasprintf("%s/runs/%s_%s", output_dir, when, host);
}

ft_tb *ft_tb_open(const char *dir)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    ft_mkdir_p(dir);
    ft_tb *t = ft_xcalloc(1, sizeof *t);
    double now = wall_time();
    t->path = ft_xasprintf("%s/events.out.tfevents.%010ld.%s.%d.0", dir, (long)now, host, (int)getpid());
    t->fp = fopen(t->path, "wb");
    if (!t->fp) ft_die("%s: cannot create: %s", t->path, strerror(errno));
    Tensorboard__Event ev = TENSORBOARD__EVENT__INIT;
    ev.wall_time = now;
    ev.what_case = TENSORBOARD__EVENT__WHAT_FILE_VERSION;
    ev.file_version = "brain.Event:2";
    write_event(t, &ev);
    return t;
}

void ft_tb_log(ft_tb *t, json_t *line, long step)
{
    const char *k;
    json_t *v;
    json_object_foreach(line, k, v) {
        if (!json_is_number(v) || !strcmp(k, "step")) continue;
        char tag[256];
        if (!strncmp(k, "eval_", 5)) snprintf(tag, sizeof tag, "eval/%s", k + 5);
        else if (!strncmp(k, "test_", 5)) snprintf(tag, sizeof tag, "test/%s", k + 5);
        else snprintf(tag, sizeof tag, "train/%s", k);
        Tensorboard__Summary__Value val = TENSORBOARD__SUMMARY__VALUE__INIT, *vals[1] = {&val};
        val.tag = tag;
        val.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
        val.simple_value = (float)json_number_value(v);
        Tensorboard__Summary sum = TENSORBOARD__SUMMARY__INIT;
        sum.n_value = 1;
        sum.value = vals;
        Tensorboard__Event ev = TENSORBOARD__EVENT__INIT;
        ev.wall_time = wall_time();
        ev.step = step;
        ev.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY;
        ev.summary = &sum;
        write_event(t, &ev);
    }
}

void ft_tb_close(ft_tb *t)
{
    if (!t) return;
    if (fclose(t->fp) != 0) ft_die("%s: cannot write: %s", t->path, strerror(errno));
    free(t->path);
    free(t->buf);
    free(t);
}
