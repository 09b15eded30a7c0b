/*
 * rt.h: libhetrt, the runtime that generated plans link against. This header is what a generated
 * NAME.c includes: tensors, status codes, the execution context, and the entry point of the
 * standalone binary. Kernels see more through rt_backend.h.
 *
 * The runtime never depends on the compiler: it shares only the op enum (ir/opkind.h) and the
 * attribute structs and dtypes (ir/attr.h), which a plan bakes in as static constants.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ir/attr.h"
#include "ir/opkind.h"

enum { RT_MAXRANK = 8 };

typedef enum RtStatus {
    RT_OK = 0,
    RT_ENOMEM = -1,         /* out of memory */
    RT_EIO = -2,            /* a file could not be read or written */
    RT_EINPUT = -3,         /* bad input: a corrupt weights file, an input of the wrong size */
    RT_EUNSUPPORTED = -4,   /* a kernel met a dtype or form it does not handle */
    RT_ECL = -5,            /* an OpenCL call failed */
    RT_EUSAGE = -6,         /* bad command-line flags */
    RT_ESYS = -7,           /* a system call failed: a thread, pinning to cores */
} RtStatus;

const char *rt_strerror(int status);
/* the process exit status for a status: 0, 1 usage, 2 bad input, 3 environment */
int rt_exit_status(int status);

/* A dtype and a static shape: what every backend's tensor type starts with (RtTensor here,
 * OclTensor in opencl/ops.h), so that shape and stride code is written once for both. */
typedef struct RtShape {
    DType dt;
    int rank;
    int64_t dim[RT_MAXRANK];
} RtShape;

/* The members of RtShape, also reachable as one RtShape named `shape`: t->dim and
 * t->shape.dim are the same bytes (an anonymous union of C11). */
#define RT_SHAPE_MEMBERS                                                                           \
    union {                                                                                        \
        RtShape shape;                                                                             \
        struct {                                                                                   \
            DType dt;                                                                              \
            int rank;                                                                              \
            int64_t dim[RT_MAXRANK];                                                               \
        };                                                                                         \
    }

typedef struct RtTensor {
    void *data;                 /* C order; NULL for a tensor with no elements */
    RT_SHAPE_MEMBERS;
} RtTensor;

int64_t rt_numel(const RtTensor *t);
size_t rt_dtype_size(DType t);
/* t's size in bytes into *bytes: 0, or -1 when a dim is negative, the dtype has no size or the
 * product overflows a size_t. */
int rt_tensor_bytes(const RtTensor *t, size_t *bytes);

/* The context of one lane of a plan instance (exec.h): worker threads, scratch memory, derived
 * weights and the last error. */
typedef struct RtCtx RtCtx;
RtCtx *rt_ctx_new(int threads);      /* owned; free with rt_ctx_free; NULL on OOM */
void rt_ctx_free(RtCtx *ctx);
int rt_ctx_threads(const RtCtx *ctx);
/* Tells ctx where the plan's constants (its mapped weights) lie: kernels may keep data derived
 * from a tensor in that range (pre-packed weights) for the life of ctx. */
void rt_ctx_consts(RtCtx *ctx, const void *data, size_t bytes);

/* The name of the processor ctx runs on, for traces and reports: the OpenCL device's name once a
 * gpu plan opened one (rt_ctx_set_device_name), else the CPU's model name from /proc/cpuinfo,
 * else "cpu". Valid while ctx lives. */
const char *rt_ctx_device_name(RtCtx *ctx);
void rt_ctx_set_device_name(RtCtx *ctx, const char *name);

/* Last error detail (the failing call, file or kernel), for messages; never NULL. */
const char *rt_ctx_error(const RtCtx *ctx);

/* Why the last plan instance created on this thread failed to start (the failing OpenCL call,
 * say), or "" when it did not say: a NAME_create that returns NULL has no instance to ask. */
const char *rt_create_error(void);
void rt_set_create_error(const char *msg);

/* ---- tracing: the start and end of every step of a run (exec.h: rt_plan_trace) -------------- */

typedef struct RtTraceEvent {
    int step;                   /* index of the step in the plan (its node in exec.h's plans) */
    double start_ms, end_ms;    /* since the start of the run that recorded it */
    int lane;                   /* the lane that ran it (exec.h) */
    int copy;                   /* 1: a copy between memory spaces */
} RtTraceEvent;

/* The monotonic clock in ms. */
double rt_now_ms(void);

/* ---- weights files -------------------------------------------------------------------------- */

/* NAME.weights: a 64-byte header (magic "HETCWTS2", data size, the data's checksum: hc_sum of
 * ir/checksum.h) then the data, each tensor at a 64-byte aligned offset. */
typedef struct RtWeights {
    const unsigned char *data;  /* mapped read-only */
    size_t size;
    void *map;                  /* the whole mapping, for rt_weights_close */
    size_t mapsize;
} RtWeights;

/* Maps and checks path: RT_OK, RT_EIO (cannot open), or RT_EINPUT (not a regular file,
 * truncated, corrupt, of a different size than expect_size, or a checksum mismatch). A FIFO or
 * device is refused without blocking, through the descriptor that is mapped. */
int rt_weights_open(RtWeights *w, const char *path, size_t expect_size, uint64_t expect_sum);
/* Why the last rt_weights_open on this thread failed, when it can say more than its status
 * ("not a regular file", strerror's text for RT_EIO); "" otherwise. */
const char *rt_weights_error(void);
void rt_weights_close(RtWeights *w);
uint64_t rt_fnv1a64(const void *data, size_t n);

/* Where a plan's tensor lives (generated tables): kind 'a' the arena of memory space `space`,
 * 'w' the weights, at a byte offset; 'i' an input, 'o' an output, at an index; '-' not stored (no
 * elements, or unused). Inputs, outputs and the weights file are in host memory (space 0); a
 * space other than the host's gets the weights its steps use (exec.h, RtWeightUse). */
typedef struct RtPlace {
    char kind;
    long long at;
    int space;
} RtPlace;

/* ---- the standalone binary ------------------------------------------------------------------- */

/* What a generated plan tells rt_main about itself: its inputs and outputs, and its tables
 * (exec.h), which rt_main runs with rt_plan_new / rt_plan_run. */
struct RtPlanDesc;
typedef struct RtModelInfo {
    const char *name;
    int ninput, noutput;
    const RtTensor *inputs;     /* dtype and shape of each input (data NULL) */
    const char *const *input_names;
    const RtTensor *outputs;
    const char *const *output_names;
    const struct RtPlanDesc *desc;
} RtModelInfo;

/* The binary's main: --input, --output, --iters, --warmup, --threads, --weights, --json,
 * --trace. */
int rt_main(int argc, char **argv, const RtModelInfo *info);
