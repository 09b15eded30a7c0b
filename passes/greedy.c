/*
 * greedy.c: --strategy greedy, list scheduling of the HEFT family (Topcuoglu, Hariri and Wu,
 * "Performance-effective and low-complexity task scheduling for heterogeneous computing", 2002)
 * over the cost model's table (partition.h), so that independent branches run side by side.
 *
 * Method. Each node's upward rank is its mean time over the processors that may run it plus the
 * most, over its consumers, of the edge's mean crossing cost and the consumer's rank (the
 * longest way from it to the end). Among the ready nodes (every producer scheduled) the one of
 * highest rank goes next, to the processor where it finishes earliest: it starts when that
 * processor's lane is free and its inputs are written (a copy across memories first), pays the
 * reader's sync_us once per other lane read from and the handoff of what another processor of
 * its memory wrote, as part_estimate counts them; but a copy across memories is made once per
 * tensor and memory and takes its time on the lane of the processor that makes it (the device
 * side's, as copies.c and the whole model have it), where part_estimate only delays its reader
 * by it. Contention: the part of it that
 * overlaps busy steps of a processor that slows it (cost_contention) is stretched by that
 * factor, and what it would stretch those steps by is added to the figure processors are
 * compared by. The nodes are then ordered by their start when placed, so each lane runs its
 * steps in greedy's order. Last, the larger of the list's makespan and part_estimate of the new
 * order is compared with every one-processor placement (each node on p where it may run, else
 * on the first that may): where one is predicted no slower, greedy takes it, in the old order.
 *
 * Cost: O(N P^2 + E P^2) for the ranks, O((N + E) P) plus O(P log N) per node and processor for
 * the contention lookups for the list (more where a step overlaps many), O(N log N) for the
 * ready heap and the final sort, and O(P (N + E)) for the one-processor estimates and the
 * estimate of the new order; N nodes, E inputs read, P processors.
 */
#include "partition.h"
#include "cost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS_MS 1e-9     /* finish times closer than this are a tie */

typedef struct Greedy {
    const Graph *g;
    const Target *t;
    const CostTable *c;
    double *rank;               /* per node: upward rank, ms */
    double *start, *end;        /* per node: predicted start and end once scheduled, ms */
    double *placed;             /* per node: its start when it was placed (later steps that
                                 * slow it may move start and end on) */
    int *dev;                   /* per node: chosen processor, -1 before */
    double *copied;             /* per value and memory (stride nspace): when its copy there
                                 * is done, -1: none yet */
    int *seq;                   /* per node: position in greedy's visit order */
    int *cause;                 /* per node: a PlaceCause */
    NodeId *lane;               /* lane[p * nnode + k]: the k-th step of processor p */
    int nlane[TG_MAXPROC];
    double avail[TG_MAXPROC];   /* when each lane is free, ms */
    double fac[TG_MAXPROC][TG_MAXPROC];     /* a's slowdown while b is busy */
} Greedy;

/* One processor tried for one node */
typedef struct Try {
    double start, finish;       /* on its lane, contention included */
    double alone;               /* when it would finish with its lane free and no contention */
    double score;               /* finish plus what it delays the steps it slows down */
} Try;

static double
table_us(const CostTable *c, NodeId n, int p)
{
    return c->us[(size_t)n * (size_t)c->nproc + (size_t)p];
}

/* The mean crossing cost in ms of value v from node m to node n: part_read_us plus the
 * reader's sync_us, over every pair of different processors that may run m and n (0 when the
 * two may only share one). */
static double
edge_ms(const Greedy *G, ValId v, NodeId m, NodeId n)
{
    double sum = 0;
    int k = 0;
    for (int a = 0; a < G->t->nproc; a++) {
        if (table_us(G->c, m, a) < 0)
            continue;
        for (int b = 0; b < G->t->nproc; b++) {
            if (b == a || table_us(G->c, n, b) < 0)
                continue;
            sum += part_read_us(G->g, G->t, v, a, b) + G->t->proc[b].sync_us;
            k++;
        }
    }
    return k ? sum / k / 1e3 : 0;
}

/* Upward ranks, walking the nodes backwards (the graph is in topological order, so each
 * consumer's rank is known before its producers need it). */
static void
upward_ranks(Greedy *G, double *below)
{
    const Graph *g = G->g;
    for (NodeId n = 0; n < g->nnode; n++)
        below[n] = 0;
    for (NodeId n = g->nnode - 1; n >= 0; n--) {
        double sum = 0;
        int k = 0;
        for (int p = 0; p < G->t->nproc; p++)
            if (table_us(G->c, n, p) >= 0)
                sum += table_us(G->c, n, p), k++;
        G->rank[n] = (k ? sum / k / 1e3 : 0) + below[n];
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE || g->val[v].def == NONE || (g->val[v].flags & V_CONST))
                continue;
            NodeId m = g->val[v].def;
            double r = edge_ms(G, v, m, n) + G->rank[n];
            if (r > below[m])
                below[m] = r;
        }
    }
}

/* The first step of lane q that ends after time at (lane steps end in increasing order) */
static int
first_ending_after(const Greedy *G, int q, double at)
{
    const NodeId *l = &G->lane[(size_t)q * (size_t)G->g->nnode];
    int lo = 0, hi = G->nlane[q];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (G->end[l[mid]] <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* When a step of processor p that starts at `at` and takes ms alone ends, the parts of it that
 * overlap steps already on lanes that slow p stretched by their factors (product where several
 * are busy at once). Steps scheduled later are not looked back at. */
static double
stretched_end(const Greedy *G, int p, double at, double ms)
{
    int cur[TG_MAXPROC];
    for (int q = 0; q < G->t->nproc; q++)
        cur[q] = G->fac[p][q] > 1 ? first_ending_after(G, q, at) : G->nlane[q];
    double now = at, left = ms;
    for (;;) {
        double f = 1, next = INFINITY;
        for (int q = 0; q < G->t->nproc; q++) {
            const NodeId *l = &G->lane[(size_t)q * (size_t)G->g->nnode];
            while (cur[q] < G->nlane[q] && G->end[l[cur[q]]] <= now)
                cur[q]++;
            if (cur[q] == G->nlane[q])
                continue;
            NodeId m = l[cur[q]];
            if (G->start[m] <= now) {
                f *= G->fac[p][q];
                next = G->end[m] < next ? G->end[m] : next;
            } else if (G->start[m] < next) {
                next = G->start[m];
            }
        }
        if (!(next < now + left * f))
            return now + left * f;
        left -= (next - now) / f;
        now = next;
    }
}

/* What a step of processor p from start to finish costs the steps already on lanes it slows
 * down: each overlapped step of lane q is stretched by the overlap times fac[q][p] - 1, and
 * the lane's later steps move with it. The sum over the lanes; with apply, the steps move
 * (their consumers already placed are not looked back at). */
static double
inflicted(Greedy *G, int p, double start, double finish, int apply)
{
    double sum = 0;
    for (int q = 0; q < G->t->nproc; q++) {
        double f = G->fac[q][p], shift = 0;
        if (q == p || f <= 1)
            continue;
        NodeId *l = &G->lane[(size_t)q * (size_t)G->g->nnode];
        for (int k = first_ending_after(G, q, start); k < G->nlane[q]; k++) {
            NodeId m = l[k];
            double lo = G->start[m] > start ? G->start[m] : start;
            double hi = G->end[m] < finish ? G->end[m] : finish;
            double more = hi > lo ? (hi - lo) * (f - 1) : 0;
            if (!apply && G->start[m] >= finish)
                break;
            if (apply) {
                G->start[m] += shift;
                G->end[m] += shift + more;
            }
            shift += more;
        }
        if (apply)
            G->avail[q] += shift;
        sum += shift;
    }
    return sum;
}

/* Node n on processor p: its start and finish on p's lane, by part_estimate's terms but for the
 * copies: a copy of a tensor into another memory is made once per memory, and takes its time on
 * the lane of the processor that makes it (the device side's) as the whole model has it. With
 * apply, those copies are made (lanes and G->copied). */
static Try
try_on(Greedy *G, NodeId n, int p, int apply)
{
    const Graph *g = G->g;
    const Target *t = G->t;
    const Node *x = &g->node[n];
    double ready = 0, us = table_us(G->c, n, p), lane[TG_MAXPROC];
    unsigned waited = 0;
    int mp = part_mem(t, p);
    memcpy(lane, G->avail, sizeof lane);
    for (int j = 0; j < x->nin; j++) {
        ValId v = part_input(g, x, j);
        if (v == NONE)
            continue;
        NodeId m = g->val[v].def;
        int a = m == NONE ? -1 : G->dev[m], ma = part_mem(t, a);
        if (a == p)
            continue;
        double at = m == NONE ? 0 : G->end[m];
        double read = part_read_us(g, t, v, a, p);
        double *copied = &G->copied[(size_t)v * (size_t)t->nspace + (size_t)mp];
        if (ma == mp) {
            us += read;                 /* the step reads it from the other's caches */
        } else if (*copied >= 0) {
            at = *copied;               /* copied there for an earlier reader */
        } else {
            int c = part_copier(t, mp != 0 ? mp : ma);
            at = (lane[c] > at ? lane[c] : at) + read / 1e3;
            lane[c] = at;
            if (apply)
                *copied = at;
        }
        if (a >= 0)
            waited |= 1u << a;
        if (at > ready)
            ready = at;
    }
    double sync = __builtin_popcount(waited) * t->proc[p].sync_us / 1e3;
    double start = (lane[p] > ready ? lane[p] : ready) + sync;
    Try r = {.start = start, .finish = stretched_end(G, p, start, us / 1e3),
             .alone = ready + sync + us / 1e3};
    r.score = r.finish + inflicted(G, p, r.start, r.finish, 0);
    if (apply)
        for (int q = 0; q < t->nproc; q++)
            if (q != p)
                G->avail[q] = lane[q];
    return r;
}

/* 1 when ready node a goes before ready node b: the higher rank, then the lower index */
static int
before(const Greedy *G, NodeId a, NodeId b)
{
    if (G->rank[a] != G->rank[b])
        return G->rank[a] > G->rank[b];
    return a < b;
}

static void
heap_push(const Greedy *G, NodeId *h, int *nh, NodeId n)
{
    int k = (*nh)++;
    h[k] = n;
    while (k > 0 && before(G, h[k], h[(k - 1) / 2])) {
        int up = (k - 1) / 2;
        NodeId x = h[k];
        h[k] = h[up], h[up] = x;
        k = up;
    }
}

static NodeId
heap_pop(const Greedy *G, NodeId *h, int *nh)
{
    NodeId top = h[0];
    h[0] = h[--*nh];
    for (int k = 0;;) {
        int l = 2 * k + 1, r = l + 1, m = k;
        if (l < *nh && before(G, h[l], h[m]))
            m = l;
        if (r < *nh && before(G, h[r], h[m]))
            m = r;
        if (m == k)
            break;
        NodeId x = h[k];
        h[k] = h[m], h[m] = x;
        k = m;
    }
    return top;
}

/* Node n, visited seq-th, to the processor where it finishes earliest: ties to the one that
 * wrote more of its inputs, then to the lower index. */
static void
schedule_node(Greedy *G, NodeId n, int seq)
{
    const Graph *g = G->g;
    const Node *x = &g->node[n];
    int with[TG_MAXPROC] = {0}, best = -1, fastest = -1, nmay = 0;
    Try tr[TG_MAXPROC];
    for (int j = 0; j < x->nin; j++) {
        ValId v = x->in[j];
        if (v != NONE && g->val[v].def != NONE && G->dev[g->val[v].def] >= 0)
            with[G->dev[g->val[v].def]]++;
    }
    for (int p = 0; p < G->t->nproc; p++) {
        double us = table_us(G->c, n, p);
        if (us < 0)
            continue;
        nmay++;
        tr[p] = try_on(G, n, p, 0);
        if (best < 0 || tr[p].score < tr[best].score - EPS_MS ||
            (tr[p].score <= tr[best].score + EPS_MS && with[p] > with[best]))
            best = p;
        if (fastest < 0 || us < table_us(G->c, n, fastest))
            fastest = p;
    }
    try_on(G, n, best, 1);
    inflicted(G, best, tr[best].start, tr[best].finish, 1);
    G->dev[n] = best;
    G->start[n] = G->placed[n] = tr[best].start;
    G->end[n] = tr[best].finish;
    G->avail[best] = tr[best].finish;
    G->lane[(size_t)best * (size_t)g->nnode + (size_t)G->nlane[best]++] = n;
    G->seq[n] = seq;
    G->cause[n] = nmay == 1 ? PC_ONLY : PC_EARLIEST;
    /* faster alone elsewhere, but what it reads from other lanes made it finish later there */
    if (fastest != best && table_us(G->c, n, fastest) < table_us(G->c, n, best) &&
        tr[fastest].alone > tr[best].finish + EPS_MS)
        G->cause[n] = PC_TRANSFER;
}

/* Greedy's predicted makespan: its last step, or a graph output's copy to the host memory
 * (on the lane of the processor that copies it) */
static double
makespan_ms(const Greedy *G)
{
    const Graph *g = G->g;
    const Target *t = G->t;
    double ms = 0, lane[TG_MAXPROC];
    memcpy(lane, G->avail, sizeof lane);
    for (NodeId n = 0; n < g->nnode; n++)
        ms = G->end[n] > ms ? G->end[n] : ms;
    int host = target_first(t, PB_CPU);
    for (int i = 0; i < g->noutput; i++) {
        NodeId m = g->val[g->output[i]].def;
        int mm = m == NONE ? 0 : part_mem(t, G->dev[m]), c = part_copier(t, mm);
        if (mm == 0)
            continue;
        double done = G->end[m] > lane[c] ? G->end[m] : lane[c];
        done += part_read_us(g, t, g->output[i], G->dev[m], host >= 0 ? host : G->dev[m]) / 1e3;
        lane[c] = done;
        ms = done > ms ? done : ms;
    }
    return ms;
}

/* Every node on p where it may run there, else on the first processor that may: dev[] and,
 * when cause is not NULL, the causes */
static void
one_processor(const CostTable *c, int p, int *dev, int *cause)
{
    for (NodeId n = 0; n < c->nnode; n++) {
        int q = p;
        for (int r = 0; table_us(c, n, q) < 0 && r < c->nproc; r++)
            q = r;
        dev[n] = q;
        if (cause)
            cause[n] = q == p ? PC_STRATEGY : PC_ONLY;
    }
}

typedef struct Slot {
    double start;
    int seq;
    NodeId n;
} Slot;

static int
slot_cmp(const void *a, const void *b)
{
    const Slot *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The nodes reordered by their start when greedy placed them, in greedy's order among equal
 * starts: a topological order (a consumer was placed to start no earlier than its producer's
 * end then) that keeps each lane's order (a lane's steps were placed at nondecreasing starts) */
static int
order_by_start(Graph *g, const Greedy *G, Diag *d)
{
    Slot *s = ir_alloc((size_t)g->nnode * sizeof *s + 1);
    double *key = ir_alloc((size_t)g->nnode * sizeof *key + 1);
    int rc = -1;
    if (!s || !key) {
        diag_oom(d);
        goto done;
    }
    for (NodeId n = 0; n < g->nnode; n++)
        s[n] = (Slot){.start = G->placed[n], .seq = G->seq[n], .n = n};
    qsort(s, (size_t)g->nnode, sizeof *s, slot_cmp);
    for (int k = 0; k < g->nnode; k++)
        key[s[k].n] = k;
    rc = ir_toposort_by(g, key, d);
done:
    ir_free(s);
    ir_free(key);
    return rc;
}

/* Back to the order the graph had, pos[v] being the old index of the node that writes value v
 * (value ids do not move) */
static int
restore_order(Graph *g, const int *pos, Diag *d)
{
    double *key = ir_alloc((size_t)g->nnode * sizeof *key + 1);
    if (!key)
        return diag_oom(d);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        key[n] = g->nnode + n;          /* a node of no output (none lives this far) */
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE) {
                key[n] = pos[x->out[j]];
                break;
            }
    }
    int rc = ir_toposort_by(g, key, d);
    ir_free(key);
    return rc;
}

/* part_estimate of the graph as placed (Node.dev) in its order now, or -1 with d set */
static double
estimate_placed(const Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    CostTable c;
    int *dev = ir_alloc((size_t)g->nnode * sizeof(int) + 1);
    double ms = -1;
    if (!dev) {
        diag_oom(d);
        return -1;
    }
    if (part_costs(g, t, o, &c, d) == 0) {
        for (NodeId n = 0; n < g->nnode; n++)
            dev[n] = g->node[n].dev;
        ms = part_estimate(g, t, &c, dev, NULL, NULL);
        if (ms < 0)
            diag_oom(d);
        part_costs_free(&c);
    }
    ir_free(dev);
    return ms;
}

/* A node that no processor may run: none can (bad input), or --place allows none that can */
static int
refuse(const Graph *g, const Target *t, NodeId n, Diag *d)
{
    const char *op = ir_op[g->node[n].op].onnx;
    for (int p = 0; p < t->nproc; p++)
        if (target_can_run(t, p, g, n))
            return diag_node(d, g, n, "--place leaves no processor that can run %s", op);
    return diag_node(d, g, n, "no processor of %s can run %s on %s",
                     t->file[0] ? t->file : "the host", op,
                     ir_dtype_name(target_node_dtype(g, &g->node[n])));
}

/* The list: ranks, then nodes by rank as they become ready. 0, or -1 (out of memory) */
static int
list_schedule(Greedy *G, Diag *d)
{
    const Graph *g = G->g;
    int nn = g->nnode, nedge = 0, nh = 0, done = 0, rc = -1;
    for (NodeId n = 0; n < nn; n++)
        nedge += g->node[n].nin;
    double *below = ir_alloc((size_t)nn * sizeof(double) + 1);
    int *pending = ir_alloc((size_t)nn * sizeof(int) + 1);
    int *first = ir_alloc((size_t)(nn + 1) * sizeof(int));      /* consumers of n: */
    NodeId *user = ir_alloc((size_t)nedge * sizeof(NodeId) + 1); /* user[first[n] ..] */
    NodeId *heap = ir_alloc((size_t)nn * sizeof(NodeId) + 1);
    if (!below || !pending || !first || !user || !heap) {
        diag_oom(d);
        goto out;
    }
    upward_ranks(G, below);
    memset(first, 0, (size_t)(nn + 1) * sizeof(int));
    memset(pending, 0, (size_t)nn * sizeof(int));
    for (NodeId n = 0; n < nn; n++) {           /* count each node's consumers */
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++) {
            NodeId m = x->in[j] == NONE ? NONE : g->val[x->in[j]].def;
            if (m != NONE)
                first[m + 1]++, pending[n]++;
        }
    }
    for (NodeId n = 0; n < nn; n++)
        first[n + 1] += first[n];
    for (NodeId n = 0; n < nn; n++) {           /* fill, first[m] moving to first[m + 1] */
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++) {
            NodeId m = x->in[j] == NONE ? NONE : g->val[x->in[j]].def;
            if (m != NONE)
                user[first[m]++] = n;
        }
    }
    for (NodeId n = nn; n > 0; n--)
        first[n] = first[n - 1];
    first[0] = 0;
    for (NodeId n = 0; n < nn; n++)
        if (pending[n] == 0)
            heap_push(G, heap, &nh, n);
    while (nh > 0) {
        NodeId n = heap_pop(G, heap, &nh);
        schedule_node(G, n, done++);
        for (int k = first[n]; k < first[n + 1]; k++)
            if (--pending[user[k]] == 0)
                heap_push(G, heap, &nh, user[k]);
    }
    if (done < nn)
        diag_error(d, "%s: the graph has a cycle", g->file ? g->file : "the graph");
    else
        rc = 0;
out:
    ir_free(below);
    ir_free(pending);
    ir_free(first);
    ir_free(user);
    ir_free(heap);
    return rc;
}

int
place_greedy(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    CostTable c;
    Greedy G = {.g = g, .t = t, .c = &c};
    size_t nn = (size_t)g->nnode;
    int rc = -1, *single = NULL, *pos = NULL;
    if (g->nnode == 0)
        return 0;
    if (part_costs(g, t, o, &c, d) < 0)
        return -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        int p = 0;
        while (p < t->nproc && table_us(&c, n, p) < 0)
            p++;
        if (p == t->nproc) {
            refuse(g, t, n, d);
            goto done;
        }
    }
    G.rank = ir_alloc(nn * sizeof(double));
    G.start = ir_alloc(nn * sizeof(double));
    G.placed = ir_alloc(nn * sizeof(double));
    G.end = ir_alloc(nn * sizeof(double));
    G.dev = ir_alloc(nn * sizeof(int));
    G.seq = ir_alloc(nn * sizeof(int));
    G.cause = ir_alloc(nn * sizeof(int));
    G.lane = ir_alloc(nn * (size_t)t->nproc * sizeof(NodeId));
    G.copied = ir_alloc((size_t)g->nval * (size_t)t->nspace * sizeof(double) + 1);
    single = ir_alloc(nn * sizeof(int));
    if (!G.rank || !G.start || !G.placed || !G.end || !G.dev || !G.seq || !G.cause || !G.lane ||
        !G.copied || !single) {
        diag_oom(d);
        goto done;
    }
    for (size_t n = 0; n < nn; n++)
        G.dev[n] = -1;
    for (size_t k = 0; k < (size_t)g->nval * (size_t)t->nspace; k++)
        G.copied[k] = -1;
    for (int a = 0; a < t->nproc; a++)
        for (int b = 0; b < t->nproc; b++)
            G.fac[a][b] = a == b ? 1 : cost_contention(t, a, b);
    if (list_schedule(&G, d) < 0)
        goto done;

    /* the best one-processor placement, in the graph's order */
    double best_ms = INFINITY;
    int best = -1;
    for (int p = 0; p < t->nproc; p++) {
        one_processor(&c, p, single, NULL);
        double e = part_estimate(g, t, &c, single, NULL, NULL);
        if (e < 0) {
            diag_oom(d);
            goto done;
        }
        if (e < best_ms)
            best_ms = e, best = p;
    }
    /* greedy's plan in its order; its figure, the list's (contention in) or the estimate's */
    pos = ir_alloc((size_t)g->nval * sizeof(int) + 1);
    if (!pos) {
        diag_oom(d);
        goto done;
    }
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE)
                pos[x->out[j]] = n;
        g->node[n].dev = G.dev[n], g->node[n].cause = G.cause[n];     /* they move along */
    }
    double ms = makespan_ms(&G), est;
    if (order_by_start(g, &G, d) < 0 || (est = estimate_placed(g, t, o, d)) < 0)
        goto done;
    ms = est > ms ? est : ms;

    /* never predicted slower than one processor: where one is no slower, it is the plan, in
     * the graph's order (greedy's own placement keeps greedy's causes) */
    if (best_ms <= ms + EPS_MS) {
        if (restore_order(g, pos, d) < 0)
            goto done;
        one_processor(&c, best, single, NULL);
        if (memcmp(single, G.dev, nn * sizeof(int)) != 0) {
            one_processor(&c, best, G.dev, G.cause);
            for (NodeId n = 0; n < g->nnode; n++)
                g->node[n].dev = G.dev[n], g->node[n].cause = G.cause[n];
        }
    }
    rc = 0;
done:
    part_costs_free(&c);
    ir_free(G.rank);
    ir_free(G.start);
    ir_free(G.placed);
    ir_free(G.end);
    ir_free(G.dev);
    ir_free(G.seq);
    ir_free(G.cause);
    ir_free(G.lane);
    ir_free(G.copied);
    ir_free(single);
    ir_free(pos);
    return rc;
}
