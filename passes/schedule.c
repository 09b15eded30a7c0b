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
 * Prediction (passes/cost.h): a step takes the cost model's time for its work on its processor
 * (cost_work_us), or the time a trace measured for it (--profile-from: cost_measured_us). A Copy
 * takes its processor's launch_us plus the transfer of its tensor over the link between its
 * processor's space and the other side's (a copy goes between the host and one device,
 * passes/copies.c: the input's space when it is not the processor's, else the host's), in the
 * copy's direction; with no link figures, the processor's copy rate if it has one, else 20 GB/s.
 * A step that reads a tensor another processor of the same memory wrote also reads its bytes at
 * its processor's handoff_gbps: they move from the writer's caches to the reader's (on a CPU
 * and a CPU-side OpenCL device on two cores this is what a handoff costs beyond sync_us).
 * Each kept wait adds the waiting processor's sync_us. The lanes are simulated in node order: a
 * step starts when its lane is free and the steps it waits for have ended.
 *
 * Contention: where the target says processor a runs `factor` times slower while b is busy, the
 * lanes are simulated again against the previous simulation's busy times: the part of a step of
 * a that overlaps a step of b is stretched by the factor (by the product of the factors where
 * several lanes are busy at once), the steps after it shifted. That changes the overlaps, so it
 * is repeated until no time moves (at most CONTEND_ROUNDS simulations). A measured step time
 * already holds the contention of the run that measured it and is never stretched. Each step
 * keeps its time alone (Schedule.alone_ms) and where it came from (Schedule.source).
 *
 * Cost: O((N + E) L) time and O(N L) memory for N nodes, E inputs read and L lanes (L is at most
 * TG_MAXPROC); each contention round O(N L) more (a cursor per pair of lanes only moves
 * forward). Every array of the Schedule is in the graph's arena.
 */
#include "passes.h"
#include "cost.h"

#include <math.h>
#include <string.h>

enum { CONTEND_ROUNDS = 8 };      /* simulations with contention, at most */

/* The microseconds node n spends reading what other processors of its memory wrote: each such
 * input's bytes at its processor's handoff_gbps (once per tensor). */
static double
handoff_us(const Graph *g, const Target *t, NodeId n)
{
    const Node *x = &g->node[n];
    const Proc *p = &t->proc[x->dev];
    if (p->handoff_gbps <= 0)
        return 0;
    double bytes = 0;
    for (int j = 0; j < x->nin; j++) {
        ValId v = x->in[j];
        if (v == NONE || g->val[v].def == NONE)
            continue;
        int dup = 0;
        for (int i = 0; i < j && !dup; i++)
            dup = x->in[i] == v;
        const Node *w = &g->node[g->val[v].def];
        if (!dup && w->dev != x->dev && w->dev >= 0 &&
            target_mem(t, t->proc[w->dev].space) == target_mem(t, p->space))
            bytes += (double)ir_nbytes(&g->val[v]);
    }
    return bytes / (p->handoff_gbps * 1e3);
}

/* The predicted microseconds of node n alone on its processor, and their source into *src;
 * space[v] is the space value v was written in (filled in node order up to n). */
static double
step_us(const Graph *g, const Target *t, Measured *m, const int *space, NodeId n,
        unsigned char *src)
{
    const Node *x = &g->node[n];
    int pi = x->dev;
    double us = m ? cost_measured_us(m, g, n, t, pi) : -1;
    if (us >= 0) {
        *src = CS_MEASURED;
        return us;
    }
    Work w = cost_work(g, n);
    if (x->op != OP_COPY) {
        *src = (unsigned char)cost_work_source(t, pi, &w);
        return cost_work_us(t, pi, &w) + handoff_us(g, t, n);
    }
    /* into the processor's space from the input's, or out of it to the host's */
    const Proc *p = &t->proc[pi];
    ValId in = x->nin > 0 ? x->in[0] : NONE;
    int into = in != NONE && space[in] != p->space;
    int from = into ? space[in] : p->space, to = into ? p->space : 0;
    CostSource cs = cost_transfer_source(t, from, to);
    if (cs == CS_DEFAULT && cost_rate(t, pi, &w)) {
        *src = (unsigned char)cost_work_source(t, pi, &w);
        return cost_work_us(t, pi, &w);
    }
    *src = (unsigned char)cs;
    return p->launch_us + cost_transfer_us(t, from, to, w.bytes);
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

/* The lanes simulated side by side, and what the contention rounds need. */
typedef struct Sim {
    const Graph *g;
    const Target *t;
    Schedule *s;
    const NodeId *step;         /* step[first[l] + q]: the node at position q of lane l */
    const int *first;
    double fac[TG_MAXPROC][TG_MAXPROC];  /* lane a's slowdown while lane b is busy */
    double *pstart, *pend;               /* the previous simulation, or NULL: no contention */
    int cur[TG_MAXPROC][TG_MAXPROC];     /* per lanes a, b: b's first step a has not passed */
} Sim;

/* When a step of lane me that starts at `at` and takes `ms` alone ends, stretched by the
 * factor of each lane that is busy (in the previous simulation) while it runs. */
static double
stretched_end(Sim *x, int me, double at, double ms)
{
    const Schedule *s = x->s;
    double now = at, left = ms;
    for (;;) {
        double f = 1, next = INFINITY;
        for (int b = 0; b < s->nlane; b++) {
            if (x->fac[me][b] <= 1)
                continue;
            int *c = &x->cur[me][b];
            while (*c < s->nstep[b] && x->pend[x->step[x->first[b] + *c]] <= now)
                (*c)++;
            if (*c == s->nstep[b])
                continue;
            NodeId m = x->step[x->first[b] + *c];
            if (x->pstart[m] <= now) {
                f *= x->fac[me][b];
                next = x->pend[m] < next ? x->pend[m] : next;
            } else if (x->pstart[m] < next) {
                next = x->pstart[m];
            }
        }
        if (!(next < now + left * f))
            return now + left * f;
        left -= (next - now) / f;
        now = next;
    }
}

/* start_ms, end_ms and makespan_ms from alone_ms: a step starts when its lane is free and what
 * it waits for has ended, plus one sync_us per wait; stretched where x->pstart is set. */
static void
simulate(Sim *x)
{
    Schedule *s = x->s;
    double free_ms[TG_MAXPROC] = {0};
    memset(x->cur, 0, sizeof x->cur);
    s->makespan_ms = 0;
    for (NodeId n = 0; n < x->g->nnode; n++) {
        int me = s->lane[n];
        const Proc *p = &x->t->proc[x->g->node[n].dev];
        double at = free_ms[me];
        for (int k = s->wat[n]; k < s->wat[n + 1]; k++) {
            NodeId m = x->step[x->first[s->wait[2 * k]] + s->wait[2 * k + 1] - 1];
            if (s->end_ms[m] > at)
                at = s->end_ms[m];
        }
        at += (s->wat[n + 1] - s->wat[n]) * p->sync_us / 1e3;
        s->start_ms[n] = at;
        s->end_ms[n] = x->pstart && s->source[n] != CS_MEASURED
                           ? stretched_end(x, me, at, s->alone_ms[n])
                           : at + s->alone_ms[n];
        free_ms[me] = s->end_ms[n];
        if (s->end_ms[n] > s->makespan_ms)
            s->makespan_ms = s->end_ms[n];
    }
}

int
pass_schedule(Graph *g, const Target *t, Measured *measured, Schedule *s, Diag *d)
{
    memset(s, 0, sizeof *s);
    int nn = g->nnode, rc = -1;
    s->lane = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->pos = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->wat = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->signal = ir_galloc(g, (size_t)(nn + 1) * sizeof(int));
    s->start_ms = ir_galloc(g, (size_t)(nn + 1) * sizeof(double));
    s->end_ms = ir_galloc(g, (size_t)(nn + 1) * sizeof(double));
    s->alone_ms = ir_galloc(g, (size_t)(nn + 1) * sizeof(double));
    s->source = ir_galloc(g, (size_t)(nn + 1));
    int *first = ir_alloc((TG_MAXPROC + 1) * sizeof(int));
    NodeId *step = ir_alloc((size_t)(nn + 1) * sizeof(NodeId));
    int *space = ir_alloc((size_t)(g->nval + 1) * sizeof(int));
    int *waits = NULL;
    if (!s->lane || !s->pos || !s->wat || !s->signal || !s->start_ms || !s->end_ms ||
        !s->alone_ms || !s->source || !first || !step || !space) {
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

    /* each step's time alone, in node order (a Copy needs the space of its input) */
    memset(space, 0, (size_t)g->nval * sizeof *space);     /* inputs and constants: the host's */
    for (NodeId n = 0; n < nn; n++) {
        const Node *x = &g->node[n];
        const Proc *p = &t->proc[x->dev];
        s->alone_ms[n] = step_us(g, t, measured, space, n, &s->source[n]) / 1e3;
        /* outputs are in the processor's space, but a copy out of it goes to the host's */
        int out = p->space;
        if (x->op == OP_COPY && x->nin > 0 && x->in[0] != NONE && space[x->in[0]] == p->space)
            out = 0;
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE)
                space[x->out[j]] = out;
    }
    Sim sim = {.g = g, .t = t, .s = s, .step = step, .first = first};
    simulate(&sim);
    int contend = 0;
    for (int a = 0; a < nl; a++)
        for (int b = 0; b < nl; b++) {
            sim.fac[a][b] = a == b ? 1 : cost_contention(t, s->lane_proc[a], s->lane_proc[b]);
            contend |= sim.fac[a][b] > 1;
        }
    if (contend) {
        sim.pstart = ir_alloc((size_t)(nn + 1) * sizeof(double));
        sim.pend = ir_alloc((size_t)(nn + 1) * sizeof(double));
        if (!sim.pstart || !sim.pend) {
            ir_free(sim.pstart);
            ir_free(sim.pend);
            diag_oom(d);
            goto done;
        }
        for (int round = 1; round < CONTEND_ROUNDS; round++) {
            memcpy(sim.pstart, s->start_ms, (size_t)nn * sizeof(double));
            memcpy(sim.pend, s->end_ms, (size_t)nn * sizeof(double));
            simulate(&sim);
            int moved = 0;
            for (NodeId n = 0; n < nn && !moved; n++)
                moved = fabs(s->end_ms[n] - sim.pend[n]) > 1e-9 ||
                        fabs(s->start_ms[n] - sim.pstart[n]) > 1e-9;
            if (!moved)
                break;
        }
        ir_free(sim.pstart);
        ir_free(sim.pend);
    }
    /* a stream's time per frame: the busiest lane, each step with its waits' sync */
    double busy[TG_MAXPROC] = {0};
    for (NodeId n = 0; n < nn; n++) {
        int me = s->lane[n];
        busy[me] += s->end_ms[n] - s->start_ms[n] +
                    (s->wat[n + 1] - s->wat[n]) * t->proc[g->node[n].dev].sync_us / 1e3;
        if (busy[me] > s->frame_ms)
            s->frame_ms = busy[me];
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
