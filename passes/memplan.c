/*
 * memplan.c: the static memory plan. Every intermediate tensor gets a byte offset in the arena of
 * the memory it lives in.
 *
 * Input: a cleaned, topologically ordered graph with static shapes; for pass_memplan_placed also
 * its target and schedule. A tensor lives in the memory of its writer's processor (target_mem of
 * its space; a Copy's output on the far side of the copy), graph inputs, outputs and constants in
 * the host's, memory 0; without a target everything is in memory 0. Each memory is planned on its
 * own, its tensors as intervals of steps in node order: a tensor lives from the step that defines
 * it to its last step, and two tensors whose intervals do not meet may share bytes.
 *
 * Liveness. Without a schedule (one lane), a tensor's last step is the last step that reads it.
 * With a schedule, it is the last step, in node order, at which the tensor is not yet free: a
 * tensor is free at step p when its writer and every reader happen before p (pass_before), on
 * whatever lanes. Along one lane the free steps are a suffix, found by a binary search over the
 * lane's vector clocks from the last access on each lane; every step after the last one is free.
 * So two tensors share bytes only where every access of the first happens before the writer of
 * the second, and with one lane both rules give the same intervals, hence the same plan.
 *
 * Placement, per memory: greedy by size, largest first (as TFLite's and ggml's planners do):
 * each tensor goes to the lowest 64-byte aligned offset where it overlaps no already placed
 * tensor whose lifetime intersects its own. The pairs of tensors whose lifetimes intersect are
 * listed once (a sweep over the steps), and each tensor looks only at its placed partners, sorted
 * by offset: O(P log P) for P such pairs, a few per tensor in real models. A memory with more
 * than PAIR_BUDGET pairs per tensor (thousands of tensors alive at once) is planned instead by a
 * sweep over the steps that gives each tensor a freed place of exactly its size, or new bytes at
 * the end: O(T log T) for T tensors, optimal when they are all one size. The lower bound is the
 * sum over the memories of the most bytes live at one step. Liveness with a schedule adds
 * O((E + T) L log S) for E reads, L lanes and S steps; each memory's placement costs O(S) more.
 *
 * Every byte count is checked: a tensor, the bytes live at one step or a memory's arena beyond
 * PASS_MAX_BYTES is refused, naming the tensor, the step or the space.
 *
 * Concat in place: when a Concat's output O is laid out so that each input is one contiguous
 * range of it (every dim before the axis is 1), an input produced by a step of its own in O's
 * memory is placed inside O at its range instead of on its own, and O lives from the first such
 * input's step (inputs written on other lanes write disjoint ranges of O) to the last step at
 * which O or any of them is not yet free. The Concat kernel then finds each of those inputs
 * already where it belongs and copies nothing. An input that is itself such an O, that appears
 * twice, or that another Concat took first keeps its own place.
 *
 * Views in place: the output of a Reshape, Flatten, Squeeze or Unsqueeze (F_VIEW: the same bytes
 * in the same order) is given its input's bytes when both live in one memory's arena, and the
 * input, or the Concat output holding it, lives as long as either: the step then finds its
 * output already written and copies nothing (the kernels skip a copy onto itself). Chains of
 * views share one place.
 */
#include "passes.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { ALIGN = 64, PAIR_BUDGET = 32, PAIR_MIN = 1 << 21 };
_Static_assert(PAIR_MIN <= INT_MAX / 2, "part[] and start[] are int: 2 x budget must fit");

typedef struct Item {
    ValId v;
    int mem;                /* the memory it lives in */
    int64_t size;           /* aligned bytes */
    int first, last;        /* steps */
    int64_t off;
} Item;

/* A placed partner of the tensor being placed: its bytes [off, end). */
typedef struct Span {
    int64_t off, end;
} Span;

static int
by_size_desc(const void *a, const void *b)
{
    const Item *x = a, *y = b;
    if (x->mem != y->mem)
        return x->mem - y->mem;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->v - y->v;     /* deterministic */
}

static int
by_offset(const void *a, const void *b)
{
    const Span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int
in_arena(const Graph *g, ValId v)
{
    const Value *x = &g->val[v];
    return x->def != NONE && !(x->flags & (V_OUTPUT | V_CONST | V_INPUT));
}

int
pass_tensor_bytes(const Value *v, int64_t *bytes)
{
    int64_t n = 1, es = (int64_t)ir_dtype_size(v->dt);
    if (v->rank < 0)
        return -1;
    for (int i = 0; i < v->rank; i++) {
        if (v->dim[i] < 0)
            return -1;
        if (v->dim[i] != 0 && n > PASS_MAX_BYTES / v->dim[i])
            n = PASS_MAX_BYTES + 1;     /* too many elements whatever the rest */
        else
            n *= v->dim[i];
    }
    if (n > PASS_MAX_BYTES || (es && n > PASS_MAX_BYTES / es))
        return -1;
    *bytes = n * es;
    return 0;
}

/* Marks the Concat inputs that live inside their Concat's output: host[v] is that output and
 * at[v] the byte offset in it (host[v] NONE otherwise); holds[o] is 1 for such an output. Only
 * inputs in o's memory (mem[]) are taken. count[] is scratch, all zero on entry and on return. Sizes are known to be in range. */
static void
concat_in_place(const Graph *g, const int *mem, ValId *host, int64_t *at, char *holds, int *count)
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
        int nin = 0;
        while (nin < x->nin && x->in[nin] != NONE)
            count[x->in[nin++]]++;
        int64_t off = 0;
        for (int j = 0; j < nin; j++) {
            ValId v = x->in[j];
            if (count[v] == 1 && in_arena(g, v) && host[v] == NONE && !holds[v] &&
                mem[v] == mem[o] && g->val[v].dt == ov->dt &&
                !(ir_op[g->node[g->val[v].def].op].flags & F_VIEW)) {
                host[v] = o;
                at[v] = off;
                holds[o] = 1;
            }
            off += (int64_t)ir_nbytes(&g->val[v]);
        }
        for (int j = 0; j < nin; j++)
            count[x->in[j]] = 0;
    }
}

/* Marks the view outputs that share their input's bytes (see the header): host[w] is the
 * tensor with a place of its own that holds them and at[w] the byte offset in it, holds[] is set
 * for that tensor. Runs after concat_in_place, in node order, so that a view's input is resolved
 * before the view. */
static void
views_in_place(const Graph *g, const int *mem, ValId *host, int64_t *at, char *holds)
{
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (!(ir_op[x->op].flags & F_VIEW) || x->nin < 1 || x->nout != 1)
            continue;
        ValId v = x->in[0], w = x->out[0];
        if (v == NONE || w == NONE || !in_arena(g, v) || !in_arena(g, w) || host[w] != NONE ||
            holds[w] || mem[v] != mem[w] || ir_nbytes(&g->val[v]) != ir_nbytes(&g->val[w]))
            continue;
        if (host[v] != NONE) {
            host[w] = host[v];
            at[w] = at[v];
        } else {
            host[w] = v;
            at[w] = 0;
            holds[v] = 1;
        }
    }
}

/* Lists, for each item, the items whose lifetimes meet its own: part[start[i] .. start[i+1]).
 * Returns the number of pairs, or -1 when there are more than budget (nothing is listed then). */
static int64_t
list_pairs(const Item *it, int nit, int nstep, int64_t budget, int *start, int **part)
{
    /* items by first step (a counting sort), then a sweep that keeps the items alive so far */
    int *cnt = ir_alloc((size_t)(nstep + 2) * sizeof(int));
    int *order = ir_alloc((size_t)(nit + 1) * sizeof(int));
    int *alive = ir_alloc((size_t)(nit + 1) * sizeof(int));
    int64_t npair = -2;
    *part = NULL;
    if (!cnt || !order || !alive)
        goto done;
    memset(cnt, 0, (size_t)(nstep + 2) * sizeof(int));
    for (int i = 0; i < nit; i++)
        cnt[it[i].first + 1]++;
    for (int s = 0; s <= nstep; s++)
        cnt[s + 1] += cnt[s];
    for (int i = 0; i < nit; i++)
        order[cnt[it[i].first]++] = i;
    /* two sweeps: count each item's partners, then fill them in */
    for (int pass = 0; pass < 2; pass++) {
        int nalive = 0;
        int64_t total = 0;
        if (pass == 0)
            memset(start, 0, (size_t)(nit + 1) * sizeof(int));
        for (int k = 0; k < nit; k++) {
            int i = order[k];
            for (int a = 0; a < nalive;) {
                int j = alive[a];
                if (it[j].last < it[i].first) {
                    alive[a] = alive[--nalive];     /* dead from here on */
                    continue;
                }
                if (pass == 0) {
                    start[i]++;
                    start[j]++;
                    if ((total += 2) > 2 * budget) {
                        npair = -1;
                        goto done;
                    }
                } else {
                    (*part)[start[i]++] = j;
                    (*part)[start[j]++] = i;
                }
                a++;
            }
            alive[nalive++] = i;
        }
        if (pass == 0) {
            /* start[i] becomes the end of i's range; the fill pass moves it to the start */
            for (int i = 1; i <= nit; i++)
                start[i] += start[i - 1];
            for (int i = nit; i > 0; i--)
                start[i] = start[i - 1];
            start[0] = 0;
            npair = total / 2;
            *part = ir_alloc((size_t)total * sizeof(int) + 1);
            if (!*part) {
                npair = -2;
                goto done;
            }
        }
    }
    /* the fill pass left start[i] at the end of i's range, which is where i + 1 starts */
    for (int i = nit; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
done:
    ir_free(cnt);
    ir_free(order);
    ir_free(alive);
    return npair;
}

/* Greedy by size with the partners listed: it[] sorted largest first, span[] room for the most
 * partners of one item. 0, or -1 when the arena would pass PASS_MAX_BYTES. */
static int
place_greedy(Item *it, int nit, const int *start, const int *part, Span *span, int64_t *arena)
{
    for (int i = 0; i < nit; i++) {
        Item *x = &it[i];
        int ns = 0;
        for (int e = start[i]; e < start[i + 1]; e++) {
            const Item *y = &it[part[e]];
            if (y->off >= 0)
                span[ns++] = (Span){y->off, y->off + y->size};
        }
        qsort(span, (size_t)ns, sizeof *span, by_offset);
        int64_t off = 0;
        for (int k = 0; k < ns && span[k].off < off + x->size; k++)
            if (span[k].end > off)
                off = span[k].end;
        if (off > PASS_MAX_BYTES - x->size)
            return -1;
        x->off = off;
        if (off + x->size > *arena)
            *arena = off + x->size;
    }
    return 0;
}

/* The sweep for graphs with too many pairs: at each step the tensors it defines take a freed
 * place of their exact size (it[] is sorted by size, so equal sizes are neighbours) or new bytes
 * at the end, then the tensors it last reads are freed. 0, -1 past PASS_MAX_BYTES, -2 OOM. */
static int
place_sweep(Item *it, int nit, int nstep, int64_t *arena)
{
    int *cls = ir_alloc((size_t)(nit + 1) * sizeof(int));      /* size class of each item */
    int *top = ir_alloc((size_t)(nit + 1) * sizeof(int));      /* per class: free stack size */
    int *base = ir_alloc((size_t)(nit + 1) * sizeof(int));     /* per class: stack start */
    int64_t *freed = ir_alloc((size_t)(nit + 1) * sizeof(int64_t));
    int *byfirst = ir_alloc((size_t)(nit + 1) * sizeof(int));
    int *bylast = ir_alloc((size_t)(nit + 1) * sizeof(int));
    int *cf = ir_alloc((size_t)(nstep + 2) * sizeof(int));
    int *cl = ir_alloc((size_t)(nstep + 2) * sizeof(int));
    int rc = -2;
    if (!cls || !top || !base || !freed || !byfirst || !bylast || !cf || !cl)
        goto done;
    /* classes: runs of one size; a class's stack can hold all of its items */
    int ncls = 0;
    for (int i = 0; i < nit; i++) {
        if (i == 0 || it[i].size != it[i - 1].size) {
            base[ncls] = i;
            top[ncls++] = 0;
        }
        cls[i] = ncls - 1;
    }
    memset(cf, 0, (size_t)(nstep + 2) * sizeof(int));
    memset(cl, 0, (size_t)(nstep + 2) * sizeof(int));
    for (int i = 0; i < nit; i++) {
        cf[it[i].first + 1]++;
        cl[it[i].last + 1]++;
    }
    for (int s = 0; s <= nstep; s++) {
        cf[s + 1] += cf[s];
        cl[s + 1] += cl[s];
    }
    for (int i = 0; i < nit; i++) {
        byfirst[cf[it[i].first]++] = i;
        bylast[cl[it[i].last]++] = i;
    }
    /* after the fill, cf[s] is the end of step s's run, and the start of step s + 1's */
    for (int s = 0, a = 0, f = 0; s < nstep; s++) {
        for (; a < cf[s]; a++) {
            Item *x = &it[byfirst[a]];
            int c = cls[byfirst[a]];
            if (top[c] > 0) {
                x->off = freed[base[c] + --top[c]];
            } else {
                if (*arena > PASS_MAX_BYTES - x->size) {
                    rc = -1;
                    goto done;
                }
                x->off = *arena;
                *arena += x->size;
            }
        }
        for (; f < cl[s]; f++) {
            int c = cls[bylast[f]];
            freed[base[c] + top[c]++] = it[bylast[f]].off;
        }
    }
    rc = 0;
done:
    ir_free(cls);
    ir_free(top);
    ir_free(base);
    ir_free(freed);
    ir_free(byfirst);
    ir_free(bylast);
    ir_free(cf);
    ir_free(cl);
    return rc;
}

/* Each tensor's bytes, checked; 0, or -1 with the tensor named. */
static int
size_items(const Graph *g, Item *it, int nit, Diag *d)
{
    for (int i = 0; i < nit; i++) {
        int64_t bytes;
        const Value *x = &g->val[it[i].v];
        if (pass_tensor_bytes(x, &bytes) < 0)
            return diag_node(d, g, x->def, "tensor \"%s\" %s", x->name, ir_shape_known(x)
                             ? "is too large to address (more than 2^47 bytes)"
                             : "has no static shape");
        it[i].size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }
    return 0;
}

/* The most bytes live at one step, as differences between steps: add[s] the bytes of the tensors
 * born at step s, sub[s] of those that die after it, each saturating past PASS_MAX_BYTES. 0, or
 * -1 with the step named when more than PASS_MAX_BYTES are live at once. */
static int
lower_bound(const Graph *g, const Item *it, int nit, int64_t *add, int64_t *sub, int64_t *lower,
            Diag *d)
{
    memset(add, 0, (size_t)(g->nnode + 1) * sizeof *add);
    memset(sub, 0, (size_t)(g->nnode + 1) * sizeof *sub);
    for (int i = 0; i < nit; i++) {
        int64_t *a = &add[it[i].first], *b = &sub[it[i].last];
        *a = *a > PASS_MAX_BYTES - it[i].size ? PASS_MAX_BYTES + 1 : *a + it[i].size;
        *b = *b > PASS_MAX_BYTES - it[i].size ? PASS_MAX_BYTES + 1 : *b + it[i].size;
    }
    int64_t cur = 0;    /* at most PASS_MAX_BYTES, so no sum below can overflow */
    for (NodeId s = 0; s < g->nnode; s++) {
        cur += add[s];
        if (cur > PASS_MAX_BYTES)
            return diag_node(d, g, s, "the tensors live at this step need more than 2^47 bytes");
        if (cur > *lower)
            *lower = cur;
        cur -= sub[s];
    }
    return 0;
}

/* The memory of every value into mem[]: a tensor lives in the memory of its writer's processor,
 * a Copy's output on the far side of the copy (its processor's memory when the input is in
 * another, else the host's: a copy goes between the host and one device); everything else, and
 * everything when there is no target, in the host's memory 0. 0, or -1 for a node placed on no
 * processor of t. */
static int
value_mems(const Graph *g, const Target *t, int *mem, Diag *d)
{
    memset(mem, 0, (size_t)g->nval * sizeof *mem);
    for (NodeId n = 0; t && n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->dev < 0 || x->dev >= t->nproc)
            return diag_node(d, g, n, "is placed on no processor of the target");
        int pm = target_mem(t, t->proc[x->dev].space);
        for (int j = 0; j < x->nout; j++) {
            ValId o = x->out[j];
            if (o == NONE || !in_arena(g, o))
                continue;
            if (x->op == OP_COPY)
                mem[o] = x->nin > 0 && x->in[0] != NONE && mem[x->in[0]] == pm ? 0 : pm;
            else
                mem[o] = pm;
        }
    }
    return 0;
}

/* The first position q of lane l (steps step[0 .. n)) whose step has clock entry k above p: the
 * steps of l from there on happen after position p of lane k. n when there is none. */
static int
first_after(const Schedule *s, const NodeId *step, int n, int k, int p)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->clock[(size_t)step[mid] * (size_t)s->nlane + (size_t)k] > p)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The liveness of a scheduled graph: last[v], for every arena tensor v, becomes the last step in
 * node order at which v is not yet free, v being free at step p when its writer and every reader
 * happen before p (pass_before). Along one lane the steps where v is free are a suffix (clocks
 * grow along a lane); per lane its start is the latest of the first free steps after each lane's
 * last access of v, each found by a binary search over the lane's clocks. Every step after
 * last[v] is then free, so v's interval [writer, last[v]] goes to the interval planner: two
 * tensors whose intervals do not meet are ordered by happens-before. With one lane last[v] is v's
 * last reader. O((E + V) L log N) for E reads, V tensors, L lanes and N steps. 0, or -1 (OOM). */
static int
placed_last(const Graph *g, const Schedule *s, int *last)
{
    int nl = s->nlane, nn = g->nnode, nv = g->nval, first[TG_MAXPROC + 1];
    int *most = ir_alloc(((size_t)nv * (size_t)nl + 1) * sizeof(int));
    NodeId *step = ir_alloc((size_t)(nn + 1) * sizeof(NodeId));
    if (!most || !step) {
        ir_free(most);
        ir_free(step);
        return -1;
    }
    /* most[v * nl + l]: the latest position on lane l that writes or reads v, -1 for none */
    for (size_t i = 0; i < (size_t)nv * (size_t)nl; i++)
        most[i] = -1;
    first[0] = 0;
    for (int l = 0; l < nl; l++)
        first[l + 1] = first[l] + s->nstep[l];
    for (NodeId n = 0; n < nn; n++) {
        const Node *x = &g->node[n];
        int l = s->lane[n], p = s->pos[n];
        step[first[l] + p] = n;
        for (int j = 0; j < x->nin + x->nout; j++) {
            ValId v = j < x->nin ? x->in[j] : x->out[j - x->nin];
            if (v != NONE && in_arena(g, v) && most[(size_t)v * (size_t)nl + (size_t)l] < p)
                most[(size_t)v * (size_t)nl + (size_t)l] = p;
        }
    }
    for (ValId v = 0; v < nv; v++) {
        if (!in_arena(g, v))
            continue;
        const int *m = &most[(size_t)v * (size_t)nl];
        for (int l = 0; l < nl; l++) {
            int q = 0;
            for (int k = 0; k < nl; k++) {
                if (m[k] < 0)
                    continue;
                int f = k == l ? m[k] + 1 : first_after(s, &step[first[l]], s->nstep[l], k, m[k]);
                if (f > q)
                    q = f;
            }
            if (q > 0 && step[first[l] + q - 1] > last[v])
                last[v] = step[first[l] + q - 1];
        }
    }
    ir_free(most);
    ir_free(step);
    return 0;
}

/* Places the items of one memory, it[0 .. nit), sorted largest first: the lower bound of their
 * live bytes into *lower, their offsets, and the memory's arena into *arena. 0, or -1 with the
 * reason in d. */
static int
place_memory(const Graph *g, const Target *t, int mem, Item *it, int nit, int64_t *add,
             int64_t *sub, int *start, int64_t *lower, int64_t *arena, Diag *d)
{
    int *part = NULL, rc = -1;
    Span *span = NULL;
    if (lower_bound(g, it, nit, add, sub, lower, d) < 0)
        return -1;
    /* part[] holds two entries a pair and start[] indexes it with int: past INT_MAX / 2 pairs
     * (PAIR_BUDGET * nit does at some 33 million tensors) the budget stops, and the plan is
     * made without the pair lists, as when a graph's pairs exceed it */
    int64_t budget = (int64_t)PAIR_BUDGET * nit > PAIR_MIN ? (int64_t)PAIR_BUDGET * nit : PAIR_MIN;
    if (budget > INT_MAX / 2)
        budget = INT_MAX / 2;
    int64_t npair = list_pairs(it, nit, g->nnode, budget, start, &part);
    int placed;
    if (npair >= 0) {
        int most = 0;
        for (int i = 0; i < nit; i++)
            if (start[i + 1] - start[i] > most)
                most = start[i + 1] - start[i];
        span = ir_alloc((size_t)most * sizeof *span + 1);
        placed = span ? place_greedy(it, nit, start, part, span, arena) : -2;
    } else {
        placed = npair == -1 ? place_sweep(it, nit, g->nnode, arena) : -2;
    }
    if (placed == -2)
        diag_oom(d);
    else if (placed == -1 && t)
        diag_error(d, "the memory plan needs an arena of more than 2^47 bytes in space \"%s\"",
                   t->space[mem].id);
    else if (placed == -1)
        diag_error(d, "the memory plan needs an arena of more than 2^47 bytes");
    else
        rc = 0;
    ir_free(part);
    ir_free(span);
    return rc;
}

/* pass_memplan (t and s NULL: one memory, liveness by node index) and pass_memplan_placed. */
static int
plan(Graph *g, const Target *t, const Schedule *s, MemPlan *mp, Diag *d)
{
    memset(mp, 0, sizeof *mp);
    int nv = g->nval, nn = g->nnode;
    mp->offset = ir_galloc(g, (size_t)(nv + 1) * sizeof(int64_t));
    mp->mem = ir_galloc(g, (size_t)(nv + 1) * sizeof(int));
    Item *it = ir_alloc((size_t)(nv + 1) * sizeof(Item));
    int64_t *add = ir_alloc((size_t)(nn + 1) * sizeof(int64_t));
    int64_t *sub = ir_alloc((size_t)(nn + 1) * sizeof(int64_t));
    int *index = ir_alloc((size_t)(nv + 1) * sizeof(int));
    int *last = ir_alloc((size_t)(nv + 1) * sizeof(int));
    ValId *host = ir_alloc((size_t)(nv + 1) * sizeof(ValId));
    int64_t *at = ir_alloc((size_t)(nv + 1) * sizeof(int64_t));
    char *holds = ir_alloc((size_t)(nv + 1));
    int *start = ir_alloc((size_t)(nv + 2) * sizeof(int));
    int rc = -1, nit = 0;
    if (!mp->offset || !mp->mem || !it || !add || !sub || !index || !last || !host || !at ||
        !holds || !start) {
        diag_oom(d);
        goto done;
    }
    if (value_mems(g, t, mp->mem, d) < 0)
        goto done;
    for (ValId v = 0; v < nv; v++) {
        mp->offset[v] = -1;
        host[v] = NONE;
        holds[v] = 0;
        index[v] = 0;
        last[v] = g->val[v].def;
    }
    if (s && placed_last(g, s, last) < 0) {
        diag_oom(d);
        goto done;
    }
    for (NodeId n = 0; !s && n < nn; n++) {
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE && last[x->in[j]] < n)
                last[x->in[j]] = n;
    }
    for (ValId v = 0; v < nv; v++)
        if (in_arena(g, v))
            it[nit++] = (Item){v, mp->mem[v], 0, g->val[v].def, last[v], -1};
    if (size_items(g, it, nit, d) < 0)
        goto done;
    concat_in_place(g, mp->mem, host, at, holds, index);
    views_in_place(g, mp->mem, host, at, holds);
    /* the items with places of their own; one holding Concat inputs or views lives from the
     * first of them to the last step at which any is not yet free */
    int k = 0;
    for (int i = 0; i < nit; i++) {
        if (host[it[i].v] == NONE) {
            index[it[i].v] = k;
            it[k++] = it[i];
        }
    }
    nit = k;
    for (ValId v = 0; v < nv; v++) {
        if (host[v] == NONE)
            continue;
        Item *x = &it[index[host[v]]];
        if (g->val[v].def < x->first)
            x->first = g->val[v].def;
        if (last[v] > x->last)
            x->last = last[v];
    }
    for (int i = 0; i < nit; i++)
        mp->total = mp->total > INT64_MAX - it[i].size ? INT64_MAX : mp->total + it[i].size;
    /* by memory, then largest first: one run per memory, each planned on its own */
    qsort(it, (size_t)nit, sizeof *it, by_size_desc);
    for (int a = 0, b; a < nit; a = b) {
        for (b = a; b < nit && it[b].mem == it[a].mem; b++)
            ;
        int64_t lower = 0, arena = 0;
        if (place_memory(g, t, it[a].mem, it + a, b - a, add, sub, start, &lower, &arena, d) < 0)
            goto done;
        mp->lower += lower;
        mp->mem_arena[it[a].mem] = arena;
        mp->arena += arena;
    }
    for (int i = 0; i < nit; i++)
        mp->offset[it[i].v] = it[i].off;
    for (ValId v = 0; v < nv; v++)
        if (host[v] != NONE)
            mp->offset[v] = mp->offset[host[v]] + at[v];
    rc = 0;
done:
    ir_free(it);
    ir_free(add);
    ir_free(sub);
    ir_free(index);
    ir_free(last);
    ir_free(host);
    ir_free(at);
    ir_free(holds);
    ir_free(start);
    return rc;
}

int
pass_memplan(Graph *g, MemPlan *mp, Diag *d)
{
    return plan(g, NULL, NULL, mp, d);
}

int
pass_memplan_placed(Graph *g, const Target *t, const Schedule *s, MemPlan *mp, Diag *d)
{
    return plan(g, t, s, mp, d);
}
