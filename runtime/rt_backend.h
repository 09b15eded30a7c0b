/*
 * rt_backend.h: what kernel implementers get on top of rt.h: the kernel signature, the kernel
 * tables, parallel loops and scratch memory.
 *
 * Kernel contract: every tensor's dtype and static shape was checked by the compiler's shape
 * inference, so a kernel may rely on consistent shapes (asserting cheaply is fine). in[i] is NULL
 * for an omitted optional input. Outputs never alias inputs. Constant inputs (weights) are
 * read-only. A kernel returns RT_OK, or RT_EUNSUPPORTED for a dtype or form it does not handle,
 * or RT_ENOMEM when scratch memory fails; it never exits or aborts on data.
 */
#pragma once

#include "rt.h"

typedef int (*RtKernel)(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,
                        RtTensor *const *out, int nout);

/* The CPU kernel of every op, NULL where there is none (runtime/cpu/table.c). */
extern const RtKernel cpu_kernel[OP_COUNT];

/* One declaration per op: int cpu_<stem>(...). Defined in runtime/cpu/<group>.c. */
#define OP(id, stem, ...)                                                                          \
    int cpu_##stem(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,  \
                   int nout);
#include "ir/ops.def"
#undef OP

/* Calls fn(arg, begin, end) over [0, n) split in contiguous chunks across the context's threads
 * (the calling thread takes one); returns when all are done. grain: the fewest items worth a
 * chunk of its own. */
void rt_parallel_for(RtCtx *ctx, int64_t n, int64_t grain,
                     void (*fn)(void *arg, int64_t begin, int64_t end), void *arg);

/* Scratch memory for the running kernel: 64-byte aligned, valid until the kernel returns, not
 * zeroed; NULL on OOM. Each call returns a distinct region (up to RT_SCRATCH_SLOTS per kernel). */
enum { RT_SCRATCH_SLOTS = 6 };
void *rt_scratch(RtCtx *ctx, int slot, size_t bytes);

/* A buffer of bytes derived from the constant at key (pre-packed weights), tagged by the kind of
 * derivation, kept until the context is freed: *fresh = 1 when it was just made and the caller
 * must fill it. NULL when key is not one of the plan's constants (rt_ctx_consts) or on OOM: the
 * caller then derives into scratch on every call. */
void *rt_derived(RtCtx *ctx, const void *key, int tag, size_t bytes, int *fresh);

/* RT_OK when every present input and output is float32, else RT_EUNSUPPORTED naming op. */
int rt_require_f32(RtCtx *ctx, const char *op, RtTensor *const *in, int nin, RtTensor *const *out,
                   int nout);

/* Records the detail of a failure for rt_ctx_error; returns status. */
int rt_fail(RtCtx *ctx, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
