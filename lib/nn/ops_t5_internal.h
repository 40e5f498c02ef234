/* ops_t5_internal: what ops_t5.h keeps out of its API: the bucket of one relative position (ft_t5_rel_bias fills whole tables with it).
   Tested directly, so declared here for the tests (and fuzz harnesses),
   beside the module; tools never include it. */
#ifndef FT_OPS_T5_INTERNAL_H
#define FT_OPS_T5_INTERNAL_H
#include "ops_t5.h"

/* HF T5Attention._relative_position_bucket for relative_position = key − query. */
int ft_t5_rel_bucket(int rel, int bidirectional, int num_buckets, int max_distance);
#endif
