/*
 * test_json.c: the JSON reader (ir/json.c). Good documents give the tree they spell (scalars,
 * nesting, escapes and surrogate pairs to UTF-8, \u0000 inside a string, lines); hostile ones give
 * one "line N: what" and no tree: every kind of truncation, bad escapes and lone surrogates, raw
 * control bytes and NULs, invalid UTF-8, numbers JSON does not allow or double cannot hold,
 * nesting past JSON_MAXDEPTH, trailing garbage; a million-element array parses; an injected
 * allocation failure reports out of memory and leaks nothing (the ASan build checks).
 */
#include "ir/ir.h"
#include "ir/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"

static char err[256];

static Json *
parse(const char *s)
{
    return json_parse(s, strlen(s), err, sizeof err, NULL);
}

/* s fails with an error that starts "line L: " and contains what */
static int
bad(const char *s, size_t len, int line, const char *what)
{
    int oom = -1;
    Json *j = json_parse(s, len, err, sizeof err, &oom);
    char want[32];
    snprintf(want, sizeof want, "line %d: ", line);
    int ok = !j && oom == 0 && strncmp(err, want, strlen(want)) == 0 && strstr(err, what) &&
             !strchr(err, '\n');
    if (!ok)
        fprintf(stderr, "input %.40s: got \"%s\", wanted line %d and \"%s\"\n", s, err, line, what);
    json_free(j);
    return ok;
}

static int
bad_str(const char *s, int line, const char *what)
{
    return bad(s, strlen(s), line, what);
}

static void
good(void)
{
    Json *j = parse(" {\"a\": [1, -2.5e3, 0, true, false, null],\n\"b\": {\"c\": \"x\\ty\"},\n"
                    "\"\": \"\", \"a\": 7}\r\n");
    CHECK(j && j->type == JS_OBJ && j->n == 4 && j->line == 1);
    const Json *a = json_get(j, "a");
    CHECK(a && a->type == JS_ARR && a->n == 6);
    CHECK(a && a->kid[0].type == JS_NUM && a->kid[0].num == 1);
    CHECK(a && a->kid[1].num == -2500 && a->kid[2].num == 0);
    CHECK(a && a->kid[3].type == JS_TRUE && a->kid[4].type == JS_FALSE &&
          a->kid[5].type == JS_NULL);
    const Json *c = json_get(json_get(j, "b"), "c");
    CHECK(c && c->type == JS_STR && c->len == 3 && strcmp(c->str, "x\ty") == 0 && c->line == 2);
    const Json *e = json_get(j, "");
    CHECK(e && e->type == JS_STR && e->len == 0 && e->line == 3);
    CHECK(json_get(j, "zz") == NULL && json_get(a, "a") == NULL && json_get(NULL, "a") == NULL);
    json_free(j);

    /* scalars at the top level, empty containers */
    j = parse("42");
    CHECK(j && j->type == JS_NUM && j->num == 42);
    json_free(j);
    j = parse("\"\"");
    CHECK(j && j->type == JS_STR && j->len == 0);
    json_free(j);
    j = parse("[[], {}, [{}]]");
    CHECK(j && j->n == 3 && j->kid[0].n == 0 && j->kid[1].type == JS_OBJ && j->kid[2].n == 1);
    json_free(j);

    /* numbers: the exact forms, tiny ones underflow quietly */
    j = parse("[0.5, -0, 1E+2, 1e-2, 123456789012345678901234567890, 1e-400, "
              "1.7976931348623157e308]");
    CHECK(j && j->n == 7 && j->kid[0].num == 0.5 && j->kid[1].num == 0 && j->kid[2].num == 100);
    CHECK(j && fabs(j->kid[3].num - 0.01) < 1e-15 && j->kid[4].num > 1.2e29);
    CHECK(j && j->kid[5].num >= 0 && j->kid[5].num < 1e-300 && isfinite(j->kid[6].num));
    json_free(j);

    /* escapes: every short one, \u to UTF-8 (1 to 4 bytes), a surrogate pair, \u0000 */
    j = parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000z\"");
    const char want[] = "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
    CHECK(j && j->type == JS_STR && j->len == sizeof want - 1 &&
          memcmp(j->str, want, sizeof want) == 0);
    json_free(j);
    /* raw UTF-8 passes as it is */
    j = parse("{\"\xc3\xa9t\xc3\xa9\": \"\xe2\x82\xac\"}");
    CHECK(j && json_get(j, "\xc3\xa9t\xc3\xa9") && json_get(j, "\xc3\xa9t\xc3\xa9")->len == 3);
    json_free(j);

    /* nesting up to JSON_MAXDEPTH */
    char deep[2 * JSON_MAXDEPTH + 1];
    memset(deep, '[', JSON_MAXDEPTH);
    memset(deep + JSON_MAXDEPTH, ']', JSON_MAXDEPTH);
    deep[2 * JSON_MAXDEPTH] = 0;
    j = parse(deep);
    CHECK(j && j->type == JS_ARR);
    json_free(j);

    /* the text need not end in NUL: only len bytes are read */
    j = json_parse("[1, 2]xxxx", 6, err, sizeof err, NULL);
    CHECK(j && j->n == 2);
    json_free(j);
}

static void
hostile(void)
{
    CHECK(bad_str("", 1, "expected a value, found end of input"));
    CHECK(bad_str("  \n ", 2, "found end of input"));
    CHECK(bad_str("{", 1, "expected a string key, found end of input"));
    CHECK(bad_str("{\"a\"", 1, "expected ':' after a key"));
    CHECK(bad_str("{\"a\":", 1, "expected a value"));
    CHECK(bad_str("{\"a\":1", 1, "expected ',' or '}'"));
    CHECK(bad_str("[1,\n2", 2, "expected ',' or ']'"));
    CHECK(bad_str("[1,]", 1, "expected a value, found ']'"));
    CHECK(bad_str("{\"a\":1,}", 1, "expected a string key, found '}'"));
    CHECK(bad_str("{a:1}", 1, "expected a string key, found 'a'"));
    CHECK(bad_str("\"abc", 1, "string not closed"));
    CHECK(bad_str("\"abc\\", 1, "string not closed"));
    CHECK(bad_str("tru", 1, "expected a value"));
    CHECK(bad_str("nul", 1, "expected a value"));
    CHECK(bad_str("True", 1, "expected a value, found 'T'"));
    CHECK(bad_str("[1] [2]", 1, "expected the end of input after the value, found '['"));
    CHECK(bad_str("1 // comment", 1, "found '/'"));
    CHECK(bad_str("\xef\xbb\xbf{}", 1, "byte order mark"));
    /* numbers */
    CHECK(bad_str("01", 1, "expected the end of input"));
    CHECK(bad_str("+1", 1, "expected a value, found '+'"));
    CHECK(bad_str("-", 1, "expected a digit, found end of input"));
    CHECK(bad_str(".5", 1, "found '.'"));
    CHECK(bad_str("1.", 1, "a digit after '.'"));
    CHECK(bad_str("1e", 1, "a digit in the exponent"));
    CHECK(bad_str("1e+", 1, "a digit in the exponent"));
    CHECK(bad_str("NaN", 1, "found 'N'"));
    CHECK(bad_str("-Infinity", 1, "expected a digit, found 'I'"));
    CHECK(bad_str("[1e400]", 1, "number 1e400 is out of range"));
    CHECK(bad_str("-1e99999999999999999999", 1, "out of range"));
    char longnum[300];
    memset(longnum, '9', sizeof longnum - 1);
    longnum[sizeof longnum - 1] = 0;
    CHECK(bad_str(longnum, 1, "a number longer than 127 characters"));
    /* strings */
    CHECK(bad_str("\"\\q\"", 1, "invalid escape: backslash and 'q'"));
    CHECK(bad_str("\"\\x41\"", 1, "invalid escape"));
    CHECK(bad_str("\"\\u12\"", 1, "4 hex digits"));
    CHECK(bad_str("\"\\u12", 1, "string not closed"));
    CHECK(bad_str("\"\\ud800\"", 1, "a high surrogate with no low surrogate"));
    CHECK(bad_str("\"\\ud800\\u0041\"", 1, "a high surrogate with no low surrogate"));
    CHECK(bad_str("\"\\ud800\\ud800\"", 1, "a high surrogate with no low surrogate"));
    CHECK(bad_str("\"\\udc00\"", 1, "a low surrogate with no high surrogate"));
    CHECK(bad_str("\"a\tb\"", 1, "byte 0x09 in a string"));
    CHECK(bad_str("[\n\"a\nb\"]", 2, "byte 0x0a in a string"));
    CHECK(bad(" \"a\0b\"", 6, 1, "byte 0x00 in a string"));
    CHECK(bad("[1,\0]", 5, 1, "expected a value, found byte 0x00"));
    CHECK(bad("[1]\0", 4, 1, "expected the end of input after the value, found byte 0x00"));
    CHECK(bad_str("\"\xff\"", 1, "not well-formed UTF-8"));
    CHECK(bad_str("\"\xc0\xaf\"", 1, "not well-formed UTF-8"));         /* overlong */
    CHECK(bad_str("\"\xed\xa0\x80\"", 1, "not well-formed UTF-8"));     /* raw surrogate */
    CHECK(bad_str("\"\xe2\x82\"", 1, "not well-formed UTF-8"));         /* cut short */
    CHECK(bad("\"\xe2\x82", 3, 1, "string not closed"));
    CHECK(bad("\xe2\x82\xac", 3, 1, "expected a value, found byte 0xe2"));
    /* nesting one past JSON_MAXDEPTH, and far past it */
    char deep[JSON_MAXDEPTH + 2];
    memset(deep, '[', JSON_MAXDEPTH + 1);
    deep[JSON_MAXDEPTH + 1] = 0;
    CHECK(bad_str(deep, 1, "nested deeper than 64 levels"));
    size_t n = 1000000;
    char *huge = malloc(n + 1);
    CHECK(huge != NULL);
    if (huge) {
        memset(huge, '{', n);
        huge[n] = 0;
        CHECK(bad_str(huge, 1, "expected a string key"));
        for (size_t i = 0; i < n; i += 5)
            memcpy(huge + i, "{\"a\":", 5);
        CHECK(bad_str(huge, 1, "nested deeper than 64 levels"));
        free(huge);
    }
}

static void
big(void)
{
    /* a million-element array, and more values than the reader takes */
    size_t n = 1000000;
    char *s = malloc(2 * (5 * n) + 3);
    CHECK(s != NULL);
    if (!s)
        return;
    size_t k = 0;
    s[k++] = '[';
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, i ? ",%zu" : "%zu", i % 1000);
    s[k++] = ']';
    Json *j = json_parse(s, k, err, sizeof err, NULL);
    CHECK(j && j->type == JS_ARR && j->n == (int)n && j->kid[999999].num == 999);
    json_free(j);
    k = 0;
    s[k++] = '[';
    for (size_t i = 0; i < 3 * n; i++) {
        s[k++] = '0';
        s[k++] = ',';
    }
    s[k - 1] = ']';
    CHECK(bad(s, k, 1, "more than 2097152 values"));
    free(s);
}

static void
oom(void)
{
    const char *doc = "{\"a\": [1, 2, {\"b\": \"c\"}], \"d\": \"e\"}";
    int failed = 0, parsed = 0;
    for (long i = 1; i < 40; i++) {
        int o = 0;
        ir_alloc_fail_after(i);
        Json *j = json_parse(doc, strlen(doc), err, sizeof err, &o);
        ir_alloc_fail_after(0);
        if (j) {
            parsed = 1;
            json_free(j);
            break;
        }
        failed++;
        CHECK(o == 1 && strstr(err, "out of memory"));
    }
    CHECK(failed >= 2 && parsed);
}

int
main(void)
{
    good();
    hostile();
    big();
    oom();
    return TEST_DONE();
}
