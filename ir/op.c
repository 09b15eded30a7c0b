/*
 * op.c: the op table, built from ops.def, and lookup by ONNX name.
 */
#include "ir.h"

#include <string.h>

const OpInfo ir_op[OP_COUNT] = {
#define OP(id, stem, onnx, inmin, inmax, outmin, outmax, shape, flops, k, attr, flags) \
    [OP_##id] = {#stem, onnx, inmin, inmax, outmin, outmax, SH_##shape, FL_##flops, k, A_##attr, flags},
#include "ops.def"
#undef OP
};

OpKind
ir_op_lookup(const char *name)
{
    /* a linear scan: called once per node at load time, over about a hundred rows */
    for (int i = 0; i < OP_COUNT; i++)
        if (ir_op[i].onnx[0] && !(ir_op[i].flags & F_INTERNAL) &&
            strcmp(ir_op[i].onnx, name) == 0)
            return (OpKind)i;
    return OP_UNKNOWN;
}
