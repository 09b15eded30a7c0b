/*
 * driver.h: what the commands of the hetc driver share: the usage texts, loading a model with
 * --shape and --bind, progress on a terminal, and planning (--target, --strategy, --seed,
 * --place, --dump-after, --profile-from: the target, the options, measured step times and the
 * pass pipeline). Each command is one file, cmd_NAME.c, with its flag table; hetc.c dispatches.
 */
#pragma once

#include "args.h"
#include "frontend/onnx.h"
#include "ir/ir.h"
#include "passes/cost.h"
#include "passes/passes.h"

#include <time.h>

/* The commands: run with the arguments after the command's name; return the exit status. */
int cmd_inspect(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_viz(int argc, char **argv);
extern const char usage_inspect[], usage_compile[], usage_viz[];

/* Progress of a long command, for a person watching: "hetc: [1.2 s] PHASE" on stderr as each
 * phase starts, only when stderr is a terminal (logs and pipes stay quiet). */
typedef struct Progress {
    int on;
    struct timespec t0;
} Progress;
void progress_init(Progress *p);
/* "WHAT" and then name (a path from the command line, may be NULL) escaped; p may be NULL */
void progress(const Progress *p, const char *what, const char *name);

/* What every command that loads a model takes: the model, --shape overrides, --bind tensors. */
typedef struct ModelArgs {
    const char *cmd;                /* for messages */
    const char *model;
    ShapeOverride *ov;              /* argc entries: owned, free with model_args_free */
    int nov;
    const char **bind;              /* "NAME=FILE" */
    int nbind;
} ModelArgs;
/* 0, or -1 after a message (out of memory, exit EXIT_ENV); free with model_args_free either way */
int model_args_init(ModelArgs *ma, const char *cmd, int argc);
void model_args_free(ModelArgs *ma);
/* Takes flag id (F_SHAPE, F_BIND or ARG_POS: the model) with value v: 1 taken, 0 not one of
 * those, -1 after a usage message (exit EXIT_USAGE). */
int model_arg(ModelArgs *ma, int id, const char *v);
/* Loads the model, binds inputs, infers and verifies, showing the phases on pr (may be NULL).
 * NULL after printing the diagnostic, with *status set to the exit status. */
Graph *model_load(const ModelArgs *ma, const Progress *pr, int *status);

/* What every command that plans takes: the rows of its flag table, and what they hold. */
#define ARGS_PLAN \
    {"--target", NULL, "FILE", 0, F_TARGET}, {"--strategy", NULL, "S", 0, F_STRATEGY}, \
    {"--seed", NULL, "N", 0, F_SEED}, {"--place", NULL, "SEL=PROC", 1, F_PLACE}, \
    {"--dump-after", NULL, "PASS", 0, F_DUMP_AFTER}, \
    {"--profile-from", NULL, "TRACE.json", 0, F_PROFILE_FROM}, \
    {"--no-fallback", NULL, NULL, 0, F_NO_FALLBACK}, \
    {"--max-partitions", NULL, "N", 0, F_MAX_PARTITIONS}, {"--stream", NULL, "N", 0, F_STREAM}
/* What --strategy auto compared and chose (tools/auto.c) */
enum { AUTO_MAXCAND = 8 };
typedef struct AutoCand {
    char name[32];                  /* "cpu", "cpu@2" (at 2 threads), "greedy", ... */
    double ms;                      /* its predicted latency (time per frame under --stream);
                                     * -1: it refused */
    int single;                     /* a single-processor plan */
    int status;                     /* the refusal's exit status */
    char why[1024];                 /* the refusal (a Diag message) */
} AutoCand;
typedef struct AutoChoice {
    int ncand;                      /* 0: auto did not run */
    AutoCand cand[AUTO_MAXCAND];
    int pick;                       /* the one chosen */
    double margin;                  /* the gain a multi-processor plan needed */
} AutoChoice;

typedef struct PlanArgs {
    const char *cmd;                /* for messages */
    const char *target;             /* --target FILE; NULL: the detected host */
    const char *dump_after;         /* --dump-after PASS (one of pass_names), or NULL */
    PlanOptions opt;                /* strategy "auto" and seed 1 unless given; the rules */
    PlaceRule *rule;                /* argc entries: owned, free with plan_args_free */
    char **sel;                     /* the rules' selectors, copied out of "SEL=PROC" */
    const char *profile_from;       /* --profile-from TRACE.json, or NULL */
    Measured *measured;             /* its step times (opt.measured once given), read by
                                     * plan_run; owned, free with plan_args_free */
    char figures[4200];             /* where the cost model's figures came from, set by
                                     * plan_target (tools/profile.h: profile_fill) */
    AutoChoice choice;              /* --strategy auto's, filled by plan_run */
} PlanArgs;
/* 0, or -1 after a message (out of memory, exit EXIT_ENV); free with plan_args_free either way */
int plan_args_init(PlanArgs *pa, const char *cmd, int argc);
void plan_args_free(PlanArgs *pa);
/* Takes flag id (one of ARGS_PLAN's) with value v: 1 taken, 0 not one of those, -1 after a usage
 * message (exit EXIT_USAGE): an unknown strategy or one of a later version, a seed that is not
 * a number, a rule not of the form SEL=PROC, an unknown pass. */
int plan_arg(PlanArgs *pa, int id, const char *v);
/* The target: the description --target names, else the detected host (the CPU and every
 * OpenCL device), with the cost model's figures (profile_fill: the description's own, the
 * profile cache's, a quick profile made now, or none by HETC_PROFILE), pa->figures saying
 * which. 0, or -1 after printing the diagnostic, with *status set to the exit status. */
int plan_target(PlanArgs *pa, Target *t, int *status);
/* The passes (pass_pipeline) on g for t with pa's options, printing the IR to stdout after
 * --dump-after's pass. With --profile-from, the trace is read first (exit 2: not a trace,
 * unreadable) and the plan checked against it after (exit 2: no step of the plan took a measured
 * time, or the trace names a node g has not). 0, or -1 after printing the diagnostic, with
 * *status set. */
int plan_run(PlanArgs *pa, const ModelArgs *ma, Graph *g, Target *t, Plan *p,
             const Progress *pr, int *status);
/* --strategy auto (tools/auto.c): plans every candidate strategy on a fresh load of ma's model
 * and picks one, into pa->choice; sets pa->opt.strategy to it (and the CPU processor's threads
 * in t for a cpu plan at more threads). 0, or -1 after printing why when every one refused. */
int plan_auto(PlanArgs *pa, const ModelArgs *ma, Target *t, const Progress *pr, int *status);
/* "cpu", or "auto: cpu@2" once auto chose; buf holds it (size 64 is enough) */
const char *plan_strategy_label(const PlanArgs *pa, char *buf, size_t size);
/* plan.json's "auto" member (what auto compared and chose) into buf, or NULL when auto did not
 * run (or buf is too small) */
const char *plan_auto_json(const PlanArgs *pa, char *buf, size_t size);
/* What auto compared and chose, for --explain: a line per candidate */
void plan_auto_explain(const PlanArgs *pa, FILE *f);
/* "cpu0" or "cpu0, ocl0": the processors of p's lanes, in lane order ("no processor" for none) */
void plan_put_lanes(const Plan *p, FILE *f);
