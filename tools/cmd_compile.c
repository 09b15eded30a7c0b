/*
 * cmd_compile.c: hetc compile: loads a model, plans it and writes the plan's sources, weights,
 * library and binary (codegen).
 */
#include "driver.h"

#include "codegen/codegen.h"
#include "passes/explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_NAME = F_CMD, F_NO_BUILD, F_VERBOSE, F_EXPLAIN };

const char usage_compile[] =
    "usage: hetc compile MODEL.onnx -o DIR [--name NAME] [--target FILE] [--strategy S]\n"
    "                    [--seed N] [--place SEL=PROC]... [--shape NAME=DIMS]...\n"
    "                    [--bind NAME=FILE.pb]... [--dump-after PASS] [--no-build] [--verbose]\n"
    "                    [--explain] [--profile-from TRACE.json] [--no-fallback]\n"
    "                    [--max-partitions N] [--stream N]\n"
    "\n"
    "Compiles MODEL.onnx into DIR: NAME.c (the plan), NAME.h (the embedding API), NAME_main.c,\n"
    "NAME.weights, NAME.plan.json, libNAME.a and the executable NAME (run it with --help).\n"
    "\n"
    "  -o DIR             output folder (created if missing)\n"
    "  --name NAME        name of the plan, its files and symbols (default: the model's stem)\n"
    "  --target FILE      the machine, a device description (docs/devices.md); default: this\n"
    "                     host as detected, its CPU and every OpenCL device\n"
    "  --strategy S       which processor runs each step (docs/partition.md): cpu (the first\n"
    "                     CPU processor), gpu (the first OpenCL processor), greedy (each step\n"
    "                     where it finishes earliest), optimal (the least predicted latency\n"
    "                     over every placement; small graphs only), split (Conv, Gemm and\n"
    "                     MatMul divided between processors), pipeline (stages for a stream\n"
    "                     of inputs), random (one drawn by --seed: a test strategy), or auto\n"
    "                     (the default: the best predicted of these, a plan of several\n"
    "                     processors only when clearly faster than one). A step the chosen\n"
    "                     processor cannot run goes to one that can\n"
    "  --seed N           the seed of --strategy random, 0 to 2^64-1 (default 1)\n"
    "  --place SEL=PROC   run the nodes of op type SEL, or the node named SEL, on processor\n"
    "                     PROC (an id of the target: cpu0, ocl0, ...) whatever the strategy;\n"
    "                     a later rule wins. Repeatable\n"
    "  --shape NAME=DIMS  as for inspect: static shapes for inputs with symbolic dimensions\n"
    "  --bind NAME=FILE   as for inspect: input NAME becomes a constant of the plan\n"
    "  --dump-after PASS  print the IR (docs/ir.md) once PASS is done; the passes, in order:\n"
    "                     check, cleanup, fuse, place, copies, schedule, memplan\n"
    "  --no-build         write the sources and weights but do not run the C compiler\n"
    "  --verbose          print the compiler commands\n"
    "  --explain          after the summary, tell the plan: each step's predicted time on\n"
    "                     every processor, where it went and why, its predicted start and\n"
    "                     end; each transfer; the predicted latency (docs/cli.md)\n"
    "  --profile-from TRACE.json  predict each step from the time it took in a trace of an\n"
    "                     earlier run (the binary's --trace; matched by node and processor)\n"
    "  --no-fallback      refuse, naming them, the steps that would leave the strategy's\n"
    "                     processor because it cannot run them\n"
    "  --max-partitions N at most N regions (runs of steps on one processor, in order): the\n"
    "                     cheapest to move joins a neighbour until N remain\n"
    "  --stream N         plan for a stream of N inputs: auto compares the predicted time per\n"
    "                     frame and considers pipeline (run the binary with --stream N)\n"
    "  -h, --help         this text\n"
    "\n"
    "Prints the processors the plan runs on and the memory plan: the arena beside the sum of\n"
    "all intermediate tensors and the lower bound (the most bytes alive at once); then the\n"
    "predicted latency and where the cost model's figures came from: the description's, the\n"
    "profile cache's (hetc profile), or a quick profile made first when none is cached\n"
    "($HETC_PROFILE=off: built-in figures; =FILE: a description's). Flags take\n"
    "their value as --flag VALUE or --flag=VALUE. $HETC_CC overrides the C compiler. On a\n"
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

static const Flag flags[] = {
    ARGS_HELP, ARGS_MODEL,
    {"-o", NULL, "DIR", 0, F_OUT},
    {"--name", NULL, "NAME", 0, F_NAME},
    ARGS_PLAN,
    {"--no-build", NULL, NULL, 0, F_NO_BUILD},
    {"--verbose", NULL, NULL, 0, F_VERBOSE},
    {"--explain", NULL, NULL, 0, F_EXPLAIN},
    {NULL, NULL, NULL, 0, 0},
};

int
cmd_compile(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL;
    int build = 1, verbose = 0, explain = 0, rc = EXIT_USAGE;
    ModelArgs ma;
    PlanArgs pa;
    Target *t = NULL;
    if ((model_args_init(&ma, "compile", argc) | plan_args_init(&pa, "compile", argc)) < 0) {
        rc = EXIT_ENV;
        goto done;
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
        case F_NO_BUILD:
            build = 0;
            break;
        case F_VERBOSE:
            verbose = 1;
            break;
        case F_EXPLAIN:
            explain = 1;
            break;
        default:
            if (model_arg(&ma, id, v) < 0 || plan_arg(&pa, id, v) < 0)
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
    char ident[128], stem[256];
    if (!name)
        model_stem(ma.model, stem, sizeof stem);
    cg_identifier(name ? name : stem, ident, sizeof ident);
    t = calloc(1, sizeof *t);
    if (!t) {
        fputs("hetc: out of memory\n", stderr);
        rc = EXIT_ENV;
        goto done;
    }
    if (plan_target(&pa, t, &rc) < 0)
        goto done;
    Progress pr;
    progress_init(&pr);
    Graph *g = model_load(&ma, &pr, &rc);
    if (!g)
        goto done;
    Plan p;
    if (plan_run(&pa, &ma, g, t, &p, &pr, &rc) < 0) {
        ir_graph_free(g);
        goto done;
    }
    Diag d;
    diag_init(&d, ma.model);
    char label[64], json[2048];
    const char *shown = plan_strategy_label(&pa, label, sizeof label);
    CgOptions o = {dir, ident, ma.model, pa.choice.ncand ? "auto" : pa.opt.strategy,
                   plan_auto_json(&pa, json, sizeof json), build, verbose};
    progress(&pr, "writing sources into ", dir);
    if (cg_compile(g, &p, &o, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        rc = diag_status(&d);
        ir_graph_free(g);
        goto done;
    }
    printf("%s: %d steps on ", ident, g->nnode);
    plan_put_lanes(&p, stdout);
    printf(" (strategy %s); arena %.2f MB (all intermediates %.2f MB, lower bound %.2f MB)\n",
           shown, (double)p.mem.arena / 1e6, (double)p.mem.total / 1e6,
           (double)p.mem.lower / 1e6);
    printf("predicted %.3f ms; cost model: ", p.sched.makespan_ms);
    ir_put_escaped(pa.figures, stdout);
    putchar('\n');
    if (build) {
        fputs("wrote ", stdout);
        ir_put_escaped(dir, stdout);
        printf("/%s (run it with --help)\n", ident);
    }
    if (explain)
        pass_explain(g, &p, shown, stdout);
    if (explain && pa.choice.ncand)
        plan_auto_explain(&pa, stdout);
    ir_graph_free(g);
    plan_name_note(name ? name : stem, ident);
    rc = 0;
done:
    free(t);
    plan_args_free(&pa);
    model_args_free(&ma);
    return rc;
}
