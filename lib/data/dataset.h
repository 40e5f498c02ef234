/* dataset: token records held compactly in memory (a few int arrays and an
   index), as ft-batch and ft-train need them for shuffling epochs. */
#ifndef FT_DATASET_H
#define FT_DATASET_H
#include "stream.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum ft_label_kind { FT_LABELS_NONE, FT_LABELS_CLASS, FT_LABELS_SEQUENCE };

typedef struct ft_example {
    int64_t tok;          /* offset of this example's tokens in ids/mask/type_ids */
    int32_t len;          /* tokens stored (padding included if the records had it) */
    int32_t used;         /* len less trailing padding: positions no token attends to
                             and no label scores, which a batch can drop exactly */
    int32_t label;        /* class id, -100 when absent */
    int64_t lab;          /* offset into seq_labels, for sequence labels */
    int32_t lab_len;
    int32_t lab_used;     /* lab_len less trailing -100 labels */
    int32_t task;         /* index into tasks[], 0 when records carry none */
    int64_t id;           /* the record's "id" field, else its index */
} ft_example;

typedef struct ft_dataset {
    ft_example *ex;
    size_t n, cap;
    int32_t *ids, *mask, *type_ids;     /* type_ids NULL when records have none */
    int has_type_ids;
    size_t ntok, tokcap;
    int32_t *seq_labels;
    size_t nlab, labcap;
    char **tasks;
    int ntasks;
    enum ft_label_kind label_kind;
    int32_t pad_id;                     /* from the header's tokenizer, else 0 */
    int max_len;
    json_t *header;                     /* the input's header (NULL for JSONL) */
} ft_dataset;

/* Reads token records (an ft stream of kind "tokens", or JSONL/CSV with an
   input_ids field).  Dies naming the file and record on bad input. */
ft_dataset *ft_dataset_load(const char *path);
/* The same from an open reader (what ft_dataset_load does after opening). */
ft_dataset *ft_dataset_read(ft_reader *r);
void ft_dataset_free(ft_dataset *ds);
/* Appends src's examples to dst (tasks mapped by name). */
void ft_dataset_append(ft_dataset *dst, const ft_dataset *src);
#endif
