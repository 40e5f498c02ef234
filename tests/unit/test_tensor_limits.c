/* Shapes from outside are checked before they size anything: a tensor whose
   shape × dtype product overflows (issue 17: shape [2^62 + 32] of i32, ×4
   wraps to the 128 bytes it carries) is refused by the stream reader, the
   JSON reader and the safetensors reader, with a clear message. */
#include "test.h"
#include "bert.h"
#include "gpt2.h"
#include "hf_config.h"
#include "msgpack_value.h"
#include "t5.h"
#include "safetensors.h"
#include "stream.h"
#include "util.h"
#include <fcntl.h>
#include <msgpack.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/ft_test_limits_XXXXXX";
#define WRAP ((uint64_t)1 << 62 | 32)   /* × 4 bytes = 2^64 + 128 ≡ 128 */

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* A tokens stream of one record {"input_ids": i32 tensor of shape [dim]}
   carrying 128 bytes, with a correct count and checksum in its trailer. */
static void write_stream(const char *path, uint64_t dim)
{
    msgpack_sbuffer hb, rb, tb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&hb);
    msgpack_packer_init(&pk, &hb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "format"); pack_str(&pk, "ft");
    pack_str(&pk, "version"); msgpack_pack_int(&pk, FT_STREAM_VERSION);
    pack_str(&pk, "kind"); pack_str(&pk, "tokens");

    msgpack_sbuffer_init(&rb);
    msgpack_packer_init(&pk, &rb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    pack_str(&pk, "input_ids");
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "dtype"); pack_str(&pk, "i32");
    pack_str(&pk, "shape"); msgpack_pack_array(&pk, 1); msgpack_pack_uint64(&pk, dim);
    pack_str(&pk, "data");
    char data[128] = {0};
    msgpack_pack_bin(&pk, sizeof data);
    msgpack_pack_bin_body(&pk, data, sizeof data);

    char sum[17];
    snprintf(sum, sizeof sum, "%016llx", (unsigned long long)ft_hash64(rb.data, rb.size, 0));
    msgpack_sbuffer_init(&tb);
    msgpack_packer_init(&pk, &tb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    pack_str(&pk, "ft_trailer");
    msgpack_pack_map(&pk, 2);
    pack_str(&pk, "count"); msgpack_pack_uint64(&pk, 1);
    pack_str(&pk, "checksum"); pack_str(&pk, sum);

    FILE *f = fopen(path, "wb");
    fwrite(hb.data, 1, hb.size, f);
    fwrite(rb.data, 1, rb.size, f);
    fwrite(tb.data, 1, tb.size, f);
    fclose(f);
    msgpack_sbuffer_destroy(&hb);
    msgpack_sbuffer_destroy(&rb);
    msgpack_sbuffer_destroy(&tb);
}

/* Runs fn(path) in a child; returns its exit status (128 + signal when
   killed), with its stderr captured into err. */
static int in_child(void (*fn)(const char *), const char *path, char *err, size_t errcap)
{
    int fds[2];
    if (pipe(fds)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        fn(path);
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < errcap && (n = read(fds[0], err + got, errcap - 1 - got)) > 0) got += n;
    err[got] = 0;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Reads every record, printing it as ft-cat does. */
static void read_all(const char *path)
{
    FILE *out = fopen("/dev/null", "w");
    ft_reader *r = ft_reader_open(path, FT_FMT_AUTO);
    ft_record rec = {0};
    while (ft_reader_next(r, &rec)) ft_record_write_json(out, &rec);
}

static void st_open(const char *path) { ft_st_close(ft_st_open(path)); }

/* 1 when fn(path) dies (exit 1) with msg in its message. */
static int dies_with(void (*fn)(const char *), const char *path, const char *msg)
{
    char err[2048];
    int st = in_child(fn, path, err, sizeof err);
    if (st == 1 && strstr(err, msg)) return 1;
    fprintf(stderr, "  %s: expected \"%s\", got status %d: %s", path, msg, st, err);
    return 0;
}

static void test_shape_size(void)
{
    int64_t n, b;
    int64_t wrap[1] = { (int64_t)WRAP }, neg[2] = { 3, -1 }, zero[2] = { 0, (int64_t)WRAP };
    int64_t ok[3] = { 2, 3, 4 }, big[2] = { INT64_MAX, 2 };
    CHECK(ft_shape_size(FT_I32, 1, wrap, &n, &b) < 0);
    CHECK(ft_shape_size(FT_U8, 1, wrap, &n, &b) == 0 && b == (int64_t)WRAP);
    CHECK(ft_shape_size(FT_I32, 2, neg, &n, &b) < 0);
    CHECK(ft_shape_size(FT_F32, 2, big, &n, &b) < 0);
    CHECK(ft_shape_size(FT_F32, 2, zero, &n, &b) == 0 && n == 0 && b == 0);
    CHECK(ft_shape_size(FT_BF16, 3, ok, &n, &b) == 0 && n == 24 && b == 48);
    CHECK(ft_shape_size(FT_F32, 0, ok, &n, &b) == 0 && n == 1 && b == 4);
    CHECK(ft_shape_size(FT_F32, FT_TENSOR_MAX_DIMS + 1, ok, &n, &b) < 0);
}

static void test_stream_wrapped_shape(void)
{
    char *good = ft_xasprintf("%s/good.ft", dir), *bad = ft_xasprintf("%s/wrap.ft", dir);
    char err[2048];
    write_stream(good, 32);                  /* the same bytes, honest shape */
    CHECK(in_child(read_all, good, err, sizeof err) == 0);
    write_stream(bad, WRAP);
    CHECK(dies_with(read_all, bad, "record 1: field \"input_ids\": tensor shape too large"));
    free(good);
    free(bad);
}

static void test_json_tensor_shapes(void)
{
    static const char *bad[] = {
        "{\"dtype\":\"i32\",\"shape\":[4611686018427387936],\"data\":[1]}",
        "{\"dtype\":\"i32\",\"shape\":[-1],\"data\":[]}",
        "{\"dtype\":\"f32\",\"shape\":[1000000000000],\"data\":[1,2]}",
        "{\"dtype\":\"i32\",\"shape\":[\"2\"],\"data\":[1,2]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ft_arena a = {0};
        json_t *j = json_loads(bad[i], 0, NULL);
        const char *err = NULL;
        CHECK(j && ft_value_from_json(&a, j, &err) == NULL && err);
        json_decref(j);
        ft_arena_free(&a);
    }
    /* data that is not a list is no typed tensor: a plain map, nothing read */
    ft_arena a = {0};
    json_t *j = json_loads("{\"dtype\":\"i32\",\"shape\":[0],\"data\":5}", 0, NULL);
    const char *err = NULL;
    ft_value *v = ft_value_from_json(&a, j, &err);
    CHECK(v && v->type == FT_V_MAP && v->map.n == 3);
    json_decref(j);
    ft_arena_free(&a);
}

static void write_st(const char *p, const char *hdr, size_t ndata)
{
    FILE *f = fopen(p, "wb");
    uint64_t hl = strlen(hdr);
    fwrite(&hl, 8, 1, f);
    fputs(hdr, f);
    for (size_t i = 0; i < ndata; i++) fputc(0, f);
    fclose(f);
}

static void test_safetensors_limits(void)
{
    char *p = ft_xasprintf("%s/x.safetensors", dir);
    write_st(p, "{\"w\":{\"dtype\":\"I32\",\"shape\":[4611686018427387936],\"data_offsets\":[0,128]}}", 128);
    CHECK(dies_with(st_open, p, "tensor w: shape too large"));
    write_st(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967297],\"data_offsets\":[0,4]}}", 4);
    CHECK(dies_with(st_open, p, "tensor w: shape too large"));
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    CHECK(dies_with(st_open, p, "hole or overlap"));
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    CHECK(dies_with(st_open, p, "hole or overlap at byte 0"));
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
    CHECK(dies_with(st_open, p, "data_offsets outside the file"));
    /* the header length cap of the safetensors crate: 100 MB */
    FILE *f = fopen(p, "wb");
    uint64_t hl = 100000001;
    fwrite(&hl, 8, 1, f);
    fseek(f, 8 + 100000001 + 16, SEEK_SET);
    fputc(0, f);
    fclose(f);
    CHECK(dies_with(st_open, p, "header length 100000001"));
    free(p);
}

/* Frames are scanned before msgpack-c sees them: a count that its bytes
   cannot back (5 bytes claiming 2^32 elements) waits for more input instead
   of sizing an allocation, and nesting past msgpack-c's limit is refused. */
static void test_msgpack_frame(void)
{
    size_t len = 0;
    CHECK(ft_msgpack_frame("\x93\x01\xa1x\xc0", 5, &len) == 1 && len == 5);
    CHECK(ft_msgpack_frame("\x93\x01\xa1x\xc0\x07", 6, &len) == 1 && len == 5);
    CHECK(ft_msgpack_frame("\x93\x01\xa1x", 4, &len) == 0);
    CHECK(ft_msgpack_frame("\xdd\xff\xff\xff\xff\x01", 6, &len) == 0);
    CHECK(ft_msgpack_frame("\xdf\x00\x00\x00\x01\xa1k\xc4\x03" "abc", 12, &len) == 1 && len == 12);
    CHECK(ft_msgpack_frame("\xc6\xff\xff\xff\xff", 5, &len) == 0);
    CHECK(ft_msgpack_frame("\xc1", 1, &len) == -1);
    CHECK(ft_msgpack_frame("\x80", 1, &len) == 1 && len == 1);       /* empty map */
    char deep[40];
    memset(deep, 0x91, sizeof deep);
    deep[32] = 0x01;
    CHECK(ft_msgpack_frame(deep, 33, &len) == 1 && len == 33);       /* 32 levels */
    deep[32] = (char)0x91;
    deep[33] = 0x01;
    CHECK(ft_msgpack_frame(deep, 34, &len) == -1);                   /* 33 */
}

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void bert_read(const char *p) { ft_bert_config bc; ft_bert_config_read(ft_config_load(p), &bc); }
static void gpt2_read(const char *p) { ft_gpt2_config gc; ft_gpt2_config_read(ft_config_load(p), &gc); }
static void t5_read(const char *p) { ft_t5_config tc; ft_t5_config_read(ft_config_load(p), &tc); }

/* A config with absurd sizes is refused with a clear error before anything
   is allocated (the child would need terabytes otherwise). */
static void test_config_absurd_sizes(void)
{
    char *p = ft_xasprintf("%s/config.json", dir);
    write_text(p, "{\"vocab_size\": 21128, \"hidden_size\": 1000000000, \"num_attention_heads\": 1}");
    CHECK(dies_with(bert_read, p, "hidden_size 1000000000, intermediate_size 3072, 12 layers, vocab_size 21128: "
                                  "the model would have"));
    CHECK(dies_with(bert_read, p, "more than this machine's"));
    write_text(p, "{\"vocab_size\": 99, \"hidden_size\": 8, \"num_attention_heads\": 1, \"num_hidden_layers\": 2000000000}");
    CHECK(dies_with(bert_read, p, "2000000000 layers"));
    write_text(p, "{\"n_embd\": 100000000, \"n_head\": 1}");
    CHECK(dies_with(gpt2_read, p, "the model would have"));
    write_text(p, "{\"n_embd\": 1073741824, \"n_head\": 1}");          /* 4 × n_embd overflows int */
    CHECK(dies_with(gpt2_read, p, "bad GPT-2 dimensions"));
    write_text(p, "{\"vocab_size\": 32128, \"num_heads\": 65536, \"d_kv\": 65536}");
    CHECK(dies_with(t5_read, p, "num_heads 65536 × d_kv 65536 is out of range"));
    write_text(p, "{\"vocab_size\": 32128, \"d_ff\": 1000000000}");
    CHECK(dies_with(t5_read, p, "the model would have"));
    write_text(p, "{\"vocab_size\": 1e300, \"hidden_size\": 8}");
    CHECK(dies_with(bert_read, p, "\"vocab_size\" 1e+300 is out of range"));
    write_text(p, "{\"vocab_size\": 4294967297, \"hidden_size\": 8}");
    CHECK(dies_with(bert_read, p, "\"vocab_size\" 4294967297 is out of range"));
    /* the real configs pass */
    char *real = ft_xasprintf("%s/models/bert-base-chinese/config.json", test_shared());
    char err[2048];
    CHECK(in_child(bert_read, real, err, sizeof err) == 0);
    free(real);
    free(p);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(test_shape_size);
    RUN(test_stream_wrapped_shape);
    RUN(test_json_tensor_shapes);
    RUN(test_safetensors_limits);
    RUN(test_msgpack_frame);
    RUN(test_config_absurd_sizes);
    ft_rm_rf(dir);
    TEST_MAIN_END();
}
