/* chat_parse: chat template tokens into a syntax tree.  Statements: if /
   elif / else, for (one or two targets, else), set (a name, or a
   namespace's attribute), break / continue (transformers loads
   jinja2.ext.loopcontrols), generation.  Expressions with Jinja's
   precedence, lowest first: "x if c else y", or, and, not, comparisons
   (== != < <= > >= in, not in), + -, ~, * / // %, unary -, then postfix
   (.name, [i], [a:b:c], calls) with filters (|f) and tests (is t).  Any other
   statement or syntax is refused by name and position. */
#include "chat_internal.h"
#include "util.h"
#include <stdarg.h>
#include <string.h>

typedef struct parser {
    ct_token *t;
    size_t n, i;
    char *err;
    jmp_buf jb;
} parser;

__attribute__((noreturn, format(printf, 3, 4)))
static void pfail(parser *P, const ct_token *at, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    P->err = ft_xasprintf("%d:%d: %s", at->line, at->col, msg);
    longjmp(P->jb, 1);
}

static ct_token *peek(parser *P) { return &P->t[P->i]; }
static ct_token *next(parser *P) { ct_token *t = &P->t[P->i]; if (t->kind != CT_EOF) P->i++; return t; }
static int is_op(const ct_token *t, const char *op) { return t->kind == CT_OP && !strcmp(t->s, op); }
static int is_name(const ct_token *t, const char *s) { return t->kind == CT_NAME && !strcmp(t->s, s); }

static void expect_op(parser *P, const char *op)
{
    if (!is_op(peek(P), op)) pfail(P, peek(P), "expected '%s'", op);
    next(P);
}

static ct_node *node(ct_nkind k, const ct_token *at)
{
    ct_node *n = ft_xcalloc(1, sizeof *n);
    n->kind = k;
    n->line = at->line;
    n->col = at->col;
    return n;
}

static void add(ct_node *n, ct_node *kid)
{
    n->kid = ft_xrealloc(n->kid, (size_t)(n->nkid + 1) * sizeof *n->kid);
    n->kid[n->nkid++] = kid;
}

static ct_node *expr(parser *P);
static ct_node *unary(parser *P);

static const char *const keywords[] = {"and", "or", "not", "in", "is", "if", "else", NULL};

static ct_node *list_literal(parser *P, const ct_token *at, const char *close, ct_nkind k)
{
    ct_node *n = node(k, at);
    while (!is_op(peek(P), close)) {
        add(n, expr(P));
        if (k == N_DICT) { expect_op(P, ":"); add(n, expr(P)); }
        if (!is_op(peek(P), ",")) break;
        next(P);
    }
    expect_op(P, close);
    return n;
}

static ct_node *primary(parser *P)
{
    ct_token *t = next(P);
    ct_node *n;
    switch (t->kind) {
    case CT_STRING: {
        /* adjacent strings concatenate, as in Python */
        char *s = ft_xmalloc(t->len + 1);
        size_t len = t->len;
        memcpy(s, t->s, len);
        while (peek(P)->kind == CT_STRING) {
            ct_token *u = next(P);
            s = ft_xrealloc(s, len + u->len + 1);
            memcpy(s + len, u->s, u->len);
            len += u->len;
        }
        n = node(N_LIT, t);
        n->lit = ct_string(s, len);
        free(s);
        return n;
    }
    case CT_INT: n = node(N_LIT, t); n->lit = json_integer(t->i); return n;
    case CT_FLOAT: n = node(N_LIT, t); n->lit = json_real(t->f); return n;
    case CT_NAME:
        n = node(N_LIT, t);
        if (!strcmp(t->s, "true") || !strcmp(t->s, "True")) { n->lit = json_true(); return n; }
        if (!strcmp(t->s, "false") || !strcmp(t->s, "False")) { n->lit = json_false(); return n; }
        if (!strcmp(t->s, "none") || !strcmp(t->s, "None")) { n->lit = json_null(); return n; }
        for (int k = 0; keywords[k]; k++)
            if (!strcmp(t->s, keywords[k])) pfail(P, t, "unexpected '%s'", t->s);
        n->kind = N_NAME;
        n->s = ft_xstrdup(t->s);
        return n;
    case CT_OP:
        if (!strcmp(t->s, "(")) {
            n = expr(P);
            if (is_op(peek(P), ",")) pfail(P, peek(P), "tuples are not supported");
            expect_op(P, ")");
            return n;
        }
        if (!strcmp(t->s, "[")) return list_literal(P, t, "]", N_LIST);
        if (!strcmp(t->s, "{")) return list_literal(P, t, "}", N_DICT);
        pfail(P, t, "unexpected '%s'", t->s);
    default:
        pfail(P, t, "expected an expression");
    }
}

/* Call arguments after "(": positional, then name=value. */
static void call_args(parser *P, ct_node *n)
{
    while (!is_op(peek(P), ")")) {
        ct_token *t = peek(P);
        if (t->kind == CT_NAME && is_op(&P->t[P->i + 1], "=")) {
            next(P); next(P);
            n->kw = ft_xrealloc(n->kw, (size_t)(n->nkw + 1) * sizeof *n->kw);
            n->kw[n->nkw++] = ft_xstrdup(t->s);
            add(n, expr(P));
        } else {
            if (n->nkw) pfail(P, t, "a positional argument after a keyword argument");
            add(n, expr(P));
        }
        if (!is_op(peek(P), ",")) break;
        next(P);
    }
    expect_op(P, ")");
}

static ct_node *subscript(parser *P, ct_node *obj, const ct_token *at)
{
    ct_node *part[3] = {NULL, NULL, NULL};
    int colons = 0;
    for (;;) {
        if (is_op(peek(P), "]")) break;
        if (is_op(peek(P), ":")) {
            if (++colons > 2) pfail(P, peek(P), "too many ':' in a slice");
            next(P);
            continue;
        }
        if (part[colons]) pfail(P, peek(P), "expected ':' or ']'");
        part[colons] = expr(P);
    }
    expect_op(P, "]");
    ct_node *n = node(colons ? N_SLICE : N_INDEX, at);
    add(n, obj);
    if (!colons) {
        if (!part[0]) pfail(P, at, "empty subscript");
        add(n, part[0]);
        return n;
    }
    for (int k = 0; k < 3; k++) add(n, part[k]);
    return n;
}

static ct_node *postfix(parser *P, ct_node *n)
{
    for (;;) {
        ct_token *t = peek(P);
        if (is_op(t, ".")) {
            next(P);
            ct_token *name = next(P);
            if (name->kind != CT_NAME) pfail(P, name, "expected an attribute name after '.'");
            if (is_op(peek(P), "(")) {      /* a method call */
                ct_node *c = node(N_CALL, name);
                c->s2 = ft_xstrdup(name->s);
                add(c, n);
                next(P);
                call_args(P, c);
                n = c;
                continue;
            }
            ct_node *a = node(N_ATTR, name);
            a->s = ft_xstrdup(name->s);
            add(a, n);
            n = a;
        } else if (is_op(t, "[")) {
            next(P);
            n = subscript(P, n, t);
        } else if (is_op(t, "(")) {
            next(P);
            ct_node *c = node(N_CALL, t);
            add(c, n);
            call_args(P, c);
            n = c;
        } else {
            return n;
        }
    }
}

/* Filters and tests after a postfix expression. */
static ct_node *filters(parser *P, ct_node *n)
{
    for (;;) {
        ct_token *t = peek(P);
        if (is_op(t, "|")) {
            next(P);
            ct_token *name = next(P);
            if (name->kind != CT_NAME) pfail(P, name, "expected a filter name after '|'");
            ct_node *f = node(N_FILTER, name);
            f->s = ft_xstrdup(name->s);
            add(f, n);
            if (is_op(peek(P), "(")) { next(P); call_args(P, f); }
            n = f;
        } else if (is_name(t, "is")) {
            next(P);
            ct_node *f = node(N_TEST, t);
            if (is_name(peek(P), "not")) { next(P); f->op = 1; }
            ct_token *name = next(P);
            if (name->kind != CT_NAME) pfail(P, name, "expected a test name after 'is'");
            f->s = ft_xstrdup(name->s);
            add(f, n);
            if (is_op(peek(P), "(")) { next(P); call_args(P, f); }
            else if (peek(P)->kind == CT_STRING || peek(P)->kind == CT_INT || peek(P)->kind == CT_NAME) {
                /* "is equalto 3", "is sameas none": one argument without parentheses */
                if (!is_name(peek(P), "and") && !is_name(peek(P), "or") && !is_name(peek(P), "else")
                    && !is_name(peek(P), "if"))
                    add(f, unary(P));
            }
            n = f;
        } else {
            return n;
        }
    }
}

static ct_node *unary(parser *P)
{
    ct_token *t = peek(P);
    if (is_op(t, "-") || is_op(t, "+")) {
        next(P);
        ct_node *x = unary(P);
        if (is_op(t, "+")) return x;
        ct_node *n = node(N_NEG, t);
        add(n, x);
        return n;
    }
    return filters(P, postfix(P, primary(P)));
}

static ct_node *binary(ct_op op, const ct_token *at, ct_node *a, ct_node *b)
{
    ct_node *n = node(N_BIN, at);
    n->op = op;
    add(n, a);
    add(n, b);
    return n;
}

static ct_node *math2(parser *P)
{
    ct_node *n = unary(P);
    for (;;) {
        ct_token *t = peek(P);
        ct_op op;
        if (is_op(t, "*")) op = OP_MUL;
        else if (is_op(t, "/")) op = OP_DIV;
        else if (is_op(t, "//")) op = OP_FLOORDIV;
        else if (is_op(t, "%")) op = OP_MOD;
        else if (is_op(t, "**")) pfail(P, t, "'**' is not supported");
        else return n;
        next(P);
        n = binary(op, t, n, unary(P));
    }
}

static ct_node *concat(parser *P)
{
    ct_node *n = math2(P);
    while (is_op(peek(P), "~")) {
        ct_token *t = next(P);
        n = binary(OP_CONCAT, t, n, math2(P));
    }
    return n;
}

static ct_node *math1(parser *P)
{
    ct_node *n = concat(P);
    for (;;) {
        ct_token *t = peek(P);
        if (!is_op(t, "+") && !is_op(t, "-")) return n;
        next(P);
        n = binary(is_op(t, "+") ? OP_ADD : OP_SUB, t, n, concat(P));
    }
}

static ct_node *compare(parser *P)
{
    ct_node *n = math1(P);
    for (;;) {
        ct_token *t = peek(P);
        ct_op op;
        if (is_op(t, "==")) op = OP_EQ;
        else if (is_op(t, "!=")) op = OP_NE;
        else if (is_op(t, "<")) op = OP_LT;
        else if (is_op(t, "<=")) op = OP_LE;
        else if (is_op(t, ">")) op = OP_GT;
        else if (is_op(t, ">=")) op = OP_GE;
        else if (is_name(t, "in")) op = OP_IN;
        else if (is_name(t, "not") && is_name(&P->t[P->i + 1], "in")) { op = OP_NOTIN; next(P); }
        else return n;
        next(P);
        n = binary(op, t, n, math1(P));
    }
}

static ct_node *not_expr(parser *P)
{
    ct_token *t = peek(P);
    if (is_name(t, "not")) {
        next(P);
        ct_node *n = node(N_NOT, t);
        add(n, not_expr(P));
        return n;
    }
    return compare(P);
}

static ct_node *and_expr(parser *P)
{
    ct_node *n = not_expr(P);
    while (is_name(peek(P), "and")) { ct_token *t = next(P); n = binary(OP_AND, t, n, not_expr(P)); }
    return n;
}

static ct_node *or_expr(parser *P)
{
    ct_node *n = and_expr(P);
    while (is_name(peek(P), "or")) { ct_token *t = next(P); n = binary(OP_OR, t, n, and_expr(P)); }
    return n;
}

static ct_node *expr(parser *P)
{
    ct_node *n = or_expr(P);
    while (is_name(peek(P), "if")) {
        ct_token *t = next(P);
        ct_node *c = node(N_COND, t);
        add(c, or_expr(P));
        add(c, n);
        if (is_name(peek(P), "else")) { next(P); add(c, or_expr(P)); }
        else add(c, NULL);
        n = c;
    }
    return n;
}

/* ---- statements ---- */
static ct_node *body(parser *P, const char *const *ends, const char **ended);

static void block_end(parser *P)
{
    if (peek(P)->kind != CT_BLOCK_END) pfail(P, peek(P), "expected '%%}'");
    next(P);
}

static ct_node *if_stmt(parser *P, const ct_token *at)
{
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    ct_node *n = node(N_IF, at);
    add(n, expr(P));
    block_end(P);
    const char *ended;
    add(n, body(P, ends, &ended));
    if (!strcmp(ended, "elif")) {
        add(n, if_stmt(P, &P->t[P->i - 1]));
        return n;
    }
    if (!strcmp(ended, "else")) {
        static const char *const endif[] = {"endif", NULL};
        block_end(P);
        add(n, body(P, endif, &ended));
    } else {
        add(n, NULL);
    }
    block_end(P);
    return n;
}

static ct_node *for_stmt(parser *P, const ct_token *at)
{
    static const char *const ends[] = {"else", "endfor", NULL};
    ct_node *n = node(N_FOR, at);
    ct_token *t = next(P);
    if (t->kind != CT_NAME) pfail(P, t, "expected a loop variable");
    n->s = ft_xstrdup(t->s);
    if (is_op(peek(P), ",")) {
        next(P);
        t = next(P);
        if (t->kind != CT_NAME) pfail(P, t, "expected a second loop variable");
        n->s2 = ft_xstrdup(t->s);
    }
    if (!is_name(peek(P), "in")) pfail(P, peek(P), "expected 'in'");
    next(P);
    add(n, or_expr(P));
    if (is_name(peek(P), "if")) pfail(P, peek(P), "loop filters ('for x in y if c') are not supported");
    if (is_name(peek(P), "recursive")) pfail(P, peek(P), "recursive loops are not supported");
    block_end(P);
    const char *ended;
    add(n, body(P, ends, &ended));
    if (!strcmp(ended, "else")) {
        static const char *const endfor[] = {"endfor", NULL};
        block_end(P);
        add(n, body(P, endfor, &ended));
    } else {
        add(n, NULL);
    }
    block_end(P);
    return n;
}

static ct_node *set_stmt(parser *P, const ct_token *at)
{
    ct_node *n = node(N_SET, at);
    ct_token *t = next(P);
    if (t->kind != CT_NAME) pfail(P, t, "expected a name after 'set'");
    n->s = ft_xstrdup(t->s);
    if (is_op(peek(P), ".")) {
        next(P);
        ct_token *a = next(P);
        if (a->kind != CT_NAME) pfail(P, a, "expected an attribute name");
        n->s2 = ft_xstrdup(a->s);
    }
    if (is_op(peek(P), ",")) pfail(P, peek(P), "'set' with several targets is not supported");
    if (!is_op(peek(P), "=")) pfail(P, peek(P), "block 'set' (without '=') is not supported");
    next(P);
    add(n, expr(P));
    block_end(P);
    return n;
}

/* One "{% ... %}" statement after its "{%"; NULL with *ended set when it is
   one of ends. */
static ct_node *statement(parser *P, const char *const *ends, const char **ended)
{
    ct_token *t = next(P);
    if (t->kind != CT_NAME) pfail(P, t, "expected a statement name");
    for (int k = 0; ends && ends[k]; k++)
        if (!strcmp(t->s, ends[k])) { *ended = ends[k]; return NULL; }
    if (!strcmp(t->s, "if")) return if_stmt(P, t);
    if (!strcmp(t->s, "for")) return for_stmt(P, t);
    if (!strcmp(t->s, "set")) return set_stmt(P, t);
    if (!strcmp(t->s, "break") || !strcmp(t->s, "continue")) {
        block_end(P);
        return node(t->s[0] == 'b' ? N_BREAK : N_CONTINUE, t);
    }
    if (!strcmp(t->s, "generation")) {
        static const char *const endgen[] = {"endgeneration", NULL};
        block_end(P);
        ct_node *n = node(N_GEN, t);
        const char *e;
        add(n, body(P, endgen, &e));
        block_end(P);
        return n;
    }
    pfail(P, t, "statement '%s' is not supported", t->s);
}

static ct_node *body(parser *P, const char *const *ends, const char **ended)
{
    ct_node *b = node(N_BODY, peek(P));
    for (;;) {
        ct_token *t = next(P);
        if (t->kind == CT_EOF) {
            if (ends) {
                int last = 0;
                while (ends[last + 1]) last++;
                pfail(P, t, "missing '{%% %s %%}'", ends[last]);
            }
            return b;
        }
        if (t->kind == CT_TEXT) {
            ct_node *x = node(N_TEXT, t);
            x->s = ft_xmalloc(t->len + 1);
            memcpy(x->s, t->s, t->len + 1);
            x->len = t->len;
            add(b, x);
        } else if (t->kind == CT_VAR_BEGIN) {
            ct_node *x = node(N_OUT, t);
            add(x, expr(P));
            if (peek(P)->kind != CT_VAR_END) pfail(P, peek(P), "expected '}}'");
            next(P);
            add(b, x);
        } else if (t->kind == CT_BLOCK_BEGIN) {
            ct_node *s = statement(P, ends, ended);
            if (!s) return b;
            add(b, s);
        } else {
            pfail(P, t, "unexpected token");
        }
    }
}

ct_node *ct_parse(ct_token *tok, size_t ntok, char **err)
{
    parser P = {.t = tok, .n = ntok};
    if (setjmp(P.jb)) { *err = P.err; return NULL; }   /* the partial tree leaks: parse errors end the tool */
    return body(&P, NULL, NULL);
}

void ct_node_free(ct_node *n)
{
    if (!n) return;
    for (int i = 0; i < n->nkid; i++) ct_node_free(n->kid[i]);
    for (int i = 0; i < n->nkw; i++) free(n->kw[i]);
    free(n->kid);
    free(n->kw);
    free(n->s);
    free(n->s2);
    if (n->lit) json_decref(n->lit);
    free(n);
}
