/* ft-batch: token records -> padded tensor batches, epoch after epoch. */
#include "batcher.h"
#include "stream.h"
#include "util.h"
#include <getopt.h>
#include <string.h>

static const char usage[] =
"usage: ft-batch [options] [FILE]\n"
"Turns token records (ft-tokenize output, or JSONL with input_ids, attention_mask,\n"
"token_type_ids, labels) into padded batches: one record per batch holding\n"
"[B,T] tensors input_ids, attention_mask, token_type_ids, labels and the source\n"
"record ids.  The header states steps_per_epoch and total_steps.\n"
"  -b, --batch-size N       rows per batch (default 8, as HF per_device_train_batch_size)\n"
"      --epochs N           how many passes over the data (default 1)\n"
"      --shuffle            a new random order every epoch (reproducible with --seed)\n"
"      --seed N             shuffling seed (default 42)\n"
"      --drop-last          drop the last incomplete batch of each epoch\n"
"      --padding MODE       longest (pad to the batch's longest row, default) or max_length\n"
"      --max-length N       the length for --padding max_length\n"
"      --group-by-length    put rows of similar length together (HF group_by_length)\n"
"  -o, --output FILE        write FILE (.ft, .ftz, .jsonl) instead of stdout\n"
"  -z, --zstd               compress the output\n"
"  -h, --help               show this help\n";

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    static const struct option opts[] = {
        {"batch-size", required_argument, 0, 'b'}, {"epochs", required_argument, 0, 'e'},
        {"shuffle", no_argument, 0, 's'}, {"seed", required_argument, 0, 'S'},
        {"drop-last", no_argument, 0, 'd'}, {"padding", required_argument, 0, 'p'},
        {"max-length", required_argument, 0, 'm'}, {"group-by-length", no_argument, 0, 'g'},
        {"output", required_argument, 0, 'o'}, {"zstd", no_argument, 0, 'z'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    ft_batch_opts o = {.batch_size = 8, .seed = 42};
    int epochs = 1, zstd = 0, pad_max = 0, c;
    const char *out = NULL;
    while ((c = getopt_long(argc, argv, "b:o:zh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o.batch_size = (int)ft_parse_long("--batch-size", optarg, 1, 1 << 20); break;
        case 'e': epochs = (int)ft_parse_long("--epochs", optarg, 1, 1 << 20); break;
        case 's': o.shuffle = 1; break;
        case 'S': o.seed = (uint64_t)ft_parse_long("--seed", optarg, 0, __LONG_MAX__); break;
        case 'd': o.drop_last = 1; break;
        case 'p':
            if (strcmp(optarg, "max_length") == 0) pad_max = 1;
            else if (strcmp(optarg, "longest") != 0)
                ft_die("--padding: '%s' is not longest or max_length", optarg);
            break;
        case 'm': o.max_length = (int)ft_parse_long("--max-length", optarg, 1, 1 << 24); break;
        case 'g': o.group_by_length = 1; break;
        case 'o': out = optarg; break;
        case 'z': zstd = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind + 1 < argc) ft_die("one input file at most (got %d)", argc - optind);
    if (pad_max && !o.max_length) ft_die("--padding max_length needs --max-length N");
    if (!pad_max) o.max_length = 0;
    const char *in = optind < argc ? argv[optind] : "-";

    ft_dataset *ds = ft_dataset_load(in);
    long per_epoch = ft_batches_per_epoch(ds, &o);
    if (per_epoch == 0) ft_die("%s: %zu records make no batch of %d with --drop-last", in, ds->n, o.batch_size);

    json_t *h = ft_header_new("batches", argc, argv);
    if (ds->header && json_object_get(ds->header, "tokenizer"))
        json_object_set(h, "tokenizer", json_object_get(ds->header, "tokenizer"));
    json_object_set_new(h, "batch_size", json_integer(o.batch_size));
    json_object_set_new(h, "epochs", json_integer(epochs));
    json_object_set_new(h, "examples", json_integer((json_int_t)ds->n));
    json_object_set_new(h, "steps_per_epoch", json_integer(per_epoch));
    json_object_set_new(h, "total_steps", json_integer(per_epoch * epochs));
    json_object_set_new(h, "shuffle", json_boolean(o.shuffle));
    json_object_set_new(h, "seed", json_integer((json_int_t)o.seed));
    if (ds->ntasks) {
        json_t *t = json_array();
        for (int i = 0; i < ds->ntasks; i++) json_array_append_new(t, json_string(ds->tasks[i]));
        json_object_set_new(h, "tasks", t);
    }
    ft_writer *w = ft_writer_open(out, FT_FMT_AUTO, zstd, h);

    int64_t *order = ft_xmalloc(ds->n * sizeof *order);
    ft_batch_data b = {0};
    ft_record rec = {0};
    for (int e = 0; e < epochs; e++) {
        ft_epoch_order(ds, &o, e, order);
        for (long s = 0; s < per_epoch; s++) {
            size_t start = (size_t)s * o.batch_size;
            int count = (int)(ds->n - start < (size_t)o.batch_size ? ds->n - start : (size_t)o.batch_size);
            ft_batch_fill(ds, &o, order + start, count, &b);
            ft_record_clear(&rec);
            ft_batch_to_record(&b, &rec);
            ft_record_set_int(&rec, "epoch", e);
            if (ds->ntasks) {
                /* a batch's task is its first row's; multi-task batching keeps rows of one task together */
                const char *t = ds->tasks[b.tasks[0]];
                ft_record_set_str(&rec, "task", t, strlen(t));
            }
            ft_writer_put(w, &rec);
        }
    }
    ft_writer_close(w);
    ft_record_free(&rec);
    ft_batch_data_free(&b);
    free(order);
    ft_dataset_free(ds);
    return 0;
}
