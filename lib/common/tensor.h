/* tensor: dtypes and the {dtype, shape, data} value that streams carry. */
#ifndef FT_TENSOR_H
#define FT_TENSOR_H
#include <stddef.h>
#include <stdint.h>

/* Element types of tensors in streams and in safetensors files.  Streams carry
   i32, i64, i16, u16, u8, f32, f16 and bf16 (ft_dtype_stream_name is NULL for
   others). */
typedef enum ft_dtype {
    FT_F32, FT_F16, FT_BF16, FT_F64, FT_I64, FT_I32, FT_I16, FT_I8, FT_U8, FT_BOOL, FT_U16, FT_DTYPE_OTHER
} ft_dtype;

#define FT_TENSOR_MAX_DIMS 8
typedef struct ft_tensor {
    ft_dtype dtype;
    int ndim;
    int64_t shape[FT_TENSOR_MAX_DIMS];
    void *data;          /* little-endian element bytes, row-major */
} ft_tensor;

const char *ft_dtype_stream_name(ft_dtype d); /* "i32", "bf16", ...; NULL if not a stream dtype */
int ft_dtype_stream_parse(const char *s, size_t n); /* -1 if unknown */
size_t ft_dtype_size(ft_dtype d);
int64_t ft_tensor_numel(const ft_tensor *t);
/* Element count and byte size of a dtype × shape, checked: -1 when ndim is out
   of range, a dimension is negative, or a product overflows int64 (a shape
   [2^62 + 32] of i32 must not wrap to 128 bytes).  Every reader of a shape
   from outside (streams, JSON input, safetensors) goes through here. */
int ft_shape_size(ft_dtype d, int ndim, const int64_t *shape, int64_t *numel, int64_t *bytes);

/* Element i as a double (any dtype); used by printers and converters. */
double ft_tensor_get(const ft_tensor *t, int64_t i);

/* Integer dtypes a stream may carry token ids or labels in. */
int ft_dtype_is_int(ft_dtype d);
/* All elements of an integer tensor as int32 (token ids, masks, labels: the
   one conversion every consumer of token records uses, whatever the
   producer's dtype).  Values outside int32 are cut as a C cast does. */
void ft_tensor_to_i32(const ft_tensor *t, int32_t *dst);
/* The narrowest stream dtype holding every value in [lo, hi]: u8, u16, i16,
   else i32 (how ft-tokenize keeps shards small). */
ft_dtype ft_dtype_narrowest(int64_t lo, int64_t hi);
/* n int32 values into dst as dtype d (one of u8, u16, i16, i32). */
void ft_i32_to_dtype(const int32_t *src, size_t n, ft_dtype d, void *dst);

/* float16 / bfloat16 conversions, round to nearest even. */
float ft_f16_to_f32(uint16_t h);
float ft_bf16_to_f32(uint16_t h);
uint16_t ft_f32_to_f16(float f);
uint16_t ft_f32_to_bf16(float f);
#endif
