/* Masked-LM masking (DataCollatorForLanguageModeling's rule) on the real
   bert-base-chinese tokenizer in $FT_SHARED/models. */
#include "mlm.h"
#include "mlm_internal.h"
#include "test.h"
#include "util.h"
#include <string.h>

static char tok_dir[512];

static void test_from_tokenizer(void)
{
    ft_mlm *c = ft_mlm_from_tokenizer(tok_dir, 0.15);
    CHECK(c->vocab == 21128);
    CHECK(c->mask_id == 103);                     /* [MASK] */
    int specials = 0;
    for (int i = 0; i < c->vocab; i++) specials += c->special[i];
    /* [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103 */
    CHECK(specials == 5 && c->special[0] && c->special[100] && c->special[101] && c->special[102] && c->special[103]);
    CHECK(!c->special[104] && !c->special[2769]);
    ft_mlm_free(c);
}

/* 200k tokens, rows of [CLS] x... [SEP] then padding: the rates are HF's. */
static void test_rates(void)
{
    ft_mlm *c = ft_mlm_from_tokenizer(tok_dir, 0.15);
    enum { ROWS = 2000, T = 100 };
    size_t n = (size_t)ROWS * T;
    int32_t *ids = malloc(n * sizeof *ids), *am = malloc(n * sizeof *am);
    int32_t *out = malloc(n * sizeof *out), *lab = malloc(n * sizeof *lab);
    size_t real = 0;
    for (int r = 0; r < ROWS; r++) {
        int len = 10 + r % 90;
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)r * T + t;
            am[i] = t < len;
            ids[i] = t >= len ? 0 : t == 0 ? 101 : t == len - 1 ? 102 : 104 + (int32_t)((i * 2654435761u) % 20000);
            real += t > 0 && t < len - 1;
        }
    }
    size_t chosen = ft_mlm_mask(c, n, ids, am, out, lab, 1234);
    size_t masked = 0, randomised = 0, kept = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        int special = ids[i] < 104;
        if (lab[i] == -100) { bad += out[i] != ids[i]; continue; }
        bad += special || lab[i] != ids[i] || !am[i];
        if (out[i] == c->mask_id) masked++;
        else if (out[i] == ids[i]) kept++;
        else randomised++;
    }
    CHECK(bad == 0);
    CHECK(chosen == masked + randomised + kept);
    CHECK_NEAR((double)chosen / real, 0.15, 0.005);
    CHECK_NEAR((double)masked / chosen, 0.8, 0.01);
    CHECK_NEAR((double)randomised / chosen, 0.1, 0.01);
    CHECK_NEAR((double)kept / chosen, 0.1, 0.01);
    /* the same key masks the same way; another key differently */
    int32_t *out2 = malloc(n * sizeof *out2), *lab2 = malloc(n * sizeof *lab2);
    ft_mlm_mask(c, n, ids, am, out2, lab2, 1234);
    CHECK(!memcmp(out, out2, n * sizeof *out) && !memcmp(lab, lab2, n * sizeof *lab));
    ft_mlm_mask(c, n, ids, am, out2, lab2, 1235);
    CHECK(memcmp(lab, lab2, n * sizeof *lab) != 0);
    /* a token's draws depend on its position alone: padding the first row
       out changes nothing after it */
    for (int t = 0; t < T; t++) am[t] = 0;
    ft_mlm_mask(c, n, ids, am, out2, lab2, 1234);
    CHECK(!memcmp(lab + T, lab2 + T, (n - T) * sizeof *lab) && !memcmp(out + T, out2 + T, (n - T) * sizeof *out));
    free(ids); free(am); free(out); free(lab); free(out2); free(lab2);
    ft_mlm_free(c);
}

int main(void)
{
    snprintf(tok_dir, sizeof tok_dir, "%s/models/bert-base-chinese", test_shared());
    RUN(test_from_tokenizer);
    RUN(test_rates);
    TEST_MAIN_END();
}
