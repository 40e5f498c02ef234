/* Driver for tests/ref/spans.sh: corrupts batches of token blocks with
   ft_spans_corrupt_batch and prints, per batch, the blocks, each row's
   shuffle draws and the resulting inputs and labels as one JSON line, for a
   reimplementation of DataCollatorForT5MLM to redo from the same draws.
   usage: spans_drv TOKENIZER_DIR */
#include "spans.h"
#include "spans_internal.h"
#include "rng.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>

static void ints(const char *name, const int32_t *x, int n, const char *sep)
{
    printf("\"%s\": [", name);
    for (int i = 0; i < n; i++) printf("%s%d", i ? ", " : "", x[i]);
    printf("]%s", sep);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: spans_drv TOKENIZER_DIR\n"); return 2; }
    /* block length, noise density, mean span length, rows */
    static const struct { int n; double density, mean; int B; } cases[] = {
        {141, 0.15, 3.0, 4}, {568, 0.15, 3.0, 2}, {30, 0.15, 3.0, 3}, {20, 0.15, 3.0, 3},
        {64, 0.3, 2.0, 3}, {50, 0.5, 3.0, 2}, {100, 0.15, 1.0, 2}, {77, 0.2, 5.5, 3}, {8, 0.25, 1.0, 4}};
    ft_rng r;
    ft_rng_seed(&r, 2024);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ft_spans *c = ft_spans_from_tokenizer(argv[1], cases[k].density, cases[k].mean);
        int n = cases[k].n, B = cases[k].B;
        int32_t *ids = malloc((size_t)B * n * sizeof *ids);
        for (int i = 0; i < B * n; i++) ids[i] = 3 + (int32_t)(ft_rng_u64(&r) % 31000);
        ft_batch b = {.B = B, .T = n, .input_ids = ids};
        ft_spans_buf buf = {0};
        uint64_t key = 1000 + k;
        ft_spans_corrupt_batch(c, &buf, &b, key);
        printf("{\"n\": %d, \"noise_density\": %g, \"mean_noise_span_length\": %g, ", n, cases[k].density, cases[k].mean);
        printf("\"rows\": [");
        for (int row = 0; row < B; row++) {
            uint32_t *draws = malloc((size_t)n * sizeof *draws);
            int nd = ft_spans_draw(c, n, ft_key_mix(key, (uint64_t)row), draws);
            printf("%s{", row ? ", " : "");
            ints("ids", ids + (size_t)row * n, n, ", ");
            printf("\"draws\": [");
            for (int i = 0; i < nd; i++) printf("%s%u", i ? ", " : "", draws[i]);
            printf("], ");
            ints("input_ids", b.input_ids + (size_t)row * b.T, b.T, ", ");
            ints("labels", b.labels + (size_t)row * b.Tl, b.Tl, "}");
            free(draws);
        }
        printf("]}\n");
        ft_spans_buf_free(&buf);
        free(ids);
        ft_spans_free(c);
    }
    return 0;
}
