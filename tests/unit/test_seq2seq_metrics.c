/* seq2seq metrics: exact match, 13a tokenization and BLEU on fixed strings
   (the numbers are checked against a Python sacrebleu-equivalent in
   tests/ref/bleu.sh through `--bleu FILE`), and the pass@1 sandbox: pass,
   fail, syntax error, hang, crash, memory hog, network, scratch directory. */
#include "test.h"
#include "seq2seq_metrics_internal.h"
#include "util.h"
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void exact_match(void)
{
    CHECK(ft_exact_match("  return x\r\n", "return x"));
    CHECK(ft_exact_match("a\r\nb", "a\nb"));
    CHECK(!ft_exact_match("return x", "return  x"));
    CHECK(!ft_exact_match("", "x"));
}

static void tokenize_13a(void)
{
    char **t;
    size_t n = ft_bleu_tokenize_13a("def f(x): return x.y[0]+1.5, 2-3", &t);
    const char *want[] = { "def", "f", "(", "x", ")", ":", "return", "x", ".", "y", "[", "0", "]", "+",
                           "1.5", ",", "2", "-", "3" };
    CHECK(n == sizeof want / sizeof *want);
    for (size_t i = 0; i < n && i < sizeof want / sizeof *want; i++) CHECK(!strcmp(t[i], want[i]));
    ft_tokens_free(t, n);
}

static void bleu_basic(void)
{
    ft_bleu b;
    ft_bleu_init(&b);
    ft_bleu_add(&b, "the cat sat on the mat", "the cat sat on the mat");
    CHECK_NEAR(ft_bleu_score(&b, NULL, NULL), 100.0, 1e-9);
    ft_bleu_init(&b);
    ft_bleu_add(&b, "", "the cat");
    CHECK_NEAR(ft_bleu_score(&b, NULL, NULL), 0.0, 1e-12);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void exec_sandbox(void)
{
    ft_exec_opts o;
    ft_exec_opts_default(&o);
    o.python = "/usr/bin/python3";
    o.timeout_s = 2;
    o.mem_mb = 512;
    const char *why;
    const char *tests[] = { "assert add(1, 2) == 3", "assert add(-1, 1) == 0" };
    CHECK(ft_exec_tests("def add(a, b):\r\n\treturn a + b", NULL, tests, 2, &o, &why) == 1);
    CHECK(!strcmp(why, "passed"));
    CHECK(ft_exec_tests("def add(a, b):\n    return a - b", NULL, tests, 2, &o, &why) == 0);
    CHECK(!strcmp(why, "failed"));
    CHECK(ft_exec_tests("def add(a, b) return", NULL, tests, 2, &o, &why) == 0);
    CHECK(ft_exec_tests("R = 3", "def add(a, b):\n    return a + b", tests, 2, &o, &why) == 1);
    double t0 = now();
    CHECK(ft_exec_tests("def add(a, b):\n    while True: pass", NULL, tests, 2, &o, &why) == 0);
    CHECK(!strcmp(why, "timeout"));
    CHECK(now() - t0 < 4);
    t0 = now();
    CHECK(ft_exec_tests("import time\ndef add(a, b):\n    time.sleep(60)", NULL, tests, 2, &o, &why) == 0);
    CHECK(!strcmp(why, "timeout") && now() - t0 < 4);
    CHECK(ft_exec_tests("import os\nos.abort()", NULL, tests, 2, &o, &why) == 0);
    CHECK(!strcmp(why, "crashed"));
    CHECK(ft_exec_tests("x = bytearray(2 << 30)\ndef add(a, b): return a + b", NULL, tests, 2, &o, &why) == 0);
    CHECK(ft_exec_tests("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/')\n"
                        "def add(a, b): return a + b", NULL, tests, 2, &o, &why) == 0);
    const char *sock[] = { "import socket\ntry:\n    socket.socket()\n    ok = False\nexcept OSError:\n    ok = True\nassert ok" };
    CHECK(ft_exec_tests("", NULL, sock, 1, &o, &why) == 1);
    /* a scratch directory: files written there vanish, and the cwd is not ours */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    const char *files[] = { "import os\nopen('junk.txt', 'w').write('x')\nassert os.getcwd().startswith('/tmp/ft-exec-')" };
    CHECK(ft_exec_tests("", NULL, files, 1, &o, &why) == 1);
    struct stat st;
    CHECK(stat("junk.txt", &st) != 0);
    /* a missing interpreter is an error, not a crash of ours */
    o.python = "/nonexistent/python3";
    CHECK(ft_exec_tests("", NULL, tests, 0, &o, &why) == 0);
    CHECK(!strcmp(why, "error"));
}

/* --bleu FILE: JSON lines {"hyp":…, "ref":…}; prints the tokens of each line
   and the corpus counts and score, for tests/ref/bleu.sh */
static int bleu_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) ft_die("%s: cannot open", path);
    char line[65536];
    ft_bleu b;
    ft_bleu_init(&b);
    while (fgets(line, sizeof line, f)) {
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        if (!j) ft_die("%s: %s", path, e.text);
        const char *h = json_string_value(json_object_get(j, "hyp")), *r = json_string_value(json_object_get(j, "ref"));
        char **t;
        size_t n = ft_bleu_tokenize_13a(h, &t);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_string(t[i]));
        char *s = json_dumps(arr, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(arr);
        ft_tokens_free(t, n);
        ft_bleu_add(&b, h, r);
        json_decref(j);
    }
    fclose(f);
    double p[4], bp, s = ft_bleu_score(&b, p, &bp);
    printf("%.6f %.6f %.6f %.6f %.6f %.6f\n", s, p[0], p[1], p[2], p[3], bp);
    return 0;
}

int main(int argc, char **argv)
{
    ft_prog = "test_seq2seq_metrics";
    if (argc == 3 && !strcmp(argv[1], "--bleu")) return bleu_file(argv[2]);
    RUN(exact_match);
    RUN(tokenize_13a);
    RUN(bleu_basic);
    RUN(exec_sandbox);
    TEST_MAIN_END();
}
