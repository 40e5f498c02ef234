/* ft-export: a model or LoRA adapter as a file another runtime loads;
   today GGUF for llama.cpp (docs/export.md). */
#include "checkpoint.h"
#include "export_gguf.h"
#include "lora.h"
#include "model.h"
#include "opts.h"
#include "publish.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
"usage: ft-export --format gguf [--outtype f32|f16|bf16|q8_0] [--base DIR] MODEL_OR_ADAPTER_DIR OUT.gguf\n"
"Writes a causal LM (GPT-2, Llama, Mistral, Qwen2, Qwen3; a Hugging Face\n"
"directory, an ft-train checkpoint or an ft-merge-lora output) or a PEFT\n"
"LoRA adapter (a directory with adapter_config.json) as a GGUF v3 file that\n"
"llama.cpp loads: its tensor names, hyperparameters and tokenizer\n"
"(byte-level BPE; SentencePiece-style BPE with byte fallback, as Llama 2's),\n"
"the q/k permutation of its llama architecture.  An adapter\n"
"needs its base model (--base, else the adapter's base_model_name_or_path)\n"
"and is applied on the base GGUF by llama.cpp.  The file is written under a\n"
"temporary name, read back and checked, then renamed onto OUT.gguf.\n"
"Refuses by name what llama.cpp cannot express (sliding windows, trained\n"
"biases in an adapter, other tokenizers, ...).\n"
"  --format F     gguf (the only format)\n"
"  --outtype T    matrices as f32 (default), f16, bf16 or q8_0; vectors and\n"
"                 position embeddings stay f32, q8_0 falls back to f16 where\n"
"                 a row is not whole 32-value blocks\n"
"  --base DIR     the adapter's base model\n"
"  -h, --help     show this help\n";

static int is_adapter(const char *dir)
{
    char *p = ft_xasprintf("%s/adapter_config.json", dir);
    int r = access(p, F_OK) == 0;
    free(p);
    return r;
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    const char *format = NULL, *outtype = "f32", *base = NULL;
    const ft_opt opts[] = {
        {"format", FT_OPT_STR, .dst = &format}, {"outtype", FT_OPT_STR, .dst = &outtype},
        {"base", FT_OPT_STR, .dst = &base}, {"help", FT_OPT_HELP, .short_name = 'h'}, {0}};
    int first = ft_opts_parse(argc, argv, opts, usage);
    if (!format) ft_die("--format is required (gguf; see --help)");
    if (strcmp(format, "gguf")) ft_die("--format %s: unknown (gguf)", format);
    int type = ft_gguf_outtype_parse(outtype);
    if (type < 0) ft_die("--outtype %s: unknown (f32, f16, bf16, q8_0)", outtype);
    if (argc - first != 2) ft_die("expected MODEL_OR_ADAPTER_DIR OUT.gguf (see --help)");
    const char *in = argv[first], *out = argv[first + 1];
    if (!strcmp(out, "-")) ft_die("a GGUF file cannot go to stdout (it is read back and checked before it is published)");
    ft_sweep_dead_temps_of(out);
    if (is_adapter(in)) {
        char *cp = ft_xasprintf("%s/adapter_config.json", in), *bm = NULL;
        ft_lora_config c;
        ft_lora_config_read(cp, &c, &bm);
        if (!base) base = bm;
        if (!base) ft_die("%s: no base_model_name_or_path; name the base with --base", cp);
        char *dir = ft_resolve_model_dir(base);
        ft_model *m = ft_model_load(dir, "causal-lm", 0, 42);
        ft_lora_load(m, in);
        ft_export_gguf_adapter(m, in, (enum ft_gguf_type)type, out);
        ft_model_free(m);
        free(dir); free(bm); free(cp);
        free((char *)c.target_modules); free((char *)c.modules_to_save);
    } else {
        if (base) ft_die("--base is for an adapter; %s has no adapter_config.json", in);
        char *dir = ft_resolve_model_dir(in);
        ft_model *m = ft_model_load(dir, "causal-lm", 0, 42);
        ft_export_gguf_model(m, dir, (enum ft_gguf_type)type, out);
        ft_model_free(m);
        free(dir);
    }
    return 0;
}
