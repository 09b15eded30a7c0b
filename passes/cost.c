/*
 * cost.c: the cost model (passes/cost.h). A step's time on a processor is one formula over its
 * work and a rate of the processor:
 *
 *     launch_us (processor) + launch_us (rate)
 *       + flops / (gflops * 1e3) * (1 + m_half / M + n_half / N + k_half / K)
 *       + bytes / (gbps * 1e3)
 *
 * in microseconds, a term left out when its figure is 0, the M, N and K terms only for work of
 * GEMM shape (conv and gemm, with a known shape). hetc profile fits rates to exactly this formula
 * (passes/fit.c), so the two must change together. Transfers cost the link's latency plus bytes at
 * its bandwidth, in the direction of the copy; between two devices, by way of the host.
 *
 * Measured step times (cost_measured_*) are read from traces by passes/measured.c.
 */
#include "cost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the figures that stand in when a target has none */
#define DEFAULT_GFLOPS 100.0
#define DEFAULT_GBPS 20.0

static const Value *in_val(const Graph *g, const Node *x, int i);

/* The class of node x's work. */
static CostClass
work_class(const Graph *g, const Node *x)
{
    if (x->op == OP_COPY)
        return CC_COPY;
    switch (ir_op[x->op].flops) {
    case FL_CONV:
    case FL_CONVT: {
        /* depthwise: one input channel per group */
        const Value *w = in_val(g, x, ir_op_weight_in(x->op));
        return w && w->rank > 1 && w->dim[1] == 1 && x->attr->conv.group > 1 ? CC_DEPTHWISE
                                                                             : CC_CONV;
    }
    case FL_GEMM:
    case FL_MATMUL:
    case FL_RNN:        /* the projections and the recurrent products: GEMMs by the layer's
                         * weights (at the GEMM class's rate, without its shape terms) */
        return CC_GEMM;
    case FL_RED:
    case FL_POOL:
        return CC_REDUCE;
    case FL_ELT:
        return CC_ELTWISE;
    default:
        return ir_node_flops(g, x) > 0 ? CC_ELTWISE : CC_MOVE;
    }
}

static const Value *
in_val(const Graph *g, const Node *x, int i)
{
    return i < x->nin && x->in[i] != NONE ? &g->val[x->in[i]] : NULL;
}

static const Value *
out_val(const Graph *g, const Node *x, int i)
{
    return i < x->nout && x->out[i] != NONE ? &g->val[x->out[i]] : NULL;
}

/* product of v's dims [lo, hi), or -1 when one is unknown */
static double
dims(const Value *v, int lo, int hi)
{
    double p = 1;
    if (!v || hi > v->rank || lo < 0)
        return -1;
    for (int i = lo; i < hi; i++) {
        if (v->dim[i] < 0)
            return -1;
        p *= (double)v->dim[i];
    }
    return p;
}

/* The GEMM shape of a conv or gemm node into w (left 0 when a dim is unknown). */
static void
gemm_shape(const Graph *g, const Node *x, Work *w)
{
    const Value *a = in_val(g, x, 0), *b = in_val(g, x, ir_op_weight_in(x->op));
    const Value *y = out_val(g, x, 0);
    double m = -1, n = -1, k = -1;
    if (!a || !b || !y)
        return;
    FlopClass fc = ir_op[x->op].flops;
    double group = (fc == FL_CONV || fc == FL_CONVT) && x->attr->conv.group > 1
                       ? (double)x->attr->conv.group : 1;
    switch (fc) {
    case FL_CONV:       /* weights [Cout, Cin / g, taps...]: per group Cout / g x positions */
        m = b->rank > 0 && b->dim[0] >= 0 ? (double)b->dim[0] / group : -1;
        n = dims(y, 2, y->rank);
        k = dims(b, 1, b->rank);
        break;
    case FL_CONVT:      /* weights [Cin, Cout / g, taps...]: (Cout / g x taps) x in positions */
        m = dims(b, 1, b->rank);
        n = dims(a, 2, a->rank);
        k = b->rank > 0 && b->dim[0] >= 0 ? (double)b->dim[0] / group : -1;
        break;
    case FL_GEMM:
        if (y->rank != 2 || a->rank != 2)
            return;
        m = dims(y, 0, 1);
        n = dims(y, 1, 2);
        k = dims(a, x->attr->gemm.trans_a ? 0 : 1, x->attr->gemm.trans_a ? 1 : 2);
        break;
    case FL_MATMUL:     /* per matrix of a batch; a vector operand is one row or column */
        if (a->rank < 1 || b->rank < 1)
            return;
        m = a->rank >= 2 ? dims(a, a->rank - 2, a->rank - 1) : 1;
        n = b->rank >= 2 ? dims(b, b->rank - 1, b->rank) : 1;
        k = dims(a, a->rank - 1, a->rank);
        break;
    default:
        return;
    }
    if (m > 0 && n > 0 && k > 0)
        w->m = m, w->n = n, w->k = k;
}

Work
cost_work(const Graph *g, NodeId n)
{
    const Node *x = &g->node[n];
    Work w = {.cls = work_class(g, x), .op = x->op};
    w.flops = (double)ir_node_flops(g, x);
    w.bytes = (double)ir_node_bytes(g, x);
    if (x->op == OP_COPY)       /* what crosses: the tensor, once */
        w.bytes = out_val(g, x, 0) ? (double)ir_nbytes(out_val(g, x, 0)) : 0;
    /* the elementwise ops fused into x (Conv+Add+Relu), each over every output element: kept
     * apart, since an exponential costs a kernel far more than a multiply-add does (a fifth
     * and later are counted as the fourth) */
    const Value *y = out_val(g, x, 0);
    double out = y ? dims(y, 0, y->rank) : -1;
    int own = 0;
    for (const char *s = x->ops; s && *s && out > 0;) {
        size_t len = strcspn(s, "+");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), s);
        OpKind op = ir_op_lookup(name);
        if (!own && op == x->op) {
            own = 1;    /* the node's own op: counted above */
        } else if (op != OP_UNKNOWN && ir_op[op].flops == FL_ELT) {
            w.fused[w.nfused < 4 ? w.nfused++ : 3] = op;
            w.fused_elems = out;
        }
        s += len + (s[len] == '+');
    }
    if (w.cls == CC_CONV || w.cls == CC_GEMM)
        gemm_shape(g, x, &w);
    return w;
}

const Rate *
cost_rate(const Target *t, int p, const Work *w)
{
    if (p < 0 || p >= t->nproc)
        return NULL;
    const Proc *x = &t->proc[p];
    int want = x->threads > 0 ? x->threads : 1;
    /* the best of the rates for w's op alone, and of those for its whole class; the op's
     * unless the class's is for a nearer thread count (a rate for 2 threads does not speak
     * for a step run on 1) */
    const Rate *best[2] = {NULL, NULL};
    int bestd[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < x->nrate; i++) {
            const Rate *r = &x->rate[i];
            if (r->cls != w->cls || (pass == 0 ? r->op < 0 || r->op != w->op : r->op >= 0))
                continue;
            /* p's thread count, else one for any (0), else the nearest; of two as near, the
             * lower */
            int dist = r->threads == want ? 0 : r->threads == 0 ? 1 : 2 * abs(r->threads - want);
            if (!best[pass] || dist < bestd[pass] ||
                (dist == bestd[pass] && r->threads < best[pass]->threads)) {
                best[pass] = r;
                bestd[pass] = dist;
            }
        }
    }
    if (best[0] && (!best[1] || bestd[0] <= bestd[1]))
        return best[0];
    return best[1];
}

const Rate *
cost_default_rate(CostClass c)
{
#define DEF(c) {.cls = c, .op = -1, .gflops = DEFAULT_GFLOPS, .gbps = DEFAULT_GBPS}
    static const Rate def[CC_COUNT] = {DEF(CC_CONV), DEF(CC_DEPTHWISE), DEF(CC_GEMM),
                                       DEF(CC_ELTWISE), DEF(CC_REDUCE), DEF(CC_MOVE),
                                       DEF(CC_COPY)};
#undef DEF
    return &def[(unsigned)c < CC_COUNT ? c : CC_MOVE];
}

const char *
cost_source_name(int s)
{
    switch (s) {
    case CS_DEFAULT: return "default";
    case CS_DESCRIPTION: return "description";
    case CS_PROFILE: return "profile";
    case CS_MEASURED: return "measured";
    }
    return "?";
}

CostSource
cost_work_source(const Target *t, int p, const Work *w)
{
    if (!cost_rate(t, p, w))
        return CS_DEFAULT;
    return t->measured[0] ? CS_PROFILE : CS_DESCRIPTION;
}

double
cost_work_us(const Target *t, int p, const Work *w)
{
    const Rate *r = cost_rate(t, p, w);
    if (!r)
        r = cost_default_rate(w->cls);
    double us = (p >= 0 && p < t->nproc ? t->proc[p].launch_us : 0) + r->launch_us;
    if (r->gflops > 0 && w->flops > 0) {
        double shape = 1;
        if (w->m > 0 && w->n > 0 && w->k > 0)
            shape += r->m_half / w->m + r->n_half / w->n + r->k_half / w->k;
        us += w->flops / (r->gflops * 1e3) * shape;
    }
    if (r->gbps > 0 && w->bytes > 0)
        us += w->bytes / (r->gbps * 1e3);
    return us + cost_fused_us(t, p, w);
}

double
cost_fused_us(const Target *t, int p, const Work *w)
{
    double us = 0;
    for (int i = 0; i < w->nfused && i < 4; i++) {
        Work e = {.cls = CC_ELTWISE, .op = w->fused[i]};
        e.flops = (double)ir_op[w->fused[i]].k * w->fused_elems;
        const Rate *re = cost_rate(t, p, &e);
        if (!re)
            re = cost_default_rate(CC_ELTWISE);
        if (re->gflops > 0)
            us += e.flops / (re->gflops * 1e3);
    }
    return us;
}

/* A copy link (not zero-copy) between a space of memory ma and one of memory mb, or NULL. */
static const Link *
mem_link(const Target *t, int ma, int mb)
{
    for (int i = 0; i < t->nlink; i++) {
        const Link *l = &t->link[i];
        int la = target_mem(t, l->a), lb = target_mem(t, l->b);
        if (!l->zero_copy && ((la == ma && lb == mb) || (la == mb && lb == ma)))
            return l;
    }
    return NULL;
}

/* Microseconds of one hop from memory ma to memory mb: its link's figures in that direction,
 * else DEFAULT_GBPS */
static double
hop_us(const Target *t, int ma, int mb, double bytes)
{
    const Link *l = mem_link(t, ma, mb);
    if (!l)
        return bytes / (DEFAULT_GBPS * 1e3);
    int back = target_mem(t, l->a) != ma;
    double gbps = back && l->back_gbps > 0 ? l->back_gbps : l->gbps;
    double lat = back && l->back_latency_us > 0 ? l->back_latency_us : l->latency_us;
    return lat + bytes / ((gbps > 0 ? gbps : DEFAULT_GBPS) * 1e3);
}

double
cost_transfer_us(const Target *t, int a, int b, double bytes)
{
    if (a < 0 || b < 0 || a >= t->nspace || b >= t->nspace)
        return 0;
    int ma = target_mem(t, a), mb = target_mem(t, b);
    if (ma == mb)
        return 0;
    if (ma != 0 && mb != 0 && !mem_link(t, ma, mb))
        return hop_us(t, ma, 0, bytes) + hop_us(t, 0, mb, bytes);
    return hop_us(t, ma, mb, bytes);
}

CostSource
cost_transfer_source(const Target *t, int a, int b)
{
    if (a < 0 || b < 0 || a >= t->nspace || b >= t->nspace)
        return CS_DEFAULT;
    int ma = target_mem(t, a), mb = target_mem(t, b);
    const Link *l = mem_link(t, ma, mb);
    if (!l && ma != 0 && mb != 0)
        l = mem_link(t, ma, 0);         /* by way of the host: the first hop's */
    if (!l || l->gbps <= 0)
        return CS_DEFAULT;
    return t->measured[0] ? CS_PROFILE : CS_DESCRIPTION;
}

double
cost_contention(const Target *t, int a, int b)
{
    for (int i = 0; i < t->ncont; i++)
        if (t->cont[i].a == a && t->cont[i].b == b)
            return t->cont[i].factor >= 1 ? t->cont[i].factor : 1;
    return 1;
}
