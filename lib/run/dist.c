/* dist: data-parallel collectives over MPI, or one rank without it.  See dist.h. */
#include "dist.h"
#include "gemm.h"
#include "lora.h"
#include "model.h"
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

/* rank 0's values to all */
static void bcast_f32(float *x, size_t n)
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
   (LoRA leaves frozen tensors, without gradients, between them): parameters
   lo..hi, floats off..off+n. */
typedef struct { size_t off, n; int lo, hi; } span;

static size_t buckets(const ft_params *ps, span *out)
{
    /* FT_DIST_BUCKET_BYTES in the environment: smaller buckets, so that
       tests of tiny models see the overlap start several */
    const char *e = getenv("FT_DIST_BUCKET_BYTES");
    size_t bytes = e && atol(e) > 0 ? (size_t)atol(e) : FT_DIST_BUCKET_BYTES;
    size_t nb = 0, cap = bytes / sizeof(float);
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
            b->lo = i;
        } else out[nb++] = (span){ p->offset, p->numel, i, i };
        last = i;
    }
    return nb;
}

/* The gradient sum in flight: the buckets, the requests of those started. */
struct ft_dist_overlap {
    ft_model *m;
    span *b;
    size_t nb, next;                    /* buckets; the first not started */
    MPI_Request *req;
    int nreq;
    int *key;                           /* a parameter is final once backward reports key[i] */
    float scale;
};

/* Bucket i scaled (elementwise, as ft_grad_scale: the same floats) and its
   allreduce started. */
static void start_bucket(ft_dist_overlap *o, size_t i)
{
    ft_params *ps = &o->m->params;
    const span *b = &o->b[i];
    if (o->scale != 1.0f)
        for (int p = b->lo; p <= b->hi; p++) {
            if (!ps->p[p].trainable) continue;
            float *g = ps->grad + ps->p[p].offset;
            size_t n = ps->p[p].numel;
            float s = o->scale;
            #pragma omp parallel for simd schedule(static) if (n > 32768)
            for (size_t j = 0; j < n; j++) g[j] *= s;
        }
    for (size_t j = 0; j < b->n; j += CHUNK)
        MPI_Iallreduce(MPI_IN_PLACE, ps->grad + b->off + j, (int)(b->n - j < CHUNK ? b->n - j : CHUNK),
                       MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &o->req[o->nreq++]);
}

/* The model's gradients-ready hook: every bucket whose parameters are all
   final starts, in bucket order (every rank starts the same collectives in
   the same order); requests in flight get a Testall, since Open MPI moves a
   non-blocking collective on only inside MPI calls. */
static void grads_ready(void *ctx, int k)
{
    ft_dist_overlap *o = ctx;
    while (o->next < o->nb) {
        const span *b = &o->b[o->next];
        int ready = 1;
        for (int p = b->lo; p <= b->hi && ready; p++) ready = o->key[p] >= k;
        if (!ready) break;
        start_bucket(o, o->next++);
    }
    int done;
    if (o->nreq) MPI_Testall(o->nreq, o->req, &done, MPI_STATUSES_IGNORE);
}

static ft_dist_overlap *overlap_new(ft_model *m, float scale)
{
    ft_params *ps = &m->params;
    ft_dist_overlap *o = ft_xcalloc(1, sizeof *o);
    o->m = m;
    o->scale = scale;
    o->b = ft_xmalloc((ps->n ? ps->n : 1) * sizeof *o->b);
    o->nb = buckets(ps, o->b);
    size_t nreq = 0;
    for (size_t i = 0; i < o->nb; i++) nreq += (o->b[i].n + CHUNK - 1) / CHUNK;
    o->req = ft_xmalloc((nreq ? nreq : 1) * sizeof *o->req);
    /* a LoRA adapter's gradient is final with its base weight's layer */
    o->key = ft_xmalloc((ps->n ? ps->n : 1) * sizeof *o->key);
    for (int i = 0; i < ps->n; i++) o->key[i] = i;
    if (m->lora)
        for (int l = 0; l < m->lora->n; l++) {
            const ft_lora_layer *L = &m->lora->L[l];
            o->key[L->A] = o->key[L->B] = L->w;
        }
    return o;
}

/* Starts what is left, waits for all of it: the time counted as waited. */
static void overlap_finish(ft_dist_overlap *o)
{
    double t0 = ft_now();
    while (o->next < o->nb) start_bucket(o, o->next++);
    MPI_Waitall(o->nreq, o->req, MPI_STATUSES_IGNORE);
    waited += ft_now() - t0;
    free(o->req); free(o->b); free(o->key); free(o);
}

static int overlap_on(void)
{
    const char *e = getenv("FT_DIST_OVERLAP");
    return size_ > 1 && !(e && strcmp(e, "0") == 0);
}

ft_dist_overlap *ft_dist_overlap_begin(ft_model *m, float scale)
{
    if (!overlap_on()) return NULL;
    ft_dist_overlap *o = overlap_new(m, scale);
    m->grads_ready = grads_ready;
    m->grads_ready_ctx = o;
    return o;
}

void ft_dist_overlap_end(ft_dist_overlap *o)
{
    if (!o) return;
    o->m->grads_ready = NULL;
    o->m->grads_ready_ctx = NULL;
    overlap_finish(o);
}

void ft_dist_sum_grads(ft_params *ps)
{
    if (size_ <= 1) return;
    ft_model shell = { .params = *ps };     /* no LoRA keys needed: all start now */
    overlap_finish(overlap_new(&shell, 1.0f));
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
void ft_dist_sum_f64(double *x, int n) { (void)x; (void)n; }
void ft_dist_sum_long(long *x, int n) { (void)x; (void)n; }
void ft_dist_max_int(int *x, int n) { (void)x; (void)n; }
static void bcast_f32(float *x, size_t n) { (void)x; (void)n; }
void ft_dist_barrier(void) {}
void ft_dist_sum_grads(ft_params *ps) { (void)ps; }
ft_dist_overlap *ft_dist_overlap_begin(ft_model *m, float scale) { (void)m; (void)scale; return NULL; }
void ft_dist_overlap_end(ft_dist_overlap *o) { (void)o; }
void ft_dist_check_same(uint64_t v, const char *what) { (void)v; (void)what; }
#endif

void ft_dist_bcast_params(ft_params *ps)
{
    bcast_f32(ps->data, ps->total);
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
