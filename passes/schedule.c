/*
 * schedule.c: the schedule of a placed graph: lanes, the waits between them, vector clocks, and
 * a predicted timeline.
 *
 * Input: a graph in topological order whose every node has a processor of the target (Node.dev).
 * The node order is the one global order. Each processor that runs a step gets a lane, lanes
 * numbered in order of first step; a lane runs its steps in node order, one after the other. A
 * step that reads a tensor written on another lane waits until that lane has done the writer:
 * the wait (lane, count) is satisfied once count steps of the lane are done (count = the
 * writer's position + 1). Per step only the latest wait on each lane is kept, and a wait is left
 * out when the step is ordered after the writer anyway: by its lane predecessor (whose clock
 * covers the count) or by another of its own waits (whose step's clock does).
 *
 * Vector clocks: clock[n][l] is the number of steps of lane l that happen before n ends, n
 * included: n's own lane gives pos + 1, every other lane the most of n's lane predecessor and of
 * the steps n waits for. Then a happens before b (pass_before) exactly when a is earlier on b's
 * lane, or b's clock counts a's step on a's lane: every run, whatever the speed of each lane,
 * finishes a before it starts b.
 *
 * Prediction: there is no calibrated cost model yet (issue 11). A step takes a roofline time, the
 * larger of its FLOPs at its processor's rate for the op's class and its bytes at the processor's
 * memory rate (Proc.gflops[CC_MOVE]), plus the processor's launch_us; a rate the target lacks is
 * 100 GFLOP/s or 20 GB/s, as in codegen's one-processor prediction. A Copy moves its bytes over
 * the link between its processor's space and the other side's (a copy goes between the host and
 * one device, passes/copies.c: the input's space when it is not the processor's, else the
 * host's), at the link's bandwidth and latency, else the processor's copy rate, else 20 GB/s. Each kept wait adds the waiting processor's sync_us.
 * The lanes are then simulated in node order: a step starts when its lane is free and the steps
 * it waits for have ended. Contention between processors is not modelled.
 *
 * Cost: O((N + E) L) time and O(N L) memory for N nodes, E inputs read and L lanes (L is at most
 * TG_MAXPROC). Every array of the Schedule is in the graph's arena.
 */
#include "passes.h"
#include "cost.h"

#include <string.h>

/* the defaults when the target gives no figure: GFLOP/s and GB/s */
#define DEFAULT_GFLOPS 100.0
#define DEFAULT_GBPS 20.0

/* The class of a node's measured rate. */
static CostClass
cost_class(const Graph *g, const Node *x)
{
    if (x->op == OP_COPY)
        return CC_COPY;
    switch (ir_op[x->op].flops) {
    case FL_CONV:
    case FL_CONVT: {
        /* depthwise: one input channel per group */
        const Value *w = x->nin > 1 && x->in[1] != NONE ? &g->val[x->in[1]] : NULL;
        return w && w->rank > 1 && w->dim[1] == 1 && x->attr->conv.group > 1 ? CC_DEPTHWISE
                                                                             : CC_CONV;
    }
    case FL_GEMM:
    case FL_MATMUL:
        return CC_GEMM;
    case FL_RED:
    case FL_POOL:
        return CC_REDUCE;
    case FL_ELT:
        return CC_ELTWISE;
    default:
        return ir_node_flops(g, x) > 0 ? CC_ELTWISE : CC_MOVE;
    }
}

/* the figure of class c (gflops, or gbps for move and copy), 0 when absent */
static double
class_figure(const Proc *p, CostClass c)
{
    for (int i = 0; i < p->nrate; i++)
        if (p->rate[i].cls == c && p->rate[i].op < 0)
            return c == CC_MOVE || c == CC_COPY ? p->rate[i].gbps : p->rate[i].gflops;
    return 0;
}

/* The predicted milliseconds of node n on its processor; space[v] is the space value v was
 * written in (filled in node order up to n). */
static double
step_ms(const Graph *g, const Target *t, const int *space, NodeId n)
{
    const Node *x = &g->node[n];
    const Proc *p = &t->proc[x->dev];
    double ms = p->launch_us / 1e3;
    if (x->op == OP_COPY) {
        /* between the processor's space and the input's, or the host's when the input is in
         * the processor's own (a copy goes between the host and one device) */
        ValId in = x->nin > 0 ? x->in[0] : NONE, out = x->nout > 0 ? x->out[0] : NONE;
        int far = in != NONE && space[in] != p->space ? space[in] : 0;
        const Link *l = far != p->space ? target_link(t, p->space, far) : NULL;
        double gbps = l && l->gbps > 0 ? l->gbps
                                       : class_figure(p, CC_COPY) > 0 ? class_figure(p, CC_COPY) : DEFAULT_GBPS;
        double bytes = out != NONE ? (double)ir_nbytes(&g->val[out]) : 0;
        return ms + bytes / (gbps * 1e6) + (l ? l->latency_us / 1e3 : 0);
    }
    CostClass c = cost_class(g, x);
    double gbps = class_figure(p, CC_MOVE) > 0 ? class_figure(p, CC_MOVE) : DEFAULT_GBPS;
    double mem = (double)ir_node_bytes(g, x) / (gbps * 1e6);
    if (c == CC_MOVE)
        return ms + mem;
    double rate = class_figure(p, c) > 0 ? class_figure(p, c) : DEFAULT_GFLOPS;
    double compute = (double)ir_node_flops(g, x) / (rate * 1e6);
    return ms + (compute > mem ? compute : mem);
}

/* Lanes and positions; 0, or -1 when a node has no processor of t or reads a later node. */
static int
assign_lanes(const Graph *g, const Target *t, Schedule *s, Diag *d)
{
    int lane_of[TG_MAXPROC];
    for (int p = 0; p < TG_MAXPROC; p++)
        lane_of[p] = -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->dev < 0 || x->dev >= t->nproc || x->dev >= TG_MAXPROC)
            return diag_node(d, g, n, "is placed on no processor of the target");
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE && g->val[x->in[j]].def >= n)
                return diag_node(d, g, n, "reads a tensor that a later step writes");
        if (lane_of[x->dev] < 0) {
            lane_of[x->dev] = s->nlane;
            s->lane_proc[s->nlane++] = x->dev;
        }
        int l = lane_of[x->dev];
        s->lane[n] = l;
        s->pos[n] = s->nstep[l]++;
    }
    return 0;
}

/* The waits of node n into w[] as (lane, count) pairs, returning how many: the latest step of
 * each other lane that n reads, less those that n's lane predecessor or another of these waits
 * already orders before n. want[] (nlane entries) is scratch, all zero on entry and on return;
 * step[first[l] + q] is the node at position q of lane l; base is the predecessor's clock (NULL
 * for a lane's first step). */
static int
find_waits(const Graph *g, const Schedule *s, NodeId n, const int *base, const int *first,
           const NodeId *step, int *want, int *w)
{
    const Node *x = &g->node[n];
    int nl = s->nlane, me = s->lane[n], nw = 0;
    for (int j = 0; j < x->nin; j++) {
        NodeId m = x->in[j] == NONE ? NONE : g->val[x->in[j]].def;
        if (m == NONE || s->lane[m] == me)
            continue;
        int l = s->lane[m], c = s->pos[m] + 1;
        if ((!base || base[l] < c) && want[l] < c)
            want[l] = c;
    }
    for (int a = 0; a < nl; a++) {
        if (!want[a])
            continue;
        int implied = 0;
        for (int b = 0; b < nl && !implied; b++) {
            if (b == a || !want[b])
                continue;
            NodeId m = step[first[b] + want[b] - 1];
            implied = s->clock[(size_t)m * (size_t)nl + (size_t)a] >= want[a];
        }
        if (!implied) {
            w[2 * nw] = a;
            w[2 * nw + 1] = want[a];
            nw++;
        }
    }
    /* a wait dropped as implied by another that is itself implied is still implied by the
     * latest of that chain (clocks only grow along happens-before), so none is lost */
    for (int a = 0; a < nl; a++)
        want[a] = 0;
    return nw;
}

int
pass_schedule(Graph *g, const Target *t, Measured *measured, Schedule *s, Diag *d)
{
    (void)measured;
    memset(s, 0, sizeof *s);
    int nn = g->nnode, rc = -1;
    s->lane = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->pos = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->wat = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->signal = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->start_ms = ir_galloc(g, (size_t)(nn + 1) * sizeof(double));
    s->end_ms = ir_galloc(g, (size_t)(nn + 1) * sizeof(double));
    int *first = ir_alloc((TG_MAXPROC + 1) * sizeof(int));
    NodeId *step = ir_alloc((size_t)(nn + 1) * sizeof(NodeId));
    int *space = ir_alloc((size_t)(g->nval + 1) * sizeof(int));
    int *waits = NULL;
    if (!s->lane || !s->pos || !s->wat || !s->signal || !s->start_ms || !s->end_ms || !first ||
        !step || !space) {
        diag_oom(d);
        goto done;
    }
    if (assign_lanes(g, t, s, d) < 0)
        goto done;
    int nl = s->nlane;
    size_t edges = 0;
    for (NodeId n = 0; n < nn; n++)
        edges += (size_t)g->node[n].nin;
    s->clock = ir_galloc(g, ((size_t)nn * (size_t)nl + 1) * sizeof(int));
    waits = ir_alloc((2 * edges + 1) * sizeof(int));    /* at most one wait per input */
    if (!s->clock || !waits) {
        diag_oom(d);
        goto done;
    }
    first[0] = 0;
    for (int l = 0; l < nl; l++)
        first[l + 1] = first[l] + s->nstep[l];
    for (NodeId n = 0; n < nn; n++)
        step[first[s->lane[n]] + s->pos[n]] = n;

    /* waits and clocks, in node order: every clock a step needs is done before it */
    int want[TG_MAXPROC] = {0}, nwait = 0;
    for (NodeId n = 0; n < nn; n++) {
        int me = s->lane[n];
        int *clock = &s->clock[(size_t)n * (size_t)nl];
        const int *base = s->pos[n] > 0 ? &s->clock[(size_t)step[first[me] + s->pos[n] - 1] *
                                                    (size_t)nl]
                                        : NULL;
        s->wat[n] = nwait;
        int nw = find_waits(g, s, n, base, first, step, want, &waits[2 * nwait]);
        for (int l = 0; l < nl; l++)
            clock[l] = base ? base[l] : 0;
        for (int k = nwait; k < nwait + nw; k++) {
            NodeId m = step[first[waits[2 * k]] + waits[2 * k + 1] - 1];
            const int *c = &s->clock[(size_t)m * (size_t)nl];
            s->signal[m] = 1;
            for (int l = 0; l < nl; l++)
                if (c[l] > clock[l])
                    clock[l] = c[l];
        }
        clock[me] = s->pos[n] + 1;
        nwait += nw;
    }
    s->wat[nn] = nwait;
    s->wait = ir_galloc(g, (2 * (size_t)nwait + 1) * sizeof(int));
    if (!s->wait) {
        diag_oom(d);
        goto done;
    }
    memcpy(s->wait, waits, 2 * (size_t)nwait * sizeof(int));

    /* the predicted timeline; graph inputs and constants are in the host's space */
    memset(space, 0, (size_t)g->nval * sizeof *space);
    double free_ms[TG_MAXPROC] = {0};
    for (NodeId n = 0; n < nn; n++) {
        int me = s->lane[n];
        const Proc *p = &t->proc[g->node[n].dev];
        double at = free_ms[me];
        for (int k = s->wat[n]; k < s->wat[n + 1]; k++) {
            NodeId m = step[first[s->wait[2 * k]] + s->wait[2 * k + 1] - 1];
            if (s->end_ms[m] > at)
                at = s->end_ms[m];
        }
        at += (s->wat[n + 1] - s->wat[n]) * p->sync_us / 1e3;
        s->start_ms[n] = at;
        s->end_ms[n] = free_ms[me] = at + step_ms(g, t, space, n);
        /* outputs are in the processor's space, but a copy out of it goes to the host's */
        const Node *x = &g->node[n];
        int out = p->space;
        if (x->op == OP_COPY && x->nin > 0 && x->in[0] != NONE && space[x->in[0]] == p->space)
            out = 0;
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE)
                space[x->out[j]] = out;
        if (s->end_ms[n] > s->makespan_ms)
            s->makespan_ms = s->end_ms[n];
    }
    rc = 0;
done:
    ir_free(first);
    ir_free(step);
    ir_free(space);
    ir_free(waits);
    return rc;
}

int
pass_before(const Schedule *s, NodeId a, NodeId b)
{
    if (a == b || a < 0 || b < 0)
        return 0;
    int la = s->lane[a], lb = s->lane[b];
    if (la == lb)
        return s->pos[a] < s->pos[b];
    return s->clock[(size_t)b * (size_t)s->nlane + (size_t)la] > s->pos[a];
}
