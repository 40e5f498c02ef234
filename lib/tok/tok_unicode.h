/* tok_unicode: UTF-8 decoding and the character classes the Hugging Face
   fast tokenizers use.  The classes come from a table probed from the Rust
   library itself (see scripts/gen_unicode_tables.sh): its BERT classes follow
   the old `unicode_categories` crate and its regex classes Oniguruma, so they
   differ from utf8proc: unassigned code points are not "control" to BERT
   (825k differences), 129 punctuation characters differ (U+061D is not
   punctuation, U+166D is), and Oniguruma's letters are a newer Unicode's
   (4924 differences, e.g. U+A7CB). */
#ifndef FT_TOK_UNICODE_H
#define FT_TOK_UNICODE_H
#include <stddef.h>
#include <stdint.h>

enum {
    FT_UC_CTRL  = 1,    /* BertNormalizer clean_text removes it (Cc Cf Co, U+FFFD) */
    FT_UC_WS    = 2,    /* BERT whitespace (Rust char::is_whitespace plus \t \n \r) */
    FT_UC_PUNCT = 4,    /* BertPreTokenizer punctuation (ASCII punct or Unicode P*) */
    FT_UC_CJK   = 8,    /* BertNormalizer handle_chinese_chars */
    FT_UC_L     = 16,   /* regex \p{L} (Oniguruma) */
    FT_UC_N     = 32,   /* regex \p{N} */
    FT_UC_S     = 64,   /* regex \s */
    FT_UC_RWS   = 128,  /* Rust char::is_whitespace (WhitespaceSplit, strip, lstrip/rstrip) */
    FT_UC_W     = 256,  /* \w of the Whitespace pre-tokenizer (Rust regex) */
    FT_UC_RS    = 512,  /* \s of the Whitespace pre-tokenizer */
    FT_UC_MARK  = 1024, /* StripAccents removes it (combining marks) */
    FT_UC_MN    = 2048, /* BertNormalizer strip_accents removes it (old Mn) */
};

typedef struct { uint32_t first, last; uint16_t bits; } ft_uc_run;
extern const ft_uc_run ft_uc_runs[];
extern const size_t ft_uc_nruns;

/* Class bits of code point c (0 for c > 0x10FFFF).  The table is expanded
   once, thread-safely, on first use. */
extern const uint16_t *ft_uc_table;
void ft_uc_init(void);
static inline unsigned ft_uc_class(uint32_t c)
{
    return c <= 0x10FFFF ? ft_uc_table[c] : 0;
}

/* Decode one UTF-8 character at s (n bytes available, n >= 1) into *cp;
   returns its length, or 0 when the bytes there are not valid UTF-8. */
static inline int ft_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = (c & 0x1F) << 6 | (s[1] & 0x3F); return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;          /* overlong */
        if (c == 0xED && s[1] > 0x9F) return 0;          /* surrogate */
        *cp = (c & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F); return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;          /* overlong */
        if (c == 0xF4 && s[1] > 0x8F) return 0;          /* > U+10FFFF */
        *cp = (c & 0x07) << 18 | (s[1] & 0x3F) << 12 | (s[2] & 0x3F) << 6 | (s[3] & 0x3F); return 4;
    }
    return 0;
}

/* Encode c as UTF-8 into out (4 bytes room); returns the length. */
int ft_utf8_encode(uint32_t c, char *out);

/* Byte offset of the first invalid UTF-8 sequence in s, or n if all valid. */
size_t ft_utf8_check(const char *s, size_t n);

/* Copy s to out replacing each maximal invalid subsequence by U+FFFD, as
   Python's bytes.decode("utf-8", errors="replace") does.  out needs room for
   3*n bytes; returns the output length. */
size_t ft_utf8_repair(const char *s, size_t n, char *out);

#endif
