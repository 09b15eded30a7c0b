/*
 * table.c: the OpenCL op of every op kind. Ops are declared weak here, so the table lists exactly
 * those that exist (NULL: none on OpenCL yet) and a plan links only the ops it calls.
 */
#include "ops.h"

#define OP(id, stem, ...)                                                                          \
    int ocl_op_##stem(OclDev *d, const Attr *a, OclTensor *const *in, int nin,                     \
                      OclTensor *const *out, int nout) __attribute__((weak));
#include "ir/ops.def"
#undef OP

const OclOp ocl_op[OP_COUNT] = {
#define OP(id, stem, ...) [OP_##id] = ocl_op_##stem,
#include "ir/ops.def"
#undef OP
};
