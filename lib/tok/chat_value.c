/* chat_value: the values of chat templates (jansson's json_t; NULL is
   Jinja's undefined) as Python sees them: truthiness, ==, str(), and
   transformers' tojson (json.dumps with ensure_ascii=False: ", " and ": "
   separators, keys in their order); and errors, which name the template's
   line:column. */
#include "chat_internal.h"
#include "util.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ct_fail(ct_ctx *c, const ct_node *at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at) c->err = ft_xasprintf("%d:%d: %s", at->line, at->col, msg);
    else c->err = ft_xstrdup(msg);
    longjmp(c->jb, 1);
}

json_t *ct_string(const char *s, size_t n) { return json_stringn_nocheck(s, n); }

size_t ct_utf8_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

int ct_truthy(const json_t *v)
{
    if (!v) return 0;
    switch (json_typeof(v)) {
    case JSON_NULL: case JSON_FALSE: return 0;
    case JSON_TRUE: return 1;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return json_object_size(v) > 0;
    }
    return 0;
}

int ct_equal(const json_t *a, const json_t *b)
{
    if (!a || !b) return !a && !b;
    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    if (json_is_boolean(a) && json_is_number(b)) return (json_is_true(a) ? 1.0 : 0.0) == json_number_value(b);
    if (json_is_number(a) && json_is_boolean(b)) return ct_equal(b, a);
    return json_equal((json_t *)a, (json_t *)b);
}

/* Python's repr of a float: the shortest form that reads back, with ".0"
   when integral. */
static char *float_str(double x)
{
    if (isnan(x)) return ft_xstrdup("nan");
    if (isinf(x)) return ft_xstrdup(x > 0 ? "inf" : "-inf");
    char buf[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x) break;
    }
    if (!strpbrk(buf, ".eninf")) strcat(buf, ".0");
    return ft_xstrdup(buf);
}

char *ct_str(ct_ctx *c, const ct_node *at, const json_t *v, size_t *len)
{
    char *s;
    if (!v) s = ft_xstrdup("");
    else switch (json_typeof(v)) {
    case JSON_STRING:
        *len = json_string_length(v);
        s = ft_xmalloc(*len + 1);
        memcpy(s, json_string_value(v), *len + 1);
        return s;
    case JSON_INTEGER: s = ft_xasprintf("%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: s = float_str(json_real_value(v)); break;
    case JSON_TRUE: s = ft_xstrdup("True"); break;
    case JSON_FALSE: s = ft_xstrdup("False"); break;
    case JSON_NULL: s = ft_xstrdup("None"); break;
    default:
        /* Python's repr of lists and dicts: no real template prints one */
        ct_fail(c, at, "printing a %s as text is not supported (use |tojson)", json_is_array(v) ? "list" : "mapping");
    }
    *len = strlen(s);
    return s;
}

void ct_put(ct_sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > b->cap) b->cap *= 2;
        b->p = ft_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void put_jstr(ct_sbuf *b, const char *s, size_t n)
{
    ct_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        const char *e = NULL;
        switch (ch) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default:
            if (ch < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", ch); e = esc; }
        }
        if (e) ct_put(b, e, strlen(e));
        else ct_put(b, s + i, 1);
    }
    ct_put(b, "\"", 1);
}

static void tojson(ct_ctx *c, const ct_node *at, ct_sbuf *b, const json_t *v, int depth)
{
    if (depth > 64) ct_fail(c, at, "tojson: nesting deeper than 64");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k; json_t *x; int first = 1;
        ct_put(b, "{", 1);
        json_object_foreach((json_t *)v, k, x) {
            if (!first) ct_put(b, ", ", 2);
            first = 0;
            put_jstr(b, k, strlen(k));
            ct_put(b, ": ", 2);
            tojson(c, at, b, x, depth + 1);
        }
        ct_put(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        ct_put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) ct_put(b, ", ", 2);
            tojson(c, at, b, json_array_get(v, i), depth + 1);
        }
        ct_put(b, "]", 1);
        break;
    case JSON_STRING: put_jstr(b, json_string_value(v), json_string_length(v)); break;
    case JSON_REAL:
        if (!isfinite(json_real_value(v))) ct_fail(c, at, "tojson: a non-finite number");
        /* Python's repr, as str() */
        __attribute__((fallthrough));
    default: {
        size_t len;
        char *s = ct_str(c, at, v, &len);
        if (json_is_boolean(v)) { free(s); s = ft_xstrdup(json_is_true(v) ? "true" : "false"); len = strlen(s); }
        if (json_is_null(v)) { free(s); s = ft_xstrdup("null"); len = 4; }
        ct_put(b, s, len);
        free(s);
    }
    }
}

char *ct_tojson(ct_ctx *c, const ct_node *at, const json_t *v, size_t *len)
{
    ct_sbuf b = {0};
    if (!v) ct_fail(c, at, "tojson of an undefined value");
    tojson(c, at, &b, v, 0);
    ct_put(&b, "", 0);
    *len = b.len;
    return b.p;
}

