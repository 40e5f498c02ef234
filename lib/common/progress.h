/* progress: one status line on stderr for a long run, redrawn in place —
   "ft-eval: [########------------]  40%  40/100 records  ETA 0:05  12.3 records/s".
   Every tool's bar comes from here (train steps, eval batches, tokenized
   bytes, generated records).  Silent (every call a no-op) when asked to be
   quiet or when stderr is not a terminal, so logs and pipes stay clean.
   libc only. */
#ifndef FT_PROGRESS_H
#define FT_PROGRESS_H

typedef struct ft_progress ft_progress;

/* unit names what `done` counts ("steps", "records").  start: the count
   already done when the run begins (a resumed training), so rate and ETA
   measure this run only.  total <= 0: unknown (no bar unless a fraction is
   given to ft_progress_update).  Never NULL. */
ft_progress *ft_progress_new(const char *unit, double start, double total, int quiet);
/* Redraws the line (at most ten times a second, always the first and the
   last time).  frac in [0, 1] overrides done/total for the bar and the ETA
   (e.g. the share of an input file read); < 0 means done/total.  extra, a
   printf format, adds fields after the rate ("epoch 0.50  1234 tok/s"). */
void ft_progress_update(ft_progress *p, double done, double frac, const char *extra, ...)
    __attribute__((format(printf, 4, 5)));
/* Erases the line, so that other output starts on a clean line; the next
   update draws it again. */
void ft_progress_clear(ft_progress *p);
/* Erases the line and frees p (NULL is fine). */
void ft_progress_end(ft_progress *p);
#endif
