/* ft-plot: train_log.jsonl files in, loss curves out (PNG, SVG) through gnuplot. */
#include "publish.h"
#include "util.h"
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char usage[] =
"usage: ft-plot -o FILE [options] [NAME=]LOG...\n"
"Draws the log lines of ft-train runs (train_log.jsonl, or a run directory\n"
"holding one) as curves against the step: one panel per metric, one line per\n"
"run, so runs side by side (fp32 vs bf16, naive vs EWC) compare at a glance.\n"
"NAME= names a run in the legend (default: its directory).  A resumed run's\n"
"lines replace those it logged before from the same step on.  Needs gnuplot.\n"
"  -o, --output FILE    PNG or SVG, chosen by the name (.png, .svg); repeat for both\n"
"  -m, --metric NAME    a logged value to draw (repeat; default: loss, and eval_loss\n"
"                       when a run logged it)\n"
"  -x, --x step|epoch   the horizontal axis (default step)\n"
"      --title TEXT     a title over the panels\n"
"      --size WxH       image size in pixels (default 800 x 300 per panel)\n"
"  -h, --help           show this help\n";

typedef struct { double x, step, y; } point;
typedef struct { point *p; size_t n, cap; } series;
typedef struct {
    const char *name;     /* legend */
    const char *path;     /* train_log.jsonl */
    series *s;            /* one per metric */
} run;

/* Log lines of one run: each metric's points in step order.  A line whose
   step is not past the last kept one comes from a resumed run: it and what
   follows replace the earlier points from that step on. */
static void read_log(run *r, const char **metrics, int nm, int by_epoch)
{
    FILE *f = fopen(r->path, "r");
    if (!f) ft_die("%s: cannot open: %s", r->path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == 0) continue;
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        if (!json_is_object(j)) ft_die("%s:%ld: not a JSON object: %s", r->path, lineno, e.text);
        json_t *st = json_object_get(j, "step"), *xv = json_object_get(j, by_epoch ? "epoch" : "step");
        if (!json_is_number(st)) ft_die("%s:%ld: a log line without a step", r->path, lineno);
        for (int m = 0; m < nm; m++) {
            json_t *v = json_object_get(j, metrics[m]);
            if (!json_is_number(v) || !json_is_number(xv)) continue;
            series *s = &r->s[m];
            double step = json_number_value(st);
            while (s->n && s->p[s->n - 1].step >= step) s->n--;
            if (s->n == s->cap) s->p = ft_xrealloc(s->p, (s->cap = s->cap * 2 + 64) * sizeof *s->p);
            s->p[s->n++] = (point){json_number_value(xv), step, json_number_value(v)};
        }
        json_decref(j);
    }
    if (ferror(f)) ft_die("%s: read error", r->path);
    free(line);
    fclose(f);
}

/* a gnuplot single-quoted string: '' stands for ' */
static void quoted(FILE *g, const char *s)
{
    fputc('\'', g);
    for (; *s; s++) { if (*s == '\'') fputc('\'', g); fputc(*s, g); }
    fputc('\'', g);
}

/* One image: the data as inline datablocks, then one plot per metric. */
static void draw(const char *out, const run *runs, int nr, const char **metrics, int nm,
                 int by_epoch, const char *title, int w, int h)
{
    size_t len = strlen(out);
    int svg = len > 4 && !strcasecmp(out + len - 4, ".svg");
    if (!svg && !(len > 4 && !strcasecmp(out + len - 4, ".png")))
        ft_die("%s: an output name ends in .png or .svg", out);
    ft_outfile *o = ft_out_open(out, 0);        /* gnuplot writes o->tmp; committed below */
    signal(SIGPIPE, SIG_IGN);       /* a gnuplot that is missing or died: its exit status says so */
    FILE *g = popen("exec gnuplot", "w");
    if (!g) ft_die("cannot run gnuplot: %s", strerror(errno));
    fprintf(g, "set terminal %s size %d,%d font 'sans,10'%s\nset output ", svg ? "svg" : "pngcairo",
            w, h, svg ? " noenhanced dynamic background rgb 'white'" : " noenhanced");
    quoted(g, o->tmp);
    fputc('\n', g);
    for (int r = 0; r < nr; r++)
        for (int m = 0; m < nm; m++) {
            fprintf(g, "$d%d_%d << EOD\n", r, m);
            for (size_t i = 0; i < runs[r].s[m].n; i++)
                fprintf(g, "%.10g %.10g\n", runs[r].s[m].p[i].x, runs[r].s[m].p[i].y);
            fputs("EOD\n", g);
        }
    fprintf(g, "set multiplot layout %d,1", nm);
    if (title) { fputs(" title ", g); quoted(g, title); }
    fprintf(g, "\nset grid\nset key top right\nset xlabel '%s'\n", by_epoch ? "epoch" : "step");
    /* one x range for every panel, so that a step lines up across them */
    double lo = 0, hi = 0;
    int any = 0;
    for (int r = 0; r < nr; r++)
        for (int m = 0; m < nm; m++)
            for (size_t i = 0; i < runs[r].s[m].n; i++) {
                double x = runs[r].s[m].p[i].x;
                if (!any || x < lo) lo = x;
                if (!any || x > hi) hi = x;
                any = 1;
            }
    double pad = (hi - lo) * 0.02;    /* marks at the ends stay whole */
    if (hi > lo) fprintf(g, "set xrange [%.10g:%.10g]\n", lo - pad, hi + pad);
    for (int m = 0; m < nm; m++) {
        fputs("set title ", g);
        quoted(g, metrics[m]);
        fputs("\nplot ", g);
        int first = 1;
        for (int r = 0; r < nr; r++) {
            const series *s = &runs[r].s[m];
            if (!s->n) continue;
            /* few points (evaluations) get marks; the colour is the run's in every panel */
            fprintf(g, "%s$d%d_%d with %s lt %d title ", first ? "" : ", ", r, m,
                    s->n <= 30 ? "linespoints pt 7 ps 0.6" : "lines", r + 1);
            quoted(g, runs[r].name);
            first = 0;
        }
        fputc('\n', g);
    }
    fputs("unset multiplot\nset output\n", g);
    int rc = pclose(g);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) == 127)
        ft_die("gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    if (WEXITSTATUS(rc) != 0) ft_die("%s: gnuplot failed (exit %d)", out, WEXITSTATUS(rc));
    ft_out_commit(o);
}

int main(int argc, char **argv)
{
    ft_set_prog(argv[0]);
    enum { O_TITLE = 256, O_SIZE };
    static const struct option opts[] = {
        {"output", 1, 0, 'o'}, {"metric", 1, 0, 'm'}, {"x", 1, 0, 'x'}, {"title", 1, 0, O_TITLE},
        {"size", 1, 0, O_SIZE}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char **outs = ft_xcalloc(argc, sizeof *outs), **metrics = ft_xcalloc(argc + 2, sizeof *metrics);
    const char *title = NULL;
    int nout = 0, nm = 0, by_epoch = 0, w = 0, h = 0, c;
    while ((c = getopt_long(argc, argv, "o:m:x:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outs[nout++] = optarg; break;
        case 'm': metrics[nm++] = optarg; break;
        case 'x':
            if (!strcmp(optarg, "epoch")) by_epoch = 1;
            else if (strcmp(optarg, "step")) ft_die("--x: step or epoch, not '%s'", optarg);
            break;
        case O_TITLE: title = optarg; break;
        case O_SIZE:
            if (sscanf(optarg, "%dx%d", &w, &h) != 2 || w < 100 || h < 100 || w > 20000 || h > 20000)
                ft_die("--size: WxH in pixels (100 to 20000), not '%s'", optarg);
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!nout) ft_die("-o FILE.png or FILE.svg is required (see --help)");
    if (optind == argc) ft_die("no log to draw: give train_log.jsonl files or run directories");
    int nr = argc - optind, defaults = !nm;
    if (defaults) { metrics[nm++] = "loss"; metrics[nm++] = "eval_loss"; }
    run *runs = ft_xcalloc(nr, sizeof *runs);
    for (int r = 0; r < nr; r++) {
        char *arg = ft_xstrdup(argv[optind + r]), *eq = strchr(arg, '=');
        struct stat st;
        /* NAME=LOG, unless the whole argument is a path that exists */
        if (eq && stat(arg, &st) != 0) { *eq = 0; runs[r].name = arg; arg = eq + 1; }
        runs[r].path = stat(arg, &st) == 0 && S_ISDIR(st.st_mode)
                     ? ft_xasprintf("%s/train_log.jsonl", arg) : arg;
        if (!runs[r].name) {        /* the run's directory names it */
            char *d = ft_xstrdup(runs[r].path), *slash = strrchr(d, '/');
            if (slash) { *slash = 0; slash = strrchr(d, '/'); }
            runs[r].name = strchr(runs[r].path, '/') ? (slash ? slash + 1 : d) : runs[r].path;
        }
        runs[r].s = ft_xcalloc(nm, sizeof *runs[r].s);
        read_log(&runs[r], metrics, nm, by_epoch);
    }
    /* a metric no run logged: an error when asked for, dropped when a default */
    for (int m = 0; m < nm; m++) {
        int any = 0;
        for (int r = 0; r < nr; r++) any |= runs[r].s[m].n > 0;
        if (any) continue;
        if (!defaults || m == 0) ft_die("no run logged \"%s\" (with a \"%s\")", metrics[m], by_epoch ? "epoch" : "step");
        for (int r = 0; r < nr; r++) memmove(&runs[r].s[m], &runs[r].s[m + 1], (nm - m - 1) * sizeof *runs[r].s);
        memmove(&metrics[m], &metrics[m + 1], (nm - m - 1) * sizeof *metrics);
        nm--, m--;
    }
    for (int i = 0; i < nout; i++)
        draw(outs[i], runs, nr, metrics, nm, by_epoch, title, w ? w : 800, h ? h : 300 * nm);
    return 0;
}
