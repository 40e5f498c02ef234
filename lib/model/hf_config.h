/* hf_config: a Hugging Face config.json, kept as JSON (so keys ft does not
 * know survive a load/save round trip) plus the label bookkeeping every task
 * model shares (num_labels, id2label, label2id, problem_type).
 * Model files read their own keys with the typed getters. */
#ifndef FT_HF_CONFIG_H
#define FT_HF_CONFIG_H
#include <jansson.h>

typedef struct ft_config {
    json_t *json;               /* owned; the whole config object */
    char *path;                 /* where it came from (for messages), or NULL */
    int num_labels;             /* len(id2label), else "num_labels", else 2 (HF default) */
    char **id2label;            /* num_labels names ("LABEL_i" when unnamed) */
    char *problem_type;         /* NULL, "single_label_classification",
                                   "multi_label_classification" or "regression" */
} ft_config;

ft_config *ft_config_load(const char *path);            /* dies "PATH: reason" */
ft_config *ft_config_from_json(json_t *obj, const char *what); /* takes a reference */
void ft_config_free(ft_config *c);

/* Getters: missing key → def; wrong type → dies naming the key. */
long ft_config_int(const ft_config *c, const char *key, long def);
double ft_config_num(const ft_config *c, const char *key, double def);
const char *ft_config_str(const ft_config *c, const char *key, const char *def);
int ft_config_bool(const ft_config *c, const char *key, int def);
/* Refuses, before anything is allocated, a config whose model of nparams
   parameters would not fit in this machine's memory (a config.json with
   hidden_size 1e9); dims names the sizes in the message. */
void ft_config_check_size(const ft_config *c, double nparams, const char *dims);
/* Dies if the key is absent. */
long ft_config_req_int(const ft_config *c, const char *key);

/* Replace the label set (names may be NULL → LABEL_i), as
   from_pretrained(num_labels=N) does when N differs from the config. */
void ft_config_set_labels(ft_config *c, int n, const char *const *names);
void ft_config_set_str(ft_config *c, const char *key, const char *val);
/* Write config.json: the stored JSON with architectures, num_labels-derived
   id2label/label2id and problem_type brought up to date; keys sorted, indent 2
   like transformers.  Atomic. */
void ft_config_save(ft_config *c, const char *architecture, const char *path);

#endif
