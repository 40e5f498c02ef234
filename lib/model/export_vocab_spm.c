/* export_vocab_spm: a SentencePiece-style BPE tokenizer.json (byte fallback,
 * "▁" for spaces: Llama 2's) as llama.cpp's "llama" (SPM) vocabulary.
 *
 * llama.cpp's SPM tokenizer merges, again and again, the adjacent pair
 * whose concatenation is the vocabulary token of highest score (leftmost on
 * a tie); Hugging Face's BPE merges the pair of lowest merge rank (leftmost
 * on a tie).  With score = -(rank of the first merge producing the token)
 * both pick the same pair when (1) every merge produces a vocabulary token,
 * (2) the merges producing one token are consecutive in rank (the order
 * between two tokens is then the order of their merges), and (3) every
 * vocabulary token of more than one character is produced by a merge
 * (llama.cpp would merge into it where BPE never does).  Each is checked;
 * a tokenizer that breaks one is refused by name.  (convert_hf_to_gguf's
 * LlamaHfVocab writes -1000 for every score, which makes llama.cpp merge
 * leftmost first, not in BPE's order.)  See docs/export.md. */
#include "export_gguf.h"
#include "util.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { TT_UNKNOWN = 2, TT_BYTE = 6 };
#define SPACE_MARK "\xe2\x96\x81"   /* U+2581, SentencePiece's space */

static int is_str(json_t *o, const char *key, const char *val)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && !strcmp(s, val);
}

/* normalizer Prepend("▁") + Replace(" " → "▁") (legacy Llama 2) or
   Replace alone, or pre_tokenizer Metaspace("▁", split false (absent is
   true in Hugging Face), prepend always or never): *prefix says whether a space is put before the text,
   llama.cpp's add_space_prefix (which it also puts after every special
   token, as Hugging Face normalizes each piece between added tokens).
   0 when the tokenizer is not SentencePiece-style. */
static int spm_style(json_t *tj, const char *path, int *prefix)
{
    json_t *nz = json_object_get(tj, "normalizer"), *pt = json_object_get(tj, "pre_tokenizer");
    if (json_is_object(pt) && is_str(pt, "type", "Metaspace")) {
        const char *ps = json_string_value(json_object_get(pt, "prepend_scheme"));
        json_t *ap = json_object_get(pt, "add_prefix_space");
        if (!is_str(pt, "replacement", SPACE_MARK) || !json_is_false(json_object_get(pt, "split")) ||
            (ps && strcmp(ps, "always") && strcmp(ps, "never")) || !json_is_null(nz))
            ft_die("%s: pre_tokenizer Metaspace other than (\"▁\", split false, prepend_scheme always or never, "
                   "no normalizer): llama.cpp's SPM tokenizer cannot express it", path);
        *prefix = ps ? !strcmp(ps, "always") : !ap || json_is_true(ap);
        return 1;
    }
    json_t *steps = is_str(nz, "type", "Sequence") ? json_object_get(nz, "normalizers") : NULL;
    size_t n = steps ? json_array_size(steps) : nz ? 1 : 0, i, replace = 0, prepend = 0;
    for (i = 0; i < n; i++) {
        json_t *s = steps ? json_array_get(steps, i) : nz;
        if (is_str(s, "type", "Prepend") && is_str(s, "prepend", SPACE_MARK)) prepend++;
        else if (is_str(s, "type", "Replace") && is_str(json_object_get(s, "pattern"), "String", " ") &&
                 is_str(s, "content", SPACE_MARK)) replace++;
        else return 0;
    }
    if (!replace) return 0;
    if (replace > 1 || prepend > 1 || !json_is_null(pt))
        ft_die("%s: normalizer with \"▁\" but not Prepend(\"▁\") + Replace(\" \", \"▁\") without pre_tokenizer: "
               "llama.cpp's SPM tokenizer cannot express it", path);
    *prefix = prepend == 1;
    return 1;
}

/* a merge "a b" or [a, b] → the concatenation, malloc'd */
static char *merged(json_t *e, const char *path, size_t i)
{
    if (json_array_size(e) == 2 && json_is_string(json_array_get(e, 0)) && json_is_string(json_array_get(e, 1)))
        return ft_xasprintf("%s%s", json_string_value(json_array_get(e, 0)), json_string_value(json_array_get(e, 1)));
    const char *s = json_string_value(e), *sp = s && s[0] ? strchr(s + 1, ' ') : NULL;
    if (!sp || strchr(sp + 1, ' ')) ft_die("%s: model.merges[%zu] is neither \"a b\" nor [a, b]", path, i);
    return ft_xasprintf("%.*s%s", (int)(sp - s), s, sp + 1);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int is_byte_token(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    return strlen(s) == 6 && !strncmp(s, "<0x", 3) && strchr(hex, s[3]) && strchr(hex, s[4]) && s[5] == '>';
}

/* scores[t] = -(first rank producing t), after checks (1)-(3) above */
static void merge_scores(json_t *model, const char *path, const int32_t *tt, const char *const *tok,
                         float *score, int n_vocab)
{
    json_t *vocab = json_object_get(model, "vocab"), *list = json_object_get(model, "merges"), *e;
    int *last = ft_xcalloc(n_vocab, sizeof *last);   /* rank + 1 of the latest merge producing t */
    size_t i;
    if (json_array_size(list) >= 1u << 24) ft_die("%s: %zu merges: ranks past 2^24 are not exact as float scores", path, json_array_size(list));
    json_array_foreach(list, i, e) {
        char *m = merged(e, path, i);
        json_t *id = json_object_get(vocab, m);
        if (!json_is_integer(id)) ft_die("%s: model.merges[%zu] makes \"%s\", not in model.vocab", path, i, m);
        json_int_t t = json_integer_value(id);
        if (t < 0 || t >= n_vocab) ft_die("%s: model.vocab[\"%s\"]: id outside the model's %d rows", path, m, n_vocab);
        if (last[t] && (size_t)last[t] != i)
            ft_die("%s: model.merges[%zu] makes \"%s\" as merges[%d] did, with others between: "
                   "llama.cpp's SPM scores (one per token) cannot keep BPE's order", path, i, m, last[t] - 1);
        if (!last[t]) score[t] = -(float)i;
        last[t] = (int)i + 1;
        free(m);
    }
    for (int t = 0; t < n_vocab; t++)
        if (tt[t] == 1 && !last[t] && utf8_chars(tok[t]) > 1)
            ft_die("%s: model.vocab[\"%s\"] (id %d) is made by no merge: llama.cpp's SPM tokenizer would "
                   "produce it where BPE does not", path, tok[t], t);
    free(last);
}

int ft_export_vocab_spm(struct ft_gguf *g, json_t *tj, const char *path, const char *const *tok, int32_t *tt,
                        int n_vocab)
{
    int prefix, bytes = 0;
    if (!spm_style(tj, path, &prefix)) return 0;
    json_t *model = json_object_get(tj, "model");
    if (!json_is_true(json_object_get(model, "byte_fallback")))
        ft_die("%s: SentencePiece-style BPE without byte_fallback: llama.cpp's SPM tokenizer falls back to bytes", path);
    if (json_is_true(json_object_get(model, "ignore_merges")) ||
        json_is_string(json_object_get(model, "continuing_subword_prefix")) ||
        json_is_string(json_object_get(model, "end_of_word_suffix")))
        ft_die("%s: SentencePiece-style BPE with ignore_merges, continuing_subword_prefix or end_of_word_suffix: "
               "llama.cpp's SPM tokenizer has none", path);
    const char *unk = json_string_value(json_object_get(model, "unk_token"));
    for (int t = 0; t < n_vocab; t++) {
        if (tt[t] == 1 && is_byte_token(tok[t])) { tt[t] = TT_BYTE; bytes++; }
        if (unk && !strcmp(tok[t], unk)) tt[t] = TT_UNKNOWN;
    }
    if (bytes != 256) ft_die("%s: %d of the 256 byte tokens <0x00>..<0xFF> in model.vocab: byte fallback needs all", path, bytes);
    float *score = ft_xcalloc(n_vocab, sizeof *score);   /* 0: never a merge's result */
    merge_scores(model, path, tt, tok, score, n_vocab);
    ft_gguf_kv_str(g, "tokenizer.ggml.model", "llama");
    ft_gguf_kv_f32s(g, "tokenizer.ggml.scores", score, (size_t)n_vocab);
    ft_gguf_kv_bool(g, "tokenizer.ggml.add_space_prefix", prefix);
    free(score);
    return 1;
}
