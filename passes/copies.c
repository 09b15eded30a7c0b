/*
 * copies.c: Copy nodes where data crosses memories. A tensor lives in the memory of the
 * processor that writes it (graph inputs in the host's); a node that reads it from another
 * memory reads a copy instead, made once per tensor and memory. Memories joined by a zero-copy
 * link are one (target_mem), so nothing is copied between them. Constants are never copied:
 * each memory receives the weights its steps use when the plan starts.
 *
 * Where a copy goes, in the node order that the schedule follows: a copy to a device sits just
 * before the first node that reads it there (so the device's lane does not wait for it earlier);
 * a copy back to the host sits just after the node that wrote the tensor (so the host's readers
 * can start as soon as it is done). A copy runs on the processor of the device side; between two
 * devices the tensor goes by way of the host, in two copies. A graph output written on a device
 * is written there to a new tensor, which is then copied into the output (the output keeps its
 * name; the graph's name index is not updated: nothing after the passes looks names up).
 */
#include "passes.h"

#include <stdio.h>
#include <string.h>

typedef struct Copies {
    Graph *g;
    const Target *t;
    int *mem_of;            /* per value: its memory (-1: constant, -2: not yet written) */
    ValId *copy;            /* per value and memory: the copy of it there, NONE if none yet */
    int nmem;               /* the stride of copy[] */
    int *before, *after;    /* per original node: the head of its list of copies to run
                             * before and after it (-1: none) */
    int *next;              /* per node (copy nodes): the next one in the same list */
} Copies;

static int
proc_mem(const Target *t, int p)
{
    return target_mem(t, t->proc[p].space);
}

/* A processor of memory m that runs the copies into and out of it: the first one of the
 * target's in that memory (m is never the host's here). */
static int
mem_proc(const Target *t, int m)
{
    for (int p = 0; p < t->nproc; p++)
        if (proc_mem(t, p) == m)
            return p;
    return -1;
}

/* Adds "copy src to memory m" run by processor p, to the list at *head; the new value, or
 * NONE with d set (OOM). */
static ValId
add_copy(Copies *c, ValId src, int m, int p, int *head, Diag *d)
{
    Graph *g = c->g;
    char name[IR_MAXNAME + 96];
    snprintf(name, sizeof name, "copy to %s", c->t->space[m].id);
    ValId v = ir_val_add(g, NULL, g->val[src].dt, NULL);
    NodeId n = v == NONE ? NONE : ir_node_add(g, OP_COPY, name, 1, 1);
    if (n == NONE) {
        diag_oom(d);
        return NONE;
    }
    Value *dst = &g->val[v];
    const Value *s = &g->val[src];
    dst->rank = s->rank;
    memcpy(dst->dim, s->dim, sizeof dst->dim);
    dst->def = n;
    Node *x = &g->node[n];
    x->in[0] = src;
    x->out[0] = v;
    x->dev = p;
    x->cause = PC_COPY;
    x->index = -1;          /* made by hetc: no node of the model */
    c->next[n] = *head;
    *head = n;
    return v;
}

/* The value of v that memory m reads, copied there if needed; NONE on OOM. n is the node that
 * reads it (the copy into a device goes before n). */
static ValId
value_in(Copies *c, ValId v, int m, NodeId n, Diag *d)
{
    int from = c->mem_of[v];
    if (from < 0 || from == m)
        return v;
    ValId *have = &c->copy[(size_t)v * (size_t)c->nmem + (size_t)m];
    if (*have != NONE)
        return *have;
    const Target *t = c->t;
    ValId src = v;
    NodeId w = c->g->val[v].def;
    if (from != 0) {
        /* out of a device: right after the node that wrote it (a graph input has no writer and
         * lives on the host) */
        ValId *home = &c->copy[(size_t)v * (size_t)c->nmem];
        if (*home == NONE) {
            int p = c->g->node[w].dev;
            if ((*home = add_copy(c, v, 0, p, &c->after[w], d)) == NONE)
                return NONE;
            c->mem_of[*home] = 0;
        }
        src = *home;
        if (m == 0)
            return src;
    }
    if ((*have = add_copy(c, src, m, mem_proc(t, m), &c->before[n], d)) == NONE)
        return NONE;
    c->mem_of[*have] = m;
    return *have;
}

/* Puts list (pushed, so newest first) into node[k ...] in the order of creation; the count. */
static int
put_list(const Copies *c, int head, Node *node, int k)
{
    int len = 0;
    for (int x = head; x >= 0; x = c->next[x])
        len++;
    int i = len;
    for (int x = head; x >= 0; x = c->next[x])
        node[k + --i] = c->g->node[x];
    return len;
}

/* The node order with the copies in their places, applied to g; -1 on OOM. */
static int
reorder(Copies *c, int nold, Diag *d)
{
    Graph *g = c->g;
    Node *node = ir_alloc((size_t)g->nnode * sizeof *node + 1);
    if (!node)
        return diag_oom(d);
    int k = 0;
    for (NodeId n = 0; n < nold; n++) {
        k += put_list(c, c->before[n], node, k);
        node[k++] = g->node[n];
        k += put_list(c, c->after[n], node, k);
    }
    IR_ASSERT(k == g->nnode);
    if (k)      /* a graph of constants has no nodes, and g->node may be NULL */
        memcpy(g->node, node, (size_t)k * sizeof *node);
    ir_free(node);
    for (NodeId n = 0; n < g->nnode; n++)
        for (int j = 0; j < g->node[n].nout; j++)
            if (g->node[n].out[j] != NONE)
                g->val[g->node[n].out[j]].def = n;
    ir_fill_uses(g);
    return 0;
}

/* Graph output v is written in a device's memory and h is its copy on the host: h becomes the
 * output, under v's name, and v a tensor of the device's (with h's fresh name). */
static void
swap_output(Graph *g, ValId v, ValId h)
{
    const char *name = g->val[v].name;
    g->val[v].name = g->val[h].name;
    g->val[h].name = name;
    g->val[h].flags |= V_OUTPUT;
    g->val[v].flags &= ~(unsigned)V_OUTPUT;
    for (int k = 0; k < g->noutput; k++)
        if (g->output[k] == v)
            g->output[k] = h;
}

int
pass_copies(Graph *g, const Target *t, Diag *d)
{
    Copies c = {.g = g, .t = t, .nmem = t->nspace};
    int nold = g->nnode, rc = -1;
    /* a value gets at most one copy per memory, a copy to the host and one to each device:
     * bounded by values x memories nodes and values */
    size_t nval_max = (size_t)g->nval * (size_t)(t->nspace + 1) + 1;
    size_t nnode_max = (size_t)g->nnode + nval_max;
    c.mem_of = ir_alloc(nval_max * sizeof *c.mem_of);
    c.copy = ir_alloc((size_t)g->nval * (size_t)c.nmem * sizeof *c.copy + 1);
    c.before = ir_alloc((size_t)nold * sizeof *c.before + 1);
    c.after = ir_alloc((size_t)nold * sizeof *c.after + 1);
    c.next = ir_alloc(nnode_max * sizeof *c.next);
    if (!c.mem_of || !c.copy || !c.before || !c.after || !c.next) {
        diag_oom(d);
        goto done;
    }
    for (size_t i = 0; i < (size_t)g->nval * (size_t)c.nmem; i++)
        c.copy[i] = NONE;
    for (ValId v = 0; v < g->nval; v++)
        c.mem_of[v] = (g->val[v].flags & V_CONST) ? -1 : g->val[v].def == NONE ? 0 : -2;
    for (NodeId n = 0; n < nold; n++) {
        c.before[n] = c.after[n] = -1;
        const Node *x = &g->node[n];
        IR_ASSERT(x->dev >= 0 && x->dev < t->nproc);
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE)
                c.mem_of[x->out[j]] = proc_mem(t, x->dev);
    }
    int nval0 = g->nval;
    for (NodeId n = 0; n < nold; n++) {
        int m = proc_mem(t, g->node[n].dev);
        for (int j = 0; j < g->node[n].nin; j++) {
            ValId v = g->node[n].in[j];
            if (v == NONE)
                continue;
            ValId w = value_in(&c, v, m, n, d);
            if (w == NONE)
                goto done;
            g->node[n].in[j] = w;   /* g->node may have moved: index it again */
        }
    }
    /* graph outputs written on a device: copied to the host, and the copy is the output */
    for (int i = 0; i < g->noutput; i++) {
        ValId v = g->output[i];
        if (v >= nval0 || c.mem_of[v] <= 0)
            continue;
        ValId h = value_in(&c, v, 0, NONE, d);
        if (h == NONE)
            goto done;
        swap_output(g, v, h);
    }
    rc = 0;
done:
    if (rc == 0)
        rc = reorder(&c, nold, d);
    ir_free(c.mem_of);
    ir_free(c.copy);
    ir_free(c.before);
    ir_free(c.after);
    ir_free(c.next);
    return rc;
}
