/* hf_config: config.json as JSON plus label bookkeeping.  See hf_config.h. */
#include "hf_config.h"
#include "publish.h"
#include "util.h"
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static const char *what(const ft_config *c) { return c->path ? c->path : "config"; }

static void free_labels(ft_config *c)
{
    for (int i = 0; c->id2label && i < c->num_labels; i++) free(c->id2label[i]);
    free(c->id2label);
    c->id2label = NULL;
}

void ft_config_set_labels(ft_config *c, int n, const char *const *names)
{
    free_labels(c);
    c->num_labels = n;
    c->id2label = ft_xcalloc(n > 0 ? n : 1, sizeof(char *));
    for (int i = 0; i < n; i++)
        c->id2label[i] = names && names[i] ? ft_xstrdup(names[i]) : ft_xasprintf("LABEL_%d", i);
}

ft_config *ft_config_from_json(json_t *obj, const char *src)
{
    if (!json_is_object(obj)) ft_die("%s: config is not a JSON object", src);
    ft_config *c = ft_xcalloc(1, sizeof *c);
    c->json = obj;
    c->path = ft_xstrdup(src);
    /* HF: id2label wins (keys are stringified ints), else num_labels, else 2. */
    json_t *id2 = json_object_get(obj, "id2label");
    if (json_is_object(id2) && json_object_size(id2) > 0) {
        int n = (int)json_object_size(id2);
        const char **names = ft_xcalloc(n, sizeof *names);
        const char *k;
        json_t *v;
        json_object_foreach(id2, k, v) {
            char *end;
            errno = 0;
            long i = strtol(k, &end, 10);
            if (*end || errno || i < 0 || i >= n || !json_is_string(v))
                ft_die("%s: id2label: bad entry \"%s\"", src, k);
            names[i] = json_string_value(v);
        }
        for (int i = 0; i < n; i++) if (!names[i]) ft_die("%s: id2label: no label %d", src, i);
        ft_config_set_labels(c, n, names);
        free(names);
    } else {
        ft_config_set_labels(c, (int)ft_config_int(c, "num_labels", 2), NULL);
    }
    const char *pt = ft_config_str(c, "problem_type", NULL);
    c->problem_type = pt ? ft_xstrdup(pt) : NULL;
    return c;
}

ft_config *ft_config_load(const char *path)
{
    json_error_t err;
    json_t *obj = json_load_file(path, 0, &err);
    if (!obj) ft_die("%s:%d: %s", path, err.line, err.text);
    return ft_config_from_json(obj, path);
}

void ft_config_free(ft_config *c)
{
    if (!c) return;
    free_labels(c);
    json_decref(c->json);
    free(c->problem_type);
    free(c->path);
    free(c);
}

long ft_config_int(const ft_config *c, const char *key, long def)
{
    json_t *v = json_object_get(c->json, key);
    if (!v || json_is_null(v)) return def;
    /* every integer a model reads is an int: a larger one is refused, not wrapped */
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < INT_MIN || x > INT_MAX) ft_die("%s: \"%s\" %lld is out of range", what(c), key, (long long)x);
        return (long)x;
    }
    if (json_is_real(v)) {
        double x = json_real_value(v);
        if (!(x >= INT_MIN && x <= INT_MAX)) ft_die("%s: \"%s\" %g is out of range", what(c), key, x);
        if (x == (long)x) return (long)x;
    }
    ft_die("%s: \"%s\" must be an integer", what(c), key);
}

double ft_config_num(const ft_config *c, const char *key, double def)
{
    json_t *v = json_object_get(c->json, key);
    if (!v || json_is_null(v)) return def;
    if (json_is_number(v)) return json_number_value(v);
    ft_die("%s: \"%s\" must be a number", what(c), key);
}

int ft_config_bool(const ft_config *c, const char *key, int def)
{
    json_t *v = json_object_get(c->json, key);
    if (!v || json_is_null(v)) return def;
    if (json_is_boolean(v)) return json_is_true(v);
    ft_die("%s: \"%s\" must be true or false", what(c), key);
}

const char *ft_config_str(const ft_config *c, const char *key, const char *def)
{
    json_t *v = json_object_get(c->json, key);
    if (!v || json_is_null(v)) return def;
    if (json_is_string(v)) return json_string_value(v);
    ft_die("%s: \"%s\" must be a string", what(c), key);
}

void ft_config_check_size(const ft_config *c, double nparams, const char *dims)
{
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    double need = nparams * 8;      /* weights and gradients, f32 each */
    if (!(need <= have))
        ft_die("%s: %s: the model would have %.3g parameters (%.3g GB of weights and gradients), "
               "more than this machine's %.3g GB of memory", what(c), dims, nparams, need / 1e9, have / 1e9);
}

long ft_config_req_int(const ft_config *c, const char *key)
{
    if (!json_object_get(c->json, key)) ft_die("%s: \"%s\" missing", what(c), key);
    return ft_config_int(c, key, 0);
}

void ft_config_set_str(ft_config *c, const char *key, const char *val)
{
    if (val) json_object_set_new(c->json, key, json_string(val));
    else json_object_del(c->json, key);
    if (strcmp(key, "problem_type") == 0) {
        free(c->problem_type);
        c->problem_type = val ? ft_xstrdup(val) : NULL;
    }
}

void ft_config_save(ft_config *c, const char *architecture, const char *path)
{
    json_t *o = c->json;
    if (architecture) {
        json_t *a = json_array();
        json_array_append_new(a, json_string(architecture));
        json_object_set_new(o, "architectures", a);
    }
    /* transformers writes id2label/label2id and drops num_labels (derived). */
    json_t *id2 = json_object(), *l2i = json_object();
    for (int i = 0; i < c->num_labels; i++) {
        char k[24];
        snprintf(k, sizeof k, "%d", i);
        json_object_set_new(id2, k, json_string(c->id2label[i]));
        json_object_set_new(l2i, c->id2label[i], json_integer(i));
    }
    json_object_set_new(o, "id2label", id2);
    json_object_set_new(o, "label2id", l2i);
    json_object_del(o, "num_labels");
    if (c->problem_type) json_object_set_new(o, "problem_type", json_string(c->problem_type));
    ft_write_json(o, path, JSON_INDENT(2) | JSON_SORT_KEYS);
}
