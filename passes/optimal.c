/*
 * optimal.c: --strategy optimal, the placement of least part_estimate (issue 12). The lanes run
 * their steps in the graph's node order as it stands, so this is the optimum over placements for
 * that order, not over orders: a plan that ran the steps in another order could be faster.
 *
 * Method: depth-first branch and bound over the nodes in order, giving each a processor that
 * may run it (the cost table's us >= 0), the one where it ends earliest first. The partial
 * schedule is exactly part_estimate's prefix, computed step by step with the same operations in
 * the same order, so the value of a complete placement is part_estimate's to the last bit. A
 * subtree is cut when a lower bound on every completion is no less than the best placement
 * found: the latest of (a) the partial makespan, (b) each later node's earliest possible end,
 * its step worked out as the estimate does, an input from a node not yet placed taken as ready at
 * that node's own earliest end, and (c) the least work left poured onto the lanes from their
 * free times. It starts from the best one-processor
 * placement and from an earliest-finish one. A state is also cut when one seen before at the
 * same node, with the same processors for the values still to be read, was no later in any
 * time the rest of the schedule depends on (the estimate only ever grows with them).
 *
 * Limits (docs/partition.md): at most optimal_max_steps(P) steps with a choice of processor and
 * OPT_MAX_NODES steps in all, and a search that does at most OPT_BUDGET units of work (a step
 * worked out on one processor, in the search or its bounds; a time compared in the memo):
 * beyond either it refuses, as bad input, naming the other strategies.
 */
#include "partition.h"

#include <math.h>
#include <string.h>

#define OPT_BUDGET 100000000L   /* units of work before it gives up */
#define OPT_MAX_BITS 256        /* steps with a choice * log2(processors) searched at most */
#define OPT_MAX_NODES 512       /* steps searched at most (the search recurses once a step) */
#define MEMO_SLOTS (1 << 16)    /* states remembered at most (a power of two) */
#define MEMO_TIMES (1 << 21)    /* and their times (16 MB; keys 8 MB) */
#define MEMO_PROBE 32           /* slots looked at per state */

/* A state remembered: at node k, the processors of the values still to be read (key) and the
 * times the rest of the schedule depends on */
typedef struct Memo {
    int k;                      /* -1: the slot is empty */
    unsigned hash;
    size_t key;                 /* at keys[key]: the live writers' processors, in node order */
    size_t times;               /* at times[times]: made, each lane's free time and each live
                                 * end, raised as seen() says */
} Memo;

typedef struct Search {
    const Graph *g;
    const Target *t;
    const CostTable *c;
    int n, np;
    int *ioff;                  /* node k's inputs are in [ioff[k], ioff[k + 1]) */
    NodeId *idef;               /* the writer of each (non-constant, each once, in
                                 * part_estimate's order), or NONE for a graph input */
    double *rd;                 /* rd[(e * (np + 1) + a + 1) * np + p]: part_read_us of input e
                                 * written on a (-1: the host), read on p */
    int *ooff;                  /* node k's graph outputs are in [ooff[k], ooff[k + 1]) */
    double *ord;                /* ord[o * np + p]: the copy of output o to the host when its
                                 * writer runs on p; -1 where none is needed */
    int mem[TG_MAXPROC];
    double *left;               /* left[k]: the least work (ms) of nodes k.. */
    int *dev;                   /* the placement being built */
    double *end;                /* its nodes' end times (ms) */
    double *lb;                 /* scratch: each later node's least end */
    double free_ms[TG_MAXPROC];
    double made;                /* the partial makespan */
    int *best;
    double best_ms;
    long expanded;              /* states */
    long work, budget;          /* units of work done (steps worked out, times compared), and
                                 * the most it may */
    int over;                   /* the budget ran out */
    NodeId *last;               /* last[m]: the last node that reads node m's outputs */
    int *loff;                  /* the live writers before node k (m < k <= last[m]), in order, */
    NodeId *live;               /* are live[loff[k] .. loff[k + 1]) */
    int *coff;                  /* node m's readers are cons[coff[m] .. coff[m + 1]) */
    NodeId *cons;
    int one_mem;                /* every processor in one memory (no copies) */
    double *rdy;                /* bound(): each later node's inputs are ready no earlier */
    double tmin[TG_MAXPROC];    /* bound(): no later node starts on p earlier */
    Memo *memo;                 /* MEMO_SLOTS states, or NULL: none */
    int *keys;                  /* their keys and times, nkey and ntime used of cap each */
    double *times;
    size_t nkey, ntime, cap;
    int *key;                   /* scratch: this state's */
    double *now;
} Search;

/* The number of steps searched exactly on np processors: np^steps <= 2^OPT_MAX_BITS */
int
optimal_max_steps(int np)
{
    return np <= 1 ? INT32_MAX : (int)floor(OPT_MAX_BITS / log2((double)np));
}

static double
us_of(const Search *s, NodeId k, int p)
{
    return s->c->us[(size_t)k * (size_t)s->np + (size_t)p];
}

/* Node n's end on processor p when nodes 0..k-1 are placed: with n = k, part_estimate's step,
 * term by term; with n > k, a lower bound, an input from a node not yet placed (m >= k) taken as
 * ready at its least end lb[m], with nothing to read or wait for (every term left out is >= 0, and
 * floating-point + and max only grow with their operands) */
static double
step_end(Search *s, NodeId n, int p, NodeId k)
{
    const Target *t = s->t;
    s->work++;
    double at = s->free_ms[p], us = us_of(s, n, p);
    unsigned waited = 0;
    for (int e = s->ioff[n]; e < s->ioff[n + 1]; e++) {
        NodeId m = s->idef[e];
        if (m >= k) {
            if (s->lb[m] > at)
                at = s->lb[m];
            continue;
        }
        int a = m == NONE ? -1 : s->dev[m];
        if (a == p)
            continue;
        double ready = m == NONE ? 0 : s->end[m];
        double read = s->rd[((size_t)e * (size_t)(s->np + 1) + (size_t)(a + 1)) * (size_t)s->np +
                            (size_t)p];
        if ((a < 0 ? 0 : s->mem[a]) == s->mem[p])
            us += read;
        else
            ready += read / 1e3;
        if (a >= 0)
            waited |= 1u << (a % 32);
        if (ready > at)
            at = ready;
    }
    at += __builtin_popcount(waited) * t->proc[p].sync_us / 1e3;
    return at + us / 1e3;
}

/* The latest end of node k's graph outputs copied to the host, k on p (0 without any) */
static double
outputs_done(const Search *s, NodeId k, int p, double end)
{
    double done = 0;
    for (int o = s->ooff[k]; o < s->ooff[k + 1]; o++) {
        double us = s->ord[(size_t)o * (size_t)s->np + (size_t)p];
        if (us >= 0 && end + us / 1e3 > done)
            done = end + us / 1e3;
    }
    return done;
}

/* A lower bound on the makespan of every completion of nodes 0..k-1, or a figure >= cut as soon
 * as one is found (the bound is not needed then; nor are rdy and tmin) */
static double
bound(Search *s, NodeId k, double cut)
{
    /* the work left poured onto the lanes: the level L with sum(max(0, L - free)) = left[k] */
    double f[TG_MAXPROC], work = s->left[k];
    int np = s->np;
    memcpy(f, s->free_ms, sizeof f);
    for (int i = 1; i < np; i++)
        for (int j = i; j > 0 && f[j - 1] > f[j]; j--) {
            double x = f[j];
            f[j] = f[j - 1], f[j - 1] = x;
        }
    double level = f[0];
    for (int i = 0; i < np; i++) {
        double next = i + 1 < np ? f[i + 1] : INFINITY;
        if (work <= (next - f[i]) * (i + 1)) {
            level = f[i] + work / (i + 1);
            break;
        }
        work -= (next - f[i]) * (i + 1);
    }
    level *= 1 - 1e-9;          /* summed in another order than the lanes': keep it below */
    double lb = s->made > level ? s->made : level;
    for (int p = 0; p < np; p++)
        s->tmin[p] = INFINITY;
    for (NodeId n = k; n < s->n && lb < cut; n++) {
        double ready = 0, least = INFINITY;
        for (int e = s->ioff[n]; e < s->ioff[n + 1]; e++) {
            NodeId m = s->idef[e];
            double r = m == NONE ? 0 : m < k ? s->end[m] : s->lb[m];
            if (r > ready)
                ready = r;
        }
        for (int p = 0; p < np; p++) {
            if (us_of(s, n, p) < 0)
                continue;
            double end = step_end(s, n, p, k);
            if (end < least)
                least = end;
            if (ready < s->tmin[p])
                s->tmin[p] = ready;
        }
        s->lb[n] = least;
        s->rdy[n] = ready;
        if (least > lb)
            lb = least;
    }
    return lb;
}

/* 1 when every time of a is no later than b's; each comparison counts as work */
static int
no_later(Search *s, const double *a, const double *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] > b[i]) {
            s->work += i + 1;
            return 0;
        }
    s->work += n;
    return 1;
}

/* 1 when the memo's pools have room for n more times (and keys, fewer), grown by doubling up
 * to MEMO_TIMES; 0 when full or out of memory (the memo only saves time) */
static int
room(Search *s, size_t n)
{
    if (s->ntime + n <= s->cap)
        return 1;
    size_t cap = s->cap ? 2 * s->cap : 4096;
    while (cap < s->ntime + n)
        cap *= 2;
    if (cap > MEMO_TIMES)
        return 0;
    int *keys = ir_realloc(s->keys, cap * sizeof *keys);
    if (keys)
        s->keys = keys;
    double *times = keys ? ir_realloc(s->times, cap * sizeof *times) : NULL;
    if (times)
        s->times = times;
    if (!keys || !times)
        return 0;
    s->cap = cap;
    return 1;
}

/* 1 when a state seen before at node k was no later in any time the rest depends on (then
 * nothing below this one can beat what was found below that one); else this one is remembered
 * where there is room. The estimate only grows with each of these times (max and +), in floating
 * point too. A time is raised to what the rest cannot tell it from: a lane's free time to the
 * earliest any later step it may run can have its inputs (tmin: the step starts no earlier), and,
 * where there are no copies, a live value's end to the earliest any of its later readers can
 * have all its inputs (the reader waits for that anyway). */
static int
seen(Search *s, NodeId k)
{
    int nkey = 0, ntime = 1 + s->np;
    unsigned h = 2166136261u ^ (unsigned)k;
    if (!s->memo)
        return 0;
    s->now[0] = s->made;
    for (int p = 0; p < s->np; p++)
        s->now[1 + p] = s->free_ms[p] > s->tmin[p] ? s->free_ms[p] : s->tmin[p];
    for (int i = s->loff[k]; i < s->loff[k + 1]; i++) {
        NodeId m = s->live[i];
        double end = s->end[m], wait = INFINITY;
        for (int j = s->coff[m]; s->one_mem && j < s->coff[m + 1]; j++)
            if (s->cons[j] >= k && s->rdy[s->cons[j]] < wait)
                wait = s->rdy[s->cons[j]];
        s->key[nkey++] = s->dev[m];
        s->now[ntime++] = s->one_mem && wait > end ? wait : end;
        h = (h ^ (unsigned)s->dev[m]) * 16777619u;
    }
    size_t slot = h & (MEMO_SLOTS - 1);
    s->work += ntime;
    for (int i = 0; i < MEMO_PROBE; i++, slot = (slot + 1) & (MEMO_SLOTS - 1)) {
        Memo *e = &s->memo[slot];
        s->work++;
        if (e->k < 0) {
            if (!room(s, (size_t)ntime))
                return 0;
            *e = (Memo){.k = k, .hash = h, .key = s->nkey, .times = s->ntime};
            memcpy(s->keys + e->key, s->key, (size_t)nkey * sizeof *s->key);
            memcpy(s->times + e->times, s->now, (size_t)ntime * sizeof *s->now);
            s->nkey += (size_t)nkey;
            s->ntime += (size_t)ntime;
            return 0;
        }
        if (e->k != k || e->hash != h ||
            memcmp(s->keys + e->key, s->key, (size_t)nkey * sizeof *s->key))
            continue;
        double *then = s->times + e->times;
        if (no_later(s, then, s->now, ntime))
            return 1;
        if (no_later(s, s->now, then, ntime)) {
            memcpy(then, s->now, (size_t)ntime * sizeof *then);
            return 0;
        }
    }
    return 0;
}

static void
search(Search *s, NodeId k)
{
    if (k == s->n) {
        if (s->made < s->best_ms) {
            s->best_ms = s->made;
            memcpy(s->best, s->dev, (size_t)s->n * sizeof *s->dev);
        }
        return;
    }
    s->expanded++;
    if (s->work > s->budget) {
        s->over = 1;
        return;
    }
    int order[TG_MAXPROC], no = 0;
    double endp[TG_MAXPROC];
    for (int p = 0; p < s->np; p++) {
        if (us_of(s, k, p) < 0)
            continue;
        endp[p] = step_end(s, k, p, k);
        int i = no++;
        for (; i > 0 && endp[order[i - 1]] > endp[p]; i--)
            order[i] = order[i - 1];
        order[i] = p;
    }
    for (int i = 0; i < no && !s->over; i++) {
        int p = order[i];
        double was_free = s->free_ms[p], was_made = s->made, done;
        s->dev[k] = p;
        s->end[k] = endp[p];
        s->free_ms[p] = endp[p];
        if (endp[p] > s->made)
            s->made = endp[p];
        done = outputs_done(s, k, p, endp[p]);
        if (done > s->made)
            s->made = done;
        if (k + 1 == s->n || (bound(s, k + 1, s->best_ms) < s->best_ms && !seen(s, k + 1)))
            search(s, k + 1);
        s->free_ms[p] = was_free;
        s->made = was_made;
    }
}

/* An incumbent: dev[k] from pick (a processor, -1: the earliest end), else the first that may */
static void
incumbent(Search *s, int pick)
{
    memset(s->free_ms, 0, sizeof s->free_ms);
    for (NodeId k = 0; k < s->n; k++) {
        int q = -1;
        double qe = INFINITY;
        for (int p = 0; p < s->np; p++) {
            if (us_of(s, k, p) < 0)
                continue;
            double e = step_end(s, k, p, k);
            if (q < 0 || (pick < 0 ? e < qe : p == pick))
                q = p, qe = e;
        }
        s->dev[k] = q;
        s->end[k] = qe;
        s->free_ms[q] = qe;
    }
    double ms = part_estimate(s->g, s->t, s->c, s->dev, NULL, s->lb);
    if (ms < s->best_ms) {
        s->best_ms = ms;
        memcpy(s->best, s->dev, (size_t)s->n * sizeof *s->dev);
    }
}

/* The graph's tables for the search; -1 out of memory */
static int
prepare(Search *s)
{
    const Graph *g = s->g;
    int n = s->n, np = s->np, ne = 0, no = 0;
    for (NodeId k = 0; k < n; k++)
        ne += g->node[k].nin;
    for (int i = 0; i < g->noutput; i++)
        no += g->val[g->output[i]].def != NONE;
    size_t nn = (size_t)n + 1;
    s->ioff = ir_alloc(nn * sizeof *s->ioff);
    s->ooff = ir_alloc(nn * sizeof *s->ooff);
    s->idef = ir_alloc(((size_t)ne + 1) * sizeof *s->idef);
    s->rd = ir_alloc(((size_t)ne * (size_t)(np + 1) * (size_t)np + 1) * sizeof *s->rd);
    s->ord = ir_alloc(((size_t)no * (size_t)np + 1) * sizeof *s->ord);
    s->left = ir_alloc(nn * sizeof *s->left);
    s->dev = ir_alloc(nn * sizeof *s->dev);
    s->best = ir_alloc(nn * sizeof *s->best);
    s->end = ir_alloc(nn * sizeof *s->end);
    s->lb = ir_alloc(nn * sizeof *s->lb);
    s->last = ir_alloc(nn * sizeof *s->last);
    s->key = ir_alloc(nn * sizeof *s->key);
    s->now = ir_alloc((nn + (size_t)np) * sizeof *s->now);
    s->rdy = ir_alloc(nn * sizeof *s->rdy);
    s->coff = ir_alloc((nn + 1) * sizeof *s->coff);
    s->cons = ir_alloc(((size_t)ne + 1) * sizeof *s->cons);
    if (!s->ioff || !s->ooff || !s->idef || !s->rd || !s->ord || !s->left ||
        !s->dev || !s->best || !s->end || !s->lb || !s->last || !s->key || !s->now ||
        !s->rdy || !s->coff || !s->cons)
        return -1;
    for (int p = 0; p < np; p++)
        s->mem[p] = target_mem(s->t, s->t->proc[p].space);
    int cpu = target_first(s->t, PB_CPU);
    ne = no = 0;
    for (NodeId k = 0; k < n; k++) {
        const Node *x = &g->node[k];
        s->ioff[k] = ne;
        for (int j = 0; j < x->nin; j++) {
            ValId v = part_input(g, x, j);
            if (v == NONE)
                continue;
            s->idef[ne] = g->val[v].def;
            for (int a = -1; a < np; a++)
                for (int p = 0; p < np; p++)
                    s->rd[((size_t)ne * (size_t)(np + 1) + (size_t)(a + 1)) * (size_t)np +
                          (size_t)p] = a == p ? 0 : part_read_us(g, s->t, v, a, p);
            ne++;
        }
        s->ooff[k] = no;
        for (int i = 0; i < g->noutput; i++) {
            ValId v = g->output[i];
            if (g->val[v].def != k)
                continue;
            for (int p = 0; p < np; p++)
                s->ord[(size_t)no * (size_t)np + (size_t)p] =
                    s->mem[p] == 0 ? -1 : part_read_us(g, s->t, v, p, cpu >= 0 ? cpu : p);
            no++;
        }
    }
    s->ioff[n] = ne;
    for (NodeId k = 0; k < n; k++) {
        s->last[k] = -1;
        for (int e = s->ioff[k]; e < s->ioff[k + 1]; e++)
            if (s->idef[e] != NONE)
                s->last[s->idef[e]] = k;
    }
    /* each node's readers, counted, then listed by reader */
    memset(s->coff, 0, (nn + 1) * sizeof *s->coff);
    for (int e = 0; e < ne; e++)
        if (s->idef[e] != NONE)
            s->coff[s->idef[e] + 1]++;
    for (NodeId m = 0; m < n; m++)
        s->coff[m + 1] += s->coff[m];
    for (NodeId k = 0; k < n; k++)
        for (int e = s->ioff[k]; e < s->ioff[k + 1]; e++)
            if (s->idef[e] != NONE)
                s->cons[s->coff[s->idef[e]]++] = k;
    for (NodeId m = n; m > 0; m--)
        s->coff[m] = s->coff[m - 1];
    s->coff[0] = 0;
    s->one_mem = 1;
    for (int p = 0; p < np; p++)
        s->one_mem &= s->mem[p] == s->mem[0];
    /* node m is live before nodes m + 1 .. last[m]: count them, then list them by m */
    s->loff = ir_alloc((nn + 1) * sizeof *s->loff);
    if (!s->loff)
        return -1;
    memset(s->loff, 0, (nn + 1) * sizeof *s->loff);
    size_t nlive = 0;
    for (NodeId m = 0; m < n; m++)
        nlive += s->last[m] > m ? (size_t)(s->last[m] - m) : 0;
    if (nlive > INT32_MAX || !(s->live = ir_alloc((nlive + 1) * sizeof *s->live)))
        return -1;
    for (NodeId m = 0; m < n; m++)
        for (NodeId k = m + 1; k <= s->last[m]; k++)
            s->loff[k + 1]++;
    for (NodeId k = 0; k < n; k++)
        s->loff[k + 1] += s->loff[k];
    for (NodeId m = 0; m < n; m++)             /* loff[k] moves up as k's list fills ... */
        for (NodeId k = m + 1; k <= s->last[m]; k++)
            s->live[s->loff[k]++] = m;
    for (NodeId k = n; k > 0; k--)              /* ... to where k + 1's starts: back one */
        s->loff[k] = s->loff[k - 1];
    s->loff[0] = 0;
    s->ooff[n] = no;
    s->left[n] = 0;
    for (NodeId k = n - 1; k >= 0; k--) {
        double least = INFINITY;
        for (int p = 0; p < np; p++)
            if (us_of(s, k, p) >= 0 && us_of(s, k, p) < least)
                least = us_of(s, k, p);
        s->left[k] = s->left[k + 1] + least / 1e3;
    }
    return 0;
}

static void
release(Search *s)
{
    ir_free(s->ioff), ir_free(s->ooff), ir_free(s->idef), ir_free(s->rd);
    ir_free(s->ord), ir_free(s->left), ir_free(s->dev), ir_free(s->best), ir_free(s->end);
    ir_free(s->lb), ir_free(s->last), ir_free(s->loff), ir_free(s->live), ir_free(s->key);
    ir_free(s->now), ir_free(s->memo), ir_free(s->keys), ir_free(s->times), ir_free(s->rdy);
    ir_free(s->coff), ir_free(s->cons);
}

int
part_optimal(const Graph *g, const Target *t, const CostTable *c, long budget, int *dev,
             double *ms, long *expanded)
{
    Search s = {.g = g, .t = t, .c = c, .n = g->nnode, .np = t->nproc, .budget = budget,
                .best_ms = INFINITY};
    int rc = -1, choices = 0;
    for (NodeId k = 0; k < s.n; k++) {
        int ncan = 0;
        for (int p = 0; p < s.np; p++)
            if (us_of(&s, k, p) >= 0)
                ncan++, dev[k] = p;
        if (ncan == 0)
            goto done;
        choices += ncan > 1;
    }
    if (choices == 0) {             /* one placement: nothing to search, whatever the size */
        *ms = part_estimate(g, t, c, dev, NULL, NULL);
        rc = *ms < 0 ? -1 : 0;
        goto done;
    }
    if (prepare(&s) < 0)
        goto done;
    for (int p = -1; p < s.np; p++)
        incumbent(&s, p);
    memset(s.free_ms, 0, sizeof s.free_ms);
    s.made = 0;
    if (bound(&s, 0, s.best_ms) < s.best_ms) {
        s.memo = ir_alloc(MEMO_SLOTS * sizeof *s.memo);     /* NULL: it only saves time */
        for (int i = 0; s.memo && i < MEMO_SLOTS; i++)
            s.memo[i].k = -1;
        search(&s, 0);
    }
    memcpy(dev, s.best, (size_t)s.n * sizeof *dev);
    *ms = s.best_ms;
    rc = s.over;
done:
    if (expanded)
        *expanded = s.expanded;
    release(&s);
    return rc;
}

/* Every node on the first processor that can run it: pass_place then names the --place rule
 * that sends one where it cannot run */
static void
place_first(Graph *g, const Target *t)
{
    for (NodeId k = 0; k < g->nnode; k++) {
        g->node[k].dev = NONE;
        for (int p = t->nproc - 1; p >= 0; p--)
            if (target_can_run(t, p, g, k))
                g->node[k].dev = p;
        g->node[k].cause = PC_ONLY;
    }
}

int
place_optimal(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    CostTable c;
    int *dev = NULL, rc = -1, choices = 0, limit = optimal_max_steps(t->nproc);
    long expanded = 0;
    double ms;
    if (part_costs(g, t, o, &c, d) < 0)
        return -1;
    for (NodeId k = 0; k < g->nnode; k++) {
        int ncan = 0, can = 0;
        for (int p = 0; p < t->nproc; p++) {
            ncan += c.us[(size_t)k * (size_t)t->nproc + (size_t)p] >= 0;
            can += target_can_run(t, p, g, k);
        }
        choices += ncan > 1;
        if (ncan == 0 && can > 0) {
            place_first(g, t);
            rc = 0;
            goto done;
        }
        if (ncan == 0) {
            rc = diag_node(d, g, k, "no processor of %s can run %s on %s",
                           t->file[0] ? t->file : "the host", ir_op[g->node[k].op].onnx,
                           ir_dtype_name(target_node_dtype(g, &g->node[k])));
            goto done;
        }
    }
    if (choices > limit || (choices > 0 && g->nnode > OPT_MAX_NODES)) {
        rc = diag_error(d, "strategy optimal: %d steps, %d of them with a choice of processor, "
                        "more than it searches exactly (%d steps, %d with a choice on %d "
                        "processors); use greedy or auto", g->nnode, choices, OPT_MAX_NODES,
                        limit, t->nproc);
        goto done;
    }
    if (!(dev = ir_alloc(((size_t)g->nnode + 1) * sizeof *dev))) {
        rc = diag_oom(d);
        goto done;
    }
    rc = part_optimal(g, t, &c, OPT_BUDGET, dev, &ms, &expanded);
    if (rc < 0) {
        rc = diag_oom(d);
    } else if (rc > 0) {
        rc = diag_error(d, "strategy optimal: the search over %d steps passed its budget (%ld "
                        "steps worked out or times compared); use greedy or auto", g->nnode,
                        (long)OPT_BUDGET);
    } else {
        for (NodeId k = 0; k < g->nnode; k++) {
            int ncan = 0;
            for (int p = 0; p < t->nproc; p++)
                ncan += c.us[(size_t)k * (size_t)t->nproc + (size_t)p] >= 0;
            g->node[k].dev = dev[k];
            g->node[k].cause = ncan > 1 ? PC_OPTIMAL : PC_ONLY;
        }
    }
done:
    ir_free(dev);
    part_costs_free(&c);
    return rc;
}
