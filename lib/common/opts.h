/* opts: a tool's flags as one table, parsed with getopt_long (so the
   abbreviations, the messages and the completion probes stay glibc's).  Each
   entry names a flag, what its value is and where it goes; parsing stores
   the values in order, dies on a bad one naming the flag, prints the usage
   to stderr and exits 2 on an unknown flag, to stdout and exits 0 on help. */
#ifndef FT_OPTS_H
#define FT_OPTS_H
#include <stdint.h>

enum ft_opt_kind {
    FT_OPT_FLAG,        /* no value: *(int *)dst = 1 */
    FT_OPT_UNSET,       /* no value: *(int *)dst = 0 (--no-...) */
    FT_OPT_INT,         /* int in [min, max] */
    FT_OPT_LONG,        /* long in [min, max] */
    FT_OPT_U64,         /* uint64_t from a long in [min, max] (seeds) */
    FT_OPT_FLOAT,       /* float in [lo, hi] */
    FT_OPT_DOUBLE,      /* double in [lo, hi] */
    FT_OPT_STR,         /* const char *: the value itself (borrowed from argv) */
    FT_OPT_CHOICE,      /* int = parse(value); -1 dies "--NAME: 'value' is not <choices>" */
    FT_OPT_CALL,        /* call(value, dst): the value checked and stored by the tool */
    FT_OPT_ALIAS,       /* another name of the flag `alias`, which it acts as and is named by */
    FT_OPT_HELP,        /* prints the usage to stdout and exits 0 */
};

typedef struct ft_opt {
    const char *name;               /* the long flag without "--"; NULL: short only */
    enum ft_opt_kind kind;
    void *dst;
    long min, max;                  /* FT_OPT_INT, LONG, U64 */
    double lo, hi;                  /* FT_OPT_FLOAT, DOUBLE */
    int (*parse)(const char *s);    /* FT_OPT_CHOICE: -1 if not a choice */
    const char *choices;            /* FT_OPT_CHOICE: "a, b or c" for the message */
    void (*call)(const char *value, void *dst);  /* FT_OPT_CALL */
    int optional;                   /* FT_OPT_CALL: the value may be left out (NULL) ... */
    int (*takes_next)(const char *word);  /* ... or come as the next word when this accepts it */
    const char *alias;              /* FT_OPT_ALIAS: the flag it stands for */
    int *given;                     /* set to 1 when the flag is met (may be NULL) */
    int short_name;                 /* 'o' for -o; 0: none */
} ft_opt;

/* Parses argv by the table (ended by an entry with neither name nor short
   name); returns the index of the first operand. */
int ft_opts_parse(int argc, char **argv, const ft_opt *opts, const char *usage);
#endif
