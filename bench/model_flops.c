/* model_flops: the GEMM floating-point operations of one training step
 * (forward, backward) of a model from its config, as the model counts them
 * (ft_model_flops: the count bench/bert_step_ft and t5_step_ft print, checked against
 * sgemm).  bench/table divides it by step times it did not measure in-process
 * (the MPI rows time ft-train as a user runs it).
 *   model_flops CONFIG.json TASK NUM_LABELS B T     → one number on stdout */
#include "hf_config.h"
#include "model.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    ft_set_prog("model_flops");
    if (argc != 6) ft_die("usage: model_flops CONFIG.json TASK NUM_LABELS B T");
    int task = ft_task_parse(argv[2]), B = atoi(argv[4]), T = atoi(argv[5]);
    if (task < 0) ft_die("unknown task '%s'", argv[2]);
    if (B < 1 || T < 1) ft_die("B and T must be positive");
    /* ft_model_new leaves the weights as allocated: counting needs no init */
    ft_model *m = ft_model_new(ft_config_load(argv[1]), task, atoi(argv[3]), 1);
    printf("%.0f\n", ft_model_flops(m, B, T));
    ft_model_free(m);
    return 0;
}
