#!/bin/sh
# Another C program linking libft: `make install` puts libft.a, libft.so, the
# public headers (include/ft/: tokenizer.h, stream.h and what they include)
# and ft.pc under PREFIX; pkg-config gives the compiler what it needs, so
# libft/count-tokens.c builds with
#     cc count-tokens.c $(pkg-config --cflags --libs ft)
# and counts the tokens of the medical questions with the bert-base-chinese
# tokenizer.  With libft under a PREFIX pkg-config does not search, set
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig (and LD_LIBRARY_PATH=PREFIX/lib to run).
#
# Prints count-tokens' JSON line: records, tokens, the longest record.
# Environment: DATA (../shared/data/medical/medical_texts.csv), MODEL
# (../shared/models/bert-base-chinese), OUT (out/examples/libft), CC (cc).
. "$(dirname "$0")/common.sh"
MODEL=${MODEL:-$shared/models/bert-base-chinese}

pkg-config --exists ft || { echo "libft.sh: pkg-config finds no ft: run make install (see above)" >&2; exit 1; }
${CC:-cc} -o "$OUT/count-tokens" "$here/libft/count-tokens.c" $(pkg-config --cflags --libs ft)
"$OUT/count-tokens" "$MODEL" "$DATA"
