/* JSON <-> ft values.  Output is written directly (no DOM) because ft-cat
   prints whole token streams; input goes through jansson. */
#include "stream.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void ft_json_write_string(FILE *fp, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', fp);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fwrite(s + run, 1, i - run, fp);
        run = i + 1;
        switch (c) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default: fprintf(fp, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        }
    }
    fwrite(s + run, 1, n - run, fp);
    putc('"', fp);
}

/* Shortest decimal that reads back to the same float / double. */
static void write_number(FILE *fp, double x, int is_f32)
{
    if (!isfinite(x)) { fputs(isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity", fp); return; }
    char buf[40];
    for (int prec = is_f32 ? 6 : 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (is_f32 ? strtof(buf, NULL) == (float)x : strtod(buf, NULL) == x) break;
    }
    /* keep floats recognisable as floats on the way back */
    if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
    fputs(buf, fp);
}

static void write_tensor_data(FILE *fp, const ft_tensor *t, int dim, int64_t *idx)
{
    putc('[', fp);
    for (int64_t k = 0; k < t->shape[dim]; k++) {
        if (k) putc(',', fp);
        if (dim + 1 < t->ndim) {
            write_tensor_data(fp, t, dim + 1, idx);
            continue;
        }
        double x = ft_tensor_get(t, *idx);
        (*idx)++;
        if (ft_dtype_is_int(t->dtype)) {
            if (t->dtype == FT_I64) {
                int64_t v;
                memcpy(&v, (char *)t->data + 8 * (*idx - 1), 8);
                fprintf(fp, "%lld", (long long)v);
            } else fprintf(fp, "%lld", (long long)x);
        } else write_number(fp, x, 1);
    }
    putc(']', fp);
}

void ft_value_write_json(FILE *fp, const ft_value *v)
{
    switch (v->type) {
    case FT_V_NIL: fputs("null", fp); break;
    case FT_V_BOOL: fputs(v->b ? "true" : "false", fp); break;
    case FT_V_INT: fprintf(fp, "%lld", (long long)v->i); break;
    case FT_V_FLOAT: write_number(fp, v->f, 0); break;
    case FT_V_STR: ft_json_write_string(fp, v->str.s, v->str.len); break;
    case FT_V_TENSOR: {
        const ft_tensor *t = &v->t;
        int64_t idx = 0;
        /* Integer tensors are always plain arrays, empty ones too, whatever
           their dtype (u16 ids, u8 masks): `jq '.input_ids | length'` must
           work on every record.  JSON input reads them back as i32 (i64 when
           a value needs it): the values are exact, the width is not kept. */
        int plain = t->ndim > 0 && (ft_dtype_is_int(t->dtype) ||
                                    (t->dtype == FT_F32 && ft_tensor_numel(t) > 0));
        if (plain) { write_tensor_data(fp, t, 0, &idx); break; }
        fprintf(fp, "{\"dtype\":\"%s\",\"shape\":[", ft_dtype_stream_name(t->dtype));
        for (int i = 0; i < t->ndim; i++) fprintf(fp, i ? ",%lld" : "%lld", (long long)t->shape[i]);
        fputs("],\"data\":", fp);
        if (t->ndim == 0) {
            ft_tensor flat = *t;
            flat.ndim = 1;
            flat.shape[0] = 1;
            write_tensor_data(fp, &flat, 0, &idx);
        } else if (ft_tensor_numel(t) == 0) fputs("[]", fp);
        else write_tensor_data(fp, t, 0, &idx);
        putc('}', fp);
        break;
    }
    case FT_V_ARRAY:
        putc('[', fp);
        for (size_t i = 0; i < v->arr.n; i++) {
            if (i) putc(',', fp);
            ft_value_write_json(fp, v->arr.items[i]);
        }
        putc(']', fp);
        break;
    case FT_V_MAP:
        putc('{', fp);
        for (size_t i = 0; i < v->map.n; i++) {
            if (i) putc(',', fp);
            ft_json_write_string(fp, v->map.fields[i].key, v->map.fields[i].klen);
            putc(':', fp);
            ft_value_write_json(fp, v->map.fields[i].val);
        }
        putc('}', fp);
        break;
    }
}

void ft_record_write_json(FILE *fp, const ft_record *rec)
{
    putc('{', fp);
    for (size_t i = 0; i < rec->n; i++) {
        if (i) putc(',', fp);
        ft_json_write_string(fp, rec->fields[i].key, rec->fields[i].klen);
        putc(':', fp);
        ft_value_write_json(fp, rec->fields[i].val);
    }
    fputs("}\n", fp);
}

/* ---- JSON input ---- */

/* Shape of a rectangular numeric array: returns ndim, or -1 if not one.
   *is_float is set when any leaf is a real. */
static int numeric_shape(json_t *j, int64_t *shape, int dim, int *is_float)
{
    if (json_is_integer(j)) return dim;
    if (json_is_real(j)) { *is_float = 1; return dim; }
    if (!json_is_array(j) || dim >= FT_TENSOR_MAX_DIMS) return -1;
    size_t n = json_array_size(j);
    if (n == 0) return -1;
    shape[dim] = (int64_t)n;
    int nd = numeric_shape(json_array_get(j, 0), shape, dim + 1, is_float);
    if (nd < 0) return -1;
    for (size_t i = 1; i < n; i++) {
        int64_t sub[FT_TENSOR_MAX_DIMS];
        memcpy(sub, shape, sizeof sub);
        if (numeric_shape(json_array_get(j, i), sub, dim + 1, is_float) != nd) return -1;
        if (memcmp(sub + dim + 1, shape + dim + 1, (nd - dim - 1) * sizeof *sub)) return -1;
    }
    return nd;
}

static void fill_tensor(json_t *j, ft_tensor *t, int64_t *idx)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) fill_tensor(json_array_get(j, i), t, idx);
        return;
    }
    double x = json_number_value(j);
    switch (t->dtype) {
    case FT_I32: ((int32_t *)t->data)[*idx] = (int32_t)json_integer_value(j); break;
    case FT_I64: ((int64_t *)t->data)[*idx] = json_integer_value(j); break;
    case FT_U8: ((uint8_t *)t->data)[*idx] = (uint8_t)json_integer_value(j); break;
    case FT_U16: ((uint16_t *)t->data)[*idx] = (uint16_t)json_integer_value(j); break;
    case FT_I16: ((int16_t *)t->data)[*idx] = (int16_t)json_integer_value(j); break;
    case FT_F32: ((float *)t->data)[*idx] = (float)x; break;
    case FT_F16: ((uint16_t *)t->data)[*idx] = ft_f32_to_f16((float)x); break;
    case FT_BF16: ((uint16_t *)t->data)[*idx] = ft_f32_to_bf16((float)x); break;
    default: break;
    }
    (*idx)++;
}

static int fits_i32(json_t *j)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            if (!fits_i32(json_array_get(j, i))) return 0;
        return 1;
    }
    json_int_t v = json_integer_value(j);
    return v >= INT32_MIN && v <= INT32_MAX;
}

/* {"dtype": "bf16", "shape": [..], "data": [..]}: the typed tensor form. */
static ft_value *typed_tensor(ft_arena *a, json_t *j, const char **err)
{
    json_t *dt = json_object_get(j, "dtype"), *sh = json_object_get(j, "shape"),
           *data = json_object_get(j, "data");
    if (json_object_size(j) != 3 || !json_is_string(dt) || !json_is_array(sh) || !json_is_array(data))
        return NULL;
    int d = ft_dtype_stream_parse(json_string_value(dt), json_string_length(dt));
    if (d < 0) { *err = "unknown tensor dtype"; return NULL; }
    ft_value *v = ft_value_new(a, FT_V_TENSOR);
    v->t.dtype = (ft_dtype)d;
    v->t.ndim = (int)json_array_size(sh);
    if (v->t.ndim > FT_TENSOR_MAX_DIMS) { *err = "tensor has too many dimensions"; return NULL; }
    for (int i = 0; i < v->t.ndim; i++) {
        json_t *d = json_array_get(sh, i);
        if (!json_is_integer(d)) { *err = "tensor shape is not a list of integers"; return NULL; }
        v->t.shape[i] = json_integer_value(d);
    }
    int64_t n, bytes, idx = 0;
    if (ft_shape_size(v->t.dtype, v->t.ndim, v->t.shape, &n, &bytes) < 0) {
        *err = "tensor shape is negative or too large (its byte size overflows)";
        return NULL;
    }
    int64_t count_shape[FT_TENSOR_MAX_DIMS];
    int is_float = 0;
    int nd = json_array_size(data) ? numeric_shape(data, count_shape, 0, &is_float) : 1;
    int64_t got = 1;
    for (int i = 0; i < nd && json_array_size(data); i++) got *= count_shape[i];
    if (!json_array_size(data)) got = 0;
    if (nd < 0 || got != n) { *err = "tensor data does not match its shape"; return NULL; }
    /* allocated only once the data is known to hold n numbers */
    v->t.data = ft_arena_alloc(a, (size_t)bytes);
    fill_tensor(data, &v->t, &idx);
    return v;
}

static ft_value *from_json(ft_arena *a, json_t *j, int depth, const char **err);

ft_value *ft_value_from_json(ft_arena *a, json_t *j, const char **err)
{
    return from_json(a, j, 0, err);
}

static ft_value *from_json(ft_arena *a, json_t *j, int depth, const char **err)
{
    ft_value *v;
    if (depth > FT_VALUE_MAX_DEPTH && (json_is_array(j) || json_is_object(j))) {
        *err = "nested deeper than " FT_STR(FT_VALUE_MAX_DEPTH) " lists/objects (the most an ft stream carries)";
        return NULL;
    }
    switch (json_typeof(j)) {
    case JSON_NULL: return ft_value_new(a, FT_V_NIL);
    case JSON_TRUE: case JSON_FALSE:
        v = ft_value_new(a, FT_V_BOOL);
        v->b = json_is_true(j);
        return v;
    case JSON_INTEGER:
        v = ft_value_new(a, FT_V_INT);
        v->i = json_integer_value(j);
        return v;
    case JSON_REAL:
        v = ft_value_new(a, FT_V_FLOAT);
        v->f = json_real_value(j);
        return v;
    case JSON_STRING:
        v = ft_value_new(a, FT_V_STR);
        v->str.len = json_string_length(j);
        v->str.s = ft_arena_strdup(a, json_string_value(j), v->str.len);
        return v;
    case JSON_ARRAY: {
        if (json_array_size(j) == 0) {
            /* [] is how an empty integer tensor is written (an empty text's ids) */
            v = ft_value_new(a, FT_V_TENSOR);
            v->t.dtype = FT_I32;
            v->t.ndim = 1;
            v->t.shape[0] = 0;
            v->t.data = NULL;
            return v;
        }
        int64_t shape[FT_TENSOR_MAX_DIMS];
        int is_float = 0;
        int nd = numeric_shape(j, shape, 0, &is_float);
        if (nd > 0) {
            v = ft_value_new(a, FT_V_TENSOR);
            v->t.dtype = is_float ? FT_F32 : fits_i32(j) ? FT_I32 : FT_I64;
            v->t.ndim = nd;
            memcpy(v->t.shape, shape, nd * sizeof *shape);
            v->t.data = ft_arena_alloc(a, ft_tensor_numel(&v->t) * ft_dtype_size(v->t.dtype));
            int64_t idx = 0;
            fill_tensor(j, &v->t, &idx);
            return v;
        }
        v = ft_value_new(a, FT_V_ARRAY);
        v->arr.n = json_array_size(j);
        v->arr.items = ft_arena_alloc(a, v->arr.n * sizeof *v->arr.items);
        for (size_t i = 0; i < v->arr.n; i++)
            if (!(v->arr.items[i] = from_json(a, json_array_get(j, i), depth + 1, err))) return NULL;
        return v;
    }
    case JSON_OBJECT: {
        if ((v = typed_tensor(a, j, err))) return v;
        if (*err) return NULL;
        v = ft_value_new(a, FT_V_MAP);
        v->map.n = json_object_size(j);
        v->map.fields = ft_arena_alloc(a, v->map.n * sizeof *v->map.fields);
        const char *key;
        json_t *val;
        size_t i = 0;
        json_object_foreach(j, key, val) {
            ft_field *f = &v->map.fields[i++];
            f->klen = strlen(key);
            f->key = ft_arena_strdup(a, key, f->klen);
            if (!(f->val = from_json(a, val, depth + 1, err))) return NULL;
        }
        return v;
    }
    }
    *err = "unsupported JSON value";
    return NULL;
}
