/* Memory helpers, error messages and the progress bar. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void out_of_memory(size_t n) {
    fprintf(stderr, "error: out of memory (allocating %zu bytes)\n", n);
    exit(EXIT_FAIL);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        out_of_memory(n);
    }
    return p;
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        out_of_memory(n * size);
    }
    return p;
}

void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        out_of_memory(n);
    }
    return q;
}

char *xmemdup(const void *p, size_t n) {
    char *q = xmalloc(n + 1);
    if (n > 0) {
        memcpy(q, p, n);
    }
    q[n] = '\0';
    return q;
}

char *xstrdup(const char *s) { return xmemdup(s, strlen(s)); }

char *xasprintf(const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
        small[0] = '\0';
    }
    if ((size_t)n < sizeof small) {
        return xmemdup(small, (size_t)n);
    }
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- growable strings ---------------------------------------------------------- */

void sb_putn(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_putc(sbuf *b, char c) { sb_putn(b, &c, 1); }

void sb_printf(sbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    if ((size_t)n < sizeof small) {
        sb_putn(b, small, (size_t)n);
        return;
    }
    char *tmp = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, tmp, (size_t)n);
    free(tmp);
}

char *sb_steal(sbuf *b) {
    char *p = b->p ? b->p : xmemdup("", 0);
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

void sb_free(sbuf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* stdout is flushed first so the error appears after the output it
 * interrupts when both streams go to the same terminal or file. */
static void verror(const char *fmt, va_list ap, const char *suffix)
    __attribute__((format(printf, 1, 0)));
static void verror(const char *fmt, va_list ap, const char *suffix) {
    fflush(stdout);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (suffix != NULL) {
        fputs(suffix, stderr);
    }
    fputc('\n', stderr);
}

void cli_warning(const char *fmt, ...) {
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    fputs("warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap, NULL);
    va_end(ap);
}

void cli_lib_error(tgm_error err, const char *fmt, ...) {
    const char *detail = tgm_last_error();
    if (detail == NULL || detail[0] == '\0') {
        detail = tgm_error_string(err);
    }
    char *suffix = xasprintf(": %s", detail);
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap, suffix);
    va_end(ap);
    free(suffix);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    char *suffix = cmd != NULL ? xasprintf(" (see 'tensogram %s --help')", cmd)
                               : xstrdup(" (see 'tensogram --help')");
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap, suffix);
    va_end(ap);
    free(suffix);
    return EXIT_USAGE;
}

bool cli_flush_stdout(void) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "error: writing to standard output: %s\n", strerror(e));
        return false;
    }
    return true;
}

/* ---- progress bar ------------------------------------------------------------------ */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(cli_progress *p, const char *label, size_t total) {
    memset(p, 0, sizeof *p);
    p->label = label;
    p->total = total;
    p->start = now_seconds();
    const char *term = getenv("TERM");
    p->enabled = total > 0 && isatty(STDERR_FILENO) && !(term != NULL && strcmp(term, "dumb") == 0);
}

void progress_update(cli_progress *p, size_t done) {
    if (!p->enabled) {
        return;
    }
    double t = now_seconds();
    /* Quiet for short runs; at most ten redraws a second afterwards. */
    if (t - p->start < 0.5 || (p->drawn && t - p->last_draw < 0.1 && done < p->total)) {
        return;
    }
    enum { WIDTH = 30 };
    size_t fill = p->total ? (size_t)((double)done / (double)p->total * WIDTH) : WIDTH;
    if (fill > WIDTH) {
        fill = WIDTH;
    }
    char bar[WIDTH + 1];
    memset(bar, '#', fill);
    memset(bar + fill, '-', WIDTH - fill);
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %zu/%zu", p->label, bar, done, p->total);
    fflush(stderr);
    p->drawn = true;
    p->last_draw = t;
}

void progress_end(cli_progress *p) {
    if (p->drawn) {
        /* Clear the line so later messages start on a clean one. */
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->drawn = false;
}
