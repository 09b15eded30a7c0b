/*
 * stages.c: pipeline stages for --stream. The graph's node order is cut into contiguous stages,
 * each on a processor of its own, so that with frames in flight (the binary's --stream N) every
 * processor works on a different frame at once and a frame leaves the plan every time the
 * slowest stage is done. The goal is throughput: the cut minimises the slowest stage's time by
 * dynamic programming over the cut points and the set of processors used so far; among cuts
 * of one prefix and one set, that of the smaller sum of stages (a frame's latency) is kept.
 *
 * A stage's time on processor p: its nodes' times alone (part_costs), plus what reading values
 * of earlier stages costs it (part_read_us from the dearest other processor, and p's sync_us
 * once when it reads any), plus the copy of a graph output it writes outside the host's memory.
 * A node p may not run (pass_can_place) makes every stage on p that holds it invalid; only when
 * no cut at all is valid does such a node go to the fastest processor that may run it (PC_ONLY)
 * with its time counted in its stage. Every other node's cause is PC_STAGE.
 *
 * Cost: O(N^2 P 2^P) for N nodes and P processors; only the first MAXSTAGE processors of the
 * target hold stages (a node only a later one may run goes there, PC_ONLY).
 */
#include "partition.h"

#include <math.h>
#include <string.h>

enum { MAXSTAGE = 6 };

typedef struct Best {
    double slow, sum;           /* the slowest stage so far, and the stages' sum (ms) */
    int from;                   /* where the last stage starts (a node index); -1: unreached */
    int proc;                   /* its processor */
} Best;

typedef struct Dp {
    const Graph *g;
    const Target *t;
    const CostTable *c;
    int nproc, nmask;
    int lenient;                /* a node its stage's processor may not run goes elsewhere */
    Best *best;                 /* best[k * nmask + mask]: nodes [0, k) cut, processors mask */
} Dp;

static double
table_us(const CostTable *c, NodeId n, int p)
{
    return c->us[(size_t)n * (size_t)c->nproc + (size_t)p];
}

static double
node_us(const Dp *dp, NodeId n, int p)
{
    return table_us(dp->c, n, p);
}

/* The fastest processor that may run n, or -1 */
static int
fastest(const CostTable *c, NodeId n)
{
    int best = -1;
    for (int q = 0; q < c->nproc; q++)
        if (table_us(c, n, q) >= 0 && (best < 0 || table_us(c, n, q) < table_us(c, n, best)))
            best = q;
    return best;
}

/* What node n, in a stage on p that starts at node `from`, pays to read the values of earlier
 * stages and the graph's inputs; *reads set when it reads another stage's value. */
static double
read_us(const Dp *dp, NodeId n, int p, int from, int *reads)
{
    const Graph *g = dp->g;
    const Node *x = &g->node[n];
    double us = 0;
    for (int j = 0; j < x->nin; j++) {
        ValId v = x->in[j];
        if (v == NONE || (g->val[v].flags & V_CONST))
            continue;
        NodeId m = g->val[v].def;
        if (m != NONE && m >= from)
            continue;
        if (m == NONE) {
            us += part_read_us(g, dp->t, v, -1, p);
            continue;
        }
        double most = 0;
        for (int q = 0; q < dp->nproc; q++) {
            double r = q == p ? 0 : part_read_us(g, dp->t, v, q, p);
            most = r > most ? r : most;
        }
        us += most;
        *reads = 1;
    }
    return us;
}

/* What node n on p adds for the graph outputs it writes outside the host's memory */
static double
output_us(const Dp *dp, NodeId n, int p)
{
    const Graph *g = dp->g;
    const Target *t = dp->t;
    double us = 0;
    if (target_mem(t, t->proc[p].space) == 0)
        return 0;
    int host = target_first(t, PB_CPU);
    for (int i = 0; i < g->noutput; i++)
        if (g->val[g->output[i]].def == n && host >= 0)
            us += part_read_us(g, t, g->output[i], p, host);
    return us;
}

/* 1 when (slow, sum) is better than b */
static int
better(double slow, double sum, const Best *b)
{
    return b->from < 0 || slow < b->slow - 1e-12 || (fabs(slow - b->slow) <= 1e-12 && sum < b->sum);
}

/* Every stage that starts at node `from` on processor p, after the cuts of best[from] */
static void
extend(Dp *dp, int from, int p)
{
    int n = dp->g->nnode, reads = 0;
    double us = 0;
    for (int k = from; k < n; k++) {
        double w = node_us(dp, k, p);
        if (w < 0) {
            int q = dp->lenient ? fastest(dp->c, k) : -1;
            if (q < 0)
                return;         /* no longer stage from `from` on p is valid */
            w = node_us(dp, k, q);
        }
        us += w + read_us(dp, k, p, from, &reads) + output_us(dp, k, p);
        double ms = (us + (reads ? dp->t->proc[p].sync_us : 0)) / 1e3;
        for (int mask = 0; mask < dp->nmask; mask++) {
            const Best *b = &dp->best[(size_t)from * (size_t)dp->nmask + (size_t)mask];
            if ((mask & (1 << p)) || b->from < 0)
                continue;
            double slow = b->slow > ms ? b->slow : ms, sum = b->sum + ms;
            Best *to = &dp->best[(size_t)(k + 1) * (size_t)dp->nmask + (size_t)(mask | 1 << p)];
            if (better(slow, sum, to))
                *to = (Best){.slow = slow, .sum = sum, .from = from, .proc = p};
        }
    }
}

/* The best cut into the stages' processors: stage[n] per node; the slowest stage's ms, or -1
 * when no cut is valid */
static double
cut(Dp *dp, int *stage)
{
    int n = dp->g->nnode;
    for (size_t i = 0; i < (size_t)(n + 1) * (size_t)dp->nmask; i++)
        dp->best[i] = (Best){.from = -1};
    dp->best[0] = (Best){.from = 0};
    for (int from = 0; from < n; from++)
        for (int p = 0; p < dp->nproc; p++)
            extend(dp, from, p);
    const Best *end = NULL;
    int mask = 0;
    for (int m = 1; m < dp->nmask; m++) {
        const Best *b = &dp->best[(size_t)n * (size_t)dp->nmask + (size_t)m];
        if (b->from >= 0 && (!end || better(b->slow, b->sum, end))) {
            end = b;
            mask = m;
        }
    }
    if (!end)
        return -1;
    double slow = end->slow;
    for (int k = n; k > 0;) {
        const Best *b = &dp->best[(size_t)k * (size_t)dp->nmask + (size_t)mask];
        for (int i = b->from; i < k; i++)
            stage[i] = b->proc;
        mask &= ~(1 << b->proc);
        k = b->from;
    }
    return slow;
}

int
part_stages(const Graph *g, const Target *t, const CostTable *c, int *stage, double *slow_ms)
{
    Dp dp = {.g = g, .t = t, .c = c, .nproc = c->nproc < MAXSTAGE ? c->nproc : MAXSTAGE};
    dp.nmask = 1 << dp.nproc;
    dp.best = ir_alloc((size_t)(g->nnode + 1) * (size_t)dp.nmask * sizeof *dp.best);
    if (!dp.best)
        return -1;
    double slow = cut(&dp, stage);
    if (slow < 0) {
        dp.lenient = 1;
        slow = cut(&dp, stage);
    }
    *slow_ms = slow;
    ir_free(dp.best);
    return 0;
}

int
place_pipeline(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    CostTable c;
    if (g->nnode == 0)
        return 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        int any = 0;
        for (int p = 0; p < t->nproc && !any; p++)
            any = pass_can_place(g, t, o, n, p);
        if (!any)
            return diag_node(d, g, n, "no processor of %s can run %s on %s",
                             t->file[0] ? t->file : "the host", ir_op[g->node[n].op].onnx,
                             ir_dtype_name(target_node_dtype(g, &g->node[n])));
    }
    if (part_costs(g, t, o, &c, d) < 0)
        return -1;
    int *stage = ir_alloc((size_t)g->nnode * sizeof *stage + 1), rc = 0;
    double slow = -1;
    if (!stage || part_stages(g, t, &c, stage, &slow) < 0) {
        rc = diag_oom(d);
    } else {
        /* every node has a processor that may run it, so the lenient cut is valid */
        for (NodeId n = 0; n < g->nnode; n++) {
            Node *x = &g->node[n];
            int own = table_us(&c, n, stage[n]) >= 0;
            x->dev = own ? stage[n] : fastest(&c, n);
            x->cause = own ? PC_STAGE : PC_ONLY;
        }
    }
    ir_free(stage);
    part_costs_free(&c);
    return rc;
}
