/* chat_records: ft-tokenize --chat and --prompt-completion over record
   files: each record's "messages", or "prompt" and "completion", tokenized
   by chat_tokenize.c / chat_completion.c into input_ids and labels, with the
   record's "tools" and chat_template_kwargs as template variables. */
#include "chat_records.h"
#include "chat_completion.h"
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

/* Field name as JSON, NULL when the record lacks it or it is null. */
static json_t *field_json(ft_reader *r, const ft_record *rec, const char *name)
{
    const ft_value *v = ft_record_get(rec, name);
    return v && v->type != FT_V_NIL ? value_json(r, v, name) : NULL;
}

static void check_messages(ft_reader *r, json_t *m, const char *name, const char *hint)
{
    if (!json_is_array(m)) ft_reader_die(r, "field \"%s\" is not a list%s", name, hint);
    size_t i; json_t *x;
    json_array_foreach(m, i, x) {
        if (!json_is_object(x) || !json_is_string(json_object_get(x, "role")))
            ft_reader_die(r, "%s[%zu] is not a map with a \"role\" string", name, i);
    }
}

const char *ft_chat_kwargs_problem(json_t *kwargs)
{
    /* apply_chat_template's own arguments: HF binds these to the function, not
       to the template (or fails on a duplicate) */
    static const char *const own[] = {"messages", "conversation", "add_generation_prompt", "continue_final_message",
                                      "chat_template", "tokenize", "padding", "truncation", "max_length",
                                      "return_tensors", "return_dict", "return_assistant_tokens_mask",
                                      "tokenizer_kwargs", NULL};
    if (!json_is_object(kwargs)) return "is not a map";
    for (int i = 0; own[i]; i++)
        if (json_object_get(kwargs, own[i]))
            return !strcmp(own[i], "add_generation_prompt")
                       ? "sets add_generation_prompt (use --add-generation-prompt)"
                       : "sets an argument of apply_chat_template, not a template variable "
                         "(messages, add_generation_prompt, chat_template, tokenize, ...)";
    return NULL;
}

/* The template's variables besides messages: tools, then the flag's
   chat_template_kwargs, then the record's (later keys win, as TRL's
   {"tools": ..., **example["chat_template_kwargs"]}). */
static json_t *template_extra(ft_reader *r, const ft_record *rec, const ft_chat_opts *o)
{
    json_t *extra = json_object(), *tools = field_json(r, rec, "tools");
    if (tools) json_object_set_new(extra, "tools", tools);
    if (o->template_kwargs) json_object_update(extra, o->template_kwargs);
    json_t *kw = field_json(r, rec, "chat_template_kwargs");
    if (kw) {
        const char *why = ft_chat_kwargs_problem(kw);
        if (why) ft_reader_die(r, "field \"chat_template_kwargs\" %s", why);
        json_object_update(extra, kw);
        json_decref(kw);
    }
    return extra;
}

/* The state of one run over the files. */
typedef struct chat_run {
    const ft_chat_opts *o;
    const ft_tokenizer *t;
    ft_chat_encoder *ce;        /* NULL for the standard prompt-completion form */
    ft_tok_scratch *s;
    ft_encoding e;
    int32_t *labels;
    size_t nrec, not_prefix;    /* records whose prompt ids are not the whole's first */
    char *first_not_prefix;     /* where the first of those is */
    size_t ncut, cut_tokens;    /* records longer than max_length, and the tokens they lost */
} chat_run;

/* --max-length: the first max_length tokens of a record (labels alike). */
static size_t kept_length(chat_run *cr)
{
    size_t n = cr->e.n, L = (size_t)cr->o->max_length;
    if (!L || n <= L) return n;
    cr->ncut++;
    cr->cut_tokens += n - L;
    return L;
}

static void encode_messages(chat_run *cr, ft_reader *r, const ft_record *rec)
{
    json_t *messages = field_json(r, rec, "messages");
    if (!messages)
        ft_reader_die(r, "field \"messages\" missing (--chat takes records with a list of {role, content} maps%s)",
                      ft_record_get(rec, "prompt") ? "; prompt/completion records take --completion-only-loss or "
                                                     "--prompt-completion" : "");
    check_messages(r, messages, "messages", "");
    json_t *extra = template_extra(r, rec, cr->o);
    char *err = NULL;
    if (ft_chat_encode(cr->ce, messages, extra, cr->o->add_generation_prompt, cr->o->assistant_only_loss, &cr->e,
                       &cr->labels, &err))
        ft_reader_die(r, "%s", err);
    json_decref(messages);
    json_decref(extra);
}

/* A prompt or completion field in the form the flags ask for. */
static json_t *pc_field(chat_run *cr, ft_reader *r, const ft_record *rec, const char *name)
{
    json_t *v = field_json(r, rec, name);
    if (!v)
        ft_reader_die(r, "field \"%s\" missing (--prompt-completion and --completion-only-loss take records with "
                      "\"prompt\" and \"completion\")", name);
    if (cr->ce) check_messages(r, v, name, " of messages (with --chat; a string: leave --chat out)");
    else if (!json_is_string(v))
        ft_reader_die(r, "field \"%s\" is not a string%s", name,
                      json_is_array(v) ? " (a list of messages needs --chat)" : "");
    return v;
}

static void encode_prompt_completion(chat_run *cr, ft_reader *r, const ft_record *rec)
{
    const ft_chat_opts *o = cr->o;
    json_t *prompt = pc_field(cr, r, rec, "prompt"), *completion = pc_field(cr, r, rec, "completion");
    ft_completion_info info;
    char *err = NULL;
    int rc;
    if (cr->ce) {
        json_t *extra = template_extra(r, rec, o);
        rc = ft_completion_encode_chat(cr->ce, prompt, completion, extra, o->assistant_only_loss,
                                       o->completion_only_loss, &cr->e, &cr->labels, &info, &err);
        json_decref(extra);
    } else {
        rc = ft_completion_encode_text(cr->t, cr->s, json_string_value(prompt), json_string_value(completion),
                                       o->eos_token, o->add_special_tokens, o->completion_only_loss, &cr->e,
                                       &cr->labels, &info, &err);
    }
    if (rc) ft_reader_die(r, "%s", err);
    if (!info.prefix && !cr->not_prefix++) cr->first_not_prefix = ft_xstrdup(ft_reader_where(r));
    json_decref(prompt);
    json_decref(completion);
}

static void put_i32(ft_record *rec, const char *key, const int32_t *v, size_t n)
{
    int64_t shape[1] = {(int64_t)n};
    ft_record_set_tensor(rec, key, FT_I32, 1, shape, v);
}

size_t ft_tokenize_chat_files(const ft_chat_opts *o, const ft_chat_config *cfg, const ft_tokenizer *t,
                              char *const *files, int nfiles, void (*put)(void *, const ft_record *), void *ctx)
{
    chat_run cr = {.o = o, .t = t, .ce = cfg ? ft_chat_encoder_new(cfg, t) : NULL, .s = ft_tok_scratch_new()};
    ft_record rec = {0}, out = {0};
    for (int f = 0; f < nfiles; f++) {
        ft_reader *r = ft_reader_open(files[f], FT_FMT_AUTO);
        while (ft_reader_next(r, &rec)) {
            if (o->prompt_completion) encode_prompt_completion(&cr, r, &rec);
            else encode_messages(&cr, r, &rec);
            size_t n = kept_length(&cr);
            ft_record_clear(&out);
            put_i32(&out, "input_ids", cr.e.ids, n);
            if (!o->add_generation_prompt) put_i32(&out, "labels", cr.labels, n);
            put(ctx, &out);
            cr.nrec++;
        }
        ft_reader_close(r);
    }
    if (cr.not_prefix)
        fprintf(stderr, "%s: %zu of %zu records: the prompt's tokens are not the first tokens of prompt + completion's "
                "(first at %s); their first len(prompt tokens) tokens count as the prompt all the same, as in TRL's "
                "SFTTrainer (docs/chat.md)\n", ft_prog, cr.not_prefix, cr.nrec, cr.first_not_prefix);
    if (cr.ncut)
        fprintf(stderr, "%s: %zu of %zu records longer than --max-length %d cut to it (%zu tokens dropped), as TRL's "
                "SFTTrainer truncates (keep_start)\n", ft_prog, cr.ncut, cr.nrec, o->max_length, cr.cut_tokens);
    free(cr.first_not_prefix);
    ft_record_free(&rec);
    ft_record_free(&out);
    ft_encoding_free(&cr.e);
    free(cr.labels);
    ft_tok_scratch_free(cr.s);
    ft_chat_encoder_free(cr.ce);
    return cr.nrec;
}
