#define _GNU_SOURCE
/* tok_load: build an ft_tokenizer from a model directory, as AutoTokenizer
   picks files: tokenizer.json, else vocab.txt (BERT), else vocab.json +
   merges.txt (GPT-2 / RoBERTa byte-level BPE).  Every error names the file
   and the JSON path or line of the offending entry. */
#include "tok_internal.h"
#include "util.h"
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

/* A load in progress: the file errors name, and the first error.  With
   vocab.json + merges.txt the model is read as one tokenizer.json model, and
   errors in its merges name merges_file instead. */
typedef struct { const char *file, *merges_file; char *err; } ld;

__attribute__((format(printf, 2, 3)))
static int fail(ld *L, const char *fmt, ...)
{
    if (L->err) return -1;
    va_list ap; va_start(ap, fmt);
    char *msg; if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    L->err = ft_xasprintf("%s: %s", L->file, msg ? msg : "error");
    free(msg);
    return -1;
}

/* Undo the byte-level alphabet: "Ġthe" -> " the".  Returns the new length,
   or -1 when s holds a character outside the alphabet (an added token). */
static long unbyte(const char *s, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t cp; int len = ft_utf8_decode(u + i, n - i, &cp);
        int b = len ? tok_cp_to_byte(cp) : -1;
        if (b < 0) return -1;
        out[o++] = (char)b;
        i += len;
    }
    return o;
}

static int add_vocab_entry(ld *L, ft_tokenizer *t, const char *key, size_t n, int id, const char *where)
{
    char *buf = NULL;
    if (t->byte_level) {
        buf = ft_xmalloc(n + 1);
        long m = unbyte(key, n, buf);
        if (m >= 0) { key = buf; n = m; }
    }
    int old;
    if (tok_vocab_add(&t->vocab, key, n, id, &old) < 0 && old != id) {
        /* key may be buf: unterminated, and freed just below */
        fail(L, "%s: token \"%.*s\" has ids %d and %d", where, (int)n, key, old, id);
        free(buf);
        return -1;
    }
    if (buf && key == buf) {            /* remember which ids hold raw bytes, for decoding */
        if ((size_t)id >= t->is_bytes_cap) {
            size_t c = t->is_bytes_cap ? t->is_bytes_cap : 1024;
            while (c <= (size_t)id) c *= 2;
            t->is_bytes = ft_xrealloc(t->is_bytes, c);
            memset(t->is_bytes + t->is_bytes_cap, 0, c - t->is_bytes_cap);
            t->is_bytes_cap = c;
        }
        t->is_bytes[id] = 1;
    }
    free(buf);
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
static int jbool(json_t *o, const char *k, int dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* The stages of tokenizer.json's pipeline (normalizer, pre_tokenizer,
   post_processor, decoder) share a frame: null is no stage, every node has a
   "type", and a "Sequence" lists stages of its kind under `list`, each loaded
   by fn.  Returns the node's type for the caller to load, or NULL when there
   is nothing left to do (*rc: 0, or -1 on failure). */
typedef int (*stage_fn)(ld *L, ft_tokenizer *t, json_t *n, const char *path);
static const char *stage_type(ld *L, ft_tokenizer *t, json_t *n, const char *path, const char *list,
                              stage_fn fn, int *rc)
{
    *rc = 0;
    if (!n || json_is_null(n)) return NULL;
    const char *type = jstr(n, "type");
    if (!type) { *rc = fail(L, "%s: no \"type\"", path); return NULL; }
    if (strcmp(type, "Sequence") != 0) return type;
    size_t i; json_t *x;
    json_array_foreach(json_object_get(n, list), i, x) {
        char p[256]; snprintf(p, sizeof p, "%s.%s[%zu]", path, list, i);
        if (fn(L, t, x, p)) { *rc = -1; return NULL; }
    }
    return NULL;
}

static int load_norm(ld *L, ft_tokenizer *t, json_t *n, const char *path)
{
    int rc;
    const char *type = stage_type(L, t, n, path, "normalizers", load_norm, &rc);
    if (!type) return rc;
    tok_norm nm = {0};
    if (!strcmp(type, "BertNormalizer")) {
        nm.kind = NORM_BERT;
        nm.clean_text = jbool(n, "clean_text", 1);
        nm.chinese = jbool(n, "handle_chinese_chars", 1);
        nm.lowercase = jbool(n, "lowercase", 1);
        /* strip_accents null means "follow lowercase" */
        nm.strip_accents = jbool(n, "strip_accents", nm.lowercase);
    } else if (!strcmp(type, "NFC")) nm.kind = NORM_NFC;
    else if (!strcmp(type, "NFD")) nm.kind = NORM_NFD;
    else if (!strcmp(type, "NFKC")) nm.kind = NORM_NFKC;
    else if (!strcmp(type, "NFKD")) nm.kind = NORM_NFKD;
    else if (!strcmp(type, "Lowercase")) nm.kind = NORM_LOWER;
    else if (!strcmp(type, "StripAccents")) nm.kind = NORM_STRIP_ACCENTS;
    else if (!strcmp(type, "Strip")) {
        nm.kind = NORM_STRIP; nm.left = jbool(n, "strip_left", 1); nm.right = jbool(n, "strip_right", 1);
    } else if (!strcmp(type, "Prepend")) {
        nm.kind = NORM_PREPEND;
        const char *p = jstr(n, "prepend");
        if (!p) return fail(L, "%s: Prepend without \"prepend\"", path);
        nm.content = ft_xstrdup(p);
    } else if (!strcmp(type, "Replace")) {
        nm.kind = NORM_REPLACE;
        json_t *pat = json_object_get(n, "pattern");
        const char *lit = jstr(pat, "String"), *c = jstr(n, "content");
        if (!lit) return fail(L, "%s: Replace with a Regex pattern is not supported", path);
        if (!c) return fail(L, "%s: Replace without \"content\"", path);
        nm.pat = ft_xstrdup(lit); nm.content = ft_xstrdup(c);
    } else if (!strcmp(type, "Precompiled")) {
        nm.kind = NORM_PRECOMPILED;
        const char *b = jstr(n, "precompiled_charsmap");
        if (!b) return fail(L, "%s: Precompiled without \"precompiled_charsmap\"", path);
        if (tok_precompiled_load(&nm, b)) return fail(L, "%s.precompiled_charsmap: malformed", path);
    } else return fail(L, "%s: normalizer type \"%s\" is not supported", path, type);
    t->norms = ft_xrealloc(t->norms, (t->n_norms + 1) * sizeof *t->norms);
    t->norms[t->n_norms++] = nm;
    return 0;
}

/* Split: a literal or a regex with any of the crate's behaviours, and
   invert.  The GPT-2 regex, isolated, goes to the hand-written scanner
   (tok_pretok.c); any other regex to Oniguruma, which refuses what it
   cannot compile with its own message. */
static int load_split(ld *L, tok_pre *p, json_t *n, const char *path)
{
    static const char gpt2_re[] =
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    static const char *behs[] = { "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous" };
    json_t *pat = json_object_get(n, "pattern");
    json_t *lit = json_object_get(pat, "String"), *re = json_object_get(pat, "Regex");
    const char *beh = jstr(n, "behavior");
    int b = -1;
    for (int i = 0; i < 5; i++) if (beh && !strcmp(beh, behs[i])) b = i;
    if (b < 0) return fail(L, "%s: Split behavior \"%s\" is not one of Removed, Isolated, "
                           "MergedWithPrevious, MergedWithNext, Contiguous", path, beh ? beh : "(none)");
    p->kind = PRE_SPLIT; p->behavior = b; p->invert = jbool(n, "invert", 0);
    if (json_is_string(lit) && json_string_length(lit)) {
        p->lit = ft_xmemdup(json_string_value(lit), json_string_length(lit));
        p->lit_len = json_string_length(lit);
        return 0;
    }
    /* the crate escapes a literal into a regex: an empty one matches the
       empty string everywhere, as the empty regex does */
    if (!json_is_string(re) && !json_is_string(lit)) return fail(L, "%s: Split needs a pattern {\"String\": ...} or {\"Regex\": ...}", path);
    const char *rs = json_is_string(re) ? json_string_value(re) : "";
    size_t rn = json_is_string(re) ? json_string_length(re) : 0;
    if (!strcmp(rs, gpt2_re) && b == SPLIT_ISOLATED && !p->invert) { p->kind = PRE_SPLIT_GPT2; return 0; }
    char *err = NULL;
    if (!(p->re = ft_regex_new(rs, rn, FT_REGEX_ONIG, &err))) {
        fail(L, "%s.pattern.Regex: \"%s\" does not compile: %s", path, rs, err);
        free(err);
        return -1;
    }
    return 0;
}

static int load_pre(ld *L, ft_tokenizer *t, json_t *n, const char *path)
{
    int rc;
    const char *type = stage_type(L, t, n, path, "pretokenizers", load_pre, &rc);
    if (!type) return rc;
    tok_pre p = {0};
    if (!strcmp(type, "BertPreTokenizer")) p.kind = PRE_BERT;
    else if (!strcmp(type, "ByteLevel")) {
        p.kind = PRE_BYTELEVEL;
        p.add_prefix_space = jbool(n, "add_prefix_space", 1);
        p.use_regex = jbool(n, "use_regex", 1);
        t->byte_level = 1;
    } else if (!strcmp(type, "Whitespace")) p.kind = PRE_WHITESPACE;
    else if (!strcmp(type, "WhitespaceSplit")) p.kind = PRE_WHITESPACE_SPLIT;
    else if (!strcmp(type, "Digits")) { p.kind = PRE_DIGITS; p.individual_digits = jbool(n, "individual_digits", 0); }
    else if (!strcmp(type, "Punctuation")) {
        const char *b = jstr(n, "behavior");
        if (b && strcmp(b, "Isolated")) return fail(L, "%s: Punctuation behavior \"%s\" is not supported", path, b);
        p.kind = PRE_PUNCT;
    } else if (!strcmp(type, "Metaspace")) {
        p.kind = PRE_METASPACE;
        const char *r = jstr(n, "replacement");
        if (!r || strlen(r) >= sizeof p.repl) return fail(L, "%s: Metaspace needs a short \"replacement\"", path);
        strcpy(p.repl, r); p.repl_len = strlen(r);
        const char *scheme = jstr(n, "prepend_scheme");
        p.prepend = scheme ? (!strcmp(scheme, "always") ? 1 : !strcmp(scheme, "first") ? 2 : 0)
                           : jbool(n, "add_prefix_space", 1);
        p.split = jbool(n, "split", 1);
    } else if (!strcmp(type, "Split")) {
        if (load_split(L, &p, n, path)) return -1;
    } else return fail(L, "%s: pre-tokenizer type \"%s\" is not supported", path, type);
    t->pres = ft_xrealloc(t->pres, (t->n_pres + 1) * sizeof *t->pres);
    t->pres[t->n_pres++] = p;
    return 0;
}

static void add_item(tok_template *tp, int seq, int type_id, int nids, const int32_t *ids)
{
    tp->items = ft_xrealloc(tp->items, (tp->n + 1) * sizeof *tp->items);
    tok_item *it = &tp->items[tp->n++];
    it->seq = seq; it->type_id = type_id; it->nids = nids;
    it->ids = nids ? ft_xmalloc(nids * sizeof *ids) : NULL;
    if (nids) memcpy(it->ids, ids, nids * sizeof *ids);
}

/* The BERT and RoBERTa processors are templates too:
   [CLS] A [SEP] (B [SEP]) and <s> A </s> (</s> B </s>). */
static void bert_template(ft_tokenizer *t, int cls, int sep, int roberta)
{
    int32_t c = cls, s = sep;
    add_item(&t->single, -1, 0, 1, &c); add_item(&t->single, 0, 0, 0, NULL); add_item(&t->single, -1, 0, 1, &s);
    add_item(&t->pair, -1, 0, 1, &c); add_item(&t->pair, 0, 0, 0, NULL); add_item(&t->pair, -1, 0, 1, &s);
    if (roberta) add_item(&t->pair, -1, 0, 1, &s);
    add_item(&t->pair, 1, !roberta, 0, NULL); add_item(&t->pair, -1, !roberta, 1, &s);
    t->has_post = 1;
    t->has_type_ids = !roberta;
}

/* A post-processor's special token id must name a token of the vocabulary
   (the crate takes any number; the model's embedding would not). */
static int bad_special_id(ld *L, const ft_tokenizer *t, json_int_t id, const char *path, const char *what)
{
    if (id >= 0 && id < t->vocab.n_ids) return 0;
    return fail(L, "%s: %s has id %lld, outside the vocabulary (ids 0 to %d)", path, what, (long long)id, t->vocab.n_ids - 1);
}

static int load_template_side(ld *L, const ft_tokenizer *t, tok_template *tp, json_t *list, json_t *specials, const char *path)
{
    size_t i; json_t *x;
    json_array_foreach(list, i, x) {
        json_t *sp = json_object_get(x, "SpecialToken"), *sq = json_object_get(x, "Sequence");
        if (sq) {
            const char *id = jstr(sq, "id");
            add_item(tp, id && !strcmp(id, "B") ? 1 : 0, json_integer_value(json_object_get(sq, "type_id")), 0, NULL);
        } else if (sp) {
            const char *id = jstr(sp, "id");
            json_t *def = id ? json_object_get(specials, id) : NULL;
            json_t *ids = json_object_get(def, "ids");
            if (!json_is_array(ids)) return fail(L, "%s[%zu]: special token \"%s\" not in special_tokens", path, i, id ? id : "?");
            size_t k, m = json_array_size(ids);
            int32_t *v = ft_xmalloc((m + 1) * sizeof *v);
            for (k = 0; k < m; k++) {
                json_int_t x = json_integer_value(json_array_get(ids, k));
                char what[128];
                snprintf(what, sizeof what, "[%zu]: special token \"%.40s\"", i, id);
                if (bad_special_id(L, t, x, path, what)) { free(v); return -1; }
                v[k] = (int32_t)x;
            }
            add_item(tp, -1, json_integer_value(json_object_get(sp, "type_id")), m, v);
            free(v);
        } else return fail(L, "%s[%zu]: neither SpecialToken nor Sequence", path, i);
    }
    return 0;
}

static int load_post(ld *L, ft_tokenizer *t, json_t *n, const char *path)
{
    int rc;
    const char *type = stage_type(L, t, n, path, "processors", load_post, &rc);
    if (!type) return rc;
    if (!strcmp(type, "ByteLevel")) return 0;      /* offsets only; ids unchanged */
    if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        json_t *cls = json_object_get(n, "cls"), *sep = json_object_get(n, "sep");
        if (!json_is_array(cls) || !json_is_array(sep)) return fail(L, "%s: needs \"cls\" and \"sep\"", path);
        json_int_t c = json_integer_value(json_array_get(cls, 1)), s = json_integer_value(json_array_get(sep, 1));
        if (bad_special_id(L, t, c, path, "cls") || bad_special_id(L, t, s, path, "sep")) return -1;
        bert_template(t, (int)c, (int)s, type[0] == 'R');
        return 0;
    }
    if (!strcmp(type, "TemplateProcessing")) {
        json_t *sp = json_object_get(n, "special_tokens");
        char p[256];
        snprintf(p, sizeof p, "%s.single", path);
        if (load_template_side(L, t, &t->single, json_object_get(n, "single"), sp, p)) return -1;
        snprintf(p, sizeof p, "%s.pair", path);
        if (load_template_side(L, t, &t->pair, json_object_get(n, "pair"), sp, p)) return -1;
        t->has_post = 1;
        for (int i = 0; i < t->pair.n; i++) if (t->pair.items[i].type_id) t->has_type_ids = 1;
        return 0;
    }
    return fail(L, "%s: post-processor type \"%s\" is not supported", path, type);
}

static int load_decoder(ld *L, ft_tokenizer *t, json_t *n, const char *path)
{
    int rc;
    const char *type = stage_type(L, t, n, path, "decoders", load_decoder, &rc);
    if (!type) return rc;
    tok_dec d = {0};
    if (!strcmp(type, "WordPiece")) {
        const char *pre = jstr(n, "prefix");
        d = (tok_dec){ .kind = DEC_WORDPIECE, .a = ft_xstrdup(pre ? pre : "##"), .cleanup = jbool(n, "cleanup", 1) };
    } else if (!strcmp(type, "ByteLevel")) d.kind = DEC_BYTELEVEL;
    else if (!strcmp(type, "Metaspace")) {
        const char *r = jstr(n, "replacement"), *scheme = jstr(n, "prepend_scheme");
        d = (tok_dec){ .kind = DEC_METASPACE, .a = ft_xstrdup(r ? r : "\xe2\x96\x81"),
                       .prepend = scheme ? strcmp(scheme, "never") != 0 : jbool(n, "add_prefix_space", 1) };
    } else if (!strcmp(type, "BPEDecoder")) {
        const char *suf = jstr(n, "suffix");
        d = (tok_dec){ .kind = DEC_BPE, .a = ft_xstrdup(suf ? suf : "</w>") };
    } else if (!strcmp(type, "ByteFallback")) d.kind = DEC_BYTEFALLBACK;
    else if (!strcmp(type, "Fuse")) d.kind = DEC_FUSE;
    else if (!strcmp(type, "Strip")) {
        const char *c = jstr(n, "content");
        d = (tok_dec){ .kind = DEC_STRIP, .a = ft_xstrdup(c ? c : " "),
                       .start = (int)json_integer_value(json_object_get(n, "start")),
                       .stop = (int)json_integer_value(json_object_get(n, "stop")) };
    } else if (!strcmp(type, "Replace")) {
        const char *lit = jstr(json_object_get(n, "pattern"), "String"), *c = jstr(n, "content");
        if (!lit || !c) return fail(L, "%s: Replace decoder needs a String pattern and a content", path);
        d = (tok_dec){ .kind = DEC_REPLACE, .a = ft_xstrdup(lit), .b = ft_xstrdup(c) };
    } else return fail(L, "%s: decoder type \"%s\" is not supported", path, type);
    tok_add_decoder(t, d);
    return 0;
}

static int build_merges(ld *L, ft_tokenizer *t, size_t n)
{
    uint32_t cap = 1024;
    while (cap < n * 2) cap *= 2;
    t->merges = ft_xmalloc(cap * sizeof *t->merges);
    for (uint32_t i = 0; i < cap; i++) t->merges[i].rank = -1;
    t->merge_mask = cap - 1;
    (void)L;
    return 0;
}

static void insert_merge(ft_tokenizer *t, int32_t a, int32_t b, int32_t rank, int32_t id)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->merge_mask;
    while (t->merges[h].rank >= 0 && t->merges[h].key != key) h = (h + 1) & t->merge_mask;
    t->merges[h].key = key; t->merges[h].rank = rank; t->merges[h].id = id;  /* later wins */
}

/* One merge "a b": both parts and their concatenation must be in the vocab. */
static int add_merge(ld *L, ft_tokenizer *t, const char *a, size_t an, const char *b, size_t bn,
                     int32_t rank, const char *where)
{
    char *buf = ft_xmalloc(an + bn + 1);
    int ia, ib, ic;
    long la = an, lb = bn;
    if (t->byte_level) {
        la = unbyte(a, an, buf); lb = la >= 0 ? unbyte(b, bn, buf + la) : -1;
        if (la < 0 || lb < 0) { free(buf); return fail(L, "%s: \"%.*s %.*s\" is not byte-level text", where, (int)an, a, (int)bn, b); }
    } else { memcpy(buf, a, an); memcpy(buf + an, b, bn); }
    ia = tok_vocab_get(&t->vocab, buf, la);
    ib = tok_vocab_get(&t->vocab, buf + la, lb);
    ic = tok_vocab_get(&t->vocab, buf, la + lb);
    free(buf);
    if (ia < 0 || ib < 0) return fail(L, "%s: \"%.*s\" not in the vocabulary", where, ia < 0 ? (int)an : (int)bn, ia < 0 ? a : b);
    if (ic < 0) return fail(L, "%s: merged token \"%.*s%.*s\" not in the vocabulary", where, (int)an, a, (int)bn, b);
    insert_merge(t, ia, ib, rank, ic);
    return 0;
}

static void finish_bpe(ft_tokenizer *t)
{
    for (int b = 0; b < 256; b++) {
        char c = (char)b, fb[8];
        t->byte_id[b] = t->byte_level ? tok_vocab_get(&t->vocab, &c, 1) : -1;
        if (!t->byte_level && t->byte_fallback) {
            snprintf(fb, sizeof fb, "<0x%02X>", b);
            t->byte_id[b] = tok_vocab_get(&t->vocab, fb, 6);
        }
    }
}

/* Unigram: vocab is a list of [piece, log-probability]; id = position. */
static int load_unigram(ld *L, ft_tokenizer *t, json_t *m)
{
    json_t *vocab = json_object_get(m, "vocab");
    if (!json_is_array(vocab)) return fail(L, "model.vocab: missing or not a list");
    size_t n = json_array_size(vocab), i;
    json_t *x;
    t->model = MODEL_UNIGRAM;
    t->scores = ft_xmalloc((n + 1) * sizeof *t->scores);
    t->min_score = 0;
    json_array_foreach(vocab, i, x) {
        json_t *p = json_array_get(x, 0), *sc = json_array_get(x, 1);
        if (!json_is_string(p) || !json_is_number(sc)) return fail(L, "model.vocab[%zu]: not [piece, score]", i);
        char where[64]; snprintf(where, sizeof where, "model.vocab[%zu]", i);
        if (add_vocab_entry(L, t, json_string_value(p), json_string_length(p), i, where)) return -1;
        t->scores[i] = json_number_value(sc);
        if (i == 0 || t->scores[i] < t->min_score) t->min_score = t->scores[i];
        if (json_string_length(p) > t->max_piece) t->max_piece = json_string_length(p);
    }
    json_t *unk = json_object_get(m, "unk_id");
    t->unk_id = json_is_integer(unk) ? json_integer_value(unk) : -1;
    if (t->unk_id < 0 || (size_t)t->unk_id >= n) return fail(L, "model.unk_id: missing or out of range");
    if (jbool(m, "byte_fallback", 0)) return fail(L, "model: Unigram with byte_fallback is not supported yet");
    return 0;
}

static int load_model(ld *L, ft_tokenizer *t, json_t *m)
{
    const char *type = jstr(m, "type");
    json_t *vocab = json_object_get(m, "vocab");
    if (!type) type = json_object_get(m, "merges") ? "BPE" : json_object_get(m, "continuing_subword_prefix") ? "WordPiece" :
                      json_is_array(vocab) ? "Unigram" : "?";
    if (!strcmp(type, "Unigram")) return load_unigram(L, t, m);
    if (strcmp(type, "WordPiece") && strcmp(type, "BPE")) return fail(L, "model: type \"%s\" is not supported", type);
    if (!json_is_object(vocab)) return fail(L, "model.vocab: missing or not an object");
    const char *k; json_t *v;
    json_object_foreach(vocab, k, v) {
        char where[128]; snprintf(where, sizeof where, "model.vocab");
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(L, "model.vocab[\"%s\"]: id is not a non-negative integer", k);
        /* ids index dense tables (and a model's embedding): the crate's hash
           maps take any u32, but an id of 2^31 made ft allocate 16 GB for one
           entry (finding 16); the largest real vocabularies hold ~260k */
        if (json_integer_value(v) >= TOK_MAX_ID)
            return fail(L, "model.vocab[\"%s\"]: id %lld is not below %d, the most ids ft reads", k,
                        (long long)json_integer_value(v), TOK_MAX_ID);
        if (add_vocab_entry(L, t, k, strlen(k), json_integer_value(v), where)) return -1;
    }
    const char *unk = jstr(m, "unk_token");
    t->unk_id = unk ? tok_vocab_get(&t->vocab, unk, strlen(unk)) : -1;
    if (!strcmp(type, "WordPiece")) {
        t->model = MODEL_WORDPIECE;
        if (t->unk_id < 0) return fail(L, "model.unk_token: \"%s\" not in the vocabulary", unk ? unk : "(none)");
        const char *pre = jstr(m, "continuing_subword_prefix");
        t->cont_prefix = ft_xstrdup(pre ? pre : "##");
        t->cont_prefix_len = strlen(t->cont_prefix);
        json_t *mx = json_object_get(m, "max_input_chars_per_word");
        t->max_chars_per_word = json_is_integer(mx) ? json_integer_value(mx) : 100;
        return 0;
    }
    t->model = MODEL_BPE;
    const char *cs = jstr(m, "continuing_subword_prefix"), *ew = jstr(m, "end_of_word_suffix");
    if ((cs && *cs) || (ew && *ew)) return fail(L, "model: BPE with continuing_subword_prefix/end_of_word_suffix is not supported");
    json_t *dr = json_object_get(m, "dropout");
    if (json_is_number(dr) && json_number_value(dr) > 0) return fail(L, "model.dropout: BPE dropout is not supported");
    t->byte_fallback = jbool(m, "byte_fallback", 0);
    t->fuse_unk = jbool(m, "fuse_unk", 0);
    t->ignore_merges = jbool(m, "ignore_merges", 0);
    json_t *merges = json_object_get(m, "merges");
    if (L->merges_file) L->file = L->merges_file;
    if (!json_is_array(merges)) return fail(L, "model.merges: missing or not a list");
    build_merges(L, t, json_array_size(merges));
    size_t i; json_t *x;
    json_array_foreach(merges, i, x) {
        char where[64]; snprintf(where, sizeof where, "model.merges[%zu]", i);
        if (json_is_string(x)) {
            const char *s = json_string_value(x), *sp = strchr(s, ' ');
            if (!sp || strchr(sp + 1, ' ')) return fail(L, "%s: \"%s\" is not two tokens separated by one space", where, s);
            if (add_merge(L, t, s, sp - s, sp + 1, strlen(sp + 1), i, where)) return -1;
        } else if (json_is_array(x) && json_array_size(x) == 2 && json_is_string(json_array_get(x, 0)) &&
                   json_is_string(json_array_get(x, 1))) {
            const char *a = json_string_value(json_array_get(x, 0)), *b = json_string_value(json_array_get(x, 1));
            if (add_merge(L, t, a, strlen(a), b, strlen(b), i, where)) return -1;
        } else return fail(L, "%s: not a merge", where);
    }
    return 0;
}

/* The crate does not take an added token's "id" from the file: a content the
   model's vocabulary holds gets the model's id, any other the next id after
   the model's vocabulary and the added tokens so far (AddedVocabulary::
   add_tokens; it warns when that differs from the file).  Taking the file's
   id made "[CLS]" 827 in a 300-id vocabulary come out of encode as 827, and
   an id of 2^31-1 or -5 sized the id table from it (finding 15).  The
   crate's "model size" counts the vocabulary's entries; ft's n_ids is its
   largest id + 1, the same for any vocabulary without gaps. */
static int load_added(ld *L, ft_tokenizer *t, json_t *list)
{
    size_t i; json_t *x;
    int next = t->vocab.n_ids;
    json_array_foreach(list, i, x) {
        const char *c = jstr(x, "content");
        json_t *id = json_object_get(x, "id");
        if (!c || !*c || !json_is_integer(id)) return fail(L, "added_tokens[%zu]: needs \"id\" and \"content\"", i);
        tok_added a = { ft_xstrdup(c), strlen(c), json_integer_value(id), jbool(x, "special", 0),
                        jbool(x, "lstrip", 0), jbool(x, "rstrip", 0), jbool(x, "single_word", 0),
                        jbool(x, "normalized", 0) };
        int have = tok_vocab_get(&t->vocab, a.s, a.n);
        if (have >= 0) a.id = have;
        else { a.id = next; tok_vocab_add(&t->vocab, a.s, a.n, a.id, NULL); }
        if (a.id >= next) next = a.id + 1;
        t->added = ft_xrealloc(t->added, (t->n_added + 1) * sizeof *t->added);
        t->added[t->n_added++] = a;
    }
    return 0;
}

/* Longest first, so the scan in tokenizer.c takes the longest match. */
static int added_cmp(const void *x, const void *y)
{
    const tok_added *a = x, *b = y;
    return a->n < b->n ? 1 : a->n > b->n ? -1 : strcmp(a->s, b->s);
}

static void finish(ft_tokenizer *t)
{
    /* a normalized added token is looked for in normalized text, in its own
       normalized form (the crate normalizes the token's content too) */
    if (t->n_norms) {
        ft_tok_scratch *sc = ft_tok_scratch_new();
        int k = 0;
        for (int i = 0; i < t->n_added; i++) {
            tok_added a = t->added[i];
            if (a.normalized) {
                size_t m = tok_normalize(t, sc, a.s, a.n);
                free(a.s);
                if (!m) continue;             /* normalizes to nothing: never matched */
                a.s = ft_xmemdup(sc->norm, m); a.n = m;
            }
            t->added[k++] = a;
        }
        t->n_added = k;
        ft_tok_scratch_free(sc);
    }
    if (t->n_added) qsort(t->added, t->n_added, sizeof *t->added, added_cmp);   /* qsort(NULL, 0): UB */
    for (int i = 0; i < t->n_added; i++) t->added_first[(unsigned char)t->added[i].s[0]] = 1;
    t->is_special = ft_xcalloc(t->vocab.n_ids + 1, 1);
    for (int i = 0; i < t->n_added; i++) if (t->added[i].special && t->added[i].id < t->vocab.n_ids) t->is_special[t->added[i].id] = 1;
    if (t->model == MODEL_WORDPIECE) {
        /* continuing pieces keyed without their prefix: lookups then need no copy */
        tok_vocab_init(&t->cont);
        for (int id = 0; id < t->vocab.n_ids; id++) {
            size_t n; const char *s = tok_vocab_str(&t->vocab, id, &n);
            if (s && n > t->cont_prefix_len && !memcmp(s, t->cont_prefix, t->cont_prefix_len))
                tok_vocab_add(&t->cont, s + t->cont_prefix_len, n - t->cont_prefix_len, id, NULL);
        }
    } else if (t->model == MODEL_BPE) { finish_bpe(t); tok_compact_merges(t); tok_byte_pairs(t); }
    else tok_unigram_build(t);
    t->pad_id = -1;
    /* transformers pads with tokenizer_config.json's pad_token (Qwen's
       <|endoftext|>); without one, with the usual names */
    if (t->config_pad) t->pad_id = tok_vocab_get(&t->vocab, t->config_pad, strlen(t->config_pad));
    static const char *pads[] = { "[PAD]", "<pad>", NULL };
    for (int i = 0; pads[i] && t->pad_id < 0; i++) {
        int id = tok_vocab_get(&t->vocab, pads[i], strlen(pads[i]));
        if (id >= 0) { t->pad_id = id; break; }
    }
}

static char *read_opt(const char *dir, const char *name, size_t *n)
{
    char *p = ft_xasprintf("%s/%s", dir, name);
    char *s = ft_read_file_opt(p, n);
    free(p);
    return s;
}

static void read_config(ft_tokenizer *t, const char *dir, int *lower, int *strip, int *chinese)
{
    size_t n; char *s = read_opt(dir, "tokenizer_config.json", &n);
    if (!s) return;
    t->hash ^= tok_hash_bytes(s, n) * 3;
    json_t *j = json_loadb(s, n, 0, NULL);
    free(s);
    if (!j) return;
    json_t *m = json_object_get(j, "model_max_length");
    if (json_is_integer(m) && json_integer_value(m) < 1000000000) t->model_max_length = json_integer_value(m);
    json_t *pad = json_object_get(j, "pad_token");
    const char *ps = json_is_string(pad) ? json_string_value(pad) : jstr(pad, "content");
    if (ps && *ps) t->config_pad = ft_xstrdup(ps);
    if (lower) *lower = jbool(j, "do_lower_case", *lower);
    if (strip) { json_t *x = json_object_get(j, "strip_accents"); if (json_is_boolean(x)) *strip = json_is_true(x); }
    if (chinese) *chinese = jbool(j, "tokenize_chinese_chars", *chinese);
    json_decref(j);
}

static int load_json(ld *L, ft_tokenizer *t, const char *text, size_t n)
{
    json_error_t je;
    json_t *j = json_loadb(text, n, 0, &je);
    if (!j) return fail(L, "line %d: %s", je.line, je.text);
    if (!json_is_object(json_object_get(j, "model"))) { json_decref(j); return fail(L, "no \"model\" object"); }
    /* ByteLevel decides how vocab keys are read, so look at it first */
    if (load_norm(L, t, json_object_get(j, "normalizer"), "normalizer") ||
        load_pre(L, t, json_object_get(j, "pre_tokenizer"), "pre_tokenizer") ||
        load_model(L, t, json_object_get(j, "model")) ||
        load_added(L, t, json_object_get(j, "added_tokens")) ||
        load_post(L, t, json_object_get(j, "post_processor"), "post_processor")) { json_decref(j); return -1; }
    if (load_decoder(L, t, json_object_get(j, "decoder"), "decoder")) { json_decref(j); return -1; }
    json_decref(j);
    return 0;
}

/* vocab.txt: one token a line, id = line number.  Lines end at '\n' only
   (bert-base-chinese holds U+2028 as a token); a '\r' before it is dropped. */
static int load_vocab_txt(ld *L, ft_tokenizer *t, const char *s, size_t n)
{
    size_t line = 0;
    for (size_t i = 0; i < n; line++) {
        size_t j = i;
        while (j < n && s[j] != '\n') j++;
        size_t e = j > i && s[j - 1] == '\r' ? j - 1 : j;
        char where[64]; snprintf(where, sizeof where, "line %zu", line + 1);
        if (ft_utf8_check(s + i, e - i) != e - i) return fail(L, "%s: invalid UTF-8", where);
        int old;
        if (tok_vocab_add(&t->vocab, s + i, e - i, line, &old) < 0)
            ft_warn("%s: %s: token \"%.*s\" repeats line %d; the first id is used", L->file, where, (int)(e - i), s + i, old + 1);
        i = j + 1;
    }
    return 0;
}

static int special(ld *L, ft_tokenizer *t, const char *tok)
{
    int id = tok_vocab_get(&t->vocab, tok, strlen(tok));
    if (id < 0) return fail(L, "special token \"%s\" not in the vocabulary", tok);
    tok_added a = { ft_xstrdup(tok), strlen(tok), id, 1, 0, 0, 0, 0 };
    if (!strcmp(tok, "<mask>")) a.lstrip = 1;     /* RoBERTa's mask eats the space before it */
    t->added = ft_xrealloc(t->added, (t->n_added + 1) * sizeof *t->added);
    t->added[t->n_added++] = a;
    return id;
}

/* spiece.model: T5Tokenizer's extra_ids (100 unless the config says). */
static void read_config_extra(ft_tokenizer *t, const char *dir, int *extra)
{
    size_t n; char *s = read_opt(dir, "tokenizer_config.json", &n);
    if (!s) return;
    t->hash ^= tok_hash_bytes(s, n) * 3;
    json_t *j = json_loadb(s, n, 0, NULL);
    free(s);
    json_t *m = json_object_get(j, "model_max_length");
    if (json_is_integer(m) && json_integer_value(m) < 1000000000) t->model_max_length = json_integer_value(m);
    const char *cls = jstr(j, "tokenizer_class");
    json_t *x = json_object_get(j, "extra_ids");
    if (json_is_integer(x)) *extra = json_integer_value(x);
    else if (cls && !strncmp(cls, "T5Tokenizer", 11)) *extra = 100;
    json_decref(j);
}

/* Legacy files: tokenizer_config.json's "added_tokens_decoder" (id -> token
   with its flags) adds tokens, or sets the flags of those already known. */
static int config_added(ld *L, ft_tokenizer *t, const char *dir)
{
    size_t n; char *s = read_opt(dir, "tokenizer_config.json", &n);
    if (!s) return 0;
    json_t *j = json_loadb(s, n, 0, NULL);
    free(s);
    json_t *dec = json_object_get(j, "added_tokens_decoder");
    const char *key; json_t *x;
    json_object_foreach(dec, key, x) {
        const char *c = jstr(x, "content");
        char *end; long id = strtol(key, &end, 10);
        if (!c || !*c || *end || id < 0) { json_decref(j); return fail(L, "tokenizer_config.json: added_tokens_decoder[\"%s\"] is not an id with a content", key); }
        tok_added a = { NULL, strlen(c), id, jbool(x, "special", 0), jbool(x, "lstrip", 0),
                        jbool(x, "rstrip", 0), jbool(x, "single_word", 0), jbool(x, "normalized", 0) };
        int k;
        for (k = 0; k < t->n_added; k++) if (!strcmp(t->added[k].s, c)) break;
        if (k < t->n_added) { a.s = t->added[k].s; t->added[k] = a; continue; }
        a.s = ft_xstrdup(c);
        t->added = ft_xrealloc(t->added, (t->n_added + 1) * sizeof *t->added);
        t->added[t->n_added++] = a;
        tok_vocab_add(&t->vocab, a.s, a.n, a.id, NULL);
    }
    json_decref(j);
    return 0;
}

static int load_bert_files(ld *L, ft_tokenizer *t, const char *dir, const char *s, size_t n)
{
    int lower = 1, strip = -1, chinese = 1;
    read_config(t, dir, &lower, &strip, &chinese);
    if (load_vocab_txt(L, t, s, n)) return -1;
    tok_norm nm = { .kind = NORM_BERT, .clean_text = 1, .chinese = chinese, .lowercase = lower,
                    .strip_accents = strip < 0 ? lower : strip };
    t->norms = ft_xmalloc(sizeof *t->norms); t->norms[0] = nm; t->n_norms = 1;
    t->pres = ft_xcalloc(1, sizeof *t->pres); t->pres[0].kind = PRE_BERT; t->n_pres = 1;
    t->model = MODEL_WORDPIECE;
    t->cont_prefix = ft_xstrdup("##"); t->cont_prefix_len = 2;
    t->max_chars_per_word = 100;
    int pad = special(L, t, "[PAD]"), unk = special(L, t, "[UNK]"), cls = special(L, t, "[CLS]"),
        sep = special(L, t, "[SEP]"), mask = special(L, t, "[MASK]");
    if (pad < 0 || unk < 0 || cls < 0 || sep < 0 || mask < 0) return -1;
    t->unk_id = unk;
    bert_template(t, cls, sep, 0);
    tok_add_decoder(t, (tok_dec){ .kind = DEC_WORDPIECE, .a = ft_xstrdup("##"), .cleanup = 1 });
    return config_added(L, t, dir);
}

static int load_gpt2_files(ld *L, ft_tokenizer *t, const char *dir, const char *vj, size_t vn,
                           char *mt, size_t mn, const char *mfile)
{
    read_config(t, dir, NULL, NULL, NULL);
    t->byte_level = 1;
    json_error_t je;
    json_t *v = json_loadb(vj, vn, 0, &je);
    if (!v) return fail(L, "line %d: %s", je.line, je.text);
    json_t *m = json_object(), *merges = json_array();
    json_object_set_new(m, "type", json_string("BPE"));
    json_object_set(m, "vocab", v);
    json_object_set_new(m, "merges", merges);
    json_decref(v);
    /* merges.txt: "#version" header, then "a b" a line */
    size_t line = 0;
    for (size_t i = 0; i < mn; line++) {
        size_t j = i;
        while (j < mn && mt[j] != '\n') j++;
        size_t e = j > i && mt[j - 1] == '\r' ? j - 1 : j;
        if (!(line == 0 && e - i >= 8 && !memcmp(mt + i, "#version", 8)) && e > i)
            json_array_append_new(merges, json_stringn(mt + i, e - i));
        i = j + 1;
    }
    const char *vfile = L->file;
    L->merges_file = mfile;
    /* errors in the vocabulary name vocab.json; in the merges they read
       "merges.txt: model.merges[i]": entry i is line i+2 */
    int rc = load_model(L, t, m);
    L->file = vfile;
    L->merges_file = NULL;
    json_decref(m);
    if (rc) return -1;
    t->pres = ft_xcalloc(1, sizeof *t->pres);
    t->pres[0] = (tok_pre){ .kind = PRE_BYTELEVEL, .add_prefix_space = 0, .use_regex = 1 };
    t->n_pres = 1;
    if (tok_vocab_get(&t->vocab, "<s>", 3) >= 0 && tok_vocab_get(&t->vocab, "</s>", 4) >= 0) {
        /* RoBERTa / CodeT5: <s> A </s> plus its special tokens */
        static const char *sp[] = { "<s>", "<pad>", "</s>", "<unk>", "<mask>", NULL };
        for (int i = 0; sp[i]; i++) if (tok_vocab_get(&t->vocab, sp[i], strlen(sp[i])) >= 0 && special(L, t, sp[i]) < 0) return -1;
        bert_template(t, tok_vocab_get(&t->vocab, "<s>", 3), tok_vocab_get(&t->vocab, "</s>", 4), 1);
    } else if (tok_vocab_get(&t->vocab, "<|endoftext|>", 13) >= 0) special(L, t, "<|endoftext|>");
    tok_add_decoder(t, (tok_dec){ .kind = DEC_BYTELEVEL });
    return config_added(L, t, dir);
}

ft_tokenizer *ft_tok_load(const char *dir, char **err)
{
    ft_uc_init();
    tok_bytes_init();
    ft_tokenizer *t = ft_xcalloc(1, sizeof *t);
    tok_vocab_init(&t->vocab);
    t->unk_id = -1;
    ld L = { 0 };
    size_t n, n2;
    char *s, *s2;
    char *files[2] = { NULL, NULL };
    if ((s = read_opt(dir, "tokenizer.json", &n))) {
        files[0] = ft_xasprintf("%s/tokenizer.json", dir); L.file = files[0];
        t->hash = tok_hash_bytes(s, n);
        read_config(t, dir, NULL, NULL, NULL);
        load_json(&L, t, s, n);
        t->describe = ft_xasprintf("%s tokenizer.json %016llx",
                                   t->model == MODEL_WORDPIECE ? "WordPiece" : t->model == MODEL_BPE ? "BPE" : "Unigram",
                                   (unsigned long long)t->hash);
        free(s);
    } else if ((s = read_opt(dir, "vocab.txt", &n))) {
        files[0] = ft_xasprintf("%s/vocab.txt", dir); L.file = files[0];
        t->hash = tok_hash_bytes(s, n);
        load_bert_files(&L, t, dir, s, n);
        t->describe = ft_xasprintf("WordPiece vocab.txt %016llx", (unsigned long long)t->hash);
        free(s);
    } else if ((s = read_opt(dir, "vocab.json", &n))) {
        files[0] = ft_xasprintf("%s/vocab.json", dir); L.file = files[0];
        files[1] = ft_xasprintf("%s/merges.txt", dir);
        if (!(s2 = read_opt(dir, "merges.txt", &n2))) fail(&L, "found, but no merges.txt beside it");
        else {
            t->hash = tok_hash_bytes(s, n) ^ tok_hash_bytes(s2, n2) * 5;
            load_gpt2_files(&L, t, dir, s, n, s2, n2, files[1]);
            free(s2);
        }
        t->describe = ft_xasprintf("BPE vocab.json+merges.txt %016llx", (unsigned long long)t->hash);
        free(s);
    } else if ((s = read_opt(dir, "spiece.model", &n))) {
        files[0] = ft_xasprintf("%s/spiece.model", dir); L.file = files[0];
        t->hash = tok_hash_bytes(s, n);
        int extra = 0;
        read_config_extra(t, dir, &extra);
        char *e = tok_spiece_load(t, (const unsigned char *)s, n, extra);
        if (e) { fail(&L, "%s", e); free(e); }
        else config_added(&L, t, dir);
        t->describe = ft_xasprintf("Unigram spiece.model %016llx", (unsigned long long)t->hash);
        free(s);
    } else {
        struct stat st;
        L.file = dir;
        if (stat(dir, &st) != 0) fail(&L, "%s", strerror(errno));
        else fail(&L, "no tokenizer.json, vocab.txt, vocab.json+merges.txt or spiece.model");
    }
    free(files[0]); free(files[1]);
    if (L.err) { *err = L.err; ft_tok_free(t); return NULL; }
    finish(t);
    return t;
}

ft_tokenizer *ft_tok_load_or_die(const char *dir)
{
    char *err = NULL;
    ft_tokenizer *t = ft_tok_load(dir, &err);
    if (!t) ft_die("%s", err);
    return t;
}

static void free_template(tok_template *tp)
{
    for (int i = 0; i < tp->n; i++) free(tp->items[i].ids);
    free(tp->items);
}

void ft_tok_free(ft_tokenizer *t)
{
    if (!t) return;
    tok_vocab_free(&t->vocab); tok_vocab_free(&t->cont);
    free(t->cont_prefix); free(t->merges); free(t->cmerges); free(t->bytepair); free(t->describe);
    for (int i = 0; i < t->n_norms; i++) {
        free(t->norms[i].pat); free(t->norms[i].content); free(t->norms[i].trie); free(t->norms[i].pool);
    }
    free(t->scores); free(t->pref);
    free(t->norms);
    for (int i = 0; i < t->n_pres; i++) { free(t->pres[i].lit); ft_regex_free(t->pres[i].re); }
    free(t->pres);
    free_template(&t->single); free_template(&t->pair);
    for (int i = 0; i < t->n_added; i++) free(t->added[i].s);
    free(t->added); free(t->is_special); free(t->is_bytes);
    for (int i = 0; i < t->n_decs; i++) { free(t->decs[i].a); free(t->decs[i].b); }
    free(t->decs); free(t->config_pad);
    free(t);
}
