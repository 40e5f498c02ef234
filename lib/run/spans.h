/* spans: T5's span corruption for pretraining an encoder-decoder on unlabelled
 * text, as transformers' DataCollatorForT5MLM (examples/flax/language-modeling/
 * run_t5_mlm_flax.py) does it.  A block of n tokens gets
 * round(n · noise_density) noise tokens (at least 1, at most n - 1) in
 * round(min(noise, non-noise) / mean_noise_span_length) spans (at least 1):
 * both counts are cut into that many runs at random and interleaved, a
 * non-noise run first.  The input keeps the non-noise tokens with each noise
 * span replaced by one sentinel; the labels are the noise spans, each behind
 * its sentinel; both end in </s>:
 *
 *   tokens   a b c d e f g h          noise: c d, g
 *   inputs   a b <extra_id_0> e f <extra_id_1> h </s>
 *   labels   <extra_id_0> c d <extra_id_1> g </s>
 *
 * Sentinel k is the tokenizer's <extra_id_k> (HF: len(tokenizer) - 1 - k, the
 * same ids for T5 and CodeT5 tokenizers).  The random cuts are a Fisher-Yates
 * shuffle (numpy's np.random.shuffle order) whose draws come from a
 * counter-based stream keyed by the caller (training: seed and micro-batch)
 * and the row, so a resumed run corrupts exactly as an uninterrupted one. */
#ifndef FT_SPANS_H
#define FT_SPANS_H
#include "model.h"
#include <stddef.h>
#include <stdint.h>

typedef struct ft_spans {
    double noise_density;       /* --mlm-probability (0.15) */
    double mean_span;           /* --mean-noise-span-length (3.0) */
    int eos_id, pad_id;         /* </s> (ends inputs and labels), <pad> */
    int nsentinels;             /* <extra_id_0> ... <extra_id_{nsentinels-1}> */
    int32_t *sentinel;
} ft_spans;

void ft_spans_free(ft_spans *c);
/* From the tokenizer files of the model in dir: dies naming dir when there
   is none, it has no <extra_id_0> or no </s>, the density / span length are
   out of range, or its family takes no span corruption. */
ft_spans *ft_spans_for_model(const char *dir, double noise_density, double mean_span);
/* Is *task "span-corruption"?  Then it becomes "seq2seq" (the model is a
   T5ForConditionalGeneration either way; only its batches differ). */
int ft_task_is_span_corruption(const char **task);

/* HF's compute_input_and_target_lengths: the block length whose corrupted
   inputs are at most inputs_length tokens, and the targets' length. */
void ft_spans_lengths(double noise_density, double mean_span, int inputs_length,
                      int *tokens_length, int *targets_length);

/* Corrupted batches, one at a time; the buffers only grow. */
typedef struct ft_spans_buf {
    int32_t *ids, *mask, *labels, *row_in, *row_lab, *tokens;
    uint32_t *draws;
    uint8_t *noise;
    size_t cap, row_cap;
} ft_spans_buf;
/* Replaces batch b's inputs by the corrupted blocks (each row's tokens are
   those with attention 1; row r keyed by ft_key_mix(key, r)) and its labels
   by the targets: b->input_ids, attention_mask and labels then point into
   buf, b->T and b->Tl are the longest row's (shorter rows padded with <pad>,
   attention 0, labels -100).  Returns the number of label tokens. */
size_t ft_spans_corrupt_batch(const ft_spans *c, ft_spans_buf *buf, ft_batch *b, uint64_t key);
void ft_spans_buf_free(ft_spans_buf *buf);

#endif
