/*
 * hetc.c: the command-line driver's entry: the commands and their dispatch. Each command is one
 * file, cmd_NAME.c, that parses its flags by name (args.h) and wires public headers together;
 * what commands share is in driver.h. Exit status follows the contract in docs/cli.md: 0 ok,
 * 1 usage error, 2 bad input, 3 environment failure.
 */
#include "driver.h"
#include "profile.h"

#include <stdio.h>
#include <string.h>

#ifndef HETC_VERSION
#error "HETC_VERSION (CMake's PROJECT_VERSION) must be defined"
#endif

static const char usage_main[] =
    "usage: hetc COMMAND [ARGS]\n"
    "\n"
    "hetc compiles ONNX models into plans that run across a machine's processors.\n"
    "\n"
    "commands:\n"
    "  inspect MODEL.onnx   load a model, infer every shape, and report ops, parameters, FLOPs,\n"
    "                       inputs, outputs and unsupported ops\n"
    "  compile MODEL.onnx   compile a model into C, a weights file, a library and a binary\n"
    "  viz MODEL.onnx       draw a model's plan (where each step runs, what crosses between\n"
    "                       processors) as SVG, PNG or DOT\n"
    "  profile              measure this machine's processors (rates, launch and handoff\n"
    "                       costs, copies, contention) for the cost model\n"
    "\n"
    "Run 'hetc help COMMAND' (or 'hetc COMMAND --help') for a command's flags, and\n"
    "'hetc --version' for the version. Exit status: 0 ok, 1 usage error, 2 bad input (model,\n"
    "flags, tensors), 3 environment failure (out of memory, I/O).\n";

/* The commands. A new one is a row here, its cmd_NAME.c and its usage text. */
static const struct Command {
    const char *name;
    int (*run)(int argc, char **argv);  /* NULL: comes with a later version */
    const char *usage;
} commands[] = {
    {"inspect", cmd_inspect, usage_inspect},
    {"compile", cmd_compile, usage_compile},
    {"viz", cmd_viz, usage_viz},
    {"profile", cmd_profile, usage_profile},
    {"study", NULL, NULL},
};

static const struct Command *
find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int
not_yet(const char *cmd)
{
    fprintf(stderr, "hetc %s: not implemented yet in this version\n", cmd);
    return EXIT_USAGE;
}

/* hetc help [COMMAND]: the text of hetc --help or of hetc COMMAND --help */
static int
cmd_help(int argc, char **argv)
{
    if (argc > 1)
        return usage_error(NULL, "help takes one command", argv[1]);
    if (argc == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    const struct Command *c = find_command(argv[0]);
    if (!c)
        return usage_error(NULL, "unknown command", argv[0]);
    if (!c->run)
        return not_yet(c->name);
    fputs(c->usage, stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        puts("hetc " HETC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc - 2, argv + 2);
    const struct Command *c = find_command(cmd);
    if (!c)
        return usage_error(NULL, "unknown command", cmd);
    if (!c->run)
        return not_yet(cmd);
    return c->run(argc - 2, argv + 2);
}
