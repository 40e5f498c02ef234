/* ft-generate: generate text with a causal LM or an encoder-decoder model
   (HF's model.generate(); lib/run/generate.h picks the path from config.json). */
#include "checkpoint.h"
#include "dist.h"
#include "distout.h"
#include "generate.h"
#include "lora.h"
#include "model.h"
#include "ops.h"
#include "progress.h"
#include "stream.h"
#include "tokcheck.h"
#include "tokenizer.h"
#include "util.h"
#include <getopt.h>
#include <string.h>

static const char usage[] =
"usage: ft-generate --model DIR [options] [INPUT]\n"
"Generates for each record of INPUT (JSONL, CSV or an ft stream; default stdin)\n"
"with HF generate() semantics: a decoder-only model (GPT-2) continues the\n"
"prompt, an encoder-decoder model (T5, CodeT5; is_encoder_decoder in\n"
"config.json) writes a target for the input.  Writes one record per input:\n"
"id, generated_ids (the new tokens only, EOS included when reached) and\n"
"generated_text when the model has a tokenizer.  An input is a record's\n"
"input_ids, else its text column (after --prefix) tokenized.\n"
"  --model DIR               model directory (config.json + weights)\n"
"  --adapter DIR             apply a LoRA adapter (PEFT layout) unmerged (GPT-2)\n"
"  --max-new-tokens N (20)   --batch-size N (8 inputs decoded together)\n"
"  --num-beams N (1)  --length-penalty X (1.0)  --early-stopping   (beam search)\n"
"  --do-sample               sample instead of greedy (implied by the next three)\n"
"  --temperature X (1.0)  --top-k N (50)  --top-p X (1.0)  --seed N (42)\n"
"  --repetition-penalty X (1.0)  --no-repeat-ngram-size N (0)\n"
"  --eos-token-id N (config's; -1 = none)\n"
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

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_dist_init(&argc, &argv);         /* one rank of several under mpirun */
    enum { O_MODEL = 256, O_ADAPTER, O_MAXNEW, O_BS, O_BEAMS, O_LP, O_ES, O_NR, O_SAMPLE, O_TEMP,
           O_TOPK, O_TOPP, O_SEED, O_REP, O_EOS, O_TEXTCOL, O_PREFIX, O_MAXLEN, O_FORMAT, O_THREADS, O_QUIET,
           O_ALLOW_TOK, O_BF16 };
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"adapter", 1, 0, O_ADAPTER}, {"max-new-tokens", 1, 0, O_MAXNEW},
        {"batch-size", 1, 0, O_BS}, {"num-beams", 1, 0, O_BEAMS}, {"length-penalty", 1, 0, O_LP},
        {"early-stopping", 0, 0, O_ES}, {"no-repeat-ngram-size", 1, 0, O_NR},
        {"do-sample", 0, 0, O_SAMPLE}, {"temperature", 1, 0, O_TEMP},
        {"top-k", 1, 0, O_TOPK}, {"top-p", 1, 0, O_TOPP}, {"seed", 1, 0, O_SEED},
        {"repetition-penalty", 1, 0, O_REP}, {"eos-token-id", 1, 0, O_EOS},
        {"text-column", 1, 0, O_TEXTCOL}, {"prefix", 1, 0, O_PREFIX}, {"max-length", 1, 0, O_MAXLEN},
        {"format", 1, 0, O_FORMAT}, {"threads", 1, 0, O_THREADS}, {"bf16", 0, 0, O_BF16}, {"quiet", 0, 0, O_QUIET},
        {"allow-tokenizer-mismatch", 0, 0, O_ALLOW_TOK}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *adapter = NULL, *outp = "-", *textcol = "text", *fmt = NULL, *prefix = "";
    int bs = 8, c, maxlen = -1, quiet = 0, allow_tok = 0;
    ft_gen_opts o;                          /* the one set of generation defaults */
    ft_gen_opts_default(&o, NULL);
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_ADAPTER: adapter = optarg; break;
        case O_MAXNEW: o.max_new_tokens = (int)ft_parse_long("--max-new-tokens", optarg, 0, 1 << 20); break;
        case O_BS: bs = (int)ft_parse_long("--batch-size", optarg, 1, 1 << 16); break;
        case O_BEAMS: o.num_beams = (int)ft_parse_long("--num-beams", optarg, 1, 1024); break;
        case O_LP: o.length_penalty = (float)ft_parse_double("--length-penalty", optarg, -100, 100); break;
        case O_ES: o.early_stopping = 1; break;
        case O_NR: o.s.no_repeat_ngram_size = (int)ft_parse_long("--no-repeat-ngram-size", optarg, 0, 1 << 20); break;
        case O_SAMPLE: o.s.do_sample = 1; break;
        case O_TEMP: o.s.temperature = (float)ft_parse_double("--temperature", optarg, 1e-6, 1e6); o.s.do_sample = 1; break;
        case O_TOPK: o.s.top_k = (int)ft_parse_long("--top-k", optarg, 0, 1 << 30); o.s.do_sample = 1; break;
        case O_TOPP: o.s.top_p = (float)ft_parse_double("--top-p", optarg, 0, 1); o.s.do_sample = 1; break;
        case O_SEED: o.s.seed = (uint64_t)ft_parse_long("--seed", optarg, 0, __LONG_MAX__); break;
        case O_REP: o.s.repetition_penalty = (float)ft_parse_double("--repetition-penalty", optarg, 1e-6, 1e6); break;
        case O_EOS: o.eos_token_id = (int)ft_parse_long("--eos-token-id", optarg, -1, 1 << 30); break;
        case O_TEXTCOL: textcol = optarg; break;
        case O_PREFIX: prefix = optarg; break;
        case O_MAXLEN: maxlen = (int)ft_parse_long("--max-length", optarg, 1, 1 << 20); break;
        case O_FORMAT: fmt = optarg; break;
        case O_THREADS: ft_set_threads((int)ft_parse_long("--threads", optarg, 1, 1024)); break;
        case O_BF16: ft_set_precision(FT_PREC_BF16); break;
        case O_QUIET: quiet = 1; break;
        case O_ALLOW_TOK: allow_tok = 1; break;
        case 'o': outp = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!model) ft_die("--model DIR is required (see --help)");
    if (optind + 1 < argc) ft_die("one input file at most");
    const char *in = optind < argc ? argv[optind] : "-";

    char *dir = ft_resolve_model_dir(model);
    ft_model *m = ft_model_load(dir, ft_generate_task(dir), 0, 42);
    const char *mt = ft_config_str(m->cfg, "model_type", m->arch);
    ft_gen_opts_config_ids(&o, m);
    ft_gen_check(m, &o);
    if (adapter) {
        if (!m->vt->linear_kind) ft_die("--adapter: not supported for %s models yet", mt);
        ft_lora_load(m, adapter);
    }
    if (maxlen < 0) maxlen = m->task == FT_TASK_SEQ2SEQ ? 512 : 0;
    char *terr = NULL;
    tok = ft_tok_load(dir, &terr);          /* NULL: the model has no tokenizer files */
    free(terr);
    ft_tok_scratch *scratch = tok ? ft_tok_scratch_new() : NULL;
    ft_tok_opts topts = { .add_special_tokens = 1, .max_length = maxlen,
                          .truncation = maxlen ? FT_TRUNC_LONGEST_FIRST : FT_TRUNC_NONE };
    ft_encoding enc = {0};
    long vocab = ft_config_int(m->cfg, "vocab_size", 0);
    size_t pl = strlen(prefix);

    ft_reader *r = ft_reader_open(in, FT_FMT_AUTO);
    ft_check_tokenizer(ft_reader_header(r), in, dir, allow_tok);
    int zstd = 0;
    ft_format of = fmt ? ft_format_parse(fmt)
                 : !strcmp(outp, "-") ? FT_FMT_JSONL : ft_format_from_name(outp, &zstd);
    json_t *h = ft_header_new("records", argc, argv);
    json_object_set_new(h, "model", json_string(dir));
    /* several ranks: each generates every N-th batch (whole batches, so each
       prompt is padded with the same neighbours as in one process, and
       sampling keys come from the input row); rank 0 alone writes */
    int nranks = ft_dist_size(), rank = ft_dist_rank();
    ft_writer *ow = rank == 0 ? ft_writer_open(outp, of, zstd, h) : NULL;
    if (!ow) json_decref(h);
    ft_distout *w = ft_distout_new(ow);
    long nbatch = 0;
    ft_record rec = {0};
    prompt *batch = ft_xcalloc(bs, sizeof *batch);
    int nb = 0;
    long row = 0, first = 0;
    /* the bar's ETA comes from the share of the input file read (none from a pipe) */
    ft_progress *bar = ft_progress_new("records", 0, 0, quiet || rank);
    while (ft_reader_next(r, &rec)) {
        prompt *p = &batch[nb];
        const ft_value *id = ft_record_get(&rec, "id");
        p->id = id && id->type == FT_V_INT ? id->i : row;
        const ft_value *v = ft_record_get(&rec, "input_ids");
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
        } else if ((v = ft_record_get(&rec, textcol)) && v->type == FT_V_STR) {
            if (!tok) ft_reader_die(r, "a text input, but %s has no tokenizer files; give input_ids", dir);
            size_t tl = pl + v->str.len;
            if (tl + 1 > in_cap) in_buf = ft_xrealloc(in_buf, in_cap = tl + 1);
            memcpy(in_buf, prefix, pl);
            memcpy(in_buf + pl, v->str.s, v->str.len);
            in_buf[tl] = 0;
            const char *err;
            if (ft_tok_encode(tok, scratch, in_buf, tl, NULL, 0, &topts, &enc, &err))
                ft_reader_die(r, "%s", err);
            p->n = (int)enc.n;
            p->ids = ft_xmalloc((p->n + 1) * sizeof *p->ids);
            memcpy(p->ids, enc.ids, enc.n * sizeof *p->ids);
        } else ft_reader_die(r, "no input_ids and no \"%s\" column (--text-column)", textcol);
        for (int i = 0; i < p->n; i++)
            if (p->ids[i] < 0 || (vocab && p->ids[i] >= vocab))
                ft_reader_die(r, "token id %d outside the vocabulary of %ld", p->ids[i], vocab);
        row++;
        if (++nb == bs) {
            if (nbatch++ % nranks == rank) flush(m, batch, nb, &o, first, w);
            else for (int i = 0; i < nb; i++) free(batch[i].ids);
            first = row;
            nb = 0;
            ft_progress_update(bar, (double)row, ft_reader_fraction(r), NULL);
        }
    }
    if (nbatch % nranks == rank) flush(m, batch, nb, &o, first, w);
    else for (int i = 0; i < nb; i++) free(batch[i].ids);
    ft_progress_end(bar);
    ft_distout_close(w);
    if (ow) ft_writer_close(ow);
    ft_reader_close(r);
    ft_record_free(&rec);
    free(batch);
    ft_model_free(m);
    free(dir);
    if (tok) { ft_tok_scratch_free(scratch); ft_encoding_free(&enc); ft_tok_free(tok); }
    free(text_buf);
    free(in_buf);
    ft_dist_finalize();
    return 0;
}
