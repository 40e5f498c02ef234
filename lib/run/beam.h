/* beam: beam search with the semantics of Hugging Face's BeamSearchScorer
 * (transformers ≥ 4.36, num_beam_hyps_to_keep = 1), independent of the model:
 *
 *   each step the caller gives log-probabilities [B·K, V] (log_softmax of the
 *   last logits, after processors such as no_repeat_ngram, banned = −inf);
 *   the running beam score is added, the top 2K candidates of each input are
 *   taken (sorted), a candidate ending in an eos id becomes a finished hypothesis
 *   (only when its rank is < K) scored sum_logprobs / generated_len^length_penalty
 *   (generated_len counts the eos), the first K others continue.  An input is
 *   done when it holds K hypotheses and either early_stopping is set or the
 *   best running score / cur_len^length_penalty cannot beat the worst kept.
 *   At max length the live beams join the hypotheses (generated_len = their
 *   length without the decoder start) and the best hypothesis wins.
 *
 * Several eos ids: a hypothesis ends at any of them and keeps the one it
 * ended with, as transformers 4.53's vectorised _beam_search (whose
 * sequences hold the chosen tokens; the older BeamSearchScorer.finalize wrote
 * the first eos id).
 *
 * The search keeps the token history; the caller reorders its key/value cache
 * by the source rows each step returns. */
#ifndef FT_BEAM_H
#define FT_BEAM_H
#include <stdint.h>

typedef struct ft_beam ft_beam;

/* B inputs × K beams; at most max_new tokens; a hypothesis ends at any of
   the n_eos ids eos (copied). */
ft_beam *ft_beam_new(int B, int K, int max_new, float length_penalty, int early_stopping,
                     const int *eos, int n_eos, int pad);
void ft_beam_free(ft_beam *bs);
/* One step.  logprobs [B·K, V] may be modified.  Writes next[B·K] (the tokens
   to feed) and src[B·K] (the row each new row continues).  Returns 1 when the
   search is over (all inputs done, or max_new tokens reached). */
int ft_beam_step(ft_beam *bs, float *logprobs, int V, int32_t *next, int *src);
/* The best sequence of every input b < B, copied: out[b] (malloc'd, room for
   one more token) and lens[b]. */
void ft_beam_take_best(ft_beam *bs, int B, int32_t **out, int *lens);

/* Whether tok is one of the n eos ids (HF: isin(tokens, eos_token_id)). */
static inline int ft_is_eos(int tok, const int *eos, int n)
{
    for (int i = 0; i < n; i++) if (tok == eos[i]) return 1;
    return 0;
}

/* In-place log_softmax of n rows of V logits (the processors of sampling.h
   then act on the log-probabilities, as in HF's beam search). */
void ft_log_softmax_rows(float *x, int n, int V);
#endif
