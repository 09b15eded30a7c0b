/*
 * cmd_compile.c: hetc compile: loads a model, plans it and writes the plan's sources, weights,
 * library and binary (codegen).
 */
#include "driver.h"

#include "codegen/codegen.h"

#include <stdio.h>
#include <string.h>

enum { F_NAME = F_CMD, F_NO_BUILD, F_VERBOSE };

const char usage_compile[] =
    "usage: hetc compile MODEL.onnx -o DIR [--name NAME] [--strategy S] [--shape NAME=DIMS]...\n"
    "                    [--bind NAME=FILE.pb]... [--no-build] [--verbose]\n"
    "\n"
    "Compiles MODEL.onnx into DIR: NAME.c (the plan), NAME.h (the embedding API), NAME_main.c,\n"
    "NAME.weights, NAME.plan.json, libNAME.a and the executable NAME (run it with --help).\n"
    "\n"
    "  -o DIR             output folder (created if missing)\n"
    "  --name NAME        name of the plan, its files and symbols (default: the model's stem)\n"
    "  --strategy S       cpu (every step on the CPU), gpu (every step on one OpenCL device:\n"
    "                     at run time the one $HETC_CL_DEVICE names by index or by part of\n"
    "                     its name, else the first GPU, else the first device), or auto (the\n"
    "                     default; the CPU in this version). greedy, optimal, split and\n"
    "                     pipeline partition across processors and come with later versions.\n"
    "  --shape NAME=DIMS  as for inspect: static shapes for inputs with symbolic dimensions\n"
    "  --bind NAME=FILE   as for inspect: input NAME becomes a constant of the plan\n"
    "  --no-build         write the sources and weights but do not run the C compiler\n"
    "  --verbose          print the compiler commands\n"
    "  -h, --help         this text\n"
    "\n"
    "Prints the memory plan: the arena beside the sum of all intermediate tensors and the\n"
    "lower bound (the most bytes alive at once). $HETC_CC overrides the C compiler. On a\n"
    "terminal, each phase is shown on stderr as it starts, with the time since the start.\n";


/* the file name without folder and extension */
static void
model_stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, size, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
}

/* A note on stderr when the plan's C identifier ident differs from want (--name or the
 * model's stem): why, and which name the files took. Printed once the plan is written, so that
 * a failed compile still says one line. */
static void
plan_name_note(const char *want, const char *ident)
{
    if (strcmp(want, ident) == 0)
        return;
    int taken = strncmp(ident, "plan_", 5) == 0 && strcmp(ident + 5, want) == 0 &&
                !(want[0] >= '0' && want[0] <= '9');
    fputs("hetc compile: note: plan name \"", stderr);
    ir_put_escaped(want, stderr);
    fprintf(stderr, "\" %s; using \"%s\"\n",
            taken ? "is taken by C or the plan's own names" : "is not a C identifier", ident);
}

/* 0 for the strategies this version compiles, else a usage message's status */
static int
check_strategy(const char *s)
{
    static const char *const now[] = {"cpu", "gpu", "auto"};
    static const char *const later[] = {"greedy", "optimal", "split", "pipeline"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, now[i]) == 0)
            return 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, later[i]) == 0)
            return usage_error("compile", "this strategy (partitioning across processors) "
                               "comes with a later version; use cpu, gpu or auto", s);
    return usage_error("compile", "unknown strategy (cpu, gpu, greedy, optimal, split, "
                       "pipeline, auto)", s);
}

static const Flag flags[] = {
    ARGS_HELP, ARGS_MODEL,
    {"-o", NULL, "DIR", 0, F_OUT},
    {"--name", NULL, "NAME", 0, F_NAME},
    {"--strategy", NULL, "S", 0, F_STRATEGY},
    {"--target", NULL, "FILE", 0, F_TARGET},
    {"--no-build", NULL, NULL, 0, F_NO_BUILD},
    {"--verbose", NULL, NULL, 0, F_VERBOSE},
    {NULL, NULL, NULL, 0, 0},
};

int
cmd_compile(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL, *strategy = "auto";
    int build = 1, verbose = 0, rc = EXIT_USAGE;
    ModelArgs ma;
    if (model_args_init(&ma, "compile", argc) < 0) {
        model_args_free(&ma);
        return EXIT_ENV;
    }
    Args it;
    args_init(&it, "compile", flags, argc, argv);
    const char *v;
    for (int id; (id = args_next(&it, &v)) != ARG_END;) {
        switch (id) {
        case ARG_ERROR:
            goto done;
        case F_HELP:
            fputs(usage_compile, stdout);
            rc = 0;
            goto done;
        case F_OUT:
            dir = v;
            break;
        case F_NAME:
            name = v;
            break;
        case F_STRATEGY:
            strategy = v;
            break;
        case F_TARGET:
            rc = usage_error("compile", "--target (device descriptions) comes with a later "
                             "version", NULL);
            goto done;
        case F_NO_BUILD:
            build = 0;
            break;
        case F_VERBOSE:
            verbose = 1;
            break;
        default:
            if (model_arg(&ma, id, v) < 0)
                goto done;
        }
    }
    if (!ma.model || !dir) {
        rc = usage_error("compile", ma.model ? "no output folder given (-o DIR)"
                                             : "no model given", NULL);
        goto done;
    }
    if (!dir[0] || (name && !name[0])) {
        rc = usage_error("compile", dir[0] ? "--name needs a name" : "-o needs a folder", NULL);
        goto done;
    }
    if ((rc = check_strategy(strategy)) != 0)
        goto done;
    char ident[128], stem[256];
    if (!name)
        model_stem(ma.model, stem, sizeof stem);
    cg_identifier(name ? name : stem, ident, sizeof ident);
    Progress pr;
    progress_init(&pr);
    Graph *g = model_load(&ma, &pr, &rc);
    if (!g)
        goto done;
    Diag d;
    diag_init(&d, ma.model);
    MemPlan mp;
    int gpu = strcmp(strategy, "gpu") == 0;
    CgOptions o = {dir, ident, ma.model, gpu ? "gpu" : "cpu", gpu, build, verbose};
    progress(&pr, "planning (cleanup, fusion, memory plan)", NULL);
    int planned = pass_pipeline_cpu(g, &mp, &d) == 0;
    if (planned)
        progress(&pr, "writing sources into ", dir);
    if (!planned || cg_compile(g, &mp, &o, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        rc = diag_status(&d);
        ir_graph_free(g);
        goto done;
    }
    printf("%s: %d steps on %s; arena %.2f MB (all intermediates %.2f MB, lower bound %.2f MB)\n",
           ident, g->nnode, o.strategy, (double)mp.arena / 1e6, (double)mp.total / 1e6,
           (double)mp.lower / 1e6);
    if (build) {
        fputs("wrote ", stdout);
        ir_put_escaped(dir, stdout);
        printf("/%s (run it with --help)\n", ident);
    }
    ir_graph_free(g);
    plan_name_note(name ? name : stem, ident);
    rc = 0;
done:
    model_args_free(&ma);
    return rc;
}

