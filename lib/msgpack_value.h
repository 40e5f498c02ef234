/* msgpack_value: ft values and JSON headers <-> msgpack objects. */
#ifndef FT_MSGPACK_VALUE_H
#define FT_MSGPACK_VALUE_H
#include "record.h"
#include <jansson.h>
#include <msgpack.h>

void ft_pack_value(msgpack_packer *pk, const ft_value *v);
void ft_pack_record(msgpack_packer *pk, const ft_record *rec);
void ft_pack_json(msgpack_packer *pk, json_t *j);
/* Returns NULL and sets *err if the object is not a valid ft value. */
ft_value *ft_unpack_value(ft_arena *a, const msgpack_object *o, const char **err);
json_t *ft_unpack_json(const msgpack_object *o);
#endif
