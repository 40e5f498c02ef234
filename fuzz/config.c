/* Harness: a model's config.json, read as ft-train reads it: the labels,
   the task, and each architecture's sizes (BERT, GPT-2, T5), up to the size
   check that refuses absurd models before anything is allocated. */
#include "bert.h"
#include "fuzz.h"
#include "gpt2.h"
#include "hf_config.h"
#include "model.h"
#include "t5.h"

static ft_config *cfg;

static void load(const char *path) { cfg = ft_config_load(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    int ok;
    if (!fuzz_on_file("config.json", data, n, load)) return 0;
    ft_bert_config bc;
    ft_gpt2_config gc;
    ft_t5_config tc;
    FUZZ_RUN(ok, ft_task_of_config(cfg));
    FUZZ_RUN(ok, ft_bert_config_read(cfg, &bc));
    FUZZ_RUN(ok, ft_gpt2_config_read(cfg, &gc));
    FUZZ_RUN(ok, ft_t5_config_read(cfg, &tc));
    FUZZ_RUN(ok, ft_config_is_encoder_decoder(cfg));
    (void)ok;
    ft_config_free(cfg);
    return 0;
}
