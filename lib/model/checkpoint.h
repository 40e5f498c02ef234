/* checkpoint: Hugging Face model directories.
 *  - a directory holding config.json and model.safetensors, or shards listed
 *    in model.safetensors.index.json;
 *  - or a hub cache entry: NAME ("org/name") resolved under $HF_HUB_CACHE,
 *    $HF_HOME/hub or ~/.cache/huggingface/hub as
 *    models--org--name/snapshots/REV/ (REV from refs/main, else the only one);
 *    a path to models--org--name itself works too.
 * Loading into a parameter table applies the quirks of real checkpoints:
 * legacy LayerNorm.gamma/.beta names, a base-model prefix ("bert.") present in
 * the file but not the model or the other way round, and reports missing and
 * unexpected keys the way from_pretrained does. */
#ifndef FT_CHECKPOINT_H
#define FT_CHECKPOINT_H
#include "params.h"
#include "safetensors.h"

/* Resolve a user-given model name/dir to a directory with config.json.
   Returns a malloc'd path; dies with a helpful message if nothing is found. */
char *ft_resolve_model_dir(const char *name_or_dir);

typedef struct ft_checkpoint {
    char *dir;
    ft_st_file **files;
    int nfiles;
} ft_checkpoint;

/* NULL if the directory has no weights (model.safetensors nor index). */
ft_checkpoint *ft_checkpoint_open(const char *dir);
void ft_checkpoint_close(ft_checkpoint *ck);
const ft_st_tensor *ft_checkpoint_find(const ft_checkpoint *ck, const char *name,
                                       const ft_st_file **file);

/* Load every tensor of ck that maps onto ps (base_prefix e.g. "bert.").
   loaded[i] is set to 1 for each parameter filled (caller allocates ps->n ints).
   Unexpected and missing names are printed to stderr like from_pretrained
   (arch names the model class in the messages); shape mismatches are fatal.
   Returns the number of parameters loaded. */
int ft_checkpoint_load(const ft_checkpoint *ck, ft_params *ps, const char *base_prefix,
                       const char *arch, int *loaded, int quiet);

/* The same, skipping file tensors that map onto no parameter and end with one
   of the NULL-terminated suffixes in ignore (buffers such as GPT-2's
   attn.bias, a tied lm_head.weight). */
int ft_checkpoint_load_ex(const ft_checkpoint *ck, ft_params *ps, const char *base_prefix,
                          const char *arch, int *loaded, int quiet, const char *const *ignore);

/* ---- checkpoint-N directories of a training run ----
   A checkpoint is published whole by rename (see publish.h), so a directory
   named checkpoint-N is complete unless an older ft or another tool left it
   half there; resuming checks that it holds the files a resume needs. */

/* 1 when dir holds config.json and model.safetensors (or its shard index). */
int ft_is_model_dir(const char *dir);

/* The checkpoint --resume-from-checkpoint ARG names (malloc'd): "last" is
   the newest complete one in output_dir, anything else a directory that must
   be complete; dies with the reason otherwise. */
char *ft_checkpoint_for_resume(const char *output_dir, const char *arg);

/* Keep at most limit checkpoints in output_dir (0 = all), never the best one
   (path or NULL) nor the newest, the way HF's save_total_limit rotates.
   Each is retired by a rename before it is deleted. */
void ft_checkpoint_rotate(const char *output_dir, int limit, const char *best);

/* Write ps as model.safetensors (HF names, F32, {"format": "pt"} metadata). */
void ft_checkpoint_save_params(const ft_params *ps, const char *path);

/* Copies the tokenizer files found in src_dir (tokenizer.json, vocab.txt, …,
   chat_template.jinja) and generation_config.json (generation's defaults, as
   save_pretrained keeps them) into dst_dir, each atomically, so that a
   written model directory is complete. */
void ft_copy_tokenizer_files(const char *src_dir, const char *dst_dir);

#endif
