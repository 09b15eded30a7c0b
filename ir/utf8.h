/*
 * utf8.h: text from a model, checked before it reaches a terminal or a JSON file. Shared by the
 * compiler (diagnostics, inspect --json, NAME.plan.json) and the runtime (the binary's report,
 * --json and --trace), so both read a name's bytes alike. Header-only, so that the two never link
 * each other.
 *
 * ir_utf8_seq accepts well-formed UTF-8 only: no stray continuation byte, no overlong form, no
 * surrogate, nothing above U+10FFFF, no sequence cut short. ir_cp_unsafe names the code points a
 * terminal could act on or that reorder the text shown around them.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

/* The length (1 to 4) of the well-formed UTF-8 sequence at str, its code point in *cp; 0 where
 * none starts (*cp is then left alone). Reads no further than a terminating NUL. */
static inline int
ir_utf8_seq(const char *str, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    int n;
    uint32_t v, lo = 0x80;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0fu, lo = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07u, lo = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < lo || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* Whether code point cp is unsafe to show raw: the C0 controls, DEL, the C1 controls, and the
 * bidirectional controls, which reorder how the text around them shows (and which gcc's
 * -Wbidi-chars refuses in a comment): U+061C, U+200E-200F, U+202A-202E, U+2066-2069. */
static inline int
ir_cp_unsafe(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c ||
           (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* s as a JSON string on f: well-formed UTF-8 as it is, a quote and a backslash as \" and \\,
 * each unsafe code point (ir_cp_unsafe) as \uHHHH, each byte outside well-formed UTF-8 as
 * \ufffd (U+FFFD). The text is valid JSON and safe on a terminal. */
static inline void
ir_json_put_str(FILE *f, const char *s)
{
    fputc('"', f);
    while (*s) {
        uint32_t cp;
        int n = ir_utf8_seq(s, &cp);
        if (n == 0)
            fputs("\\ufffd", f), n = 1;
        else if (cp == '"' || cp == '\\')
            fprintf(f, "\\%c", (char)cp);
        else if (ir_cp_unsafe(cp))
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fwrite(s, 1, (size_t)n, f);
        s += n;
    }
    fputc('"', f);
}
