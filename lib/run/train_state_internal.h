/* train_state_internal: what train_state.h keeps out of its API: the trainer_state.json reader alone (ft_run_resume calls it; the fuzz harness feeds it).
   Tested directly, so declared here for the tests (and fuzz harnesses),
   beside the module; tools never include it. */
#ifndef FT_TRAIN_STATE_INTERNAL_H
#define FT_TRAIN_STATE_INTERNAL_H
#include "train_state.h"

/* The trainer_state.json part of a resume (counters, best metric, log). */
void ft_run_state_read(ft_run_state *st, const char *path);
#endif
