/* lib/tok/chat_template: the Jinja subset on small templates (whitespace
   rules, loops, namespace, slicing, filters, tojson), its refusals by name and
   line:column, and the spans it records.  The real templates are checked
   against jinja2 and @huggingface/jinja by tests/ref/chat.sh. */
#include "chat_template.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>

/* Render src with vars (JSON text); the text, or "ERR:" + the message. */
static char *render(const char *src, const char *vars)
{
    char *err = NULL;
    ft_chat_template *t = ft_chat_template_parse(src, &err);
    if (!t) { char *s = malloc(strlen(err) + 5); strcpy(s, "ERR:"); strcat(s, err); free(err); return s; }
    json_t *v = json_loads(vars, 0, NULL);
    ft_chat_render r;
    char *out;
    if (ft_chat_template_render(t, v, &r, &err)) {
        out = malloc(strlen(err) + 5); strcpy(out, "ERR:"); strcat(out, err); free(err);
    } else {
        out = strdup(r.text);
        ft_chat_render_free(&r);
    }
    json_decref(v);
    ft_chat_template_free(t);
    return out;
}

static int renders(const char *src, const char *vars, const char *want)
{
    char *got = render(src, vars);
    int ok = !strcmp(got, want);
    if (!ok) fprintf(stderr, "  template %s\n  want [%s]\n  got  [%s]\n", src, want, got);
    free(got);
    return ok;
}

static int refuses(const char *src, const char *vars, const char *part)
{
    char *got = render(src, vars);
    int ok = !strncmp(got, "ERR:", 4) && strstr(got, part);
    if (!ok) fprintf(stderr, "  template %s\n  want an error with [%s]\n  got  [%s]\n", src, part, got);
    free(got);
    return ok;
}

static void test_whitespace(void)
{
    CHECK(renders("a  {{- 'b' -}}  c", "{}", "abc"));
    CHECK(renders("{% if true %}\nx\n{% endif %}\ny", "{}", "x\ny"));          /* trim_blocks */
    CHECK(renders("a\n    {% if true %}b{% endif %}", "{}", "a\nb"));          /* lstrip_blocks */
    CHECK(renders("a {{ 'b' }}\n", "{}", "a b"));                              /* trailing newline dropped */
    CHECK(renders("{# c #}\nx", "{}", "x"));
}

static void test_expressions(void)
{
    CHECK(renders("{{ 'a' + x | trim + 'c' }}", "{\"x\": \"  b \"}", "abc"));
    CHECK(renders("{{ [1, 2, 3][::-1] | tojson }}", "{}", "[3, 2, 1]"));
    CHECK(renders("{{ 'héllo'[1:3] }}{{ 'abc'[-1] }}", "{}", "élc"));
    CHECK(renders("{{ {'a': 'é', 'b': [true, none]} | tojson }}", "{}", "{\"a\": \"é\", \"b\": [true, null]}"));
    CHECK(renders("{{ 'x</t>y'.split('</t>')[-1].lstrip('\\n') }}", "{}", "y"));
    CHECK(renders("{{ ' a b '.split() | join(',') }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 1 ~ 2 }}", "{}", "a,b 3 2 12"));
    CHECK(renders("{{ x is defined }} {{ y is not none }} {{ 'b' in 'abc' }} {{ 2 not in [1] }}", "{\"y\": 1}",
                  "False True True True"));
    CHECK(renders("{{ z | default('d') }} {{ 'a' if false else 'b' }} {{ 'ab'.upper() }}", "{}", "d b AB"));
}

static void test_statements(void)
{
    CHECK(renders("{% for m in ms %}{{ loop.index }}{{ m.r }}{% if not loop.last %},{% endif %}{% endfor %}",
                  "{\"ms\": [{\"r\": \"a\"}, {\"r\": \"b\"}]}", "1a,2b"));
    CHECK(renders("{% set ns = namespace(n=0) %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}",
                  "{}", "6"));
    CHECK(renders("{% set v = 1 %}{% for x in [5] %}{% set v = x %}{% endfor %}{{ v }}", "{}", "1"));   /* loop scope */
    CHECK(renders("{% for x in [1, 2, 3] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{}", "1"));
    CHECK(renders("{% if x %}a{% elif y %}b{% else %}c{% endif %}", "{\"y\": 1}", "b"));
}

static void test_refusals(void)
{
    CHECK(refuses("ab\n  {% macro f() %}{% endmacro %}", "{}", "2:6: statement 'macro' is not supported"));
    CHECK(refuses("{{ x | wordcount }}", "{\"x\": \"a\"}", "1:8: filter 'wordcount' is not supported"));
    CHECK(refuses("{{ 'a'.zfill(3) }}", "{}", "string method 'zfill' is not supported"));
    CHECK(refuses("{{ raise_exception('no system') }}", "{}", "raise_exception: no system"));
    CHECK(refuses("{% for x in y if x %}{% endfor %}", "{}", "loop filters"));
    CHECK(refuses("{% if x %}", "{}", "missing '{% endif %}'"));
    CHECK(refuses("{{ [1] }}", "{}", "printing a list"));
    CHECK(refuses("{{ x + 1 }}", "{}", "'+'"));
}

static void test_spans(void)
{
    const char *src = "{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}{% generation %}"
                      "{{ m.content }}</s>{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}";
    char *err = NULL;
    ft_chat_template *t = ft_chat_template_parse(src, &err);
    CHECK(t != NULL);
    json_t *v = json_loads("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
                           " {\"role\": \"assistant\", \"content\": \"yo\"}]}", 0, NULL);
    ft_chat_render r;
    CHECK(ft_chat_template_render(t, v, &r, &err) == 0);
    CHECK(!strcmp(r.text, "<user>hi<assistant>yo</s>"));
    CHECK(r.nmsg == 2 && r.turn[0].start == 0 && r.turn[0].end == 8 && r.turn[1].start == 8 && r.turn[1].end == 25);
    CHECK(r.ngen == 1 && r.gen[0].start == 19 && r.gen[0].end == 25);
    ft_chat_render_free(&r);
    json_decref(v);
    ft_chat_template_free(t);
}

int main(void)
{
    RUN(test_whitespace);
    RUN(test_expressions);
    RUN(test_statements);
    RUN(test_refusals);
    RUN(test_spans);
    TEST_MAIN_END();
}
