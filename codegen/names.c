/*
 * names.c: the C identifier of a plan. A plan declares the type NAME, the functions NAME_create,
 * NAME_run, NAME_error, NAME_destroy, the table NAME_info and the macros NAME_NINPUTS... beside
 * the C library's, POSIX's, OpenCL's and the runtime's names and its own (shape, place, ...).
 * A model's name is kept when none of these collide; otherwise it gets the prefix "plan_", which
 * nothing else uses. The names of the headers come from the headers themselves (names.cmake,
 * when hetc is built: cg_taken_names); keywords, prefixes and the plan's own names are listed
 * here.
 */
#include "cg_impl.h"

#include <stdlib.h>
#include <string.h>

/* C (C23 included) and C++ keywords and alternative tokens that a header may not declare */
static const char *const keywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
    "case", "catch", "char", "char16_t", "char32_t", "char8_t", "class", "co_await", "co_return",
    "co_yield", "compl", "concept", "const", "const_cast", "consteval", "constexpr", "constinit",
    "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline",
    "int", "long", "main", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
    "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "restrict", "return", "short", "signed", "sizeof", "static", "static_assert",
    "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true", "try",
    "typedef", "typeid", "typename", "typeof", "typeof_unqual", "union", "unsigned", "using",
    "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
};

/* the file-scope names and macros of NAME.c, NAME.h and NAME_main.c (emit_c.c, emit_cl.c);
 * attributes a<step> and a<step>_<field>, lanes lane<k> and lane<k>_step and their cores
 * cores<k> are checked apart. Inside its functions a plan never names its type: a parameter may
 * be called as the plan is.
 * tests/cli/codegen_names.py checks this list against the generated files. */
static const char *const own[] = {
    "NINPUT", "NLANE", "NOUTPUT", "NPROGRAM", "NSPACE", "NSTEP", "NTENSOR", "NWEIGHTUSE",
    "WEIGHTS_BYTES", "WEIGHTS_SUM", "cl_names", "cl_texts", "info_input_names", "info_inputs",
    "info_output_names", "info_outputs", "input_tensor", "lane", "operand", "output_tensor",
    "place", "plan_desc", "proc", "shape", "space", "step_name", "step_op", "wait",
    "weight_use",
};

/* prefixes of the runtime's, the compiler's and the libraries' own names */
static const char *const prefixes[] = {
    "rt_", "Rt", "RT_", "cpu_", "ocl_", "Ocl", "OCL_", "cl_", "CL_", "hc_", "ir_", "cg_",
    "pthread_", "cblas_", "openblas_", "LAPACK",
};

/* what a plan declares after its name */
static const char *const suffixes[] = {
    "", "_create", "_run", "_error", "_destroy", "_info", "_NINPUTS", "_NOUTPUTS",
    "_INPUT_BYTES", "_OUTPUT_BYTES",
};

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
listed(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* 1 when s is stem[0-9]+ or stem[0-9]+_x: a step's attribute (a), a lane's function and steps
 * (lane), a lane's cores (cores) */
static int
numbered(const char *s, const char *stem)
{
    size_t n = strlen(stem);
    if (strncmp(s, stem, n) != 0 || s[n] < '0' || s[n] > '9')
        return 0;
    for (s += n; *s >= '0' && *s <= '9'; s++)
        continue;
    return *s == 0 || *s == '_';
}

/* 1 when a symbol spelled s collides with another name */
static int
taken_symbol(const char *s)
{
    const char *key = s;
    if (listed(s, keywords, sizeof keywords / sizeof *keywords) ||
        listed(s, own, sizeof own / sizeof *own) || numbered(s, "a") ||
        numbered(s, "lane") || numbered(s, "cores") ||
        bsearch(&key, cg_taken_names, (size_t)cg_ntaken_names, sizeof *cg_taken_names, cmp_name))
        return 1;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    /* OpenCL's functions (clFinish) */
    return s[0] == 'c' && s[1] == 'l' && s[2] >= 'A' && s[2] <= 'Z';
}

/* 1 when the plan name s makes a symbol that collides, or is reserved (POSIX's _t) */
static int
taken(const char *s)
{
    char sym[160];
    size_t n = strlen(s);
    if (n >= 2 && strcmp(s + n - 2, "_t") == 0)
        return 1;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(sym, sizeof sym, "%s%s", s, suffixes[i]);
        if (taken_symbol(sym))
            return 1;
    }
    return 0;
}

void
cg_identifier(const char *s, char *buf, size_t size)
{
    /* letters and digits; any run of other bytes becomes one '_', none at either end (no
     * reserved _X or __, no trailing _ before a suffix's own) */
    static const char prefix[] = "plan_";
    char name[96];
    size_t k = 0;
    for (; *s && k + 1 < sizeof name; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (ok)
            name[k++] = c;
        else if (k > 0 && name[k - 1] != '_')
            name[k++] = '_';
    }
    while (k > 0 && name[k - 1] == '_')
        k--;
    name[k] = 0;
    if (size == 0)
        return;
    if (k == 0)
        snprintf(buf, size, "plan");
    else if ((name[0] >= '0' && name[0] <= '9') || taken(name))
        snprintf(buf, size, "%s%s", prefix, name);
    else
        snprintf(buf, size, "%s", name);
}
