#include "opts.h"
#include "util.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends(const ft_opt *o) { return !o->name && !o->short_name; }

static const ft_opt *alias_target(const ft_opt *opts, const ft_opt *o)
{
    for (const ft_opt *t = opts; !ends(t); t++)
        if (t->name && !strcmp(t->name, o->alias)) return t;
    ft_die("internal: --%s is an alias of an unknown flag --%s", o->name, o->alias);
}

static int has_arg(const ft_opt *o)
{
    if (o->kind == FT_OPT_FLAG || o->kind == FT_OPT_UNSET || o->kind == FT_OPT_HELP) return no_argument;
    return o->optional ? optional_argument : required_argument;
}

/* Stores one flag's value; flag is "--name" (or "-c") for the messages. */
static void store(const ft_opt *o, const char *flag, const char *v)
{
    switch (o->kind) {
    case FT_OPT_FLAG: *(int *)o->dst = 1; break;
    case FT_OPT_UNSET: *(int *)o->dst = 0; break;
    case FT_OPT_INT: *(int *)o->dst = (int)ft_parse_long(flag, v, o->min, o->max); break;
    case FT_OPT_LONG: *(long *)o->dst = ft_parse_long(flag, v, o->min, o->max); break;
    case FT_OPT_U64: *(uint64_t *)o->dst = (uint64_t)ft_parse_long(flag, v, o->min, o->max); break;
    case FT_OPT_FLOAT: *(float *)o->dst = (float)ft_parse_double(flag, v, o->lo, o->hi); break;
    case FT_OPT_DOUBLE: *(double *)o->dst = ft_parse_double(flag, v, o->lo, o->hi); break;
    case FT_OPT_STR: *(const char **)o->dst = v; break;
    case FT_OPT_CHOICE:
        if ((*(int *)o->dst = o->parse(v)) < 0) ft_die("%s: '%s' is not %s", flag, v, o->choices);
        break;
    case FT_OPT_CALL: o->call(v, o->dst); break;
    case FT_OPT_ALIAS: case FT_OPT_HELP: break;
    }
    if (o->given) *o->given = 1;
}

int ft_opts_parse(int argc, char **argv, const ft_opt *opts, const char *usage)
{
    int n = 0, nlong = 0;
    while (!ends(&opts[n])) n++;
    struct option *lo = ft_xcalloc(n + 1, sizeof *lo);
    char *shorts = ft_xcalloc(2 * n + 2, 1), *sp = shorts;
    for (int i = 0; i < n; i++) {
        const ft_opt *o = &opts[i];
        /* an alias acts as its flag: the same getopt entry, so no new ambiguity */
        const ft_opt *t = o->kind == FT_OPT_ALIAS ? alias_target(opts, o) : o;
        if (o->name) lo[nlong++] = (struct option){o->name, has_arg(t), NULL, 256 + (int)(t - opts)};
        if (o->short_name) {
            *sp++ = (char)o->short_name;
            if (has_arg(o) != no_argument) *sp++ = ':';
        }
    }
    int c;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        const ft_opt *o = NULL;
        if (c >= 256) o = &opts[c - 256];
        else for (int i = 0; i < n && !o; i++) if (opts[i].short_name == c) o = &opts[i];
        if (!o) { fputs(usage, stderr); exit(2); }
        if (o->kind == FT_OPT_HELP) { fputs(usage, stdout); exit(0); }
        const char *v = optarg;
        /* an optional value may also be the next word (HF's --resume-from-checkpoint) */
        if (!v && o->optional && o->takes_next && optind < argc && o->takes_next(argv[optind]))
            v = argv[optind++];
        char flag[128];
        if (o->name) snprintf(flag, sizeof flag, "--%s", o->name);
        else snprintf(flag, sizeof flag, "-%c", o->short_name);
        store(o, flag, v);
    }
    free(lo);
    free(shorts);
    return optind;
}
