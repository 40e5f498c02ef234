/* dist: data-parallel collectives over MPI, or one rank without it.  See dist.h. */
#include "dist.h"
#include "gemm.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#ifdef FT_MPI
#include <mpi.h>
#endif

static int rank_, size_ = 1, joined;
static double waited;

int ft_dist_rank(void) { return rank_; }
int ft_dist_size(void) { return size_; }
double ft_dist_wait_seconds(void) { return waited; }

/* Started by a launcher?  Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE, PMIx
   launchers (srun --mpi=pmix, prterun) PMIX_RANK, hydra and PMI-2 ones
   PMI_SIZE.  Without one, MPI_Init would be singleton mode: Open MPI then
   starts a helper daemon (tens of ms; refused outright as root without
   OMPI_ALLOW_RUN_AS_ROOT), which a one-process run has no use for. */
static int launched(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", NULL };
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

#ifdef FT_MPI
/* The MPI count type is int: large buffers go in pieces. */
#define CHUNK ((size_t)1 << 30)

void ft_dist_init(int *argc, char ***argv)
{
    if (joined || !launched()) return;
    int provided;
    /* OpenMP threads compute; only the main thread calls MPI */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        ft_die("MPI_Init failed");
    joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (rank_) ft_prog = ft_xasprintf("%s (rank %d)", ft_prog, rank_);
}

void ft_dist_finalize(void)
{
    if (joined) MPI_Finalize();
    joined = 0;
}

void ft_dist_abort(int code)
{
    if (joined) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

void ft_dist_sum_f64(double *x, int n)
{
    if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void ft_dist_sum_long(long *x, int n)
{
    if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
}

void ft_dist_max_int(int *x, int n)
{
    if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}

void ft_dist_bcast_f32(float *x, size_t n)
{
    if (size_ <= 1) return;
    for (size_t i = 0; i < n; i += CHUNK)
        MPI_Bcast(x + i, (int)(n - i < CHUNK ? n - i : CHUNK), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

void ft_dist_barrier(void)
{
    if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

/* A bucket: a run of the grad buffer that holds trainable tensors only
   (LoRA leaves frozen tensors, without gradients, between them). */
typedef struct { size_t off, n; } span;

static size_t buckets(const ft_params *ps, span *out)
{
    size_t nb = 0, cap = FT_DIST_BUCKET_BYTES / sizeof(float);
    int last = -1;                      /* the tensor added last */
    for (int i = ps->n - 1; i >= 0; i--) {
        const ft_param *p = &ps->p[i];
        if (!p->trainable || !p->numel) continue;
        span *b = nb ? &out[nb - 1] : NULL;
        size_t end = p->offset + p->numel;
        /* the bucket grows downwards over this tensor when only alignment
           padding (< 16 floats) lies between them and it stays under cap */
        if (b && last == i + 1 && end <= b->off && b->off - end < 16 && b->n + (b->off - p->offset) <= cap) {
            b->n += b->off - p->offset;
            b->off = p->offset;
        } else out[nb++] = (span){ p->offset, p->numel };
        last = i;
    }
    return nb;
}

void ft_dist_sum_grads(ft_params *ps)
{
    if (size_ <= 1) return;
    double t0 = ft_now();
    span *b = ft_xmalloc((ps->n ? ps->n : 1) * sizeof *b);
    size_t nb = buckets(ps, b), nreq = 0;
    for (size_t i = 0; i < nb; i++) nreq += (b[i].n + CHUNK - 1) / CHUNK;
    MPI_Request *req = ft_xmalloc((nreq ? nreq : 1) * sizeof *req);
    size_t k = 0;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < b[i].n; j += CHUNK)
            MPI_Iallreduce(MPI_IN_PLACE, ps->grad + b[i].off + j, (int)(b[i].n - j < CHUNK ? b[i].n - j : CHUNK),
                           MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &req[k++]);
    MPI_Waitall((int)k, req, MPI_STATUSES_IGNORE);
    free(req);
    free(b);
    waited += ft_now() - t0;
}

void ft_dist_check_same(uint64_t v, const char *what)
{
    if (size_ <= 1) return;
    /* two 32-bit halves, max and min: equal everywhere iff max == min */
    int x[4] = { (int)(v >> 32), (int)(v & 0xffffffffu), -(int)(v >> 32), -(int)(v & 0xffffffffu) };
    MPI_Allreduce(MPI_IN_PLACE, x, 4, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (x[0] != -x[2] || x[1] != -x[3])
        ft_die("%s differs between the ranks (rank %d holds %016llx): they no longer train one model",
               what, rank_, (unsigned long long)v);
}
#else   /* built without MPI: a job of one */
void ft_dist_init(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    if (launched() && !joined)
        ft_warn("started by an MPI launcher, but built without MPI: every rank trains alone");
    joined = 1;
}
void ft_dist_finalize(void) {}
void ft_dist_abort(int code) { exit(code); }
void ft_dist_sum_f64(double *x, int n) { (void)x; (void)n; }
void ft_dist_sum_long(long *x, int n) { (void)x; (void)n; }
void ft_dist_max_int(int *x, int n) { (void)x; (void)n; }
void ft_dist_bcast_f32(float *x, size_t n) { (void)x; (void)n; }
void ft_dist_barrier(void) {}
void ft_dist_sum_grads(ft_params *ps) { (void)ps; }
void ft_dist_check_same(uint64_t v, const char *what) { (void)v; (void)what; }
#endif

void ft_dist_bcast_params(ft_params *ps)
{
    ft_dist_bcast_f32(ps->data, ps->total);
    ft_gemm_weights_changed(ps->data, ps->total);   /* bf16 copies of rank 0's weights, not ours */
}

uint64_t ft_dist_params_hash(const ft_params *ps)
{
    uint64_t h = 0;
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i].trainable) h = ft_hash64(ft_param_data(ps, i), ps->p[i].numel * sizeof(float), h);
    return h;
}

/* ---- gathering per-record outputs to rank 0 (kept apart from the training
   collectives above) ---- */
char *ft_dist_gather_bytes(const void *buf, size_t n, size_t **lens)
{
    *lens = NULL;
#ifdef FT_MPI
    if (size_ > 1) {
        uint64_t mine = n, *all = rank_ ? NULL : ft_xmalloc(size_ * sizeof *all);
        MPI_Gather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        if (rank_) {
            /* point to point in pieces: an MPI count is an int */
            for (size_t i = 0; i < n; i += CHUNK)
                MPI_Send((const char *)buf + i, (int)(n - i < CHUNK ? n - i : CHUNK), MPI_BYTE, 0, 7, MPI_COMM_WORLD);
            return NULL;
        }
        size_t total = 0;
        *lens = ft_xmalloc(size_ * sizeof **lens);
        for (int r = 0; r < size_; r++) total += (*lens)[r] = all[r];
        free(all);
        char *out = ft_xmalloc(total ? total : 1), *p = out;
        if (n) memcpy(p, buf, n);
        p += n;
        for (int r = 1; r < size_; r++)
            for (size_t i = 0, m = (*lens)[r]; i < m; i += CHUNK) {
                size_t k = m - i < CHUNK ? m - i : CHUNK;
                MPI_Recv(p, (int)k, MPI_BYTE, r, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                p += k;
            }
        return out;
    }
#endif
    *lens = ft_xmalloc(sizeof **lens);
    (*lens)[0] = n;
    char *out = ft_xmalloc(n ? n : 1);
    if (n) memcpy(out, buf, n);
    return out;
}

void ft_dist_sum_f32(float *x, size_t n)
{
#ifdef FT_MPI
    if (size_ <= 1) return;
    for (size_t i = 0; i < n; i += CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, x + i, (int)(n - i < CHUNK ? n - i : CHUNK), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)x; (void)n;
#endif
}
