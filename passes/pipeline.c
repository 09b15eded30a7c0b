/*
 * pipeline.c: the order of the passes, in one place. For now one strategy, cpu: refuse what
 * cannot be compiled (unknown ops, dynamic shapes, strings), clean up, plan memory. Fusion,
 * costing, placement and scheduling join here as they arrive.
 */
#include "passes.h"

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
    if (check_compilable(g, d) < 0 || pass_cleanup(g, d) < 0 || ir_verify(g, d) < 0)
        return -1;
    return pass_memplan(g, mp, d);
}
