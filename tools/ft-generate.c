/* ft-generate: generate text with a causal LM or an encoder-decoder model
   (HF's model.generate(); lib/run/generate.h picks the path from config.json). */
#include "checkpoint.h"
#include "dist.h"
#include "distout.h"
#include "generate.h"
#include "lora.h"
#include "model.h"
#include "opts.h"
#include "ops.h"
#include "progress.h"
#include "stream.h"
#include "tokcheck.h"
#include "tokenizer.h"
#include "util.h"
#include <string.h>

static const char usage[] =
"usage: ft-generate --model DIR [options] [INPUT]\n"
"Generates for each record of INPUT (JSONL, CSV or an ft stream; default stdin)\n"
"with HF generate() semantics: a decoder-only model (GPT-2, Llama) continues the\n"
"prompt, an encoder-decoder model (T5, CodeT5; is_encoder_decoder in\n"
"config.json) writes a target for the input.  Writes one record per input:\n"
"id, generated_ids (the new tokens only, EOS included when reached) and\n"
"generated_text when the model has a tokenizer.  An input is a record's\n"
"input_ids, else its text column (after --prefix) tokenized.\n"
"  --model DIR               model directory (config.json + weights)\n"
"  --adapter DIR             apply a LoRA adapter (PEFT layout) unmerged\n"
"The generation options default to the model's generation_config.json (as HF's\n"
"GenerationConfig.from_pretrained), else to config.json's ids and the values below;\n"
"a flag overrides either.\n"
"  --max-new-tokens N (20; a generation_config.json max_length counts the prompt)\n"
"  --batch-size N (8 inputs decoded together)\n"
"  --num-beams N (1)  --length-penalty X (1.0)  --early-stopping   (beam search)\n"
"  --do-sample               sample instead of greedy (implied by the next three)\n"
"  --no-do-sample            greedy even where generation_config.json samples\n"
"  --temperature X (1.0)  --top-k N (50)  --top-p X (1.0)  --seed N (42)\n"
"  --repetition-penalty X (1.0)  --no-repeat-ngram-size N (0)\n"
"  --eos-token-id N[,N...]   a row ends at any of these ids (the model's; -1 = none)\n"
"  --text-column NAME (text)  --prefix TEXT\n"
"  --max-length N            truncate tokenized text to N tokens (T5: 512; GPT-2: none)\n"
"  -o FILE (default stdout)  --format jsonl|ft (jsonl on stdout)  --threads N\n"
"  --bf16                    matmuls in bf16 with fp32 accumulation, as torch.autocast(\"cpu\",\n"
"                            torch.bfloat16); the rest fp32 (emulated, with a notice, on a\n"
"                            CPU without AVX512-BF16)\n"
"  --quiet                   no progress bar (none either when stderr is not a terminal)\n"
"  --allow-tokenizer-mismatch  generate from input_ids whose stream header names\n"
"                            another tokenizer than the model's (refused by default)\n"
"  -h, --help\n"
"Under mpirun -np N, rank r generates batches r, r+N, ... and rank 0 writes\n"
"every record in input order: the same output as one process (docs/distributed.md).\n";

typedef struct { int64_t id; int32_t *ids; int n; } prompt;

static ft_tokenizer *tok;
static char *text_buf, *in_buf;          /* decoded output; prefix + input text */
static size_t text_cap, in_cap;

/* Generates one batch (rows first..first+n-1 of the input) and hands its
   records to w, which puts them in input order across ranks. */
static void flush(ft_model *m, prompt *p, int n, const ft_gen_opts *o, long first, ft_distout *w)
{
    if (!n) return;
    const int32_t **pp = ft_xmalloc(n * sizeof *pp);
    int *lens = ft_xmalloc(n * sizeof *lens), *olen = ft_xmalloc(n * sizeof *olen);
    int32_t **out = ft_xmalloc(n * sizeof *out);
    for (int i = 0; i < n; i++) { pp[i] = p[i].ids; lens[i] = p[i].n; }
    ft_generate(m, n, pp, lens, o, first, out, olen);
    ft_record rec = {0};
    for (int i = 0; i < n; i++) {
        ft_record_clear(&rec);
        ft_record_set_int(&rec, "id", p[i].id);
        int64_t shape[1] = { olen[i] };
        ft_record_set_tensor(&rec, "generated_ids", FT_I32, 1, shape, out[i]);
        if (tok) {
            size_t len = ft_tok_decode(tok, out[i], olen[i], 1, &text_buf, &text_cap);
            ft_record_set_str(&rec, "generated_text", text_buf, len);
        }
        ft_distout_put(w, first + i, &rec);
        free(out[i]);
        free(p[i].ids);
    }
    ft_record_free(&rec);
    free(pp); free(lens); free(olen); free(out);
}

/* What the flags ask for. */
typedef struct flags {
    ft_gen_opts o;                      /* the one set of generation defaults */
    const char *model, *adapter, *outp, *textcol, *fmt, *prefix;
    int bs, maxlen, quiet, allow_tok, threads, bf16;
} flags;

static void eos_flag(const char *v, void *dst)
{
    const char *bad = ft_gen_parse_eos(v, dst);
    if (bad) ft_die("--eos-token-id: '%s': %s", v, bad);
}

static int parse_flags(flags *f, int argc, char **argv)
{
    memset(f, 0, sizeof *f);
    ft_gen_opts_default(&f->o, NULL);   /* the flags first, the model's defaults after it loads */
    f->outp = "-";
    f->textcol = "text";
    f->prefix = "";
    f->bs = 8;
    f->maxlen = -1;
    ft_gen_opts *o = &f->o;
    const ft_opt opts[] = {
        {"model", FT_OPT_STR, .dst = &f->model}, {"adapter", FT_OPT_STR, .dst = &f->adapter},
        {"max-new-tokens", FT_OPT_INT, .dst = &o->max_new_tokens, .min = 0, .max = 1 << 20},
        {"batch-size", FT_OPT_INT, .dst = &f->bs, .min = 1, .max = 1 << 16},
        {"num-beams", FT_OPT_INT, .dst = &o->num_beams, .min = 1, .max = 1024},
        {"length-penalty", FT_OPT_FLOAT, .dst = &o->length_penalty, .lo = -100, .hi = 100},
        {"early-stopping", FT_OPT_FLAG, .dst = &o->early_stopping},
        {"no-repeat-ngram-size", FT_OPT_INT, .dst = &o->s.no_repeat_ngram_size, .min = 0, .max = 1 << 20},
        {"do-sample", FT_OPT_FLAG, .dst = &o->s.do_sample},
        {"no-do-sample", FT_OPT_UNSET, .dst = &o->s.do_sample},
        {"temperature", FT_OPT_FLOAT, .dst = &o->s.temperature, .lo = 1e-6, .hi = 1e6, .given = &o->s.do_sample},
        {"top-k", FT_OPT_INT, .dst = &o->s.top_k, .min = 0, .max = 1 << 30, .given = &o->s.do_sample},
        {"top-p", FT_OPT_FLOAT, .dst = &o->s.top_p, .lo = 0, .hi = 1, .given = &o->s.do_sample},
        {"seed", FT_OPT_U64, .dst = &o->s.seed, .min = 0, .max = __LONG_MAX__},
        {"repetition-penalty", FT_OPT_FLOAT, .dst = &o->s.repetition_penalty, .lo = 1e-6, .hi = 1e6},
        {"eos-token-id", FT_OPT_CALL, .dst = o, .call = eos_flag},
        {"text-column", FT_OPT_STR, .dst = &f->textcol}, {"prefix", FT_OPT_STR, .dst = &f->prefix},
        {"max-length", FT_OPT_INT, .dst = &f->maxlen, .min = 1, .max = 1 << 20},
        {"format", FT_OPT_STR, .dst = &f->fmt}, {"threads", FT_OPT_INT, .dst = &f->threads, .min = 1, .max = 1024},
        {"bf16", FT_OPT_FLAG, .dst = &f->bf16}, {"quiet", FT_OPT_FLAG, .dst = &f->quiet},
        {"allow-tokenizer-mismatch", FT_OPT_FLAG, .dst = &f->allow_tok}, {"help", FT_OPT_HELP, .short_name = 'h'},
        {NULL, FT_OPT_STR, .dst = &f->outp, .short_name = 'o'},
        {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (f->threads) ft_set_threads(f->threads);
    if (f->bf16) ft_set_precision(FT_PREC_BF16);
    return first;
}

/* How a record becomes a prompt: its input_ids, else its text tokenized. */
typedef struct prompt_src {
    ft_tok_scratch *scratch;
    ft_tok_opts topts;
    ft_encoding enc;
    const char *dir, *textcol, *prefix;
    long vocab;
} prompt_src;

static void read_prompt(prompt_src *ps, ft_reader *r, const ft_record *rec, long row, prompt *p)
{
    const ft_value *id = ft_record_get(rec, "id");
    p->id = id && id->type == FT_V_INT ? id->i : row;
    const ft_value *v = ft_record_get(rec, "input_ids");
    if (v && v->type == FT_V_TENSOR) {
        p->n = (int)ft_tensor_numel(&v->t);
        p->ids = ft_xmalloc((p->n + 1) * sizeof *p->ids);
        for (int i = 0; i < p->n; i++) p->ids[i] = (int32_t)ft_tensor_get(&v->t, i);
    } else if (v && v->type == FT_V_ARRAY) {
        p->n = (int)v->arr.n;
        p->ids = ft_xmalloc((p->n + 1) * sizeof *p->ids);
        for (int i = 0; i < p->n; i++) {
            if (v->arr.items[i]->type != FT_V_INT) ft_reader_die(r, "input_ids holds something not an integer");
            p->ids[i] = (int32_t)v->arr.items[i]->i;
        }
    } else if ((v = ft_record_get(rec, ps->textcol)) && v->type == FT_V_STR) {
        if (!tok) ft_reader_die(r, "a text input, but %s has no tokenizer files; give input_ids", ps->dir);
        size_t pl = strlen(ps->prefix), tl = pl + v->str.len;
        if (tl + 1 > in_cap) in_buf = ft_xrealloc(in_buf, in_cap = tl + 1);
        memcpy(in_buf, ps->prefix, pl);
        memcpy(in_buf + pl, v->str.s, v->str.len);
        in_buf[tl] = 0;
        const char *err;
        if (ft_tok_encode(tok, ps->scratch, in_buf, tl, NULL, 0, &ps->topts, &ps->enc, &err))
            ft_reader_die(r, "%s", err);
        p->n = (int)ps->enc.n;
        p->ids = ft_xmalloc((p->n + 1) * sizeof *p->ids);
        memcpy(p->ids, ps->enc.ids, ps->enc.n * sizeof *p->ids);
    } else ft_reader_die(r, "no input_ids and no \"%s\" column (--text-column)", ps->textcol);
    for (int i = 0; i < p->n; i++)
        if (p->ids[i] < 0 || (ps->vocab && p->ids[i] >= ps->vocab))
            ft_reader_die(r, "token id %d outside the vocabulary of %ld", p->ids[i], ps->vocab);
}

/* The batches of r, generated and written to w in input order.  Several
   ranks: each generates every N-th batch (whole batches, so each prompt is
   padded with the same neighbours as in one process, and sampling keys come
   from the input row). */
static void generate_all(ft_model *m, const flags *f, prompt_src *ps, ft_reader *r, ft_distout *w)
{
    int nranks = ft_dist_size(), rank = ft_dist_rank(), nb = 0;
    long nbatch = 0, row = 0, first = 0;
    ft_record rec = {0};
    prompt *batch = ft_xcalloc(f->bs, sizeof *batch);
    /* the bar's ETA comes from the share of the input file read (none from a pipe) */
    ft_progress *bar = ft_progress_new("records", 0, 0, f->quiet || rank);
    while (ft_reader_next(r, &rec)) {
        read_prompt(ps, r, &rec, row, &batch[nb]);
        row++;
        if (++nb == f->bs) {
            if (nbatch++ % nranks == rank) flush(m, batch, nb, &f->o, first, w);
            else for (int i = 0; i < nb; i++) free(batch[i].ids);
            first = row;
            nb = 0;
            ft_progress_update(bar, (double)row, ft_reader_fraction(r), NULL);
        }
    }
    if (nbatch % nranks == rank) flush(m, batch, nb, &f->o, first, w);
    else for (int i = 0; i < nb; i++) free(batch[i].ids);
    ft_progress_end(bar);
    ft_record_free(&rec);
    free(batch);
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_dist_init(&argc, &argv);         /* one rank of several under mpirun */
    flags f;
    int first = parse_flags(&f, argc, argv);
    if (!f.model) ft_die("--model DIR is required (see --help)");
    if (first + 1 < argc) ft_die("one input file at most");
    const char *in = first < argc ? argv[first] : "-";

    char *dir = ft_resolve_model_dir(f.model);
    ft_model *m = ft_model_load(dir, ft_generate_task(dir), 0, 42);
    const char *mt = ft_config_str(m->cfg, "model_type", m->arch);
    ft_gen_opts_from_model(&f.o, m);
    ft_gen_check(m, &f.o);
    if (f.adapter) {
        if (!ft_lora_supported(m)) ft_die("--adapter: not supported for %s models yet", mt);
        ft_lora_load(m, f.adapter);
    }
    int maxlen = f.maxlen >= 0 ? f.maxlen : m->task == FT_TASK_SEQ2SEQ ? 512 : 0;
    char *terr = NULL;
    tok = ft_tok_load(dir, &terr);          /* NULL: the model has no tokenizer files */
    free(terr);
    prompt_src ps = { .scratch = tok ? ft_tok_scratch_new() : NULL, .dir = dir, .textcol = f.textcol,
                      .prefix = f.prefix, .vocab = ft_config_int(m->cfg, "vocab_size", 0),
                      .topts = { .add_special_tokens = 1, .max_length = maxlen,
                                 .truncation = maxlen ? FT_TRUNC_LONGEST_FIRST : FT_TRUNC_NONE } };

    ft_reader *r = ft_reader_open(in, FT_FMT_AUTO);
    ft_check_tokenizer(ft_reader_header(r), in, dir, f.allow_tok);
    int zstd = 0;
    ft_format of = f.fmt ? ft_format_parse(f.fmt)
                 : !strcmp(f.outp, "-") ? FT_FMT_JSONL : ft_format_from_name(f.outp, &zstd);
    json_t *h = ft_header_new("records", argc, argv);
    json_object_set_new(h, "model", json_string(dir));
    ft_writer *ow = ft_dist_rank() == 0 ? ft_writer_open(f.outp, of, zstd, h) : NULL;   /* rank 0 alone writes */
    if (!ow) json_decref(h);
    ft_distout *w = ft_distout_new(ow);
    generate_all(m, &f, &ps, r, w);
    ft_distout_close(w);
    if (ow) ft_writer_close(ow);
    ft_reader_close(r);
    ft_model_free(m);
    free(dir);
    if (tok) { ft_tok_scratch_free(ps.scratch); ft_encoding_free(&ps.enc); ft_tok_free(tok); }
    free(text_buf);
    free(in_buf);
    ft_dist_finalize();
    return 0;
}
