/*
 * estimate.c: what the partitioners compare placements by (partition.h): a table of each node's
 * time alone on each processor, the cost of reading across processors, and a list schedule of a
 * placement over them. It follows schedule.c's terms (a step's work, the handoff of what another
 * processor of its memory wrote, one sync per lane waited for, a copy between memories) without
 * building the Copy nodes or the waits, so a strategy may try many placements of one graph.
 * What it leaves out: contention (schedule.c applies it to the plan chosen) and the lane time of
 * the copies themselves (a copy delays its reader, not the copying processor's other steps).
 */
#include "partition.h"
#include "cost.h"

#include <string.h>

int
part_costs(const Graph *g, const Target *t, const PlanOptions *o, CostTable *c, Diag *d)
{
    memset(c, 0, sizeof *c);
    c->nnode = g->nnode;
    c->nproc = t->nproc;
    c->us = ir_alloc(((size_t)g->nnode * (size_t)t->nproc + 1) * sizeof(double));
    if (!c->us)
        return diag_oom(d);
    for (NodeId n = 0; n < g->nnode; n++) {
        Work w = cost_work(g, n);
        for (int p = 0; p < t->nproc; p++) {
            double us = -1;
            if (pass_can_place(g, t, o, n, p)) {
                us = o && o->measured ? cost_measured_us(o->measured, g, n, t, p) : -1;
                if (us < 0)
                    us = cost_work_us(t, p, &w);
            }
            c->us[(size_t)n * (size_t)t->nproc + (size_t)p] = us;
        }
    }
    return 0;
}

void
part_costs_free(CostTable *c)
{
    ir_free(c->us);
    memset(c, 0, sizeof *c);
}

int
part_mem(const Target *t, int p)
{
    return target_mem(t, p < 0 ? 0 : t->proc[p].space);
}

int
part_copier(const Target *t, int m)
{
    for (int p = 0; p < t->nproc; p++)
        if (part_mem(t, p) == m)
            return p;
    return 0;
}

/* The launch overhead of a copy into or out of memory m, by the processor that runs it */
static double
copy_launch_us(const Target *t, int m)
{
    return t->nproc > 0 ? t->proc[part_copier(t, m)].launch_us : 0;
}

ValId
part_input(const Graph *g, const Node *x, int j)
{
    ValId v = x->in[j];
    if (v == NONE || (g->val[v].flags & V_CONST))
        return NONE;
    for (int i = 0; i < j; i++)
        if (x->in[i] == v)
            return NONE;
    return v;
}

double
part_read_us(const Graph *g, const Target *t, ValId v, int a, int b)
{
    double bytes = (double)ir_nbytes(&g->val[v]);
    int ma = part_mem(t, a), mb = part_mem(t, b);
    if (ma == mb) {
        double gbps = t->proc[b].handoff_gbps;
        return a >= 0 && gbps > 0 ? bytes / (gbps * 1e3) : 0;
    }
    int sa = a < 0 ? 0 : t->proc[a].space, sb = t->proc[b].space;
    double us = cost_transfer_us(t, sa, sb, bytes);
    if (ma != 0)
        us += copy_launch_us(t, ma);
    if (mb != 0)
        us += copy_launch_us(t, mb);
    return us;
}

double
part_estimate(const Graph *g, const Target *t, const CostTable *c, const int *dev,
              double *start_ms, double *end_ms)
{
    double free_ms[TG_MAXPROC] = {0}, makespan = 0;
    double *end = end_ms ? end_ms : ir_alloc((size_t)(g->nnode + 1) * sizeof(double));
    if (!end)
        return -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        int p = dev[n];
        double at = free_ms[p], us = c->us[(size_t)n * (size_t)c->nproc + (size_t)p];
        unsigned waited = 0;        /* the other processors read from (a bit each) */
        for (int j = 0; j < x->nin; j++) {
            ValId v = part_input(g, x, j);
            if (v == NONE)
                continue;
            NodeId m = g->val[v].def;
            int a = m == NONE ? -1 : dev[m];
            if (a == p)
                continue;
            double ready = m == NONE ? 0 : end[m];
            double read = part_read_us(g, t, v, a, p);
            if (part_mem(t, a) == part_mem(t, p)) {
                us += read;                 /* the step reads it from the other's caches */
            } else {
                ready += read / 1e3;        /* the copy runs before it */
            }
            if (a >= 0)
                waited |= 1u << a;
            if (ready > at)
                at = ready;
        }
        at += __builtin_popcount(waited) * t->proc[p].sync_us / 1e3;
        end[n] = at + us / 1e3;
        if (start_ms)
            start_ms[n] = at;
        free_ms[p] = end[n];
        if (end[n] > makespan)
            makespan = end[n];
    }
    /* graph outputs written outside the host's memory are copied to it at the end */
    for (int i = 0; i < g->noutput; i++) {
        ValId v = g->output[i];
        NodeId m = g->val[v].def;
        if (m == NONE || part_mem(t, dev[m]) == 0)
            continue;
        double done = end[m] + part_read_us(g, t, v, dev[m], target_first(t, PB_CPU) >= 0
                                                                  ? target_first(t, PB_CPU)
                                                                  : dev[m]) / 1e3;
        if (done > makespan)
            makespan = done;
    }
    if (!end_ms)
        ir_free(end);
    return makespan;
}
