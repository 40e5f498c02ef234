/* chat_internal: the pieces of lib/tok/chat_template.c shared by its lexer
   (chat_lex.c), parser (chat_parse.c), evaluator (chat_eval.c, chat_expr.c)
   and built-ins (chat_filters.c, chat_methods.c). */
#ifndef FT_CHAT_INTERNAL_H
#define FT_CHAT_INTERNAL_H
#include "chat_template.h"
#include <setjmp.h>
#include <stddef.h>

/* ---- lexer ---- */
typedef enum {
    CT_TEXT, CT_VAR_BEGIN, CT_VAR_END, CT_BLOCK_BEGIN, CT_BLOCK_END,
    CT_NAME, CT_STRING, CT_INT, CT_FLOAT, CT_OP, CT_EOF
} ct_kind;

typedef struct ct_token {
    ct_kind kind;
    char *s;            /* text, name, string value (decoded), operator */
    size_t len;         /* of s (strings may hold NUL) */
    long long i;
    double f;
    int line, col;
} ct_token;

/* Tokens of src, ending in CT_EOF; NULL with *err on a lexical error. */
ct_token *ct_lex(const char *src, size_t *ntok, char **err);
void ct_tokens_free(ct_token *t, size_t n);

/* ---- syntax tree ---- */
typedef enum {
    /* statements */
    N_BODY, N_TEXT, N_OUT, N_IF, N_FOR, N_SET, N_BREAK, N_CONTINUE, N_GEN,
    /* expressions */
    N_LIT, N_NAME, N_ATTR, N_INDEX, N_SLICE, N_CALL, N_FILTER, N_TEST,
    N_BIN, N_NOT, N_NEG, N_COND, N_LIST, N_DICT
} ct_nkind;

typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_CONCAT,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN, OP_AND, OP_OR
} ct_op;

typedef struct ct_node {
    ct_nkind kind;
    int op;             /* ct_op of N_BIN; 1 = negated for N_TEST */
    int line, col;
    char *s, *s2;       /* name/text; N_FOR's second target, N_SET's attribute,
                           N_CALL's method name */
    size_t len;         /* of s for N_TEXT */
    json_t *lit;        /* N_LIT */
    struct ct_node **kid;
    int nkid;
    char **kw;          /* keyword names of the last nkw kids (calls, filters) */
    int nkw;
} ct_node;

/* N_IF: kid cond, then, else (NULL).  N_FOR: s, s2 targets; kid iter, body,
   else (NULL).  N_SET: s name, s2 attribute (NULL); kid value.  N_ATTR: s
   name; kid obj.  N_INDEX: obj, index.  N_SLICE: obj, start, stop, step
   (each may be NULL).  N_CALL: kid callee or (s2 set) the object of method s2,
   then the arguments.  N_FILTER / N_TEST: s name; kid operand, arguments.
   N_COND: cond, then, else (NULL).  N_DICT: key, value, key, value ... */

ct_node *ct_parse(ct_token *tok, size_t ntok, char **err);
void ct_node_free(ct_node *n);

struct ft_chat_template { ct_node *root; };

/* ---- evaluation ---- */
typedef struct { char *p; size_t len, cap; } ct_sbuf;
void ct_put(ct_sbuf *b, const char *s, size_t n);   /* keeps p NUL-terminated */

#define CT_MAX_SCOPES 256

typedef struct ct_ctx {
    ct_sbuf out;
    json_t *scope[CT_MAX_SCOPES];
    int nscope;
    json_t *messages;           /* vars' messages (borrowed) */
    ft_chat_render *r;
    json_t *namespaces;         /* array: objects made by namespace() */
    int loopctl;                /* 1: break, 2: continue pending */
    int depth;
    jmp_buf jb;
    char *err;
} ct_ctx;

__attribute__((noreturn, format(printf, 3, 4)))
void ct_fail(ct_ctx *c, const ct_node *at, const char *fmt, ...);
void ct_emit(ct_ctx *c, const char *s, size_t n);

/* Values: a new reference, or NULL for Jinja's undefined. */
json_t *ct_eval(ct_ctx *c, const ct_node *n);
json_t *ct_lookup(ct_ctx *c, const char *name);
int ct_truthy(const json_t *v);
/* Python str() of v into a malloc'd string (undefined: ""). */
char *ct_str(ct_ctx *c, const ct_node *at, const json_t *v, size_t *len);
int ct_equal(const json_t *a, const json_t *b);
/* Python's json.dumps(v, ensure_ascii=False) (transformers' tojson). */
char *ct_tojson(ct_ctx *c, const ct_node *at, const json_t *v, size_t *len);
json_t *ct_string(const char *s, size_t n);   /* a json string of n bytes */
/* Code points of UTF-8 s. */
size_t ct_utf8_count(const char *s, size_t n);

/* Built-ins over evaluated operands: filter n->s of v with arguments a;
   test t of v (arg: its argument, may be NULL); method n->s2 of obj; global
   function name. */
json_t *ct_filter_apply(ct_ctx *c, const ct_node *n, json_t *v, json_t **a, int na);
int ct_test_apply(ct_ctx *c, const ct_node *n, const char *t, json_t *v, json_t *arg);
json_t *ct_method(ct_ctx *c, const ct_node *n, json_t *obj, json_t **args, int nargs);
json_t *ct_global(ct_ctx *c, const ct_node *n, const char *name, json_t **args, int nargs);
json_t *ct_slice(ct_ctx *c, const ct_node *n, json_t *obj, json_t *a, json_t *b, json_t *step);

/* Python's str.strip (which: 1 left, 2 right, 3 both; chars NULL: Python's
   whitespace), lower/upper/title/capitalize (mode 0..3), replace (count < 0: all). */
json_t *ct_strip(const json_t *s, const json_t *chars, int which);
json_t *ct_case(const json_t *s, int mode);
json_t *ct_replace(const json_t *s, const json_t *old, const json_t *new_, json_int_t count);

/* Statements */
void ct_exec(ct_ctx *c, const ct_node *n);
#endif
