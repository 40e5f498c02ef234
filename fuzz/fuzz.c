/* Shared harness support: see fuzz.h. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "stream.h"
#include "util.h"
#include <fcntl.h>
#include <sanitizer/allocator_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

jmp_buf fuzz_jump;

/* ---- blocks allocated while an input runs ----
   An open-addressed set of pointers.  A slot belongs to the current input
   only when its generation matches, so starting an input is O(1). */
#define SLOTS (1u << 21)
typedef struct { const volatile void *p; uint32_t gen; } slot;
static slot *set;
static uint32_t *used, nused;     /* slots filled by this input, for fuzz_reclaim */
static uint32_t gen = 1;
/* per thread: only the thread running the input is tracked (libFuzzer has others) */
static __thread int tracking, reclaiming;
#define GONE ((const volatile void *)1)

/* The bookkeeping is no part of the code under test: no coverage feedback. */
#define NOCOV __attribute__((no_sanitize("coverage")))

NOCOV static size_t hash(const volatile void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33;
    return (size_t)x & (SLOTS - 1);
}

NOCOV static void on_malloc(const volatile void *p, size_t n)
{
    (void)n;
    if (!tracking || !p) return;
    for (size_t i = hash(p);; i = (i + 1) & (SLOTS - 1))
        if (set[i].gen != gen || set[i].p == GONE) {
            if (set[i].gen != gen) {
                if (nused == SLOTS / 2) { fprintf(stderr, "fuzz: over %u live allocations\n", SLOTS / 2); abort(); }
                used[nused++] = (uint32_t)i;
            }
            set[i].p = p;
            set[i].gen = gen;
            return;
        }
}

NOCOV static void on_free(const volatile void *p)
{
    if (!tracking || !p || reclaiming) return;
    for (size_t i = hash(p); set[i].gen == gen; i = (i + 1) & (SLOTS - 1))
        if (set[i].p == p) { set[i].p = GONE; return; }
}

void fuzz_track(int on)
{
    if (on && !tracking) { gen++; nused = 0; }
    tracking = on;
}

NOCOV void fuzz_reclaim(void)
{
    reclaiming = 1;
    for (uint32_t k = 0; k < nused; k++) {
        slot *e = &set[used[k]];
        if (e->p != GONE) { free((void *)e->p); e->p = GONE; }
    }
    reclaiming = 0;
    tracking = 0;
}

static void die_hook(const char *msg)
{
    /* every refusal must say what is wrong */
    if (!msg[0]) { fprintf(stderr, "fuzz: ft_die with an empty message\n"); abort(); }
    longjmp(fuzz_jump, 1);
}

/* ---- inputs ---- */
static int memfd = -1;
static char dir[64];
static char pathbuf[4096];

void fuzz_stdin(const uint8_t *data, size_t n)
{
    if (ftruncate(memfd, 0) || (n && pwrite(memfd, data, n, 0) != (ssize_t)n)) abort();
    lseek(0, 0, SEEK_SET);
    clearerr(stdin);
    fseek(stdin, 0, SEEK_SET);
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t n)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", dir, name);
    int fd = open(pathbuf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n)) { perror(pathbuf); abort(); }
    close(fd);
    return pathbuf;
}

const char *fuzz_dir(void) { return dir; }

const char *fuzz_shared(void)
{
    const char *s = getenv("FT_SHARED");
    return s ? s : "../shared";
}

static FILE *devnull;

/* Unmaps what a rejected input left mapped of the file path (the safetensors
   reader maps its file; ft_die exits in a tool, so nothing unmaps it there).
   Left alone, every rejected input kept one more mapping of the same file:
   each rewrite of it then had to zap them all (an open with O_TRUNC took
   150 us after 3,000 inputs, and longer with every input), and past
   vm.max_map_count (65,530) every mmap would fail and reject the input. */
static void unmap_file(const char *path)
{
    static char buf[1 << 16];
    size_t plen = strlen(path), have = 0;
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0) return;
    for (;;) {
        ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
        if (got <= 0) break;
        have += (size_t)got;
        buf[have] = 0;
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = 0;
            unsigned long lo, hi;
            char *name = strchr(line, '/');
            if (name && strlen(name) == plen && !memcmp(name, path, plen) && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
                munmap((void *)lo, hi - lo);
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
    }
    close(fd);
}

int fuzz_on_file(const char *name, const uint8_t *data, size_t n, void (*fn)(const char *path))
{
    int ok;
    const char *path = fuzz_file(name, data, n);
    FUZZ_RUN(ok, fn(path));
    if (!ok) unmap_file(path);
    return ok;
}

static ft_format read_format;

static void read_all(void)
{
    ft_reader *r = ft_reader_open("-", read_format);
    ft_record rec = {0};
    size_t ncols;
    ft_reader_columns(r, &ncols);
    while (ft_reader_next(r, &rec)) {
        ft_record_write_json(devnull, &rec);
        ft_reader_where(r);
    }
    json_t *h = ft_reader_header(r);
    if (h) json_dumpf(h, devnull, JSON_COMPACT);
    ft_record_free(&rec);
    ft_reader_close(r);
}

void fuzz_read_stdin(int force)
{
    int ok;
    read_format = (ft_format)force;
    FUZZ_RUN(ok, read_all());
    (void)ok;
}

static void cleanup(void) { ft_rm_rf(dir); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    ft_set_prog("fuzz");
    ft_die_hook = die_hook;
    /* The set lives outside the heap so that tracking never allocates; its
       pages are mapped now, not by a fault at the first malloc hashed there */
    set = mmap(NULL, SLOTS * sizeof *set, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    used = mmap(NULL, SLOTS * sizeof *used, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (set == MAP_FAILED || used == MAP_FAILED) abort();
    if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free)) abort();
    memfd = memfd_create("fuzz-stdin", 0);
    if (memfd < 0 || dup2(memfd, 0) < 0) abort();
    /* in memory when it can be: a file rewritten per input on a disk
       filesystem (ext4 here) costs ~150 us an open, more than parsing it */
    snprintf(dir, sizeof dir, "%s/ft-fuzz.%d", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    ft_mkdir_p(dir);
    atexit(cleanup);
    /* stdin unbuffered: glibc's fseek to an offset inside the FILE's buffer
       keeps the buffer, so after an input read only in part (most are
       rejected early) the next one was read as the previous input's bytes
       followed by the rest of its own: inputs did not reproduce alone */
    setvbuf(stdin, NULL, _IONBF, 0);
    char two[2];
    fuzz_stdin((const uint8_t *)"ab", 2);
    if (fread(two, 1, 1, stdin) != 1) abort();
    fuzz_stdin((const uint8_t *)"cd", 2);
    if (fread(two, 1, 2, stdin) != 2 || memcmp(two, "cd", 2)) {
        fprintf(stderr, "fuzz: stdin rewound to an input reads the previous one's bytes\n");
        abort();
    }
    devnull = fopen("/dev/null", "w");
    fputs("warm", devnull);
    if (fuzz_setup) fuzz_setup();
    return 0;
}

/* ---- tokenizers ---- */
#include "tok_unicode.h"
#include "tokenizer.h"

void fuzz_encode_decode(const ft_tokenizer *t, const uint8_t *data, size_t n)
{
    unsigned flags = n ? data[0] : 0;
    const char *text = n ? (const char *)data + 1 : "";
    size_t len = n ? n - 1 : 0;
    char *fixed = malloc(3 * len + 1);
    if (ft_utf8_check(text, len) != len) {
        len = ft_utf8_repair(text, len, fixed);
        text = fixed;
    }
    const char *nul = memchr(text, 0, len), *b = NULL;
    size_t alen = len, blen = 0;
    if (nul && (flags & 1)) { alen = (size_t)(nul - text); b = nul + 1; blen = len - alen - 1; }
    ft_tok_opts o = { .add_special_tokens = (flags >> 1) & 1,
                      .max_length = (flags & 4) ? (int)(flags >> 4) : 0,
                      .truncation = (flags & 4) ? (ft_trunc)((flags >> 2) & 3) : FT_TRUNC_NONE,
                      .padding = (flags & 8) ? FT_PAD_MAX_LENGTH : FT_PAD_NONE };
    ft_tok_scratch *s = ft_tok_scratch_new();
    ft_encoding e = {0};
    const char *err = NULL;
    char *buf = NULL;
    size_t cap = 0;
    if (ft_tok_encode(t, s, text, alen, b, blen, &o, &e, &err) == 0) {
        for (size_t i = 0; i < e.n; i++)
            if (e.ids[i] < 0 || e.ids[i] >= ft_tok_vocab_size(t)) abort();   /* an id outside the vocabulary */
        ft_tok_decode(t, e.ids, e.n, 0, &buf, &cap);
        ft_tok_decode(t, e.ids, e.n, 1, &buf, &cap);
    } else if (!err || !err[0]) abort();
    /* arbitrary ids, most outside the vocabulary */
    size_t nid = n / 4;
    int32_t *ids = malloc((nid ? nid : 1) * sizeof *ids);
    memcpy(ids, data, nid * 4);
    ft_tok_decode(t, ids, nid, flags & 1, &buf, &cap);
    free(ids);
    free(buf);
    ft_encoding_free(&e);
    ft_tok_scratch_free(s);
    free(fixed);
}
