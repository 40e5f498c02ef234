/* tokcache: ft-tokenize's content-addressed cache.  A run's output is kept
   as zstd shards of N records in DIR/KEY/, KEY hashing the tokenizer files,
   the options key and the input bytes; a rerun with the same key copies the
   shards out without tokenizing.  The directory appears only complete
   (written as KEY.tmp.PID, then renamed). */
#ifndef FT_TOKCACHE_H
#define FT_TOKCACHE_H
#include "stream.h"
#include <stdint.h>

typedef struct ft_tokcache ft_tokcache;

/* Opens the cache for these inputs.  stdin ("-" as the only file) is spooled
   into DIR first, since it must be hashed before it is read: *files then
   names the spool.  seed: the tokenizer's hash. */
ft_tokcache *ft_tokcache_open(const char *dir, uint64_t seed, const char *options_key,
                              char **files, int nfiles);
/* The key's directory when it is complete, else NULL. */
const char *ft_tokcache_hit(const ft_tokcache *c);
/* Copies the cached records to w; returns their count. */
size_t ft_tokcache_replay(const ft_tokcache *c, ft_writer *w);
/* Starts keeping records: each goes to w and to the shards (header: a copy of
   the stream's, plus "shard": N). */
void ft_tokcache_begin(ft_tokcache *c, ft_writer *w, const json_t *header, long shard_size);
/* The ft_record_sink that does it (ctx: the cache). */
void ft_tokcache_put(void *ctx, const ft_record *rec);
/* After w is closed: the shards' directory appears under its key.  Frees c. */
void ft_tokcache_close(ft_tokcache *c);
#endif
