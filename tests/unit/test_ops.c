/* Every op's backward against central finite differences of its forward. */
#include "test.h"
#include "gradcheck.h"
#include "ops_internal.h"
#include <stdlib.h>
#include <string.h>

#define FD_H 1e-2f
#define ABS 2e-3
#define REL 1e-2
#define GC(name, x, n, g, fn, ctx) CHECK(gradcheck(name, x, n, g, fn, ctx, FD_H, ABS, REL) <= 1)

static float *randv(size_t n, uint64_t seed, float std)
{
    float *x = malloc(n * sizeof *x);
    fill_normal(x, n, seed, std);
    return x;
}
static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

/* ---- linear ---- */
typedef struct { float *in, *W, *b, *out, *R; int N, I, O; } lin_ctx;
static double lin_loss(void *p)
{
    lin_ctx *c = p;
    ft_linear_fwd(c->out, c->in, c->W, c->b, c->N, c->I, c->O);
    return dot_d(c->out, c->R, (size_t)c->N * c->O);
}
static void test_linear(void)
{
    lin_ctx c = { .N = 5, .I = 7, .O = 4 };
    c.in = randv(35, 1, 1); c.W = randv(28, 2, 0.5f); c.b = randv(4, 3, 1);
    c.out = zeros(20); c.R = randv(20, 4, 1);
    float *din = zeros(35), *dW = zeros(28), *db = zeros(4);
    ft_linear_bwd(din, dW, db, c.R, c.in, c.W, c.N, c.I, c.O);
    GC("linear din", c.in, 35, din, lin_loss, &c);
    GC("linear dW", c.W, 28, dW, lin_loss, &c);
    GC("linear db", c.b, 4, db, lin_loss, &c);
    /* accumulation: a second backward doubles the gradient */
    float d0 = dW[3];
    ft_linear_bwd(NULL, dW, NULL, c.R, c.in, c.W, c.N, c.I, c.O);
    CHECK_NEAR(dW[3], 2 * d0, 1e-5);
}

/* ---- layer norm / rms norm ---- */
typedef struct { float *in, *g, *b, *out, *mean, *rstd, *R; int N, C, rms; } ln_ctx;
static double ln_loss(void *p)
{
    ln_ctx *c = p;
    if (c->rms) ft_rmsnorm_fwd(c->out, c->rstd, c->in, c->g, c->N, c->C, 1e-6f);
    else ft_layernorm_fwd(c->out, c->mean, c->rstd, c->in, c->g, c->b, c->N, c->C, 1e-5f);
    return dot_d(c->out, c->R, (size_t)c->N * c->C);
}
static void norm_case(int rms)
{
    ln_ctx c = { .N = 4, .C = 37, .rms = rms };
    size_t n = 4 * 37;
    c.in = randv(n, 5, 2); c.g = randv(37, 6, 1); c.b = randv(37, 7, 1);
    c.out = zeros(n); c.mean = zeros(4); c.rstd = zeros(4); c.R = randv(n, 8, 1);
    for (int i = 0; i < 37; i++) c.in[i] += 3;   /* a row with a large mean */
    ln_loss(&c);
    float *din = zeros(n), *dg = zeros(37), *db = zeros(37);
    if (rms) ft_rmsnorm_bwd(din, dg, c.R, c.in, c.rstd, c.g, c.N, c.C);
    else ft_layernorm_bwd(din, dg, db, c.R, c.in, c.mean, c.rstd, c.g, c.N, c.C);
    GC(rms ? "rmsnorm din" : "layernorm din", c.in, n, din, ln_loss, &c);
    GC("norm dgamma", c.g, 37, dg, ln_loss, &c);
    if (!rms) GC("layernorm dbeta", c.b, 37, db, ln_loss, &c);
}
static void test_layernorm(void) { norm_case(0); }
static void test_rmsnorm(void) { norm_case(1); }

/* ---- elementwise ---- */
typedef struct { float *in, *out, *R; size_t n; int kind; } ew_ctx;
static void ew_fwd(ew_ctx *c)
{
    switch (c->kind) {
    case 0: ft_gelu_fwd(c->out, c->in, c->n); break;
    case 1: ft_gelu_tanh_fwd(c->out, c->in, c->n); break;
    case 2: ft_relu_fwd(c->out, c->in, c->n); break;
    case 3: ft_tanh_fwd(c->out, c->in, c->n); break;
    case 4: ft_dropout_fwd(c->out, c->in, c->n, 0.3f, 42); break;
    }
}
static double ew_loss(void *p) { ew_ctx *c = p; ew_fwd(c); return dot_d(c->out, c->R, c->n); }
static void ew_case(int kind, const char *name)
{
    ew_ctx c = { .n = 200, .kind = kind };
    c.in = randv(200, 9, 2); c.out = zeros(200); c.R = randv(200, 10, 1);
    if (kind == 2) for (int i = 0; i < 200; i++) if (fabsf(c.in[i]) < 0.05f) c.in[i] = 0.5f;
    ew_fwd(&c);
    float *din = zeros(200);
    switch (kind) {
    case 0: ft_gelu_bwd(din, c.R, c.in, c.n); break;
    case 1: ft_gelu_tanh_bwd(din, c.R, c.in, c.n); break;
    case 2: ft_relu_bwd(din, c.R, c.in, c.n); break;
    case 3: ft_tanh_bwd(din, c.R, c.out, c.n); break;
    case 4: ft_dropout_bwd(din, c.R, c.n, 0.3f, 42); break;
    }
    GC(name, c.in, 200, din, ew_loss, &c);
}
static void test_gelu(void)
{
    ew_case(0, "gelu");
    /* exact-erf GELU values (torch.nn.functional.gelu) */
    float x[3] = { -1.0f, 0.5f, 2.0f }, y[3];
    ft_gelu_fwd(y, x, 3);
    CHECK_NEAR(y[0], -0.15865525393145707, 1e-7);
    CHECK_NEAR(y[1], 0.34573123063700656, 1e-7);
    CHECK_NEAR(y[2], 1.9544997361036416, 1e-6);
}
/* the vectorised erf/exp stay within float rounding of the exact functions */
static void test_gelu_accuracy(void)
{
    enum { n = 20001 };
    static float x[n], y[n], d[n], one[n];
    for (int i = 0; i < n; i++) { x[i] = -10.0f + i * 1e-3f; one[i] = 1; d[i] = 0; }
    ft_gelu_fwd(y, x, n);
    ft_gelu_bwd(d, one, x, n);
    double worst = 0, worst_d = 0;
    for (int i = 0; i < n; i++) {
        double xv = x[i], cdf = 0.5 * (1 + erf(xv / sqrt(2.0)));
        double e = fabs(y[i] - xv * cdf) / (fabs(xv) > 1 ? fabs(xv) : 1);
        double ed = fabs(d[i] - (cdf + xv * exp(-0.5 * xv * xv) / sqrt(2 * M_PI)));
        if (e > worst) worst = e;
        if (ed > worst_d) worst_d = ed;
    }
    CHECK(worst < 3e-7);
    CHECK(worst_d < 5e-7);
}

static void test_gelu_tanh(void) { ew_case(1, "gelu_tanh"); }
static void test_relu(void) { ew_case(2, "relu"); }
static void test_tanh(void) { ew_case(3, "tanh"); }
static void test_dropout(void)
{
    ew_case(4, "dropout");
    size_t n = 100000;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *y2 = malloc(n * sizeof *y2);
    for (size_t i = 0; i < n; i++) x[i] = 1;
    ft_dropout_fwd(y, x, n, 0.1f, 7);
    ft_dropout_fwd(y2, x, n, 0.1f, 7);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) { kept += y[i] != 0; CHECK(y[i] == y2[i]); }
    CHECK(fabs(kept / (double)n - 0.9) < 0.005);
    CHECK_NEAR(y[0] == 0 ? 1.0f / 0.9f : y[0], 1.0f / 0.9f, 1e-6);
    ft_dropout_fwd(y2, x, n, 0.1f, 8);           /* another key, another mask */
    CHECK(memcmp(y, y2, n * sizeof *y) != 0);
    ft_dropout_add_fwd(y2, x, x, n, 0.1f, 7);    /* fused form matches */
    for (size_t i = 0; i < n; i++) CHECK(y2[i] == y[i] + 1);
}

/* ---- embedding ---- */
typedef struct { float *table, *out, *R; int32_t *ids; int N, C; } emb_ctx;
static double emb_loss(void *p)
{
    emb_ctx *c = p;
    ft_embedding_fwd(c->out, c->ids, c->table, c->N, c->C, 0);
    return dot_d(c->out, c->R, (size_t)c->N * c->C);
}
static void test_embedding(void)
{
    int32_t ids[6] = { 3, 1, 3, 0, 4, 3 };          /* repeated ids accumulate */
    emb_ctx c = { .N = 6, .C = 9, .ids = ids };
    c.table = randv(45, 11, 1); c.out = zeros(54); c.R = randv(54, 12, 1);
    float *d = zeros(45);
    ft_embedding_bwd(d, ids, c.R, 6, 9);
    GC("embedding", c.table, 45, d, emb_loss, &c);
    CHECK(d[2 * 9] == 0);                            /* unused row */
}

/* ---- attention ---- */
typedef struct { float *qkv, *out, *probs, *mask, *R, *scratch; int B, T, C, H, causal; float p; } att_ctx;
static double att_loss(void *p)
{
    att_ctx *c = p;
    ft_attn a = ft_attn_packed(c->B, c->T, c->C, c->H, c->mask, c->causal, c->p, 99);
    ft_attn_fwd(&a, c->out, c->probs, c->qkv, c->qkv + c->C, c->qkv + 2 * c->C, c->scratch);
    return dot_d(c->out, c->R, (size_t)c->B * c->T * c->C);
}
static void att_case(int causal, float p, const char *name)
{
    att_ctx c = { .B = 2, .T = 5, .C = 8, .H = 2, .causal = causal, .p = p };
    size_t nq = 2 * 5 * 24, no = 2 * 5 * 8;
    c.qkv = randv(nq, 13, 1); c.out = zeros(no); c.probs = zeros(2 * 2 * 25);
    c.R = randv(no, 14, 1); c.scratch = zeros(ft_attn_scratch(5, 5));
    float mask[10] = { 0, 0, 0, 0, 0, 0, 0, 0, -1e30f, -1e30f };   /* batch 1 padded */
    c.mask = mask;
    att_loss(&c);
    float *dqkv = zeros(nq);
    ft_attn a = ft_attn_packed(c.B, c.T, c.C, c.H, c.mask, c.causal, c.p, 99);
    ft_attn_bwd(&a, dqkv, dqkv + c.C, dqkv + 2 * c.C, NULL, c.R, c.qkv, c.qkv + c.C, c.qkv + 2 * c.C, c.probs,
                c.scratch);
    GC(name, c.qkv, nq, dqkv, att_loss, &c);
    /* padded keys get no attention; softmax rows sum to 1 */
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 5; i++) {
            const float *row = c.probs + ((1 * 2 + h) * 5 + i) * 5;
            CHECK(row[3] == 0 && row[4] == 0);
            CHECK_NEAR(row[0] + row[1] + row[2], 1.0, 1e-6);
            if (causal) for (int j = i + 1; j < 5; j++) CHECK(row[j] == 0);
        }
}
static void test_attention(void) { att_case(0, 0, "attention"); }
static void test_attention_causal(void) { att_case(1, 0, "attention causal"); }
static void test_attention_dropout(void) { att_case(0, 0.2f, "attention dropout"); }

/* general form: cross attention Tq != Tk, T5 position bias, no scaling,
   causal with an offset, separate strided q / k / v */
typedef struct { ft_attn a; float *q, *k, *v, *bias, *out, *probs, *R, *scratch; } xatt_ctx;
static double xatt_loss(void *p)
{
    xatt_ctx *c = p;
    ft_attn_fwd(&c->a, c->out, c->probs, c->q, c->k, c->v, c->scratch);
    return dot_d(c->out, c->R, (size_t)c->a.B * c->a.Tq * c->a.ldo);
}
static void xatt_case(int causal, const char *name)
{
    xatt_ctx c;
    int B = 2, Tq = 3, Tk = 5, H = 2, D = 3;
    float mask[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, -3.4e38f };
    ft_attn a = { .B = B, .Tq = Tq, .Tk = Tk, .H = H, .D = D, .ldq = 7, .ldk = 6, .ldv = 8, .ldo = 6,
                  .mask = mask, .causal = causal, .scale = 1.0f, .p = 0.25f, .key = 5 };
    c.a = a;
    size_t nq = B * Tq * 7, nk = B * Tk * 6, nv = B * Tk * 8, nb = H * Tq * Tk, no = B * Tq * 6;
    c.q = randv(nq, 21, 1); c.k = randv(nk, 22, 1); c.v = randv(nv, 23, 1); c.bias = randv(nb, 24, 1);
    c.a.bias = c.bias;
    c.out = zeros(no); c.probs = zeros(B * H * Tq * Tk); c.R = randv(no, 25, 1);
    for (size_t i = 0; i < no; i++) if (i % 6 >= (size_t)H * D) c.R[i] = 0;   /* padding columns */
    c.scratch = zeros(ft_attn_scratch(Tq, Tk));
    xatt_loss(&c);
    float *dq = zeros(nq), *dk = zeros(nk), *dv = zeros(nv), *db = zeros(nb);
    ft_attn_bwd(&c.a, dq, dk, dv, db, c.R, c.q, c.k, c.v, c.probs, c.scratch);
    GC(name, c.q, nq, dq, xatt_loss, &c);
    GC(name, c.k, nk, dk, xatt_loss, &c);
    GC(name, c.v, nv, dv, xatt_loss, &c);
    GC(name, c.bias, nb, db, xatt_loss, &c);
    if (causal)   /* query i sees keys j <= i + 2 */
        for (int i = 0; i < Tq; i++)
            for (int j = i + 3; j < Tk; j++) CHECK(c.probs[i * Tk + j] == 0);
}
static void test_attention_cross_bias(void) { xatt_case(0, "cross attention + bias"); }
static void test_attention_causal_offset(void) { xatt_case(1, "causal attention, Tq < Tk"); }

/* attention against a naive double-precision reference */
static void test_attention_values(void)
{
    int B = 1, T = 4, C = 6, H = 3, D = 2;
    float *qkv = randv(T * 3 * C, 15, 1), out[24], probs[48];
    float *scratch = zeros(ft_attn_scratch(T, T));
    ft_attn a = ft_attn_packed(B, T, C, H, NULL, 0, 0, 0);
    ft_attn_fwd(&a, out, probs, qkv, qkv + C, qkv + 2 * C, scratch);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++) {
            double s[4], mx = -1e300, z = 0;
            for (int j = 0; j < T; j++) {
                s[j] = 0;
                for (int d = 0; d < D; d++)
                    s[j] += (double)qkv[i * 18 + h * D + d] * qkv[j * 18 + C + h * D + d];
                s[j] /= sqrt(D);
                if (s[j] > mx) mx = s[j];
            }
            for (int j = 0; j < T; j++) z += (s[j] = exp(s[j] - mx));
            for (int d = 0; d < D; d++) {
                double o = 0;
                for (int j = 0; j < T; j++) o += s[j] / z * qkv[j * 18 + 2 * C + h * D + d];
                CHECK_NEAR(out[i * C + h * D + d], o, 1e-5);
            }
        }
}

/* ---- losses ---- */
typedef struct { float *x, *dummy; const int32_t *lab; const float *t; int N, V, kind; } loss_ctx;
static double loss_loss(void *p)
{
    loss_ctx *c = p;
    if (c->kind == 0) return ft_cross_entropy(NULL, c->x, c->lab, c->N, c->V, -100, 1);
    if (c->kind == 3) return ft_cross_entropy_smoothed(NULL, c->x, c->lab, c->N, c->V, -100, 1, 0.1f);
    if (c->kind == 1) return ft_mse(NULL, c->x, c->t, (size_t)c->N * c->V, 1);
    return ft_bce_logits(NULL, c->x, c->t, (size_t)c->N * c->V, 1);
}
static void test_losses(void)
{
    int32_t lab[4] = { 2, -100, 0, 1 };
    float *t = randv(12, 16, 1);
    for (int kind = 0; kind < 3; kind++) {
        loss_ctx c = { .x = randv(12, 17, 2), .lab = lab, .t = t, .N = 4, .V = 3, .kind = kind };
        float d[12];
        if (kind == 0) ft_cross_entropy(d, c.x, lab, 4, 3, -100, 1);
        else if (kind == 1) ft_mse(d, c.x, t, 12, 1);
        else { for (int i = 0; i < 12; i++) t[i] = t[i] > 0; ft_bce_logits(d, c.x, t, 12, 1); }
        CHECK(gradcheck(kind == 0 ? "cross-entropy" : kind == 1 ? "mse" : "bce",
                        c.x, 12, d, loss_loss, &c, 1e-2f, 1e-4, 1e-3) <= 1);
        if (kind == 0) for (int v = 0; v < 3; v++) CHECK(d[3 + v] == 0);  /* ignored row */
    }
    {   /* label smoothing (HF LabelSmoother, ε = 0.1) */
        loss_ctx c = { .x = randv(12, 17, 3), .lab = lab, .N = 4, .V = 3, .kind = 3 };
        float d[12];
        ft_cross_entropy_smoothed(d, c.x, lab, 4, 3, -100, 1, 0.1f);
        CHECK(gradcheck("cross-entropy, label smoothing", c.x, 12, d, loss_loss, &c, 1e-2f, 1e-4, 1e-3) <= 1);
        /* logits (1,2,3), label 0: 0.9·(lse - 1) + 0.1·(lse - mean 2) = lse - 1.1 */
        float x[3] = { 1, 2, 3 };
        int32_t l0 = 0;
        CHECK_NEAR(ft_cross_entropy_smoothed(NULL, x, &l0, 1, 3, -100, 1, 0.1f),
                   log(exp(1.0) + exp(2.0) + exp(3.0)) - 1.1, 1e-6);
    }
    /* a known value: uniform logits → log V */
    float z[3] = { 0, 0, 0 };
    int32_t l1 = 1;
    CHECK_NEAR(ft_cross_entropy(NULL, z, &l1, 1, 3, -100, 1), log(3.0), 1e-7);
}

/* ---- Llama-shaped decoders: rotary embeddings, SwiGLU, grouped-query and
   sliding-window attention ---- */

/* HF's default rope: inv_freq[i] = 1/theta^(2i/D) */
static void rope_inv_freq(float *inv_freq, int D, double theta)
{
    for (int i = 0; i < D / 2; i++) inv_freq[i] = (float)(1.0 / pow(theta, 2.0 * i / D));
}

/* table and forward against HF's formula x·cos + rotate_half(x)·sin, with
   cos/sin over [D] = cat(freqs, freqs) and rotate_half(x) = cat(-x2, x1) */
static void test_rope_values(void)
{
    enum { N = 4, D = 8, NH = 2, LD = 19 };   /* LD > NH·D: the other columns stay */
    int32_t pos[N] = { 0, 1, 7, 300 };
    float inv_freq[D / 2], cs[N * D];
    rope_inv_freq(inv_freq, D, 10000.0);
    float scaling = 0.75f;
    ft_rope_table(cs, pos, N, D, inv_freq, scaling);
    float *x = randv(N * LD, 41, 1), *x0 = malloc(sizeof(float) * N * LD);
    memcpy(x0, x, sizeof(float) * N * LD);
    ft_rope_fwd(x, LD, N, NH, D, cs);
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < D; i++) {
            double f = (double)((float)pos[n] * inv_freq[i % (D / 2)]);
            CHECK_NEAR(cs[n * D + i], (i < D / 2 ? cos(f) : sin(f)) * scaling, 1e-6);
        }
        for (int h = 0; h < NH; h++) {
            const float *a = x0 + n * LD + h * D;
            for (int i = 0; i < D; i++) {
                int j = i % (D / 2);
                double f = (double)((float)pos[n] * inv_freq[j]);
                double rot = i < D / 2 ? -a[i + D / 2] : a[i - D / 2];
                double want = (a[i] * cos(f) + rot * sin(f)) * scaling;
                CHECK_NEAR(x[n * LD + h * D + i], want, 1e-5);
            }
        }
        for (int c = NH * D; c < LD; c++) CHECK(x[n * LD + c] == x0[n * LD + c]);
    }
    /* an unscaled rotation is orthogonal: the backward undoes the forward */
    ft_rope_table(cs, pos, N, D, inv_freq, 1.0f);
    memcpy(x, x0, sizeof(float) * N * LD);
    ft_rope_fwd(x, LD, N, NH, D, cs);
    ft_rope_bwd(x, LD, N, NH, D, cs);
    for (int i = 0; i < N * LD; i++) CHECK_NEAR(x[i], x0[i], 1e-5);
    free(x); free(x0);
}

typedef struct { float *x, *y, *cs, *R; int N, nh, D; size_t ld; } rope_ctx;
static double rope_loss(void *p)
{
    rope_ctx *c = p;
    memcpy(c->y, c->x, sizeof(float) * c->N * c->ld);
    ft_rope_fwd(c->y, c->ld, c->N, c->nh, c->D, c->cs);
    return dot_d(c->y, c->R, (size_t)c->N * c->ld);
}
static void test_rope_grad(void)
{
    enum { N = 3, D = 6, NH = 3, LD = 20 };
    int32_t pos[N] = { 2, 5, 11 };
    float inv_freq[D / 2], cs[N * D];
    rope_inv_freq(inv_freq, D, 500.0);
    ft_rope_table(cs, pos, N, D, inv_freq, 1.3f);
    rope_ctx c = { .x = randv(N * LD, 42, 1), .y = zeros(N * LD), .cs = cs, .R = randv(N * LD, 43, 1),
                   .N = N, .nh = NH, .D = D, .ld = LD };
    float *dx = malloc(sizeof(float) * N * LD);
    memcpy(dx, c.R, sizeof(float) * N * LD);
    ft_rope_bwd(dx, LD, N, NH, D, cs);   /* in place: dout in, din out */
    GC("rope", c.x, N * LD, dx, rope_loss, &c);
    free(c.x); free(c.y); free(c.R); free(dx);
}

/* silu(gate)·up against double, the backward by finite differences */
typedef struct { float *g, *u, *out, *R; size_t n; } swiglu_ctx;
static double swiglu_loss(void *p)
{
    swiglu_ctx *c = p;
    ft_swiglu_fwd(c->out, c->g, c->u, c->n);
    return dot_d(c->out, c->R, c->n);
}
static void test_swiglu(void)
{
    size_t n = 40;
    swiglu_ctx c = { .g = randv(n, 44, 3), .u = randv(n, 45, 1), .out = zeros(n), .R = randv(n, 46, 1), .n = n };
    c.g[0] = -30; c.g[1] = 30; c.g[2] = 0;   /* saturated and zero gates */
    swiglu_loss(&c);
    for (size_t i = 0; i < n; i++) {
        double g = c.g[i], want = g / (1 + exp(-g)) * c.u[i];
        CHECK_NEAR(c.out[i], want, 1e-6 * fabs(want) + 1e-7);
    }
    float *dg = zeros(n), *du = zeros(n);
    ft_swiglu_bwd(dg, du, c.R, c.g, c.u, n);
    GC("swiglu dgate", c.g, n, dg, swiglu_loss, &c);
    GC("swiglu dup", c.u, n, du, swiglu_loss, &c);
    /* accumulates; either gradient may be NULL */
    float dg3 = dg[3], du3 = du[3];
    ft_swiglu_bwd(dg, NULL, c.R, c.g, c.u, n);
    ft_swiglu_bwd(NULL, du, c.R, c.g, c.u, n);
    CHECK_NEAR(dg[3], 2 * dg3, 1e-6);
    CHECK_NEAR(du[3], 2 * du3, 1e-6);
    free(c.g); free(c.u); free(c.out); free(c.R); free(dg); free(du);
}

/* k or v [B,T,Hkv·D] with each KV head repeated for its H/Hkv query heads
   (HF's repeat_kv): [B,T,H·D] */
static float *repeat_kv(const float *x, int BT, int H, int Hkv, int D)
{
    float *r = malloc(sizeof(float) * BT * H * D);
    for (int n = 0; n < BT; n++)
        for (int h = 0; h < H; h++)
            memcpy(r + ((size_t)n * H + h) * D, x + ((size_t)n * Hkv + h / (H / Hkv)) * D, sizeof(float) * D);
    return r;
}
/* the gradient of a repeated tensor summed back over each group */
static float *sum_groups(const float *dr, int BT, int H, int Hkv, int D)
{
    float *s = zeros((size_t)BT * Hkv * D);
    for (int n = 0; n < BT; n++)
        for (int h = 0; h < H; h++)
            for (int d = 0; d < D; d++)
                s[((size_t)n * Hkv + h / (H / Hkv)) * D + d] += dr[((size_t)n * H + h) * D + d];
    return s;
}

/* max |a-b| / max |b| */
static double rel_err(const float *a, const float *b, size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) { m = fmax(m, fabs((double)a[i] - b[i])); s = fmax(s, fabs(b[i])); }
    return s > 0 ? m / s : m;
}

/* Grouped-query attention equals the same attention over repeated K/V heads:
   the output and dq equal, dk/dv the repeated heads' gradients summed per
   group.  Large enough to run the threaded backward. */
static void gqa_case(int B, int Tq, int Tk, int H, int Hkv, int D, int causal, int window, float p,
                     const char *name)
{
    size_t nq = (size_t)B * Tq * H * D, nk = (size_t)B * Tk * Hkv * D, nr = (size_t)B * Tk * H * D;
    float *q = randv(nq, 51, 1), *k = randv(nk, 52, 1), *v = randv(nk, 53, 1), *R = randv(nq, 54, 1);
    float *kr = repeat_kv(k, B * Tk, H, Hkv, D), *vr = repeat_kv(v, B * Tk, H, Hkv, D);
    float *mask = zeros((size_t)B * Tk);
    if (B > 1) mask[Tk] = -3.4e38f;   /* a padded key in batch 1 */
    ft_attn g = { .B = B, .Tq = Tq, .Tk = Tk, .H = H, .D = D, .ldq = (size_t)H * D,
                  .ldk = (size_t)Hkv * D, .ldv = (size_t)Hkv * D, .ldo = (size_t)H * D, .mask = mask,
                  .causal = causal, .scale = 1.0f / sqrtf((float)D), .p = p, .key = 7,
                  .Hkv = Hkv, .window = window };
    ft_attn r = g;
    r.ldk = r.ldv = (size_t)H * D;
    r.Hkv = 0;
    size_t np = (size_t)B * H * Tq * Tk;
    float *og = zeros(nq), *orr = zeros(nq), *pg = zeros(np), *pr = zeros(np);
    float *scratch = zeros(ft_attn_scratch(Tq, Tk));
    ft_attn_fwd(&g, og, pg, q, k, v, scratch);
    ft_attn_fwd(&r, orr, pr, q, kr, vr, scratch);
    CHECK(rel_err(og, orr, nq) < 1e-6);
    CHECK(rel_err(pg, pr, np) < 1e-6);
    float *dqg = zeros(nq), *dkg = zeros(nk), *dvg = zeros(nk);
    float *dqr = zeros(nq), *dkr = zeros(nr), *dvr = zeros(nr);
    ft_attn_bwd(&g, dqg, dkg, dvg, NULL, R, q, k, v, pg, scratch);
    ft_attn_bwd(&r, dqr, dkr, dvr, NULL, R, q, kr, vr, pr, scratch);
    float *dks = sum_groups(dkr, B * Tk, H, Hkv, D), *dvs = sum_groups(dvr, B * Tk, H, Hkv, D);
    double e[3] = { rel_err(dqg, dqr, nq), rel_err(dkg, dks, nk), rel_err(dvg, dvs, nk) };
    if (e[0] > 1e-5 || e[1] > 1e-5 || e[2] > 1e-5)
        fprintf(stderr, "  %s: dq %.3g dk %.3g dv %.3g\n", name, e[0], e[1], e[2]);
    CHECK(e[0] <= 1e-5 && e[1] <= 1e-5 && e[2] <= 1e-5);
    free(q); free(k); free(v); free(R); free(kr); free(vr); free(mask); free(og); free(orr);
    free(pg); free(pr); free(scratch); free(dqg); free(dkg); free(dvg); free(dqr); free(dkr);
    free(dvr); free(dks); free(dvs);
}
static void test_attention_gqa(void)
{
    gqa_case(2, 5, 5, 4, 2, 3, 0, 0, 0, "gqa");
    gqa_case(2, 5, 5, 6, 2, 3, 1, 0, 0, "gqa causal");
    gqa_case(2, 5, 5, 4, 1, 3, 1, 0, 0.2f, "gqa one kv head, dropout");
    gqa_case(2, 3, 7, 4, 2, 3, 1, 0, 0, "gqa causal, Tq < Tk");
    gqa_case(3, 40, 40, 8, 2, 16, 1, 0, 0, "gqa threaded");
    gqa_case(2, 6, 6, 4, 2, 3, 1, 3, 0, "gqa sliding window");
    gqa_case(2, 2, 9, 4, 2, 3, 1, 4, 0, "gqa sliding window, Tq < Tk");
}

/* finite differences through grouped-query attention with a window */
typedef struct { ft_attn a; float *q, *k, *v, *out, *probs, *R, *scratch; } gqa_ctx;
static double gqa_loss(void *p)
{
    gqa_ctx *c = p;
    ft_attn_fwd(&c->a, c->out, c->probs, c->q, c->k, c->v, c->scratch);
    return dot_d(c->out, c->R, (size_t)c->a.B * c->a.Tq * c->a.ldo);
}
static void test_attention_gqa_grad(void)
{
    int B = 2, T = 5, H = 4, Hkv = 2, D = 3;
    gqa_ctx c;
    ft_attn a = { .B = B, .Tq = T, .Tk = T, .H = H, .D = D, .ldq = H * D, .ldk = Hkv * D, .ldv = Hkv * D,
                  .ldo = H * D, .causal = 1, .scale = 0.5f, .Hkv = Hkv, .window = 2 };
    c.a = a;
    size_t nq = (size_t)B * T * H * D, nk = (size_t)B * T * Hkv * D;
    c.q = randv(nq, 61, 1); c.k = randv(nk, 62, 1); c.v = randv(nk, 63, 1); c.R = randv(nq, 64, 1);
    c.out = zeros(nq); c.probs = zeros((size_t)B * H * T * T); c.scratch = zeros(ft_attn_scratch(T, T));
    gqa_loss(&c);
    float *dq = zeros(nq), *dk = zeros(nk), *dv = zeros(nk);
    ft_attn_bwd(&c.a, dq, dk, dv, NULL, c.R, c.q, c.k, c.v, c.probs, c.scratch);
    GC("gqa window dq", c.q, nq, dq, gqa_loss, &c);
    GC("gqa window dk", c.k, nk, dk, gqa_loss, &c);
    GC("gqa window dv", c.v, nk, dv, gqa_loss, &c);
    free(c.q); free(c.k); free(c.v); free(c.R); free(c.out); free(c.probs); free(c.scratch);
    free(dq); free(dk); free(dv);
}

/* A sliding window is the causal attention with the keys at distance >= window
   masked by an additive bias (HF's sliding-window mask): same output and
   gradients, and no probability outside the window. */
static void window_case(int Tq, int Tk, int window)
{
    int B = 2, H = 2, D = 4;
    size_t nq = (size_t)B * Tq * H * D, nk = (size_t)B * Tk * H * D, nb = (size_t)H * Tq * Tk;
    float *q = randv(nq, 71, 1), *k = randv(nk, 72, 1), *v = randv(nk, 73, 1), *R = randv(nq, 74, 1);
    float *bias = zeros(nb);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < Tq; i++)
            for (int j = 0; j < Tk; j++)
                if (i + (Tk - Tq) - j >= window) bias[((size_t)h * Tq + i) * Tk + j] = -1e30f;
    ft_attn w = { .B = B, .Tq = Tq, .Tk = Tk, .H = H, .D = D, .ldq = H * D, .ldk = H * D, .ldv = H * D,
                  .ldo = H * D, .causal = 1, .scale = 0.5f, .window = window };
    ft_attn m = w;
    m.window = 0;
    m.bias = bias;
    size_t np = (size_t)B * H * Tq * Tk;
    float *ow = zeros(nq), *om = zeros(nq), *pw = zeros(np), *pm = zeros(np);
    float *scratch = zeros(ft_attn_scratch(Tq, Tk));
    ft_attn_fwd(&w, ow, pw, q, k, v, scratch);
    ft_attn_fwd(&m, om, pm, q, k, v, scratch);
    CHECK(rel_err(ow, om, nq) < 1e-6);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Tq; i++)
                for (int j = 0; j < Tk; j++) {
                    int d = i + (Tk - Tq) - j;
                    if (d < 0 || d >= window) CHECK(pw[(((size_t)b * H + h) * Tq + i) * Tk + j] == 0);
                }
    float *g[6];
    for (int i = 0; i < 6; i++) g[i] = zeros(i % 3 ? nk : nq);
    ft_attn_bwd(&w, g[0], g[1], g[2], NULL, R, q, k, v, pw, scratch);
    ft_attn_bwd(&m, g[3], g[4], g[5], NULL, R, q, k, v, pm, scratch);
    for (int i = 0; i < 3; i++) CHECK(rel_err(g[i], g[i + 3], i ? nk : nq) < 1e-5);
    free(q); free(k); free(v); free(R); free(bias); free(ow); free(om); free(pw); free(pm); free(scratch);
    for (int i = 0; i < 6; i++) free(g[i]);
}
static void test_attention_window(void)
{
    window_case(7, 7, 3);
    window_case(7, 7, 1);    /* each query sees itself only */
    window_case(7, 7, 7);    /* as wide as the sequence: plain causal */
    window_case(3, 8, 4);    /* decoding against a cache */
}

int openblas_get_num_threads(void);

/* --threads: one call sets OpenMP's and OpenBLAS's pools (OpenBLAS left at
   its own default would run GEMMs on every core whatever the user asked). */
static void test_set_threads(void)
{
    int before = ft_get_threads();
    ft_set_threads(1);
    CHECK(ft_get_threads() == 1 && openblas_get_num_threads() == 1);
    ft_set_threads(2);
    CHECK(ft_get_threads() == 2 && openblas_get_num_threads() == 2);
    ft_set_threads(before);
}

int main(void)
{
    RUN(test_set_threads);
    RUN(test_linear);
    RUN(test_layernorm);
    RUN(test_rmsnorm);
    RUN(test_gelu);
    RUN(test_gelu_accuracy);
    RUN(test_gelu_tanh);
    RUN(test_relu);
    RUN(test_tanh);
    RUN(test_dropout);
    RUN(test_embedding);
    RUN(test_attention);
    RUN(test_attention_causal);
    RUN(test_attention_dropout);
    RUN(test_attention_values);
    RUN(test_attention_cross_bias);
    RUN(test_attention_causal_offset);
    RUN(test_losses);
    RUN(test_rope_values);
    RUN(test_rope_grad);
    RUN(test_swiglu);
    RUN(test_attention_gqa);
    RUN(test_attention_gqa_grad);
    RUN(test_attention_window);
    TEST_MAIN_END();
}
