/*
 * split.c: --strategy split, intra-operator splitting in the manner of CoDL (Jia et al., MobiSys
 * 2022): a Conv, a Gemm or a MatMul is divided between two processors of one memory along its
 * output channels (Gemm, MatMul: its output columns), each part writing its slice of one buffer.
 *
 * Method. The plan starts from the best one-processor placement by part_estimate (every node on
 * p where it may run, else on the first processor that may): p is home. Then each splittable
 * node on home (a head: Conv of group 1 with constant weights and bias; Gemm with M = 1 and
 * constant B and C; MatMul by a constant [K, N] whose output is one row) takes with it the chain
 * of nodes after it that work channel by channel on what the previous one wrote (a depthwise
 * Conv, a unary elementwise op, an inference BatchNormalization), each the only reader of that
 * tensor: the chain is divided once, every part reads its own slice, and the slices meet only
 * after its last node (CoDL's chains). For each other processor q of home's memory that may run
 * the chain and each prefix of it, the share of home is chosen, a multiple of 8 channels, that
 * gives the least predicted time: each part's steps at their share of the work (cost_work with
 * FLOPs, bytes and the GEMM dimension scaled, times a trace's over the model's ratio under
 * --profile-from) stretched by the pair's contention (the larger way, for both), q's handoff of
 * the input and sync, and home's wait and handoff of q's slice. A split is made only below
 * MARGIN of the chain's time on home alone. On a target whose processors share no memory,
 * nothing is split (the copies are not modelled here).
 *
 * Rewrite. Every node of a chain becomes two, "NAME/split0" on home and "NAME/split1" on q,
 * with their slices of the constants; a Concat "NAME/join" on home joins the last parts into the
 * chain's output. With batch 1 each slice is one contiguous range of that output, so the memory
 * planner puts both parts' outputs inside it (memplan.c, "Concat in place") and the Concat copies
 * nothing. The nodes are ordered topologically again, compacted, and their uses refilled.
 *
 * Cost: O(N P) estimates of O(N + E) to choose home, then per head O(P L^2 S) cost
 * evaluations for P processors, a chain of L nodes and S shares (C / 8 for C channels, at most
 * MAXSHARES); the rewrite is linear in the constants sliced.
 */
#include "partition.h"
#include "cost.h"

#include <string.h>

#define MARGIN 0.9      /* a split is made only below this share of the time on home alone */

enum {
    MAXCHAIN = 8,       /* nodes of one chain */
    UNIT = 8,           /* a part's channels are a multiple of this */
    MAXSHARES = 256,    /* shares tried per chain and processor, at most */
};

typedef enum Kind { K_NONE, K_CONV, K_GEMM, K_MATMUL, K_DEPTHWISE, K_UNARY, K_NORM } Kind;

/* A chain divided at one share: home runs channels [0, c1) of every node, other the rest */
typedef struct Chain {
    NodeId node[MAXCHAIN];
    Kind kind[MAXCHAIN];
    int len;
    int axis;               /* of the outputs: the one divided */
    int64_t C;              /* its size */
    int other;              /* the processor of the second part */
    int64_t c1;             /* channels of home's part */
} Chain;

typedef struct Split {
    Graph *g;
    const Target *t;
    const PlanOptions *o;
    CostTable c;
    int *dev;               /* per node of the graph as it came: its processor */
    int home;
    NodeId *reader;         /* per value: a node that reads it (fill_readers) */
    char *ranked;           /* per value: 1 when a Softmax, ArgMax, ... reads it */
    struct Made *made;      /* per value of the graph as it came and part: its last slice */
    int nval;               /* values of the graph as it came */
} Split;

/* A slice made of a constant, kept so that nodes sharing weights share their slices too (a
 * model of many Convs on one weight tensor must not get a copy per Conv) */
typedef struct Made {
    ValId v;                /* NONE: none yet */
    int axis;
    int64_t lo, hi;
} Made;

static const Value *
val_at(const Graph *g, const Node *x, int i)
{
    return i < x->nin && x->in[i] != NONE ? &g->val[x->in[i]] : NULL;
}

static int
is_const(const Value *v)
{
    return v && (v->flags & V_CONST) && v->data && ir_shape_known(v);
}

static int64_t
prod(const Value *v, int lo, int hi)
{
    int64_t p = 1;
    for (int i = lo; i < hi; i++)
        p *= v->dim[i];
    return p;
}

/* The node's one output, or NULL */
static const Value *
out_of(const Graph *g, const Node *x)
{
    return x->nout == 1 && x->out[0] != NONE && ir_shape_known(&g->val[x->out[0]])
               ? &g->val[x->out[0]]
               : NULL;
}

/* What kind of head node n is (K_NONE: it cannot be split), with the axis of its output and
 * that axis's size. */
static Kind
head_kind(const Graph *g, NodeId n, int *axis, int64_t *C)
{
    const Node *x = &g->node[n];
    const Value *y = out_of(g, x), *a = val_at(g, x, 0), *b = val_at(g, x, 1);
    const Value *bias = val_at(g, x, 2);
    if (!y || !a || !is_const(b) || y->dt != DT_F32 || a->dt != DT_F32 || ir_numel(y) <= 0)
        return K_NONE;
    switch (x->op) {
    case OP_CONV:
        if (x->attr->conv.group != 1 || y->rank < 3 || y->dim[0] != 1 || b->dim[0] != y->dim[1] ||
            (bias && !(is_const(bias) && ir_numel(bias) == y->dim[1])))
            return K_NONE;
        *axis = 1;
        *C = y->dim[1];
        return K_CONV;
    case OP_GEMM: {
        if (y->rank != 2 || y->dim[0] != 1 || b->rank != 2)
            return K_NONE;
        int64_t N = y->dim[1];
        if (bias && !(is_const(bias) && (ir_numel(bias) == 1 ||
                                         (ir_numel(bias) == N && bias->dim[bias->rank - 1] == N))))
            return K_NONE;
        *axis = 1;
        *C = N;
        return K_GEMM;
    }
    case OP_MATMUL:
        if (b->rank != 2 || y->rank < 1 || prod(y, 0, y->rank - 1) != 1)
            return K_NONE;
        *axis = y->rank - 1;
        *C = y->dim[y->rank - 1];
        return K_MATMUL;
    default:
        return K_NONE;
    }
}

/* What kind of follower node n is for a chain whose last output v (axis, C) it reads alone */
static Kind
follower_kind(const Graph *g, NodeId n, ValId v, int axis, int64_t C)
{
    const Node *x = &g->node[n];
    const Value *y = out_of(g, x), *in = &g->val[v];
    if (!y || x->nin < 1 || x->in[0] != v || y->rank != in->rank || y->dt != in->dt)
        return K_NONE;
    for (int i = 0; i < y->rank; i++)
        if (y->dim[i] != in->dim[i] && !(x->op == OP_CONV && i >= 2))
            return K_NONE;
    for (int j = 1; j < x->nin; j++)
        if (x->in[j] == v)
            return K_NONE;
    if (x->op == OP_CONV) {
        const Value *w = val_at(g, x, 1), *bias = val_at(g, x, 2);
        if (axis != 1 || x->attr->conv.group != C || !is_const(w) || w->dim[0] != C ||
            w->dim[1] != 1 || y->dim[1] != C || (bias && !(is_const(bias) && ir_numel(bias) == C)))
            return K_NONE;
        return K_DEPTHWISE;
    }
    if (x->op == OP_BATCHNORMALIZATION) {
        if (axis != 1 || x->nin != 5)
            return K_NONE;
        for (int j = 1; j < 5; j++)
            if (!is_const(val_at(g, x, j)) || ir_numel(val_at(g, x, j)) != C)
                return K_NONE;
        return K_NORM;
    }
    if (!(ir_op[x->op].flags & F_ELTWISE) || ir_op[x->op].flags & F_VIEW)
        return K_NONE;
    for (int j = 1; j < x->nin; j++)
        if (x->in[j] != NONE && !(is_const(val_at(g, x, j)) && ir_numel(val_at(g, x, j)) == 1))
            return K_NONE;
    return K_UNARY;
}

/* ---- the estimate ---------------------------------------------------------------------------- */

/* What the estimate of one chain on home and q keeps at hand, per node of the chain */
typedef struct Est {
    Work whole[MAXCHAIN];       /* its work undivided */
    double fixed[MAXCHAIN];     /* the bytes each part reads whole: a head's input */
    double ratio[MAXCHAIN][2];  /* on home and on q, the table's time over the model's (1
                                 * unless a trace gave the table its time) */
} Est;

static void
est_fill(const Split *s, const Chain *ch, int q, Est *e)
{
    for (int k = 0; k < ch->len; k++) {
        NodeId n = ch->node[k];
        Kind kind = ch->kind[k];
        e->whole[k] = cost_work(s->g, n);
        e->fixed[k] = kind == K_CONV || kind == K_GEMM || kind == K_MATMUL
                          ? (double)ir_nbytes(&s->g->val[s->g->node[n].in[0]])
                          : 0;
        for (int part = 0; part < 2; part++) {
            int p = part ? q : s->home;
            double model = cost_work_us(s->t, p, &e->whole[k]);
            double table = s->c.us[(size_t)n * (size_t)s->c.nproc + (size_t)p];
            e->ratio[k][part] = model > 0 && table >= 0 ? table / model : 1;
        }
    }
}

/* Microseconds of the share f of chain node k on processor p (part 0: home, 1: q): its work
 * with FLOPs, the bytes of what is sliced and the divided GEMM dimension scaled by f */
static double
share_us(const Split *s, const Chain *ch, const Est *e, int k, int part, int p, double f)
{
    Work w = e->whole[k];
    w.flops *= f;
    w.bytes = e->fixed[k] + f * (w.bytes - e->fixed[k]);
    w.fused_elems *= f;
    if (ch->kind[k] == K_CONV)
        w.m *= f;
    else if (ch->kind[k] == K_GEMM || ch->kind[k] == K_MATMUL)
        w.n *= f;
    return cost_work_us(s->t, p, &w) * e->ratio[k][part];
}

/* Microseconds the first len nodes of chain ch take on home alone */
static double
alone_us(const Split *s, const Chain *ch, int len)
{
    double us = 0;
    for (int k = 0; k < len; k++)
        us += s->c.us[(size_t)ch->node[k] * (size_t)s->c.nproc + (size_t)s->home];
    return us;
}

/* Predicted microseconds of the first len nodes of ch divided at c1 between home and q, up to
 * the join's end */
static double
divided_us(const Split *s, const Chain *ch, const Est *e, int len, int q, int64_t c1)
{
    const Graph *g = s->g;
    const Target *t = s->t;
    int h = s->home;
    double f = (double)c1 / (double)ch->C;
    ValId x = g->node[ch->node[0]].in[0], y = g->node[ch->node[len - 1]].out[0];
    NodeId xw = g->val[x].def;
    int a = xw == NONE ? -1 : s->dev[xw];
    /* the parts run at the same time: each is slowed by the other. Where the target gives the
     * factor one way only (a profile measures what it can tell apart), the two share the
     * cores or memory that made it, and the larger factor stands for both ways */
    double cont = cost_contention(t, h, q), back = cost_contention(t, q, h);
    if (back > cont)
        cont = back;
    double end[2];
    for (int part = 0; part < 2; part++) {
        int p = part ? q : h;
        double us = 0;
        if (a != p)     /* the input, from another processor */
            us += part_read_us(g, t, x, a, p) + (a >= 0 ? t->proc[p].sync_us : 0);
        double work = 0;
        for (int k = 0; k < len; k++)
            work += share_us(s, ch, e, k, part, p, part ? 1 - f : f);
        end[part] = us + work * cont;
    }
    /* home waits for q's last part and reads its slice from q's caches */
    end[1] += t->proc[h].sync_us + part_read_us(g, t, y, q, h) * (1 - f);
    /* the join as the cost model times any Concat, by its bytes read and written: a profile's
     * Concat rate is measured on joins done in place (nearly free), the built-in one is not */
    Work join = {.cls = CC_MOVE, .op = OP_CONCAT, .bytes = 2 * (double)ir_nbytes(&g->val[y])};
    return (end[0] > end[1] ? end[0] : end[1]) + cost_work_us(t, h, &join);
}

/* The best division of ch (its prefix, other processor and share) into ch; 1 when one pays */
static int
choose(const Split *s, Chain *ch)
{
    const Target *t = s->t;
    int h = s->home, best_len = 0, best_q = -1;
    int64_t best_c1 = 0, step = UNIT;
    double best_gain = 0;
    Est e;
    /* at most MAXSHARES shares tried, each a multiple of UNIT */
    if (ch->C / UNIT > MAXSHARES)
        step = (ch->C / UNIT + MAXSHARES - 1) / MAXSHARES * UNIT;
    for (int q = 0; q < t->nproc; q++) {
        if (q == h || target_mem(t, t->proc[q].space) != target_mem(t, t->proc[h].space))
            continue;
        est_fill(s, ch, q, &e);
        for (int len = 1; len <= ch->len; len++) {
            if (!pass_can_place(s->g, t, s->o, ch->node[len - 1], q) ||
                !pass_can_place(s->g, t, s->o, ch->node[len - 1], h))
                break;
            double alone = alone_us(s, ch, len);
            for (int64_t c1 = step; c1 < ch->C; c1 += step) {
                double gain = alone - divided_us(s, ch, &e, len, q, c1);
                if (gain > (1 - MARGIN) * alone && gain > best_gain) {
                    best_gain = gain;
                    best_len = len, best_q = q, best_c1 = c1;
                }
            }
        }
    }
    if (best_q < 0)
        return 0;
    ch->len = best_len;
    ch->other = best_q;
    ch->c1 = best_c1;
    return 1;
}

/* 1 when op x normalises or ranks along its input's elements (Softmax, ArgMax, ...): where a
 * model's weights make every logit tie, as structure-only models do, two processors' different
 * summation orders break the tie and the result is nothing like one processor's */
static int
ranks(OpKind x)
{
    return x == OP_SOFTMAX || x == OP_LOGSOFTMAX || x == OP_HARDMAX || x == OP_ARGMAX ||
           x == OP_ARGMIN;
}

/* Per value, a node that reads it (the last, in node order) into s->reader, and whether one
 * that ranks does into s->ranked: one pass, so that chains are found in linear time */
static void
fill_readers(Split *s)
{
    const Graph *g = s->g;
    for (ValId v = 0; v < g->nval; v++) {
        s->reader[v] = NONE;
        s->ranked[v] = 0;
    }
    for (NodeId u = 0; u < g->nnode; u++)
        for (int j = 0; j < g->node[u].nin; j++) {
            ValId v = g->node[u].in[j];
            if (v == NONE)
                continue;
            s->reader[v] = u;
            s->ranked[v] |= (char)ranks(g->node[u].op);
        }
}

/* The chain that starts at head n (len 0: n is no head) */
static void
chain_at(const Split *s, NodeId n, Chain *ch)
{
    const Graph *g = s->g;
    memset(ch, 0, sizeof *ch);
    Kind k = head_kind(g, n, &ch->axis, &ch->C);
    if (k == K_NONE || ch->C < 2 * UNIT)
        return;
    ch->node[0] = n;
    ch->kind[0] = k;
    ch->len = 1;
    while (ch->len < MAXCHAIN) {
        ValId v = g->node[ch->node[ch->len - 1]].out[0];
        if (g->val[v].nuse != 1 || (g->val[v].flags & V_OUTPUT))
            break;
        NodeId m = s->reader[v];    /* its one reader */
        if (m == NONE || s->dev[m] != s->home)
            break;
        Kind km = follower_kind(g, m, v, ch->axis, ch->C);
        if (km == K_NONE)
            break;
        ch->node[ch->len] = m;
        ch->kind[ch->len++] = km;
    }
    if (s->ranked[g->node[ch->node[ch->len - 1]].out[0]])
        ch->len = 0;
}

/* ---- the rewrite ----------------------------------------------------------------------------- */

/* "BASE/SUFFIX" in the graph's arena (names are as long as the model's), or NULL on OOM */
static const char *
suffixed(Graph *g, const char *base, const char *suffix)
{
    size_t nb = strlen(base), ns = strlen(suffix);
    char *s = ir_galloc(g, nb + ns + 2);
    if (s) {
        memcpy(s, base, nb);
        s[nb] = '/';
        memcpy(s + nb + 1, suffix, ns + 1);
    }
    return s;
}

/* A new value named "BASE/SUFFIX" where that name is free, else a fresh one; NONE on OOM */
static ValId
new_val(Graph *g, const char *base, const char *suffix, DType dt)
{
    const char *name = suffixed(g, base, suffix);
    int dup = 0;
    ValId v = name ? ir_val_add(g, name, dt, &dup) : NONE;
    return v == NONE && dup ? ir_val_add(g, NULL, dt, NULL) : v;
}

/* The name a node's parts are named after: its own, else its output's */
static const char *
base_name(const Graph *g, NodeId n)
{
    return g->node[n].name[0] ? g->node[n].name : g->val[g->node[n].out[0]].name;
}

/* A new constant: rows [lo, hi) of constant v along axis. NONE on OOM. */
static ValId
slice_const(Graph *g, ValId v, int axis, int64_t lo, int64_t hi, const char *suffix)
{
    ValId r = new_val(g, g->val[v].name, suffix, g->val[v].dt);
    if (r == NONE)
        return NONE;
    const Value *src = &g->val[v];
    Value *x = &g->val[r];
    x->rank = src->rank;
    memcpy(x->dim, src->dim, sizeof x->dim);
    x->dim[axis] = hi - lo;
    x->flags = V_CONST | (src->flags & V_PARAM);
    size_t es = ir_dtype_size(src->dt);
    int64_t outer = prod(src, 0, axis), inner = prod(src, axis + 1, src->rank);
    char *data = ir_galloc(g, (size_t)ir_numel(x) * es + 1);
    if (!data)
        return NONE;
    src = &g->val[v];   /* ir_galloc does not move values, but stay safe */
    size_t row = (size_t)((hi - lo) * inner) * es;
    for (int64_t i = 0; i < outer; i++)
        memcpy(data + (size_t)i * row,
               (const char *)src->data + ((size_t)(i * src->dim[axis] + lo) * (size_t)inner) * es,
               row);
    g->val[r].data = data;
    return r;
}

/* The axis along which input j of a node of kind k is sliced, or -1: it stays whole */
static int
const_axis(const Graph *g, NodeId n, Kind k, int j)
{
    const Value *v = val_at(g, &g->node[n], j);
    if (j == 0 || !v || ir_numel(v) == 1 || k == K_UNARY)
        return -1;
    switch (k) {
    case K_GEMM: return j == 1 ? (g->node[n].attr->gemm.trans_b ? 0 : 1) : v->rank - 1;
    case K_MATMUL: return 1;
    default: return 0;
    }
}

/* Node n's part (0 on home, 1 on other) of channels [lo, hi), reading in; its output, or NONE
 * on OOM. */
static ValId
make_part(Split *s, const Chain *ch, int k, int part, ValId in, int64_t lo, int64_t hi)
{
    Graph *g = s->g;
    NodeId n = ch->node[k];
    const char *suffix = part ? "split1" : "split0";
    const char *name = suffixed(g, base_name(g, n), suffix);
    NodeId m = name ? ir_node_add(g, g->node[n].op, name, g->node[n].nin, 1) : NONE;
    ValId y = new_val(g, g->val[g->node[n].out[0]].name, suffix, g->val[g->node[n].out[0]].dt);
    if (m == NONE || y == NONE)
        return NONE;
    Node *x = &g->node[m];
    const Node *src = &g->node[n];
    *x->attr = *src->attr;
    x->ops = src->ops;
    x->optype = src->optype;
    x->index = src->index;
    x->dev = part ? ch->other : s->home;
    x->cause = PC_SPLIT;
    x->in[0] = in;
    for (int j = 1; j < src->nin; j++) {
        int ax = const_axis(g, n, ch->kind[k], j);
        ValId v = g->node[n].in[j];
        if (ax >= 0) {
            Made *was = v < s->nval ? &s->made[2 * v + part] : NULL;
            if (was && was->v != NONE && was->axis == ax && was->lo == lo && was->hi == hi) {
                v = was->v;
            } else {
                if ((v = slice_const(g, v, ax, lo, hi, suffix)) == NONE)
                    return NONE;
                if (was)
                    *was = (Made){v, ax, lo, hi};
            }
        }
        g->node[m].in[j] = v;
    }
    if (ch->kind[k] == K_DEPTHWISE)
        g->node[m].attr->conv.group = hi - lo;
    Value *out = &g->val[y], *whole = &g->val[g->node[n].out[0]];
    out->rank = whole->rank;
    memcpy(out->dim, whole->dim, sizeof out->dim);
    out->dim[ch->axis] = hi - lo;
    out->def = m;
    g->node[m].out[0] = y;
    return y;
}

/* Replaces the chain by its two parts and their join; key[] (room for every node made) gets
 * each new node's place in the order. 0, or -1 on OOM. */
static int
rewrite(Split *s, const Chain *ch, double *key)
{
    Graph *g = s->g;
    ValId last[2] = {g->node[ch->node[0]].in[0], g->node[ch->node[0]].in[0]};
    int64_t cut[3] = {0, ch->c1, ch->C};
    int first = g->nnode;
    for (int k = 0; k < ch->len; k++)
        for (int part = 0; part < 2; part++)
            if ((last[part] = make_part(s, ch, k, part, last[part], cut[part], cut[part + 1])) ==
                NONE)
                return -1;
    NodeId tail = ch->node[ch->len - 1];
    const char *name = suffixed(g, base_name(g, tail), "join");
    NodeId j = name ? ir_node_add(g, OP_CONCAT, name, 2, 1) : NONE;
    if (j == NONE)
        return -1;
    Node *x = &g->node[j];
    x->attr->axis.axis = ch->axis;
    x->index = g->node[tail].index;
    x->dev = s->home;
    x->cause = PC_SPLIT;
    x->in[0] = last[0];
    x->in[1] = last[1];
    x->out[0] = g->node[tail].out[0];
    g->val[x->out[0]].def = j;
    /* the new nodes go where the chain was */
    for (NodeId m = first; m < g->nnode; m++)
        key[m] = (double)ch->node[0] + 0.5 * (double)(m - first + 1) / (double)(g->nnode - first);
    for (int k = 0; k < ch->len; k++) {
        Node *o = &g->node[ch->node[k]];
        o->op = OP_NOP;
        o->nin = o->nout = 0;
    }
    return 0;
}

/* ---- the strategy ---------------------------------------------------------------------------- */

/* The best one-processor placement into s->dev (home, Node.dev and Node.cause). */
static int
choose_home(Split *s, Diag *d)
{
    Graph *g = s->g;
    const Target *t = s->t;
    int *dev = ir_alloc((size_t)(g->nnode + 1) * sizeof(int));
    if (!dev)
        return diag_oom(d);
    double best = -1;
    for (int p = 0; p < t->nproc; p++) {
        for (NodeId n = 0; n < g->nnode; n++) {
            int q = pass_can_place(g, t, s->o, n, p) ? p : -1;
            for (int r = 0; q < 0 && r < t->nproc; r++)
                if (pass_can_place(g, t, s->o, n, r))
                    q = r;
            if (q < 0) {
                ir_free(dev);
                return diag_node(d, g, n, "no processor of %s can run %s on %s",
                                 t->file[0] ? t->file : "the host", ir_op[g->node[n].op].onnx,
                                 ir_dtype_name(target_node_dtype(g, &g->node[n])));
            }
            dev[n] = q;
        }
        double ms = part_estimate(g, t, &s->c, dev, NULL, NULL);
        if (ms < 0) {
            ir_free(dev);
            return diag_oom(d);
        }
        if (best < 0 || ms < best) {
            best = ms;
            s->home = p;
            memcpy(s->dev, dev, (size_t)g->nnode * sizeof(int));
        }
    }
    ir_free(dev);
    for (NodeId n = 0; n < g->nnode; n++) {
        g->node[n].dev = s->dev[n];
        g->node[n].cause = s->dev[n] == s->home ? PC_STRATEGY : PC_ONLY;
    }
    return 0;
}

int
place_split(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    Split s = {.g = g, .t = t, .o = o};
    double *key = NULL;
    int nnode = g->nnode, rc = -1, split = 0;
    ir_fill_uses(g);
    if (part_costs(g, t, o, &s.c, d) < 0)
        return -1;
    s.dev = ir_alloc((size_t)(nnode + 1) * sizeof(int));
    s.reader = ir_alloc((size_t)(g->nval + 1) * sizeof(NodeId));
    s.ranked = ir_alloc((size_t)g->nval + 1);
    char *taken = ir_alloc((size_t)nnode + 1);
    Chain *chain = ir_alloc((size_t)(nnode + 1) * sizeof(Chain));
    if (!s.dev || !s.reader || !s.ranked || !taken || !chain) {
        diag_oom(d);
        goto done;
    }
    fill_readers(&s);
    s.nval = g->nval;
    s.made = ir_alloc(2 * (size_t)g->nval * sizeof(Made) + 1);
    if (!s.made) {
        diag_oom(d);
        goto done;
    }
    for (int i = 0; i < 2 * g->nval; i++)
        s.made[i].v = NONE;
    if (choose_home(&s, d) < 0)
        goto done;
    /* the divisions, chosen on the graph as it came */
    memset(taken, 0, (size_t)nnode);
    int nchain = 0;
    for (NodeId n = 0; n < nnode; n++) {
        Chain *ch = &chain[nchain];
        if (taken[n] || s.dev[n] != s.home || !pass_can_place(g, t, o, n, s.home))
            continue;
        chain_at(&s, n, ch);
        if (ch->len == 0 || !choose(&s, ch))
            continue;
        for (int k = 0; k < ch->len; k++)
            taken[ch->node[k]] = 1;
        nchain++;
    }
    /* the keys of the order: a node's index, and its chain's head's for the nodes made */
    size_t nkey = (size_t)nnode;
    for (int i = 0; i < nchain; i++)
        nkey += 2 * (size_t)chain[i].len + 1;
    key = ir_alloc((nkey + 1) * sizeof(double));
    if (!key) {
        diag_oom(d);
        goto done;
    }
    for (NodeId n = 0; n < nnode; n++)
        key[n] = (double)n;
    for (int i = 0; i < nchain; i++) {
        if (rewrite(&s, &chain[i], key) < 0) {
            diag_oom(d);
            goto done;
        }
        split++;
    }
    if (split > 0) {
        IR_ASSERT(nkey == (size_t)g->nnode);
        if (ir_toposort_by(g, key, d) < 0)
            goto done;
        if (ir_compact(g) < 0) {
            diag_oom(d);
            goto done;
        }
        ir_fill_uses(g);
    }
    rc = 0;
done:
    part_costs_free(&s.c);
    ir_free(s.dev);
    ir_free(s.reader);
    ir_free(s.ranked);
    ir_free(s.made);
    ir_free(taken);
    ir_free(chain);
    ir_free(key);
    return rc;
}
