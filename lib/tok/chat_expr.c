/* chat_expr: expressions of a chat template over jansson values, with
   Python's semantics where Jinja inherits them (truthiness, ==, in, +, str()).
   Undefined (a missing variable, key or attribute) is NULL: it prints as "",
   is false, and is an error in arithmetic, as Jinja's default Undefined. */
#define _GNU_SOURCE   /* memmem */
#include "chat_internal.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *ct_lookup(ct_ctx *c, const char *name)
{
    for (int i = c->nscope - 1; i >= 0; i--) {
        json_t *v = json_object_get(c->scope[i], name);
        if (v) return json_incref(v);
    }
    return NULL;
}

static json_t *concat(ct_ctx *c, const ct_node *n, json_t *a, json_t *b)
{
    size_t la, lb;
    char *sa = ct_str(c, n, a, &la), *sb = ct_str(c, n, b, &lb);
    sa = ft_xrealloc(sa, la + lb + 1);
    memcpy(sa + la, sb, lb + 1);
    json_t *r = ct_string(sa, la + lb);
    free(sa);
    free(sb);
    return r;
}

static json_t *add(ct_ctx *c, const ct_node *n, json_t *a, json_t *b)
{
    if (json_is_string(a) && json_is_string(b)) return concat(c, n, a, b);
    if (json_is_array(a) && json_is_array(b)) {
        json_t *r = json_copy(a);
        json_array_extend(r, b);
        return r;
    }
    if (json_is_integer(a) && json_is_integer(b)) return json_integer(json_integer_value(a) + json_integer_value(b));
    if (json_is_number(a) && json_is_number(b)) return json_real(json_number_value(a) + json_number_value(b));
    ct_fail(c, n, "'+' of %s and %s", a ? "these values" : "an undefined value", b ? "these" : "an undefined value");
}

static json_t *arith(ct_ctx *c, const ct_node *n, json_t *a, json_t *b)
{
    if (!json_is_number(a) || !json_is_number(b)) {
        if (n->op == OP_MUL && json_is_string(a) && json_is_integer(b)) {
            size_t la = json_string_length(a);
            json_int_t k = json_integer_value(b);
            char *s = ft_xmalloc(la * (size_t)(k > 0 ? k : 0) + 1);
            size_t len = 0;
            for (json_int_t i = 0; i < k; i++) { memcpy(s + len, json_string_value(a), la); len += la; }
            json_t *r = ct_string(s, len);
            free(s);
            return r;
        }
        ct_fail(c, n, "arithmetic on values that are not numbers");
    }
    int ints = json_is_integer(a) && json_is_integer(b);
    json_int_t x = json_integer_value(a), y = json_integer_value(b);
    double fx = json_number_value(a), fy = json_number_value(b);
    switch (n->op) {
    case OP_SUB: return ints ? json_integer(x - y) : json_real(fx - fy);
    case OP_MUL: return ints ? json_integer(x * y) : json_real(fx * fy);
    case OP_DIV: if (fy == 0) ct_fail(c, n, "division by zero"); return json_real(fx / fy);
    case OP_FLOORDIV:
        if (fy == 0) ct_fail(c, n, "division by zero");
        if (ints) { json_int_t q = x / y; if ((x % y != 0) && ((x < 0) != (y < 0))) q--; return json_integer(q); }
        return json_real(floor(fx / fy));
    case OP_MOD:
        if (fy == 0) ct_fail(c, n, "division by zero");
        if (ints) { json_int_t m = x % y; if (m != 0 && ((m < 0) != (y < 0))) m += y; return json_integer(m); }
        return json_real(fx - fy * floor(fx / fy));
    }
    ct_fail(c, n, "internal: operator");
}

static int compare(ct_ctx *c, const ct_node *n, json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a) && json_is_string(b)) {
        size_t la = json_string_length(a), lb = json_string_length(b);
        int r = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
        return r ? (r < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
    }
    ct_fail(c, n, "ordering comparison of values that are not both numbers or both strings");
}

static int contains(ct_ctx *c, const ct_node *n, json_t *item, json_t *in)
{
    if (json_is_string(in)) {
        if (!json_is_string(item)) ct_fail(c, n, "'in <string>' needs a string on the left");
        return memmem(json_string_value(in), json_string_length(in), json_string_value(item),
                      json_string_length(item)) != NULL;
    }
    if (json_is_array(in)) {
        for (size_t i = 0; i < json_array_size(in); i++)
            if (ct_equal(item, json_array_get(in, i))) return 1;
        return 0;
    }
    if (json_is_object(in)) return json_is_string(item) && json_object_get(in, json_string_value(item));
    ct_fail(c, n, "'in' needs a string, list or mapping on the right");
}

static json_t *binary(ct_ctx *c, const ct_node *n)
{
    json_t *a = ct_eval(c, n->kid[0]);
    if (n->op == OP_AND || n->op == OP_OR) {   /* Python returns the deciding operand */
        int t = ct_truthy(a);
        if ((n->op == OP_AND) != t) return a;
        if (a) json_decref(a);
        return ct_eval(c, n->kid[1]);
    }
    json_t *b = ct_eval(c, n->kid[1]), *r;
    switch (n->op) {
    case OP_ADD: r = add(c, n, a, b); break;
    case OP_CONCAT: r = concat(c, n, a, b); break;
    case OP_EQ: r = json_boolean(ct_equal(a, b)); break;
    case OP_NE: r = json_boolean(!ct_equal(a, b)); break;
    case OP_LT: r = json_boolean(compare(c, n, a, b) < 0); break;
    case OP_LE: r = json_boolean(compare(c, n, a, b) <= 0); break;
    case OP_GT: r = json_boolean(compare(c, n, a, b) > 0); break;
    case OP_GE: r = json_boolean(compare(c, n, a, b) >= 0); break;
    case OP_IN: r = json_boolean(contains(c, n, a, b)); break;
    case OP_NOTIN: r = json_boolean(!contains(c, n, a, b)); break;
    default: r = arith(c, n, a, b);
    }
    if (a) json_decref(a);
    if (b) json_decref(b);
    return r;
}

/* obj[key] and obj.key alike (Jinja tries both); NULL: undefined. */
static json_t *item(ct_ctx *c, const ct_node *n, json_t *obj, json_t *key)
{
    if (!obj) ct_fail(c, n, "subscript or attribute of an undefined value");
    if (json_is_object(obj) && json_is_string(key)) {
        json_t *v = json_object_get(obj, json_string_value(key));
        return v ? json_incref(v) : NULL;
    }
    if ((json_is_array(obj) || json_is_string(obj)) && json_is_integer(key)) {
        json_int_t i = json_integer_value(key);
        if (json_is_array(obj)) {
            json_int_t len = (json_int_t)json_array_size(obj);
            if (i < 0) i += len;
            return i >= 0 && i < len ? json_incref(json_array_get(obj, (size_t)i)) : NULL;
        }
        json_t *one = json_integer(i + 1), *from = json_integer(i);
        json_t *r = ct_slice(c, n, obj, from, i == -1 ? NULL : one, NULL);   /* s[i] = s[i:i+1] */
        json_decref(one);
        json_decref(from);
        if (json_string_length(r) == 0) { json_decref(r); return NULL; }
        return r;
    }
    if (json_is_object(obj) || json_is_array(obj)) return NULL;
    if (json_is_string(key)) return NULL;   /* an attribute a scalar lacks */
    ct_fail(c, n, "cannot subscript this value");
}

/* Calls, filters and tests: the operands evaluated here, applied in
   chat_methods.c and chat_filters.c. */
static json_t *ct_call(ct_ctx *c, const ct_node *n)
{
    int nargs = n->nkid - 1;
    json_t *args[16] = {0};
    if (nargs > 16) ct_fail(c, n, "more than 16 arguments");
    for (int i = 0; i < nargs; i++) {
        args[i] = ct_eval(c, n->kid[i + 1]);
        if (!args[i]) ct_fail(c, n->kid[i + 1], "an undefined value as an argument");
    }
    json_t *r;
    if (n->s2) {
        json_t *obj = ct_eval(c, n->kid[0]);
        r = ct_method(c, n, obj, args, nargs);
        json_decref(obj);
    } else {
        if (n->kid[0]->kind != N_NAME) ct_fail(c, n, "only named functions can be called");
        r = ct_global(c, n, n->kid[0]->s, args, nargs);
    }
    for (int i = 0; i < nargs; i++) json_decref(args[i]);
    return r;
}

static json_t *ct_filter(ct_ctx *c, const ct_node *n)
{
    if (n->nkw && strcmp(n->s, "tojson")) ct_fail(c, n, "filter '%s': keyword arguments are not supported", n->s);
    json_t *v = ct_eval(c, n->kid[0]), *a[8] = {0};
    int na = n->nkid - 1;
    if (na > 8) ct_fail(c, n, "too many filter arguments");
    for (int i = 0; i < na; i++) a[i] = ct_eval(c, n->kid[i + 1]);
    json_t *r = ct_filter_apply(c, n, v, a, na);
    for (int i = 0; i < na; i++) json_decref(a[i]);
    json_decref(v);
    return r;
}

static json_t *ct_test(ct_ctx *c, const ct_node *n)
{
    if (n->nkw) ct_fail(c, n, "test '%s': keyword arguments are not supported", n->s);
    if (n->nkid > 2) ct_fail(c, n, "test '%s' takes at most one argument", n->s);
    json_t *v = ct_eval(c, n->kid[0]), *arg = n->nkid > 1 ? ct_eval(c, n->kid[1]) : NULL;
    int r = ct_test_apply(c, n, n->s, v, arg);
    json_decref(v);
    json_decref(arg);
    return json_boolean(r != n->op);
}

json_t *ct_eval(ct_ctx *c, const ct_node *n)
{
    switch (n->kind) {
    case N_LIT: return json_incref(n->lit);
    case N_NAME: return ct_lookup(c, n->s);
    case N_ATTR: {
        json_t *o = ct_eval(c, n->kid[0]), *k = json_string(n->s);
        json_t *r = item(c, n, o, k);
        json_decref(k);
        json_decref(o);
        return r;
    }
    case N_INDEX: {
        json_t *o = ct_eval(c, n->kid[0]), *k = ct_eval(c, n->kid[1]);
        json_t *r = item(c, n, o, k);
        if (k) json_decref(k);
        json_decref(o);
        return r;
    }
    case N_SLICE: {
        json_t *o = ct_eval(c, n->kid[0]), *p[3];
        for (int i = 0; i < 3; i++) p[i] = n->kid[i + 1] ? ct_eval(c, n->kid[i + 1]) : NULL;
        json_t *r = ct_slice(c, n, o, p[0], p[1], p[2]);
        for (int i = 0; i < 3; i++) if (p[i]) json_decref(p[i]);
        if (o) json_decref(o);
        return r;
    }
    case N_BIN: return binary(c, n);
    case N_NOT: { json_t *v = ct_eval(c, n->kid[0]); int t = ct_truthy(v); if (v) json_decref(v); return json_boolean(!t); }
    case N_NEG: {
        json_t *v = ct_eval(c, n->kid[0]), *r;
        if (json_is_integer(v)) r = json_integer(-json_integer_value(v));
        else if (json_is_real(v)) r = json_real(-json_real_value(v));
        else ct_fail(c, n, "unary '-' of a value that is not a number");
        json_decref(v);
        return r;
    }
    case N_COND: {
        json_t *v = ct_eval(c, n->kid[0]);
        int t = ct_truthy(v);
        if (v) json_decref(v);
        if (t) return ct_eval(c, n->kid[1]);
        return n->kid[2] ? ct_eval(c, n->kid[2]) : NULL;
    }
    case N_LIST: {
        json_t *l = json_array();
        for (int i = 0; i < n->nkid; i++) {
            json_t *v = ct_eval(c, n->kid[i]);
            if (!v) ct_fail(c, n->kid[i], "an undefined value in a list literal");
            json_array_append_new(l, v);
        }
        return l;
    }
    case N_DICT: {
        json_t *d = json_object();
        for (int i = 0; i + 1 < n->nkid; i += 2) {
            json_t *k = ct_eval(c, n->kid[i]), *v = ct_eval(c, n->kid[i + 1]);
            if (!json_is_string(k)) ct_fail(c, n->kid[i], "mapping keys other than strings are not supported");
            if (!v) ct_fail(c, n->kid[i + 1], "an undefined value in a mapping literal");
            json_object_set_new(d, json_string_value(k), v);
            json_decref(k);
        }
        return d;
    }
    case N_CALL: return ct_call(c, n);
    case N_FILTER: return ct_filter(c, n);
    case N_TEST: return ct_test(c, n);
    default: ct_fail(c, n, "internal: not an expression");
    }
}
