/*
 * codegen.h: from a planned graph to files and a binary. cg_compile writes DIR/NAME.c (the plan:
 * a table of steps, each row with a comment naming its ONNX node and ops, attributes baked in as
 * constants), DIR/NAME.h (the embedding API), DIR/NAME_main.c (the standalone binary's main),
 * DIR/NAME.weights (constants, mapped at start), DIR/NAME.plan.json, and builds DIR/libNAME.a and
 * the executable DIR/NAME with the system C compiler against libhetrt.
 */
#pragma once

#include "ir/ir.h"
#include "passes/passes.h"

typedef struct CgOptions {
    const char *dir;            /* output folder, created if missing */
    const char *name;           /* C identifier used for files and symbols */
    const char *model;          /* the model's path, for comments */
    const char *strategy;       /* for the plan file */
    const char *json;           /* more members for the plan file's object, or NULL */
    int build;                  /* 0: write the sources only */
    int verbose;                /* print the compiler commands */
} CgOptions;

/* 0, or -1 with the reason in d: bad input (2) or an environment failure such as a compiler or
 * file error (3), naming the failing command or call. A plan with a step on a simulated
 * processor is only predicted: with o->build 0 it writes NAME.plan.json alone, else it is bad
 * input. */
int cg_compile(const Graph *g, const Plan *p, const CgOptions *o, Diag *d);

/* Writes a C identifier made from s into buf (size >= 128 takes any): each run of bytes other
 * than letters and digits becomes one '_', none leading or trailing; a name that starts with a
 * digit or would collide with a keyword, the C library's, POSIX's, OpenCL's, the runtime's or
 * the plan's own names gets the prefix "plan_" (names.c). */
void cg_identifier(const char *s, char *buf, size_t size);

/* hetc viz (viz.c): draws g's placement on p's target (p or p->target may be NULL: unplaced) into
 * path, as DOT, SVG or PNG by its extension (cg_viz_format: "svg", "png", "dot", or NULL for
 * another). 0, or -1 with the reason in d: bad input (an unknown format, too many steps to lay
 * out) or an environment failure (the file, a libgvc call, named). */
const char *cg_viz_format(const char *path);
int cg_viz(const Graph *g, const Plan *p, const char *path, Diag *d);

/* The fill colour of processor dev in pictures (viz.c, gantt.c): Paul Tol's "light" scheme,
 * "#77AADD", "#EE8866", ...; processors from CG_NCOLOUR on repeat them (and are drawn with a
 * second border); dev < 0 (unplaced) is grey. */
enum { CG_NCOLOUR = 8 };
const char *cg_proc_colour(int dev);

/* hetc viz --gantt (gantt.c): p's predicted schedule as an SVG Gantt chart in path, one row per
 * lane and one for the copies; with trace (may be NULL: cost_measured_load's table of a run of
 * this plan), what it measured below on the same axis. 0, or -1 with the reason in d: a plan
 * without a schedule or a trace step on a processor the plan does not run on or without its
 * times (bad input), or the file (an environment failure naming it). */
struct Measured;
int cg_gantt(const Graph *g, const Plan *p, const struct Measured *trace, const char *path,
             Diag *d);
