/* Test driver for tests/ref/tokenizer_parity.sh: reads JSON lines
   {"a":TEXT, "b":TEXT?, "special":BOOL, "max_length":N, "truncation":S,
   "padding":S} or {"decode":[IDS],"skip":BOOL} and prints one JSON line per input with ids, type_ids and
   attention_mask, or {"error":...}, in the same shape as tok_oracle.js.
   Usage: tok_driver MODEL_DIR < cases.jsonl */
#include "tokenizer.h"
#include "util.h"
#include <jansson.h>
#include <string.h>

static void print_arr(const char *name, const int32_t *v, size_t n)
{
    printf("\"%s\":[", name);
    for (size_t i = 0; i < n; i++) printf(i ? ",%d" : "%d", v[i]);
    printf("]");
}

int main(int argc, char **argv)
{
    ft_set_prog("tok_driver");
    if (argc != 2) ft_die("usage: tok_driver MODEL_DIR < cases.jsonl");
    ft_tokenizer *t = ft_tok_load_or_die(argv[1]);
    ft_tok_scratch *s = ft_tok_scratch_new();
    ft_encoding e = {0};
    char *line = NULL; size_t cap = 0; ssize_t len;
    long lineno = 0;
    char *dec = NULL; size_t deccap = 0;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        lineno++;
        json_error_t je;
        json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, &je);
        if (!j) ft_die("stdin:%ld: %s", lineno, je.text);
        json_t *jd = json_object_get(j, "decode");
        if (jd) {   /* {"decode":[ids],"skip":BOOL} -> {"hex": UTF-8 bytes in hex} */
            size_t n = json_array_size(jd);
            int32_t *ids = ft_xmalloc((n + 1) * sizeof *ids);
            for (size_t i = 0; i < n; i++) ids[i] = json_integer_value(json_array_get(jd, i));
            size_t len = ft_tok_decode(t, ids, n, json_is_true(json_object_get(j, "skip")), &dec, &deccap);
            printf("{\"hex\":\"");
            for (size_t i = 0; i < len; i++) printf("%02x", (unsigned char)dec[i]);
            printf("\"}\n");
            free(ids);
            json_decref(j);
            continue;
        }
        json_t *ja = json_object_get(j, "a"), *jb = json_object_get(j, "b");
        ft_tok_opts o = { .add_special_tokens = !json_is_false(json_object_get(j, "special")) };
        o.max_length = json_integer_value(json_object_get(j, "max_length"));
        const char *tr = json_string_value(json_object_get(j, "truncation"));
        const char *pd = json_string_value(json_object_get(j, "padding"));
        o.truncation = !tr ? FT_TRUNC_NONE : !strcmp(tr, "longest_first") ? FT_TRUNC_LONGEST_FIRST :
                       !strcmp(tr, "only_first") ? FT_TRUNC_ONLY_FIRST : FT_TRUNC_ONLY_SECOND;
        o.padding = pd && !strcmp(pd, "max_length") ? FT_PAD_MAX_LENGTH : FT_PAD_NONE;
        const char *err = NULL;
        int rc = ft_tok_encode(t, s, json_string_value(ja), json_string_length(ja),
                               jb ? json_string_value(jb) : NULL, jb ? json_string_length(jb) : 0, &o, &e, &err);
        if (rc) printf("{\"error\":true}\n");
        else {
            printf("{");
            print_arr("ids", e.ids, e.n); printf(",");
            print_arr("type_ids", e.type_ids, e.n); printf(",");
            print_arr("attention_mask", e.attention_mask, e.n);
            printf("}\n");
        }
        json_decref(j);
    }
    free(line);
    free(dec);
    ft_encoding_free(&e);
    ft_tok_scratch_free(s);
    ft_tok_free(t);
    return 0;
}
