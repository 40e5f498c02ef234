/* mlm_internal: what mlm.h keeps out of its API: the masking of one sequence (ft_mlm_mask_batch calls it for each row).
   Tested directly, so declared here for the tests (and fuzz harnesses),
   beside the module; tools never include it. */
#ifndef FT_MLM_INTERNAL_H
#define FT_MLM_INTERNAL_H
#include "mlm.h"
#include <stddef.h>
#include <stdint.h>

/* Masks n tokens: ids_out = the masked input, labels_out = the original id
   where masked, else -100.  attention_mask (may be NULL): 0 = padding, never
   masked.  Returns how many tokens were chosen. */
size_t ft_mlm_mask(const ft_mlm *c, size_t n, const int32_t *ids, const int32_t *attention_mask,
                   int32_t *ids_out, int32_t *labels_out, uint64_t key);
#endif
