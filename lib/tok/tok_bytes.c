/* tok_bytes: GPT-2's byte-level alphabet (ByteLevel pre-tokenizer and
   decoder), both ways; used by loading (merges, vocabularies) and by encode
   and decode. */
#include "tok_internal.h"

/* GPT-2's byte-to-unicode alphabet: printable Latin-1 bytes stand for
   themselves, the other 68 bytes are shifted to U+0100.. in byte order. */
uint32_t tok_byte_to_cp(int b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) return b;
    int n = 0;
    for (int x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) n++;
    return 256 + n;
}

static int cp_to_byte[324];
void tok_bytes_init(void)
{
    for (int i = 0; i < 324; i++) cp_to_byte[i] = -1;
    for (int b = 0; b < 256; b++) cp_to_byte[tok_byte_to_cp(b)] = b;
}

int tok_cp_to_byte(uint32_t cp) { return cp < 324 ? cp_to_byte[cp] : -1; }
