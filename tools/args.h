/*
 * args.h: the driver's flags, parsed by name. Each command lists the flags it takes in a table
 * (name, another spelling, the value it takes if any, whether it may be repeated, an id) and
 * walks its arguments with args_next, in order: a flag is "--flag value" or "--flag=value", a
 * flag without a value takes none, anything else not starting with '-' (or "-" alone) is a
 * positional argument.
 */
#pragma once

enum { EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_ENV = 3 };

/* What args_next returns besides a flag's id (ids are >= 0) */
enum { ARG_END = -1, ARG_ERROR = -2, ARG_POS = -3 };

/* The flags several commands share, by id; a command's own start at F_CMD. */
enum {
    F_HELP, F_SHAPE, F_BIND, F_OUT, F_TARGET, F_STRATEGY, F_SEED, F_PLACE, F_DUMP_AFTER,
    F_PROFILE_FROM, F_NO_FALLBACK, F_MAX_PARTITIONS, F_STREAM,
    F_CMD = 32,
};

typedef struct Flag {
    const char *name;           /* "--shape", "-o"; NULL ends a table */
    const char *alias;          /* another spelling ("-h"), or NULL */
    const char *value;          /* what it takes, for messages ("NAME=DIMS"); NULL: no value */
    int repeat;                 /* 1: may be given more than once (a flag without a value
                                 * always may) */
    int id;
} Flag;

/* Table rows of the flags every command that loads a model takes */
#define ARGS_HELP {"--help", "-h", NULL, 1, F_HELP}
#define ARGS_MODEL \
    {"--shape", NULL, "NAME=DIMS", 1, F_SHAPE}, {"--bind", NULL, "NAME=FILE", 1, F_BIND}

enum { ARGS_MAXFLAG = 64 };

typedef struct Args {
    const char *cmd;            /* for messages: "compile" */
    const Flag *flag;
    int argc;
    char **argv;
    int i;                      /* the next argument */
    unsigned char seen[ARGS_MAXFLAG];   /* per table row: given already */
} Args;

/* Walks argv[0..argc) against flags (at most ARGS_MAXFLAG rows before the NULL one). */
void args_init(Args *a, const char *cmd, const Flag *flags, int argc, char **argv);
/* The next flag's id with its value in *value (NULL for a flag without one), ARG_POS with the
 * argument in *value, ARG_END, or ARG_ERROR after a usage message (exit status EXIT_USAGE): an
 * unknown flag, a missing value, a value given to a flag that takes none, a flag given twice
 * that may be given once. */
int args_next(Args *a, const char **value);

/* "hetc CMD: MSG: ARG" and the hint to run --help, on stderr (cmd and arg may be NULL; both are
 * escaped); returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *msg, const char *arg);
