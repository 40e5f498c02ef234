/* writer: records out as an ft stream (optionally zstd), JSONL, CSV or TSV. */
#include "stream.h"
#include "msgpack_value.h"
#include "util.h"
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

struct ft_writer {
    ft_outfile *out;
    ft_format fmt;
    size_t count;
    /* ft stream */
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    XXH3_state_t *hash;
    ZSTD_CStream *zs;
    char *zbuf;
    size_t zcap;
    /* csv/tsv */
    int wrote_header;
    char delim;
};

ft_format ft_writer_format(const ft_writer *w) { return w->fmt; }
json_t *ft_header_new(const char *kind, int argc, char **argv)
{
    json_t *h = json_object();
    json_object_set_new(h, "format", json_string("ft"));   /* must stay first: sniffing */
    json_object_set_new(h, "version", json_integer(FT_STREAM_VERSION));
    json_object_set_new(h, "kind", json_string(kind));
    json_t *args = json_array();
    for (int i = 1; i < argc; i++) json_array_append_new(args, json_string(argv[i]));
    json_t *prod = json_object();
    json_object_set_new(prod, "tool", json_string(argc > 0 ? ft_prog : "ft"));
    json_object_set_new(prod, "args", args);
    json_object_set_new(h, "producer", prod);
    return h;
}

static void emit(ft_writer *w, const void *data, size_t n)
{
    if (!w->zs) {
        fwrite(data, 1, n, w->out->fp);
        return;
    }
    ZSTD_inBuffer in = {data, n, 0};
    while (in.pos < in.size) {
        ZSTD_outBuffer out = {w->zbuf, w->zcap, 0};
        size_t r = ZSTD_compressStream2(w->zs, &out, &in, ZSTD_e_continue);
        if (ZSTD_isError(r)) ft_die("zstd: %s", ZSTD_getErrorName(r));
        fwrite(w->zbuf, 1, out.pos, w->out->fp);
    }
}

/* Packs what is in sbuf as one frame and clears it. */
static void emit_frame(ft_writer *w)
{
    emit(w, w->sbuf.data, w->sbuf.size);
    msgpack_sbuffer_clear(&w->sbuf);
}

ft_writer *ft_writer_open(const char *path, ft_format fmt, int zstd, json_t *header)
{
    ft_writer *w = ft_xcalloc(1, sizeof *w);
    int name_zstd = 0;
    ft_format by_name = path ? ft_format_from_name(path, &name_zstd) : FT_FMT_AUTO;
    w->fmt = fmt != FT_FMT_AUTO ? fmt : by_name != FT_FMT_AUTO ? by_name : FT_FMT_FT;
    zstd |= name_zstd;
    w->out = ft_out_open(path, w->fmt == FT_FMT_FT || zstd);
    if (zstd) {
        w->zs = ZSTD_createCStream();
        ZSTD_CCtx_setParameter(w->zs, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(w->zs, ZSTD_c_checksumFlag, 1);
        w->zcap = ZSTD_CStreamOutSize();
        w->zbuf = ft_xmalloc(w->zcap);
    }
    w->delim = w->fmt == FT_FMT_TSV ? '\t' : ',';
    if (w->fmt == FT_FMT_FT) {
        msgpack_sbuffer_init(&w->sbuf);
        msgpack_packer_init(&w->pk, &w->sbuf, msgpack_sbuffer_write);
        w->hash = XXH3_createState();
        XXH3_64bits_reset(w->hash);
        if (!header) header = ft_header_new("records", 0, NULL);
        /* a header copied from an older stream describes records in this
           version's form once rewritten */
        json_object_set_new(header, "version", json_integer(FT_STREAM_VERSION));
        ft_pack_json(&w->pk, header);
        emit_frame(w);
    }
    json_decref(header);
    return w;
}

/* Python csv QUOTE_MINIMAL: quote a field holding the delimiter, a quote or a
   line break; double inner quotes. */
static void csv_field(ft_writer *w, const char *s, size_t n, FILE *fp)
{
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == w->delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) { fwrite(s, 1, n, fp); return; }
    putc('"', fp);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') putc('"', fp);
        putc(s[i], fp);
    }
    putc('"', fp);
}

static void csv_value(ft_writer *w, const ft_value *v, FILE *fp)
{
    if (v->type == FT_V_STR) { csv_field(w, v->str.s, v->str.len, fp); return; }
    if (v->type == FT_V_NIL) return;
    /* anything else is written as its JSON text */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    ft_value_write_json(mem, v);
    fclose(mem);
    csv_field(w, buf, len, fp);
    free(buf);
}

void ft_writer_put(ft_writer *w, const ft_record *rec)
{
    w->count++;
    switch (w->fmt) {
    case FT_FMT_FT:
        ft_pack_record(&w->pk, rec);
        XXH3_64bits_update(w->hash, w->sbuf.data, w->sbuf.size);
        emit_frame(w);
        break;
    case FT_FMT_JSONL:
        if (!w->zs) { ft_record_write_json(w->out->fp, rec); break; }
        {
            char *buf = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&buf, &len);
            ft_record_write_json(mem, rec);
            fclose(mem);
            emit(w, buf, len);
            free(buf);
        }
        break;
    default: {
        FILE *fp = w->out->fp;
        char *buf = NULL;
        size_t len = 0;
        if (w->zs) fp = open_memstream(&buf, &len);
        if (!w->wrote_header) {
            for (size_t i = 0; i < rec->n; i++) {
                if (i) putc(w->delim, fp);
                csv_field(w, rec->fields[i].key, rec->fields[i].klen, fp);
            }
            putc('\n', fp);
            w->wrote_header = 1;
        }
        for (size_t i = 0; i < rec->n; i++) {
            if (i) putc(w->delim, fp);
            csv_value(w, rec->fields[i].val, fp);
        }
        putc('\n', fp);
        if (w->zs) {
            fclose(fp);
            emit(w, buf, len);
            free(buf);
        }
    }
    }
}

struct ft_outfile *ft_writer_finish(ft_writer *w)
{
    if (w->fmt == FT_FMT_FT) {
        char sum[17];
        snprintf(sum, sizeof sum, "%016llx", (unsigned long long)XXH3_64bits_digest(w->hash));
        msgpack_pack_map(&w->pk, 1);
        msgpack_pack_str(&w->pk, 10);
        msgpack_pack_str_body(&w->pk, "ft_trailer", 10);
        msgpack_pack_map(&w->pk, 2);
        msgpack_pack_str(&w->pk, 5);
        msgpack_pack_str_body(&w->pk, "count", 5);
        msgpack_pack_uint64(&w->pk, w->count);
        msgpack_pack_str(&w->pk, 8);
        msgpack_pack_str_body(&w->pk, "checksum", 8);
        msgpack_pack_str(&w->pk, 16);
        msgpack_pack_str_body(&w->pk, sum, 16);
        emit_frame(w);
        msgpack_sbuffer_destroy(&w->sbuf);
        XXH3_freeState(w->hash);
    }
    if (w->zs) {
        ZSTD_inBuffer in = {NULL, 0, 0};
        size_t left;
        do {
            ZSTD_outBuffer out = {w->zbuf, w->zcap, 0};
            left = ZSTD_compressStream2(w->zs, &out, &in, ZSTD_e_end);
            if (ZSTD_isError(left)) ft_die("zstd: %s", ZSTD_getErrorName(left));
            fwrite(w->zbuf, 1, out.pos, w->out->fp);
        } while (left);
        ZSTD_freeCStream(w->zs);
        free(w->zbuf);
    }
    ft_outfile *out = w->out;
    free(w);
    return out;
}

void ft_writer_close(ft_writer *w)
{
    ft_out_commit(ft_writer_finish(w));
}
