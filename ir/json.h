/*
 * json.h: a small JSON reader, for the files hetc reads back (traces, for --profile-from and
 * hetc profile). The whole document becomes a tree in one allocation arena; strings are
 * unescaped (\uXXXX to UTF-8) and NUL-terminated. Hostile input is bounded: nesting at most
 * JSON_MAXDEPTH, the caller's size, and an error names the line.
 */
#pragma once

#include <stddef.h>

enum { JSON_MAXDEPTH = 64 };

typedef enum JsonType { JS_NULL, JS_FALSE, JS_TRUE, JS_NUM, JS_STR, JS_ARR, JS_OBJ } JsonType;

typedef struct Json Json;
struct Json {
    JsonType type;
    double num;                 /* JS_NUM */
    const char *str;            /* JS_STR: NUL-terminated (may hold NULs: see len) */
    size_t len;                 /* JS_STR: bytes */
    int n;                      /* JS_ARR, JS_OBJ: members */
    Json *kid;                  /* JS_ARR, JS_OBJ: the n members, in order */
    const char **key;           /* JS_OBJ: their n keys */
    int line;                   /* where the value starts */
};

/* The tree of text[0, len), or NULL with "line N: what" in err (bad JSON, or out of memory:
 * *oom set to 1 then, when oom is not NULL). Free with json_free. */
Json *json_parse(const char *text, size_t len, char *err, size_t errsize, int *oom);
void json_free(Json *root);
/* The member key of object o, or NULL (also when o is NULL or not an object). */
const Json *json_get(const Json *o, const char *key);
