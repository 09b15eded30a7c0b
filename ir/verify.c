/*
 * verify.c: the IR verifier. Checks the invariants every pass must keep: ids in range, every value
 * defined at most once and before its uses (node order is topological), arities within the op
 * table, def links consistent, shapes non-negative and dtypes set where shapes are known. It runs
 * after every pass in debug builds; a failure here after the frontend is a bug in hetc, but the
 * verifier reports through a Diag so that a caller can say which pass broke what.
 */
#include "ir.h"

#include <string.h>

int
ir_verify(const Graph *g, Diag *d)
{
    int rc = 0;
    unsigned char *defined = ir_alloc((size_t)g->nval + 1);
    if (!defined)
        return diag_oom(d);
    memset(defined, 0, (size_t)g->nval + 1);
    for (ValId v = 0; v < g->nval; v++) {
        const Value *x = &g->val[v];
        if (x->def == NONE)
            defined[v] = 1;     /* inputs and constants are defined on entry */
        else if (x->def < 0 || x->def >= g->nnode) {
            rc = diag_error(d, "verify: value %%%d \"%s\" has a bad def %d", v, x->name, x->def);
            goto done;
        }
        if (x->rank > IR_MAXRANK || x->rank < -1) {
            rc = diag_error(d, "verify: value \"%s\" has rank %d", x->name, x->rank);
            goto done;
        }
        for (int i = 0; i < x->rank; i++)
            if (x->dim[i] < -1) {
                rc = diag_error(d, "verify: value \"%s\" has dim %d = %lld", x->name, i,
                                (long long)x->dim[i]);
                goto done;
            }
        if ((x->flags & V_CONST) && !x->data && ir_numel(x) != 0) {
            rc = diag_error(d, "verify: constant \"%s\" has no data", x->name);
            goto done;
        }
        int bad = (x->flags & (V_SEQ | V_OPT)) &&
                  (x->nelem < 0 || (x->nelem && !x->elem) ||
                   ((x->flags & V_OPT) && !(x->flags & V_INPUT) && x->nelem > 1));
        for (int i = 0; !bad && (x->flags & (V_SEQ | V_OPT)) && i < x->nelem; i++)
            bad = x->elem[i] < 0 || x->elem[i] >= g->nval || x->elem[i] == v;
        if (bad) {
            rc = diag_error(d, "verify: sequence or optional \"%s\" holds a bad list", x->name);
            goto done;
        }
    }
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        if ((unsigned)x->op >= OP_COUNT) {
            rc = diag_node(d, g, n, "verify: bad op %d", (int)x->op);
            goto done;
        }
        const OpInfo *oi = &ir_op[x->op];
        if (x->nin < oi->inmin || x->nin > oi->inmax || x->nout < oi->outmin ||
            x->nout > oi->outmax) {
            rc = diag_node(d, g, n, "verify: %d inputs and %d outputs, expected %d..%d and %d..%d",
                           x->nin, x->nout, oi->inmin, oi->inmax, oi->outmin, oi->outmax);
            goto done;
        }
        for (int j = 0; j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE)
                continue;
            if (v < 0 || v >= g->nval) {
                rc = diag_node(d, g, n, "verify: input %d is out of range", j);
                goto done;
            }
            if (!defined[v]) {
                rc = diag_node(d, g, n, "verify: input \"%s\" is used before it is defined",
                               g->val[v].name);
                goto done;
            }
        }
        for (int j = 0; j < x->nout; j++) {
            ValId v = x->out[j];
            if (v == NONE)
                continue;
            if (v < 0 || v >= g->nval || g->val[v].def != n) {
                rc = diag_node(d, g, n, "verify: output %d is not linked back to its node", j);
                goto done;
            }
            defined[v] = 1;
        }
    }
    for (int i = 0; i < g->noutput; i++) {
        ValId v = g->output[i];
        if (v < 0 || v >= g->nval) {
            rc = diag_error(d, "verify: graph output %d is out of range", i);
            goto done;
        }
    }
done:
    ir_free(defined);
    return rc;
}
