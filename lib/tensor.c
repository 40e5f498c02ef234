#include "tensor.h"
#include <string.h>

static const char *names[FT_NDTYPES] = {"i32", "i64", "f32", "f16", "bf16", "u8"};
static const size_t sizes[FT_NDTYPES] = {4, 8, 4, 2, 2, 1};

const char *ft_dtype_name(ft_dtype d) { return d < FT_NDTYPES ? names[d] : "?"; }
size_t ft_dtype_size(ft_dtype d) { return d < FT_NDTYPES ? sizes[d] : 0; }

int ft_dtype_parse(const char *s, size_t n)
{
    for (int i = 0; i < FT_NDTYPES; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0) return i;
    return -1;
}

int64_t ft_tensor_numel(const ft_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
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
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float ft_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0) {
        if (man == 0) u = sign;
        else {                              /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) { man <<= 1; exp--; }
            u = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) u = sign | 0x7f800000 | (man << 13);
    else u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t ft_f32_to_f16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000;
    int32_t exp = (int32_t)((u >> 23) & 0xff) - 127 + 15;
    uint32_t man = u & 0x7fffff;
    if (((u >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;   /* may carry into exp: correct */
    return (uint16_t)h;
}
