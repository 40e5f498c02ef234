/* ft-generate-s2s: generation with an encoder-decoder model (T5 / CodeT5).
   Temporary home of the seq2seq path until ft-generate (the GPT-2 branch's
   tool) reaches main and takes a seq2seq branch; same output records. */
#include "dataset.h"
#include "generate_s2s.h"
#include "model.h"
#include "stream.h"
#include "util.h"
#include <getopt.h>
#include <omp.h>
#include <string.h>

static const char usage[] =
"usage: ft-generate-s2s --model DIR [options] [TOKENS]\n"
"Generates a target for each token record of TOKENS (ft-tokenize output or\n"
"JSONL with input_ids; default stdin) with a T5 model and writes one record\n"
"per input: id, generated_ids (no decoder start token; eos included when\n"
"reached).  HF generate() semantics.\n"
"  --model DIR               model directory (config.json + model.safetensors)\n"
"  --max-new-tokens N (20)   --batch-size N (8 inputs decoded together)\n"
"  --num-beams N (1)  --length-penalty X (1.0)  --early-stopping\n"
"  --no-repeat-ngram-size N (0)\n"
"  --do-sample  --temperature X (1.0)  --top-k N (50)  --top-p X (1.0)  --seed N (42)\n"
"  -o FILE (default stdout)  --format jsonl|ft (jsonl on stdout)  --threads N\n"
"  -h, --help\n";

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_MODEL = 256, O_MAXNEW, O_BS, O_BEAMS, O_LP, O_ES, O_NR, O_SAMPLE, O_TEMP, O_TOPK, O_TOPP,
           O_SEED, O_FORMAT, O_THREADS };
    static const struct option opts[] = {
        {"model", 1, 0, O_MODEL}, {"max-new-tokens", 1, 0, O_MAXNEW}, {"batch-size", 1, 0, O_BS},
        {"num-beams", 1, 0, O_BEAMS}, {"length-penalty", 1, 0, O_LP}, {"early-stopping", 0, 0, O_ES},
        {"no-repeat-ngram-size", 1, 0, O_NR}, {"do-sample", 0, 0, O_SAMPLE}, {"temperature", 1, 0, O_TEMP},
        {"top-k", 1, 0, O_TOPK}, {"top-p", 1, 0, O_TOPP}, {"seed", 1, 0, O_SEED},
        {"format", 1, 0, O_FORMAT}, {"threads", 1, 0, O_THREADS}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *outp = "-", *fmt = NULL;
    int bs = 8, c;
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

    ft_dataset *ds = ft_dataset_load(in);
    ft_model *m = ft_model_load(model, "seq2seq", 0, 0);
    int pad = (int)ft_config_int(m->cfg, "pad_token_id", 0);
    ft_writer *w = ft_writer_open(outp, f, 0, ft_header_new("predictions", argc, argv));
    ft_record rec = {0};
    for (size_t s = 0; s < ds->n; s += bs) {
        int B = (int)(ds->n - s < (size_t)bs ? ds->n - s : (size_t)bs), T = 1;
        for (int i = 0; i < B; i++) if (ds->ex[s + i].len > T) T = ds->ex[s + i].len;
        int32_t *ids = ft_xmalloc((size_t)B * T * sizeof *ids), *mask = ft_xmalloc((size_t)B * T * sizeof *mask);
        for (int i = 0; i < B; i++) {
            const ft_example *e = &ds->ex[s + i];
            for (int t = 0; t < T; t++) {
                ids[i * T + t] = t < e->len ? ds->ids[e->tok + t] : pad;
                mask[i * T + t] = t < e->len ? ds->mask[e->tok + t] : 0;
            }
        }
        int32_t **out = ft_xcalloc(B, sizeof *out);
        int *lens = ft_xcalloc(B, sizeof *lens);
        ft_s2s_generate(m, ids, mask, B, T, &o, out, lens);
        for (int i = 0; i < B; i++) {
            ft_record_clear(&rec);
            ft_record_set_int(&rec, "id", ds->ex[s + i].id);
            int64_t shape[1] = { lens[i] };
            ft_record_set_tensor(&rec, "generated_ids", FT_I32, 1, shape, out[i]);
            ft_writer_put(w, &rec);
            free(out[i]);
        }
        free(out); free(lens); free(ids); free(mask);
    }
    ft_writer_close(w);
    ft_record_free(&rec);
    ft_model_free(m);
    ft_dataset_free(ds);
    return 0;
}
