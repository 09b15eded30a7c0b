/*
 * ops.h: hetc's ops on an OpenCL device, the counterpart of the CPU kernels (rt_backend.h) that a
 * plan calls for the steps it places on OpenCL.
 *
 * Tensors live in device buffers: an OclTensor is a dtype, a shape and where element 0 sits in a
 * cl_mem, as a byte offset, so that a plan's tensors can share one arena buffer per device.
 * Constant tensors (weights, shape operands) are also reachable on the host through `host`, which
 * an op that needs values to set itself up (Clip's bounds, Pad's pads, Resize's scales, ...)
 * reads instead of copying them back from the device.
 *
 * The contract is the CPU kernels': shapes were checked by the compiler; in[i] is NULL for an
 * omitted optional input; outputs never alias inputs; constants are read-only. An op enqueues its
 * work on the device's in-order queue and returns without waiting for it: the caller waits
 * (ocl_finish) before it reads results on the host. It returns RT_OK, RT_EUNSUPPORTED (a dtype or
 * form it does not handle, with rt_fail saying which), RT_ECL (the failing CL call, named) or
 * RT_ENOMEM, and never exits.
 */
#pragma once

#include "ocl.h"

typedef struct OclTensor {
    cl_mem mem;
    size_t off;                 /* bytes from the start of mem to element 0: a multiple of the
                                 * element size (plans align tensors to 64 bytes) */
    const void *host;           /* the same data in host memory (constants), or NULL */
    RT_SHAPE_MEMBERS;           /* dt, rank, dim, or all three as `shape` (rt.h) */
} OclTensor;

/* Elements of t. */
static inline int64_t
ocl_numel(const OclTensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dim[i];
    return n;
}

typedef int (*OclOp)(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                     OclTensor *const *out, int nout);

/* One declaration per op: int ocl_op_<stem>(...), defined in runtime/opencl/<group>.c where the
 * backend has it. ocl_op[] (opencl/table.c) lists them, NULL where an op has no OpenCL kernel. */
#define OP(id, stem, ...)                                                                          \
    int ocl_op_##stem(OclDev *d, const Attr *a, OclTensor *const *in, int nin,                     \
                      OclTensor *const *out, int nout);
#include "ir/ops.def"
#undef OP

extern const OclOp ocl_op[OP_COUNT];
