/* Harness: a checkpoint's trainer_state.json, read as
   --resume-from-checkpoint reads it. */
#include "fuzz.h"
#include "model.h"
#include "train_state.h"
#include <jansson.h>
#include <stdlib.h>

static const char *path;

static void read_state(void)
{
    ft_model m = {0};
    ft_run_state st = {0};
    st.m = &m;
    ft_run_state_read(&st, path);
    json_decref(st.log_history);
    free(st.best_checkpoint);
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
    path = fuzz_file("trainer_state.json", data, n);
    FUZZ_RUN(ok, read_state());
    (void)ok;
    return 0;
}
