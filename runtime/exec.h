/*
 * exec.h: the executor. A generated plan describes itself in tables (RtPlanDesc: tensors, memory
 * spaces, processors, and per processor a lane of steps with the waits between lanes) and the
 * runtime does the rest: it opens each processor through its backend (cpu/, opencl/), makes the
 * arenas, hands each space the weights its steps use, and runs each lane on a worker of its own,
 * pinned to the processor's cores, steps in order, waiting where a step reads what another lane
 * writes. A plan with one lane runs it on the caller's thread.
 *
 * A step is a kernel of its lane's backend (cpu_<stem> of rt_backend.h on a cpu lane,
 * ocl_op_<stem> of opencl/ops.h on an opencl lane) or, fn NULL, a copy of its one input into its
 * one output, between two memory spaces, done by its lane's backend.
 *
 * Nothing mutable is shared between lanes: each has its own context (errors, scratch, derived
 * weights), tensor views and trace. A stream (rt_plan_stream) keeps frames in flight at once,
 * each in its own copy of the arenas; the weights are shared. The first failing step stops
 * every lane; the run returns its status and rt_plan_error names the step and the failing call.
 */
#pragma once

#include "rt.h"

/* A kernel of any backend, cast back to its own type (RtKernel, OclOp) by the backend. */
typedef void (*RtFn)(void);
#define RT_FN(f) ((RtFn)(f))

typedef enum RtBackendKind { RT_BACKEND_CPU, RT_BACKEND_OPENCL, RT_BACKEND_COUNT } RtBackendKind;

typedef struct RtProc {
    const char *id;             /* "cpu0", as the compiler's target names it */
    int backend;                /* RtBackendKind */
    int threads;                /* 0: the run's thread count (NAME_create's, --threads) */
    int ncore;                  /* cores to pin its worker (and its threads) to; 0: none */
    const int *core;
    /* OpenCL: the first device whose platform and device names contain these (any case); both
     * NULL: $HETC_CL_DEVICE, else the first GPU, else the first device (ocl_open) */
    const char *cl_platform, *cl_device;
    int cl_index;               /* >= 0: the device of this index instead */
    int space;                  /* the memory space its steps' tensors live in */
} RtProc;

typedef struct RtSpace {
    int host;                   /* 1: host memory (space 0): its arena is the runtime's */
    int owner;                  /* else: the processor whose backend allocates it */
    size_t arena_bytes;
    size_t weights_bytes;       /* bytes of its packed weights (RtWeightUse) */
} RtSpace;

/* A constant that a space other than the host's uses: its bytes of the weights file at
 * place[tensor].at are copied to offset `at` of that space's weights buffer at set-up. */
typedef struct RtWeightUse {
    int tensor;
    int space;
    long long at;
} RtWeightUse;

typedef struct RtStep {
    RtFn fn;                    /* NULL: a copy of operand[at] into operand[at + 1] */
    const Attr *a;
    int at, nin, nout;          /* operand[at ...]: nin inputs, then nout outputs; -1 omitted */
    int wat, nwait;             /* wait[2 * wat ...]: nwait pairs (lane, steps of it done) */
    int signal;                 /* 1: a step of another lane waits for this one */
    int node;                   /* index into step_name and step_op */
} RtStep;

typedef struct RtLane RtLane;

typedef struct RtLaneDesc {
    int proc;
    int nstep;
    const RtStep *step;
    int (*run)(RtLane *l);      /* the generated lane function: rt_lane_steps over step */
} RtLaneDesc;

typedef struct RtPlanDesc {
    const char *name;
    int ntensor;
    const RtTensor *shape;      /* dtype and shape of every tensor (data NULL) */
    const RtPlace *place;
    int ninput, noutput;
    const int *input, *output;  /* tensors of the graph's inputs and outputs */
    int nspace;
    const RtSpace *space;
    int nproc;
    const RtProc *proc;
    int nlane;
    const RtLaneDesc *lane;
    const int *operand;
    const int *wait;
    int nweight_use;
    const RtWeightUse *weight_use;
    size_t weights_bytes;       /* of NAME.weights, with its checksum */
    unsigned long long weights_sum;
    int nsteps;                 /* steps of all lanes */
    const char *const *step_name;       /* "node 12 \"conv1\" (Conv+Relu)", by RtStep.node */
    const char *const *step_op;         /* "Conv" */
    int nprogram;               /* the plan's OpenCL programs (NAME.cl), for opencl lanes */
    const char *const *cl_name, *const *cl_text;
} RtPlanDesc;

typedef struct RtPlan RtPlan;

/* Maps the weights file, opens every processor and makes the arenas; NULL on failure with
 * *status set and rt_create_error() saying why. threads > 0 overrides the thread count of
 * processors that leave it to the run. */
RtPlan *rt_plan_new(const RtPlanDesc *desc, const char *weights_path, int threads, int *status);
/* The same for streams of up to `frames` frames (rt_plan_stream): a plan of several lanes then
 * holds min(frames, lanes + 1) copies of its arenas and outputs, one per frame in flight. */
RtPlan *rt_plan_new_stream(const RtPlanDesc *desc, const char *weights_path, int threads,
                           int frames, int *status);
/* One inference: reads inputs[i], writes outputs[i] (caller buffers, C order). */
int rt_plan_run(RtPlan *p, const void *const *inputs, void *const *outputs);
/* A stream: nframe inferences of the same inputs pushed through back to back. Each lane runs
 * its steps for frame f, then for frame f + 1, ...; a frame's waits are those of a run, on
 * counts that go on growing from frame to frame; frame f uses arena copy f mod K, and a lane
 * starts frame f + K only once every lane is done with frame f. With one lane, or a plan made
 * by rt_plan_new (K = 1), the frames run one after the other. outputs get the last frame's.
 * The first failure in any frame stops the stream (rt_plan_error says where). */
int rt_plan_stream(RtPlan *p, const void *const *inputs, void *const *outputs, int nframe);
void rt_plan_free(RtPlan *p);
/* The last failure: "node 3 \"conv\" (Conv) on ocl0: clEnqueueNDRangeKernel failed: ..." */
const char *rt_plan_error(RtPlan *p);
/* The context of lane 0 (tracing, the device name). */
RtCtx *rt_plan_ctx(RtPlan *p);

/* Runs a lane's steps in order with their waits (what the generated lane functions call). A
 * lane whose RtLaneDesc.run is NULL runs this over its steps. */
int rt_lane_steps(RtLane *l, const RtStep *step, int nstep);

/* ---- what the binary reports (runtime/main.c) ---------------------------------------------- */

int rt_plan_nlane(const RtPlan *p);
/* The processor of a lane (an index into RtPlanDesc.proc), its thread count and the name of
 * its device (the CPU's model name, the OpenCL device's name). */
int rt_plan_lane_proc(const RtPlan *p, int lane);
int rt_plan_threads(const RtPlan *p, int lane);
const char *rt_plan_device(RtPlan *p, int lane);
/* Makes every lane record its steps' start and end (on: 1) or stop (0); RT_ENOMEM on failure.
 * CPU steps are timed with the clock, OpenCL steps by profiling events mapped onto it. */
int rt_plan_trace(RtPlan *p, int on);
/* The steps lane recorded in the last run, in ms since its start (RtTraceEvent.step: the
 * step's node, an index into step_name). */
const RtTraceEvent *rt_plan_trace_events(const RtPlan *p, int lane, int *n);
