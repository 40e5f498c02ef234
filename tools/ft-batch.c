/* ft-batch: token records -> padded tensor batches, epoch after epoch. */
#include "batcher.h"
#include "opts.h"
#include "pack.h"
#include "stream.h"
#include "util.h"
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
"      --max-length N       the length for --padding max_length; with --packing, the\n"
"                           tokens of a packed row\n"
"      --group-by-length    put rows of similar length together (HF group_by_length)\n"
"      --packing            lay examples end to end in rows of at most --max-length\n"
"                           tokens (TRL packing, padding_free), in order; -b counts\n"
"                           rows; batches gain position_ids and segment_ids; an\n"
"                           example longer than a row is cut, counted on stderr\n"
"                           (docs/packing.md)\n"
"  -o, --output FILE        write FILE (.ft, .ftz, .jsonl) instead of stdout\n"
"  -z, --zstd               compress the output\n"
"  -h, --help               show this help\n";

/* --padding: 1 for max_length, 0 for longest */
static int padding(const char *s)
{
    return !strcmp(s, "max_length") ? 1 : !strcmp(s, "longest") ? 0 : -1;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_batch_opts o = {.batch_size = 8, .seed = 42};
    int epochs = 1, zstd = 0, pad_max = 0, packing = 0;
    const char *out = NULL;
    const ft_opt opts[] = {
        {"batch-size", FT_OPT_INT, .dst = &o.batch_size, .min = 1, .max = 1 << 20, .short_name = 'b'},
        {"epochs", FT_OPT_INT, .dst = &epochs, .min = 1, .max = 1 << 20},
        {"shuffle", FT_OPT_FLAG, .dst = &o.shuffle},
        {"seed", FT_OPT_U64, .dst = &o.seed, .min = 0, .max = __LONG_MAX__},
        {"drop-last", FT_OPT_FLAG, .dst = &o.drop_last},
        {"padding", FT_OPT_CHOICE, .dst = &pad_max, .parse = padding, .choices = "longest or max_length"},
        {"max-length", FT_OPT_INT, .dst = &o.max_length, .min = 1, .max = 1 << 24},
        {"group-by-length", FT_OPT_FLAG, .dst = &o.group_by_length},
        {"packing", FT_OPT_FLAG, .dst = &packing},
        {"output", FT_OPT_STR, .dst = &out, .short_name = 'o'},
        {"zstd", FT_OPT_FLAG, .dst = &zstd, .short_name = 'z'},
        {"help", FT_OPT_HELP, .short_name = 'h'}, {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (first + 1 < argc) ft_die("one input file at most (got %d)", argc - first);
    if (pad_max && !o.max_length) ft_die("--padding max_length needs --max-length N");
    if (packing && !o.max_length) ft_die("--packing needs --max-length N, the tokens of a row");
    if (packing && o.group_by_length) ft_die("--packing and --group-by-length do not go together");
    int row_length = o.max_length;
    if (!pad_max) o.max_length = 0;
    const char *in = first < argc ? argv[first] : "-";

    ft_dataset *ds = ft_dataset_load(in);
    ft_pack *pack = packing ? ft_pack_new(ds, row_length) : NULL;
    if (pack) ft_pack_report(pack);
    long per_epoch = pack ? ft_batches_for((size_t)pack->nrows, &o) : ft_batches_per_epoch(ds, &o);
    size_t units = pack ? (size_t)pack->nrows : ds->n;      /* what batches are made of: rows or examples */
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
    if (pack)   /* one key: the format's sniffer reads a header of up to 15 keys (a msgpack fixmap) */
        json_object_set_new(h, "packing", json_pack("{s:i, s:I, s:I}", "max_length", row_length,
                                                    "rows", (json_int_t)pack->nrows,
                                                    "truncated", (json_int_t)pack->truncated));
    if (ds->ntasks) {
        json_t *t = json_array();
        for (int i = 0; i < ds->ntasks; i++) json_array_append_new(t, json_string(ds->tasks[i]));
        json_object_set_new(h, "tasks", t);
    }
    ft_writer *w = ft_writer_open(out, FT_FMT_AUTO, zstd, h);

    int64_t *order = ft_xmalloc((units ? units : 1) * sizeof *order);
    ft_batch_data b = {0};
    ft_record rec = {0};
    for (int e = 0; e < epochs; e++) {
        if (pack) ft_order_shuffled(order, (size_t)pack->nrows, o.seed, e, o.shuffle);
        else ft_epoch_order(ds, &o, e, order);
        for (long s = 0; s < per_epoch; s++) {
            size_t start = (size_t)s * o.batch_size;
            int count = (int)(units - start < (size_t)o.batch_size ? units - start : (size_t)o.batch_size);
            if (pack) ft_pack_fill(ds, pack, &o, order + start, count, &b);
            else ft_batch_fill(ds, &o, order + start, count, &b);
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
    ft_pack_free(pack);
    ft_dataset_free(ds);
    return 0;
}
