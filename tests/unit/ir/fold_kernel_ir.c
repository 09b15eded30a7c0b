/*
 * fold_kernel_ir.c: the compiler's half of test_fold_kernel: folds one unary node on a constant
 * with ir_infer (which calls ir_fold_node). A file of its own because the compiler's ir.h and
 * the runtime's rt.h each bring their own copy of attr.h, which one translation unit cannot hold.
 */
#include "ir/ir.h"

#include <string.h>

#include "fold_kernel.h"

int
fk_fold(OpKind op, const ActAttr *act, DType dt, const void *in, int64_t n, void *out)
{
    Graph *g = ir_graph_new("fold.onnx");
    Diag d;
    int rc = -1;
    diag_init(&d, "fold.onnx");
    if (!g)
        return -1;
    size_t bytes = (size_t)n * ir_dtype_size(dt);
    ValId x = ir_val_add(g, "x", dt, NULL), y = ir_val_add(g, "y", DT_UNDEF, NULL);
    NodeId k = ir_node_add(g, op, "k", 1, 1);
    void *data = ir_galloc(g, bytes);
    if (x == NONE || y == NONE || k == NONE || !data)
        goto done;
    memcpy(data, in, bytes);
    g->val[x].rank = 1;
    g->val[x].dim[0] = n;
    g->val[x].data = data;
    g->val[x].flags |= V_CONST | V_PARAM;
    g->node[k].in[0] = x;
    g->node[k].out[0] = y;
    g->node[k].attr->act = *act;
    g->val[y].def = k;
    if (ir_infer(g, &d) == 0 && g->val[y].data && g->val[y].dt == dt) {
        memcpy(out, g->val[y].data, bytes);
        rc = 0;
    }
done:
    ir_graph_free(g);
    return rc;
}
