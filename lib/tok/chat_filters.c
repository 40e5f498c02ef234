/* chat_filters: Jinja's filters and tests that chat templates use, applied
   to evaluated values (chat_expr.c evaluates the operands). */
#define _GNU_SOURCE   /* memmem */
#include "chat_internal.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static void nargs_between(ct_ctx *c, const ct_node *n, int lo, int hi)
{
    int k = n->nkid - 1;
    if (k < lo || k > hi) ct_fail(c, n, "filter '%s' takes %d to %d arguments", n->s, lo, hi);
}

static json_t *str_of(ct_ctx *c, const ct_node *n, json_t *v)
{
    size_t len;
    char *s = ct_str(c, n, v, &len);
    json_t *r = ct_string(s, len);
    free(s);
    return r;
}

static json_t *length_of(ct_ctx *c, const ct_node *n, json_t *v)
{
    if (!v) return json_integer(0);
    if (json_is_string(v)) return json_integer((json_int_t)ct_utf8_count(json_string_value(v), json_string_length(v)));
    if (json_is_array(v)) return json_integer((json_int_t)json_array_size(v));
    if (json_is_object(v)) return json_integer((json_int_t)json_object_size(v));
    ct_fail(c, n, "length of a value that has none");
}

static json_t *join(ct_ctx *c, const ct_node *n, json_t *v, json_t *sep)
{
    if (!json_is_array(v)) ct_fail(c, n, "join of a value that is not a list");
    ct_sbuf b = {0};
    ct_put(&b, "", 0);
    for (size_t i = 0; i < json_array_size(v); i++) {
        size_t len;
        if (i && sep) ct_put(&b, json_string_value(sep), json_string_length(sep));
        char *s = ct_str(c, n, json_array_get(v, i), &len);
        ct_put(&b, s, len);
        free(s);
    }
    json_t *r = ct_string(b.p, b.len);
    free(b.p);
    return r;
}


/* selectattr / rejectattr (attribute, test = truthy, test argument). */
static json_t *select_attr(ct_ctx *c, const ct_node *n, json_t *v, json_t **a, int na, int reject)
{
    if (na < 1 || na > 3 || !json_is_string(a[0])) ct_fail(c, n, "%s(attribute[, test[, arg]])", n->s);
    if (!json_is_array(v)) ct_fail(c, n, "%s of a value that is not a list", n->s);
    json_t *r = json_array();
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *x = json_array_get(v, i);
        json_t *attr = json_is_object(x) ? json_object_get(x, json_string_value(a[0])) : NULL;
        int ok = na == 1 ? ct_truthy(attr) : ct_test_apply(c, n, json_string_value(a[1]), attr, na > 2 ? a[2] : NULL);
        if (ok != reject) json_array_append(r, x);
    }
    return r;
}

json_t *ct_filter_apply(ct_ctx *c, const ct_node *n, json_t *v, json_t **a, int na)
{
    const char *f = n->s;
    if (!strcmp(f, "default") || !strcmp(f, "d")) {
        nargs_between(c, n, 0, 2);
        int use = !v || (na > 1 && ct_truthy(a[1]) && !ct_truthy(v));
        return use ? (na ? json_incref(a[0]) : ct_string("", 0)) : json_incref(v);
    }
    if (!strcmp(f, "length") || !strcmp(f, "count")) { nargs_between(c, n, 0, 0); return length_of(c, n, v); }
    if (!v) ct_fail(c, n, "filter '%s' of an undefined value", f);
    if (!strcmp(f, "tojson")) {
        if (n->nkw || na) ct_fail(c, n, "tojson with arguments (indent, ...) is not supported");
        size_t len;
        char *s = ct_tojson(c, n, v, &len);
        json_t *r = ct_string(s, len);
        free(s);
        return r;
    }
    if (!strcmp(f, "string")) { nargs_between(c, n, 0, 0); return json_is_string(v) ? json_incref(v) : str_of(c, n, v); }
    if (!strcmp(f, "list")) {
        nargs_between(c, n, 0, 0);
        if (json_is_array(v)) return json_incref(v);
        ct_fail(c, n, "list of a value that is not a list");
    }
    if (!strcmp(f, "first") || !strcmp(f, "last")) {
        nargs_between(c, n, 0, 0);
        if (!json_is_array(v)) ct_fail(c, n, "filter '%s' of a value that is not a list", f);
        size_t k = json_array_size(v);
        json_t *x = k ? json_array_get(v, f[0] == 'f' ? 0 : k - 1) : NULL;
        return x ? json_incref(x) : NULL;
    }
    if (!strcmp(f, "join")) {
        nargs_between(c, n, 0, 1);
        if (na && !json_is_string(a[0])) ct_fail(c, n, "join: the separator is not a string");
        return join(c, n, v, na ? a[0] : NULL);
    }
    if (!strcmp(f, "items")) {
        if (!json_is_object(v)) ct_fail(c, n, "items of a value that is not a mapping");
        const char *k; json_t *x; json_t *r = json_array();
        json_object_foreach(v, k, x) json_array_append_new(r, json_pack("[sO]", k, x));
        return r;
    }
    if (!strcmp(f, "selectattr") || !strcmp(f, "rejectattr")) return select_attr(c, n, v, a, na, f[0] == 'r');
    if (!strcmp(f, "int")) {
        if (json_is_integer(v)) return json_incref(v);
        if (json_is_real(v)) return json_integer((json_int_t)json_real_value(v));
        if (json_is_string(v)) return json_integer(strtoll(json_string_value(v), NULL, 10));
        ct_fail(c, n, "int of this value");
    }
    if (!json_is_string(v)) ct_fail(c, n, "filter '%s' of a value that is not a string", f);
    if (!strcmp(f, "trim")) {
        nargs_between(c, n, 0, 1);
        return ct_strip(v, na && !json_is_null(a[0]) ? a[0] : NULL, 3);
    }
    static const char *const cases[] = {"lower", "upper", "title", "capitalize"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(f, cases[k])) { nargs_between(c, n, 0, 0); return ct_case(v, k); }
    if (!strcmp(f, "replace")) {
        nargs_between(c, n, 2, 3);
        if (!json_is_string(a[0]) || !json_is_string(a[1])) ct_fail(c, n, "replace: arguments must be strings");
        return ct_replace(v, a[0], a[1], na > 2 ? json_integer_value(a[2]) : -1);
    }
    ct_fail(c, n, "filter '%s' is not supported", f);
}

int ct_test_apply(ct_ctx *c, const ct_node *n, const char *t, json_t *v, json_t *arg)
{
    if (!strcmp(t, "defined")) return v != NULL;
    if (!strcmp(t, "undefined")) return v == NULL;
    if (!strcmp(t, "none")) return v && json_is_null(v);
    if (!strcmp(t, "string")) return json_is_string(v);
    if (!strcmp(t, "mapping")) return json_is_object(v);
    if (!strcmp(t, "iterable")) return json_is_array(v) || json_is_object(v) || json_is_string(v);
    if (!strcmp(t, "sequence")) return json_is_array(v) || json_is_string(v) || json_is_object(v);
    if (!strcmp(t, "number")) return json_is_number(v);
    if (!strcmp(t, "integer")) return json_is_integer(v);
    if (!strcmp(t, "float")) return json_is_real(v);
    if (!strcmp(t, "boolean")) return json_is_boolean(v);
    if (!strcmp(t, "true")) return json_is_true(v);
    if (!strcmp(t, "false")) return json_is_false(v);
    if (!strcmp(t, "odd") || !strcmp(t, "even")) {
        if (!json_is_integer(v)) ct_fail(c, n, "test '%s' of a value that is not an integer", t);
        return (json_integer_value(v) % 2 != 0) == (t[0] == 'o');
    }
    if (!strcmp(t, "equalto") || !strcmp(t, "eq") || !strcmp(t, "==") || !strcmp(t, "sameas")) return ct_equal(v, arg);
    if (!strcmp(t, "ne") || !strcmp(t, "!=")) return !ct_equal(v, arg);
    if (!strcmp(t, "in")) {
        if (json_is_array(arg)) { for (size_t i = 0; i < json_array_size(arg); i++) if (ct_equal(v, json_array_get(arg, i))) return 1; return 0; }
        if (json_is_string(arg) && json_is_string(v))
            return memmem(json_string_value(arg), json_string_length(arg), json_string_value(v), json_string_length(v)) != NULL;
        if (json_is_object(arg)) return json_is_string(v) && json_object_get(arg, json_string_value(v));
        ct_fail(c, n, "test 'in' needs a list, string or mapping");
    }
    ct_fail(c, n, "test '%s' is not supported", t);
}

