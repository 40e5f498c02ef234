#include "tensor.h"
#include <math.h>
#include <string.h>

/* indexed by ft_dtype; NULL: not carried in streams */
static const char *names[] = {"f32", "f16", "bf16", NULL, "i64", "i32", "i16", NULL, "u8", NULL, "u16", NULL};
static const size_t sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 2, 0};

const char *ft_dtype_stream_name(ft_dtype d) { return d <= FT_DTYPE_OTHER ? names[d] : NULL; }
size_t ft_dtype_size(ft_dtype d) { return d <= FT_DTYPE_OTHER ? sizes[d] : 0; }

int ft_dtype_stream_parse(const char *s, size_t n)
{
    for (int i = 0; i <= FT_DTYPE_OTHER; i++)
        if (names[i] && strlen(names[i]) == n && memcmp(names[i], s, n) == 0) return i;
    return -1;
}

int64_t ft_tensor_numel(const ft_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int ft_shape_size(ft_dtype d, int ndim, const int64_t *shape, int64_t *numel, int64_t *bytes)
{
    if (ndim < 0 || ndim > FT_TENSOR_MAX_DIMS) return -1;
    int64_t n = 1, b;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0 || __builtin_mul_overflow(n, shape[i], &n)) return -1;
    if (__builtin_mul_overflow(n, (int64_t)ft_dtype_size(d), &b)) return -1;
    if (numel) *numel = n;
    if (bytes) *bytes = b;
    return 0;
}

double ft_tensor_get(const ft_tensor *t, int64_t i)
{
    /* memcpy: stream data need not be aligned. */
    switch (t->dtype) {
    case FT_I32: { int32_t v; memcpy(&v, (char *)t->data + 4 * i, 4); return v; }
    case FT_I64: { int64_t v; memcpy(&v, (char *)t->data + 8 * i, 8); return (double)v; }
    case FT_F32: { float v; memcpy(&v, (char *)t->data + 4 * i, 4); return v; }
    case FT_F16: { uint16_t v; memcpy(&v, (char *)t->data + 2 * i, 2); return ft_f16_to_f32(v); }
    case FT_BF16: { uint16_t v; memcpy(&v, (char *)t->data + 2 * i, 2); return ft_bf16_to_f32(v); }
    case FT_I16: { int16_t v; memcpy(&v, (char *)t->data + 2 * i, 2); return v; }
    case FT_U16: { uint16_t v; memcpy(&v, (char *)t->data + 2 * i, 2); return v; }
    case FT_U8: return ((uint8_t *)t->data)[i];
    default: return 0;
    }
}

int ft_dtype_is_int(ft_dtype d)
{
    return d == FT_I32 || d == FT_I64 || d == FT_I16 || d == FT_U16 || d == FT_U8;
}

void ft_tensor_to_i32(const ft_tensor *t, int32_t *dst)
{
    int64_t n = ft_tensor_numel(t);
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case FT_I32: memcpy(dst, p, (size_t)n * 4); break;
    case FT_U16: for (int64_t i = 0; i < n; i++) { uint16_t v; memcpy(&v, p + 2 * i, 2); dst[i] = v; } break;
    case FT_I16: for (int64_t i = 0; i < n; i++) { int16_t v; memcpy(&v, p + 2 * i, 2); dst[i] = v; } break;
    case FT_U8: for (int64_t i = 0; i < n; i++) dst[i] = p[i]; break;
    case FT_I64: for (int64_t i = 0; i < n; i++) { int64_t v; memcpy(&v, p + 8 * i, 8); dst[i] = (int32_t)v; } break;
    default: for (int64_t i = 0; i < n; i++) dst[i] = (int32_t)ft_tensor_get(t, i);
    }
}

ft_dtype ft_dtype_narrowest(int64_t lo, int64_t hi)
{
    if (lo >= 0 && hi <= UINT8_MAX) return FT_U8;
    if (lo >= 0 && hi <= UINT16_MAX) return FT_U16;
    if (lo >= INT16_MIN && hi <= INT16_MAX) return FT_I16;
    return FT_I32;
}

void ft_i32_to_dtype(const int32_t *src, size_t n, ft_dtype d, void *dst)
{
    switch (d) {
    case FT_U8: for (size_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = (uint8_t)src[i]; break;
    case FT_U16: for (size_t i = 0; i < n; i++) { uint16_t v = (uint16_t)src[i]; memcpy((char *)dst + 2 * i, &v, 2); } break;
    case FT_I16: for (size_t i = 0; i < n; i++) { int16_t v = (int16_t)src[i]; memcpy((char *)dst + 2 * i, &v, 2); } break;
    default: memcpy(dst, src, n * 4);
    }
}

/* ---- half-precision conversions ---- */

float ft_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t ft_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  /* NaN stays NaN */
    u += 0x7fff + ((u >> 16) & 1);                                             /* nearest even */
    return (uint16_t)(u >> 16);
}

float ft_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0) {
        if (man == 0) u = sign;
        else {                                  /* subnormal: normalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) u = sign | 0x7f800000u | (man << 13);
    else u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t ft_f32_to_f16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t sign = (u >> 16) & 0x8000;
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00;                /* NaN */
    if (a >= 0x477ff000u) return sign | 0x7c00;               /* overflow → inf */
    if (a < 0x38800000u) {                                    /* f16 subnormal or zero */
        /* value = m·2^-24; scaling by a power of two is exact, and
           nearbyintf rounds half to even (m = 1024 is the smallest normal). */
        float v = fabsf(f) * 16777216.0f;
        return sign | (uint16_t)nearbyintf(v);
    }
    uint32_t r = a + 0xfff + ((a >> 13) & 1);                  /* nearest even */
    return sign | (uint16_t)((r - 0x38000000u) >> 13);
}
