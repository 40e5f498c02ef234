/* msgpack_value: ft values and JSON headers <-> msgpack objects. */
#ifndef FT_MSGPACK_VALUE_H
#define FT_MSGPACK_VALUE_H
#include "record.h"
#include <jansson.h>
#include <msgpack.h>

void ft_pack_record(msgpack_packer *pk, const ft_record *rec);
void ft_pack_json(msgpack_packer *pk, json_t *j);
/* Returns NULL and sets *err if the object is not a valid ft value. */
ft_value *ft_unpack_value(ft_arena *a, const msgpack_object *o, const char **err);
json_t *ft_unpack_json(const msgpack_object *o);
/* Fills rec (cleared first) from a packed record (a map); 0, or -1 with *err. */
int ft_unpack_record(ft_record *rec, const msgpack_object *o, const char **err);
/* Length of the msgpack object at the start of buf[0..n): 1 with *len set
   when it is complete, 0 when more bytes are needed, -1 when it is not
   msgpack or nests more than FT_MSGPACK_MAX_DEPTH containers (the most
   msgpack-c's unpacker accepts).  Allocates nothing. */
#define FT_MSGPACK_MAX_DEPTH 32
int ft_msgpack_frame(const void *buf, size_t n, size_t *len);
#endif
