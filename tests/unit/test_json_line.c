/* json_line: the fast JSONL path gives the record jansson's path gives, and
   leaves everything it does not handle to jansson. */
#include "json_line.h"
#include "stream.h"
#include "test.h"
#include <string.h>

/* The record through jansson, as lib/io/reader.c builds it. */
static int slow(ft_record *rec, const char *s)
{
    json_error_t e;
    json_t *j = json_loadb(s, strlen(s), JSON_ALLOW_NUL, &e);
    if (!json_is_object(j)) { json_decref(j); return 0; }
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        const char *err = NULL;
        *ft_record_add(rec, key, strlen(key)) = *ft_value_from_json(&rec->arena, val, &err);
    }
    json_decref(j);
    return 1;
}

static int same(const ft_record *a, const ft_record *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        const ft_field *x = &a->fields[i], *y = &b->fields[i];
        if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) || x->val->type != y->val->type) return 0;
        const ft_value *u = x->val, *v = y->val;
        if (u->type == FT_V_STR && (u->str.len != v->str.len || memcmp(u->str.s, v->str.s, u->str.len))) return 0;
        if (u->type == FT_V_INT && u->i != v->i) return 0;
        if (u->type == FT_V_BOOL && u->b != v->b) return 0;
    }
    return 1;
}

static void fast_equals_jansson(void)
{
    static const char *lines[] = {
        "{\"text\": \"浅表性胃炎\", \"label\": 3}\n",
        "{}",
        "  {\"a\":\"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\",\"b\":-12,\"c\":true,\"d\":false,\"e\":null}  \r\n",
        "{\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00\\u0000end\",\"n\":0,\"m\":123456789012345678}",
        "{\"\\u006b\": \"key escaped\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        ft_record a = {0}, b = {0};
        int f = ft_json_line_fast(&a, lines[i], strlen(lines[i]));
        if (!f) fprintf(stderr, "  fast path declined line %zu\n", i);
        CHECK(f && slow(&b, lines[i]) && same(&a, &b));
        ft_record_free(&a);
        ft_record_free(&b);
    }
}

static void declines_what_it_does_not_handle(void)
{
    static const char *lines[] = {
        "{\"a\":[1,2]}", "{\"a\":{\"b\":1}}", "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":-0}", "{\"a\":01}",
        "{\"a\":1234567890123456789}", "{\"a\":-71111111111111111111111}", "{\"a\":1,\"a\":2}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}",
        "{\"a\":\"\xff\"}", "{\"a\":\"tab\there\"}", "{\"a\":1} x", "{\"a\":1,}", "{\"a\" 1}", "[1]",
        "{\"a\":\"\\x\"}", "{\"\\u0000\":1}", "{\"a\":tru}", "{\"a\":\"unterminated}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        ft_record a = {0};
        int f = ft_json_line_fast(&a, lines[i], strlen(lines[i]));
        if (f) fprintf(stderr, "  fast path took line %zu: %s\n", i, lines[i]);
        CHECK(!f);
        ft_record_free(&a);
    }
}

int main(void)
{
    RUN(fast_equals_jansson);
    RUN(declines_what_it_does_not_handle);
    TEST_MAIN_END();
}
