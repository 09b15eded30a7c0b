/*
 * pipeline.c: the order of the passes, in one place. For now one strategy, cpu: refuse what
 * cannot be compiled (unknown ops, dynamic shapes, strings), clean up, fuse, plan memory.
 * Costing, placement and scheduling join here as they arrive.
 */
#include "passes.h"

/* Ops whose CPU kernels compute in float32 only (their integer forms are rare in models); the
 * kernels check too, but a plan should be refused when it is compiled, not when it runs. */
static int
float_only(OpKind op, const Node *x, const Graph *g)
{
    switch (op) {
    case OP_CONV: case OP_CONVTRANSPOSE: case OP_GEMM: case OP_MATMUL: case OP_AVERAGEPOOL:
    case OP_MAXPOOL: case OP_LPPOOL: case OP_GLOBALAVERAGEPOOL: case OP_GLOBALMAXPOOL:
    case OP_BATCHNORMALIZATION: case OP_INSTANCENORMALIZATION: case OP_LAYERNORMALIZATION:
    case OP_LRN: case OP_SOFTMAX: case OP_LOGSOFTMAX: case OP_HARDMAX:
        return 1;
    case OP_RESIZE:
        return x->attr->resize.mode != RSZ_NEAREST;
    default:
        (void)g;
        return 0;
    }
}

/* What the CPU kernels cannot do, refused with a reason. */
static int
check_supported(const Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *in0 = x->nin > 0 && x->in[0] != NONE ? &g->val[x->in[0]] : NULL;
    if (in0 && float_only(x->op, x, g) && in0->dt != DT_F32)
        return diag_node(d, g, n, "%s on %s is not supported (float32 only)", ir_op[x->op].onnx,
                         ir_dtype_name(in0->dt));
    if (x->op == OP_DROPOUT && x->nin >= 3 && x->in[2] != NONE) {
        const Value *t = &g->val[x->in[2]];
        if (!(t->flags & V_CONST) || ir_numel(t) != 1 || ir_const_i(t, 0) != 0)
            return diag_node(d, g, n, "Dropout in training mode is not supported (inference "
                             "only)");
    }
    return 0;
}

/* Every node known, every value it touches of static shape and fixed-size dtype. */
static int
check_compilable(const Graph *g, Diag *d)
{
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        if (x->op == OP_UNKNOWN)
            return diag_node(d, g, n, "op is not supported");
        if (check_supported(g, n, d) < 0)
            return -1;
        for (int j = 0; j < x->nin + x->nout; j++) {
            ValId v = x->in[j];
            if (v == NONE)
                continue;
            const Value *val = &g->val[v];
            if (!ir_shape_known(val))
                return diag_node(d, g, n, "tensor \"%s\" has a dynamic shape; pass --shape for "
                                 "the model's inputs", val->name);
            if (ir_dtype_size(val->dt) == 0)
                return diag_node(d, g, n, "tensor \"%s\" of type %s is not supported", val->name,
                                 ir_dtype_name(val->dt));
        }
    }
    return 0;
}

int
pass_pipeline_cpu(Graph *g, MemPlan *mp, Diag *d)
{
    if (check_compilable(g, d) < 0 || pass_cleanup(g, d) < 0 || ir_verify(g, d) < 0 ||
        pass_fuse(g, d) < 0 || ir_verify(g, d) < 0)
        return -1;
    return pass_memplan(g, mp, d);
}
