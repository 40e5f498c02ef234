/* ft-generate: generate text with a causal LM (HF's model.generate()). */
#include "checkpoint.h"
#include "generate.h"
#include "lora.h"
#include "model.h"
#include "stream.h"
#include "tokenizer.h"
#include "util.h"
#include <getopt.h>
#include <omp.h>
#include <string.h>

static const char usage[] =
"usage: ft-generate --model DIR [options] [PROMPTS]\n"
"Continues each prompt record of PROMPTS (JSONL, CSV or an ft stream; default\n"
"stdin) and writes one record per prompt: id, generated_ids (the new tokens\n"
"only, EOS included when reached) and generated_text when the model has a\n"
"tokenizer.  A prompt is a record's input_ids, else its text column.\n"
"  --model DIR               model directory (config.json + weights)\n"
"  --adapter DIR             apply a LoRA adapter (PEFT layout) unmerged\n"
"  --max-new-tokens N (20)   --batch-size N (8: prompts decoded together, left padded)\n"
"  --do-sample               sample instead of greedy (implied by the next three)\n"
"  --temperature X (1.0)  --top-k N (50)  --top-p X (1.0)  --seed N (42)\n"
"  --repetition-penalty X (1.0)   --eos-token-id N (config's)\n"
"  --text-column NAME (text)  -o FILE (default stdout)  --format jsonl|ft (jsonl on stdout)\n"
"  --threads N  -h, --help\n";

typedef struct { int64_t id; int32_t *ids; int n; } prompt;

static ft_tokenizer *tok;
static char *text_buf;
static size_t text_cap;

static void flush(ft_model *m, prompt *p, int n, const ft_gen_opts *o, long first, ft_writer *w)
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
        ft_writer_put(w, &rec);
        free(out[i]);
        free(p[i].ids);
    }
    ft_record_free(&rec);
    free(pp); free(lens); free(olen); free(out);
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_MODEL = 256, O_ADAPTER, O_MAXNEW, O_BS, O_SAMPLE, O_TEMP, O_TOPK, O_TOPP, O_SEED,
           O_REP, O_EOS, O_TEXTCOL, O_FORMAT, O_THREADS };
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"adapter", 1, 0, O_ADAPTER}, {"max-new-tokens", 1, 0, O_MAXNEW},
        {"batch-size", 1, 0, O_BS}, {"do-sample", 0, 0, O_SAMPLE}, {"temperature", 1, 0, O_TEMP},
        {"top-k", 1, 0, O_TOPK}, {"top-p", 1, 0, O_TOPP}, {"seed", 1, 0, O_SEED},
        {"repetition-penalty", 1, 0, O_REP}, {"eos-token-id", 1, 0, O_EOS},
        {"text-column", 1, 0, O_TEXTCOL}, {"format", 1, 0, O_FORMAT}, {"threads", 1, 0, O_THREADS},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *adapter = NULL, *outp = "-", *textcol = "text", *fmt = NULL;
    int bs = 8, c, maxnew = 20, sample = 0, topk = 50, eos = -2;
    double temp = 1.0, topp = 1.0, rep = 1.0;
    long seed = 42;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_ADAPTER: adapter = optarg; break;
        case O_MAXNEW: maxnew = (int)ft_parse_long("--max-new-tokens", optarg, 0, 1 << 20); break;
        case O_BS: bs = (int)ft_parse_long("--batch-size", optarg, 1, 1 << 16); break;
        case O_SAMPLE: sample = 1; break;
        case O_TEMP: temp = ft_parse_double("--temperature", optarg, 1e-6, 1e6); sample = 1; break;
        case O_TOPK: topk = (int)ft_parse_long("--top-k", optarg, 0, 1 << 30); sample = 1; break;
        case O_TOPP: topp = ft_parse_double("--top-p", optarg, 0, 1); sample = 1; break;
        case O_SEED: seed = ft_parse_long("--seed", optarg, 0, __LONG_MAX__); break;
        case O_REP: rep = ft_parse_double("--repetition-penalty", optarg, 1e-6, 1e6); break;
        case O_EOS: eos = (int)ft_parse_long("--eos-token-id", optarg, -1, 1 << 30); break;
        case O_TEXTCOL: textcol = optarg; break;
        case O_FORMAT: fmt = optarg; break;
        case O_THREADS: omp_set_num_threads((int)ft_parse_long("--threads", optarg, 1, 1024)); break;
        case 'o': outp = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!model) ft_die("--model DIR is required (see --help)");
    if (optind + 1 < argc) ft_die("one prompt file at most");
    const char *in = optind < argc ? argv[optind] : "-";

    char *dir = ft_resolve_model_dir(model);
    ft_model *m = ft_model_load(dir, "causal-lm", 0, 42);
    if (adapter) ft_lora_load(m, adapter);
    char *terr = NULL;
    tok = ft_tok_load(dir, &terr);          /* NULL: the model has no tokenizer files */
    free(terr);
    ft_tok_scratch *scratch = tok ? ft_tok_scratch_new() : NULL;
    ft_tok_opts topts = { .add_special_tokens = 1 };
    ft_encoding enc = {0};
    ft_gen_opts o;
    ft_gen_opts_default(&o, m);
    o.max_new_tokens = maxnew;
    if (eos != -2) o.eos_token_id = eos;
    o.s.do_sample = sample;
    o.s.temperature = (float)temp;
    o.s.top_k = topk;
    o.s.top_p = (float)topp;
    o.s.repetition_penalty = (float)rep;
    o.s.seed = (uint64_t)seed;
    long vocab = ft_config_int(m->cfg, "vocab_size", 0);

    ft_reader *r = ft_reader_open(in, FT_FMT_AUTO);
    int zstd = 0;
    ft_format of = fmt ? ft_format_parse(fmt)
                 : !strcmp(outp, "-") ? FT_FMT_JSONL : ft_format_from_name(outp, &zstd);
    json_t *h = ft_header_new("records", argc, argv);
    json_object_set_new(h, "model", json_string(dir));
    ft_writer *w = ft_writer_open(outp, of, zstd, h);
    ft_record rec = {0};
    prompt *batch = ft_xcalloc(bs, sizeof *batch);
    int nb = 0;
    long row = 0, first = 0;
    while (ft_reader_next(r, &rec)) {
        prompt *p = &batch[nb];
        const ft_value *id = ft_record_get(&rec, "id");
        p->id = id && id->type == FT_V_INT ? id->i : row;
        const ft_value *v = ft_record_get(&rec, "input_ids");
        if (v && v->type == FT_V_TENSOR) {
            p->n = (int)ft_tensor_numel(&v->t);
            p->ids = ft_xmalloc((p->n + 1) * sizeof *p->ids);
            for (int i = 0; i < p->n; i++) p->ids[i] = (int32_t)ft_tensor_get(&v->t, i);
        } else if (v && v->type == FT_V_ARRAY && v->arr.n == 0) {
            p->n = 0;
            p->ids = ft_xmalloc(sizeof *p->ids);
        } else if ((v = ft_record_get(&rec, textcol)) && v->type == FT_V_STR) {
            if (!tok) ft_reader_die(r, "a text prompt, but %s has no tokenizer files; give input_ids", dir);
            const char *err;
            if (ft_tok_encode(tok, scratch, v->str.s, v->str.len, NULL, 0, &topts, &enc, &err))
                ft_reader_die(r, "%s", err);
            p->n = (int)enc.n;
            p->ids = ft_xmalloc((p->n + 1) * sizeof *p->ids);
            memcpy(p->ids, enc.ids, enc.n * sizeof *p->ids);
        } else ft_reader_die(r, "no input_ids and no \"%s\" column", textcol);
        for (int i = 0; i < p->n; i++)
            if (p->ids[i] < 0 || (vocab && p->ids[i] >= vocab))
                ft_reader_die(r, "token id %d outside the vocabulary of %ld", p->ids[i], vocab);
        row++;
        if (++nb == bs) { flush(m, batch, nb, &o, first, w); first = row; nb = 0; }
    }
    flush(m, batch, nb, &o, first, w);
    ft_writer_close(w);
    ft_reader_close(r);
    ft_record_free(&rec);
    free(batch);
    ft_model_free(m);
    free(dir);
    if (tok) { ft_tok_scratch_free(scratch); ft_encoding_free(&enc); ft_tok_free(tok); }
    free(text_buf);
    return 0;
}
