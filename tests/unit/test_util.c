#include "test.h"
#include "util.h"
#include <string.h>
#include <unistd.h>

static void test_atomic_output(void)
{
    char path[] = "/tmp/ft_test_util_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    ft_outfile *o = ft_out_open(path, 0);
    fputs("hello", o->fp);
    CHECK(access(path, F_OK) != 0);          /* not visible before commit */
    ft_out_commit(o);
    size_t n;
    char *s = ft_read_file(path, &n);
    CHECK(n == 5 && strcmp(s, "hello") == 0);
    free(s);
    unlink(path);
}

static void test_hash(void)
{
    CHECK(ft_hash64("abc", 3, 0) == ft_hash64("abc", 3, 0));
    CHECK(ft_hash64("abc", 3, 0) != ft_hash64("abd", 3, 0));
    CHECK(ft_hash64("abc", 3, 0) != ft_hash64("abc", 3, 1));
}

int main(void)
{
    RUN(test_atomic_output);
    RUN(test_hash);
    TEST_MAIN_END();
}
