/*
 * passes.h: the passes between the frontend and codegen, declared by file. Each takes the graph
 * (and later a Target), returns 0, or -1 with the reason in the Diag. pipeline.c holds the order.
 */
#pragma once

#include "ir/ir.h"
#include "passes/target.h"

#include <stdio.h>

typedef struct Schedule Schedule;

/* emit.c: nodes and constants added by the passes that rewrite nodes into others */
/* A new node op, last in node order, named and numbered (Node.index) after node at, on
 * in[0..nin) (inferred already), with attributes *attr (op's defaults when NULL), writing `to`
 * (a fresh value "%N" when NONE); inferred at once, and folded too when fold (ir_infer_fold_node).
 * Its output, or NONE with d set (out of memory, or what inference refuses). Value and node
 * pointers taken before the call are stale after it. */
ValId pass_emit(Graph *g, NodeId at, OpKind op, const ValId *in, int nin, const Attr *attr,
                ValId to, int fold, Diag *d);
/* A new constant "%N" of dtype dt and shape dim[0..rank) (dim may be NULL for rank 0) holding a
 * copy of data (zeros when data is NULL); NONE on OOM (d set). */
ValId pass_const(Graph *g, DType dt, int rank, const int64_t *dim, const void *data, Diag *d);
/* A constant of dtype int64, int32 or bool holding v[0..n) converted: of rank 1, or a scalar
 * (rank 0, n = 1); NONE on OOM (d set). */
ValId pass_const_ints(Graph *g, DType dt, int rank, const int64_t *v, int n, Diag *d);

/* cleanup.c */
/* Drops nodes whose outputs all folded to constants, Identity and inference-mode Dropout
 * (their uses read the input instead), and nodes nothing uses; then compacts the graph. */
int pass_cleanup(Graph *g, Diag *d);

/* control.c */
/* Inlines every If, Loop and Scan: a constant If's taken branch, a run-time If's both branches
 * with a Where per output, a Loop or Scan of a known trip count unrolled (refusing what it
 * cannot); run by the check pass, first (strict). Not strict (inspect), a node whose trip count,
 * condition or sequence length is known only at run time stays, its outputs of unknown shape. */
int pass_control(Graph *g, int strict, Diag *d);

/* einsum.c */
/* Replaces each Einsum whose inputs have static shapes by ReduceSum, Transpose, Reshape and
 * MatMul nodes (refusing the forms it cannot lower); run by the check pass, first. */
int pass_einsum(Graph *g, Diag *d);

/* patterns.c */
/* Puts op sequences exporters write out for one function back as that op: GELU's exact and
 * tanh forms become Gelu nodes; the graph is compacted when anything changed. */
int pass_patterns(Graph *g, Diag *d);

/* qdq.c */
/* Turns QuantizeLinear(Conv(DequantizeLinear(x), DequantizeLinear(W), B)), with a Relu or Clip
 * between, into QLinearConv, and the same of MatMul and Gemm into QLinearMatMul, where that is
 * exact; run first by the cleanup step, while the folded DequantizeLinear nodes of constant
 * weights still stand. */
int pass_qdq(Graph *g, Diag *d);

/* fuse.c */
/* Folds BatchNormalization and per-channel constant Mul/Add/Sub/Div after a Conv,
 * ConvTranspose or Gemm with constant weights into new weights and bias, then fuses one following
 * activation (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU) into its attribute's
 * `fuse`; absorbed nodes go and the graph is compacted. */
int pass_fuse(Graph *g, Diag *d);

/* memplan.c */
/* The most bytes one tensor, or the arena, may take: 2^47, the user address space of x86-64 and
 * of AArch64's usual configuration; a model that needs more is refused when it is compiled. */
#define PASS_MAX_BYTES ((int64_t)1 << 47)
/* A static-shaped tensor's bytes into *bytes: 0, or -1 when its shape is not static or it would
 * take more than PASS_MAX_BYTES (no product can overflow on the way). */
int pass_tensor_bytes(const Value *v, int64_t *bytes);

typedef struct MemPlan {
    int64_t *offset;        /* per value: byte offset in its memory's arena, -1 if not in one */
    int *mem;               /* per value: the memory it lives in (target_mem of its writer's
                             * space; 0, the host's, without a schedule) */
    int64_t arena;          /* bytes of every memory's arena together */
    int64_t mem_arena[TG_MAXSPACE];     /* bytes of the arena of each memory (by space index) */
    int64_t total;          /* sum of the bytes of every arena tensor */
    int64_t lower;          /* the most bytes live at once: no plan can be smaller */
} MemPlan;
/* Places every intermediate tensor (node outputs that are neither graph outputs nor constants)
 * in one arena by liveness: tensors alive at the same step never overlap, except that a Concat's
 * inputs may be placed inside its output, at their ranges (then the Concat copies nothing).
 * Offsets are 64-byte aligned but for those inputs. total (saturating at INT64_MAX) and lower
 * count each tensor that has a place of its own. Arrays are allocated in the graph's arena.
 * A tensor, a step's live tensors or the arena beyond PASS_MAX_BYTES is an error (bad input).
 * O(T log T) in the tensors for graphs with a few tensors alive at a time, and in any case
 * O((T + S) log T) with S the steps. */
int pass_memplan(Graph *g, MemPlan *mp, Diag *d);
/* The same per memory for a placed, scheduled graph: each tensor lives in the memory of the
 * processor that writes it, and two tensors of one memory share bytes only where s orders every
 * reader of the first before the writer of the second (pass_before), whatever their lanes; a
 * Concat is done in place only when its inputs are written in its own memory. With one lane it
 * places exactly as pass_memplan. */
int pass_memplan_placed(Graph *g, const Target *t, const Schedule *s, MemPlan *mp, Diag *d);

/* place.c: every node's processor (Node.dev) and why (Node.cause) */
typedef enum PlaceCause {
    PC_NONE,
    PC_STRATEGY,            /* the strategy put it there */
    PC_ONLY,                /* the strategy's processor cannot run it: the only one that can */
    PC_FORCED,              /* --place */
    PC_RANDOM,              /* --strategy random */
    PC_COPY,                /* a copy between memories, run by the device side's processor */
    PC_TRANSFER,            /* elsewhere, the transfers would cost more than it saves */
    PC_EARLIEST,            /* greedy: it finishes earliest there */
    PC_OPTIMAL,             /* optimal: the placement of least predicted makespan */
    PC_SPLIT,               /* split: its share of a divided op, or kept with its slice */
    PC_STAGE,               /* pipeline: its stage's processor */
    PC_MERGED,              /* moved to a neighbouring region by --max-partitions */
} PlaceCause;
const char *pass_cause_name(int cause);         /* "strategy", "forced by --place", ... */

typedef struct PlaceRule {
    const char *sel;        /* an op type ("Conv") or a node name */
    const char *proc;       /* a processor id */
} PlaceRule;

typedef struct PlanOptions {
    const char *strategy;   /* cpu, gpu, random, auto, ... (checked by the driver) */
    uint64_t seed;          /* random */
    const PlaceRule *place; /* --place, in order: a later rule wins */
    int nplace;
    struct Measured *measured;  /* --profile-from: measured step times, or NULL (cost.h) */
    int no_fallback;            /* --no-fallback: refuse a node that leaves the preferred
                                 * processor */
    int max_partitions;         /* --max-partitions N: at most N regions; 0: no bound */
    int stream;                 /* --stream N at compile time: frames in flight (pipeline) */
} PlanOptions;

/* Fills Node.dev and Node.cause for every node from the strategy, then the --place rules. An
 * op no processor of t can run, or a rule that names an unknown processor or one that cannot
 * run the node, is bad input naming node, op and processor. */
int pass_place(Graph *g, const Target *t, const PlanOptions *o, Diag *d);
/* 1 when processor p may run node n in this plan: it can (target_can_run) and no --place rule
 * that names n sends it elsewhere (the last such rule wins). Strategies place only so. */
int pass_can_place(const Graph *g, const Target *t, const PlanOptions *o, NodeId n, int p);

/* copies.c: a Copy node on every edge between processors of different memories (none across a
 * zero-copy link): the consumer reads the copy. A graph input read in another memory is copied
 * from the host; a graph output written in another memory is written there to a new tensor
 * and copied to the host. Copies run on the processor of the memory that is not the host's
 * (the source's, between two devices, by way of the host). */
int pass_copies(Graph *g, const Target *t, Diag *d);

/* schedule.c: the schedule of a placed graph. The graph's node order is the global order; each
 * processor that runs a step gets a lane, whose steps run in that order; a step waits for the
 * steps of other lanes whose outputs it reads. */
struct Schedule {
    int nlane;
    int lane_proc[TG_MAXPROC];  /* the processor of each lane, lanes in order of first step */
    int nstep[TG_MAXPROC];      /* steps of each lane */
    int *lane;                  /* per node: its lane */
    int *pos;                   /* per node: its position in its lane */
    /* per node n, the waits before it: wait[2k], wait[2k+1] for wat[n] <= k < wat[n + 1] are a
     * lane and how many of its steps must be done first (the latest per lane only) */
    int *wat, *wait;
    int *signal;                /* per node: 1 when a step of another lane waits for it */
    int *clock;                 /* per node n: clock[n * nlane + l] steps of lane l happen
                                 * before n ends (n itself included): a vector clock */
    double *start_ms, *end_ms;  /* the predicted schedule, per node */
    double *alone_ms;           /* per node: its predicted time alone (without contention) */
    unsigned char *source;      /* per node: where that time comes from (CostSource, cost.h) */
    double makespan_ms;
    /* the predicted time per frame of a stream with frames in flight (runtime --stream): the
     * busiest lane's total, steps and waits; one lane: its makespan */
    double frame_ms;
};
/* m (may be NULL): measured step times that replace the cost model's where they match */
int pass_schedule(Graph *g, const Target *t, struct Measured *m, Schedule *s, Diag *d);
/* 1 when node a ends before node b starts in every run (a happens before b) */
int pass_before(const Schedule *s, NodeId a, NodeId b);

/* pipeline.c */
/* A plan: the target it is for, its schedule and its memory plan (arrays in the graph's arena). */
typedef struct Plan {
    const Target *target;
    Schedule sched;
    MemPlan mem;
} Plan;
/* The passes, in their one order: check, cleanup, fuse, place, copies, schedule, memplan. With
 * dump_after naming a pass, the IR is printed to dump once that pass is done (ir_dump). */
int pass_pipeline(Graph *g, const Target *t, const PlanOptions *o, const char *dump_after,
                  FILE *dump, Plan *p, Diag *d);
/* The names of the passes, in order, NULL-terminated (for --dump-after's help and errors). */
extern const char *const pass_names[];
