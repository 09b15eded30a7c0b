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

/* Bytes (1 to 4) of the well-formed UTF-8 character at str, or 0 where none starts. */
static int
utf8_len(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
          : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
        return 0;
    for (int i = 1; i < n; i++)     /* stops at the terminating 0, which is no continuation */
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
        (n == 3 && s[0] == 0xed && s[1] >= 0xa0) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0;   /* overlong forms, surrogates, beyond U+10FFFF */
    return n;
}

int
ir_utf8_printable(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    int n = utf8_len(s);
    if ((n == 1 && (u[0] < 0x20 || u[0] == 0x7f)) || (n == 2 && u[0] == 0xc2 && u[1] < 0xa0))
        return 0;
    /* the bidirectional controls, which reorder how the text around them shows (and which gcc's
     * -Wbidi-chars refuses in a comment): U+061C, U+200E-200F, U+202A-202E, U+2066-2069 */
    if ((n == 2 && u[0] == 0xd8 && u[1] == 0x9c) ||
        (n == 3 && u[0] == 0xe2 && u[1] == 0x80 &&
         ((u[2] >= 0x8e && u[2] <= 0x8f) || (u[2] >= 0xaa && u[2] <= 0xae))) ||
        (n == 3 && u[0] == 0xe2 && u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9))
        return 0;
    return n;
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
