/* ft-tokenize: records (CSV, JSONL, ft stream) -> token records, exactly as
   Hugging Face's tokenizers would make them; or, with --decode, back.  The
   work is lib/tok/tokenize.c (and lib/tok/tokcache.c for --cache-dir); this file is
   the flags. */
#include "chat_records.h"
#include "tokcache.h"
#include "opts.h"
#include "tokenize.h"
#include "util.h"
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
"      --max-length N         truncate to N tokens, special tokens included (with\n"
"                             --chat or --prompt-completion: each training record's\n"
"                             first N tokens and labels, as SFTConfig's max_length)\n"
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
"      --chat                 conversations: render each record's \"messages\" (a list\n"
"                             of {role, content} maps; \"tools\" too when present) with\n"
"                             the model's chat template (tokenizer_config.json) and\n"
"                             tokenize it as apply_chat_template(tokenize=True):\n"
"                             input_ids, and labels = input_ids (docs/chat.md)\n"
"      --assistant-only-loss  with --chat: labels -100 except on each assistant\n"
"                             message's tokens and its end-of-turn token\n"
"      --add-generation-prompt  with --chat: end with the assistant's header, a\n"
"                             prompt for ft-generate (no labels)\n"
"      --chat-template-kwargs JSON  with --chat: a map of more template variables\n"
"                             (e.g. '{\"enable_thinking\": false}'); a record's own\n"
"                             \"chat_template_kwargs\" map adds to it and wins\n"
"      --prompt-completion    records with \"prompt\" and \"completion\" (strings; lists\n"
"                             of messages with --chat) tokenized as TRL's SFTTrainer:\n"
"                             prompt, then prompt + completion (+ eos_token for\n"
"                             strings); labels = input_ids (docs/chat.md)\n"
"      --completion-only-loss  --prompt-completion with labels -100 on the prompt's\n"
"                             tokens (the first len(tokens of the prompt alone))\n"
"      --eos-token TOKEN      with --chat or --prompt-completion: TOKEN instead of the\n"
"                             tokenizer's eos_token (appended to completions, and the\n"
"                             template's eos_token), as SFTConfig's eos_token\n"
"      --decode               turn input_ids (and sequence labels) back into text\n"
"      --skip-special-tokens  with --decode: leave special tokens out\n"
"  -o, --output FILE          write FILE (.ft, .ftz, .jsonl, .csv) instead of stdout\n"
"  -z, --zstd                 compress the output\n"
"  -h, --help                 show this help\n";

static void to_writer(void *w, const ft_record *rec) { ft_writer_put(w, rec); }

static void truncation(const char *s, void *dst)
{
    if (ft_tok_truncation_parse(s, dst))
        ft_die("--truncation: '%s' is not longest_first, only_first, only_second or none", s);
}

static void padding(const char *s, void *dst)
{
    if (ft_tok_padding_parse(s, dst)) ft_die("--padding: '%s' is not none, max_length or longest", s);
}

static void errors(const char *s, void *dst)
{
    if (ft_tok_errors_parse(s, dst)) ft_die("--errors: '%s' is not strict or replace", s);
}

static void chat_template_kwargs(const char *s, void *dst)
{
    json_error_t je;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &je);
    if (!j) ft_die("--chat-template-kwargs: not JSON: %s", je.text);
    const char *why = ft_chat_kwargs_problem(j);
    if (why) ft_die("--chat-template-kwargs: '%s' %s", s, why);
    json_decref(*(json_t **)dst);
    *(json_t **)dst = j;
}

/* --chat and --prompt-completion: the header says which, then
   lib/tok/chat_records.c does the work. */
static void ft_tokenize_chat(ft_tokenizer *t, const char *model, const ft_tokenize_opts *o, ft_chat_opts *co,
                             int chat, char **files, int nfiles, const char *out, int zstd, int argc, char **argv)
{
    char *err = NULL;
    ft_chat_config *cfg = chat ? ft_chat_config_load(model, &err) : NULL;
    if (chat && !cfg) ft_die("%s", err);
    json_t *special = cfg ? json_incref(cfg->special) : ft_chat_special_tokens(model);
    if (co->eos_token) {                /* --eos-token: SFTConfig's eos_token replaces the tokenizer's */
        if (ft_tok_token_to_id(t, co->eos_token, strlen(co->eos_token)) < 0)
            ft_die("--eos-token '%s' is not a token of %s's vocabulary", co->eos_token, model);
        json_object_set_new(special, "eos_token", json_string(co->eos_token));   /* the template's too */
    }
    co->eos_token = json_string_value(json_object_get(special, "eos_token"));
    co->add_special_tokens = o->tok.add_special_tokens;
    if (!chat && !co->eos_token)
        ft_die("%s/tokenizer_config.json has no eos_token: --prompt-completion appends it to each completion "
               "string, as TRL's SFTTrainer does", model);
    json_t *h = ft_tokenize_header(t, model, o, argc, argv);
    if (chat) {
        json_t *c = json_pack("{sbsb}", "assistant_only_loss", co->assistant_only_loss, "add_generation_prompt",
                              co->add_generation_prompt);
        if (co->template_kwargs) json_object_set(c, "chat_template_kwargs", co->template_kwargs);
        json_object_set_new(h, "chat", c);
    }
    if (co->prompt_completion) {
        json_t *pc = json_pack("{sb}", "completion_only_loss", co->completion_only_loss);
        if (!chat) json_object_set_new(pc, "eos_token", json_string(co->eos_token));
        json_object_set_new(h, "prompt_completion", pc);
    }
    ft_writer *w = ft_writer_open(out, FT_FMT_AUTO, zstd, h);
    ft_tokenize_chat_files(co, cfg, t, files, nfiles, to_writer, w);
    ft_writer_close(w);
    json_decref(special);
    ft_chat_config_free(cfg);
}

/* The flags of --chat and --prompt-completion that cannot go together. */
static void chat_check(const ft_tokenize_opts *o, ft_chat_opts *co, int chat, int decode, const char *cache_dir,
                       int trunc_given)
{
    if (co->completion_only_loss) co->prompt_completion = 1;
    const char *mode = chat ? "--chat" : "--prompt-completion";
    if (!chat && (co->assistant_only_loss || co->add_generation_prompt || co->template_kwargs))
        ft_die("--assistant-only-loss, --add-generation-prompt and --chat-template-kwargs go with --chat");
    if (!chat && !co->prompt_completion && co->eos_token)
        ft_die("--eos-token goes with --chat or --prompt-completion (SFTConfig's eos_token)");
    if (decode || cache_dir || o->block_size || o->pair_col || o->target_col || o->tok.padding != FT_PAD_NONE ||
        trunc_given)
        ft_die("%s does not combine with --decode, --cache-dir, --block-size, --text-pair-column, "
               "--target-column, --padding or --truncation", mode);
    if (o->tok.max_length && co->add_generation_prompt)
        ft_die("--max-length cuts training records at the end; a prompt (--add-generation-prompt) would lose "
               "its assistant header");
    co->max_length = o->tok.max_length;
    if (co->assistant_only_loss && co->add_generation_prompt)
        ft_die("--assistant-only-loss labels training records; --add-generation-prompt makes prompts");
    if (co->prompt_completion && co->add_generation_prompt)
        ft_die("--prompt-completion records are for training; --add-generation-prompt makes prompts (of "
               "\"messages\" records)");
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    ft_tokenize_opts o;
    ft_tokenize_opts_init(&o);
    const char *model = NULL, *cache_dir = NULL, *out = NULL;
    long shard_size = 100000;
    int trunc_given = 0, decode = 0, skip_special = 0, zstd = 0, chat = 0;
    ft_chat_opts co = {0};
    const ft_opt opts[] = {
        {"model", FT_OPT_STR, .dst = &model, .short_name = 'm'}, {"text-column", FT_OPT_STR, .dst = &o.text_col},
        {"text-pair-column", FT_OPT_STR, .dst = &o.pair_col},
        {"label-column", FT_OPT_STR, .dst = &o.label_col, .given = &o.label_col_given},
        {"labels", FT_OPT_STR, .dst = &o.labels_file}, {"target-column", FT_OPT_STR, .dst = &o.target_col},
        {"max-target-length", FT_OPT_INT, .dst = &o.max_target_length, .min = 1, .max = 1 << 24},
        {"prefix", FT_OPT_STR, .dst = &o.prefix}, {"task", FT_OPT_STR, .dst = &o.task}, {"task-column", FT_OPT_STR, .dst = &o.task_col},
        {"max-length", FT_OPT_INT, .dst = &o.tok.max_length, .min = 1, .max = 1 << 24},
        {"truncation", FT_OPT_CALL, .dst = &o.tok.truncation, .call = truncation, .given = &trunc_given},
        {"padding", FT_OPT_CALL, .dst = &o.tok.padding, .call = padding},
        {"add-special-tokens", FT_OPT_FLAG, .dst = &o.tok.add_special_tokens},
        {"no-add-special-tokens", FT_OPT_UNSET, .dst = &o.tok.add_special_tokens},
        {"errors", FT_OPT_CALL, .dst = &o.replace, .call = errors},
        {"threads", FT_OPT_INT, .dst = &o.threads, .min = 1, .max = 1024, .short_name = 'j'},
        {"cache-dir", FT_OPT_STR, .dst = &cache_dir}, {"shard-size", FT_OPT_LONG, .dst = &shard_size, .min = 1, .max = __LONG_MAX__},
        {"chat", FT_OPT_FLAG, .dst = &chat}, {"assistant-only-loss", FT_OPT_FLAG, .dst = &co.assistant_only_loss},
        {"add-generation-prompt", FT_OPT_FLAG, .dst = &co.add_generation_prompt},
        {"chat-template-kwargs", FT_OPT_CALL, .dst = &co.template_kwargs, .call = chat_template_kwargs},
        {"prompt-completion", FT_OPT_FLAG, .dst = &co.prompt_completion},
        {"completion-only-loss", FT_OPT_FLAG, .dst = &co.completion_only_loss},
        {"eos-token", FT_OPT_STR, .dst = &co.eos_token},
        {"decode", FT_OPT_FLAG, .dst = &decode}, {"skip-special-tokens", FT_OPT_FLAG, .dst = &skip_special},
        {"block-size", FT_OPT_INT, .dst = &o.block_size, .min = 1, .max = 1 << 24},
        {"output", FT_OPT_STR, .dst = &out, .short_name = 'o'}, {"zstd", FT_OPT_FLAG, .dst = &zstd, .short_name = 'z'},
        {"help", FT_OPT_HELP, .short_name = 'h'}, {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (!model) { fputs(usage, stderr); ft_die("--model DIR is required"); }
    ft_tokenize_check(&o, NULL, model, trunc_given);
    const char *stdin_only[] = {"-"};
    char **files = first < argc ? argv + first : (char **)stdin_only;
    int nfiles = first < argc ? argc - first : 1;
    ft_tokenizer *t = ft_tok_load_or_die(model);

    if (chat || co.assistant_only_loss || co.add_generation_prompt || co.template_kwargs || co.prompt_completion ||
        co.completion_only_loss || co.eos_token) {
        chat_check(&o, &co, chat, decode, cache_dir, trunc_given);
        ft_tokenize_chat(t, model, &o, &co, chat, files, nfiles, out, zstd, argc, argv);
        json_decref(co.template_kwargs);
        ft_tok_free(t);
        return 0;
    }
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
