/*
 * cleanup.c: removes what does not need to run.
 *
 * Input: an inferred graph. Output: the same graph without (1) nodes whose outputs all folded to
 * constants, (2) Identity and Dropout nodes (inference mode: the output is the input; uses are
 * redirected to the input, unless the output is a graph output, which then stays a copy), and
 * (3) nodes none of whose outputs are used or graph outputs, repeated until nothing changes
 * (a backward sweep over the topological order does it in one pass); then ir_compact renumbers.
 * Linear in nodes and values.
 */
#include "passes.h"

static int
is_graph_output(const Graph *g, ValId v)
{
    return (g->val[v].flags & V_OUTPUT) != 0;
}

int
pass_cleanup(Graph *g, Diag *d)
{
    /* fwd[v]: the value that stands for v once the Identity defining v is gone; nodes come in
     * topological order, so each node's inputs are redirected before it is looked at */
    ValId *fwd = ir_alloc((size_t)(g->nval + 1) * sizeof *fwd);
    if (!fwd)
        return diag_oom(d);
    for (ValId v = 0; v < g->nval; v++)
        fwd[v] = v;
    for (NodeId n = 0; n < g->nnode; n++) {
        Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE)
                x->in[j] = fwd[x->in[j]];
        int folded = x->nout > 0;
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE && !(g->val[x->out[j]].flags & V_CONST))
                folded = 0;
        if (folded) {
            /* the outputs keep their data and become plain constants */
            for (int j = 0; j < x->nout; j++)
                if (x->out[j] != NONE)
                    g->val[x->out[j]].def = NONE;
            x->op = OP_NOP;
            continue;
        }
        if ((x->op == OP_IDENTITY || x->op == OP_DROPOUT) && x->in[0] != NONE &&
            !is_graph_output(g, x->out[0]) && (x->nout < 2 || x->out[1] == NONE)) {
            fwd[x->out[0]] = x->in[0];
            x->op = OP_NOP;
        }
    }
    ir_free(fwd);
    /* dead nodes: walking backwards, a node is dead when nothing live uses its outputs */
    ir_fill_uses(g);
    for (NodeId n = g->nnode - 1; n >= 0; n--) {
        Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        int live = 0;
        for (int j = 0; j < x->nout; j++) {
            ValId v = x->out[j];
            if (v != NONE && (g->val[v].nuse > 0 || is_graph_output(g, v)))
                live = 1;
        }
        if (live)
            continue;
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE)
                g->val[x->in[j]].nuse--;
        x->op = OP_NOP;
    }
    if (ir_compact(g) < 0)
        return diag_oom(d);
    return 0;
}
