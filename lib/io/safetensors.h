/* safetensors: the Hugging Face tensor file format.
 *   8 bytes little-endian u64 header length N, N bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {"k": "v"}}, then the raw little-endian data; offsets are
 *   relative to the end of the header.  The writer pads the header with spaces
 *   so the data starts 8-byte aligned, as the reference implementation does.
 * The reader mmaps the file and converts F32/F16/BF16 to float on request. */
#ifndef FT_SAFETENSORS_H
#define FT_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>
#include "tensor.h"

/* The safetensors crate's MAX_HEADER_SIZE: a longer header is refused. */
#define FT_ST_MAX_HEADER 100000000


typedef struct ft_st_tensor {
    char *name;
    enum ft_dtype dtype;
    int ndim;
    int64_t shape[8];
    size_t numel;
    size_t begin, end;          /* byte range within the data section */
} ft_st_tensor;

typedef struct ft_st_file {
    char *path;
    void *map;                  /* whole file */
    size_t size;
    const unsigned char *data;  /* start of the data section */
    ft_st_tensor *t;
    int n;
    char **meta_keys, **meta_vals;   /* __metadata__ (string → string) */
    int n_meta;
} ft_st_file;

/* Open and validate (dies with "PATH: reason" on malformed files). */
ft_st_file *ft_st_open(const char *path);
void ft_st_close(ft_st_file *f);
const ft_st_tensor *ft_st_find(const ft_st_file *f, const char *name);
const char *ft_st_meta(const ft_st_file *f, const char *key);
/* Convert one tensor to float32 into dst (numel floats).  Float dtypes only. */
void ft_st_read_f32(const ft_st_file *f, const ft_st_tensor *t, float *dst);

/* Writer: collect F32 tensors (pointers are borrowed until ft_st_write_to). */
typedef struct ft_st_writer ft_st_writer;
ft_st_writer *ft_st_writer_new(void);
void ft_st_writer_add(ft_st_writer *w, const char *name, int ndim, const int64_t *shape,
                      const float *data);
void ft_st_writer_meta(ft_st_writer *w, const char *key, const char *val);
/* Writes atomically (temp file + rename); tensors sorted by name like HF. */
void ft_st_writer_write(ft_st_writer *w, const char *path);
void ft_st_writer_free(ft_st_writer *w);


#endif
