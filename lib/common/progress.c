/* progress: the in-place status line (see progress.h). */
#include "progress.h"
#include "util.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct ft_progress {
    int active;             /* stderr is a terminal and not quiet */
    int drawn;              /* a line is on screen */
    const char *unit;
    double start, total;
    double t0, last_draw;
};

/* the bar now drawn, if any: ft_warn and ft_die erase it before they print */
static ft_progress *on_screen;
static void erase_on_screen(void);

ft_progress *ft_progress_new(const char *unit, double start, double total, int quiet)
{
    ft_progress *p = ft_xcalloc(1, sizeof *p);
    ft_on_message(erase_on_screen);
    p->active = !quiet && isatty(STDERR_FILENO);
    p->unit = unit;
    p->start = start;
    p->total = total;
    p->t0 = ft_now();
    p->last_draw = -1;
    return p;
}

/* 1234567 -> "1.23M": counts of bytes or tokens stay short on the line */
static const char *human(double v, char *buf, size_t n)
{
    static const char sfx[] = " kMGT";
    int i = 0;
    while (v >= 10000 && i < 4) { v /= 1000; i++; }
    if (i == 0) snprintf(buf, n, v == (long)v ? "%.0f" : "%.1f", v);
    else snprintf(buf, n, "%.*f%c", v < 100 ? 2 : v < 1000 ? 1 : 0, v, sfx[i]);
    return buf;
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    return 80;
}

void ft_progress_update(ft_progress *p, double done, double frac, const char *extra, ...)
{
    if (!p || !p->active) return;
    double now = ft_now();
    if (frac < 0 && p->total > 0) frac = done / p->total;
    if (frac > 1) frac = 1;
    int last = frac >= 1;
    if (p->last_draw >= 0 && now - p->last_draw < 0.1 && !last) return;
    p->last_draw = now;

    char line[512], a[32], b[32];
    size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(line + n, n < sizeof line ? sizeof line - n : 0, __VA_ARGS__), \
                  n = n < sizeof line ? n : sizeof line - 1)
    PUT("%s: ", ft_prog);
    if (frac >= 0) {
        enum { W = 20 };
        int full = (int)(frac * W + 0.5);
        PUT("[%.*s%.*s] %3.0f%%  ", full, "####################", W - full, "--------------------",
            frac * 100);
    }
    PUT("%s", human(done, a, sizeof a));
    if (p->total > 0) PUT("/%s", human(p->total, b, sizeof b));
    PUT(" %s", p->unit);
    /* the ETA before the details: a narrow terminal cuts the line's end */
    double el = now - p->t0, f0 = p->total > 0 ? p->start / p->total : 0;
    if (frac > f0 && el > 0) {
        int eta = (int)(el / (frac - f0) * (1 - frac) + 0.5);
        if (eta >= 3600) PUT("  ETA %d:%02d:%02d", eta / 3600, eta / 60 % 60, eta % 60);
        else PUT("  ETA %d:%02d", eta / 60, eta % 60);
    }
    if (el > 0) PUT("  %s %s/s", human((done - p->start) / el, a, sizeof a), p->unit);
    if (extra && *extra) {
        va_list ap;
        va_start(ap, extra);
        PUT("  ");
        n += (size_t)vsnprintf(line + n, sizeof line - n, extra, ap);
        if (n >= sizeof line) n = sizeof line - 1;
        va_end(ap);
    }
#undef PUT
    /* a line wider than the terminal would wrap, and \r would then redraw
       only its last row */
    int w = term_width() - 1;
    if ((int)n > w) n = (size_t)w;
    fprintf(stderr, "\r\033[K%.*s", (int)n, line);
    fflush(stderr);
    p->drawn = 1;
    on_screen = p;
}

void ft_progress_clear(ft_progress *p)
{
    if (!p || !p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = 0;
    p->last_draw = -1;          /* redraw at once after the interruption */
    if (on_screen == p) on_screen = NULL;
}

static void erase_on_screen(void)
{
    if (on_screen) ft_progress_clear(on_screen);
}

void ft_progress_end(ft_progress *p)
{
    ft_progress_clear(p);
    free(p);
}
