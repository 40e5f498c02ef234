/* ft's side of the GGUF export checks (tests/sh/export.sh): the model's own
 * next-token log-probabilities at every position.
 *   gguf_drv MODEL_DIR IDS_JSON OUT.bin [ADAPTER_DIR]
 * Runs ft_model_forward on the ids (one row, no padding), with the PEFT
 * adapter attached unmerged when given, and writes log_softmax of each
 * position's logits as float32 [T, vocab] to OUT.bin, as
 * tests/ref/gguf_check.js writes llama.cpp's. */
#include "checkpoint.h"
#include "lora.h"
#include "model.h"
#include "util.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    if (argc != 4 && argc != 5) ft_die("usage: gguf_drv MODEL_DIR IDS_JSON OUT.bin [ADAPTER_DIR]");
    json_error_t e;
    json_t *ids = json_loads(argv[2], 0, &e);
    if (!json_is_array(ids) || !json_array_size(ids)) ft_die("IDS_JSON: not a non-empty array");
    int T = (int)json_array_size(ids);
    int32_t *tok = ft_xmalloc(T * sizeof *tok);
    for (int t = 0; t < T; t++) tok[t] = (int32_t)json_integer_value(json_array_get(ids, t));
    char *dir = ft_resolve_model_dir(argv[1]);
    ft_model *m = ft_model_load(dir, "causal-lm", 0, 42);
    if (argc == 5) ft_lora_load(m, argv[4]);
    int V = m->gen.vocab_size;
    float *lg = ft_xmalloc((size_t)T * V * sizeof *lg);
    ft_batch b = { .B = 1, .T = T, .input_ids = tok };
    ft_model_forward(m, &b, lg);
    for (int t = 0; t < T; t++) {
        float *r = lg + (size_t)t * V, mx = -INFINITY;
        for (int v = 0; v < V; v++) mx = fmaxf(mx, r[v]);
        double s = 0;
        for (int v = 0; v < V; v++) s += exp((double)r[v] - mx);
        float lse = mx + (float)log(s);
        for (int v = 0; v < V; v++) r[v] -= lse;
    }
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(lg, sizeof *lg, (size_t)T * V, f) != (size_t)T * V || fclose(f)) ft_die("%s: write failed", argv[3]);
    ft_model_free(m);
    free(lg); free(tok); free(dir);
    json_decref(ids);
    return 0;
}
