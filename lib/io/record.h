/* record: one row of data as an ordered map of named values.
   Values are a small tree (scalars, strings, tensors, arrays, maps) living in
   the record's arena, so reading the next record frees everything at once and
   the hot loop allocates nothing once the arena has grown. */
#ifndef FT_RECORD_H
#define FT_RECORD_H
#include "tensor.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { FT_V_NIL, FT_V_BOOL, FT_V_INT, FT_V_FLOAT, FT_V_STR, FT_V_TENSOR, FT_V_ARRAY, FT_V_MAP } ft_vtype;

typedef struct ft_value ft_value;
typedef struct ft_field { const char *key; size_t klen; ft_value *val; } ft_field;
struct ft_value {
    ft_vtype type;
    union {
        bool b;
        int64_t i;
        double f;
        struct { const char *s; size_t len; } str;   /* not NUL-terminated in general */
        ft_tensor t;
        struct { ft_value **items; size_t n; } arr;
        struct { ft_field *fields; size_t n; } map;
    };
};

/* Bump allocator: blocks are kept between records and reused. */
typedef struct ft_arena { char **blocks; size_t nblocks, cur, used, cap; } ft_arena;
void *ft_arena_alloc(ft_arena *a, size_t n);   /* 16-byte aligned */
char *ft_arena_strdup(ft_arena *a, const char *s, size_t n);
void ft_arena_free(ft_arena *a);

typedef struct ft_record {
    ft_field *fields;
    size_t n, cap;
    ft_arena arena;
} ft_record;

void ft_record_clear(ft_record *r);
void ft_record_free(ft_record *r);
/* Adds a field (key copied into the arena) and returns its value to fill in. */
ft_value *ft_record_add(ft_record *r, const char *key, size_t klen);
const ft_value *ft_record_get(const ft_record *r, const char *key);

/* Convenience setters (copy data into the arena); a complete set for
   libft's users even where the tools need fewer (set_float). */
void ft_record_set_str(ft_record *r, const char *key, const char *s, size_t len);
void ft_record_set_int(ft_record *r, const char *key, int64_t v);
void ft_record_set_float(ft_record *r, const char *key, double v);
ft_tensor *ft_record_set_tensor(ft_record *r, const char *key, ft_dtype dt,
                                int ndim, const int64_t *shape, const void *data);

ft_value *ft_value_new(ft_arena *a, ft_vtype type);
#endif
