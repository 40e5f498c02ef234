/* Minimal unit-test harness: each CHECK prints nothing on success; each test
   function is reported as "ok NAME" or "FAIL NAME"; tests/run counts them. */
#ifndef FT_TEST_H
#define FT_TEST_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int t_failed_checks;
static int t_passed, t_failed;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    t_failed_checks++; } } while (0)

#define CHECK_NEAR(a, b, tol) do { double _a = (a), _b = (b); \
    if (!(fabs(_a - _b) <= (tol))) { \
    fprintf(stderr, "  %s:%d: %s = %.9g, %s = %.9g, |diff| %.3g > %.3g\n", \
            __FILE__, __LINE__, #a, _a, #b, _b, fabs(_a - _b), (double)(tol)); \
    t_failed_checks++; } } while (0)

#define RUN(fn) do { int _before = t_failed_checks; fn(); \
    if (t_failed_checks == _before) { printf("ok %s\n", #fn); t_passed++; } \
    else { printf("FAIL %s\n", #fn); t_failed++; } fflush(stdout); } while (0)

#define TEST_MAIN_END() return t_failed ? 1 : 0

/* root/name/config.json holding json (directory made); returns the config's
   path, malloc'd. */
static inline char *test_write_config(const char *root, const char *name, const char *json)
{
    char d[4096], p[4200];
    snprintf(d, sizeof d, "%s/%s", root, name);
    mkdir(d, 0777);
    snprintf(p, sizeof p, "%s/config.json", d);
    FILE *f = fopen(p, "w");
    if (!f || fputs(json, f) < 0 || fclose(f)) { fprintf(stderr, "cannot write %s\n", p); exit(2); }
    return strdup(p);
}

/* ../shared (data and tokenizer files), or $FT_SHARED as tests/run sets it. */
static inline const char *test_shared(void)
{
    const char *s = getenv("FT_SHARED");
    return s ? s : "../shared";
}
#endif
