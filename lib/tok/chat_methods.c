/* chat_methods: calls in chat templates: the globals transformers defines
   (raise_exception, strftime_now) and Jinja's (namespace, range), Python's
   string methods (startswith, split, strip, replace, ...) and mapping methods
   (items, keys, values, get), and slicing by code points as Python's. */
#define _GNU_SOURCE   /* memmem */
#include "chat_internal.h"
#include "util.h"
#include <string.h>
#include <time.h>
#include <utf8proc.h>

/* Python's str.isspace() for one code point. */
static int py_space(int32_t u)
{
    return (u >= 9 && u <= 13) || (u >= 0x1c && u <= 0x20) || u == 0x85 || u == 0xa0 || u == 0x1680 ||
           (u >= 0x2000 && u <= 0x200a) || u == 0x2028 || u == 0x2029 || u == 0x202f || u == 0x205f || u == 0x3000;
}

/* Code points of a UTF-8 string and the byte offset of each (off[n] = len). */
typedef struct { int32_t *cp; size_t *off, n; } cps;

static cps decode(const char *s, size_t len)
{
    cps r = {ft_xmalloc((len + 1) * sizeof *r.cp), ft_xmalloc((len + 1) * sizeof *r.off), 0};
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t u;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &u);
        if (k <= 0) { u = (unsigned char)s[i]; k = 1; }
        r.cp[r.n] = u;
        r.off[r.n++] = i;
        i += (size_t)k;
    }
    r.off[r.n] = len;
    return r;
}

static void cps_free(cps *c) { free(c->cp); free(c->off); }

static int in_set(int32_t u, const cps *set) 
{
    if (!set) return py_space(u);
    for (size_t i = 0; i < set->n; i++) if (set->cp[i] == u) return 1;
    return 0;
}

/* str.strip / lstrip / rstrip (which: 1 left, 2 right, 3 both); chars NULL: whitespace. */
json_t *ct_strip(const json_t *s, const json_t *chars, int which)
{
    const char *p = json_string_value(s);
    cps c = decode(p, json_string_length(s)), set = {0};
    if (chars) set = decode(json_string_value(chars), json_string_length(chars));
    size_t a = 0, b = c.n;
    if (which & 1) while (a < b && in_set(c.cp[a], chars ? &set : NULL)) a++;
    if (which & 2) while (b > a && in_set(c.cp[b - 1], chars ? &set : NULL)) b--;
    json_t *r = ct_string(p + c.off[a], c.off[b] - c.off[a]);
    cps_free(&c);
    if (chars) cps_free(&set);
    return r;
}

static json_t *case_map(const json_t *s, int mode)   /* 0 lower, 1 upper, 2 title, 3 capitalize */
{
    cps c = decode(json_string_value(s), json_string_length(s));
    char *out = ft_xmalloc(c.n * 4 + 1);
    size_t len = 0;
    int prev_cased = 0;
    for (size_t i = 0; i < c.n; i++) {
        int32_t u = c.cp[i];
        int up = mode == 1 || (mode == 2 && !prev_cased) || (mode == 3 && i == 0);
        int32_t v = up ? utf8proc_toupper(u) : utf8proc_tolower(u);
        prev_cased = utf8proc_toupper(u) != u || utf8proc_tolower(u) != u;
        len += (size_t)utf8proc_encode_char(v, (utf8proc_uint8_t *)out + len);
    }
    json_t *r = ct_string(out, len);
    free(out);
    cps_free(&c);
    return r;
}

json_t *ct_case(const json_t *s, int mode) { return case_map(s, mode); }

/* Python's slice indices for a sequence of n: [start, stop) by step. */
static json_int_t clamp(json_t *v, json_int_t n, json_int_t step, int is_start)
{
    if (!v || json_is_null(v)) return step > 0 ? (is_start ? 0 : n) : (is_start ? n - 1 : -1);
    json_int_t i = json_integer_value(v);
    if (i < 0) { i += n; if (i < 0) i = step > 0 ? 0 : -1; }
    else if (i >= n) i = step > 0 ? n : n - 1;
    return i;
}

json_t *ct_slice(ct_ctx *c, const ct_node *n, json_t *obj, json_t *a, json_t *b, json_t *step)
{
    if ((a && !json_is_integer(a) && !json_is_null(a)) || (b && !json_is_integer(b) && !json_is_null(b)) ||
        (step && !json_is_integer(step) && !json_is_null(step)))
        ct_fail(c, n, "slice bounds must be integers");
    json_int_t st = step && json_is_integer(step) ? json_integer_value(step) : 1;
    if (st == 0) ct_fail(c, n, "slice step cannot be zero");
    if (json_is_array(obj)) {
        json_int_t len = (json_int_t)json_array_size(obj);
        json_int_t i = clamp(a, len, st, 1), e = clamp(b, len, st, 0);
        json_t *r = json_array();
        for (; st > 0 ? i < e : i > e; i += st) json_array_append(r, json_array_get(obj, (size_t)i));
        return r;
    }
    if (!json_is_string(obj)) ct_fail(c, n, "only lists and strings can be sliced");
    cps s = decode(json_string_value(obj), json_string_length(obj));
    json_int_t len = (json_int_t)s.n;
    json_int_t i = clamp(a, len, st, 1), e = clamp(b, len, st, 0);
    char *out = ft_xmalloc(json_string_length(obj) + 1);
    size_t olen = 0;
    for (; st > 0 ? i < e : i > e; i += st) {
        size_t k = s.off[i + 1] - s.off[i];
        memcpy(out + olen, json_string_value(obj) + s.off[i], k);
        olen += k;
    }
    json_t *r = ct_string(out, olen);
    free(out);
    cps_free(&s);
    return r;
}

/* str.split(sep=None, maxsplit=-1), from the right when right. */
static json_t *split(ct_ctx *c, const ct_node *n, const json_t *s, const json_t *sep, json_int_t max, int right)
{
    const char *p = json_string_value(s);
    size_t len = json_string_length(s);
    json_t *r = json_array();
    if (sep && !json_is_null(sep)) {
        const char *q = json_string_value(sep);
        size_t ql = json_string_length(sep);
        if (!ql) ct_fail(c, n, "split: empty separator");
        if (right && max >= 0) ct_fail(c, n, "rsplit with maxsplit is not supported");
        size_t a = 0;
        for (json_int_t k = 0; max < 0 || k < max; k++) {
            const char *hit = memmem(p + a, len - a, q, ql);
            if (!hit) break;
            json_array_append_new(r, ct_string(p + a, (size_t)(hit - p) - a));
            a = (size_t)(hit - p) + ql;
        }
        json_array_append_new(r, ct_string(p + a, len - a));
        return r;
    }
    if (max >= 0) ct_fail(c, n, "split() on whitespace with maxsplit is not supported");
    cps cp = decode(p, len);
    size_t i = 0;
    while (i < cp.n) {
        while (i < cp.n && py_space(cp.cp[i])) i++;
        if (i == cp.n) break;
        size_t j = i;
        while (j < cp.n && !py_space(cp.cp[j])) j++;
        json_array_append_new(r, ct_string(p + cp.off[i], cp.off[j] - cp.off[i]));
        i = j;
    }
    cps_free(&cp);
    return r;
}

json_t *ct_replace(const json_t *s, const json_t *old, const json_t *new_, json_int_t count)
{
    const char *p = json_string_value(s), *o = json_string_value(old), *w = json_string_value(new_);
    size_t len = json_string_length(s), ol = json_string_length(old), wl = json_string_length(new_);
    size_t cap = len + 1, olen = 0;
    char *out = ft_xmalloc(cap);
    size_t i = 0;
    json_int_t done = 0;
    while (i <= len) {
        const char *hit = (count < 0 || done < count) && ol ? memmem(p + i, len - i, o, ol) : NULL;
        size_t upto = hit ? (size_t)(hit - p) : len;
        while (olen + (upto - i) + wl + 1 > cap) { cap *= 2; out = ft_xrealloc(out, cap); }
        memcpy(out + olen, p + i, upto - i);
        olen += upto - i;
        if (!hit) break;
        memcpy(out + olen, w, wl);
        olen += wl;
        i = upto + ol;
        done++;
    }
    json_t *r = ct_string(out, olen);
    free(out);
    return r;
}

static int affix(const json_t *s, const json_t *x, int end)
{
    size_t l = json_string_length(s), k = json_string_length(x);
    if (k > l) return 0;
    return !memcmp(json_string_value(s) + (end ? l - k : 0), json_string_value(x), k);
}

static void need_args(ct_ctx *c, const ct_node *n, int nargs, int lo, int hi)
{
    if (n->nkw) ct_fail(c, n, "%s(): keyword arguments are not supported", n->s2);
    if (nargs < lo || nargs > hi) ct_fail(c, n, "%s() takes %d to %d arguments", n->s2, lo, hi);
}

static json_t *need_str(ct_ctx *c, const ct_node *n, json_t *v)
{
    if (!json_is_string(v)) ct_fail(c, n, "%s(): the argument is not a string", n->s2);
    return v;
}

static json_t *string_method(ct_ctx *c, const ct_node *n, json_t *s, json_t **args, int nargs)
{
    const char *m = n->s2;
    if (!strcmp(m, "startswith") || !strcmp(m, "endswith")) {
        need_args(c, n, nargs, 1, 1);
        int end = m[0] == 'e', hit = 0;
        if (json_is_array(args[0])) {
            for (size_t i = 0; i < json_array_size(args[0]); i++)
                hit |= affix(s, need_str(c, n, json_array_get(args[0], i)), end);
        } else {
            hit = affix(s, need_str(c, n, args[0]), end);
        }
        return json_boolean(hit);
    }
    if (!strcmp(m, "strip") || !strcmp(m, "lstrip") || !strcmp(m, "rstrip")) {
        need_args(c, n, nargs, 0, 1);
        json_t *chars = nargs && !json_is_null(args[0]) ? need_str(c, n, args[0]) : NULL;
        return ct_strip(s, chars, m[0] == 'l' ? 1 : m[0] == 'r' ? 2 : 3);
    }
    if (!strcmp(m, "split") || !strcmp(m, "rsplit")) {
        need_args(c, n, nargs, 0, 2);
        json_int_t max = nargs > 1 ? json_integer_value(args[1]) : -1;
        return split(c, n, s, nargs ? args[0] : NULL, max, m[0] == 'r');
    }
    if (!strcmp(m, "replace")) {
        need_args(c, n, nargs, 2, 3);
        return ct_replace(s, need_str(c, n, args[0]), need_str(c, n, args[1]), nargs > 2 ? json_integer_value(args[2]) : -1);
    }
    static const char *const cases[] = {"lower", "upper", "title", "capitalize"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(m, cases[k])) { need_args(c, n, nargs, 0, 0); return case_map(s, k); }
    ct_fail(c, n, "string method '%s' is not supported", m);
}

json_t *ct_method(ct_ctx *c, const ct_node *n, json_t *obj, json_t **args, int nargs)
{
    if (json_is_string(obj)) return string_method(c, n, obj, args, nargs);
    if (json_is_object(obj)) {
        const char *m = n->s2, *k;
        json_t *v;
        if (!strcmp(m, "get")) {
            need_args(c, n, nargs, 1, 2);
            json_t *x = json_object_get(obj, json_string_value(need_str(c, n, args[0])));
            return x ? json_incref(x) : nargs > 1 ? json_incref(args[1]) : json_null();
        }
        json_t *r = json_array();
        int which = !strcmp(m, "items") ? 0 : !strcmp(m, "keys") ? 1 : !strcmp(m, "values") ? 2 : -1;
        if (which < 0) { json_decref(r); ct_fail(c, n, "mapping method '%s' is not supported", m); }
        need_args(c, n, nargs, 0, 0);
        json_object_foreach(obj, k, v) {
            if (which == 1) json_array_append_new(r, json_string(k));
            else if (which == 2) json_array_append(r, v);
            else json_array_append_new(r, json_pack("[sO]", k, v));
        }
        return r;
    }
    if (!obj) ct_fail(c, n, "method '%s' of an undefined value", n->s2);
    ct_fail(c, n, "method '%s' of a %s is not supported", n->s2, json_is_array(obj) ? "list" : "scalar");
}

json_t *ct_global(ct_ctx *c, const ct_node *n, const char *name, json_t **args, int nargs)
{
    if (!strcmp(name, "raise_exception")) {
        size_t len;
        char *msg = nargs ? ct_str(c, n, args[0], &len) : ft_xstrdup("");
        ct_fail(c, n, "raise_exception: %s", msg);
    }
    if (!strcmp(name, "namespace")) {
        if (nargs > n->nkw) ct_fail(c, n, "namespace() takes keyword arguments only");
        json_t *ns = json_object();
        for (int i = 0; i < n->nkw; i++) json_object_set(ns, n->kw[i], args[i]);
        json_array_append(c->namespaces, ns);
        return ns;
    }
    if (!strcmp(name, "range")) {
        if (n->nkw || nargs < 1 || nargs > 3) ct_fail(c, n, "range() takes 1 to 3 arguments");
        for (int i = 0; i < nargs; i++) if (!json_is_integer(args[i])) ct_fail(c, n, "range(): arguments must be integers");
        json_int_t a = nargs > 1 ? json_integer_value(args[0]) : 0;
        json_int_t b = json_integer_value(args[nargs > 1 ? 1 : 0]), st = nargs > 2 ? json_integer_value(args[2]) : 1;
        if (st == 0) ct_fail(c, n, "range(): step cannot be zero");
        json_t *r = json_array();
        for (json_int_t i = a; st > 0 ? i < b : i > b; i += st) json_array_append_new(r, json_integer(i));
        return r;
    }
    if (!strcmp(name, "strftime_now")) {
        if (nargs != 1 || !json_is_string(args[0])) ct_fail(c, n, "strftime_now() takes one format string");
        char buf[256];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        size_t k = strftime(buf, sizeof buf, json_string_value(args[0]), &tm);
        return ct_string(buf, k);
    }
    ct_fail(c, n, "function '%s' is not supported", name);
}

