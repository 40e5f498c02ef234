/* Unit tests of lib/tokenizer: UTF-8 repair, the probed classes, encoding
   and truncation on the real vocabularies in $FT_SHARED/models, and the
   errors for malformed tokenizer files.  Exactness over a large corpus is
   tests/ref/tokenizer_parity.sh's job. */
#include "test.h"
#include "tokenizer.h"
#include "tok_unicode.h"
#include "util.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char models[512];

static ft_tokenizer *load(const char *name)
{
    char *dir = ft_xasprintf("%s/%s", models, name), *err = NULL;
    ft_tokenizer *t = ft_tok_load(dir, &err);
    if (!t) fprintf(stderr, "  load %s: %s\n", dir, err);
    free(dir); free(err);
    return t;
}

static int same(const ft_encoding *e, const int32_t *want, size_t n)
{
    if (e->n != n) { fprintf(stderr, "  length %zu, want %zu\n", e->n, n); return 0; }
    for (size_t i = 0; i < n; i++) if (e->ids[i] != want[i]) { fprintf(stderr, "  ids[%zu] = %d, want %d\n", i, e->ids[i], want[i]); return 0; }
    return 1;
}

/* Expected bytes from Python: bytes.decode("utf-8", errors="replace"). */
static void test_utf8_repair(void)
{
    static const struct { const char *in; size_t n; const char *out; } v[] = {
        {"a\xff" "b", 3, "a\xef\xbf\xbd" "b"},
        {"\xe4\xbd", 2, "\xef\xbf\xbd"},
        {"\xe4\xbd\xa0\xe4", 4, "\xe4\xbd\xa0\xef\xbf\xbd"},
        {"\xf0\x9f\x98", 3, "\xef\xbf\xbd"},
        {"\xed\xa0\x80x", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"},
        {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xe0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf0\x9f\x98\x80\xff", 5, "\xf0\x9f\x98\x80\xef\xbf\xbd"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t m = ft_utf8_repair(v[i].in, v[i].n, out);
        CHECK(m == strlen(v[i].out) && memcmp(out, v[i].out, m) == 0);
        CHECK(ft_utf8_check(v[i].in, v[i].n) < v[i].n);
    }
    CHECK(ft_utf8_check("你好", 6) == 6);
}

/* The fast tokenizer's classes, where they differ from current Unicode. */
static void test_classes(void)
{
    ft_uc_init();
    CHECK(!(ft_uc_class(0x378) & FT_UC_CTRL));     /* unassigned (Cn) is kept, not "control" */
    CHECK(!(ft_uc_class(0x61D) & FT_UC_PUNCT));    /* Po since Unicode 14; not to the crate */
    CHECK(ft_uc_class(0x166D) & FT_UC_PUNCT);      /* So today, Po in the crate's Unicode */
    CHECK(ft_uc_class(0xA7CB) & FT_UC_L);          /* a letter to Oniguruma, Cn to utf8proc 2.8 */
    CHECK(!(ft_uc_class(0x1F970) & FT_UC_CTRL));
    CHECK(ft_uc_class(0x4E2D) & FT_UC_CJK);
    CHECK(ft_uc_class(0x20000) & FT_UC_CJK);
    CHECK(!(ft_uc_class(0x3042) & FT_UC_CJK));     /* hiragana is not "Chinese" */
    CHECK(ft_uc_class(0xFF0C) & FT_UC_PUNCT);      /* full-width comma */
    CHECK(ft_uc_class('$') & FT_UC_PUNCT);         /* ASCII symbols count as punctuation */
    CHECK(ft_uc_class(0x3000) & FT_UC_WS);
    CHECK(ft_uc_class(0x200B) & FT_UC_CTRL);       /* zero width space: Cf */
    CHECK(ft_uc_class('\t') & FT_UC_WS && !(ft_uc_class('\t') & FT_UC_CTRL));
}

static void test_bert_chinese(void)
{
    ft_tokenizer *t = load("bert-base-chinese");
    CHECK(t != NULL);
    if (!t) return;
    ft_tok_scratch *s = ft_tok_scratch_new();
    ft_encoding e = {0};
    const char *err;
    ft_tok_opts o = { .add_special_tokens = 1 };
    const char *txt = "你好，世界! Hello";       /* Hello: not lower-cased, so [UNK] */
    CHECK(ft_tok_encode(t, s, txt, strlen(txt), NULL, 0, &o, &e, &err) == 0);
    CHECK(same(&e, (const int32_t[]){101, 872, 1962, 8024, 686, 4518, 106, 100, 102}, 9));
    CHECK(ft_tok_has_type_ids(t) && ft_tok_pad_id(t) == 0);
    /* pair, longest_first to 7 with padding to 7 */
    o.max_length = 7; o.truncation = FT_TRUNC_LONGEST_FIRST; o.padding = FT_PAD_MAX_LENGTH;
    CHECK(ft_tok_encode(t, s, "一二三四", 12, "五", 3, &o, &e, &err) == 0);
    CHECK(same(&e, (const int32_t[]){101, 671, 753, 676, 102, 758, 102}, 7));
    CHECK(e.type_ids[4] == 0 && e.type_ids[5] == 1);
    CHECK(ft_tok_encode(t, s, "一", 3, NULL, 0, &o, &e, &err) == 0);
    CHECK(same(&e, (const int32_t[]){101, 671, 102, 0, 0, 0, 0}, 7));
    CHECK(e.attention_mask[2] == 1 && e.attention_mask[3] == 0);
    /* only_second cannot shorten a text pair whose second text is too short */
    o.truncation = FT_TRUNC_ONLY_SECOND;
    CHECK(ft_tok_encode(t, s, "一二三四五六七", 21, "五", 3, &o, &e, &err) == -1);
    CHECK(ft_tok_encode(t, s, "\xff", 1, NULL, 0, &o, &e, &err) == -1 && strstr(err, "UTF-8"));
    /* 101 'a's is one [UNK]: max_input_chars_per_word is 100 */
    char longw[102]; memset(longw, 'a', 101); longw[101] = 0;
    ft_tok_opts plain = { 0 };
    CHECK(ft_tok_encode(t, s, longw, 101, NULL, 0, &plain, &e, &err) == 0 && e.n == 1 && e.ids[0] == 100);
    /* decode */
    int32_t ids[] = {101, 872, 1962, 8024, 102};
    char *buf = NULL; size_t cap = 0;
    ft_tok_decode(t, ids, 5, 1, &buf, &cap);
    CHECK(strcmp(buf, "你 好 ，") == 0);
    free(buf);
    ft_encoding_free(&e);
    ft_tok_scratch_free(s);
    ft_tok_free(t);
}

static void test_gpt2_batch(void)
{
    ft_tokenizer *t = load("gpt2");
    CHECK(t != NULL);
    if (!t) return;
    const char *a[3] = { "Hello world", " it's  fine\n", "<|endoftext|>x" };
    size_t alen[3] = { 11, 12, 14 };
    ft_encoding out[3] = {{0}};
    ft_tok_team *team = ft_tok_team_new(2);
    ft_tok_opts o = { .add_special_tokens = 1 };
    size_t bad; const char *err;
    CHECK(ft_tok_encode_batch(t, team, 3, a, alen, NULL, NULL, &o, out, &bad, &err) == 0);
    CHECK(same(&out[0], (const int32_t[]){15496, 995}, 2));
    CHECK(same(&out[2], (const int32_t[]){50256, 87}, 2));
    CHECK(ft_tok_pad_id(t) == -1 && !ft_tok_has_type_ids(t));
    o.padding = FT_PAD_LONGEST;     /* GPT-2 has no pad token */
    CHECK(ft_tok_encode_batch(t, team, 3, a, alen, NULL, NULL, &o, out, &bad, &err) == -1);
    for (int i = 0; i < 3; i++) ft_encoding_free(&out[i]);
    ft_tok_team_free(team);
    ft_tok_free(t);
}

/* Loads a model dir holding only tokenizer.json = JSON. */
static ft_tokenizer *load_json(const char *json)
{
    char dir[] = "/tmp/ft_tok_json_XXXXXX";
    if (!mkdtemp(dir)) return NULL;
    char *p = ft_xasprintf("%s/tokenizer.json", dir), *err = NULL;
    FILE *f = fopen(p, "w"); fputs(json, f); fclose(f);
    ft_tokenizer *t = ft_tok_load(dir, &err);
    if (!t) fprintf(stderr, "  load: %s\n", err);
    free(err); unlink(p); free(p); rmdir(dir);
    return t;
}

static int encodes(const ft_tokenizer *t, const char *text, const int32_t *want, size_t n)
{
    ft_tok_scratch *s = ft_tok_scratch_new();
    ft_encoding e = {0};
    ft_tok_opts o = {0};
    const char *err = NULL;
    int ok = ft_tok_encode(t, s, text, strlen(text), NULL, 0, &o, &e, &err) == 0 && same(&e, want, n);
    if (!ok) fprintf(stderr, "  encoding \"%s\"\n", text);
    ft_encoding_free(&e);
    ft_tok_scratch_free(s);
    return ok;
}

/* Finding 7 (docs/reliability.md): a BPE vocabulary that lacks some bytes or
   characters.  The crate drops such a character when there is no unk token
   (its neighbours may then merge), else emits unk; byte fallback applies only
   when every byte of the character has a <0xXX> token.  ft kept a -1 symbol,
   whose merge lookup read an uninitialised slot: ids outside the vocabulary. */
static void test_bpe_missing_symbols(void)
{
    #define BL "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},"
    ft_tokenizer *t = load_json("{" BL "\"model\":{\"type\":\"BPE\",\"unk_token\":null,"
                                "\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}}");
    CHECK(t != NULL);
    if (t) {
        CHECK(encodes(t, "cc", NULL, 0));
        CHECK(encodes(t, "cab", (const int32_t[]){2}, 1));
        CHECK(encodes(t, "acb", (const int32_t[]){2}, 1));        /* c dropped: a and b merge */
        CHECK(encodes(t, "a\xc3\xa9" "cb", (const int32_t[]){2}, 1));
        ft_tok_free(t);
    }
    t = load_json("{" BL "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\","
                  "\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,\"<unk>\":3},\"merges\":[\"a b\"]}}");
    CHECK(t != NULL);
    if (t) {
        CHECK(encodes(t, "cab", (const int32_t[]){3, 2}, 2));
        CHECK(encodes(t, "acb", (const int32_t[]){0, 3, 1}, 3));
        CHECK(encodes(t, "cc", (const int32_t[]){3, 3}, 2));
        ft_tok_free(t);
    }
    #undef BL
    /* the crate's test_bpe_byte_fallback, and a character only half covered */
    t = load_json("{\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"byte_fallback\":true,"
                  "\"vocab\":{\"<unk>\":0,\"<0x61>\":1,\"<0xC3>\":2},\"merges\":[]}}");
    CHECK(t != NULL);
    if (t) {
        CHECK(encodes(t, "c", (const int32_t[]){0}, 1));
        CHECK(encodes(t, "a", (const int32_t[]){1}, 1));
        CHECK(encodes(t, "\xc3\xa9" "a", (const int32_t[]){0, 1}, 2));
        ft_tok_free(t);
    }
}

/* A model dir with one file holding CONTENT; loading must fail with an
   error that contains WANT. */
static void bad_dir(const char *file, const char *content, const char *want)
{
    char dir[] = "/tmp/ft_tok_bad_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *p = ft_xasprintf("%s/%s", dir, file);
    FILE *f = fopen(p, "w"); fputs(content, f); fclose(f);
    char *err = NULL;
    ft_tokenizer *t = ft_tok_load(dir, &err);
    CHECK(t == NULL && err && strstr(err, want) && strstr(err, file));
    if (err && !strstr(err, want)) fprintf(stderr, "  error was: %s\n", err);
    free(err); unlink(p); free(p); rmdir(dir);
}

static void test_bad_files(void)
{
    bad_dir("tokenizer.json", "{\"model\": ", "line 1");
    bad_dir("tokenizer.json", "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0},\"unk_token\":\"[UNK]\"}}",
            "unk_token");
    bad_dir("tokenizer.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[\"a b\"]}}",
            "model.merges[0]: merged token \"ab\"");
    bad_dir("tokenizer.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-3},\"merges\":[]}}", "model.vocab[\"a\"]");
    bad_dir("tokenizer.json", "{\"normalizer\":{\"type\":\"Fancy\"},\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}",
            "normalizer: normalizer type \"Fancy\"");
    /* fuzzing (finding 16): an id of 2^31-1 sized the per-id tables from it */
    bad_dir("tokenizer.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":2147483647},\"merges\":[]}}",
            "model.vocab[\"a\"]: id 2147483647 is not below 4194304");
    /* Split: a regex Oniguruma cannot compile, and a behaviour the crate lacks */
    bad_dir("tokenizer.json", "{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(a\"},"
            "\"behavior\":\"Isolated\",\"invert\":false},\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}",
            "pre_tokenizer.pattern.Regex: \"(a\" does not compile: end pattern with unmatched parenthesis");
    bad_dir("tokenizer.json", "{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"a\"},"
            "\"behavior\":\"Glued\"},\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}",
            "pre_tokenizer: Split behavior \"Glued\" is not one of Removed, Isolated");
    bad_dir("vocab.json", "{}", "no merges.txt");
    bad_dir("vocab.txt", "[PAD]\n[UNK]\n", "[CLS]");
    bad_dir("spiece.model", "\x0a\x7f", "malformed protobuf");          /* length past the end */
    bad_dir("spiece.model", "\x12\x02\x18\x02", "not Unigram");        /* trainer_spec.model_type BPE */
    /* fuzzing: a post-processor's special token id outside the vocabulary */
    bad_dir("tokenizer.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
            "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}],"
            "\"pair\":[],\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[916],\"tokens\":[\"[CLS]\"]}}}}",
            "post_processor.single: [0]: special token \"[CLS]\" has id 916, outside the vocabulary (ids 0 to 0)");
    bad_dir("tokenizer.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
            "\"post_processor\":{\"type\":\"BertProcessing\",\"cls\":[\"[CLS]\",0],\"sep\":[\"[SEP]\",-1]}}",
            "post_processor: sep has id -1");
    /* fuzzing: vocab.json keys that are one token once the byte-level
       alphabet is undone ("Ġ" is the byte ' '); the message printed a freed,
       unterminated copy of the key */
    {
        char dir[] = "/tmp/ft_tok_dup_XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char *v = ft_xasprintf("%s/vocab.json", dir), *m = ft_xasprintf("%s/merges.txt", dir);
        FILE *f = fopen(v, "w"); fputs("{\"\xc4\xa0\":0,\" \":1}", f); fclose(f);
        f = fopen(m, "w"); fputs("#version: 0.2\n", f); fclose(f);
        char *err = NULL;
        /* the vocabulary's error names vocab.json, not merges.txt */
        CHECK(ft_tok_load(dir, &err) == NULL && err && strstr(err, "token \" \" has ids 0 and 1") &&
              strstr(err, "vocab.json: "));
        if (err && !strstr(err, "vocab.json: ")) fprintf(stderr, "  error was: %s\n", err);
        free(err); err = NULL;
        /* and a merge's error names merges.txt */
        f = fopen(v, "w"); fputs("{\"a\":0,\"b\":1}", f); fclose(f);
        f = fopen(m, "w"); fputs("#version: 0.2\na b\n", f); fclose(f);
        CHECK(ft_tok_load(dir, &err) == NULL && err && strstr(err, "merges.txt: model.merges[0]: merged token \"ab\""));
        if (err && !strstr(err, "merges.txt: ")) fprintf(stderr, "  error was: %s\n", err);
        free(err); unlink(v); unlink(m); free(v); free(m); rmdir(dir);
    }
    char *err = NULL;
    CHECK(ft_tok_load("/nonexistent/model", &err) == NULL && strstr(err, "/nonexistent/model"));
    free(err);
}

/* Finding 15 (docs/reliability.md): the crate gives an added token whose
   content the model's vocabulary holds the model's id, and any other the
   next id after the vocabulary, whatever "id" the file says; ft took the
   file's id, and "[CLS]" 827 came out of encode in a 3-id vocabulary. */
static void test_added_token_ids(void)
{
    ft_tokenizer *t = load_json("{\"added_tokens\":["
        "{\"id\":827,\"content\":\"[CLS]\",\"special\":true},"
        "{\"id\":-5,\"content\":\"<new>\",\"special\":true},"
        "{\"id\":2147483647,\"content\":\"<new2>\",\"special\":false}],"
        "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
        "\"vocab\":{\"[UNK]\":0,\"[CLS]\":1,\"a\":2}}}");
    CHECK(t != NULL);
    if (t) {
        CHECK(encodes(t, "[CLS]a<new><new2>", (const int32_t[]){1, 2, 3, 4}, 4));
        CHECK(ft_tok_vocab_size(t) == 5);
        ft_tok_free(t);
    }
}

int main(void)
{
    snprintf(models, sizeof models, "%s/models", test_shared());
    RUN(test_utf8_repair);
    RUN(test_classes);
    RUN(test_bert_chinese);
    RUN(test_gpt2_batch);
    RUN(test_bad_files);
    RUN(test_bpe_missing_symbols);
    RUN(test_added_token_ids);
    TEST_MAIN_END();
}
