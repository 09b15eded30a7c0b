/*
 * json.c: a strict JSON reader (RFC 8259) for the files hetc reads back: traces and profiles.
 *
 * One pass of recursive descent over text[0, len) (no NUL terminator needed; a NUL byte is an
 * error like any other character JSON does not allow there). Members of the array or object being
 * read wait on a scratch stack, shared by every nesting level, and move into the arena once their
 * count is known, so the tree costs one Json per value plus its strings. Bounds on hostile input:
 * nesting at most JSON_MAXDEPTH, at most MAXVALUES values (a 1-byte value takes 64 bytes of tree),
 * a number at most MAXNUM characters (parsed by strtod on a NUL-terminated copy; one out of
 * double's range is an error), strings well-formed UTF-8, \u escapes paired into one code point
 * (a lone surrogate is an error). Whitespace is space, tab, CR and LF; no byte order mark, no
 * comments, no trailing commas. Duplicate keys are kept; json_get finds the first.
 */
#include "json.h"
#include "ir.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXVALUES = 1 << 21, MAXNUM = 128 };

typedef struct Doc {
    Arena *arena;               /* owns the Doc, the tree and its strings */
    Json root;
} Doc;

typedef struct Parser {
    const char *s, *end;        /* the next byte, the end of the text */
    int line;
    Arena *arena;
    Json *stack;                /* members waiting for their array or object (ir_alloc) */
    const char **keys;          /* their keys (objects) */
    size_t nstack, capstack;
    long nvalues;
    char *err;
    size_t errsize;
    int failed, oom;
} Parser;

static int fail(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error as "line N: what"; returns -1. */
static int
fail(Parser *p, const char *fmt, ...)
{
    if (!p->failed) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errsize, "line %d: %s", p->line, msg);
    }
    p->failed = 1;
    return -1;
}

static int
fail_oom(Parser *p)
{
    p->oom = 1;
    return fail(p, "out of memory");
}

static void
skip_ws(Parser *p)
{
    while (p->s < p->end) {
        char c = *p->s;
        if (c == '\n')
            p->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            return;
        p->s++;
    }
}

/* What the next byte is, for messages: "end of input", "'x'" or "byte 0xNN". */
static const char *
describe(const Parser *p, char *buf, size_t size)
{
    if (p->s >= p->end)
        return "end of input";
    unsigned char c = (unsigned char)*p->s;
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static int
unexpected(Parser *p, const char *wanted)
{
    char buf[16];
    return fail(p, "expected %s, found %s", wanted, describe(p, buf, sizeof buf));
}

static int
push(Parser *p, const Json *v, const char *key)
{
    if (p->nstack == p->capstack) {
        size_t cap = p->capstack ? 2 * p->capstack : 64;
        Json *s = ir_realloc(p->stack, cap * sizeof *s);
        if (!s)
            return fail_oom(p);
        p->stack = s;
        const char **k = ir_realloc(p->keys, cap * sizeof *k);
        if (!k)
            return fail_oom(p);
        p->keys = k;
        p->capstack = cap;
    }
    p->stack[p->nstack] = *v;
    p->keys[p->nstack] = key;
    p->nstack++;
    return 0;
}

/* Moves the members from stack[base] on into v's arrays, and pops them. */
static int
collect(Parser *p, Json *v, size_t base)
{
    size_t n = p->nstack - base;
    v->n = (int)n;
    if (n > 0) {
        v->kid = ir_arena_alloc(p->arena, n * sizeof *v->kid);
        if (!v->kid)
            return fail_oom(p);
        memcpy(v->kid, p->stack + base, n * sizeof *v->kid);
        if (v->type == JS_OBJ) {
            v->key = ir_arena_alloc(p->arena, n * sizeof *v->key);
            if (!v->key)
                return fail_oom(p);
            memcpy(v->key, p->keys + base, n * sizeof *v->key);
        }
    }
    p->nstack = base;
    return 0;
}

static int
hex4(Parser *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s + i < p->end ? p->s[i] : 0;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return fail(p, "\\u escape needs 4 hex digits");
        v = v << 4 | d;
    }
    p->s += 4;
    *out = v;
    return 0;
}

/* Code point cp as UTF-8 at o; returns the bytes written. */
static size_t
put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The escape after a backslash (p->s just past it), decoded into o; its bytes, or -1. */
static int
escape(Parser *p, char *o)
{
    if (p->s >= p->end)
        return fail(p, "string cut short");
    char c = *p->s++;
    switch (c) {
    case '"': case '\\': case '/':
        *o = c;
        return 1;
    case 'b': *o = '\b'; return 1;
    case 'f': *o = '\f'; return 1;
    case 'n': *o = '\n'; return 1;
    case 'r': *o = '\r'; return 1;
    case 't': *o = '\t'; return 1;
    case 'u': break;
    default: {
        char buf[16];
        p->s--;
        return fail(p, "invalid escape: backslash and %s", describe(p, buf, sizeof buf));
    }
    }
    unsigned cp;
    if (hex4(p, &cp) < 0)
        return -1;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail(p, "\\u escape: a low surrogate with no high surrogate before it");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        unsigned lo;
        if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u')
            return fail(p, "\\u escape: a high surrogate with no low surrogate after it");
        p->s += 2;
        if (hex4(p, &lo) < 0)
            return -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(p, "\\u escape: a high surrogate with no low surrogate after it");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    return (int)put_utf8(o, cp);
}

/* The string at p->s (just past its opening quote) into the arena: *out, *outlen. */
static int
string(Parser *p, const char **out, size_t *outlen)
{
    /* the decoded string is never longer than its source text */
    const char *q = p->s;
    while (q < p->end && *q != '"') {
        if (*q == '\\' && q + 1 < p->end)
            q++;
        q++;
    }
    if (q >= p->end) {
        p->s = p->end;
        return fail(p, "string not closed before the end of input");
    }
    char *buf = ir_arena_alloc(p->arena, (size_t)(q - p->s) + 1);
    if (!buf)
        return fail_oom(p);
    size_t n = 0;
    for (;;) {
        unsigned char c = (unsigned char)*p->s;
        if (c == '"') {
            p->s++;
            break;
        }
        if (c == '\\') {
            p->s++;
            int k = escape(p, buf + n);
            if (k < 0)
                return -1;
            n += (size_t)k;
        } else if (c < 0x20) {
            char b[16];
            return fail(p, "%s in a string (escape it)", describe(p, b, sizeof b));
        } else if (c < 0x80) {
            buf[n++] = (char)c;
            p->s++;
        } else {
            /* a bounded, NUL-terminated copy for ir_utf8_seq */
            char seq[5] = {0};
            size_t avail = (size_t)(p->end - p->s);
            memcpy(seq, p->s, avail < 4 ? avail : 4);
            uint32_t cp;
            int k = ir_utf8_seq(seq, &cp);
            if (k == 0)
                return fail(p, "a string is not well-formed UTF-8");
            memcpy(buf + n, p->s, (size_t)k);
            n += (size_t)k;
            p->s += k;
        }
    }
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return 0;
}

static int
number(Parser *p, Json *v)
{
    const char *a = p->s, *q = p->s;
    if (q < p->end && *q == '-')
        q++;
    if (q < p->end && *q == '0') {
        q++;
    } else if (q < p->end && *q >= '1' && *q <= '9') {
        while (q < p->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        p->s = q;
        return unexpected(p, "a digit");
    }
    if (q < p->end && *q == '.') {
        q++;
        if (q >= p->end || *q < '0' || *q > '9') {
            p->s = q;
            return unexpected(p, "a digit after '.'");
        }
        while (q < p->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < p->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < p->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= p->end || *q < '0' || *q > '9') {
            p->s = q;
            return unexpected(p, "a digit in the exponent");
        }
        while (q < p->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q - a >= MAXNUM)
        return fail(p, "a number longer than %d characters", MAXNUM - 1);
    char buf[MAXNUM];
    memcpy(buf, a, (size_t)(q - a));
    buf[q - a] = 0;
    v->num = strtod(buf, NULL);
    if (!isfinite(v->num))
        return fail(p, "number %s is out of range", buf);
    p->s = q;
    return 0;
}

static int
literal(Parser *p, const char *word, JsonType type, Json *v)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return unexpected(p, "a value");
    p->s += n;
    v->type = type;
    return 0;
}

static int value(Parser *p, Json *v, int depth);

static int
array(Parser *p, Json *v, int depth)
{
    size_t base = p->nstack;
    p->s++;
    skip_ws(p);
    if (p->s < p->end && *p->s == ']') {
        p->s++;
        return 0;
    }
    for (;;) {
        Json kid;
        if (value(p, &kid, depth + 1) < 0 || push(p, &kid, NULL) < 0)
            return -1;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == ']')
            break;
        return unexpected(p, "',' or ']' in an array");
    }
    p->s++;
    return collect(p, v, base);
}

static int
object(Parser *p, Json *v, int depth)
{
    size_t base = p->nstack;
    p->s++;
    skip_ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        return 0;
    }
    for (;;) {
        const char *key;
        size_t keylen;
        skip_ws(p);
        if (p->s >= p->end || *p->s != '"')
            return unexpected(p, "a string key");
        p->s++;
        if (string(p, &key, &keylen) < 0)
            return -1;
        skip_ws(p);
        if (p->s >= p->end || *p->s != ':')
            return unexpected(p, "':' after a key");
        p->s++;
        Json kid;
        if (value(p, &kid, depth + 1) < 0 || push(p, &kid, key) < 0)
            return -1;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == '}')
            break;
        return unexpected(p, "',' or '}' in an object");
    }
    p->s++;
    return collect(p, v, base);
}

/* One value (whitespace before it skipped) into *v. */
static int
value(Parser *p, Json *v, int depth)
{
    memset(v, 0, sizeof *v);
    skip_ws(p);
    v->line = p->line;
    if (++p->nvalues > MAXVALUES)
        return fail(p, "more than %d values", MAXVALUES);
    if (p->s >= p->end)
        return unexpected(p, "a value");
    switch (*p->s) {
    case '{':
    case '[':
        if (depth >= JSON_MAXDEPTH)
            return fail(p, "nested deeper than %d levels", JSON_MAXDEPTH);
        v->type = *p->s == '{' ? JS_OBJ : JS_ARR;
        return v->type == JS_OBJ ? object(p, v, depth) : array(p, v, depth);
    case '"':
        v->type = JS_STR;
        p->s++;
        return string(p, &v->str, &v->len);
    case 't':
        return literal(p, "true", JS_TRUE, v);
    case 'f':
        return literal(p, "false", JS_FALSE, v);
    case 'n':
        return literal(p, "null", JS_NULL, v);
    default:
        v->type = JS_NUM;
        if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
            return number(p, v);
        return unexpected(p, "a value");
    }
}

Json *
json_parse(const char *text, size_t len, char *err, size_t errsize, int *oom)
{
    char dummy[8];
    if (!err || errsize == 0)
        err = dummy, errsize = sizeof dummy;
    err[0] = 0;
    if (oom)
        *oom = 0;
    Parser p = {.s = text, .end = text + len, .line = 1, .err = err, .errsize = errsize};
    if (!text)
        p.s = p.end = "";
    p.arena = ir_arena_new();
    Doc *doc = p.arena ? ir_arena_alloc(p.arena, sizeof *doc) : NULL;
    if (!doc) {
        fail_oom(&p);
    } else {
        doc->arena = p.arena;
        if (len >= 3 && memcmp(p.s, "\xef\xbb\xbf", 3) == 0)
            fail(&p, "a byte order mark (JSON text starts without one)");
        else if (value(&p, &doc->root, 0) == 0) {
            skip_ws(&p);
            if (p.s < p.end)
                unexpected(&p, "the end of input after the value");
        }
    }
    ir_free(p.stack);
    ir_free(p.keys);
    if (p.failed) {
        if (oom && p.oom)
            *oom = 1;
        if (p.arena)
            ir_arena_free(p.arena);
        return NULL;
    }
    return &doc->root;
}

void
json_free(Json *root)
{
    if (!root)
        return;
    Doc *doc = (Doc *)(void *)((char *)root - offsetof(Doc, root));
    ir_arena_free(doc->arena);
}

const Json *
json_get(const Json *o, const char *key)
{
    if (!o || o->type != JS_OBJ || !key)
        return NULL;
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->key[i], key) == 0)
            return &o->kid[i];
    return NULL;
}
