/* Harness: a PEFT adapter_config.json, read as ft-train --adapter and
   ft-merge-lora read it. */
#include "fuzz.h"
#include "lora.h"
#include <stdlib.h>

static void read_config(const char *path)
{
    ft_lora_config c;
    char *base;
    ft_lora_config_read(path, &c, &base);
    free((char *)c.target_modules);
    free((char *)c.modules_to_save);
    free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    fuzz_on_file("adapter_config.json", data, n, read_config);
    return 0;
}
