/*
 * fuzz_json.c: libFuzzer target for the JSON reader (ir/json.c) and the trace reader on top of it
 * (passes/measured.c). Any input must end in a tree or in one "line N: what" (never a crash, a
 * leak, a hang or a sanitizer report). A tree is checked (types, counts, keys, strings
 * NUL-terminated at their length, nesting within JSON_MAXDEPTH), written back as JSON and read
 * again: the second tree must equal the first. Each input is also read as a trace from a
 * scratch file: a table of steps with ids and times, or one line naming the file. Built as a
 * libFuzzer binary with -DHETC_FUZZ=ON (clang), and always linked into fuzz_json_replay, which
 * ctest runs over fuzz/corpus_json.
 */
#include "ir/ir.h"
#include "ir/json.h"
#include "passes/cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* checks v's invariants; returns its depth */
static int
check(const Json *v)
{
    int depth = 0;
    IR_ASSERT(v->line >= 1);
    switch (v->type) {
    case JS_STR:
        IR_ASSERT(v->str && v->str[v->len] == 0);
        break;
    case JS_ARR:
    case JS_OBJ:
        IR_ASSERT(v->n >= 0 && (v->n == 0 || v->kid));
        for (int i = 0; i < v->n; i++) {
            IR_ASSERT(v->type == JS_ARR || (v->key && v->key[i]));
            int k = check(&v->kid[i]);
            depth = k > depth ? k : depth;
        }
        depth++;
        break;
    case JS_NUM:
        IR_ASSERT(v->num == v->num);
        break;
    default:
        IR_ASSERT(v->type == JS_NULL || v->type == JS_TRUE || v->type == JS_FALSE);
    }
    return depth;
}

static void
put_str(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\')
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
put(FILE *f, const Json *v)
{
    static const char *const word[] = {"null", "false", "true"};
    switch (v->type) {
    case JS_NUM:
        fprintf(f, "%.17g", v->num);
        break;
    case JS_STR:
        put_str(f, v->str, v->len);
        break;
    case JS_ARR:
    case JS_OBJ:
        fputc(v->type == JS_ARR ? '[' : '{', f);
        for (int i = 0; i < v->n; i++) {
            if (i)
                fputc(',', f);
            if (v->type == JS_OBJ) {
                put_str(f, v->key[i], strlen(v->key[i]));
                fputc(':', f);
            }
            put(f, &v->kid[i]);
        }
        fputc(v->type == JS_ARR ? ']' : '}', f);
        break;
    default:
        fputs(word[v->type], f);
    }
}

static int
same(const Json *a, const Json *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case JS_NUM:
        return a->num == b->num;
    case JS_STR:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    case JS_ARR:
    case JS_OBJ:
        if (a->n != b->n)
            return 0;
        for (int i = 0; i < a->n; i++)
            if (!same(&a->kid[i], &b->kid[i]) ||
                (a->type == JS_OBJ && strcmp(a->key[i], b->key[i]) != 0))
                return 0;
        return 1;
    default:
        return 1;
    }
}

/* the input as a trace, from a scratch file */
static void
as_trace(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz_json.%ld.json", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    size_t w = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || w != size)
        return;
    Measured m;
    Diag d;
    diag_init(&d, NULL);
    if (cost_measured_load(&m, path, &d) == 0) {
        IR_ASSERT(m.n >= 1 && m.step);
        for (int i = 0; i < m.n; i++)
            IR_ASSERT(m.step[i].node && m.step[i].proc[0] && m.step[i].us >= 0 &&
                      !m.step[i].used);
    } else {
        IR_ASSERT(d.nerr > 0 && strncmp(d.msg, path, strlen(path)) == 0 && !strchr(d.msg, '\n'));
    }
    cost_measured_free(&m);
    unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    int oom = -1;
    Json *j = json_parse((const char *)data, size, err, sizeof err, &oom);
    IR_ASSERT(oom == 0);
    if (!j) {
        IR_ASSERT(strncmp(err, "line ", 5) == 0 && !strchr(err, '\n'));
    } else {
        IR_ASSERT(check(j) <= JSON_MAXDEPTH);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        IR_ASSERT(f);
        put(f, j);
        IR_ASSERT(fclose(f) == 0);
        Json *again = json_parse(text, len, err, sizeof err, NULL);
        if (!again)
            fprintf(stderr, "written back: %s\n", err);
        IR_ASSERT(again && same(j, again));
        json_free(again);
        free(text);
        json_free(j);
    }
    as_trace(data, size);
    return 0;
}
