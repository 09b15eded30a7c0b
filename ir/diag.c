/*
 * diag.c: diagnostics for bad input and environment failures. A Diag keeps the first message and
 * counts the rest, so a caller can report one clear line and still know whether more went wrong.
 * Messages read "FILE: what went wrong" (diag_node adds the node; see graph.c).
 *
 * Whatever a model's names hold reaches a terminal only escaped: a message is formatted, then
 * every byte that is a control character (C0, DEL, C1, the bidirectional controls) or not part of
 * well-formed UTF-8 becomes \xNN, so a diagnostic stays one printable line that shows as it
 * reads. ir_put_escaped does the same for printers.
 */
#include "ir.h"
#include "utf8.h"

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

int
ir_utf8_printable(const char *s)
{
    uint32_t cp;
    int n = ir_utf8_seq(s, &cp);
    return n > 0 && !ir_cp_unsafe(cp) ? n : 0;
}

/* s escaped into buf (size > 0), cut before an escape or character that does not fit. */
static void
escape(const char *s, char *buf, size_t size)
{
    size_t k = 0;
    while (*s) {
        int n = ir_utf8_printable(s);
        if (n == 0) {
            if (k + 4 >= size)
                break;
            snprintf(buf + k, 5, "\\x%02x", (unsigned char)*s);
            k += 4;
            s++;
        } else {
            if (k + (size_t)n >= size)
                break;
            memcpy(buf + k, s, (size_t)n);
            k += (size_t)n;
            s += n;
        }
    }
    buf[k] = 0;
}

int
ir_put_escaped(const char *s, FILE *f)
{
    int w = 0;
    while (*s) {
        int n = ir_utf8_printable(s);
        if (n == 0) {
            fprintf(f, "\\x%02x", (unsigned char)*s++);
            w += 4;
        } else {
            fwrite(s, 1, (size_t)n, f);
            s += n;
            w++;
        }
    }
    return w;
}

static void
vrecord(Diag *d, DiagKind kind, const char *fmt, va_list ap)
{
    if (d->nerr++ > 0)
        return;
    d->kind = kind;
    char raw[sizeof d->msg];
    size_t n = 0;
    if (d->file) {
        int k = snprintf(raw, sizeof raw, "%s: ", d->file);
        n = k > 0 ? (size_t)k : 0;
        if (n >= sizeof raw)
            n = sizeof raw - 1;
    }
    vsnprintf(raw + n, sizeof raw - n, fmt, ap);
    /* one printable line whatever a model's names or the file's name contain */
    escape(raw, d->msg, sizeof d->msg);
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
