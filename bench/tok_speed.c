/* bench helper: encode every line of a file with lib/tokenizer and print
   "WALL_MB/s CPU_MB/s tokens lines" on stdout (CPU: MB per second of this
   process's CPU time, which a busy shared machine does not distort).  Lines are encoded in batches of 4096 with
   ft_tok_encode_batch on --threads N threads (order kept).
   Usage: tok_speed MODEL_DIR FILE [THREADS] */
#include "tokenizer.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    ft_set_prog("tok_speed");
    if (argc < 3) ft_die("usage: tok_speed MODEL_DIR FILE [THREADS]");
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    ft_tokenizer *t = ft_tok_load_or_die(argv[1]);
    ft_tok_team *team = ft_tok_team_new(threads);
    size_t n;
    char *text = ft_read_file(argv[2], &n);
    enum { B = 4096 };
    const char *a[B]; size_t alen[B];
    ft_encoding *enc = ft_xcalloc(B, sizeof *enc);
    ft_tok_opts o = { .add_special_tokens = 1 };
    size_t tokens = 0, lines = 0, bad; const char *err;
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    double t0 = ft_now();
    for (size_t i = 0; i < n;) {
        int k = 0;
        while (k < B && i < n) {
            char *nl = memchr(text + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - text) : n;
            a[k] = text + i; alen[k] = e - i; k++;
            i = e + 1;
        }
        if (ft_tok_encode_batch(t, team, k, a, alen, NULL, NULL, &o, enc, &bad, &err))
            ft_die("%s: line %zu: %s", argv[2], lines + bad + 1, err);
        for (int j = 0; j < k; j++) tokens += enc[j].n;
        lines += k;
    }
    double dt = ft_now() - t0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
    printf("%.2f %.2f %zu %zu\n", n / dt / 1e6, n / cpu / 1e6, tokens, lines);
    return 0;
}
