/* Harness: a checkpoint's trainer_state.json, read as
   --resume-from-checkpoint reads it. */
#include "fuzz.h"
#include "model.h"
#include "train_state.h"
#include "train_state_internal.h"
#include <jansson.h>
#include <stdlib.h>

static void read_state(const char *path)
{
    ft_model m = {0};
    ft_run_state st = {0};
    ft_train_args a;
    ft_train_args_default(&a);
    st.m = &m;
    st.a = &a;
    ft_run_state_read(&st, path);
    json_decref(st.log_history);
    free(st.best_checkpoint);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    fuzz_on_file("trainer_state.json", data, n, read_state);
    return 0;
}
