#include "tensor.h"
#include <string.h>

/* indexed by ft_dtype; NULL: not carried in streams */
static const char *names[] = {"f32", "f16", "bf16", NULL, "i64", "i32", NULL, NULL, "u8", NULL, NULL};
static const size_t sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 0};

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
    case FT_U8: return ((uint8_t *)t->data)[i];
    default: return 0;
    }
}
