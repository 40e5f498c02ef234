/* safetensors writer/reader: round trip, format details from the spec, half
   precision conversions, and malformed files rejected. */
#include "test.h"
#include "safetensors.h"
#include "util.h"
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/ft_test_st_XXXXXX";

static char *path(const char *name) { return ft_xasprintf("%s/%s", dir, name); }

static void write_raw(const char *p, const char *hdr, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    uint64_t hl = strlen(hdr);
    fwrite(&hl, 8, 1, f);
    fputs(hdr, f);
    fwrite(data, 1, n, f);
    fclose(f);
}

/* Run ft_st_open in a child: it must die (exit 1) on a malformed file. */
static int open_dies(const char *p)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        ft_st_close(ft_st_open(p));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static void test_round_trip(void)
{
    float a[6] = { 1, -2, 3.5f, 0, 1e-20f, -7 }, b[1] = { 42 };
    int64_t sa[2] = { 2, 3 }, sb[1] = { 1 };
    ft_st_writer *w = ft_st_writer_new();
    ft_st_writer_add(w, "z.weight", 2, sa, a);
    ft_st_writer_add(w, "a.bias", 1, sb, b);
    ft_st_writer_meta(w, "format", "pt");
    char *p = path("rt.safetensors");
    ft_st_writer_write(w, p);
    ft_st_writer_free(w);

    ft_st_file *f = ft_st_open(p);
    CHECK(f->n == 2);
    CHECK(strcmp(ft_st_meta(f, "format"), "pt") == 0);
    const ft_st_tensor *t = ft_st_find(f, "z.weight");
    CHECK(t && t->dtype == FT_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3);
    float got[6];
    ft_st_read_f32(f, t, got);
    CHECK(memcmp(got, a, sizeof a) == 0);
    CHECK(ft_st_find(f, "missing") == NULL);
    /* header length is a multiple of 8, so the data section is aligned */
    uint64_t hl;
    memcpy(&hl, f->map, 8);
    CHECK(hl % 8 == 0);
    CHECK(((const char *)f->map)[8] == '{');
    /* tensors are laid out by name: a.bias first */
    CHECK(ft_st_find(f, "a.bias")->begin == 0);
    ft_st_close(f);
    free(p);
}

static void test_half(void)
{
    /* exact values */
    CHECK(ft_f16_to_f32(0x3c00) == 1.0f);
    CHECK(ft_f16_to_f32(0xc000) == -2.0f);
    CHECK(ft_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(ft_f16_to_f32(0x0001) == 5.9604644775390625e-08f);   /* smallest subnormal */
    CHECK(ft_bf16_to_f32(0x3f80) == 1.0f);
    CHECK(ft_bf16_to_f32(0xc0a0) == -5.0f);
    /* every f16 bit pattern survives f16 → f32 → f16 (NaNs stay NaN) */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = ft_f16_to_f32((uint16_t)h);
        uint16_t r = ft_f32_to_f16(f);
        if (f != f) { bad += (r & 0x7c00) != 0x7c00 || !(r & 0x3ff); continue; }
        bad += r != h;
    }
    CHECK(bad == 0);
    for (uint32_t h = 0; h < 65536; h++) {
        float f = ft_bf16_to_f32((uint16_t)h);
        if (f == f) bad += ft_f32_to_bf16(f) != h;
    }
    CHECK(bad == 0);
    /* round half to even */
    CHECK(ft_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);
    CHECK(ft_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);
    CHECK(ft_f32_to_f16(1e6f) == 0x7c00);
}

static void test_f16_bf16_files(void)
{
    uint16_t h[3] = { 0x3c00, 0xc000, 0x3800 }, bf[2] = { 0x3f80, 0xc0a0 };
    unsigned char data[10];
    memcpy(data, h, 6);
    memcpy(data + 6, bf, 4);
    char *p = path("half.safetensors");
    write_raw(p, "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                 "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[6,10]}}", data, 10);
    ft_st_file *f = ft_st_open(p);
    float x[3];
    ft_st_read_f32(f, ft_st_find(f, "h"), x);
    CHECK(x[0] == 1 && x[1] == -2 && x[2] == 0.5f);
    ft_st_read_f32(f, ft_st_find(f, "b"), x);
    CHECK(x[0] == 1 && x[1] == -5);
    ft_st_close(f);
    free(p);
}

static void test_malformed(void)
{
    char *p = path("bad.safetensors");
    float d[2] = { 1, 2 };
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d, 8);
    CHECK(!open_dies(p));                                   /* the good one opens */
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d, 8);
    CHECK(open_dies(p));                                    /* size vs shape */
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", d, 8);
    CHECK(open_dies(p));                                    /* past the end */
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d, 8);
    CHECK(open_dies(p));                                    /* hole */
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]", d, 8);
    CHECK(open_dies(p));                                    /* bad JSON */
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d, 8);
    CHECK(open_dies(p));                                    /* duplicate name */
    FILE *f = fopen(p, "wb");
    fputs("abc", f);
    fclose(f);
    CHECK(open_dies(p));                                    /* too short */
    uint64_t huge = 1ull << 40;
    f = fopen(p, "wb");
    fwrite(&huge, 8, 1, f);
    fclose(f);
    CHECK(open_dies(p));                                    /* header length lies */
    free(p);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(test_round_trip);
    RUN(test_half);
    RUN(test_f16_bf16_files);
    RUN(test_malformed);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    free(cmd);
    TEST_MAIN_END();
}
