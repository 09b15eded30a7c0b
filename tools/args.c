/*
 * args.c: flags parsed by name from a command's table (args.h).
 */
#include "args.h"

#include "ir/ir.h"

#include <stdio.h>
#include <string.h>

int
usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "hetc%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    ir_put_escaped(msg, stderr);
    if (arg) {
        fputs(": ", stderr);
        ir_put_escaped(arg, stderr);
    }
    fprintf(stderr, "\nRun 'hetc%s%s --help' for usage.\n", cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
}

void
args_init(Args *a, const char *cmd, const Flag *flags, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->flag = flags;
    a->argc = argc;
    a->argv = argv;
}

/* The length of spelling s when arg is s or starts with "s=", else 0 */
static size_t
spelled(const char *arg, const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    return strncmp(arg, s, n) == 0 && (arg[n] == 0 || arg[n] == '=') ? n : 0;
}

int
args_next(Args *a, const char **value)
{
    *value = NULL;
    if (a->i >= a->argc)
        return ARG_END;
    const char *arg = a->argv[a->i++];
    if (arg[0] != '-' || arg[1] == 0) {
        *value = arg;
        return ARG_POS;
    }
    for (int k = 0; k < ARGS_MAXFLAG && a->flag[k].name; k++) {
        const Flag *f = &a->flag[k];
        size_t n = spelled(arg, f->name);
        if (!n)
            n = spelled(arg, f->alias);
        if (!n)
            continue;
        if (a->seen[k] && f->value && !f->repeat) {
            usage_error(a->cmd, "given more than once", f->name);
            return ARG_ERROR;
        }
        a->seen[k] = 1;
        if (!f->value) {
            if (arg[n] == '=') {
                char msg[96];
                snprintf(msg, sizeof msg, "%s takes no value", f->name);
                usage_error(a->cmd, msg, arg + n + 1);
                return ARG_ERROR;
            }
            return f->id;
        }
        if (arg[n] == '=')
            *value = arg + n + 1;
        else if (a->i < a->argc)
            *value = a->argv[a->i++];
        else {
            char msg[96];
            snprintf(msg, sizeof msg, "%s needs %s", f->name, f->value);
            usage_error(a->cmd, msg, NULL);
            return ARG_ERROR;
        }
        return f->id;
    }
    usage_error(a->cmd, "unknown flag", arg);
    return ARG_ERROR;
}
