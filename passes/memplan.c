/*
 * memplan.c: the static memory plan. Every intermediate tensor gets a byte offset in one arena.
 *
 * Input: a cleaned, topologically ordered graph with static shapes. A tensor lives from the step
 * that defines it to the last step that reads it. Method: greedy by size, largest first (as
 * TFLite's and ggml's planners do): each tensor goes to the lowest 64-byte aligned offset where it
 * overlaps no already placed tensor whose lifetime intersects its own. O(T^2) in the tensors,
 * fine for graphs of thousands of nodes. The lower bound is the most bytes live at one step.
 *
 * Concat in place: when a Concat's output O is laid out so that each input is one contiguous
 * range of it (every dim before the axis is 1), an input produced by a step of its own is placed
 * inside O at its range instead of on its own, and O lives from the first such input's step.
 * The Concat kernel then finds each of those inputs already where it belongs and copies nothing.
 * An input that is itself such an O, that appears twice, or that another Concat took first keeps
 * its own place.
 */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

enum { ALIGN = 64 };

typedef struct Item {
    ValId v;
    int64_t size;           /* aligned bytes */
    int first, last;        /* steps */
    int64_t off;
} Item;

static int
by_size_desc(const void *a, const void *b)
{
    const Item *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->v - y->v;     /* deterministic */
}

static int
in_arena(const Graph *g, ValId v)
{
    const Value *x = &g->val[v];
    return x->def != NONE && !(x->flags & (V_OUTPUT | V_CONST | V_INPUT));
}

/* Marks the Concat inputs that live inside their Concat's output: host[v] is that output and
 * at[v] the byte offset in it (host[v] NONE otherwise); holds[o] is 1 for such an output. */
static void
concat_in_place(const Graph *g, ValId *host, int64_t *at, char *holds)
{
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op != OP_CONCAT || x->nout != 1 || x->out[0] == NONE || !in_arena(g, x->out[0]))
            continue;
        ValId o = x->out[0];
        const Value *ov = &g->val[o];
        int64_t ax = x->attr->axis.axis < 0 ? x->attr->axis.axis + ov->rank : x->attr->axis.axis;
        int lead = ax >= 0 && ax < ov->rank && ir_shape_known(ov);
        for (int64_t i = 0; lead && i < ax; i++)
            lead = ov->dim[i] == 1;
        if (!lead || host[o] != NONE)
            continue;
        int64_t off = 0;
        for (int j = 0; j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE)
                break;
            int64_t bytes = (int64_t)ir_nbytes(&g->val[v]);
            int once = 1;
            for (int k = 0; k < x->nin; k++)
                once &= k == j || x->in[k] != v;
            if (once && in_arena(g, v) && host[v] == NONE && !holds[v] && g->val[v].dt == ov->dt &&
                !(ir_op[g->node[g->val[v].def].op].flags & F_VIEW)) {
                host[v] = o;
                at[v] = off;
                holds[o] = 1;
            }
            off += bytes;
        }
    }
}

int
pass_memplan(Graph *g, MemPlan *mp, Diag *d)
{
    memset(mp, 0, sizeof *mp);
    mp->offset = ir_galloc(g, (size_t)(g->nval + 1) * sizeof(int64_t));
    Item *it = ir_alloc((size_t)(g->nval + 1) * sizeof(Item));
    int64_t *live = ir_alloc((size_t)(g->nnode + 1) * sizeof(int64_t));
    int *index = ir_alloc((size_t)(g->nval + 1) * sizeof(int));
    int *last = ir_alloc((size_t)(g->nval + 1) * sizeof(int));
    ValId *host = ir_alloc((size_t)(g->nval + 1) * sizeof(ValId));
    int64_t *at = ir_alloc((size_t)(g->nval + 1) * sizeof(int64_t));
    char *holds = ir_alloc((size_t)(g->nval + 1));
    int rc = -1, nit = 0;
    if (!mp->offset || !it || !live || !index || !last || !host || !at || !holds) {
        diag_oom(d);
        goto done;
    }
    for (ValId v = 0; v < g->nval; v++) {
        host[v] = NONE;
        holds[v] = 0;
        last[v] = g->val[v].def;
    }
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE && last[x->in[j]] < n)
                last[x->in[j]] = n;
    }
    concat_in_place(g, host, at, holds);
    for (ValId v = 0; v < g->nval; v++) {
        mp->offset[v] = -1;
        index[v] = -1;
        if (!in_arena(g, v) || host[v] != NONE)
            continue;
        int64_t bytes = (int64_t)ir_nbytes(&g->val[v]);
        Item *x = &it[nit];
        x->v = v;
        x->size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
        x->first = g->val[v].def;
        x->last = last[v];
        x->off = -1;
        index[v] = nit++;
    }
    /* an output holding Concat inputs lives from the first of them to the last use of any */
    for (ValId v = 0; v < g->nval; v++) {
        if (host[v] == NONE)
            continue;
        Item *x = &it[index[host[v]]];
        if (g->val[v].def < x->first)
            x->first = g->val[v].def;
        if (last[v] > x->last)
            x->last = last[v];
    }
    /* the lower bound and the total */
    memset(live, 0, (size_t)(g->nnode + 1) * sizeof(int64_t));
    for (int i = 0; i < nit; i++) {
        mp->total += it[i].size;
        for (int s = it[i].first; s <= it[i].last; s++)
            live[s] += it[i].size;
    }
    for (int s = 0; s < g->nnode; s++)
        if (live[s] > mp->lower)
            mp->lower = live[s];
    qsort(it, (size_t)nit, sizeof *it, by_size_desc);
    for (int i = 0; i < nit; i++) {
        /* candidate offsets: 0 and the end of every placed tensor alive at the same time; take
         * the lowest one that fits */
        int64_t best = -1;
        for (int c = -1; c < i; c++) {
            int64_t off = c < 0 ? 0 : it[c].off + it[c].size;
            if (c >= 0 && (it[c].last < it[i].first || it[i].last < it[c].first))
                continue;
            if (best >= 0 && off >= best)
                continue;
            int ok = 1;
            for (int k = 0; k < i && ok; k++) {
                if (it[k].last < it[i].first || it[i].last < it[k].first)
                    continue;   /* lifetimes do not meet */
                if (off < it[k].off + it[k].size && it[k].off < off + it[i].size)
                    ok = 0;
            }
            if (ok)
                best = off;
        }
        it[i].off = best;
        mp->offset[it[i].v] = best;
        if (best + it[i].size > mp->arena)
            mp->arena = best + it[i].size;
    }
    for (ValId v = 0; v < g->nval; v++)
        if (host[v] != NONE)
            mp->offset[v] = mp->offset[host[v]] + at[v];
    rc = 0;
done:
    ir_free(it);
    ir_free(live);
    ir_free(index);
    ir_free(last);
    ir_free(host);
    ir_free(at);
    ir_free(holds);
    return rc;
}
