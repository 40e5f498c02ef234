/* Harness: a PEFT adapter_config.json, read as ft-train --adapter and
   ft-merge-lora read it. */
#include "fuzz.h"
#include "lora.h"
#include <stdlib.h>

static const char *path;

static void read_config(void)
{
    ft_lora_config c;
    char *base;
    ft_lora_config_read(path, &c, &base);
    free((char *)c.target_modules);
    free((char *)c.modules_to_save);
    free(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    int ok;
    path = fuzz_file("adapter_config.json", data, n);
    FUZZ_RUN(ok, read_config());
    (void)ok;
    return 0;
}
