/* Data-parallel sharding (train_data.c, torch's DistributedSampler): the
   ranks' micro-batch k together is one process's micro-batch k with the
   batch times the rank count; the epoch is padded by repeating its start (or
   cut with drop_last); a process without a launcher is rank 0 of 1. */
#include "dist.h"
#include "test.h"
#include "train_data.h"
#include "trainer.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 13

static ft_train_data *data(void)
{
    char path[] = "/tmp/ft_test_dist_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < N; i++)
        fprintf(f, "{\"id\": %d, \"input_ids\": [1, %d, 2], \"labels\": %d}\n", i, 10 + i, i % 2);
    fclose(f);
    ft_train_data *d = ft_train_data_load(path);
    unlink(path);
    return d;
}

/* The ids of micro-batch mb of epoch ep, sorted, appended to out. */
static int batch_ids(ft_train_feed *f, long ep, long mb, int64_t *out)
{
    int head;
    ft_train_feed_epoch(f, ep);
    const ft_batch_data *b = ft_train_feed_batch(f, mb, &head);
    memcpy(out, b->ids, b->B * sizeof *out);
    return b->B;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void shards_make_the_global_batch(void)
{
    ft_train_data *d = data();
    ft_train_args one, r0, r1;
    ft_train_args_default(&one);
    one.train_batch_size = 4;
    r0 = r1 = one;
    r0.train_batch_size = r1.train_batch_size = 2;
    r0.world_size = r1.world_size = 2;
    r1.process_index = 1;
    ft_train_feed *f = ft_train_feed_new(d, &one, NULL, 0), *f0 = ft_train_feed_new(d, &r0, NULL, 0),
                  *f1 = ft_train_feed_new(d, &r1, NULL, 0);
    CHECK(ft_train_feed_batches_per_epoch(f) == 4);     /* 4 4 4 1 */
    CHECK(ft_train_feed_batches_per_epoch(f0) == 4);    /* 7 each: 2 2 2 1 */
    for (long ep = 0; ep < 2; ep++) {
        int64_t all[N + 1], a[8], b[8];
        int n = 0;
        for (long mb = 0; mb < 4; mb++) n += batch_ids(f, ep, mb, all + n);
        CHECK(n == N);
        for (long mb = 0; mb < 4; mb++) {
            int k = batch_ids(f, ep, mb, a), k0 = batch_ids(f0, ep, mb, b);
            int k1 = batch_ids(f1, ep, mb, b + k0);
            qsort(a, k, sizeof *a, cmp64);
            qsort(b, k0 + k1, sizeof *b, cmp64);
            if (mb < 3) {
                CHECK(k == 4 && k0 == 2 && k1 == 2);
                CHECK(!memcmp(a, b, 4 * sizeof *a));
            } else {                /* the last: its one example and the epoch's first again */
                CHECK(k == 1 && k0 == 1 && k1 == 1);
                int64_t want[2] = { all[N - 1], all[0] };
                qsort(want, 2, sizeof *want, cmp64);
                CHECK(!memcmp(b, want, sizeof want));
            }
        }
    }
    ft_train_feed_free(f); ft_train_feed_free(f0); ft_train_feed_free(f1);
    r0.drop_last = 1;
    f0 = ft_train_feed_new(d, &r0, NULL, 0);
    CHECK(ft_train_feed_batches_per_epoch(f0) == 3);    /* 6 each: 2 2 2 */
    ft_train_feed_free(f0);
    ft_train_data_free(d);
}

static void no_launcher_is_one_process(void)
{
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMIX_RANK");
    unsetenv("PMI_SIZE");
    int argc = 0;
    char **argv = NULL;
    ft_dist_init(&argc, &argv);
    CHECK(ft_dist_rank() == 0 && ft_dist_size() == 1);
    double x = 2;
    ft_dist_sum_f64(&x, 1);
    CHECK(x == 2);
    ft_dist_check_same(42, "a value");
    ft_dist_finalize();
}

int main(void)
{
    RUN(shards_make_the_global_batch);
    RUN(no_launcher_is_one_process);
    TEST_MAIN_END();
}
