/*
 * qdq.c: the QDQ form of quantised convolutions and products becomes integer ops, so that int8
 * models run int8 kernels rather than float ones between DequantizeLinear and QuantizeLinear.
 *
 * Input: an inferred graph, before pass_cleanup: the DequantizeLinear of a constant (int8
 * weights, an int32 bias) has been folded to a float32 constant by ir_infer, but its node still
 * stands, and its integer input is what the fused op reads.
 * Output: the same graph where, for each QuantizeLinear q to int8 or uint8 with a constant
 * one-element scale sy and zero point zy,
 *  (1) q(Conv(DQ(x), DQ(W), B)), optionally with a Relu or a Clip of constant bounds between the
 *      Conv and q, is one QLinearConv(x, sx, zx, W, sw, zw, sy, zy, B'), where x is int8 or uint8
 *      with a one-element scale and zero point, W a constant int8 or uint8 tensor with scales and
 *      zero points per tensor or per output channel (axis 0), and B absent, the DequantizeLinear
 *      of an int32 constant with zero point 0 whose scale is sx * sw[c] (as float32, bit for bit:
 *      ONNX Runtime's quantiser writes it so), or a float32 constant that is such a bias exactly
 *      (every B[c] / (sx * sw[c]) a whole number below 2^24); the activation becomes a clamp in
 *      the quantised domain (conv.fuse, ACT_CLIP with the bounds quantised as q would: exact,
 *      since QuantizeLinear is monotonic);
 *  (2) q(MatMul(DQ(a), DQ(b))) is one QLinearMatMul(a, sa, za, b, sb, zb, sy, zy), and
 *      q(Gemm(DQ(a), DQ(B), C)) with alpha = beta = 1, transA = 0 and a constant B is one
 *      QLinearMatMul of a and B (transposed into a new constant when transB is 1), with C as its
 *      ninth input, an int32 bias per column under the rules of (1). b's scale and zero point are
 *      per tensor, or per column (a 2-D b, its axis 1).
 * Only when exact: every value that disappears (the float product, the activation's output) has
 * no reader but the next node of the pattern and is no graph output; scales and zero points are
 * constants; the sums fit int32 (K at most 33025). Anything else is left as it is, to run in
 * float. The fused node is the Conv, MatMul or Gemm node itself, rewritten in place, and takes
 * over q's output; q and the activation become OP_NOP, and pass_cleanup drops what nothing reads.
 * Method: ir_fill_uses, then one walk over the QuantizeLinear nodes. Linear in nodes and in the
 * elements of the biases and transposed weights.
 */
#include "passes.h"

#include "ir/scalar.h"

#include <math.h>
#include <string.h>

enum { QDQ_MAX_K = 33025 }; /* as ir/shape_quant.c: the longest exact int32 sum */

/* A DequantizeLinear's operands: the integer tensor, its scale and zero point (NONE: absent) */
typedef struct Deq {
    NodeId node;
    ValId q, s, z;
    int64_t ns; /* the scale's elements */
    int axis;   /* the per-axis scale's axis, made non-negative */
} Deq;

/* v is a constant whose data is known */
static int
is_const(const Graph *g, ValId v)
{
    return v != NONE && (g->val[v].flags & V_CONST) && g->val[v].data && ir_shape_known(&g->val[v]);
}

/* v is read by one live node only and is no graph output: it may disappear into that node */
static int
sole(const Graph *g, ValId v)
{
    return v != NONE && g->val[v].nuse == 1 && !(g->val[v].flags & V_OUTPUT);
}

static NodeId
def_of(const Graph *g, ValId v, OpKind op)
{
    NodeId n = v == NONE ? NONE : g->val[v].def;
    return n != NONE && g->node[n].op == op ? n : NONE;
}

/* Whether v is the output of a DequantizeLinear of an integer tensor of dtype (one of mask's,
 * bits 1 << DType) with constant float32 scales and zero points; fills e. */
static int
deq(const Graph *g, ValId v, unsigned mask, Deq *e)
{
    NodeId n = def_of(g, v, OP_DEQUANTIZELINEAR);
    if (n == NONE)
        return 0;
    const Node *x = &g->node[n];
    e->node = n;
    e->q = x->in[0];
    e->s = x->in[1];
    e->z = x->nin > 2 ? x->in[2] : NONE;
    if (e->q == NONE || e->s == NONE)
        return 0;
    const Value *q = &g->val[e->q];
    if (!(mask & (1u << q->dt)) || !ir_shape_known(q) || !is_const(g, e->s) ||
        g->val[e->s].dt != DT_F32 || (e->z != NONE && !is_const(g, e->z)))
        return 0;
    e->ns = ir_numel(&g->val[e->s]);
    e->axis = (int)x->attr->axis.axis;
    if (e->axis < 0)
        e->axis += q->rank;
    return e->ns == 1 || (g->val[e->s].rank == 1 && e->axis >= 0 && e->axis < q->rank &&
                          q->dim[e->axis] == e->ns);
}

#define M8 ((1u << DT_U8) | (1u << DT_I8))

/* The float32 element i of constant scale v (one element: always element 0) */
static float
scale_at(const Graph *g, ValId v, int64_t i)
{
    return ((const float *)g->val[v].data)[ir_numel(&g->val[v]) > 1 ? i : 0];
}

/* The zero points of e are all 0 */
static int
zero_points_zero(const Graph *g, const Deq *e)
{
    if (e->z == NONE)
        return 1;
    for (int64_t i = 0; i < ir_numel(&g->val[e->z]); i++)
        if (ir_const_i(&g->val[e->z], i) != 0)
            return 0;
    return 1;
}

/*
 * The int32 bias of m columns for a product of scales sx and sw (one or one per column), from
 * value b (NONE: none): the int32 input of its DequantizeLinear when that dequantises with
 * sx * sw[c] and zero point 0, or a new int32 constant when b is a float32 constant that is an
 * exact multiple of each sx * sw[c]. *out NONE when there is no bias; 0 when it cannot be done
 * exactly; -1 on OOM.
 */
static int
int_bias(Graph *g, ValId b, int64_t m, float sx, ValId sw, ValId *out)
{
    *out = NONE;
    if (b == NONE)
        return 1;
    const Value *bv = &g->val[b];
    if (bv->rank != 1 || bv->dim[0] != m)
        return 0;
    Deq e;
    if (deq(g, b, 1u << DT_I32, &e)) {
        if (!zero_points_zero(g, &e) || !is_const(g, e.q))
            return 0;
        for (int64_t c = 0; c < m; c++)
            if (scale_at(g, e.s, c) != sx * scale_at(g, sw, c))
                return 0;
        *out = e.q;
        return 1;
    }
    if (!is_const(g, b) || bv->dt != DT_F32)
        return 0;
    const float *f = bv->data;
    int32_t *q = ir_galloc(g, (size_t)m * sizeof *q);
    if (!q)
        return -1;
    for (int64_t c = 0; c < m; c++) {
        double s = (double)(sx * scale_at(g, sw, c)), k = nearbyint((double)f[c] / s);
        if (!(fabs(k) < 16777216.0) || k * s != (double)f[c])
            return 0;
        q[c] = (int32_t)k;
    }
    ValId v = ir_val_add(g, NULL, DT_I32, NULL);
    if (v == NONE)
        return -1;
    g->val[v].rank = 1;
    g->val[v].dim[0] = m;
    g->val[v].data = q;
    g->val[v].flags |= V_CONST | V_PARAM;
    *out = v;
    return 1;
}

/* The quantised bounds [*lo, *hi] that activation node a (Relu, or Clip with constant or absent
 * bounds) becomes after q, whose output's range is [lo, hi]: 0 when a is neither. */
static int
act_bounds(const Graph *g, NodeId a, float sy, float zy, float *lo, float *hi)
{
    const Node *x = &g->node[a];
    if (x->op == OP_RELU) {
        *lo = fmaxf(*lo, zy); /* QuantizeLinear(0) */
        return 1;
    }
    if (x->op != OP_CLIP)
        return 0;
    for (int i = 1; i < 3; i++) {
        ValId v = i < x->nin ? x->in[i] : NONE;
        if (v == NONE)
            continue;
        if (!is_const(g, v) || g->val[v].dt != DT_F32 || ir_numel(&g->val[v]) != 1)
            return 0;
        float b = ir_quantize_f(((const float *)g->val[v].data)[0], sy, zy, *lo, *hi);
        if (i == 1)
            *lo = fmaxf(*lo, b);
        else
            *hi = fminf(*hi, b);
    }
    return 1;
}

/* A transposed copy of the 2-D 8-bit constant w ([n, k] -> [k, n]); NONE on OOM. */
static ValId
transposed(Graph *g, ValId w)
{
    Value v = g->val[w];
    int64_t n = v.dim[0], k = v.dim[1];
    uint8_t *p = ir_galloc(g, (size_t)(n * k) + 1);
    ValId t = p ? ir_val_add(g, NULL, v.dt, NULL) : NONE;
    if (t == NONE)
        return NONE;
    const uint8_t *src = g->val[w].data;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < k; j++)
            p[j * n + i] = src[i * k + j];
    g->val[t].rank = 2;
    g->val[t].dim[0] = k;
    g->val[t].dim[1] = n;
    g->val[t].data = p;
    g->val[t].flags |= V_CONST | V_PARAM;
    return t;
}

/* What one fusion needs, gathered by match() */
typedef struct Match {
    NodeId p, act, q; /* the product (Conv, MatMul, Gemm), activation or NONE, q */
    Deq x, w;         /* its DequantizeLinear operands */
    float lo, hi;     /* the output's bounds in the quantised domain */
} Match;

/* The pattern ending at QuantizeLinear q, checked up to the weights' layout (fuse() does the
 * rest): 1 when it matches. */
static int
match(const Graph *g, NodeId q, Match *m)
{
    const Node *qn = &g->node[q];
    ValId y = qn->in[0], sy = qn->in[1], zy = qn->nin > 2 ? qn->in[2] : NONE;
    const Value *out = &g->val[qn->out[0]];
    if (!is_const(g, sy) || g->val[sy].dt != DT_F32 || ir_numel(&g->val[sy]) != 1 ||
        !is_const(g, zy) || ir_numel(&g->val[zy]) != 1 || (out->dt != DT_U8 && out->dt != DT_I8))
        return 0;
    m->q = q;
    m->act = NONE;
    m->lo = out->dt == DT_U8 ? 0.0f : -128.0f;
    m->hi = out->dt == DT_U8 ? 255.0f : 127.0f;
    NodeId p = y == NONE ? NONE : g->val[y].def;
    if (p != NONE && (g->node[p].op == OP_RELU || g->node[p].op == OP_CLIP)) {
        float s = ((const float *)g->val[sy].data)[0], z = (float)ir_const_i(&g->val[zy], 0);
        if (!sole(g, y) || !act_bounds(g, p, s, z, &m->lo, &m->hi))
            return 0;
        m->act = p;
        y = g->node[p].in[0];
        p = y == NONE ? NONE : g->val[y].def;
    }
    if (p == NONE || !sole(g, y))
        return 0;
    const Node *pn = &g->node[p];
    OpKind op = pn->op;
    if (op != OP_CONV && op != OP_MATMUL && op != OP_GEMM)
        return 0;
    if ((op != OP_CONV && m->act != NONE) ||
        (op == OP_GEMM && (pn->attr->gemm.alpha != 1.0f || pn->attr->gemm.trans_a ||
                           (pn->nin > 2 && pn->in[2] != NONE && pn->attr->gemm.beta != 1.0f))))
        return 0;
    m->p = p;
    return deq(g, pn->in[0], M8, &m->x) && m->x.ns == 1 && deq(g, pn->in[1], M8, &m->w) &&
           ir_shape_known(&g->val[pn->out[0]]);
}

/*
 * Rewrites m->p in place as QLinearConv or QLinearMatMul when its weights' layout allows: 1
 * when fused, 0 when left alone, -1 on OOM.
 */
static int
fuse(Graph *g, const Match *m)
{
    Node *p = &g->node[m->p];
    const Node *qn = &g->node[m->q];
    const Value *w = &g->val[m->w.q], *x = &g->val[m->x.q];
    OpKind op = p->op;
    ValId wq = m->w.q, bias = p->nin > 2 ? p->in[2] : NONE;
    int64_t cols, k;
    int col_axis;
    if (op == OP_CONV) {
        if (!is_const(g, wq) || w->rank < 3)
            return 0;
        cols = w->dim[0];
        k = ir_numel(w) / (cols > 0 ? cols : 1);
        col_axis = 0;
    } else {
        int tb = op == OP_GEMM && p->attr->gemm.trans_b;
        if (w->rank != 2 || (op == OP_GEMM && !is_const(g, wq)))
            return 0;
        cols = w->dim[tb ? 0 : 1];
        k = w->dim[tb ? 1 : 0];
        col_axis = tb ? 0 : 1;
    }
    if (k > QDQ_MAX_K || x->rank < 1 || (m->w.ns > 1 && m->w.axis != col_axis) ||
        (m->w.z != NONE && ir_numel(&g->val[m->w.z]) != 1 && ir_numel(&g->val[m->w.z]) != m->w.ns))
        return 0;
    float sx = scale_at(g, m->x.s, 0);
    ValId b32;
    int rc = int_bias(g, bias, cols, sx, m->w.s, &b32);
    if (rc <= 0)
        return rc;
    if (op == OP_GEMM && p->attr->gemm.trans_b && (wq = transposed(g, wq)) == NONE)
        return -1;
    /* a node's inputs and outputs lie in one array (ir_compact walks them so) */
    ValId *in = ir_galloc(g, 10 * sizeof *in);
    if (!in)
        return -1;
    ValId in9[9] = {m->x.q, m->x.s, m->x.z, wq, m->w.s, m->w.z, qn->in[1], qn->in[2], b32};
    p = &g->node[m->p];
    p->nin = b32 != NONE ? 9 : 8;
    memcpy(in, in9, (size_t)p->nin * sizeof *in);
    in[p->nin] = p->out[0];
    p->in = in;
    p->out = in + p->nin;
    p->nout = 1;
    if (op == OP_CONV) {
        p->op = OP_QLINEARCONV;
        if (m->act != NONE) {
            p->attr->conv.fuse = (Fused){.act = ACT_CLIP, .alpha = m->lo, .beta = m->hi};
            /* the activation is named among the node's ops, for traces and placement */
            const char *a = ir_op[g->node[m->act].op].onnx;
            char *ops = ir_galloc(g, strlen(a) + sizeof "QLinearConv+");
            if (!ops)
                return -1;
            memcpy(ops, "QLinearConv+", sizeof "QLinearConv+" - 1);
            memcpy(ops + sizeof "QLinearConv+" - 1, a, strlen(a) + 1);
            p = &g->node[m->p];
            p->ops = ops;
        }
    } else {
        p->op = OP_QLINEARMATMUL;
        ir_attr_default(OP_QLINEARMATMUL, p->attr); /* a Gemm's attributes are spent */
    }
    /* p takes over q's output; the float product and the activation's output go */
    ValId yq = qn->out[0];
    g->val[p->out[0]].def = NONE;
    p->out[0] = yq;
    g->val[yq].def = m->p;
    if (m->act != NONE) {
        g->val[g->node[m->act].out[0]].def = NONE;
        g->node[m->act].op = OP_NOP;
    }
    g->node[m->q].op = OP_NOP;
    return 1;
}

int
pass_qdq(Graph *g, Diag *d)
{
    ir_fill_uses(g);
    for (NodeId n = 0; n < g->nnode; n++) {
        Match m;
        if (g->node[n].op != OP_QUANTIZELINEAR || !match(g, n, &m))
            continue;
        if (fuse(g, &m) < 0)
            return diag_oom(d);
    }
    ir_fill_uses(g);
    return 0;
}
