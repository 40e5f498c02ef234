#include "json_line.h"
#include "utf8.h"
#include <string.h>

typedef struct { const char *p, *end; } cur;

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        *v <<= 4;
        if (h >= '0' && h <= '9') *v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f') *v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') *v |= (unsigned)(h - 'A' + 10);
        else return 0;
    }
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 63)); o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 63));
    o[2] = (char)(0x80 | (cp >> 6 & 63)); o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* A string at c->p (just after its opening quote).  Sets *s, *len: the raw
   bytes when there is no escape, else an unescaped copy in the arena. */
static int string(cur *c, ft_arena *a, const char **s, size_t *len)
{
    const char *b = c->p;
    int escaped = 0;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20) return 0;                     /* jansson refuses raw controls */
        if (ch == '\\') { escaped = 1; if (++c->p == c->end) return 0; }
        c->p++;
    }
    if (c->p == c->end) return 0;
    size_t raw = (size_t)(c->p - b), bad;
    c->p++;                                          /* the closing quote */
    if (!ft_utf8_valid(b, raw, &bad)) return 0;      /* escapes are ASCII: raw validity suffices */
    char *o = ft_arena_alloc(a, raw + 1);       /* the record outlives the line buffer */
    if (!escaped) { memcpy(o, b, raw); o[raw] = 0; *s = o; *len = raw; return 1; }
    size_t n = 0;
    for (const char *p = b, *e = b + raw; p < e;) {
        if (*p != '\\') { o[n++] = *p++; continue; }
        p++;
        switch (*p++) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (e - p < 4 || !hex4(p, &cp)) return 0;
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return 0;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return 0;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(o + n, cp);   /* never longer than the 6 or 12 bytes it replaces */
            break;
        }
        default: return 0;
        }
    }
    o[n] = 0;
    *s = o;
    *len = n;
    return 1;
}

/* An integer as JSON writes it; reals, -0 and anything long go to jansson. */
static int integer(cur *c, int64_t *v)
{
    const char *p = c->p;
    int neg = *p == '-';
    if (neg) p++;
    const char *d = p;
    int64_t x = 0;
    for (; p < c->end && *p >= '0' && *p <= '9'; p++)   /* 19 digits and more go to jansson */
        if (p - d < 18) x = x * 10 + (*p - '0');
    size_t nd = (size_t)(p - d);
    if (!nd || nd > 18 || (nd > 1 && *d == '0') || (neg && x == 0)) return 0;
    if (p < c->end && (*p == '.' || *p == 'e' || *p == 'E')) return 0;
    c->p = p;
    *v = neg ? -x : x;
    return 1;
}

static int word(cur *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n)) return 0;
    c->p += n;
    return 1;
}

int ft_json_line_fast(ft_record *rec, const char *s, size_t n)
{
    cur c = {s, s + n};
    ws(&c);
    if (c.p == c.end || *c.p++ != '{') return 0;
    ws(&c);
    if (c.p < c.end && *c.p == '}') { c.p++; goto end; }
    for (;;) {
        const char *k;
        size_t klen;
        if (c.p == c.end || *c.p++ != '"' || !string(&c, &rec->arena, &k, &klen)) return 0;
        if (memchr(k, 0, klen)) return 0;
        for (size_t i = 0; i < rec->n; i++)      /* jansson keeps the last of duplicates */
            if (rec->fields[i].klen == klen && !memcmp(rec->fields[i].key, k, klen)) return 0;
        ws(&c);
        if (c.p == c.end || *c.p++ != ':') return 0;
        ws(&c);
        if (c.p == c.end) return 0;
        ft_value v = {0};
        char ch = *c.p;
        if (ch == '"') {
            c.p++;
            v.type = FT_V_STR;
            if (!string(&c, &rec->arena, &v.str.s, &v.str.len)) return 0;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            v.type = FT_V_INT;
            if (!integer(&c, &v.i)) return 0;
        } else if (word(&c, "true", 4)) { v.type = FT_V_BOOL; v.b = 1; }
        else if (word(&c, "false", 5)) { v.type = FT_V_BOOL; v.b = 0; }
        else if (word(&c, "null", 4)) v.type = FT_V_NIL;
        else return 0;
        *ft_record_add(rec, k, klen) = v;
        ws(&c);
        if (c.p == c.end) return 0;
        if (*c.p == ',') { c.p++; ws(&c); continue; }
        if (*c.p++ == '}') break;
        return 0;
    }
end:
    ws(&c);
    return c.p == c.end;
}
