/* kern_body: the kernels of kern.h, included twice by kern.c (no include
 * guard on purpose): KN(name) names this copy's functions, and kern.c sets
 * the target ISA around each inclusion.  Plain C: `omp simd` marks the loops
 * GCC may vectorise and the reductions it may reorder.  The norms' row sums
 * stay in order, one add after another, as they always were: their rounding
 * feeds gradients that cancel to noise (tests/ref/t5_ref.py's AdamW check
 * holds one such weight to torch's fp32 error), so they must not move. */

static void KN(layernorm_row)(float *o, const float *x, const float *gamma, const float *beta, int C,
                              float eps, float *mean, float *rstd)
{
    float s = 0;
    for (int c = 0; c < C; c++) s += x[c];
    float m = s / C, v = 0;
    for (int c = 0; c < C; c++) { float d = x[c] - m; v += d * d; }
    float r = 1.0f / sqrtf(v / C + eps);
    #pragma omp simd
    for (int c = 0; c < C; c++) o[c] = (x[c] - m) * r * gamma[c] + beta[c];
    if (mean) *mean = m;
    if (rstd) *rstd = r;
}

static void KN(layernorm_bwd_row)(float *d, const float *x, const float *g, const float *gamma,
                                  float m, float r, int C)
{
    float sum_dy = 0, sum_dy_xh = 0;
    for (int c = 0; c < C; c++) {
        float dy = g[c] * gamma[c];
        sum_dy += dy;
        sum_dy_xh += dy * (x[c] - m) * r;
    }
    sum_dy /= C; sum_dy_xh /= C;
    #pragma omp simd
    for (int c = 0; c < C; c++) {
        float xh = (x[c] - m) * r;
        d[c] += r * (g[c] * gamma[c] - sum_dy - xh * sum_dy_xh);
    }
}

static void KN(layernorm_dparams)(float *dgamma, float *dbeta, const float *in, const float *dout,
                                  const float *mean, const float *rstd, int N, int C, size_t lo, size_t hi)
{
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * C, *g = dout + (size_t)n * C;
        float m = mean[n], r = rstd[n];
        if (dgamma) {
            #pragma omp simd
            for (size_t c = lo; c < hi; c++) dgamma[c] += g[c] * (x[c] - m) * r;
        }
        if (dbeta) {
            #pragma omp simd
            for (size_t c = lo; c < hi; c++) dbeta[c] += g[c];
        }
    }
}

static void KN(rmsnorm_row)(float *o, const float *x, const float *gamma, int C, float eps, float *rstd)
{
    float s = 0;
    for (int c = 0; c < C; c++) s += x[c] * x[c];
    float r = 1.0f / sqrtf(s / C + eps);
    #pragma omp simd
    for (int c = 0; c < C; c++) o[c] = x[c] * r * gamma[c];
    if (rstd) *rstd = r;
}

static void KN(rmsnorm_bwd_row)(float *d, const float *x, const float *g, const float *gamma, float r, int C)
{
    float s = 0;
    for (int c = 0; c < C; c++) s += g[c] * gamma[c] * x[c] * r;
    s /= C;
    #pragma omp simd
    for (int c = 0; c < C; c++) d[c] += r * (g[c] * gamma[c] - x[c] * r * s);
}

static void KN(rmsnorm_dgamma)(float *dgamma, const float *in, const float *dout, const float *rstd,
                               int N, int C, size_t lo, size_t hi)
{
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * C, *g = dout + (size_t)n * C;
        float r = rstd[n];
        #pragma omp simd
        for (size_t c = lo; c < hi; c++) dgamma[c] += g[c] * x[c] * r;
    }
}

static void KN(colsum)(float *acc, const float *x, int N, int C, size_t lo, size_t hi)
{
    for (int n = 0; n < N; n++) {
        const float *r = x + (size_t)n * C;
        #pragma omp simd
        for (size_t c = lo; c < hi; c++) acc[c] += r[c];
    }
}

/* GELU(x) = x·Φ(x) = 0.5·x·(1 + erf(x/√2));  GELU'(x) = Φ(x) + x·φ(x),
   φ(x) = exp(−x²/2)/√(2π) — the same exponential erf needs. */
static void KN(gelu_fwd)(float *out, const float *in, size_t n)
{
    #pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float x = in[i], z = x * SQRT1_2;
        out[i] = 0.5f * x * (1.0f + ft_erf_g(z, ft_expf(-z * z)));
    }
}

static void KN(gelu_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    #pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float x = in[i], z = x * SQRT1_2, g = ft_expf(-z * z);
        float cdf = 0.5f * (1.0f + ft_erf_g(z, g));
        din[i] += dout[i] * (cdf + x * INV_SQRT_2PI * g);
    }
}

/* gelu_new: 0.5·x·(1 + tanh u), u = √(2/π)·(x + 0.044715·x³).
   0.5·x·(1 + tanh u) = x·σ(2u) and 1 - tanh²u = 4σ(1-σ): one ft_expf, which
   vectorises (glibc's tanhf is a scalar call), and no cancellation where
   tanh u is near -1. */
static void KN(gelu_tanh_fwd)(float *out, const float *in, size_t n)
{
    #pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        float u = GELU_K * (x + 0.044715f * x * x * x);
        out[i] = x / (1.0f + ft_expf(-2.0f * u));
    }
}

static void KN(gelu_tanh_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    #pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        float u = GELU_K * (x + 0.044715f * x * x * x);
        float s = 1.0f / (1.0f + ft_expf(-2.0f * u));
        float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        din[i] += dout[i] * (s + 2.0f * x * s * (1.0f - s) * du);
    }
}

static void KN(softmax_row)(float *row, const float *bias, const float *mask, int jmax, int Tk)
{
    if (bias) {
        #pragma omp simd
        for (int j = 0; j < jmax; j++) row[j] += bias[j];
    }
    if (mask) {
        #pragma omp simd
        for (int j = 0; j < jmax; j++) row[j] += mask[j];
    }
    float mx = -INFINITY;
    #pragma omp simd reduction(max:mx)
    for (int j = 0; j < jmax; j++) mx = row[j] > mx ? row[j] : mx;
    float s = 0;
    #pragma omp simd reduction(+:s)
    for (int j = 0; j < jmax; j++) { row[j] = ft_expf(row[j] - mx); s += row[j]; }
    float inv = jmax ? 1.0f / s : 0.0f;
    #pragma omp simd
    for (int j = 0; j < jmax; j++) row[j] *= inv;
    for (int j = jmax; j < Tk; j++) row[j] = 0.0f;
}

static void KN(softmax_bwd_row)(float *g, const float *pr, int Tk, float p, uint64_t key, size_t rb)
{
    if (p > 0) {
        uint32_t th = ft_drop_threshold(p);
        float pscale = 1.0f / (1.0f - p);
        #pragma omp simd
        for (int j = 0; j < Tk; j++) g[j] = ft_hash_u32(key, rb + j) >= th ? g[j] * pscale : 0.0f;
    }
    float s = 0;
    #pragma omp simd reduction(+:s)
    for (int j = 0; j < Tk; j++) s += g[j] * pr[j];
    #pragma omp simd
    for (int j = 0; j < Tk; j++) g[j] = pr[j] * (g[j] - s);
}

/* float exponentials (ft_expf, 1.5e-7 relative), sums in double by chunks
   of 512 float lanes: a vocabulary-sized row is a large share of a step */
static double KN(xent_row)(float *d, const float *x, int V, int label, float eps, float k)
{
    float mx = x[0];
    #pragma omp simd reduction(max:mx)
    for (int v = 1; v < V; v++) mx = x[v] > mx ? x[v] : mx;
    double s = 0, sum_x = 0;
    for (int v0 = 0; v0 < V; v0 += 512) {
        int v1 = V - v0 < 512 ? V : v0 + 512;
        float cs = 0;
        #pragma omp simd reduction(+:cs)
        for (int v = v0; v < v1; v++) cs += ft_expf(x[v] - mx);
        s += cs;
    }
    double lse = mx + log(s);
    if (eps > 0) {
        #pragma omp simd reduction(+:sum_x)
        for (int v = 0; v < V; v++) sum_x += x[v];
    }
    /* HF's LabelSmoother: (1-ε)·nll + ε·mean over classes of -log p */
    double loss = (1.0 - eps) * (lse - x[label]) + (eps > 0 ? eps * (lse - sum_x / V) : 0.0);
    if (d) {
        float u = eps > 0 ? k * eps / V : 0.0f, flse = (float)lse;
        #pragma omp simd
        for (int v = 0; v < V; v++) d[v] = ft_expf(x[v] - flse) * k - u;
        d[label] -= k * (1.0f - eps);
    }
    return loss;
}

static void KN(adamw)(float *w, float *g, float *m, float *v, size_t n, const ft_adamw_coef *c)
{
    float b1 = c->b1, b2 = c->b2, eps = c->eps, decay = c->decay, step_size = c->step_size;
    float bc2_sqrt = c->bc2_sqrt, gscale = c->gscale;
    int zero = c->zero;
    #pragma omp simd
    for (size_t j = 0; j < n; j++) {
        float gj = g[j] * gscale;                      /* clip_grad_norm_'s g.mul_(coef) */
        g[j] = zero ? 0.0f : g[j];                     /* a store either way: no branch in the loop */
        w[j] *= decay;
        m[j] = m[j] * b1 + (1.0f - b1) * gj;         /* torch 1.13: mul_(β1).add_(g, 1-β1) */
        v[j] = v[j] * b2 + (1.0f - b2) * gj * gj;
        float denom = sqrtf(v[j]) / bc2_sqrt + eps;
        w[j] -= step_size * m[j] / denom;
    }
}

static double KN(sumsq)(const float *g, size_t n)
{
    double s = 0;
    #pragma omp simd reduction(+:s)
    for (size_t j = 0; j < n; j++) s += (double)g[j] * g[j];
    return s;
}

/* ft_f32_to_bf16 then back, on the bits: NaN stays NaN (quiet), else round
   to nearest even */
static void KN(bf16_round)(float *d, const float *s, size_t n)
{
    const ft_u32_alias *su = (const ft_u32_alias *)s;
    ft_u32_alias *du = (ft_u32_alias *)d;
    #pragma omp simd
    for (size_t i = 0; i < n; i++) {
        uint32_t u = su[i];
        uint32_t r = (u & 0x7fffffffu) > 0x7f800000u ? (u | 0x400000u) : u + 0x7fffu + ((u >> 16) & 1u);
        du[i] = r & 0xffff0000u;
    }
}

const ft_kernels KN(ft_kern) = {
    .isa = KN_ISA,
    .layernorm_row = KN(layernorm_row), .layernorm_bwd_row = KN(layernorm_bwd_row),
    .layernorm_dparams = KN(layernorm_dparams),
    .rmsnorm_row = KN(rmsnorm_row), .rmsnorm_bwd_row = KN(rmsnorm_bwd_row), .rmsnorm_dgamma = KN(rmsnorm_dgamma),
    .colsum = KN(colsum),
    .gelu_fwd = KN(gelu_fwd), .gelu_bwd = KN(gelu_bwd),
    .gelu_tanh_fwd = KN(gelu_tanh_fwd), .gelu_tanh_bwd = KN(gelu_tanh_bwd),
    .softmax_row = KN(softmax_row), .softmax_bwd_row = KN(softmax_bwd_row),
    .xent_row = KN(xent_row), .adamw = KN(adamw), .sumsq = KN(sumsq), .bf16_round = KN(bf16_round),
};
