/* config.json handling: labels as transformers derives them, typed getters,
   write-back format; bad configs are rejected with the key named. */
#include "test.h"
#include "hf_config.h"
#include "model.h"
#include "util.h"
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static ft_config *from(const char *js)
{
    json_error_t e;
    return ft_config_from_json(json_loads(js, 0, &e), "test");
}

static int dies(const char *js)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        ft_config *c = from(js);
        ft_config_int(c, "hidden_size", 0);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static void test_labels(void)
{
    ft_config *c = from("{\"model_type\":\"bert\"}");
    CHECK(c->num_labels == 2 && strcmp(c->id2label[1], "LABEL_1") == 0);   /* HF default */
    ft_config_free(c);
    c = from("{\"num_labels\":4}");
    CHECK(c->num_labels == 4 && strcmp(c->id2label[3], "LABEL_3") == 0);
    ft_config_free(c);
    c = from("{\"id2label\":{\"1\":\"pos\",\"0\":\"neg\"},\"num_labels\":7,\"problem_type\":\"regression\"}");
    CHECK(c->num_labels == 2 && strcmp(c->id2label[0], "neg") == 0 && strcmp(c->id2label[1], "pos") == 0);
    CHECK(strcmp(c->problem_type, "regression") == 0);
    const char *names[3] = { "a", NULL, "c" };
    ft_config_set_labels(c, 3, names);
    CHECK(strcmp(c->id2label[1], "LABEL_1") == 0 && strcmp(c->id2label[2], "c") == 0);
    ft_config_free(c);
}

static void test_getters(void)
{
    ft_config *c = from("{\"hidden_size\":768,\"eps\":1e-12,\"act\":\"gelu\",\"cd\":null,\"f\":2.0}");
    CHECK(ft_config_int(c, "hidden_size", 0) == 768);
    CHECK(ft_config_int(c, "missing", 5) == 5);
    CHECK(ft_config_int(c, "f", 0) == 2);                  /* 2.0 is an integer value */
    CHECK(ft_config_num(c, "eps", 0) == 1e-12);
    CHECK(ft_config_num(c, "cd", 0.25) == 0.25);           /* null = default (classifier_dropout) */
    CHECK(strcmp(ft_config_str(c, "act", ""), "gelu") == 0);
    ft_config_free(c);
    CHECK(dies("{\"hidden_size\":\"big\"}"));             /* wrong type names the key */
    CHECK(dies("{\"id2label\":{\"0\":\"a\",\"2\":\"b\"}}"));  /* a hole in the ids */
    CHECK(dies("{\"id2label\":{\"x\":\"a\"}}"));
    CHECK(dies("[1,2]"));
}

/* is_encoder_decoder: the key, else the class default (T5Config's is true) */
static void test_encoder_decoder(void)
{
    static const struct { const char *js; int want; } cases[] = {
        { "{\"model_type\":\"t5\"}", 1 },
        { "{\"model_type\":\"t5\",\"is_encoder_decoder\":true}", 1 },
        { "{\"model_type\":\"t5\",\"is_encoder_decoder\":false}", 0 },
        { "{\"model_type\":\"gpt2\"}", 0 },
        { "{\"model_type\":\"bert\",\"is_encoder_decoder\":null}", 0 },
        { "{}", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ft_config *c = from(cases[i].js);
        CHECK(ft_config_is_encoder_decoder(c) == cases[i].want);
        ft_config_free(c);
    }
}

static void test_save(void)
{
    char path[] = "/tmp/ft_test_cfg_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ft_config *c = from("{\"model_type\":\"bert\",\"num_labels\":2,\"zzz\":1,\"architectures\":[\"BertForMaskedLM\"]}");
    const char *names[2] = { "neg", "pos" };
    ft_config_set_labels(c, 2, names);
    ft_config_save(c, "BertForSequenceClassification", path);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    CHECK(j != NULL);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(j, "architectures"), 0)),
                 "BertForSequenceClassification") == 0);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(j, "id2label"), "1")), "pos") == 0);
    CHECK(json_integer_value(json_object_get(json_object_get(j, "label2id"), "neg")) == 0);
    CHECK(json_object_get(j, "num_labels") == NULL);      /* derived, as transformers writes it */
    CHECK(json_integer_value(json_object_get(j, "zzz")) == 1);
    size_t n;
    char *s = ft_read_file(path, &n);
    CHECK(strncmp(s, "{\n  \"architectures\"", 19) == 0);   /* sorted keys, indent 2 */
    free(s);
    json_decref(j);
    ft_config_free(c);
    unlink(path);
}

int main(void)
{
    RUN(test_labels);
    RUN(test_getters);
    RUN(test_encoder_decoder);
    RUN(test_save);
    TEST_MAIN_END();
}
