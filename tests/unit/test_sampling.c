/* sampling: HF's repetition penalty, no-repeat n-gram, temperature, top-k,
   top-p, and draws. */
#include "test.h"
#include "sampling_internal.h"
#include <math.h>
#include <string.h>

static void repetition_penalty(void)
{
    float x[5] = { 2.0f, -2.0f, 1.0f, -1.0f, 0.5f };
    int32_t seen[4] = { 0, 1, 0, 9 };           /* repeats count once; out of range ignored */
    ft_repetition_penalty(x, 5, seen, 4, 2.0f);
    CHECK(x[0] == 1.0f && x[1] == -4.0f && x[2] == 1.0f && x[3] == -1.0f);
}

static void no_repeat_ngram(void)
{
    int32_t seq[6] = { 1, 2, 3, 1, 2, 1 };
    float x[5] = { 0 };
    ft_ban_repeat_ngrams(x, seq, 6, 2);         /* after 1 came 2 and 2: ban 2 */
    CHECK(x[0] == 0 && x[1] == 0 && isinf(x[2]) && x[3] == 0 && x[4] == 0);
    float y[5] = { 0 };
    ft_ban_repeat_ngrams(y, seq, 5, 3);         /* "1 2" was followed by 3 */
    CHECK(isinf(y[3]) && y[1] == 0 && y[2] == 0);
    float z[5] = { 0 };
    ft_ban_repeat_ngrams(z, seq, 6, 1);         /* unigrams: every token seen */
    CHECK(isinf(z[1]) && isinf(z[2]) && isinf(z[3]) && z[0] == 0 && z[4] == 0);
    float w[5] = { 0 };
    ft_ban_repeat_ngrams(w, seq, 2, 4);         /* too short for a 4-gram */
    CHECK(w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0);
    /* the processors chain: penalty, then ban; greedy skips the banned best */
    ft_sampling s;
    ft_sampling_default(&s);
    s.repetition_penalty = 2.0f;
    s.no_repeat_ngram_size = 2;
    float v[4] = { 0.5f, 3.0f, 4.0f, 1.0f };
    int32_t seen[3] = { 2, 1, 2 };              /* after 2 came 1: 1 banned; 2 penalised to 2.0 */
    ft_rng r;
    ft_rng_seed(&r, 1);
    CHECK(ft_next_token(&s, v, 4, seen, 3, &r) == 2 && v[2] == 2.0f && isinf(v[1]));
}

static void top_k_keeps_ties(void)
{
    float x[6] = { 1, 5, 3, 5, 3, 0 };
    ft_top_k(x, 6, 3);                          /* 3rd largest is 3: both 3s stay */
    CHECK(isinf(x[0]) && x[1] == 5 && x[2] == 3 && x[3] == 5 && x[4] == 3 && isinf(x[5]));
}

static void top_p_smallest_set(void)
{
    /* probabilities 0.5, 0.25, 0.125, 0.125 */
    float x[4] = { logf(0.5f), logf(0.25f), logf(0.125f), logf(0.125f) };
    float y[4];
    memcpy(y, x, sizeof x);
    ft_top_p(y, 4, 0.7f);                       /* drop while cumulative ≤ 0.3: both 0.125s */
    CHECK(!isinf(y[0]) && !isinf(y[1]) && isinf(y[2]) && isinf(y[3]));
    memcpy(y, x, sizeof x);
    ft_top_p(y, 4, 0.01f);                      /* the best token always stays */
    CHECK(!isinf(y[0]) && isinf(y[1]));
}

static void greedy_and_draws(void)
{
    ft_sampling s;
    ft_sampling_default(&s);
    CHECK(s.top_k == 50 && s.temperature == 1.0f && s.top_p == 1.0f);
    float x[4] = { 0.1f, 3.0f, 3.0f, -1.0f };
    ft_rng r;
    ft_rng_seed(&r, 1);
    CHECK(ft_next_token(&s, x, 4, NULL, 0, &r) == 1);   /* first maximum, as torch.argmax */
    s.do_sample = 1;
    s.top_k = 1;
    int counts[4] = { 0 };
    for (int i = 0; i < 200; i++) {
        float y[4] = { 0.1f, 3.0f, 2.0f, -1.0f };
        counts[ft_next_token(&s, y, 4, NULL, 0, &r)]++;
    }
    CHECK(counts[1] == 200);
    s.top_k = 0;
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < 4000; i++) {
        float y[2] = { 0.0f, logf(3.0f) };      /* p = 1/4, 3/4 */
        counts[ft_next_token(&s, y, 2, NULL, 0, &r)]++;
    }
    CHECK(counts[1] > 2850 && counts[1] < 3150);
}

int main(void)
{
    RUN(repetition_penalty);
    RUN(no_repeat_ngram);
    RUN(top_k_keeps_ties);
    RUN(top_p_smallest_set);
    RUN(greedy_and_draws);
    TEST_MAIN_END();
}
