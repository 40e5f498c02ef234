/* What every libFuzzer harness in fuzz/ shares.
 *
 * ft's parsers report bad input through ft_die, which exits; a harness must
 * not exit, so ft_die_hook longjmps back here and the input counts as
 * rejected.  What the aborted call had allocated is then unreachable: the
 * sanitizer's malloc hooks record every block allocated while an input runs,
 * and FUZZ_RUN frees the ones still live after a rejection, so that
 * LeakSanitizer reports only real leaks (a block lost on an accepted input).
 *
 * Inputs reach the parsers the way a user's files do: on stdin (a memfd put
 * on fd 0) or as files in a private directory (fuzz_file).  Nothing here
 * writes outside that directory. */
#ifndef FT_FUZZ_H
#define FT_FUZZ_H
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

extern jmp_buf fuzz_jump;
void fuzz_track(int on);       /* record allocations (1) or stop (0) */
void fuzz_reclaim(void);       /* free what a rejected input left allocated */

/* Runs stmt; an ft_die inside it rejects the input.  ok (an int) is set to
   1 when stmt completed, 0 when it was rejected. */
#define FUZZ_RUN(ok, stmt) do {                                    \
        if (setjmp(fuzz_jump) == 0) {                              \
            fuzz_track(1); stmt; fuzz_track(0); (ok) = 1;          \
        } else { fuzz_reclaim(); (ok) = 0; }                       \
    } while (0)

/* Makes data the process's stdin (path "-"), from its first byte. */
void fuzz_stdin(const uint8_t *data, size_t n);
/* Writes data to NAME in the harness's private directory; returns its path
   (static storage, overwritten by the next call). */
const char *fuzz_file(const char *name, const uint8_t *data, size_t n);
const char *fuzz_dir(void);
/* ../shared (or $FT_SHARED): real tokenizer files, read in place. */
const char *fuzz_shared(void);
/* fuzz.c's LLVMFuzzerInitialize sets up the above, then calls the harness's
   fuzz_setup when it has one: run the target once there on a harmless input
   so that lazily allocated library state (stdio buffers, Unicode tables)
   exists before allocations are tracked. */
void fuzz_setup(void) __attribute__((weak));
/* Writes data to the file NAME and runs fn(path) on it under FUZZ_RUN;
   returns 1 when fn completed, 0 when the input was rejected. */
int fuzz_on_file(const char *name, const uint8_t *data, size_t n, void (*fn)(const char *path));
/* Reads stdin as a tool does (format force, FT_FMT_AUTO = sniffed): every
   record, printed as ft-cat prints it, under FUZZ_RUN. */
void fuzz_read_stdin(int force);


/* Encodes the bytes (repaired to UTF-8 when they are not) as a text, as a
   pair split at the first NUL, with options taken from the first byte, then
   decodes the ids back, with and without special tokens; also decodes the
   bytes read as little-endian ids, in range or not.  Shared by the tokenizer
   harnesses. */
struct ft_tokenizer;
void fuzz_encode_decode(const struct ft_tokenizer *t, const uint8_t *data, size_t n);
#endif
