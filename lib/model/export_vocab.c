/* export_vocab: a BPE tokenizer.json as llama.cpp's tokenizer.ggml.* keys:
 * byte-level BPE as model "gpt2" (tokens in their byte-level alphabet,
 * token types, merges, and the name llama.cpp gives the pre-tokenizer
 * regex), SentencePiece-style BPE as model "llama" (export_vocab_spm.c);
 * the special token ids and the chat template of tokenizer_config.json.
 * See export_gguf.h. */
#include "export_gguf.h"
#include "chat_tokenize.h"
#include "util.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* llama_vocab's token attributes as the converter writes them */
enum { TT_NORMAL = 1, TT_UNUSED = 5, TT_CONTROL = 3, TT_USER_DEFINED = 4 };

/* The pre-tokenizer regexes llama.cpp knows by name (llama-vocab.cpp's
   LLAMA_VOCAB_PRE_TYPE_*, convert_hf_to_gguf's get_vocab_base_pre). */
static const char *const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *const QWEN2_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

static const char *pre_name(json_t *tj, const char *path)
{
    json_t *pt = json_object_get(tj, "pre_tokenizer");
    const char *type = json_string_value(json_object_get(pt, "type"));
    if (type && !strcmp(type, "ByteLevel") && json_is_true(json_object_get(pt, "use_regex")))
        return "gpt-2";
    json_t *seq = json_object_get(pt, "pretokenizers");
    if (type && !strcmp(type, "Sequence") && json_array_size(seq) == 2) {
        json_t *sp = json_array_get(seq, 0), *bl = json_array_get(seq, 1);
        const char *re = json_string_value(json_object_get(json_object_get(sp, "pattern"), "Regex"));
        if (re && !strcmp(json_string_value(json_object_get(bl, "type")), "ByteLevel")) {
            if (!strcmp(re, LLAMA3_RE)) return "llama-bpe";
            if (!strcmp(re, QWEN2_RE)) return "qwen2";
        }
    }
    ft_die("%s: pre_tokenizer is none llama.cpp names (GPT-2's ByteLevel, Llama 3's or Qwen2's regex)", path);
}

/* Whether the tokenizer puts bos / eos around a text, as ft-tokenize (and
   HF's fast tokenizer, through its post-processor) does with special tokens
   added: llama.cpp's add_bos_token / add_eos_token.  Both are written, as
   llama.cpp's default when they are missing depends on the pre-tokenizer
   (Llama 3's adds bos). */
static void add_special(ft_gguf *g, const char *dir, long bos, long eos)
{
    ft_tokenizer *t = ft_tok_load_or_die(dir);
    ft_tok_scratch *s = ft_tok_scratch_new();
    ft_encoding e = {0};
    ft_tok_opts o = {.add_special_tokens = 1};
    const char *err;
    if (ft_tok_encode(t, s, "a", 1, NULL, 0, &o, &e, &err)) ft_die("%s: tokenizer: %s", dir, err);
    ft_gguf_kv_bool(g, "tokenizer.ggml.add_bos_token", bos >= 0 && e.n && e.ids[0] == bos);
    ft_gguf_kv_bool(g, "tokenizer.ggml.add_eos_token", eos >= 0 && e.n && e.ids[e.n - 1] == eos);
    ft_encoding_free(&e);
    ft_tok_scratch_free(s);
    ft_tok_free(t);
}

/* The special token ids (tokenizer_config.json's, as chat templates see
   them), add_bos/add_eos, and the chat template wherever transformers keeps
   it (chat_template.jinja, else tokenizer_config.json). */
static void special_ids(ft_gguf *g, const char *dir, const char **tok, int n)
{
    static const char *const keys[][2] = {
        { "bos_token", "tokenizer.ggml.bos_token_id" }, { "eos_token", "tokenizer.ggml.eos_token_id" },
        { "pad_token", "tokenizer.ggml.padding_token_id" }, { "unk_token", "tokenizer.ggml.unknown_token_id" },
    };
    long id[4] = { -1, -1, -1, -1 };
    json_t *special = ft_chat_special_tokens(dir);
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const char *s = json_string_value(json_object_get(special, keys[k][0]));
        for (int i = 0; s && i < n; i++)
            if (tok[i] && !strcmp(tok[i], s)) { id[k] = i; ft_gguf_kv_u32(g, keys[k][1], (uint32_t)i); break; }
    }
    json_decref(special);
    add_special(g, dir, id[0], id[1]);
    char *err = NULL, *tpl = ft_chat_template_source(dir, &err);
    if (tpl) ft_gguf_kv_str(g, "tokenizer.chat_template", tpl);
    free(tpl);
    free(err);                          /* a model without a chat template is fine */
}

static void merges(ft_gguf *g, json_t *list, const char *path)
{
    size_t n = json_array_size(list), i;
    char **m = ft_xcalloc(n ? n : 1, sizeof *m);
    json_t *e;
    json_array_foreach(list, i, e) {
        if (json_is_string(e)) m[i] = ft_xstrdup(json_string_value(e));
        else if (json_array_size(e) == 2 && json_is_string(json_array_get(e, 0)) && json_is_string(json_array_get(e, 1)))
            m[i] = ft_xasprintf("%s %s", json_string_value(json_array_get(e, 0)), json_string_value(json_array_get(e, 1)));
        else ft_die("%s: model.merges[%zu] is neither \"a b\" nor [a, b]", path, i);
    }
    ft_gguf_kv_strs(g, "tokenizer.ggml.merges", (const char *const *)m, NULL, n);
    for (i = 0; i < n; i++) free(m[i]);
    free(m);
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) ft_die("%s:%d: %s", path, e.line, e.text);
    return j;
}

/* tok[id], tt[id] from model.vocab and added_tokens; ids no entry names are
   padding tokens ("[PADn]", UNUSED, as the converter writes them; their
   strings in *pad) */
static void vocab_tokens(json_t *tj, const char *tp, int n_vocab, const char **tok, int32_t *tt, char **pad)
{
    const char *k; json_t *v; size_t i;
    json_object_foreach(json_object_get(json_object_get(tj, "model"), "vocab"), k, v) {
        json_int_t id = json_integer_value(v);
        if (!json_is_integer(v) || id < 0 || id >= n_vocab) ft_die("%s: model.vocab[\"%s\"]: id outside the model's %d rows", tp, k, n_vocab);
        tok[id] = k; tt[id] = TT_NORMAL;
    }
    json_array_foreach(json_object_get(tj, "added_tokens"), i, v) {
        json_int_t id = json_integer_value(json_object_get(v, "id"));
        const char *c = json_string_value(json_object_get(v, "content"));
        if (!c || id < 0 || id >= n_vocab) ft_die("%s: added_tokens[%zu]: no content or id outside the model's %d rows", tp, i, n_vocab);
        tok[id] = c; tt[id] = json_is_true(json_object_get(v, "special")) ? TT_CONTROL : TT_USER_DEFINED;
    }
    for (int t = 0; t < n_vocab; t++)
        if (!tok[t]) { tok[t] = pad[t] = ft_xasprintf("[PAD%d]", t); tt[t] = TT_UNUSED; }
}

void ft_export_gguf_vocab(ft_gguf *g, const char *dir, int n_vocab)
{
    char *tp = ft_xasprintf("%s/tokenizer.json", dir);
    json_t *tj = load(tp);
    json_t *model = json_object_get(tj, "model");
    const char *type = json_string_value(json_object_get(model, "type"));
    if (!type || strcmp(type, "BPE") || !json_is_object(json_object_get(model, "vocab")))
        ft_die("%s: model.type is not BPE: only BPE tokenizers (byte-level or SentencePiece-style) are exported as GGUF", tp);
    const char **tok = ft_xcalloc(n_vocab, sizeof *tok);
    int32_t *tt = ft_xcalloc(n_vocab, sizeof *tt);
    char **pad = ft_xcalloc(n_vocab, sizeof *pad);
    vocab_tokens(tj, tp, n_vocab, tok, tt, pad);
    if (!ft_export_vocab_spm(g, tj, tp, tok, tt, n_vocab)) {
        ft_gguf_kv_str(g, "tokenizer.ggml.model", "gpt2");
        ft_gguf_kv_str(g, "tokenizer.ggml.pre", pre_name(tj, tp));
        merges(g, json_object_get(model, "merges"), tp);
    }
    ft_gguf_kv_strs(g, "tokenizer.ggml.tokens", tok, NULL, (size_t)n_vocab);
    ft_gguf_kv_i32s(g, "tokenizer.ggml.token_type", tt, (size_t)n_vocab);
    special_ids(g, dir, tok, n_vocab);
    for (int t = 0; t < n_vocab; t++) free(pad[t]);
    free(pad); free(tok); free(tt);
    json_decref(tj);
    free(tp);
}
