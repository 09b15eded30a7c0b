/*
 * cmd_viz.c: hetc viz: loads a model, plans it like compile (target, strategy, --place) and
 * draws the placement as SVG, PNG or DOT (codegen/viz.c), and the predicted schedule as a Gantt
 * chart (--gantt, codegen/gantt.c).
 */
#include "driver.h"

#include "codegen/codegen.h"
#include "passes/cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_GANTT = F_CMD, F_TRACE };

const char usage_viz[] =
    "usage: hetc viz MODEL.onnx -o FILE.{svg,png,dot} [--gantt FILE.svg] [--target FILE]\n"
    "                [--strategy S] [--seed N] [--place SEL=PROC]... [--shape NAME=DIMS]...\n"
    "                [--bind NAME=FILE.pb]... [--profile-from TRACE.json]\n"
    "       hetc viz MODEL.onnx --gantt FILE.svg [--trace TRACE.json] [...]\n"
    "\n"
    "Plans MODEL.onnx as compile would and draws the plan: each step filled with its\n"
    "processor's colour (a legend lists the processors), showing its op, name, output shape\n"
    "and predicted time; edges between processors in bold with the bytes that cross (and the\n"
    "copy's predicted time); copies as small nodes; each run of steps on one processor\n"
    "framed. See docs/viz.md.\n"
    "\n"
    "  -o FILE            the picture; its extension picks the format: .svg, .png, or .dot\n"
    "                     (Graphviz's text, not laid out; the only one beyond 5000 steps)\n"
    "  --gantt FILE.svg   also (or, without -o, only) draw the predicted schedule: a row per\n"
    "                     processor and one for the copies, each step a box from its\n"
    "                     predicted start to its end, a time axis in ms and the makespan\n"
    "  --trace TRACE.json with --gantt: below the prediction, the steps as a run of this plan\n"
    "                     measured them (its binary's --trace, the last run), same axis\n"
    "  --target FILE      the machine, a device description (docs/devices.md); default: this\n"
    "                     host's CPU and OpenCL devices\n"
    "  --strategy S       auto, cpu, gpu, greedy, optimal, split, pipeline or random, as\n"
    "                     for compile (also --no-fallback, --max-partitions N, --stream N)\n"
    "  --seed N           the seed of --strategy random (default 1)\n"
    "  --place SEL=PROC   put the nodes of op type or name SEL on processor PROC. Repeatable\n"
    "  --shape NAME=DIMS  as for inspect: static shapes for inputs with symbolic dimensions\n"
    "  --bind NAME=FILE   as for inspect: input NAME becomes a constant of the plan\n"
    "  --dump-after PASS  print the IR after that pass\n"
    "  --profile-from TRACE.json  predicted times from an earlier run's trace, as for compile\n"
    "  -h, --help         this text\n"
    "\n"
    "Prints one line per picture: the file, its steps and copies, the processors used (and\n"
    "for the Gantt chart, the predicted latency).\n";

static const Flag flags[] = {
    ARGS_HELP, ARGS_MODEL,
    {"-o", NULL, "FILE", 0, F_OUT},
    {"--gantt", NULL, "FILE.svg", 0, F_GANTT},
    {"--trace", NULL, "TRACE.json", 0, F_TRACE},
    ARGS_PLAN,
    {NULL, NULL, NULL, 0, 0},
};

/* "wrote FILE: N steps (C copies) on cpu0, ocl0 (strategy S)", and for a Gantt chart
 * ", predicted X ms" */
static void
report(const char *path, const Graph *g, const Plan *p, const char *strategy, int gantt)
{
    int nstep = 0, ncopy = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        nstep += g->node[n].op != OP_NOP;
        ncopy += g->node[n].op == OP_COPY;
    }
    fputs("wrote ", stdout);
    ir_put_escaped(path, stdout);
    printf(": %d steps (%d copies) on ", nstep, ncopy);
    plan_put_lanes(p, stdout);
    printf(" (strategy %s)", strategy);
    if (gantt)
        printf(", predicted %.6f ms", p->sched.makespan_ms);
    putchar('\n');
}

int
cmd_viz(int argc, char **argv)
{
    const char *out = NULL, *gantt = NULL, *trace = NULL;
    Measured m = {.n = 0};
    int rc = EXIT_USAGE;
    ModelArgs ma;
    PlanArgs pa;
    Target *t = NULL;
    if ((model_args_init(&ma, "viz", argc) | plan_args_init(&pa, "viz", argc)) < 0) {
        rc = EXIT_ENV;
        goto done;
    }
    Args it;
    args_init(&it, "viz", flags, argc, argv);
    const char *v;
    for (int id; (id = args_next(&it, &v)) != ARG_END;) {
        switch (id) {
        case ARG_ERROR:
            goto done;
        case F_HELP:
            fputs(usage_viz, stdout);
            rc = 0;
            goto done;
        case F_OUT:
            out = v;
            break;
        case F_GANTT:
            gantt = v;
            break;
        case F_TRACE:
            trace = v;
            break;
        default:
            if (model_arg(&ma, id, v) < 0 || plan_arg(&pa, id, v) < 0)
                goto done;
        }
    }
    if (!ma.model || (!out && !gantt)) {
        rc = usage_error("viz", ma.model ? "no picture given (-o FILE.svg, .png or .dot, or "
                         "--gantt FILE.svg)" : "no model given", NULL);
        goto done;
    }
    if (out && !cg_viz_format(out)) {
        rc = usage_error("viz", "the picture's name must end in .svg, .png or .dot", out);
        goto done;
    }
    const char *fmt = gantt ? cg_viz_format(gantt) : "svg";
    if (!fmt || strcmp(fmt, "svg") != 0) {
        rc = usage_error("viz", "the Gantt chart's name must end in .svg", gantt);
        goto done;
    }
    if (trace && (!gantt || !trace[0])) {
        rc = usage_error("viz", trace[0] ? "--trace is drawn in the Gantt chart: give --gantt "
                         "FILE.svg too" : "--trace needs a file", NULL);
        goto done;
    }
    if (trace) {
        Diag td;
        diag_init(&td, trace);
        if (cost_measured_load(&m, trace, &td) < 0) {
            fprintf(stderr, "%s\n", td.msg);
            rc = diag_status(&td);
            goto done;
        }
    }
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
    char label[64];
    rc = 0;
    if (out) {
        progress(&pr, "drawing ", out);
        if (cg_viz(g, &p, out, &d) == 0)
            report(out, g, &p, plan_strategy_label(&pa, label, sizeof label), 0);
    }
    if (gantt && d.nerr == 0) {
        progress(&pr, "drawing the schedule into ", gantt);
        if (cg_gantt(g, &p, trace ? &m : NULL, gantt, &d) == 0)
            report(gantt, g, &p, plan_strategy_label(&pa, label, sizeof label), 1);
    }
    if (d.nerr) {
        fprintf(stderr, "%s\n", d.msg);
        rc = diag_status(&d);
    }
    ir_graph_free(g);
done:
    cost_measured_free(&m);
    free(t);
    plan_args_free(&pa);
    model_args_free(&ma);
    return rc;
}
