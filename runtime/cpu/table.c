/*
 * table.c: the CPU kernel of every op. Kernels are declared weak here, so the table lists exactly
 * those that exist (NULL: no CPU kernel) and a plan links only the kernels it calls.
 */
#include "rt_backend.h"

#define OP(id, stem, ...)                                                                          \
    int cpu_##stem(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,  \
                   int nout) __attribute__((weak));
#include "ir/ops.def"
#undef OP

const RtKernel cpu_kernel[OP_COUNT] = {
#define OP(id, stem, ...) [OP_##id] = cpu_##stem,
#include "ir/ops.def"
#undef OP
};
