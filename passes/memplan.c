/*
 * memplan.c: the static memory plan. Every intermediate tensor gets a byte offset in one arena.
 *
 * Input: a cleaned, topologically ordered graph with static shapes. A tensor lives from the step
 * that defines it to the last step that reads it. Method: greedy by size, largest first (as
 * TFLite's and ggml's planners do): each tensor goes to the lowest 64-byte aligned offset where it
 * overlaps no already placed tensor whose lifetime intersects its own. O(T^2) in the tensors,
 * fine for graphs of thousands of nodes. The lower bound is the most bytes live at one step.
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

int
pass_memplan(Graph *g, MemPlan *mp, Diag *d)
{
    memset(mp, 0, sizeof *mp);
    mp->offset = ir_galloc(g, (size_t)(g->nval + 1) * sizeof(int64_t));
    Item *it = ir_alloc((size_t)(g->nval + 1) * sizeof(Item));
    int64_t *live = ir_alloc((size_t)(g->nnode + 1) * sizeof(int64_t));
    int *index = ir_alloc((size_t)(g->nval + 1) * sizeof(int));
    int rc = -1, nit = 0;
    if (!mp->offset || !it || !live || !index) {
        diag_oom(d);
        goto done;
    }
    for (ValId v = 0; v < g->nval; v++) {
        mp->offset[v] = -1;
        index[v] = -1;
        if (!in_arena(g, v))
            continue;
        int64_t bytes = (int64_t)ir_nbytes(&g->val[v]);
        Item *x = &it[nit];
        x->v = v;
        x->size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
        x->first = x->last = g->val[v].def;
        x->off = -1;
        index[v] = nit++;
    }
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE && index[x->in[j]] >= 0 && it[index[x->in[j]]].last < n)
                it[index[x->in[j]]].last = n;
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
    rc = 0;
done:
    ir_free(it);
    ir_free(live);
    ir_free(index);
    return rc;
}
