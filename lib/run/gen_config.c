/* gen_config: where generation's options come from — the flags, then the
 * model directory's generation_config.json (HF's GenerationConfig.
 * from_pretrained), else config.json's ids (from_model_config), then
 * GenerationConfig's defaults.  See generate.h. */
#include "generate.h"
#include "util.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ft_gen_opts_default(ft_gen_opts *o, const ft_model *m)
{
    memset(o, 0, sizeof *o);
    ft_sampling_default(&o->s);         /* the seed: no generation_config.json has one */
    o->max_new_tokens = o->max_length = o->n_eos = FT_GEN_UNSET;
    o->pad_token_id = o->bos_token_id = o->decoder_start_token_id = FT_GEN_UNSET;
    o->num_beams = o->early_stopping = o->s.do_sample = FT_GEN_UNSET;
    o->s.top_k = o->s.no_repeat_ngram_size = FT_GEN_UNSET;
    o->length_penalty = o->s.temperature = o->s.top_p = o->s.repetition_penalty = NAN;
    if (m) ft_gen_opts_from_model(o, m);
}

/* GenerationConfig's defaults; the ids none. */
static void hf_defaults(ft_gen_opts *g)
{
    memset(g, 0, sizeof *g);
    ft_sampling_default(&g->s);
    g->max_new_tokens = 20;
    g->pad_token_id = g->bos_token_id = g->decoder_start_token_id = -1;
    g->num_beams = 1;
    g->length_penalty = 1.0f;
}

/* An eos_token_id value, an integer or a list of them (null: none), into
   g; returns NULL, or what is wrong. */
static const char *eos_from_json(json_t *v, ft_gen_opts *g)
{
    g->n_eos = 0;
    if (!v || json_is_null(v)) return NULL;
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) return NULL;      /* HF's "none" written as -1 */
        g->eos_token_ids[g->n_eos++] = (int)json_integer_value(v);
        return NULL;
    }
    if (!json_is_array(v)) return "an integer or a list of integers";
    if (json_array_size(v) > FT_GEN_MAX_EOS) return "a list of at most 16 ids";
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 1 << 30)
            return "a list of token ids (integers >= 0)";
        g->eos_token_ids[g->n_eos++] = (int)json_integer_value(e);
    }
    return NULL;
}

const char *ft_gen_parse_eos(const char *s, ft_gen_opts *o)
{
    if (!strcmp(s, "-1")) { o->n_eos = 0; return NULL; }
    int n = 0;
    const char *p = s;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 1 << 30 || (*end && *end != ','))
            return "not a token id or a comma-separated list of them (-1: none)";
        if (n == FT_GEN_MAX_EOS) return "at most 16 ids";
        o->eos_token_ids[n++] = (int)v;
        if (!*end) break;
        p = end + 1;
    }
    o->n_eos = n;
    return NULL;
}

static int cfg_id(const ft_config *c, const char *key, int def)
{
    json_t *e = json_object_get(c->json, key);
    return e && json_is_integer(e) ? (int)json_integer_value(e) : def;
}

/* Without generation_config.json: config.json's ids (the HF config class's
   defaults where it has none), as from_model_config takes them. */
static void config_ids(ft_gen_opts *g, const ft_model *m)
{
    const ft_family *f = m->family;
    json_t *e = json_object_get(m->cfg->json, "eos_token_id");
    if (e && json_is_array(e)) {
        const char *bad = eos_from_json(e, g);
        if (bad) ft_die("%s: eos_token_id: must be %s", m->cfg->path, bad);
    } else {
        int eos = cfg_id(m->cfg, "eos_token_id", f ? f->eos_token_id : -1);
        g->n_eos = eos >= 0;
        g->eos_token_ids[0] = eos;
    }
    g->pad_token_id = cfg_id(m->cfg, "pad_token_id", f ? f->pad_token_id : -1);
    g->bos_token_id = m->gen.bos_token_id;
    g->decoder_start_token_id = m->gen.decoder_start_token_id;
}

/* generation_config.json's keys that ft takes, and how. */
enum kind { K_ID, K_EOS, K_COUNT, K_POSITIVE, K_BOOL, K_EARLY, K_NUM, K_UNIT, K_COUNT1 };
typedef struct { const char *key; enum kind kind; size_t off; } gkey;
#define AT(f) offsetof(ft_gen_opts, f)
static const gkey gkeys[] = {
    {"eos_token_id", K_EOS, 0}, {"pad_token_id", K_ID, AT(pad_token_id)},
    {"bos_token_id", K_ID, AT(bos_token_id)}, {"decoder_start_token_id", K_ID, AT(decoder_start_token_id)},
    {"max_new_tokens", K_COUNT, AT(max_new_tokens)}, {"max_length", K_COUNT1, AT(max_length)},
    {"num_beams", K_COUNT1, AT(num_beams)}, {"do_sample", K_BOOL, AT(s.do_sample)},
    {"early_stopping", K_EARLY, AT(early_stopping)}, {"length_penalty", K_NUM, AT(length_penalty)},
    {"temperature", K_POSITIVE, AT(s.temperature)}, {"top_k", K_COUNT, AT(s.top_k)},
    {"top_p", K_UNIT, AT(s.top_p)}, {"repetition_penalty", K_POSITIVE, AT(s.repetition_penalty)},
    {"no_repeat_ngram_size", K_COUNT, AT(s.no_repeat_ngram_size)},
};

/* Keys that change nothing ft writes (bookkeeping, what generate() returns
   besides the sequences), and keys ft does not do, with the value at which
   they do nothing (GenerationConfig's default); null always does nothing. */
static const char *const inert[] = {
    "transformers_version", "_from_model_config", "_commit_hash", "use_cache", "output_attentions",
    "output_hidden_states", "output_scores", "output_logits", "return_dict_in_generate",
    "cache_implementation", "return_legacy_cache", NULL };
static const struct { const char *key; double def; } idle[] = {
    {"min_length", 0}, {"num_return_sequences", 1}, {"num_beam_groups", 1}, {"diversity_penalty", 0},
    {"typical_p", 1}, {"epsilon_cutoff", 0}, {"eta_cutoff", 0}, {"encoder_repetition_penalty", 1},
    {"encoder_no_repeat_ngram_size", 0}, {"renormalize_logits", 0}, {"remove_invalid_values", 0},
    {"min_new_tokens", 0}, {NULL, 0} };

/* A key ft does not take: dies unless it changes nothing. */
static void other_key(const char *path, const char *key, json_t *v)
{
    if (json_is_null(v)) return;
    for (int i = 0; inert[i]; i++) if (!strcmp(key, inert[i])) return;
    for (int i = 0; idle[i].key; i++) {
        if (strcmp(key, idle[i].key)) continue;
        double x = json_is_boolean(v) ? json_is_true(v) : json_is_number(v) ? json_number_value(v) : NAN;
        if (x == idle[i].def) return;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    ft_die("%s: %s: %s is not supported by ft-generate yet", path, key, s ? s : "?");
}

/* One key's value into g (at k->off); returns NULL, or what it must be. */
static const char *take(const gkey *k, json_t *v, ft_gen_opts *g)
{
    int *ip = (int *)((char *)g + k->off);
    float *fp = (float *)((char *)g + k->off);
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    int integer = json_is_integer(v);
    if (json_is_null(v) && k->kind != K_EOS && k->kind != K_ID) {
        if (k->off == AT(s.top_k)) *ip = 0;     /* None: no top-k filter */
        return NULL;                            /* None: the default */
    }
    switch (k->kind) {
    case K_EOS: return eos_from_json(v, g);
    case K_ID:
        if (json_is_null(v)) { *ip = -1; return NULL; }
        if (!integer || x > 1 << 30) return "a token id (an integer) or null";
        *ip = x < 0 ? -1 : (int)x;
        return NULL;
    case K_COUNT: case K_COUNT1:
        if (!integer || x < (k->kind == K_COUNT1) || x > 1 << 20)
            return k->kind == K_COUNT1 ? "an integer >= 1" : "an integer >= 0";
        *ip = (int)x;
        return NULL;
    case K_BOOL:
        if (!json_is_boolean(v)) return "true or false";
        *ip = json_is_true(v);
        return NULL;
    case K_EARLY:
        if (json_is_string(v) && !strcmp(json_string_value(v), "never"))
            return "true or false (\"never\" is not supported by ft-generate yet)";
        if (!json_is_boolean(v)) return "true or false";
        *ip = json_is_true(v);
        return NULL;
    case K_POSITIVE:
        if (!(x > 0 && x <= 1e6)) return "a number > 0";
        *fp = (float)x;
        return NULL;
    case K_UNIT:
        if (!(x >= 0 && x <= 1)) return "a number in [0, 1]";
        *fp = (float)x;
        return NULL;
    case K_NUM:
        if (!(x >= -100 && x <= 100)) return "a number in [-100, 100]";
        *fp = (float)x;
        return NULL;
    }
    return NULL;
}

/* generation_config.json at path into g (its ids none where it has none). */
static void read_gen_config(ft_gen_opts *g, const char *path)
{
    json_error_t err;
    json_t *obj = json_load_file(path, 0, &err);
    if (!obj) ft_die("%s:%d: %s", path, err.line, err.text);
    if (!json_is_object(obj)) ft_die("%s: not a JSON object", path);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const gkey *k = NULL;
        for (size_t i = 0; i < sizeof gkeys / sizeof *gkeys; i++) if (!strcmp(key, gkeys[i].key)) k = &gkeys[i];
        if (!k) { other_key(path, key, v); continue; }
        const char *bad = take(k, v, g);
        if (bad) ft_die("%s: %s: must be %s", path, key, bad);
    }
    /* max_length counts only when max_new_tokens is not given (HF) */
    json_t *mn = json_object_get(obj, "max_new_tokens");
    if (g->max_length > 0 && (!mn || json_is_null(mn))) g->max_new_tokens = -1;
    json_decref(obj);
}

/* The model directory's generation_config.json, or NULL (malloc'd). */
static char *gen_config_path(const ft_model *m)
{
    const char *cp = m->cfg->path;
    size_t n = cp ? strlen(cp) : 0, k = strlen("config.json");
    if (n < k || strcmp(cp + n - k, "config.json") || (n > k && cp[n - k - 1] != '/')) return NULL;
    char *p = ft_xasprintf("%.*sgeneration_config.json", (int)(n - k), cp);
    struct stat st;
    if (stat(p, &st) == 0) return p;
    free(p);
    return NULL;
}

#define FILL(f) do { if (o->f == FT_GEN_UNSET) o->f = g.f; } while (0)
#define FILLF(f) do { if (isnan(o->f)) o->f = g.f; } while (0)

void ft_gen_opts_from_model(ft_gen_opts *o, const ft_model *m)
{
    ft_gen_opts g;
    hf_defaults(&g);
    char *gp = gen_config_path(m);
    if (gp) read_gen_config(&g, gp);
    else config_ids(&g, m);
    free(gp);
    if (o->n_eos == FT_GEN_UNSET) {
        o->n_eos = g.n_eos;
        memcpy(o->eos_token_ids, g.eos_token_ids, sizeof o->eos_token_ids);
    }
    FILL(max_new_tokens); FILL(max_length); FILL(pad_token_id); FILL(bos_token_id);
    FILL(decoder_start_token_id); FILL(num_beams); FILL(s.do_sample); FILL(s.top_k);
    FILL(s.no_repeat_ngram_size);
    FILLF(s.temperature); FILLF(s.top_p); FILLF(s.repetition_penalty);
    /* beam-only options the file sets do nothing without beams (HF only warns) */
    if (o->num_beams == 1) g.length_penalty = 1.0f, g.early_stopping = 0;
    FILLF(length_penalty); FILL(early_stopping);
}
