/* dist: data-parallel runs over MPI ranks (docs/distributed.md).  Every rank
   holds the whole model; the gradients are summed across ranks in buckets;
   rank 0 logs and saves.  A process not started by an MPI launcher (mpirun,
   srun, hydra) is one rank of one and makes no MPI call at all, so plain
   `ft-train` behaves exactly as without MPI.  Any failure of a collective
   aborts the whole job (MPI_ERRORS_ARE_FATAL): a dead rank never hangs the
   others. */
#ifndef FT_DIST_H
#define FT_DIST_H
#include "params.h"
#include <stddef.h>
#include <stdint.h>

/* Joins the job when a launcher's environment says there is one; idempotent. */
void ft_dist_init(int *argc, char ***argv);
/* Leaves the job (after the last collective); a no-op for one process. */
void ft_dist_finalize(void);
int ft_dist_rank(void);                 /* 0 without a launcher */
int ft_dist_size(void);                 /* 1 without a launcher */
static inline int ft_dist_main(void) { return ft_dist_rank() == 0; }

/* Collectives: every rank calls them in the same order.  In place. */
void ft_dist_sum_f64(double *x, int n);
void ft_dist_sum_long(long *x, int n);
void ft_dist_max_int(int *x, int n);
void ft_dist_barrier(void);
/* Sums the trainable gradients of ps over the ranks, in buckets of about
   FT_DIST_BUCKET_BYTES taken from the last parameter back (the order backward
   finishes them, as torch DDP's buckets), all in flight at once. */
#define FT_DIST_BUCKET_BYTES (25u << 20)
void ft_dist_sum_grads(ft_params *ps);
/* The same sum overlapped with backward (DDP's buckets): begin, before the
   backward of a step's last micro-batch, sets the model's gradients-ready
   hook; each bucket, once backward reports its parameters final, is
   multiplied by scale (elementwise, as ft_grad_scale) and its allreduce
   started; end, after backward, starts the rest and waits.  The sums are
   bit-identical to ft_dist_sum_grads after ft_grad_scale(scale).  NULL (end
   takes it) when off: one process, or FT_DIST_OVERLAP=0 in the environment. */
typedef struct ft_dist_overlap ft_dist_overlap;
struct ft_model;
ft_dist_overlap *ft_dist_overlap_begin(struct ft_model *m, float scale);
void ft_dist_overlap_end(ft_dist_overlap *o);
/* Rank 0's weights to every rank: all start from identical parameters. */
void ft_dist_bcast_params(ft_params *ps);
/* Dies naming `what` unless every rank has the same 64-bit value. */
void ft_dist_check_same(uint64_t v, const char *what);
/* A checksum of the trainable weights (bit-exact; cheap next to a step). */
uint64_t ft_dist_params_hash(const ft_params *ps);
/* Seconds this rank has spent inside gradient sums so far (for benchmarks). */
double ft_dist_wait_seconds(void);

/* Per-record outputs (ft-generate, ft-eval --predictions; issue 16).  Every
   rank hands in n bytes; rank 0 gets all of them, rank 0's first, as one
   malloc'd buffer, and lens[r] (malloc'd, size ft_dist_size()) the share of
   rank r.  Other ranks get NULL.  One process: a copy of its own bytes. */
char *ft_dist_gather_bytes(const void *buf, size_t n, size_t **lens);
/* Sums x over the ranks, in place on every rank (any n: in pieces). */
void ft_dist_sum_f32(float *x, size_t n);
#endif
