/* --target-modules all-linear (PEFT's INCLUDE_LINEAR_LAYERS_SHORTHAND): every
   linear layer but the output layer / classifier, the resolved full module
   names saved in adapter_config.json as PEFT does, and an adapter whose
   config says "all-linear" loads. */
#include "test.h"
#include "lora.h"
#include "model.h"
#include "util.h"
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static char dir[] = "/tmp/ft_test_lora_all_linear_XXXXXX";

static const char *gpt2_cfg =
    "{\"model_type\":\"gpt2\",\"vocab_size\":23,\"n_embd\":8,\"n_layer\":2,\"n_head\":2,"
    "\"n_positions\":12,\"n_inner\":null,\"activation_function\":\"gelu_new\","
    "\"layer_norm_epsilon\":1e-5,\"initializer_range\":0.3,\"eos_token_id\":3}";
static const char *bert_cfg =
    "{\"model_type\":\"bert\",\"vocab_size\":30,\"hidden_size\":8,\"num_hidden_layers\":2,"
    "\"num_attention_heads\":2,\"intermediate_size\":12,\"max_position_embeddings\":12,"
    "\"type_vocab_size\":2,\"initializer_range\":0.3,\"num_labels\":3}";

static const char *qwen2_cfg =
    "{\"model_type\":\"qwen2\",\"vocab_size\":40,\"hidden_size\":8,\"intermediate_size\":12,"
    "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
    "\"max_position_embeddings\":16,\"tie_word_embeddings\":false}";

static ft_lora_config lcfg(const char *targets)
{
    ft_lora_config c;
    ft_lora_config_default(&c);
    c.r = 2; c.target_modules = targets;
    return c;
}

static int adapted(const ft_model *m, const char *module)
{
    for (int l = 0; l < m->lora->n; l++) if (!strcmp(m->lora->L[l].module, module)) return 1;
    return 0;
}

static const char *gpt2_linear[] = { "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj" };

/* the saved target_modules: a list of exactly the adapted layers' full names */
static void check_saved_targets(const ft_model *m, const char *ad)
{
    char *p = ft_xasprintf("%s/adapter_config.json", ad);
    json_t *j = json_load_file(p, 0, NULL);
    json_t *t = json_object_get(j, "target_modules");
    CHECK(json_is_array(t) && (int)json_array_size(t) == m->lora->n);
    for (size_t i = 0; json_is_array(t) && i < json_array_size(t); i++)
        CHECK(adapted(m, json_string_value(json_array_get(t, i))));
    json_decref(j);
    free(p);
}

static void gpt2_all_linear(void)
{
    char *cfg = test_write_config(dir, "gpt2", gpt2_cfg);
    ft_model *m = ft_model_new_from_config(cfg, "causal-lm", 0, 1);
    char *base = ft_xasprintf("%s/gpt2_base", dir), *ad = ft_xasprintf("%s/gpt2_adapter", dir);
    ft_model_save(m, base);
    ft_lora_config c = lcfg("all-linear");
    ft_lora_attach(m, &c, 5);
    CHECK(m->lora->n == 2 * 4);
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < 4; k++) {
            char *mod = ft_xasprintf("transformer.h.%d.%s", l, gpt2_linear[k]);
            CHECK(adapted(m, mod));
            free(mod);
        }
    /* the LM head (tied wte) is never adapted */
    for (int l = 0; l < m->lora->n; l++) CHECK(!strstr(m->lora->L[l].module, "wte"));
    ft_model_save(m, ad);
    check_saved_targets(m, ad);

    /* the saved (resolved) config loads onto the same layers */
    ft_model *m2 = ft_model_load(base, "causal-lm", 0, 1);
    ft_lora_load(m2, ad);
    CHECK(m2->lora->n == m->lora->n);
    ft_model_free(m2);

    /* a config that says "all-linear" (as written before PEFT resolves it),
       any case, loads too and saves the resolved list */
    char *p = ft_xasprintf("%s/adapter_config.json", ad);
    json_t *j = json_load_file(p, 0, NULL);
    json_object_set_new(j, "target_modules", json_string("ALL-Linear"));
    json_dump_file(j, p, 0);
    json_decref(j);
    m2 = ft_model_load(base, "causal-lm", 0, 1);
    ft_lora_load(m2, ad);
    CHECK(m2->lora->n == m->lora->n);
    ft_lora_save(m2, ad);
    check_saved_targets(m2, ad);
    ft_model_free(m2);
    ft_model_free(m);
    free(p); free(base); free(ad); free(cfg);
}

/* seq-cls: the pooler is a linear layer, the classifier is not adapted but
   trains (PEFT's SEQ_CLS modules_to_save) */
static void bert_all_linear(void)
{
    char *cfg = test_write_config(dir, "bert", bert_cfg);
    ft_model *m = ft_model_new_from_config(cfg, "seq-cls", 3, 1);
    ft_lora_config c = lcfg("all-linear");
    ft_lora_attach(m, &c, 3);
    CHECK(m->lora->n == 2 * 6 + 1);   /* q, k, v, 3 dense per layer, pooler */
    CHECK(adapted(m, "bert.pooler.dense"));
    CHECK(adapted(m, "bert.encoder.layer.1.attention.self.key"));
    CHECK(!adapted(m, "classifier"));
    ft_params *ps = ft_model_params(m);
    CHECK(ps->p[ft_params_find(ps, "classifier.weight")].trainable);
    ft_model_free(m);
    free(cfg);
}

/* Llama family (untied lm_head, an nn.Linear PEFT leaves out): the seven
   projections of every layer */
static void qwen2_all_linear(void)
{
    static const char *proj[] = { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                  "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" };
    char *cfg = test_write_config(dir, "qwen2", qwen2_cfg);
    ft_model *m = ft_model_new_from_config(cfg, "causal-lm", 0, 1);
    ft_lora_config c = lcfg("all-linear");
    ft_lora_attach(m, &c, 3);
    CHECK(m->lora->n == 2 * 7);
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < 7; k++) {
            char *mod = ft_xasprintf("model.layers.%d.%s", l, proj[k]);
            CHECK(adapted(m, mod));
            free(mod);
        }
    CHECK(!adapted(m, "lm_head"));
    ft_model_free(m);
    free(cfg);
}

/* a regex target is Python's re.fullmatch over the full module name
   (PEFT's check_target_module_exists): layer 1's q and down projections */
static void qwen2_regex_targets(void)
{
    char *cfg = test_write_config(dir, "qwen2", qwen2_cfg);
    ft_model *m = ft_model_new_from_config(cfg, "causal-lm", 0, 1);
    ft_lora_config c = lcfg("model\\.layers\\.1\\..*\\.(q_proj|down_proj)");
    ft_lora_attach(m, &c, 3);
    CHECK(m->lora->n == 2);
    CHECK(adapted(m, "model.layers.1.self_attn.q_proj"));
    CHECK(adapted(m, "model.layers.1.mlp.down_proj"));
    ft_model_free(m);
    free(cfg);
}

int main(void)
{
    ft_set_prog("test_lora_all_linear");
    if (!mkdtemp(dir)) return 1;
    RUN(gpt2_all_linear);
    RUN(bert_all_linear);
    RUN(qwen2_all_linear);
    RUN(qwen2_regex_targets);
    char *cmd = ft_xasprintf("rm -rf %s", dir);
    if (system(cmd)) {}
    free(cmd);
    TEST_MAIN_END();
}
