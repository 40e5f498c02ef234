/* chat_lex: a chat template into tokens, with Jinja's whitespace rules as
   transformers configures them: "{%-"/"-%}" (and the same on {{ }} and
   {# #}) strip all whitespace on that side; trim_blocks drops the first
   newline after a block or comment tag; lstrip_blocks drops the spaces and
   tabs between the start of a line and a block or comment tag; a single
   trailing newline of the template is dropped (keep_trailing_newline=False). */
#include "chat_internal.h"
#include "util.h"
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

typedef struct lexer {
    const char *src;
    size_t n, pos;
    ct_token *t;
    size_t nt, cap;
    char *err;
} lexer;

static void where(const lexer *L, size_t pos, int *line, int *col)
{
    *line = 1; *col = 1;
    for (size_t i = 0; i < pos && i < L->n; i++) {
        if (L->src[i] == '\n') { (*line)++; *col = 1; }
        else if (((unsigned char)L->src[i] & 0xC0) != 0x80) (*col)++;
    }
}

__attribute__((format(printf, 3, 4)))
static int lfail(lexer *L, size_t pos, const char *fmt, ...)
{
    int line, col;
    where(L, pos, &line, &col);
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!L->err) L->err = ft_xasprintf("%d:%d: %s", line, col, msg);
    return -1;
}

static ct_token *push(lexer *L, ct_kind k, size_t pos, const char *s, size_t len)
{
    if (L->nt == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 256;
        L->t = ft_xrealloc(L->t, L->cap * sizeof *L->t);
    }
    ct_token *t = &L->t[L->nt++];
    memset(t, 0, sizeof *t);
    t->kind = k;
    where(L, pos, &t->line, &t->col);
    if (s) {
        t->s = ft_xmalloc(len + 1);
        memcpy(t->s, s, len);
        t->s[len] = 0;
        t->len = len;
    }
    return t;
}

static int lex_string(lexer *L)
{
    char q = L->src[L->pos];
    size_t start = L->pos++;
    char *buf = ft_xmalloc(L->n - L->pos + 1);
    size_t len = 0;
    while (L->pos < L->n && L->src[L->pos] != q) {
        char ch = L->src[L->pos++];
        if (ch == '\\' && L->pos < L->n) {
            char e = L->src[L->pos++];
            switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'v': ch = '\v'; break;
            case '\\': case '\'': case '"': ch = e; break;
            default: free(buf); return lfail(L, L->pos - 2, "string escape \\%c is not supported", e);
            }
        }
        buf[len++] = ch;
    }
    if (L->pos >= L->n) { free(buf); return lfail(L, start, "unterminated string"); }
    L->pos++;
    ct_token *t = push(L, CT_STRING, start, buf, len);
    free(buf);
    (void)t;
    return 0;
}

static int lex_number(lexer *L)
{
    size_t start = L->pos;
    while (L->pos < L->n && isdigit((unsigned char)L->src[L->pos])) L->pos++;
    int is_float = 0;
    if (L->pos + 1 < L->n && L->src[L->pos] == '.' && isdigit((unsigned char)L->src[L->pos + 1])) {
        is_float = 1;
        L->pos++;
        while (L->pos < L->n && isdigit((unsigned char)L->src[L->pos])) L->pos++;
    }
    ct_token *t = push(L, is_float ? CT_FLOAT : CT_INT, start, L->src + start, L->pos - start);
    if (is_float) t->f = strtod(t->s, NULL);
    else t->i = strtoll(t->s, NULL, 10);
    return 0;
}

static const char *const ops2[] = {"//", "**", "==", "!=", "<=", ">=", NULL};
static const char ops1[] = "+-*/%~|.,:()[]{}<>=";

/* The inside of a tag up to its closing "}}" or "%}" (close); *trim_after:
   the close had "-". */
static int lex_tag(lexer *L, char close, int *trim_after)
{
    for (;;) {
        while (L->pos < L->n && isspace((unsigned char)L->src[L->pos])) L->pos++;
        if (L->pos >= L->n) return lfail(L, L->pos, "tag not closed");
        const char *p = L->src + L->pos;
        size_t left = L->n - L->pos;
        if (left >= 3 && p[0] == '-' && p[1] == close && p[2] == '}') { *trim_after = 1; L->pos += 3; return 0; }
        if (left >= 2 && p[0] == close && p[1] == '}') { *trim_after = 0; L->pos += 2; return 0; }
        if (left >= 3 && p[0] == '+' && p[1] == close && p[2] == '}')
            return lfail(L, L->pos, "\"+%c}\" (keep whitespace) is not supported", close);
        if (*p == '\'' || *p == '"') { if (lex_string(L)) return -1; continue; }
        if (isdigit((unsigned char)*p)) { lex_number(L); continue; }
        if (isalpha((unsigned char)*p) || *p == '_') {
            size_t s = L->pos;
            while (L->pos < L->n && (isalnum((unsigned char)L->src[L->pos]) || L->src[L->pos] == '_')) L->pos++;
            push(L, CT_NAME, s, L->src + s, L->pos - s);
            continue;
        }
        int matched = 0;
        for (int i = 0; ops2[i] && !matched; i++)
            if (left >= 2 && !memcmp(p, ops2[i], 2)) { push(L, CT_OP, L->pos, p, 2); L->pos += 2; matched = 1; }
        if (matched) continue;
        if (strchr(ops1, *p)) { push(L, CT_OP, L->pos, p, 1); L->pos++; continue; }
        return lfail(L, L->pos, "unexpected character '%c' in a tag", *p);
    }
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Text from L->pos to the next tag start at tag (or the end): whitespace
   control applied, pushed when not empty. */
static void text_before(lexer *L, size_t tag, int strip_lead, int strip_trail, int lstrip_line)
{
    size_t a = L->pos, b = tag;
    if (strip_lead) while (a < b && is_ws(L->src[a])) a++;
    if (strip_trail) while (b > a && is_ws(L->src[b - 1])) b--;
    else if (lstrip_line) {
        size_t k = b;
        while (k > a && (L->src[k - 1] == ' ' || L->src[k - 1] == '\t')) k--;
        /* only when the tag opens its line (or the template) */
        if (k == 0 || L->src[k - 1] == '\n' || (k == a && a > 0 && L->src[a - 1] == '\n')) b = k;
    }
    if (b > a) push(L, CT_TEXT, a, L->src + a, b - a);
}

/* The next tag's start at or after from, and its kind ('{', '%', '#'); n if none. */
static size_t next_tag(const lexer *L, size_t from, char *kind)
{
    for (size_t i = from; i + 1 < L->n; i++)
        if (L->src[i] == '{' && (L->src[i + 1] == '{' || L->src[i + 1] == '%' || L->src[i + 1] == '#')) {
            *kind = L->src[i + 1];
            return i;
        }
    return L->n;
}

static int lex_comment(lexer *L, size_t tag, int *trim_after)
{
    const char *e = NULL;
    for (size_t i = L->pos; i + 1 < L->n; i++)
        if (L->src[i] == '#' && L->src[i + 1] == '}') { e = L->src + i; break; }
    if (!e) return lfail(L, tag, "comment not closed");
    *trim_after = e > L->src + L->pos && e[-1] == '-';
    L->pos = (size_t)(e - L->src) + 2;
    return 0;
}

ct_token *ct_lex(const char *src, size_t *ntok, char **err)
{
    lexer L = {.src = src, .n = strlen(src)};
    if (L.n && src[L.n - 1] == '\n') L.n--;
    int strip_lead = 0;
    while (L.pos < L.n) {
        char kind = 0;
        size_t tag = next_tag(&L, L.pos, &kind);
        int minus = tag + 2 < L.n && src[tag + 2] == '-';
        text_before(&L, tag, strip_lead, minus, kind == '%' || kind == '#');
        if (tag >= L.n) break;
        L.pos = tag + 2 + (size_t)minus;
        if (L.pos < L.n && src[L.pos] == '+' && kind != '{') { lfail(&L, tag, "\"{%c+\" (no lstrip) is not supported", kind); break; }
        int trim_after = 0;
        if (kind == '#') {
            if (lex_comment(&L, tag, &trim_after)) break;
        } else {
            push(&L, kind == '{' ? CT_VAR_BEGIN : CT_BLOCK_BEGIN, tag, NULL, 0);
            if (lex_tag(&L, kind == '{' ? '}' : '%', &trim_after)) break;
            push(&L, kind == '{' ? CT_VAR_END : CT_BLOCK_END, L.pos - 2, NULL, 0);
        }
        strip_lead = trim_after;
        if (!trim_after && kind != '{' && L.pos < L.n && src[L.pos] == '\n') L.pos++;   /* trim_blocks */
    }
    if (L.err) { ct_tokens_free(L.t, L.nt); *err = L.err; return NULL; }
    push(&L, CT_EOF, L.n, NULL, 0);
    *ntok = L.nt;
    return L.t;
}

void ct_tokens_free(ct_token *t, size_t n)
{
    for (size_t i = 0; i < n; i++) free(t[i].s);
    free(t);
}
