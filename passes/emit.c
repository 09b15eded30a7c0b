/*
 * emit.c: the nodes and constants that passes add to a graph as they rewrite it (einsum.c's
 * lowering, patterns.c's one-hot lookup), made one way.
 *
 * A new node goes last in node order (the pass re-sorts the graph when it is done), takes the
 * name and ONNX index of the node it stands for, so that diagnostics and plans point at the
 * model's node, and is inferred at once, its inputs being inferred already; folded too where the
 * pass asks. A new constant gets a fresh "%N" name and arena data. Each is O(1) but for the
 * inference and the copy of the data.
 */
#include "passes.h"

#include <string.h>

ValId
pass_emit(Graph *g, NodeId at, OpKind op, const ValId *in, int nin, const Attr *attr, ValId to,
          int fold, Diag *d)
{
    ValId y = to != NONE ? to : ir_val_add(g, NULL, DT_UNDEF, NULL);
    NodeId m = y == NONE ? NONE : ir_node_add(g, op, g->node[at].name, nin, 1);
    if (m == NONE) {
        diag_oom(d);
        return NONE;
    }
    Node *x = &g->node[m];
    x->index = g->node[at].index;
    for (int i = 0; i < nin; i++)
        x->in[i] = in[i];
    x->out[0] = y;
    if (attr)
        *x->attr = *attr;
    g->val[y].def = m;
    if ((fold ? ir_infer_fold_node(g, m, d) : ir_infer_node(g, m, d)) < 0)
        return NONE;
    return y;
}

ValId
pass_const(Graph *g, DType dt, int rank, const int64_t *dim, const void *data, Diag *d)
{
    size_t size = ir_dtype_size(dt);
    for (int i = 0; i < rank; i++)
        size *= (size_t)dim[i];
    ValId c = ir_val_add(g, NULL, dt, NULL);
    void *p = c == NONE ? NULL : ir_galloc(g, size + 1);
    if (!p) {
        diag_oom(d);
        return NONE;
    }
    if (data)
        memcpy(p, data, size);
    Value *v = &g->val[c];
    v->rank = rank;
    for (int i = 0; i < rank; i++) /* one by one: a scalar's dim is NULL (UBSan) */
        v->dim[i] = dim[i];
    v->data = p;
    v->flags = V_CONST | V_PARAM;
    return c;
}

ValId
pass_const_ints(Graph *g, DType dt, int rank, const int64_t *v, int n, Diag *d)
{
    IR_ASSERT(dt == DT_I64 || dt == DT_I32 || dt == DT_BOOL);
    IR_ASSERT(rank == 1 || (rank == 0 && n == 1));
    int64_t dim = n;
    ValId c = pass_const(g, dt, rank, &dim, NULL, d);
    if (c == NONE)
        return NONE;
    unsigned char *p = g->val[c].data;
    for (int i = 0; i < n; i++) {
        int32_t k = (int32_t)v[i];
        if (dt == DT_BOOL)
            p[i] = v[i] != 0;
        else if (dt == DT_I32)
            memcpy(p + (size_t)i * sizeof k, &k, sizeof k);
        else
            memcpy(p + (size_t)i * sizeof v[i], &v[i], sizeof v[i]);
    }
    return c;
}
