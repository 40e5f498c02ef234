/* chat_tokenize: a conversation into ids, as apply_chat_template(messages,
   tokenize=True) makes them: the render tokenized with add_special_tokens
   off (the template wrote them); and the labels of --assistant-only-loss.

   The assistant span of message i (docs/chat.md): inside its turn (the
   output written while a loop stood on messages[i]), from the end of the
   turn's header to the end of the turn's last special token.  The header is
   the role name, the special tokens right after it and the line breaks after
   those, but never past the first character that depends on the message's
   content (found by rendering once more with the content replaced by a
   marker).  Tokens are labelled when they overlap a span; their character
   offsets come from their bytes, so this needs a tokenizer whose tokens spell
   the text (byte-level BPE: GPT-2, Llama 3, Qwen). */
#define _GNU_SOURCE   /* memmem */
#include "chat_tokenize.h"
#include "util.h"
#include <string.h>

struct ft_chat_encoder {
    const ft_chat_config *c;
    const ft_tokenizer *t;
    ft_tok_scratch *s;
    char **special;             /* texts of the special added tokens */
    size_t *special_len, nspecial;
};

ft_chat_encoder *ft_chat_encoder_new(const ft_chat_config *c, const ft_tokenizer *t)
{
    ft_chat_encoder *e = ft_xcalloc(1, sizeof *e);
    e->c = c;
    e->t = t;
    e->s = ft_tok_scratch_new();
    int n = ft_tok_vocab_size(t);
    for (int id = 0; id < n; id++) {
        size_t len;
        const char *s = ft_tok_is_special(t, id) ? ft_tok_id_to_token(t, id, &len) : NULL;
        if (!s || !len) continue;
        e->special = ft_xrealloc(e->special, (e->nspecial + 1) * sizeof *e->special);
        e->special_len = ft_xrealloc(e->special_len, (e->nspecial + 1) * sizeof *e->special_len);
        e->special[e->nspecial] = ft_xmalloc(len + 1);
        memcpy(e->special[e->nspecial], s, len);
        e->special[e->nspecial][len] = 0;
        e->special_len[e->nspecial++] = len;
    }
    return e;
}

void ft_chat_encoder_free(ft_chat_encoder *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->nspecial; i++) free(e->special[i]);
    free(e->special);
    free(e->special_len);
    ft_tok_scratch_free(e->s);
    free(e);
}

/* Length of the special token at s (n bytes left), 0 if none starts there. */
static size_t special_at(const ft_chat_encoder *e, const char *s, size_t n)
{
    size_t best = 0;
    for (size_t i = 0; i < e->nspecial; i++)
        if (e->special_len[i] <= n && e->special_len[i] > best && !memcmp(s, e->special[i], e->special_len[i]))
            best = e->special_len[i];
    return best;
}

/* Where message i's content first changes its turn: the common prefix of
   the turn and the turn rendered with the content replaced by a marker. */
static size_t content_start(ft_chat_encoder *ce, json_t *messages, json_t *extra, int gen, size_t i,
                            const ft_chat_render *r, char **err)
{
    /* a shallow copy of the list with message i alone copied: the others
       are shared, unchanged */
    json_t *copy = json_copy(messages), *m = json_copy(json_array_get(messages, i));
    json_array_set_new(copy, i, m);
    const char *content = json_string_value(json_object_get(m, "content"));
    json_object_set_new(m, "content", json_string(content && content[0] == 1 ? "\002" : "\001"));
    ft_chat_render p;
    size_t a = r->turn[i].start, k = 0;
    if (ft_chat_render_messages(ce->c, copy, extra, gen, &p, err)) { json_decref(copy); return (size_t)-1; }
    json_decref(copy);
    if (p.turn[i].start == a)
        while (a + k < r->turn[i].end && a + k < p.turn[i].end && r->text[a + k] == p.text[a + k]) k++;
    ft_chat_render_free(&p);
    return a + k;
}

/* The span of assistant message i within its turn (see the top). */
static int assistant_span(ft_chat_encoder *ce, json_t *messages, json_t *extra, int gen, size_t i,
                          const ft_chat_render *r, ft_chat_span *out, char **err)
{
    const char *text = r->text;
    size_t a = r->turn[i].start, b = r->turn[i].end;
    const char *role = json_string_value(json_object_get(json_array_get(messages, i), "role"));
    const char *hit = memmem(text + a, b - a, role, strlen(role));
    size_t h = hit ? (size_t)(hit - text) + strlen(role) : a, k;
    while (h < b && (k = special_at(ce, text + h, b - h))) h += k;
    while (h < b && (text[h] == '\n' || text[h] == '\r')) h++;
    size_t cs = content_start(ce, messages, extra, gen, i, r, err);
    if (cs == (size_t)-1) return -1;
    if (cs < h) h = cs;
    size_t e = b;
    for (size_t p = h, last = 0; p < b; p++)
        if ((k = special_at(ce, text + p, b - p))) { last = p + k; e = last; p += k - 1; }
    out->start = h;
    out->end = e;
    return 0;
}

/* The character ranges (bytes of r->text) that --assistant-only-loss
   labels: {% generation %} blocks when the template has them, else each
   assistant message's span (docs/chat.md).  Returns the count; *out malloc'd. */
static size_t assistant_spans(ft_chat_encoder *ce, json_t *messages, json_t *extra, int gen,
                              const ft_chat_render *r, ft_chat_span **out, char **err)
{
    *err = NULL;
    if (r->ngen) {
        *out = ft_xmalloc(r->ngen * sizeof **out);
        memcpy(*out, r->gen, r->ngen * sizeof **out);
        return r->ngen;
    }
    *out = ft_xmalloc((r->nmsg + 1) * sizeof **out);
    size_t n = 0;
    for (size_t i = 0; i < r->nmsg; i++) {
        const char *role = json_string_value(json_object_get(json_array_get(messages, i), "role"));
        if (!role || strcmp(role, "assistant") || r->turn[i].end <= r->turn[i].start) continue;
        if (assistant_span(ce, messages, extra, gen, i, r, &(*out)[n], err)) return 0;
        n++;
    }
    return n;
}

/* Labels: ids of the tokens that overlap a span, -100 elsewhere. */
static int mask_labels(ft_chat_encoder *ce, const ft_chat_render *r, const ft_chat_span *sp, size_t nsp,
                       const ft_encoding *e, int32_t *labels, char **err)
{
    size_t off = 0, s = 0;
    for (size_t k = 0; k < e->n; k++) {
        size_t len;
        const char *tok = ft_tok_id_to_token(ce->t, e->ids[k], &len);
        if (!tok || off + len > r->len || memcmp(r->text + off, tok, len)) {
            *err = ft_xasprintf("--assistant-only-loss: the tokens do not spell the rendered text at byte %zu "
                                "(it needs a byte-level BPE tokenizer: GPT-2, Llama 3, Qwen)", off);
            return -1;
        }
        while (s < nsp && sp[s].end <= off) s++;
        labels[k] = s < nsp && sp[s].start < off + len && sp[s].end > off ? e->ids[k] : -100;
        off += len;
    }
    return 0;
}

int ft_chat_encode(ft_chat_encoder *ce, json_t *messages, json_t *extra, int gen, int assistant_only,
                   ft_encoding *e, int32_t **labels, char **err)
{
    ft_chat_render r;
    if (ft_chat_render_messages(ce->c, messages, extra, gen, &r, err)) return -1;
    ft_tok_opts o = {.add_special_tokens = 0};
    const char *terr;
    if (ft_tok_encode(ce->t, ce->s, r.text, r.len, NULL, 0, &o, e, &terr)) {
        *err = ft_xasprintf("the render: %s", terr);
        ft_chat_render_free(&r);
        return -1;
    }
    *labels = ft_xrealloc(*labels, (e->n + 1) * sizeof **labels);
    int rc = 0;
    if (assistant_only) {
        ft_chat_span *sp;
        size_t nsp = assistant_spans(ce, messages, extra, gen, &r, &sp, err);
        rc = *err ? -1 : mask_labels(ce, &r, sp, nsp, e, *labels, err);
        free(sp);
    } else {
        memcpy(*labels, e->ids, e->n * sizeof **labels);
    }
    ft_chat_render_free(&r);
    return rc;
}
