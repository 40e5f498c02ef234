/* ft-generate-s2s: generation with an encoder-decoder model (T5 / CodeT5).
   Temporary home of the seq2seq path until ft-generate (the GPT-2 branch's
   tool) reaches main and takes a seq2seq branch; same output records. */
#include "generate_s2s.h"
#include "checkpoint.h"
#include "model.h"
#include "stream.h"
#include "tokenizer.h"
#include "util.h"
#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
"usage: ft-generate-s2s --model DIR [options] [INPUT]\n"
"Generates a target for each record of INPUT (default stdin) with a T5 model\n"
"and writes one record per input: id, generated_ids (no decoder start token;\n"
"eos included when reached) and generated_text (special tokens skipped) when\n"
"the model directory has a tokenizer.  A record's input is its input_ids\n"
"(ft-tokenize output), else its text column tokenized with the model's\n"
"tokenizer.  HF generate() semantics.\n"
"  --model DIR               model directory (config.json + model.safetensors)\n"
"  --max-new-tokens N (20)   --batch-size N (8 inputs decoded together)\n"
"  --num-beams N (1)  --length-penalty X (1.0)  --early-stopping\n"
"  --no-repeat-ngram-size N (0)\n"
"  --do-sample  --temperature X (1.0)  --top-k N (50)  --top-p X (1.0)  --seed N (42)\n"
"  --text-column NAME (text)  --prefix TEXT  --max-length N (512; inputs truncated)\n"
"  -o FILE (default stdout)  --format jsonl|ft (jsonl on stdout)  --threads N\n"
"  -h, --help\n";

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_MODEL = 256, O_MAXNEW, O_BS, O_BEAMS, O_LP, O_ES, O_NR, O_SAMPLE, O_TEMP, O_TOPK, O_TOPP,
           O_SEED, O_FORMAT, O_THREADS, O_TEXTCOL, O_PREFIX, O_MAXLEN };
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"max-new-tokens", 1, 0, O_MAXNEW}, {"batch-size", 1, 0, O_BS},
        {"num-beams", 1, 0, O_BEAMS}, {"length-penalty", 1, 0, O_LP}, {"early-stopping", 0, 0, O_ES},
        {"no-repeat-ngram-size", 1, 0, O_NR}, {"do-sample", 0, 0, O_SAMPLE}, {"temperature", 1, 0, O_TEMP},
        {"top-k", 1, 0, O_TOPK}, {"top-p", 1, 0, O_TOPP}, {"seed", 1, 0, O_SEED},
        {"format", 1, 0, O_FORMAT}, {"text-column", 1, 0, O_TEXTCOL}, {"prefix", 1, 0, O_PREFIX},
        {"max-length", 1, 0, O_MAXLEN}, {"threads", 1, 0, O_THREADS}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *outp = "-", *fmt = NULL, *textcol = "text", *prefix = "";
    int bs = 8, c, maxlen = 512;
    ft_s2s_opts o;
    ft_s2s_opts_default(&o);
    o.seed = 42;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_MAXNEW: o.max_new_tokens = (int)ft_parse_long("--max-new-tokens", optarg, 1, 1 << 20); break;
        case O_BS: bs = (int)ft_parse_long("--batch-size", optarg, 1, 1 << 16); break;
        case O_BEAMS: o.num_beams = (int)ft_parse_long("--num-beams", optarg, 1, 1024); break;
        case O_LP: o.length_penalty = (float)ft_parse_double("--length-penalty", optarg, -100, 100); break;
        case O_ES: o.early_stopping = 1; break;
        case O_NR: o.no_repeat_ngram_size = (int)ft_parse_long("--no-repeat-ngram-size", optarg, 0, 1 << 20); break;
        case O_SAMPLE: o.do_sample = 1; break;
        case O_TEMP: o.temperature = (float)ft_parse_double("--temperature", optarg, 1e-6, 1e6); o.do_sample = 1; break;
        case O_TOPK: o.top_k = (int)ft_parse_long("--top-k", optarg, 0, 1 << 30); o.do_sample = 1; break;
        case O_TOPP: o.top_p = (float)ft_parse_double("--top-p", optarg, 0, 1); o.do_sample = 1; break;
        case O_SEED: o.seed = (uint64_t)ft_parse_long("--seed", optarg, 0, __LONG_MAX__); break;
        case O_FORMAT: fmt = optarg; break;
        case O_TEXTCOL: textcol = optarg; break;
        case O_PREFIX: prefix = optarg; break;
        case O_MAXLEN: maxlen = (int)ft_parse_long("--max-length", optarg, 1, 1 << 20); break;
        case 'o': outp = optarg; break;
        case O_THREADS: omp_set_num_threads((int)ft_parse_long("--threads", optarg, 1, 1024)); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!model) ft_die("--model DIR is required (see --help)");
    if (optind + 1 < argc) ft_die("one input file at most (got %d)", argc - optind);
    const char *in = optind < argc ? argv[optind] : "-";
    ft_format f = FT_FMT_AUTO;
    if (fmt && !strcmp(fmt, "ft")) f = FT_FMT_FT;
    else if (fmt && !strcmp(fmt, "jsonl")) f = FT_FMT_JSONL;
    else if (fmt) ft_die("--format: '%s' is not jsonl or ft", fmt);
    if (f == FT_FMT_AUTO && !strcmp(outp, "-")) f = FT_FMT_JSONL;

    char *dir = ft_resolve_model_dir(model);
    ft_model *m = ft_model_load(dir, "seq2seq", 0, 0);
    int pad = (int)ft_config_int(m->cfg, "pad_token_id", 0);
    char *terr = NULL;
    ft_tokenizer *tok = ft_tok_load(dir, &terr);
    free(terr);
    ft_tok_scratch *scr = tok ? ft_tok_scratch_new() : NULL;
    ft_encoding enc = {0};
    ft_tok_opts to = { .add_special_tokens = 1, .max_length = maxlen, .truncation = FT_TRUNC_LONGEST_FIRST };

    /* every input as token ids */
    ft_reader *r = ft_reader_open(in, FT_FMT_AUTO);
    ft_record rec = {0};
    size_t n = 0, cap = 0;
    int64_t *rid = NULL;
    int32_t **rids = NULL;
    int *rlen = NULL;
    char *text = NULL;
    size_t textcap = 0;
    while (ft_reader_next(r, &rec)) {
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            rid = ft_xrealloc(rid, cap * sizeof *rid);
            rids = ft_xrealloc(rids, cap * sizeof *rids);
            rlen = ft_xrealloc(rlen, cap * sizeof *rlen);
        }
        const ft_value *v = ft_record_get(&rec, "id");
        rid[n] = v && v->type == FT_V_INT ? v->i : (int64_t)n;
        v = ft_record_get(&rec, "input_ids");
        if (v && v->type == FT_V_TENSOR && (v->t.dtype == FT_I32 || v->t.dtype == FT_I64)) {
            int len = (int)v->t.shape[v->t.ndim - 1];
            rids[n] = ft_xmalloc((len + 1) * sizeof **rids);
            for (int i = 0; i < len; i++)
                rids[n][i] = v->t.dtype == FT_I32 ? ((const int32_t *)v->t.data)[i] : (int32_t)((const int64_t *)v->t.data)[i];
            rlen[n] = len;
        } else if (v && v->type == FT_V_ARRAY) {
            int len = (int)v->arr.n;
            rids[n] = ft_xmalloc((len + 1) * sizeof **rids);
            for (int i = 0; i < len; i++) rids[n][i] = (int32_t)v->arr.items[i]->i;
            rlen[n] = len;
        } else {
            v = ft_record_get(&rec, textcol);
            if (!v || v->type != FT_V_STR)
                ft_reader_die(r, "no input_ids and no text column \"%s\" (--text-column)", textcol);
            if (!tok) ft_die("%s: no tokenizer files to tokenize text with (give token records)", dir);
            size_t pl = strlen(prefix), tl = pl + v->str.len;
            if (tl + 1 > textcap) text = ft_xrealloc(text, textcap = tl + 1);
            memcpy(text, prefix, pl);
            memcpy(text + pl, v->str.s, v->str.len);
            text[tl] = 0;
            const char *err;
            if (ft_tok_encode(tok, scr, text, tl, NULL, 0, &to, &enc, &err))
                ft_reader_die(r, "%s", err);
            rids[n] = ft_xmalloc((enc.n + 1) * sizeof **rids);
            memcpy(rids[n], enc.ids, enc.n * sizeof **rids);
            rlen[n] = (int)enc.n;
        }
        n++;
    }
    ft_reader_close(r);

    ft_writer *w = ft_writer_open(outp, f, 0, ft_header_new("predictions", argc, argv));
    char *dec = NULL;
    size_t deccap = 0;
    for (size_t s = 0; s < n; s += bs) {
        int B = (int)(n - s < (size_t)bs ? n - s : (size_t)bs), T = 1;
        for (int i = 0; i < B; i++) if (rlen[s + i] > T) T = rlen[s + i];
        int32_t *ids = ft_xmalloc((size_t)B * T * sizeof *ids), *mask = ft_xmalloc((size_t)B * T * sizeof *mask);
        for (int i = 0; i < B; i++)
            for (int t = 0; t < T; t++) {
                ids[i * T + t] = t < rlen[s + i] ? rids[s + i][t] : pad;
                mask[i * T + t] = t < rlen[s + i];
            }
        int32_t **out = ft_xcalloc(B, sizeof *out);
        int *lens = ft_xcalloc(B, sizeof *lens);
        ft_s2s_generate(m, ids, mask, B, T, &o, out, lens);
        for (int i = 0; i < B; i++) {
            ft_record_clear(&rec);
            ft_record_set_int(&rec, "id", rid[s + i]);
            int64_t shape[1] = { lens[i] };
            ft_record_set_tensor(&rec, "generated_ids", FT_I32, 1, shape, out[i]);
            if (tok) {
                size_t dl = ft_tok_decode(tok, out[i], lens[i], 1, &dec, &deccap);
                ft_record_set_str(&rec, "generated_text", dec, dl);
            }
            ft_writer_put(w, &rec);
            free(out[i]);
            free(rids[s + i]);
        }
        free(out); free(lens); free(ids); free(mask);
    }
    ft_writer_close(w);
    ft_record_free(&rec);
    ft_model_free(m);
    if (tok) { ft_tok_scratch_free(scr); ft_tok_free(tok); }
    ft_encoding_free(&enc);
    free(rid); free(rids); free(rlen); free(text); free(dec); free(dir);
    return 0;
}
