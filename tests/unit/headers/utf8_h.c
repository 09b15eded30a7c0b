#include "ir/utf8.h"

#include <string.h>

/* also what the compiler and the runtime rely on: only well-formed UTF-8 decodes, the controls a
 * terminal could act on are unsafe, and a JSON string escapes them (C1 and bidirectional controls
 * as \uHHHH, bytes of bad UTF-8 as U+FFFD) */
int utf8_h_compiles;

static int
seq_is(const char *s, int len, uint32_t cp)
{
    uint32_t got = 0xffffffffu;
    int n = ir_utf8_seq(s, &got);
    return n == len && (len == 0 || got == cp);
}

static int
decodes(void)
{
    return seq_is("A", 1, 'A') && seq_is("\xc3\xa9", 2, 0xe9) && seq_is("\xc2\x9b", 2, 0x9b) &&
           seq_is("\xe2\x80\xae", 3, 0x202e) && seq_is("\xf0\x9f\x98\x80", 4, 0x1f600) &&
           seq_is("\xf4\x8f\xbf\xbf", 4, 0x10ffff) && seq_is("\x80", 0, 0) &&
           seq_is("\xc0\x80", 0, 0) && seq_is("\xc1\xbf", 0, 0) &&             /* overlong */
           seq_is("\xe0\x9f\xbf", 0, 0) && seq_is("\xf0\x8f\xbf\xbf", 0, 0) && /* overlong */
           seq_is("\xed\xa0\x80", 0, 0) && seq_is("\xed\xbf\xbf", 0, 0) &&     /* surrogates */
           seq_is("\xf4\x90\x80\x80", 0, 0) && seq_is("\xf5\x80\x80\x80", 0, 0) &&
           seq_is("\xe2\x80", 0, 0) && seq_is("\xc3(", 0, 0) && seq_is("\xff", 0, 0);
}

static int
unsafe_set(void)
{
    static const uint32_t yes[] = {0,     0x1b,   0x1f,   0x7f,   0x80,   0x9b,   0x9f,
                                   0x61c, 0x200e, 0x200f, 0x202a, 0x202e, 0x2066, 0x2069};
    static const uint32_t no[] = {' ',    '~',    0xa0,   0xe9,   0x61b,  0x200d,
                                  0x2010, 0x2029, 0x202f, 0x2065, 0x206a, 0x1f600};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!ir_cp_unsafe(yes[i]))
            return 0;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (ir_cp_unsafe(no[i]))
            return 0;
    return 1;
}

static int
json_is(const char *s, const char *want)
{
    char got[256];
    FILE *f = tmpfile();
    if (!f)
        return 0;
    ir_json_put_str(f, s);
    rewind(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = 0;
    return strcmp(got, want) == 0;
}

static int
json_strings(void)
{
    return json_is("", "\"\"") &&
           json_is("a\"b\\c\x1b[2J\n\x7f", "\"a\\\"b\\\\c\\u001b[2J\\u000a\\u007f\"") &&
           json_is("\xc2\x9b"
                   "31m\xe2\x80\xae"
                   "x\xd8\x9c",
                   "\"\\u009b31m\\u202ex\\u061c\"") &&
           json_is("W\xc3\xa9\xf0\x9f\x98\x80", "\"W\xc3\xa9\xf0\x9f\x98\x80\"") &&
           json_is("b\xff\xfe\x80\xc3(X\xed", "\"b\\ufffd\\ufffd\\ufffd\\ufffd(X\\ufffd\"");
}

__attribute__((constructor)) static void
check(void)
{
    utf8_h_compiles = decodes() && unsafe_set() && json_strings();
}
