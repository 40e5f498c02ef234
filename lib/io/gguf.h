/* gguf: a GGUF version 3 writer (the file format of ggml / llama.cpp; see
 * docs/export.md).  A file is built in memory: typed metadata key/values
 * (scalars, strings, arrays of strings, ints or floats) and tensors (fp32
 * values converted to F32, F16, BF16 or Q8_0 as they are added), then
 * written in one go:
 *
 *   "GGUF" u32 3, u64 n_tensors, u64 n_kv, the key/values, the tensor infos
 *   (name, n_dims, ne[] innermost first, ggml type, offset), zero padding to
 *   general.alignment (32), then each tensor's bytes at its offset (each
 *   offset a multiple of the alignment).
 *
 * ft_gguf_write publishes atomically (publish.h): the file goes to a
 * temporary name, is read back by ft_gguf_check (the header, every key and
 * tensor info, offsets in order, aligned, non-overlapping, the sizes their
 * types and shapes imply, the file's length) and only then renamed, so an
 * inconsistent file is never left under the output's name. */
#ifndef FT_GGUF_H
#define FT_GGUF_H
#include <stddef.h>
#include <stdint.h>

/* ggml's type ids of the tensor types written here */
enum ft_gguf_type { FT_GGUF_F32 = 0, FT_GGUF_F16 = 1, FT_GGUF_Q8_0 = 8, FT_GGUF_BF16 = 30 };
#define FT_GGUF_ALIGNMENT 32
#define FT_GGUF_QK8_0 32    /* values per Q8_0 block: fp16 scale d, then 32 int8 */

typedef struct ft_gguf ft_gguf;

ft_gguf *ft_gguf_new(void);
void ft_gguf_free(ft_gguf *g);

/* Metadata.  Keys are unique: a second use of a key dies naming it. */
void ft_gguf_kv_str(ft_gguf *g, const char *key, const char *val);
void ft_gguf_kv_u32(ft_gguf *g, const char *key, uint32_t v);
void ft_gguf_kv_f32(ft_gguf *g, const char *key, float v);
void ft_gguf_kv_bool(ft_gguf *g, const char *key, int v);
/* The same under the architecture's prefix: "<arch>.<name>" (llama.cpp's
   per-architecture keys, e.g. "llama.context_length"). */
void ft_gguf_arch_u32(ft_gguf *g, const char *arch, const char *name, uint32_t v);
void ft_gguf_arch_f32(ft_gguf *g, const char *arch, const char *name, float v);
void ft_gguf_arch_str(ft_gguf *g, const char *arch, const char *name, const char *val);
/* An HF parameter name as llama.cpp's tensor name, by a family's table map
   of {HF module, llama.cpp name} rows, the first n_layer_rows of them
   inside a layer: "<layer_prefix>N.<module>.weight" → "blk.N.<name>.weight"
   and "<module>.bias" → "<name>.bias".  Returns the row matched, with the
   name in out[outsz]; -1 when none matches or the name does not end in
   .weight or .bias. */
int ft_gguf_map_name(const char *hf, const char *layer_prefix, const char *const (*map)[2], int nmap,
                     int n_layer_rows, char *out, size_t outsz);

/* Arrays: strings (len NULL: NUL-terminated), int32, float32. */
void ft_gguf_kv_strs(ft_gguf *g, const char *key, const char *const *v, const size_t *len, size_t n);
void ft_gguf_kv_i32s(ft_gguf *g, const char *key, const int32_t *v, size_t n);
void ft_gguf_kv_f32s(ft_gguf *g, const char *key, const float *v, size_t n);

/* A tensor of torch shape shape[0..nd) (row-major, outermost first; GGUF
   stores the dims innermost first) from fp32 values x, stored as type.
   Q8_0 needs the innermost dim a multiple of 32 (ft_gguf_can_q8_0). */
void ft_gguf_tensor(ft_gguf *g, const char *name, int nd, const int64_t *shape, const float *x,
                    enum ft_gguf_type type);
int ft_gguf_can_q8_0(int nd, const int64_t *shape);
size_t ft_gguf_nbytes(enum ft_gguf_type type, int64_t numel);

/* ggml's quantize_row_q8_0_ref: per block of 32, d = amax/127 (fp16),
   q = round(x/d).  n a multiple of 32; out holds n/32 blocks of 34 bytes. */
void ft_gguf_q8_0(const float *x, size_t n, uint8_t *out);

/* Write to path (temporary name, check, rename); dies naming path. */
void ft_gguf_write(const ft_gguf *g, const char *path);

/* Read back the structure of a GGUF file: 0 when consistent, else -1 with
   *err a malloc'd message naming the file and the key or tensor at fault. */
int ft_gguf_check(const char *path, char **err);

#endif
