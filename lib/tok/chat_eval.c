/* chat_eval: running a parsed chat template: statements, scopes, output, and
   the record of which output each message's turn and each {% generation %}
   block produced. */
#include "chat_internal.h"
#include "util.h"
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void ct_emit(ct_ctx *c, const char *s, size_t n) { ct_put(&c->out, s, n); }

static void push_scope(ct_ctx *c, const ct_node *at)
{
    if (c->nscope == CT_MAX_SCOPES) ct_fail(c, at, "nesting deeper than %d scopes", CT_MAX_SCOPES);
    c->scope[c->nscope++] = json_object();
}

static void pop_scope(ct_ctx *c) { json_decref(c->scope[--c->nscope]); }

static int is_namespace(ct_ctx *c, const json_t *v)
{
    for (size_t i = 0; i < json_array_size(c->namespaces); i++)
        if (json_array_get(c->namespaces, i) == v) return 1;
    return 0;
}

static void set_stmt(ct_ctx *c, const ct_node *n)
{
    json_t *v = ct_eval(c, n->kid[0]);
    if (!v) ct_fail(c, n, "set %s%s%s: the value is undefined", n->s, n->s2 ? "." : "", n->s2 ? n->s2 : "");
    if (!n->s2) { json_object_set_new(c->scope[c->nscope - 1], n->s, v); return; }
    json_t *ns = ct_lookup(c, n->s);
    if (!ns || !is_namespace(c, ns))
        ct_fail(c, n, "set %s.%s: '%s' is not a namespace()", n->s, n->s2, n->s);
    json_object_set_new(ns, n->s2, v);
    json_decref(ns);
}

/* Items to iterate: a list's items, a map's keys (as Python), a string's
   characters are refused (no real template loops over one). */
static json_t *iterable(ct_ctx *c, const ct_node *at, json_t *v)
{
    if (!v) return json_array();
    if (json_is_array(v)) return json_incref(v);
    if (json_is_object(v)) {
        json_t *keys = json_array();
        const char *k; json_t *x;
        json_object_foreach(v, k, x) json_array_append_new(keys, json_string(k));
        return keys;
    }
    ct_fail(c, at, "cannot loop over a %s", json_is_string(v) ? "string" : "scalar");
}

static json_t *loop_object(size_t i, size_t n, json_t *items)
{
    json_t *l = json_object();
    json_object_set_new(l, "index0", json_integer((json_int_t)i));
    json_object_set_new(l, "index", json_integer((json_int_t)i + 1));
    json_object_set_new(l, "revindex0", json_integer((json_int_t)(n - 1 - i)));
    json_object_set_new(l, "revindex", json_integer((json_int_t)(n - i)));
    json_object_set_new(l, "first", json_boolean(i == 0));
    json_object_set_new(l, "last", json_boolean(i + 1 == n));
    json_object_set_new(l, "length", json_integer((json_int_t)n));
    if (i > 0) json_object_set(l, "previtem", json_array_get(items, i - 1));
    if (i + 1 < n) json_object_set(l, "nextitem", json_array_get(items, i + 1));
    return l;
}

static void bind_targets(ct_ctx *c, const ct_node *n, json_t *item)
{
    json_t *s = c->scope[c->nscope - 1];
    if (!n->s2) { json_object_set(s, n->s, item); return; }
    if (!json_is_array(item) || json_array_size(item) != 2)
        ct_fail(c, n, "for %s, %s: the item is not a pair", n->s, n->s2);
    json_object_set(s, n->s, json_array_get(item, 0));
    json_object_set(s, n->s2, json_array_get(item, 1));
}

/* The message index of item when it is one of the messages themselves. */
static long message_index(ct_ctx *c, const json_t *item)
{
    for (size_t i = 0; i < json_array_size(c->messages); i++)
        if (json_array_get(c->messages, i) == item) return (long)i;
    return -1;
}

static void for_stmt(ct_ctx *c, const ct_node *n)
{
    json_t *v = ct_eval(c, n->kid[0]);
    json_t *items = iterable(c, n->kid[0], v);
    if (v) json_decref(v);
    size_t cnt = json_array_size(items);
    for (size_t i = 0; i < cnt; i++) {
        json_t *item = json_array_get(items, i);
        size_t start = c->out.len;
        push_scope(c, n);
        json_object_set_new(c->scope[c->nscope - 1], "loop", loop_object(i, cnt, items));
        bind_targets(c, n, item);
        ct_exec(c, n->kid[1]);
        pop_scope(c);
        long m = message_index(c, item);
        if (m >= 0 && c->out.len > start) {   /* the loop that writes the turn */
            c->r->turn[m].start = start;
            c->r->turn[m].end = c->out.len;
        }
        int ctl = c->loopctl;
        c->loopctl = 0;
        if (ctl == 1) break;
    }
    if (!cnt && n->kid[2]) ct_exec(c, n->kid[2]);
    json_decref(items);
}

static void generation(ct_ctx *c, const ct_node *n)
{
    size_t start = c->out.len;
    ct_exec(c, n->kid[0]);
    ft_chat_render *r = c->r;
    r->gen = ft_xrealloc(r->gen, (r->ngen + 1) * sizeof *r->gen);
    r->gen[r->ngen].start = start;
    r->gen[r->ngen++].end = c->out.len;
}

void ct_exec(ct_ctx *c, const ct_node *n)
{
    if (++c->depth > 200) ct_fail(c, n, "the template nests deeper than 200 levels");
    switch (n->kind) {
    case N_BODY:
        for (int i = 0; i < n->nkid && !c->loopctl; i++) ct_exec(c, n->kid[i]);
        break;
    case N_TEXT: ct_emit(c, n->s, n->len); break;
    case N_OUT: {
        json_t *v = ct_eval(c, n->kid[0]);
        size_t len;
        char *s = ct_str(c, n->kid[0], v, &len);
        ct_emit(c, s, len);
        free(s);
        if (v) json_decref(v);
        break;
    }
    case N_IF: {
        json_t *v = ct_eval(c, n->kid[0]);
        int t = ct_truthy(v);
        if (v) json_decref(v);
        if (t) ct_exec(c, n->kid[1]);
        else if (n->kid[2]) ct_exec(c, n->kid[2]);
        break;
    }
    case N_FOR: for_stmt(c, n); break;
    case N_SET: set_stmt(c, n); break;
    case N_BREAK: c->loopctl = 1; break;
    case N_CONTINUE: c->loopctl = 2; break;
    case N_GEN: generation(c, n); break;
    default: ct_fail(c, n, "internal: not a statement");
    }
    c->depth--;
}

/* raise_exception and namespace live in chat_methods.c; the variables come
   from vars. */
int ft_chat_template_render(const ft_chat_template *t, json_t *vars, ft_chat_render *out, char **err)
{
    memset(out, 0, sizeof *out);
    ct_ctx *c = ft_xcalloc(1, sizeof *c);
    c->r = out;
    c->messages = json_object_get(vars, "messages");
    out->nmsg = json_array_size(c->messages);
    out->turn = ft_xcalloc(out->nmsg ? out->nmsg : 1, sizeof *out->turn);
    c->namespaces = json_array();
    c->scope[c->nscope++] = json_incref(vars);    /* read only: sets go to the scope above */
    c->scope[c->nscope++] = json_object();
    int rc = 0;
    if (setjmp(c->jb)) {
        /* values in flight leak: an error ends the render for good */
        *err = c->err;
        free(c->out.p);
        ft_chat_render_free(out);
        rc = -1;
    } else {
        ct_exec(c, t->root);
        ct_emit(c, "", 0);
        out->text = c->out.p;
        out->len = c->out.len;
    }
    while (c->nscope > 0) pop_scope(c);
    json_decref(c->namespaces);
    free(c);
    return rc;
}

void ft_chat_render_free(ft_chat_render *r)
{
    free(r->text);
    free(r->turn);
    free(r->gen);
    memset(r, 0, sizeof *r);
}

ft_chat_template *ft_chat_template_parse(const char *src, char **err)
{
    size_t n;
    ct_token *tok = ct_lex(src, &n, err);
    if (!tok) return NULL;
    ct_node *root = ct_parse(tok, n, err);
    ct_tokens_free(tok, n);
    if (!root) return NULL;
    ft_chat_template *t = ft_xcalloc(1, sizeof *t);
    t->root = root;
    return t;
}

void ft_chat_template_free(ft_chat_template *t)
{
    if (!t) return;
    ct_node_free(t->root);
    free(t);
}
