#include "msgpack_value.h"
#include "util.h"
#include <string.h>

static void pack_cstr(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void ft_pack_value(msgpack_packer *pk, const ft_value *v)
{
    switch (v->type) {
    case FT_V_NIL: msgpack_pack_nil(pk); break;
    case FT_V_BOOL: if (v->b) msgpack_pack_true(pk); else msgpack_pack_false(pk); break;
    case FT_V_INT: msgpack_pack_int64(pk, v->i); break;
    case FT_V_FLOAT: msgpack_pack_double(pk, v->f); break;
    case FT_V_STR: pack_cstr(pk, v->str.s, v->str.len); break;
    case FT_V_TENSOR: {
        const ft_tensor *t = &v->t;
        const char *dn = ft_dtype_stream_name(t->dtype);
        size_t bytes = ft_tensor_numel(t) * ft_dtype_size(t->dtype);
        if (t->ndim == 1) {
            /* the short form {dtype: data} of version 2: token records are
               mostly 1-D tensors, and this keeps their framing to a few bytes */
            msgpack_pack_map(pk, 1);
            pack_cstr(pk, dn, strlen(dn));
            msgpack_pack_bin(pk, bytes);
            msgpack_pack_bin_body(pk, t->data, bytes);
            break;
        }
        msgpack_pack_map(pk, 3);
        pack_cstr(pk, "dtype", 5);
        pack_cstr(pk, dn, strlen(dn));
        pack_cstr(pk, "shape", 5);
        msgpack_pack_array(pk, t->ndim);
        for (int i = 0; i < t->ndim; i++) msgpack_pack_int64(pk, t->shape[i]);
        pack_cstr(pk, "data", 4);
        msgpack_pack_bin(pk, bytes);
        msgpack_pack_bin_body(pk, t->data, bytes);   /* little-endian hosts only */
        break;
    }
    case FT_V_ARRAY:
        msgpack_pack_array(pk, v->arr.n);
        for (size_t i = 0; i < v->arr.n; i++) ft_pack_value(pk, v->arr.items[i]);
        break;
    case FT_V_MAP:
        msgpack_pack_map(pk, v->map.n);
        for (size_t i = 0; i < v->map.n; i++) {
            pack_cstr(pk, v->map.fields[i].key, v->map.fields[i].klen);
            ft_pack_value(pk, v->map.fields[i].val);
        }
        break;
    }
}

void ft_pack_record(msgpack_packer *pk, const ft_record *rec)
{
    msgpack_pack_map(pk, rec->n);
    for (size_t i = 0; i < rec->n; i++) {
        pack_cstr(pk, rec->fields[i].key, rec->fields[i].klen);
        ft_pack_value(pk, rec->fields[i].val);
    }
}

void ft_pack_json(msgpack_packer *pk, json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(j));
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
            pack_cstr(pk, k, strlen(k));
            ft_pack_json(pk, v);
        }
        break;
    }
    case JSON_ARRAY:
        msgpack_pack_array(pk, json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++) ft_pack_json(pk, json_array_get(j, i));
        break;
    case JSON_STRING: pack_cstr(pk, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(j)); break;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(j)); break;
    case JSON_TRUE: msgpack_pack_true(pk); break;
    case JSON_FALSE: msgpack_pack_false(pk); break;
    case JSON_NULL: msgpack_pack_nil(pk); break;
    }
}

static int key_is(const msgpack_object_kv *kv, const char *k)
{
    size_t n = strlen(k);
    return kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
           memcmp(kv->key.via.str.ptr, k, n) == 0;
}

/* {dtype: bin}, a map of one key naming a stream dtype, is a 1-D tensor. */
static int unpack_short_tensor(ft_arena *a, const msgpack_object_map *m, ft_value *v, const char **err)
{
    const msgpack_object *k = &m->ptr[0].key, *data = &m->ptr[0].val;
    if (k->type != MSGPACK_OBJECT_STR || data->type != MSGPACK_OBJECT_BIN) return 0;
    int d = ft_dtype_stream_parse(k->via.str.ptr, k->via.str.size);
    if (d < 0) return 0;
    size_t size = ft_dtype_size((ft_dtype)d), bytes = data->via.bin.size;
    if (bytes % size) { *err = "tensor data size is not a multiple of its dtype's"; return -1; }
    v->type = FT_V_TENSOR;
    v->t.dtype = (ft_dtype)d;
    v->t.ndim = 1;
    v->t.shape[0] = (int64_t)(bytes / size);
    v->t.data = ft_arena_alloc(a, bytes);
    memcpy(v->t.data, data->via.bin.ptr, bytes);
    return 1;
}

/* A map {dtype: str, shape: [int], data: bin} is a tensor; so is {dtype: bin}. */
static int unpack_tensor(ft_arena *a, const msgpack_object *o, ft_value *v, const char **err)
{
    const msgpack_object_map *m = &o->via.map;
    if (m->size == 1) return unpack_short_tensor(a, m, v, err);
    if (m->size != 3) return 0;
    const msgpack_object *dt = NULL, *sh = NULL, *data = NULL;
    for (uint32_t i = 0; i < 3; i++) {
        if (key_is(&m->ptr[i], "dtype")) dt = &m->ptr[i].val;
        else if (key_is(&m->ptr[i], "shape")) sh = &m->ptr[i].val;
        else if (key_is(&m->ptr[i], "data")) data = &m->ptr[i].val;
    }
    if (!dt || !sh || !data || data->type != MSGPACK_OBJECT_BIN) return 0;
    if (dt->type != MSGPACK_OBJECT_STR || sh->type != MSGPACK_OBJECT_ARRAY) {
        *err = "tensor with a malformed dtype or shape";
        return -1;
    }
    int d = ft_dtype_stream_parse(dt->via.str.ptr, dt->via.str.size);
    if (d < 0) { *err = "tensor with an unknown dtype"; return -1; }
    if (sh->via.array.size > FT_TENSOR_MAX_DIMS) { *err = "tensor with too many dimensions"; return -1; }
    v->type = FT_V_TENSOR;
    v->t.dtype = (ft_dtype)d;
    v->t.ndim = (int)sh->via.array.size;
    for (int i = 0; i < v->t.ndim; i++) {
        const msgpack_object *s = &sh->via.array.ptr[i];
        if (s->type != MSGPACK_OBJECT_POSITIVE_INTEGER) { *err = "tensor with a bad shape"; return -1; }
        if (s->via.u64 > INT64_MAX) { *err = "tensor shape too large (its byte size overflows)"; return -1; }
        v->t.shape[i] = (int64_t)s->via.u64;
    }
    int64_t bytes;
    if (ft_shape_size(v->t.dtype, v->t.ndim, v->t.shape, NULL, &bytes) < 0) {
        *err = "tensor shape too large (its byte size overflows)";
        return -1;
    }
    if ((uint64_t)bytes != data->via.bin.size) { *err = "tensor data size does not match its shape"; return -1; }
    v->t.data = ft_arena_alloc(a, bytes);
    memcpy(v->t.data, data->via.bin.ptr, bytes);
    return 1;
}

ft_value *ft_unpack_value(ft_arena *a, const msgpack_object *o, const char **err)
{
    ft_value *v = ft_value_new(a, FT_V_NIL);
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: break;
    case MSGPACK_OBJECT_BOOLEAN: v->type = FT_V_BOOL; v->b = o->via.boolean; break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: v->type = FT_V_INT; v->i = (int64_t)o->via.u64; break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: v->type = FT_V_INT; v->i = o->via.i64; break;
    case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: v->type = FT_V_FLOAT; v->f = o->via.f64; break;
    case MSGPACK_OBJECT_STR: case MSGPACK_OBJECT_BIN:
        v->type = FT_V_STR;
        v->str.len = o->via.str.size;
        v->str.s = ft_arena_strdup(a, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        v->type = FT_V_ARRAY;
        v->arr.n = o->via.array.size;
        v->arr.items = ft_arena_alloc(a, v->arr.n * sizeof *v->arr.items);
        for (size_t i = 0; i < v->arr.n; i++)
            if (!(v->arr.items[i] = ft_unpack_value(a, &o->via.array.ptr[i], err))) return NULL;
        break;
    case MSGPACK_OBJECT_MAP: {
        int t = unpack_tensor(a, o, v, err);
        if (t < 0) return NULL;
        if (t > 0) break;
        v->type = FT_V_MAP;
        v->map.n = o->via.map.size;
        v->map.fields = ft_arena_alloc(a, v->map.n * sizeof *v->map.fields);
        for (size_t i = 0; i < v->map.n; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) { *err = "map key is not a string"; return NULL; }
            ft_field *f = &v->map.fields[i];
            f->klen = kv->key.via.str.size;
            f->key = ft_arena_strdup(a, kv->key.via.str.ptr, f->klen);
            if (!(f->val = ft_unpack_value(a, &kv->val, err))) return NULL;
        }
        break;
    }
    default:
        *err = "unsupported msgpack type (ext)";
        return NULL;
    }
    return v;
}

json_t *ft_unpack_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR: case MSGPACK_OBJECT_BIN:
        return json_stringn_nocheck(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(a, ft_unpack_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) continue;
            char *k = ft_xasprintf("%.*s", (int)kv->key.via.str.size, kv->key.via.str.ptr);
            json_object_set_new(m, k, ft_unpack_json(&kv->val));
            free(k);
        }
        return m;
    }
    default: return json_null();
    }
}

int ft_unpack_record(ft_record *rec, const msgpack_object *o, const char **err)
{
    ft_record_clear(rec);
    if (o->type != MSGPACK_OBJECT_MAP) { *err = "a record is not a map"; return -1; }
    for (uint32_t k = 0; k < o->via.map.size; k++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[k];
        if (kv->key.type != MSGPACK_OBJECT_STR) { *err = "a record's key is not a string"; return -1; }
        ft_value *v = ft_record_add(rec, kv->key.via.str.ptr, kv->key.via.str.size);
        ft_value *u = ft_unpack_value(&rec->arena, &kv->val, err);
        if (!u) return -1;
        *v = *u;
    }
    return 0;
}
