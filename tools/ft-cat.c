/* ft-cat: show any record input as JSON lines, or convert it to a stream. */
#include "stream.h"
#include "util.h"
#include <getopt.h>
#include <string.h>

static const char usage[] =
"usage: ft-cat [-o FILE] [--to FORMAT] [--to-stream] [-z] [--header] [-n N] [FILE...]\n"
"Prints ft streams, JSONL, CSV or TSV (zstd-compressed or not, recognised by\n"
"content) as JSON lines, one record a line: tensors become nested arrays, so jq\n"
"works on the output.  FILE defaults to stdin.\n"
"  -o, --output FILE    write FILE (its format from the name: .ft .ftz .jsonl .csv .tsv)\n"
"  -t, --to FORMAT      output format: jsonl (default), ft, csv, tsv\n"
"  -s, --to-stream      same as --to ft: turn CSV/JSONL into an ft records stream\n"
"  -z, --zstd           compress the output with zstd\n"
"      --header         also print each stream's header and trailer as JSON lines\n"
"                       {\"ft_header\":…} / {\"ft_trailer\":…}; --to-stream reads them back\n"
"  -n, --head N         stop after N records\n"
"      --input-format F read input as F (ft, jsonl, csv, tsv) instead of detecting it\n"
"  -h, --help           show this help\n";

/* A {"ft_header": {...}} line written by --header: the header to restore. */
static json_t *header_line(const ft_record *rec)
{
    if (rec->n != 1 || strcmp(rec->fields[0].key, "ft_header") != 0) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    ft_value_write_json(mem, rec->fields[0].val);
    fclose(mem);
    json_t *h = json_loadb(buf, len, 0, NULL);
    free(buf);
    return h;
}

static int is_trailer_line(const ft_record *rec)
{
    return rec->n == 1 && strcmp(rec->fields[0].key, "ft_trailer") == 0;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"to", required_argument, 0, 't'},
        {"to-stream", no_argument, 0, 's'}, {"zstd", no_argument, 0, 'z'},
        {"header", no_argument, 0, 'H'}, {"head", required_argument, 0, 'n'},
        {"input-format", required_argument, 0, 'I'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out_path = NULL;
    ft_format to = FT_FMT_AUTO, in_fmt = FT_FMT_AUTO;
    int zstd = 0, show_header = 0, c;
    long head = -1;
    while ((c = getopt_long(argc, argv, "o:t:szn:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 't': to = ft_format_parse(optarg); break;
        case 's': to = FT_FMT_FT; break;
        case 'z': zstd = 1; break;
        case 'H': show_header = 1; break;
        case 'n': head = ft_parse_long("--head", optarg, 0, __LONG_MAX__); break;
        case 'I': in_fmt = ft_format_parse(optarg); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (to == FT_FMT_AUTO && !out_path) to = FT_FMT_JSONL;
    const char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : (char **)stdin_only;
    int nfiles = optind < argc ? argc - optind : 1;

    ft_writer *w = NULL;
    ft_record rec = {0};
    long n = 0;
    for (int f = 0; f < nfiles && (head < 0 || n < head); f++) {
        ft_reader *r = ft_reader_open(files[f], in_fmt);
        json_t *hdr = ft_reader_header(r);
        int first = 1;
        while ((head < 0 || n < head) && ft_reader_next(r, &rec)) {
            if (first && !w) {
                json_t *restored = header_line(&rec);
                json_t *h = restored ? restored : hdr ? json_deep_copy(hdr)
                                                      : ft_header_new("records", argc, argv);
                w = ft_writer_open(out_path, to, zstd, h);
                if (show_header && hdr && ft_writer_format(w) == FT_FMT_JSONL) {
                    fputs("{\"ft_header\":", stdout);
                    json_dumpf(hdr, stdout, JSON_COMPACT);
                    fputs("}\n", stdout);
                }
                first = 0;
                if (restored) continue;
            }
            first = 0;
            if (is_trailer_line(&rec) || (rec.n == 1 && strcmp(rec.fields[0].key, "ft_header") == 0)) continue;
            ft_writer_put(w, &rec);
            n++;
        }
        if (show_header && hdr && w && ft_writer_format(w) == FT_FMT_JSONL && (head < 0 || n < head))
            printf("{\"ft_trailer\":{\"count\":%zu}}\n", ft_reader_count(r));
        ft_reader_close(r);
    }
    if (!w) w = ft_writer_open(out_path, to, zstd, ft_header_new("records", argc, argv));
    ft_writer_close(w);
    ft_record_free(&rec);
    return 0;
}
