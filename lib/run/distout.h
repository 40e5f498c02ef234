/* distout: per-record outputs of a sharded run written in input order.
   Each rank puts the records it made, each tagged with its input index;
   ft_distout_close gathers them to rank 0, which writes them to its writer
   in index order - the same file as one process writes.  One process writes
   straight through, holding nothing.  Several: everything is held until the
   end (text-sized outputs: generations, predictions). */
#ifndef FT_DISTOUT_H
#define FT_DISTOUT_H
#include "record.h"
#include "stream.h"

typedef struct ft_distout ft_distout;
/* w: the output on rank 0 (other ranks pass NULL). */
ft_distout *ft_distout_new(ft_writer *w);
void ft_distout_put(ft_distout *d, long index, const ft_record *rec);
/* Collective: every rank calls it.  Writes, frees d; does not close w. */
void ft_distout_close(ft_distout *d);
#endif
