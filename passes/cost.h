/*
 * cost.h: the cost model. How long a step takes on a processor, what a transfer between memory
 * spaces costs, and how much slower a processor runs while another is busy; the schedule
 * (passes/schedule.c) turns these into a predicted timeline whose makespan is the plan's
 * predicted latency.
 *
 * A step's work is its op class, its FLOPs and bytes (ir/count.c) and, for GEMM-shaped classes
 * (conv, gemm), its GEMM shape M x N x K. Its time on processor p is the formula of target.h's
 * Rate with p's rate for the class (cost_rate), plus p's launch_us. Where a target has no rate
 * for a class, a built-in default stands in (cost_default_rate), and the prediction says so
 * (CostPrediction.source).
 *
 * Measured feedback (--profile-from): a table of per-step times of an earlier run, matched by
 * node name and processor id, replaces the model's figure for the steps it names.
 */
#pragma once

#include "passes/target.h"

/* What a step does, for the cost model. */
typedef struct Work {
    CostClass cls;
    int op;                     /* the node's OpKind (a rate may be for one op alone) */
    double flops;               /* multiply-add = 2 */
    double bytes;               /* read and written, weights included */
    /* GEMM shape per image and group: conv M = output channels, N = output positions, K = input
     * channels x kernel taps; Gemm and MatMul their own; 0 for classes that are not GEMMs */
    double m, n, k;
    /* the elementwise ops fused into it (Conv+Add+Relu: Add, Relu), applied to each of its
     * fused_elems output elements; each is timed by its own rate's compute term */
    int nfused;
    int fused[4];
    double fused_elems;
} Work;

/* The work of node n: its own op's FLOPs and bytes; its fused elementwise ops apart. */
Work cost_work(const Graph *g, NodeId n);

/* The rate processor p uses for w: the best of the rates for w's op alone and the best of those
 * for its class, each the one at p's thread count (0 counts as 1), else one for any thread
 * count (threads 0), else the nearest thread count (of two as near, the lower); then the op's,
 * unless the class's is for a nearer thread count. NULL when p has none. */
const Rate *cost_rate(const Target *t, int p, const Work *w);
/* The rate that stands in when the target gives none (uncalibrated: 100 GFLOP/s, 20 GB/s). */
const Rate *cost_default_rate(CostClass c);

/* Where a prediction's figures come from (Schedule.source, plan.json's "source"). */
typedef enum CostSource {
    CS_DEFAULT,                 /* no figure for it: cost_default_rate, or 20 GB/s for a transfer */
    CS_DESCRIPTION,             /* the description's own figures (no <measured>) */
    CS_PROFILE,                 /* figures of hetc profile (the description has <measured>) */
    CS_MEASURED,                /* the step's time in a trace (--profile-from) */
} CostSource;
/* "default", "description", "profile", "measured" */
const char *cost_source_name(int s);
/* Where cost_work_us takes its figures for w on p from (never CS_MEASURED). */
CostSource cost_work_source(const Target *t, int p, const Work *w);

/* Microseconds of work w on processor p by the formula, p's launch_us included, without
 * contention or waits. */
double cost_work_us(const Target *t, int p, const Work *w);
/* The part of cost_work_us that w's fused ops take: each one's FLOPs over w's outputs at its
 * elementwise rate's compute term (the data is at hand: no memory term, no launch). */
double cost_fused_us(const Target *t, int p, const Work *w);
/* Microseconds to move bytes from space a to space b: the link's figures in that direction,
 * else by way of the host (two links), else 20 GB/s; 0 within one memory. */
double cost_transfer_us(const Target *t, int a, int b, double bytes);
/* Where cost_transfer_us takes its figures from: a link with a bandwidth, or the default. */
CostSource cost_transfer_source(const Target *t, int a, int b);
/* How much slower processor a runs while processor b is busy: the description's contention
 * factor, else 1. */
double cost_contention(const Target *t, int a, int b);

/* Measured per-step times (--profile-from), from an earlier run's trace. */
typedef struct MeasuredStep {
    const char *node;           /* node name as in the trace (owned by the table) */
    char proc[TG_MAXID];        /* processor id */
    double us;                  /* its median (or only) duration */
    int used;                   /* set by the schedule when a step of the plan took it */
    int copy;                   /* a Copy (args.op): another plan's copies may be absent here */
    double ts_us, dur_us;       /* the last run's start and duration (ts, dur); -1: absent */
} MeasuredStep;

typedef struct Measured {
    char file[1024];            /* the trace, for messages */
    int n;
    MeasuredStep *step;         /* owned; free with cost_measured_free */
} Measured;

/* Reads the step times of a trace written by a plan's --trace (docs/runtime.md): 0, or -1 with
 * "FILE: what" in d (bad input: not JSON, not a trace of hetc, no steps). */
int cost_measured_load(Measured *m, const char *path, Diag *d);
void cost_measured_free(Measured *m);
/* The measured microseconds of node n on processor p, or -1 when the table has none. Marks
 * the entry used. */
double cost_measured_us(Measured *m, const Graph *g, NodeId n, const Target *t, int p);
/* After the schedule of g (placed for t) took from m: 0, or -1 with "FILE: what" in d (bad
 * input) when no step of the plan took a measured time, or an entry names a step that is none
 * of g's (copies aside). */
int cost_measured_check(const Measured *m, const Graph *g, const Target *t, Diag *d);
