/* ft-tokenize: records (CSV, JSONL, ft stream) -> token records, exactly as
   Hugging Face's tokenizers would make them; or, with --decode, back.  The
   work is lib/tok/tokenize.c (and lib/tok/tokcache.c for --cache-dir); this file is
   the flags. */
#include "tokcache.h"
#include "tokenize.h"
#include "util.h"
#include <getopt.h>
#include <string.h>

static const char usage[] =
"usage: ft-tokenize --model DIR [options] [FILE...]\n"
"Tokenizes the text column of each record (CSV, TSV, JSONL or ft stream) with\n"
"the model's tokenizer (tokenizer.json, else vocab.txt, else vocab.json +\n"
"merges.txt, else spiece.model) and writes token records: input_ids, attention_mask,\n"
"token_type_ids (models that take them), labels, task.  Ids, special tokens,\n"
"truncation and padding equal Hugging Face tokenizers'.  FILE defaults to stdin.\n"
"  -m, --model DIR            model directory holding the tokenizer files\n"
"      --text-column NAME     column to tokenize (default text)\n"
"      --text-pair-column NAME  second text of a pair ([CLS] a [SEP] b [SEP])\n"
"      --label-column NAME    integer class label, or a name mapped by --labels\n"
"                             (default label, when the input has it)\n"
"      --labels FILE          label names, one a line; line N (from 0) is id N\n"
"      --target-column NAME   seq2seq target text, tokenized into labels\n"
"      --max-target-length N  truncate targets to N tokens (default --max-length)\n"
"      --prefix TEXT          put TEXT before every text (e.g. \"summarize: \")\n"
"      --task NAME            add task NAME to every record\n"
"      --task-column NAME     take each record's task from column NAME\n"
"      --max-length N         truncate to N tokens, special tokens included\n"
"      --truncation S         longest_first (default with --max-length),\n"
"                             only_first, only_second, none; without\n"
"                             --max-length: the model's model_max_length\n"
"      --padding P            none (default), max_length (to --max-length;\n"
"                             target pads are -100), longest (to the longest\n"
"                             of each 1000 records, as datasets.map(batched=True))\n"
"      --add-special-tokens   add [CLS]/[SEP], <s>/</s>, ... (default)\n"
"      --no-add-special-tokens\n"
"      --errors MODE          invalid UTF-8 is an error (strict, default) or\n"
"                             becomes U+FFFD as Python's errors=\"replace\" (replace)\n"
"  -j, --threads N            tokenizing threads (default: all CPUs); order kept\n"
"      --cache-dir DIR        keep the output as shards in DIR, keyed by the\n"
"                             tokenizer files, options and input bytes; a rerun\n"
"                             reads them back without tokenizing\n"
"      --shard-size N         records per cached shard (default 100000)\n"
"      --block-size N         language-model chunks: concatenate each 1000 records'\n"
"                             ids and cut them into N-token blocks (labels = input_ids;\n"
"                             the remainder is dropped), as HF's group_texts in\n"
"                             run_clm and run_mlm (ft-train --task masked-lm masks them,\n"
"                             --task span-corruption corrupts spans as run_t5_mlm_flax)\n"
"      --decode               turn input_ids (and sequence labels) back into text\n"
"      --skip-special-tokens  with --decode: leave special tokens out\n"
"  -o, --output FILE          write FILE (.ft, .ftz, .jsonl, .csv) instead of stdout\n"
"  -z, --zstd                 compress the output\n"
"  -h, --help                 show this help\n";

static void to_writer(void *w, const ft_record *rec) { ft_writer_put(w, rec); }

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_TEXT = 256, O_PAIR, O_LABEL, O_LABELS, O_TARGET, O_MTL, O_PREFIX, O_TASK, O_TASKCOL,
           O_MAXLEN, O_TRUNC, O_PAD, O_SPECIAL, O_NOSPECIAL, O_ERRORS, O_CACHE, O_SHARD, O_DECODE, O_SKIP,
           O_BLOCK };
    static const struct option lo[] = {
        {"model", required_argument, 0, 'm'}, {"text-column", required_argument, 0, O_TEXT},
        {"text-pair-column", required_argument, 0, O_PAIR}, {"label-column", required_argument, 0, O_LABEL},
        {"labels", required_argument, 0, O_LABELS}, {"target-column", required_argument, 0, O_TARGET},
        {"max-target-length", required_argument, 0, O_MTL}, {"prefix", required_argument, 0, O_PREFIX},
        {"task", required_argument, 0, O_TASK}, {"task-column", required_argument, 0, O_TASKCOL},
        {"max-length", required_argument, 0, O_MAXLEN}, {"truncation", required_argument, 0, O_TRUNC},
        {"padding", required_argument, 0, O_PAD}, {"add-special-tokens", no_argument, 0, O_SPECIAL},
        {"no-add-special-tokens", no_argument, 0, O_NOSPECIAL}, {"errors", required_argument, 0, O_ERRORS},
        {"threads", required_argument, 0, 'j'}, {"cache-dir", required_argument, 0, O_CACHE},
        {"shard-size", required_argument, 0, O_SHARD}, {"decode", no_argument, 0, O_DECODE},
        {"skip-special-tokens", no_argument, 0, O_SKIP}, {"block-size", required_argument, 0, O_BLOCK}, {"output", required_argument, 0, 'o'},
        {"zstd", no_argument, 0, 'z'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    ft_tokenize_opts o;
    ft_tokenize_opts_init(&o);
    const char *model = NULL, *cache_dir = NULL, *out = NULL;
    long shard_size = 100000;
    int trunc_given = 0, decode = 0, skip_special = 0, zstd = 0, c;
    while ((c = getopt_long(argc, argv, "m:j:o:zh", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case O_TEXT: o.text_col = optarg; break;
        case O_PAIR: o.pair_col = optarg; break;
        case O_LABEL: o.label_col = optarg; o.label_col_given = 1; break;
        case O_LABELS: o.labels_file = optarg; break;
        case O_TARGET: o.target_col = optarg; break;
        case O_MTL: o.max_target_length = (int)ft_parse_long("--max-target-length", optarg, 1, 1 << 24); break;
        case O_PREFIX: o.prefix = optarg; break;
        case O_TASK: o.task = optarg; break;
        case O_TASKCOL: o.task_col = optarg; break;
        case O_MAXLEN: o.tok.max_length = (int)ft_parse_long("--max-length", optarg, 1, 1 << 24); break;
        case O_TRUNC:
            trunc_given = 1;
            if (ft_tok_truncation_parse(optarg, &o.tok.truncation))
                ft_die("--truncation: '%s' is not longest_first, only_first, only_second or none", optarg);
            break;
        case O_PAD:
            if (ft_tok_padding_parse(optarg, &o.tok.padding))
                ft_die("--padding: '%s' is not none, max_length or longest", optarg);
            break;
        case O_SPECIAL: o.tok.add_special_tokens = 1; break;
        case O_NOSPECIAL: o.tok.add_special_tokens = 0; break;
        case O_ERRORS:
            if (ft_tok_errors_parse(optarg, &o.replace)) ft_die("--errors: '%s' is not strict or replace", optarg);
            break;
        case 'j': o.threads = (int)ft_parse_long("--threads", optarg, 1, 1024); break;
        case O_CACHE: cache_dir = optarg; break;
        case O_SHARD: shard_size = ft_parse_long("--shard-size", optarg, 1, __LONG_MAX__); break;
        case O_DECODE: decode = 1; break;
        case O_SKIP: skip_special = 1; break;
        case O_BLOCK: o.block_size = (int)ft_parse_long("--block-size", optarg, 1, 1 << 24); break;
        case 'o': out = optarg; break;
        case 'z': zstd = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!model) { fputs(usage, stderr); ft_die("--model DIR is required"); }
    ft_tokenize_check(&o, NULL, model, trunc_given);
    const char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : (char **)stdin_only;
    int nfiles = optind < argc ? argc - optind : 1;
    ft_tokenizer *t = ft_tok_load_or_die(model);

    if (decode) {
        ft_writer *w = ft_writer_open(out, out ? FT_FMT_AUTO : FT_FMT_JSONL, zstd, NULL);
        ft_tokenize_decode(t, skip_special, files, nfiles, w);
        ft_writer_close(w);
        ft_tok_free(t);
        return 0;
    }
    ft_tokenize_check(&o, t, model, trunc_given);
    json_t *h = ft_tokenize_header(t, model, &o, argc, argv);
    ft_tokcache *cache = NULL;
    if (cache_dir) {
        char *key = ft_tokenize_options_key(&o);
        cache = ft_tokcache_open(cache_dir, ft_tok_hash(t), key, files, nfiles);
        free(key);
        if (ft_tokcache_hit(cache)) {
            json_object_set_new(h, "cache", json_string(ft_tokcache_hit(cache)));
            ft_writer *w = ft_writer_open(out, FT_FMT_AUTO, zstd, h);
            size_t n = ft_tokcache_replay(cache, w);
            ft_writer_close(w);
            fprintf(stderr, "%s: %zu records from cache %s (not tokenized again)\n", ft_prog, n, ft_tokcache_hit(cache));
            ft_tokcache_close(cache);
            ft_tok_free(t);
            return 0;
        }
    }
    ft_writer *w = ft_writer_open(out, FT_FMT_AUTO, zstd, cache ? json_deep_copy(h) : h);
    if (cache) { ft_tokcache_begin(cache, w, h, shard_size); json_decref(h); }
    if (o.replace)
        for (int f = 0; f < nfiles; f++) files[f] = ft_tokenize_repaired_copy(files[f]);
    ft_tokenize_files(&o, t, files, nfiles, cache ? ft_tokcache_put : to_writer,
                      cache ? (void *)cache : (void *)w);
    ft_writer_close(w);
    if (cache) ft_tokcache_close(cache);
    ft_label_names_free(&o.labels);
    ft_tok_free(t);
    return 0;
}
