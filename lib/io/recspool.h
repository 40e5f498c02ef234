/* recspool: records parked on disk and read back by index, in any order.
   Each record is packed as msgpack into an unlinked temp file; only its
   offset stays in memory (8 bytes a record), so a tool can reorder inputs of
   any size - ft-split writing rows in permutation order to another format. */
#ifndef FT_RECSPOOL_H
#define FT_RECSPOOL_H
#include "record.h"
#include <stddef.h>

typedef struct ft_recspool ft_recspool;

ft_recspool *ft_recspool_new(void);
void ft_recspool_put(ft_recspool *s, const ft_record *rec);
size_t ft_recspool_count(const ft_recspool *s);
/* Ends writing and maps the file; then ft_recspool_get may be called. */
void ft_recspool_seal(ft_recspool *s);
/* Fills rec (cleared first) with record i. */
void ft_recspool_get(ft_recspool *s, size_t i, ft_record *rec);
void ft_recspool_free(ft_recspool *s);
#endif
