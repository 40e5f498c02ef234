/* chat_config: a model directory's chat template and the variables
   transformers gives it besides the messages: the special tokens of
   tokenizer_config.json (bos_token, eos_token, unk_token, pad_token, as
   strings or AddedToken maps), as apply_chat_template passes
   tokenizer.special_tokens_map. */
#include "chat_template.h"
#include "chat_tokenize.h"
#include "util.h"
#include <string.h>

/* The template source: chat_template.jinja when the directory has one (as
   transformers saves it since 4.50), else tokenizer_config.json's
   chat_template, a string or a list of {name, template} (the "default" one). */
static char *template_source(const char *dir, json_t *cfg, char **err)
{
    char *path = ft_xasprintf("%s/chat_template.jinja", dir);
    char *src = ft_read_file_opt(path, NULL);
    free(path);
    if (src) return src;
    json_t *t = json_object_get(cfg, "chat_template");
    if (json_is_string(t)) return ft_xstrdup(json_string_value(t));
    if (json_is_array(t)) {
        size_t i; json_t *x;
        json_array_foreach(t, i, x)
            if (!strcmp(json_string_value(json_object_get(x, "name")) ? json_string_value(json_object_get(x, "name")) : "", "default")
                && json_is_string(json_object_get(x, "template")))
                return ft_xstrdup(json_string_value(json_object_get(x, "template")));
        *err = ft_xasprintf("%s/tokenizer_config.json: chat_template is a list without a \"default\" template", dir);
        return NULL;
    }
    *err = ft_xasprintf("%s: no chat template (neither chat_template.jinja nor tokenizer_config.json's chat_template)", dir);
    return NULL;
}

static json_t *load_config(const char *dir)
{
    char *path = ft_xasprintf("%s/tokenizer_config.json", dir);
    json_error_t je;
    json_t *cfg = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je);   /* model_max_length 1e30 */
    free(path);
    return cfg;
}

static json_t *special_tokens(json_t *cfg)
{
    json_t *special = json_object();
    static const char *const names[] = {"bos_token", "eos_token", "unk_token", "pad_token", NULL};
    for (int i = 0; cfg && names[i]; i++) {
        json_t *v = json_object_get(cfg, names[i]);
        if (json_is_object(v)) v = json_object_get(v, "content");
        if (json_is_string(v)) json_object_set(special, names[i], v);
    }
    return special;
}

json_t *ft_chat_special_tokens(const char *dir)
{
    json_t *cfg = load_config(dir), *special = special_tokens(cfg);
    json_decref(cfg);
    return special;
}

char *ft_chat_template_source(const char *dir, char **err)
{
    json_t *cfg = load_config(dir);
    char *src = template_source(dir, cfg, err);
    json_decref(cfg);
    return src;
}

ft_chat_config *ft_chat_config_load(const char *dir, char **err)
{
    json_t *cfg = load_config(dir);     /* NULL: a chat_template.jinja may stand alone */
    char *src = template_source(dir, cfg, err);
    if (!src) { json_decref(cfg); return NULL; }
    char *perr = NULL;
    ft_chat_template *t = ft_chat_template_parse(src, &perr);
    free(src);
    if (!t) {
        *err = ft_xasprintf("%s: chat template: %s", dir, perr);
        free(perr);
        json_decref(cfg);
        return NULL;
    }
    ft_chat_config *c = ft_xcalloc(1, sizeof *c);
    c->tpl = t;
    c->special = special_tokens(cfg);
    json_decref(cfg);
    return c;
}

void ft_chat_config_free(ft_chat_config *c)
{
    if (!c) return;
    ft_chat_template_free(c->tpl);
    json_decref(c->special);
    free(c);
}

int ft_chat_render_messages(const ft_chat_config *c, json_t *messages, json_t *extra, int add_generation_prompt,
                            ft_chat_render *out, char **err)
{
    json_t *vars = json_copy(c->special);
    json_object_set(vars, "messages", messages);
    json_object_set_new(vars, "add_generation_prompt", json_boolean(add_generation_prompt));
    if (extra) json_object_update(vars, extra);
    int rc = ft_chat_template_render(c->tpl, vars, out, err);
    json_decref(vars);
    return rc;
}
