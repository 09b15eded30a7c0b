/*
 * names_scan.c: a build-time tool (codegen/CMakeLists.txt). Reads preprocessed headers written
 * with -dD (their #define lines kept) and prints, one a line, the names that can collide with a
 * plan's file-scope symbols: macros, and what the headers declare at file scope (functions,
 * variables, typedefs, struct/union/enum tags, enumerators). Parameter and member names are
 * left out: they cannot collide. Names beginning with '_' are left out: no plan name begins so.
 *
 * A declared name is found by nesting: at brace and paren depth 0, an identifier before '(',
 * ';', ',', '=' or '[' (int f(void); FILE *stdin; int a[2];), and in a grouping paren at depth
 * 1 one after '*' (void (*signal(int, ...))(int); typedef int (*fn)(int)); tags follow struct,
 * union or enum at any depth; enumerators open an enum's body or follow its commas.
 *
 * A variable with an attribute or asm label (int x __attribute__((...));) counts too: an
 * identifier at depth 0 followed by one that begins with "__".
 *
 * Usage: names_scan OUT FILE...
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXDEPTH = 256 };

static FILE *out;

static void
put(const char *s, size_t n)
{
    if (n > 0 && s[0] != '_')
        fprintf(out, "%.*s\n", (int)n, s);
}

static int
is_ident(int c)
{
    return isalnum(c) || c == '_';
}

static void
scan(const char *s)
{
    int paren = 0, brace = 0, enum_body[MAXDEPTH] = {0}, grouping = 0;
    const char *id = NULL; /* the last identifier, while it is the last token */
    size_t idn = 0;
    int after_tag = 0, want_enum = 0, after_star = 0, enumerator_next = 0;
    int line_start = 1;
    while (*s) {
        char c = *s;
        if (line_start && c == '#') {
            const char *p = s + 1 + strspn(s + 1, " \t");
            if (strncmp(p, "define", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
                p += 6 + strspn(p + 6, " \t");
                size_t n = 0;
                while (is_ident((unsigned char)p[n]))
                    n++;
                put(p, n);
            }
            s += strcspn(s, "\n");
            continue;
        }
        line_start = c == '\n';
        if (isspace((unsigned char)c)) {
            s++;
            continue;
        }
        if (c == '"' || c == '\'') {
            for (s++; *s && *s != c && *s != '\n'; s++)
                if (*s == '\\' && s[1])
                    s++;
            if (*s == c)
                s++;
            id = NULL;
            continue;
        }
        if (isalpha((unsigned char)c) || c == '_') {
            const char *w = s;
            while (is_ident((unsigned char)*s))
                s++;
            size_t n = (size_t)(s - w);
            int kw_tag = (n == 6 && !strncmp(w, "struct", 6)) ||
                         (n == 5 && !strncmp(w, "union", 5));
            int kw_enum = n == 4 && !strncmp(w, "enum", 4);
            if (id && paren == 0 && brace == 0 && n > 2 && w[0] == '_' && w[1] == '_')
                put(id, idn);
            if (after_tag) {
                put(w, n);
                after_tag = 0;
                id = NULL;
                continue;
            }
            if (enumerator_next)
                put(w, n);
            enumerator_next = 0;
            if (grouping && paren == 1 && after_star)
                put(w, n);
            after_star = 0;
            after_tag = kw_tag || kw_enum;
            want_enum = kw_enum ? 1 : want_enum;
            id = w;
            idn = n;
            continue;
        }
        s++;
        after_tag = 0;
        int depth0 = paren == 0 && brace == 0;
        if (depth0 && id && strchr("(;,=[", c))
            put(id, idn);
        if (c == '(') {
            if (paren == 0)
                grouping = brace == 0 && !id;
            paren++;
        } else if (c == ')') {
            paren -= paren > 0;
        } else if (c == '{') {
            if (brace + 1 < MAXDEPTH) {
                enum_body[brace + 1] = want_enum;
                enumerator_next = want_enum;
            }
            brace++;
        } else if (c == '}') {
            brace -= brace > 0;
        } else if (c == ',' && brace < MAXDEPTH && enum_body[brace] && paren == 0) {
            enumerator_next = 1;
        }
        if (c == ';' || c == '{' || c == '}')
            want_enum = 0;
        after_star = c == '*';
        id = NULL;
    }
}

int
main(int argc, char **argv)
{
    if (argc < 2 || !(out = fopen(argv[1], "w"))) {
        perror(argc < 2 ? "usage: names_scan OUT FILE..." : argv[1]);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        size_t cap = 1 << 20, n = 0;
        char *buf = malloc(cap);
        for (size_t r; buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
            n += r;
            if (n + 1 == cap)
                buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        if (!buf)
            return 1;
        buf[n] = 0;
        scan(buf);
        free(buf);
    }
    return ferror(out) | fclose(out) ? 1 : 0;
}
