/*
 * diag.c: diagnostics for bad input and environment failures. A Diag keeps the first message and
 * counts the rest, so a caller can report one clear line and still know whether more went wrong.
 * Messages read "FILE: what went wrong" (diag_node adds the node; see graph.c).
 */
#include "ir.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
ir_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "hetc: internal error: %s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

void
diag_init(Diag *d, const char *file)
{
    memset(d, 0, sizeof *d);
    d->file = file;
}

static void
vrecord(Diag *d, DiagKind kind, const char *fmt, va_list ap)
{
    if (d->nerr++ > 0)
        return;
    d->kind = kind;
    size_t n = 0;
    if (d->file) {
        int k = snprintf(d->msg, sizeof d->msg, "%s: ", d->file);
        n = k > 0 ? (size_t)k : 0;
        if (n >= sizeof d->msg)
            n = sizeof d->msg - 1;
    }
    vsnprintf(d->msg + n, sizeof d->msg - n, fmt, ap);
    /* keep the message on one printable line whatever a model's names contain */
    for (char *p = d->msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

int
diag_error(Diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vrecord(d, DIAG_INPUT, fmt, ap);
    va_end(ap);
    return -1;
}

int
diag_env(Diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vrecord(d, DIAG_ENV, fmt, ap);
    va_end(ap);
    return -1;
}

int
diag_oom(Diag *d)
{
    return diag_env(d, "out of memory");
}

int
diag_status(const Diag *d)
{
    return d->kind == DIAG_ENV ? 3 : 2;
}
