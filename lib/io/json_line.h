/* json_line: the common JSONL record, parsed without building a DOM.
   A line that is one flat object of strings, integers, true, false and null
   (what text data sets hold) is read straight into the record; anything else
   (arrays, nested objects, reals, duplicate keys, lone surrogates, invalid
   JSON or UTF-8) is left to the full jansson path, which also writes the
   error messages.  The results are the same either way; this only saves the
   DOM's allocations and copies in the hot loop of ft-tokenize. */
#ifndef FT_JSON_LINE_H
#define FT_JSON_LINE_H
#include "record.h"

/* 1: the line s[0..n) was read into rec (appended fields); 0: it needs the
   full parser (rec may hold partial fields: clear it). */
int ft_json_line_fast(ft_record *rec, const char *s, size_t n);
#endif
