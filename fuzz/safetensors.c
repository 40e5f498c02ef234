/* Harness: a safetensors file (header, offsets, data), opened as a model
   checkpoint is, every tensor looked up and converted to f32 when it is a
   float type. */
#include "fuzz.h"
#include "safetensors.h"
#include <stdlib.h>

static void open_all(const char *path)
{
    ft_st_file *f = ft_st_open(path);
    for (int i = 0; i < f->n; i++) {
        const ft_st_tensor *t = &f->t[i];
        if (ft_st_find(f, t->name) != t) abort();
        if (t->dtype == FT_F32 || t->dtype == FT_F16 || t->dtype == FT_BF16 || t->dtype == FT_F64) {
            float *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
            ft_st_read_f32(f, t, x);
            free(x);
        }
    }
    ft_st_meta(f, "format");
    ft_st_close(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    fuzz_on_file("model.safetensors", data, n, open_all);
    return 0;
}
