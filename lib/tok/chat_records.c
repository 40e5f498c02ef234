/* chat_records: ft-tokenize --chat over record files: each record's
   "messages" (and "tools", when it has one) rendered and tokenized by
   chat_tokenize.c into input_ids and labels. */
#include "chat_records.h"
#include "chat_tokenize.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

/* A record value as JSON (through its JSON text, so every value type the
   readers make comes out as JSONL input would have it). */
static json_t *value_json(ft_reader *r, const ft_value *v, const char *name)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    ft_value_write_json(mem, v);
    fclose(mem);
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_DECODE_ANY, &je);
    free(buf);
    if (!j) ft_reader_die(r, "field \"%s\": %s", name, je.text);
    return j;
}

static void check_messages(ft_reader *r, json_t *m)
{
    if (!json_is_array(m)) ft_reader_die(r, "field \"messages\" is not a list");
    size_t i; json_t *x;
    json_array_foreach(m, i, x) {
        if (!json_is_object(x) || !json_is_string(json_object_get(x, "role")))
            ft_reader_die(r, "messages[%zu] is not a map with a \"role\" string", i);
    }
}

static void put_i32(ft_record *rec, const char *key, const int32_t *v, size_t n)
{
    int64_t shape[1] = {(int64_t)n};
    ft_record_set_tensor(rec, key, FT_I32, 1, shape, v);
}

size_t ft_tokenize_chat_files(const ft_chat_opts *o, const ft_chat_config *cfg, const ft_tokenizer *t,
                              char *const *files, int nfiles, void (*put)(void *, const ft_record *), void *ctx)
{
    ft_chat_encoder *ce = ft_chat_encoder_new(cfg, t);
    ft_encoding e = {0};
    int32_t *labels = NULL;
    ft_record rec = {0}, out = {0};
    size_t count = 0;
    for (int f = 0; f < nfiles; f++) {
        ft_reader *r = ft_reader_open(files[f], FT_FMT_AUTO);
        while (ft_reader_next(r, &rec)) {
            const ft_value *mv = ft_record_get(&rec, "messages");
            if (!mv) ft_reader_die(r, "field \"messages\" missing (--chat takes records with a list of {role, content} maps)");
            json_t *messages = value_json(r, mv, "messages"), *extra = json_object();
            check_messages(r, messages);
            const ft_value *tv = ft_record_get(&rec, "tools");
            if (tv && tv->type != FT_V_NIL) json_object_set_new(extra, "tools", value_json(r, tv, "tools"));
            char *err = NULL;
            if (ft_chat_encode(ce, messages, extra, o->add_generation_prompt, o->assistant_only_loss, &e, &labels, &err))
                ft_reader_die(r, "%s", err);
            ft_record_clear(&out);
            put_i32(&out, "input_ids", e.ids, e.n);
            if (!o->add_generation_prompt) put_i32(&out, "labels", labels, e.n);
            put(ctx, &out);
            count++;
            json_decref(messages);
            json_decref(extra);
        }
        ft_reader_close(r);
    }
    ft_record_free(&rec);
    ft_record_free(&out);
    ft_encoding_free(&e);
    free(labels);
    ft_chat_encoder_free(ce);
    return count;
}
