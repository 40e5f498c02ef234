/* count-tokens: a C program of its own that uses libft, the library under the
   ft tools, as installed by `make install`: it reads records in any format ft
   reads (CSV, TSV, JSONL, ft streams, zstd or not) with the stream reader and
   tokenizes their text column with a Hugging Face tokenizer.  Built by
   ../libft.sh with
       cc count-tokens.c $(pkg-config --cflags --libs ft)
   usage: count-tokens MODEL_DIR [FILE]   (FILE defaults to stdin)
   Prints one JSON line: records, tokens (special tokens included) and the
   longest record's token count. */
#include <ft/stream.h>
#include <ft/tokenizer.h>
#include <ft/util.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);   /* error messages read "count-tokens: FILE:LINE: ..." */
    if (argc < 2 || argc > 3) {
        fputs("usage: count-tokens MODEL_DIR [FILE]\n", stderr);
        return 2;
    }
    ft_tokenizer *tok = ft_tok_load_or_die(argv[1]);
    ft_tok_scratch *scratch = ft_tok_scratch_new();
    ft_tok_opts opts = {.add_special_tokens = 1, .truncation = FT_TRUNC_NONE, .padding = FT_PAD_NONE};
    ft_encoding enc = {0};
    ft_reader *r = ft_reader_open(argc > 2 ? argv[2] : "-", FT_FMT_AUTO);
    ft_record rec = {0};
    size_t records = 0, tokens = 0, longest = 0;
    while (ft_reader_next(r, &rec)) {
        const ft_value *text = ft_record_get(&rec, "text");
        if (!text || text->type != FT_V_STR) ft_reader_die(r, "no text column");
        const char *err;
        if (ft_tok_encode(tok, scratch, text->str.s, text->str.len, NULL, 0, &opts, &enc, &err) != 0)
            ft_reader_die(r, "%s", err);
        records++;
        tokens += enc.n;
        if (enc.n > longest) longest = enc.n;
    }
    printf("{\"records\": %zu, \"tokens\": %zu, \"longest\": %zu, \"tokenizer\": \"%s\"}\n",
           records, tokens, longest, ft_tok_describe(tok));
    ft_reader_close(r);
    ft_record_free(&rec);
    ft_encoding_free(&enc);
    ft_tok_scratch_free(scratch);
    ft_tok_free(tok);
    return 0;
}
