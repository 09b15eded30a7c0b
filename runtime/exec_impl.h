/*
 * exec_impl.h: what the executor (exec.c) shares with its backends (exec_cpu.c for the CPU,
 * opencl/backend.c for OpenCL): the plan instance, a lane, and the backend interface.
 *
 * A backend is a table of functions the executor calls on a lane. Every one of them runs on the
 * lane's own thread (its worker, or the caller's thread for a plan of one lane), so a backend
 * keeps its state in the lane (RtLane.be) and needs no lock. The executor gives every lane host
 * views of the tensors that live in host memory (RtLane.t: the host arenas, the mapped weights,
 * and per run the caller's inputs and outputs); a backend adds its own views of what it holds.
 */
#pragma once

#include "exec.h"
#include "rt_backend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct RtBackendOps {
    const char *name;           /* "cpu", "opencl" */
    int host_timed;             /* 1: the executor times steps with the clock when tracing */
    /* Opens the lane's processor (l->ctx exists, the thread is pinned), allocates the arena and
     * weights of the memory space it owns (copying the weights its steps use once) and makes
     * its tensor views. On failure the lane's error says why; close is called all the same. */
    int (*open)(RtLane *l);
    void (*close)(RtLane *l);
    /* Per run, before the lane's first step: what the caller's inputs and outputs (already in
     * l->t) need on this backend. */
    int (*bind)(RtLane *l);
    /* A step: fn through its own type, operands as tensor ids (-1: omitted). */
    int (*step)(RtLane *l, const RtStep *s, const int *id, int k);
    /* A copy step (fn NULL): operand id[0] into id[1], between host memory and the lane's own. */
    int (*copy)(RtLane *l, const RtStep *s, const int *id, int k);
    /* Before a step other lanes wait for counts as done: its work is complete. */
    int (*sync)(RtLane *l);
    /* At the end of a run, after a failure too: nothing of the lane's is still queued. */
    int (*finish)(RtLane *l);
    /* Tensor `tensor` of the lane's own memory into host memory dst (n bytes), blocking: an
     * output that no step writes in place. NULL: the backend holds no memory of its own. */
    int (*read)(RtLane *l, int tensor, void *dst, size_t n);
    /* After finish, when tracing: the run's device timestamps into l->trace. NULL: none. */
    void (*trace_end)(RtLane *l);
    /* In a stream, before each frame's steps: the backend's views of arena copy `copy` (the
     * host views in l->t are that copy's already). NULL: it has no views of its own. */
    int (*frame)(RtLane *l, int copy);
} RtBackendOps;

extern const RtBackendOps rt_cpu_backend;
extern const RtBackendOps rt_ocl_backend;

/* Asks for the OpenCL platforms and devices once (errors are left to the lanes' open): the
 * first such call in a process starts PoCL's threads and sets up LLVM (opencl/backend.c). */
void rt_ocl_warm_up(void);

/* What one lane waits on and signals: its progress in the current run, apart from the rest. */
typedef struct RtLaneSync {
    _Alignas(64) atomic_uint_least64_t done;    /* (run << 32) | steps done and published */
    atomic_uint seq;            /* a futex word: bumped to wake the lane's waiters */
    atomic_int sleepers;        /* waiters blocked (or about to block) on seq */
    char pad[64 - sizeof(atomic_uint_least64_t) - sizeof(atomic_uint) - sizeof(atomic_int)];
} RtLaneSync;

struct RtLane {
    RtPlan *p;
    int index;
    const RtLaneDesc *desc;
    const RtProc *proc;
    int proc_index;
    const RtBackendOps *ops;
    RtCtx *ctx;                 /* the lane's own: errors, scratch, derived weights, threads */
    int threads;
    RtTensor *t;                /* host views of every tensor: data NULL outside host memory */
    void **ptrs;                /* room for one step's operand pointers */
    unsigned char *sig;         /* sig[k]: a step of another lane waits for step k */
    void *be;                   /* the backend's state */
    int status;                 /* of the lane's last run, or of opening it */
    int frame;                  /* the frame of the run it is at: its waits and counts are
                                 * offset by frame * (the lanes' steps) */
    char err[768];              /* "node 3 \"conv\" (Conv) on ocl0: ..." */
    int tracing;
    RtTraceEvent *trace;
    int trace_cap, trace_n;
    pthread_t tid;
    int has_thread;
};

struct RtPlan {
    const RtPlanDesc *d;
    RtWeights w;
    unsigned char **arena;      /* per space: the host arenas (NULL for a device's or empty),
                                 * ncopy copies of stride[space] bytes each */
    size_t *stride;             /* per space: the bytes of one copy of its arena */
    int ncopy;                  /* copies of every arena: frames in flight in a stream */
    void **outc;                /* outc[(c - 1) * noutput + i]: output i of copy c >= 1 (copy
                                 * 0's are the caller's) */
    int *var;                   /* the host tensors whose address is the copy's ('a', 'o') */
    int nvar;
    int nlane;
    RtLane *lane;
    RtLaneSync *sync;           /* per lane */
    int *io;                    /* tensors stored in the caller's buffers ('i' and 'o') */
    int nio;
    /* this run's */
    const void *const *in;
    void *const *out;
    uint32_t run;               /* the run's number (RtLaneSync.done's high half) */
    int nframe;                 /* frames this run pushes through (a stream), at least 1 */
    double t0;                  /* when it started (rt_now_ms), for traces */
    atomic_int stop;            /* a lane failed: every lane stops */
    atomic_int failed;          /* the first failing lane + 1 */
    /* workers (plans of more than one lane) */
    atomic_uint go;             /* futex word: bumped to start a run */
    atomic_int go_sleepers;
    atomic_int running;         /* lanes of the run not finished; a futex word the caller waits on */
    atomic_int quit;
    pthread_mutex_t mu;         /* start-up only: workers report that their lane is open */
    pthread_cond_t cv;
    int nready;
    char err[1024];
};

/* A pause in a spin loop; the monotonic clock in ns (rt.c). */
void rt_relax(void);
int64_t rt_now_ns(void);

/* The bytes of tensor i (its dtype and shape in the plan). */
size_t rt_exec_bytes(const RtPlan *p, int i);
/* Records a failure of lane l as "<what> on <proc>: <detail>" (detail: the lane's context's
 * error, else the status's text), stops every lane and returns status. */
int rt_exec_fail(RtLane *l, int status, const char *what);
