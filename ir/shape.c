/*
 * shape.c: dtype and shape inference, and the driver that folds constants on the way.
 *
 * ir_infer visits the nodes in their (topological) order. ir_infer_node dispatches on the op's
 * shape class (the SHAPE column of ops.def) through the table `infer` to one function per class,
 * which checks its inputs against the ONNX rules and sets its outputs' dtype and shape:
 *   - known: rank and dims, with -1 for a dim that depends on a dynamic input dim;
 *   - unknown (rank -1, dtype where obvious): an input of unknown rank, or a value the shape
 *     depends on (Reshape's shape, Slice's starts, ...) that is not a constant; not an error;
 *   - bad input: one diagnostic naming the node (diag_node) and -1.
 * All dim arithmetic is checked for int64 overflow. After each node ir_infer folds it when its
 * inputs are constants (fold.c), so Shape -> Gather -> Concat -> Reshape chains become static.
 * This file is longer than the usual 800 lines because it holds every class; each is one short
 * function, and splitting them would scatter the shared checks.
 */
#include "ir.h"
#include "shape_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct Shape {
    int rank;                /* -1: unknown */
    int64_t dim[IR_MAXRANK]; /* -1: dynamic */
} Shape;

typedef struct Str {
    char s[256];
} Str;

/* ---- helpers --------------------------------------------------------------------------------- */

static Value *
input(Graph *g, NodeId n, int i)
{
    const Node *x = &g->node[n];
    return i < x->nin && x->in[i] != NONE ? &g->val[x->in[i]] : NULL;
}

static Value *
output(Graph *g, NodeId n, int i)
{
    const Node *x = &g->node[n];
    return i < x->nout && x->out[i] != NONE ? &g->val[x->out[i]] : NULL;
}

static Shape
shape_of(const Value *v)
{
    Shape s = {.rank = v->rank};
    for (int i = 0; i < v->rank; i++)
        s.dim[i] = v->dim[i];
    return s;
}

/* `"name" f32[2,?,4]` for messages (a dynamic dim prints as ?) */
static Str
desc(const Value *v)
{
    Str r;
    int k = snprintf(r.s, sizeof r.s, "\"%.120s\" %s", v->name, ir_dtype_short(v->dt));
    size_t n = k > 0 ? (size_t)k : 0;
    if (v->rank < 0) {
        snprintf(r.s + n, sizeof r.s - n, "[unknown rank]");
        return r;
    }
    for (int i = 0; i < v->rank && n < sizeof r.s; i++) {
        k = v->dim[i] < 0
                ? snprintf(r.s + n, sizeof r.s - n, "%s?", i ? "," : "[")
                : snprintf(r.s + n, sizeof r.s - n, "%s%" PRId64, i ? "," : "[", v->dim[i]);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n < sizeof r.s)
        snprintf(r.s + n, sizeof r.s - n, "%s", v->rank ? "]" : "[]");
    return r;
}

/* Output i gets dtype dt and shape s (NULL: unknown rank); an omitted output is skipped. */
static void
set_out(Graph *g, NodeId n, int i, DType dt, const Shape *s)
{
    Value *v = output(g, n, i);
    if (!v)
        return;
    v->dt = dt;
    v->rank = s ? s->rank : -1;
    memset(v->dim, 0, sizeof v->dim);
    for (int k = 0; s && k < s->rank; k++)
        v->dim[k] = s->dim[k];
}

/* Every output of unknown rank with dtype dt; 0, for `return unknown(...)`. */
static int
unknown(Graph *g, NodeId n, DType dt)
{
    for (int i = 0; i < g->node[n].nout; i++)
        set_out(g, n, i, dt, NULL);
    return 0;
}

/* A shape of the given rank whose dims are all dynamic (the rank is known, the values are not). */
static Shape
dynamic(int rank)
{
    Shape s = {.rank = rank};
    for (int i = 0; i < rank; i++)
        s.dim[i] = -1;
    return s;
}

static int
overflow(Graph *g, NodeId n, Diag *d)
{
    return diag_node(d, g, n, "a dimension of the output overflows int64");
}

/* Input i (if present) must have dtype dt; undefined dtypes (from unknown ops) pass. */
static int
want_dtype(Graph *g, NodeId n, Diag *d, int i, DType dt)
{
    const Value *v = input(g, n, i);
    if (!v || v->dt == DT_UNDEF || dt == DT_UNDEF || v->dt == dt)
        return 0;
    return diag_node(d, g, n, "input %d %s has dtype %s, expected %s", i, desc(v).s,
                     ir_dtype_name(v->dt), ir_dtype_name(dt));
}

/* Input i (if present) must be an int32 or int64 tensor (indices, axes, shapes). */
static int
want_index(Graph *g, NodeId n, Diag *d, int i)
{
    const Value *v = input(g, n, i);
    if (!v || v->dt == DT_UNDEF || v->dt == DT_I64 || v->dt == DT_I32)
        return 0;
    return diag_node(d, g, n, "input %d %s has dtype %s, expected int64 (or int32)", i, desc(v).s,
                     ir_dtype_name(v->dt));
}

/* Input i, of known rank, must have a rank in [lo, hi]. */
static int
want_rank(Graph *g, NodeId n, Diag *d, int i, int lo, int hi)
{
    const Value *v = input(g, n, i);
    if (!v || v->rank < 0 || (v->rank >= lo && v->rank <= hi))
        return 0;
    if (lo == hi)
        return diag_node(d, g, n, "input %d %s has rank %d, expected %d", i, desc(v).s, v->rank,
                         lo);
    return diag_node(d, g, n, "input %d %s has rank %d, expected %d to %d", i, desc(v).s, v->rank,
                     lo, hi);
}

/* Normalises an axis in [-r, r-1] into *out. */
static int
axis_in(Graph *g, NodeId n, Diag *d, int64_t axis, int r, int *out)
{
    *out = 0;
    if (axis < -r || axis >= r)
        return diag_node(d, g, n, "axis %" PRId64 " is out of range [%d, %d]", axis, -r, r - 1);
    *out = (int)(axis < 0 ? axis + r : axis);
    return 0;
}

/*
 * Reads the integer constant input i (rank 0 or 1, at most max elements) into v[0..*cnt).
 * 1: read; 0: the input is not a constant, so the shape that depends on it is unknown;
 * -1: bad input (wrong dtype, rank or length).
 */
static int
const_ints(Graph *g, NodeId n, Diag *d, int i, int64_t *v, int max, int *cnt)
{
    const Value *c = input(g, n, i);
    if (want_index(g, n, d, i) < 0 || want_rank(g, n, d, i, 0, 1) < 0)
        return -1;
    int64_t k = ir_numel(c);
    if (!(c->flags & V_CONST) || k < 0)
        return 0;
    if (k > max)
        return diag_node(d, g, n, "input %d %s has %" PRId64 " elements, expected at most %d", i,
                         desc(c).s, k, max);
    for (int j = 0; j < k; j++)
        v[j] = ir_const_i(c, j);
    *cnt = (int)k;
    return 1;
}

/* Product of dims[lo..hi) into *out: -1 if one is dynamic; -1 return on overflow. */
static int
product(Graph *g, NodeId n, Diag *d, const int64_t *dims, int lo, int hi, int64_t *out)
{
    int64_t p = 1;
    int dyn = 0;
    for (int i = lo; i < hi; i++) {
        if (dims[i] < 0)
            dyn = 1;
        else if (mul_ov(p, dims[i], &p))
            return overflow(g, n, d);
    }
    *out = dyn && p != 0 ? -1 : p;
    return 0;
}

/* One broadcast dim: equal dims stay, 1 stretches to the other, and a dynamic dim takes the
 * other's size (it must be that size or 1 at run time). -2: incompatible. */
static int64_t
bdim(int64_t a, int64_t b)
{
    if (a == b || b == 1)
        return a;
    if (a == 1 || a == -1)
        return b;
    if (b == -1)
        return a;
    return -2;
}

/* Multidirectional (numpy) broadcast of two shapes into *r; -1 if incompatible. */
static int
bcast2(const int64_t *a, int ra, const int64_t *b, int rb, Shape *r)
{
    Shape t = {.rank = ra > rb ? ra : rb};
    for (int k = 0; k < t.rank; k++) {
        int ia = k - (t.rank - ra), ib = k - (t.rank - rb);
        t.dim[k] = bdim(ia >= 0 ? a[ia] : 1, ib >= 0 ? b[ib] : 1);
        if (t.dim[k] == -2)
            return -1;
    }
    *r = t;
    return 0;
}

/* Broadcast of every present input: 1 known, 0 some rank unknown, -1 incompatible. */
static int
bcast_inputs(Graph *g, NodeId n, Diag *d, Shape *r)
{
    int unk = 0;
    *r = (Shape){.rank = 0};
    for (int i = 0; i < g->node[n].nin; i++) {
        const Value *v = input(g, n, i);
        if (!v)
            continue;
        if (v->rank < 0) {
            unk = 1;
            continue;
        }
        Shape t;
        if (bcast2(r->dim, r->rank, v->dim, v->rank, &t) < 0) {
            Value tmp = {.name = i == 1 ? input(g, n, 0)->name : "previous inputs",
                         .dt = v->dt,
                         .rank = r->rank};
            memcpy(tmp.dim, r->dim, sizeof tmp.dim);
            return diag_node(d, g, n, "input %d %s is not broadcastable with %s", i, desc(v).s,
                             desc(&tmp).s);
        }
        *r = t;
    }
    return unk ? 0 : 1;
}

/* ---- elementwise classes --------------------------------------------------------------------- */

/* OP_UNKNOWN (and OP_NOP, never dispatched): outputs of unknown rank and dtype, no error. */
static int
sh_none(Graph *g, NodeId n, Diag *d)
{
    (void)d;
    return unknown(g, n, DT_UNDEF);
}

/* Input i, if present and of known rank, must be a 1-D tensor of c elements (per channel). */
static int
per_channel(Graph *g, NodeId n, Diag *d, int i, int64_t c)
{
    const Value *v = input(g, n, i);
    if (!v || v->rank < 0)
        return 0;
    if (v->rank != 1 || (c >= 0 && v->dim[0] >= 0 && v->dim[0] != c))
        return diag_node(d, g, n, "input %d %s must be 1-D with %" PRId64 " elements (channels)", i,
                         desc(v).s, c);
    return 0;
}

/*
 * Output 0 is input 0: activations, Identity, Clip, the Softmax family (axis checked), LRN,
 * CumSum (a constant axis is checked), Trilu (rank >= 2), and BatchNormalization or
 * InstanceNormalization, whose other inputs must be 1-D over the channels (dim 1); BatchNorm's
 * scale and statistics may have another dtype than X (opset 15).
 */
static int
sh_same(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a = input(g, n, 0);
    Shape s = shape_of(a);
    int ax;
    if (a->rank < 0)
        return unknown(g, n, a->dt);
    switch (x->op) {
    case OP_SOFTMAX:
    case OP_LOGSOFTMAX:
    case OP_HARDMAX:
        if (axis_in(g, n, d, x->attr->axis.axis, a->rank, &ax) < 0)
            return -1;
        break;
    case OP_BATCHNORMALIZATION:
    case OP_INSTANCENORMALIZATION:
        if (want_rank(g, n, d, 0, 2, IR_MAXRANK) < 0)
            return -1;
        for (int i = 1; i < x->nin; i++)
            if (per_channel(g, n, d, i, a->dim[1]) < 0 ||
                (x->op == OP_INSTANCENORMALIZATION && want_dtype(g, n, d, i, a->dt) < 0))
                return -1;
        break;
    case OP_CUMSUM: {
        int64_t v;
        int cnt = 0, k = const_ints(g, n, d, 1, &v, 1, &cnt);
        if (k < 0 || (k > 0 && cnt == 1 && axis_in(g, n, d, v, a->rank, &ax) < 0))
            return -1;
        break;
    }
    case OP_TRILU:
        if (want_rank(g, n, d, 0, 2, IR_MAXRANK) < 0 || want_index(g, n, d, 1) < 0)
            return -1;
        break;
    default: break;
    }
    set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* IsNaN, IsInf: a float input, a bool output of the same shape. */
static int
sh_bool(Graph *g, NodeId n, Diag *d)
{
    const Value *a = input(g, n, 0);
    Shape s = shape_of(a);
    if (a->dt != DT_UNDEF && !ir_dtype_is_float(a->dt))
        return diag_node(d, g, n, "input %s must have a float dtype", desc(a).s);
    set_out(g, n, 0, DT_BOOL, a->rank >= 0 ? &s : NULL);
    return 0;
}

/*
 * Multidirectional broadcasting of all inputs (Add, Sub, Max, Sum, ...). The output has input 0's
 * dtype, which the other inputs must share, except Pow's exponent. BitShift needs unsigned
 * integers; PRelu only broadcasts the slope to X.
 */
static int
sh_bcast(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a = input(g, n, 0);
    Shape s;
    for (int i = 1; i < x->nin; i++)
        if (x->op != OP_POW && want_dtype(g, n, d, i, a->dt) < 0)
            return -1;
    if (x->op == OP_BITSHIFT && a->dt != DT_UNDEF && a->dt != DT_U8 && a->dt != DT_U16 &&
        a->dt != DT_U32 && a->dt != DT_U64)
        return diag_node(d, g, n, "BitShift needs unsigned integers, not %s", desc(a).s);
    int k = bcast_inputs(g, n, d, &s);
    if (k <= 0)
        return k < 0 ? -1 : unknown(g, n, a->dt);
    if (x->op == OP_PRELU) { /* the slope broadcasts to X, never the other way */
        int ok = s.rank == a->rank;
        for (int i = 0; ok && i < s.rank; i++)
            ok = s.dim[i] == a->dim[i] || a->dim[i] == -1;
        if (!ok)
            return diag_node(d, g, n, "slope %s is not unidirectionally broadcastable to X %s",
                             desc(input(g, n, 1)).s, desc(a).s);
        s = shape_of(a);
    }
    set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* Comparisons and And/Or/Xor: two inputs of one dtype (bool for the logic ops), bool out. */
static int
sh_cmp(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Shape s;
    int logic = x->op == OP_AND || x->op == OP_OR || x->op == OP_XOR;
    if (want_dtype(g, n, d, 1, logic ? DT_BOOL : input(g, n, 0)->dt) < 0 ||
        (logic && want_dtype(g, n, d, 0, DT_BOOL) < 0))
        return -1;
    int k = bcast_inputs(g, n, d, &s);
    if (k <= 0)
        return k < 0 ? -1 : unknown(g, n, DT_BOOL);
    set_out(g, n, 0, DT_BOOL, &s);
    return 0;
}

/* Where(cond, X, Y): cond is bool, X and Y share a dtype; all three broadcast together. */
static int
sh_where(Graph *g, NodeId n, Diag *d)
{
    DType dt = input(g, n, 1)->dt;
    Shape s;
    if (want_dtype(g, n, d, 0, DT_BOOL) < 0 || want_dtype(g, n, d, 2, dt) < 0)
        return -1;
    int k = bcast_inputs(g, n, d, &s);
    if (k <= 0)
        return k < 0 ? -1 : unknown(g, n, dt);
    set_out(g, n, 0, dt, &s);
    return 0;
}

/* ---- convolution and pooling ----------------------------------------------------------------- */

typedef struct Window {    /* one value per spatial axis */
    int64_t k[IR_MAXRANK]; /* kernel size; -1 if taken from a dynamic W dim */
    int64_t s[IR_MAXRANK], dl[IR_MAXRANK], pb[IR_MAXRANK], pe[IR_MAXRANK];
} Window;

/* Reads kernel/strides/dilations/pads for ns spatial axes; wk: W's spatial dims, or NULL when
 * kernel_shape is required (pooling). */
static int
window_get(Graph *g, NodeId n, Diag *d, Window *w, int ns, const Ints *kernel, const Ints *strides,
           const Ints *dil, const Ints *pads, const int64_t *wk)
{
    if (kernel->n != 0 && kernel->n != ns)
        return diag_node(d, g, n, "kernel_shape has %d values, expected %d", kernel->n, ns);
    if (kernel->n == 0 && !wk)
        return diag_node(d, g, n, "kernel_shape is required");
    if ((strides->n != 0 && strides->n != ns) || (dil->n != 0 && dil->n != ns))
        return diag_node(d, g, n, "strides and dilations need %d values (one per spatial axis)",
                         ns);
    if (pads->n != 0 && pads->n != 2 * ns)
        return diag_node(d, g, n, "pads has %d values, expected %d", pads->n, 2 * ns);
    for (int i = 0; i < ns; i++) {
        w->k[i] = kernel->n ? kernel->v[i] : wk[i];
        w->s[i] = strides->n ? strides->v[i] : 1;
        w->dl[i] = dil->n ? dil->v[i] : 1;
        w->pb[i] = pads->n ? pads->v[i] : 0;
        w->pe[i] = pads->n ? pads->v[i + ns] : 0;
        if (w->k[i] == 0 || (kernel->n && (w->k[i] < 1 || (wk && wk[i] >= 0 && wk[i] != w->k[i]))))
            return diag_node(d, g, n,
                             "kernel_shape[%d] = %" PRId64 " is invalid or does not "
                             "match the weight",
                             i, w->k[i]);
        if (w->s[i] < 1 || w->dl[i] < 1 || w->pb[i] < 0 || w->pe[i] < 0)
            return diag_node(d, g, n,
                             "spatial axis %d: strides and dilations must be positive "
                             "and pads non-negative",
                             i);
    }
    return 0;
}

/* Effective kernel extent (k - 1) * dilation + 1. */
static int
extent(Graph *g, NodeId n, Diag *d, const Window *w, int i, int64_t *ek)
{
    if (mul_ov(w->k[i] - 1, w->dl[i], ek) || add_ov(*ek, 1, ek))
        return overflow(g, n, d);
    return 0;
}

/* Output size of a sliding window along spatial axis i (Conv and pools); -1 if in is dynamic. */
static int
window_out(Graph *g, NodeId n, Diag *d, const Window *w, int i, int64_t in, AutoPad ap,
           int ceil_mode, int64_t *out)
{
    int64_t ek, span, q, st;
    *out = -1;
    if (in < 0 || w->k[i] < 0)
        return 0;
    if (extent(g, n, d, w, i, &ek) < 0)
        return -1;
    if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) { /* pads chosen to give ceil(in/s) */
        *out = in / w->s[i] + (in % w->s[i] != 0);
        return 0;
    }
    int64_t pb = ap == PAD_VALID ? 0 : w->pb[i], pe = ap == PAD_VALID ? 0 : w->pe[i];
    if (add_ov(in, pb, &span) || add_ov(span, pe, &span))
        return overflow(g, n, d);
    if (span < ek)
        return diag_node(d, g, n,
                         "spatial axis %d: the kernel extent %" PRId64 " exceeds the "
                         "padded input size %" PRId64,
                         i, ek, span);
    q = (span - ek) / w->s[i];
    if (ceil_mode) {
        q += (span - ek) % w->s[i] != 0;
        /* the last window must start inside the input or the left padding */
        if (mul_ov(q, w->s[i], &st) || st >= in + pb)
            q--;
    }
    *out = q + 1;
    return 0;
}

/* Checks a 1-D bias B (input 2) against m output channels. */
static int
bias(Graph *g, NodeId n, Diag *d, int64_t m)
{
    return per_channel(g, n, d, 2, m);
}

/*
 * Conv: X [N, C, D1..Dn], W [M, C/group, k1..kn], optional B [M]; Y [N, M, O1..On] with each Oi
 * from window_out. kernel_shape, when given, must agree with W.
 */
static int
sh_conv(Graph *g, NodeId n, Diag *d)
{
    const ConvAttr *a = &g->node[n].attr->conv;
    const Value *x = input(g, n, 0), *w = input(g, n, 1);
    Window win;
    int64_t cg;
    if (want_dtype(g, n, d, 1, x->dt) < 0 || want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0 || w->rank < 0)
        return unknown(g, n, x->dt);
    if (want_rank(g, n, d, 0, 3, IR_MAXRANK) < 0 || want_rank(g, n, d, 1, x->rank, x->rank) < 0)
        return -1;
    if (a->group < 1)
        return diag_node(d, g, n, "group %" PRId64 " must be positive", a->group);
    int64_t c = x->dim[1], m = w->dim[0];
    if (c >= 0 && w->dim[1] >= 0 && (mul_ov(w->dim[1], a->group, &cg) || c != cg))
        return diag_node(
            d, g, n, "X %s has %" PRId64 " channels, but W %s expects %" PRId64 " x group %" PRId64,
            desc(x).s, c, desc(w).s, w->dim[1], a->group);
    if (m >= 0 && m % a->group != 0)
        return diag_node(d, g, n,
                         "W %s has %" PRId64 " output channels, not a multiple of group %" PRId64,
                         desc(w).s, m, a->group);
    int ns = x->rank - 2;
    if (bias(g, n, d, m) < 0 || window_get(g, n, d, &win, ns, &a->kernel, &a->strides,
                                           &a->dilations, &a->pads, w->dim + 2) < 0)
        return -1;
    Shape s = {.rank = x->rank, .dim = {x->dim[0], m}};
    for (int i = 0; i < ns; i++)
        if (window_out(g, n, d, &win, i, x->dim[2 + i], a->auto_pad, 0, &s.dim[2 + i]) < 0)
            return -1;
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/*
 * ConvTranspose: out = stride * (in - 1) + output_padding + extent - pads, or output_shape when
 * given. SAME_* aims at in * stride; when the kernel is too small to reach it (negative total
 * padding) ONNX Runtime clamps the padding at 0, and so do we.
 */
static int
sh_convt(Graph *g, NodeId n, Diag *d)
{
    const ConvAttr *a = &g->node[n].attr->conv;
    const Value *x = input(g, n, 0), *w = input(g, n, 1);
    Window win;
    int64_t m = -1;
    if (want_dtype(g, n, d, 1, x->dt) < 0 || want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0 || w->rank < 0)
        return unknown(g, n, x->dt);
    if (want_rank(g, n, d, 0, 3, IR_MAXRANK) < 0 || want_rank(g, n, d, 1, x->rank, x->rank) < 0)
        return -1;
    if (a->group < 1)
        return diag_node(d, g, n, "group %" PRId64 " must be positive", a->group);
    int64_t c = x->dim[1];
    if (c >= 0 && w->dim[0] >= 0 && c != w->dim[0])
        return diag_node(d, g, n, "X %s has %" PRId64 " channels, but W %s expects %" PRId64,
                         desc(x).s, c, desc(w).s, w->dim[0]);
    if (c >= 0 && c % a->group != 0)
        return diag_node(d, g, n, "%" PRId64 " input channels are not a multiple of group %" PRId64,
                         c, a->group);
    if (w->dim[1] >= 0 && mul_ov(w->dim[1], a->group, &m))
        return overflow(g, n, d);
    int ns = x->rank - 2;
    const Ints *op = &a->output_padding, *os = &a->output_shape;
    if (bias(g, n, d, m) < 0 || window_get(g, n, d, &win, ns, &a->kernel, &a->strides,
                                           &a->dilations, &a->pads, w->dim + 2) < 0)
        return -1;
    if (op->n != 0 && op->n != ns)
        return diag_node(d, g, n, "output_padding has %d values, expected %d", op->n, ns);
    if (os->n != 0 && os->n != ns && os->n != ns + 2)
        return diag_node(d, g, n, "output_shape has %d values, expected %d", os->n, ns);
    Shape s = {.rank = x->rank, .dim = {x->dim[0], m}};
    for (int i = 0; i < ns; i++) {
        int64_t in = x->dim[2 + i], adj = op->n ? op->v[i] : 0, ek, out, full;
        if (adj < 0)
            return diag_node(d, g, n, "output_padding[%d] = %" PRId64 " is negative", i, adj);
        if (os->n) {
            out = os->v[os->n - ns + i];
        } else if (in < 0 || win.k[i] < 0) {
            s.dim[2 + i] = -1;
            continue;
        } else {
            if (extent(g, n, d, &win, i, &ek) < 0 || mul_ov(in - 1, win.s[i], &out) ||
                add_ov(out, adj, &out) || add_ov(out, ek, &out))
                return overflow(g, n, d);
            if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
                if (mul_ov(in, win.s[i], &full))
                    return overflow(g, n, d);
                out = out < full ? out : full;
            } else if (a->auto_pad == PAD_NOTSET &&
                       (sub_ov(out, win.pb[i], &out) || sub_ov(out, win.pe[i], &out))) {
                return overflow(g, n, d);
            }
        }
        if (out < 1)
            return diag_node(d, g, n, "spatial axis %d: output size %" PRId64 " is not positive", i,
                             out);
        s.dim[2 + i] = out;
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* AveragePool, MaxPool, LpPool: kernel_shape is required; channels pass through. MaxPool's
 * optional Indices output is int64 with Y's shape. */
static int
sh_pool(Graph *g, NodeId n, Diag *d)
{
    const PoolAttr *a = &g->node[n].attr->pool;
    const Value *x = input(g, n, 0);
    Window win;
    if (x->rank < 0) {
        set_out(g, n, 0, x->dt, NULL);
        set_out(g, n, 1, DT_I64, NULL);
        return 0;
    }
    if (want_rank(g, n, d, 0, 3, IR_MAXRANK) < 0)
        return -1;
    int ns = x->rank - 2;
    if (window_get(g, n, d, &win, ns, &a->kernel, &a->strides, &a->dilations, &a->pads, NULL) < 0)
        return -1;
    Shape s = {.rank = x->rank, .dim = {x->dim[0], x->dim[1]}};
    for (int i = 0; i < ns; i++)
        if (window_out(g, n, d, &win, i, x->dim[2 + i], a->auto_pad, a->ceil_mode, &s.dim[2 + i]) <
            0)
            return -1;
    set_out(g, n, 0, x->dt, &s);
    set_out(g, n, 1, DT_I64, &s); /* MaxPool's Indices */
    return 0;
}

/* GlobalAveragePool, GlobalMaxPool: [N, C, D1..Dn] -> [N, C, 1..1]. */
static int
sh_gpool(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (want_rank(g, n, d, 0, 2, IR_MAXRANK) < 0)
        return -1;
    Shape s = {.rank = x->rank, .dim = {x->dim[0], x->dim[1]}};
    for (int i = 2; i < x->rank; i++)
        s.dim[i] = 1;
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* ---- linear algebra -------------------------------------------------------------------------- */

/* Gemm: A and B are 2-D, transposed by transA/transB to [M, K] and [K, N]; the optional C must
 * broadcast to [M, N] one way. */
static int
sh_gemm(Graph *g, NodeId n, Diag *d)
{
    const GemmAttr *at = &g->node[n].attr->gemm;
    const Value *a = input(g, n, 0), *b = input(g, n, 1), *c = input(g, n, 2);
    if (want_dtype(g, n, d, 1, a->dt) < 0 || want_dtype(g, n, d, 2, a->dt) < 0)
        return -1;
    if (a->rank < 0 || b->rank < 0)
        return unknown(g, n, a->dt);
    if (want_rank(g, n, d, 0, 2, 2) < 0 || want_rank(g, n, d, 1, 2, 2) < 0 ||
        want_rank(g, n, d, 2, 0, 2) < 0)
        return -1;
    int64_t m = a->dim[at->trans_a ? 1 : 0], k = a->dim[at->trans_a ? 0 : 1];
    int64_t k2 = b->dim[at->trans_b ? 1 : 0], nn = b->dim[at->trans_b ? 0 : 1];
    if (k >= 0 && k2 >= 0 && k != k2)
        return diag_node(d, g, n,
                         "inner dimensions differ: A %s (transA=%d) has K = %" PRId64
                         ", B %s (transB=%d) has K = %" PRId64,
                         desc(a).s, at->trans_a, k, desc(b).s, at->trans_b, k2);
    Shape s = {.rank = 2, .dim = {m, nn}};
    if (c && c->rank >= 0) { /* C broadcasts to [M, N], never the other way */
        for (int i = 0; i < c->rank; i++) {
            int64_t cd = c->dim[i], t = s.dim[2 - c->rank + i];
            if (cd != 1 && cd != -1 && t != -1 && cd != t)
                return diag_node(d, g, n,
                                 "C %s is not unidirectionally broadcastable to [%" PRId64
                                 ",%" PRId64 "]",
                                 desc(c).s, m, nn);
        }
    }
    set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* numpy matmul: a 1-D A gets a leading 1 and a 1-D B a trailing 1, removed from the result;
 * the leading (batch) dims broadcast. */
static int
sh_matmul(Graph *g, NodeId n, Diag *d)
{
    const Value *a = input(g, n, 0), *b = input(g, n, 1);
    if (want_dtype(g, n, d, 1, a->dt) < 0)
        return -1;
    if (a->rank < 0 || b->rank < 0)
        return unknown(g, n, a->dt);
    if (want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 || want_rank(g, n, d, 1, 1, IR_MAXRANK) < 0)
        return -1;
    int64_t am = a->rank > 1 ? a->dim[a->rank - 2] : 1, k = a->dim[a->rank - 1];
    int64_t k2 = b->dim[b->rank > 1 ? b->rank - 2 : 0], bn = b->rank > 1 ? b->dim[b->rank - 1] : 1;
    if (k >= 0 && k2 >= 0 && k != k2)
        return diag_node(d, g, n,
                         "inner dimensions differ: A %s has K = %" PRId64 ", B %s has K = %" PRId64,
                         desc(a).s, k, desc(b).s, k2);
    Shape s;
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    if (bcast2(a->dim, ra, b->dim, rb, &s) < 0)
        return diag_node(d, g, n, "batch dimensions of A %s and B %s are not broadcastable",
                         desc(a).s, desc(b).s);
    if (a->rank > 1)
        s.dim[s.rank++] = am;
    if (b->rank > 1)
        s.dim[s.rank++] = bn;
    set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* ---- normalisation and reductions ------------------------------------------------------------ */

/* LayerNormalization: Y like X; Mean and InvStdDev (stash_type float) have X's dims with those
 * from axis on set to 1. */
static int
sh_layernorm(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int ax;
    if (want_dtype(g, n, d, 1, x->dt) < 0 || want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0) {
        set_out(g, n, 0, x->dt, NULL);
        set_out(g, n, 1, DT_F32, NULL);
        set_out(g, n, 2, DT_F32, NULL);
        return 0;
    }
    if (axis_in(g, n, d, g->node[n].attr->norm.axis, x->rank, &ax) < 0)
        return -1;
    for (int i = 1; i < 3; i++) {
        const Value *p = input(g, n, i);
        if (p && p->rank > x->rank - ax)
            return diag_node(d, g, n, "input %d %s has more dims than X from axis %d on", i,
                             desc(p).s, ax);
    }
    Shape s = shape_of(x), m = shape_of(x);
    for (int i = ax; i < x->rank; i++)
        m.dim[i] = 1;
    set_out(g, n, 0, x->dt, &s);
    set_out(g, n, 1, DT_F32, &m);
    set_out(g, n, 2, DT_F32, &m);
    return 0;
}

/* ArgMax, ArgMin: int64 indices along one axis, which keepdims keeps as 1. */
static int
sh_argred(Graph *g, NodeId n, Diag *d)
{
    const AxisAttr *a = &g->node[n].attr->axis;
    const Value *x = input(g, n, 0);
    int ax;
    if (x->rank < 0)
        return unknown(g, n, DT_I64);
    if (want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 || axis_in(g, n, d, a->axis, x->rank, &ax) < 0)
        return -1;
    Shape s = {.rank = 0};
    for (int i = 0; i < x->rank; i++)
        if (i != ax)
            s.dim[s.rank++] = x->dim[i];
        else if (a->keepdims)
            s.dim[s.rank++] = 1;
    set_out(g, n, 0, DT_I64, &s);
    return 0;
}

/* The axes input is optional (opset 18 form); its values may be negative and must be unique. */
int
ir_reduce_plan(Graph *g, NodeId n, Diag *d, int red[IR_MAXRANK])
{
    const Value *x = input(g, n, 0);
    int64_t axes[IR_MAXRANK];
    int cnt = 0, ax;
    memset(red, 0, IR_MAXRANK * sizeof *red);
    if (x->rank < 0)
        return 0;
    if (input(g, n, 1)) {
        int k = const_ints(g, n, d, 1, axes, IR_MAXRANK, &cnt);
        if (k <= 0)
            return k;
    }
    if (cnt == 0) { /* no axes: all of them, or none with noop_with_empty_axes */
        for (int i = 0; i < x->rank; i++)
            red[i] = !g->node[n].attr->reduce.noop_with_empty_axes;
        return 1;
    }
    for (int i = 0; i < cnt; i++) {
        if (axis_in(g, n, d, axes[i], x->rank, &ax) < 0)
            return -1;
        if (red[ax])
            return diag_node(d, g, n, "axis %d is repeated", ax);
        red[ax] = 1;
    }
    return 1;
}

/* Reduce*: the axes of ir_reduce_plan become 1 (keepdims) or disappear. */
static int
sh_reduce(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int red[IR_MAXRANK];
    int k = ir_reduce_plan(g, n, d, red);
    if (k <= 0)
        return k < 0 ? -1 : unknown(g, n, x->dt);
    Shape s = {.rank = 0};
    for (int i = 0; i < x->rank; i++)
        if (!red[i])
            s.dim[s.rank++] = x->dim[i];
        else if (g->node[n].attr->reduce.keepdims)
            s.dim[s.rank++] = 1;
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* ---- dtype conversion ------------------------------------------------------------------------ */

/* Cast: the shape of the input, the dtype of attribute `to`. */
static int
sh_cast(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    DType to = g->node[n].attr->cast.to;
    Shape s = shape_of(x);
    if (to == DT_UNDEF || (unsigned)to >= DT_COUNT)
        return diag_node(d, g, n, "Cast has no valid 'to' dtype (%d)", (int)to);
    set_out(g, n, 0, to, x->rank >= 0 ? &s : NULL);
    return 0;
}

/* CastLike: the shape of input 0, the dtype of input 1. */
static int
sh_castlike(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    Shape s = shape_of(x);
    (void)d;
    set_out(g, n, 0, input(g, n, 1)->dt, x->rank >= 0 ? &s : NULL);
    return 0;
}

/* ---- data movement --------------------------------------------------------------------------- */

/* Concat: inputs of one dtype and rank joined along axis (negative allowed); the other dims must
 * agree, a dynamic one taking the others' size. */
static int
sh_concat(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a = input(g, n, 0);
    int ax;
    for (int i = 0; i < x->nin; i++) {
        if (!input(g, n, i))
            return diag_node(d, g, n, "input %d is missing", i);
        if (want_dtype(g, n, d, i, a->dt) < 0)
            return -1;
        if (input(g, n, i)->rank < 0)
            return unknown(g, n, a->dt);
    }
    if (want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        axis_in(g, n, d, x->attr->axis.axis, a->rank, &ax) < 0)
        return -1;
    Shape s = shape_of(a);
    for (int i = 1; i < x->nin; i++) {
        const Value *v = input(g, n, i);
        if (want_rank(g, n, d, i, a->rank, a->rank) < 0)
            return -1;
        for (int k = 0; k < a->rank; k++) {
            if (k == ax) {
                if (s.dim[k] < 0 || v->dim[k] < 0)
                    s.dim[k] = -1;
                else if (add_ov(s.dim[k], v->dim[k], &s.dim[k]))
                    return overflow(g, n, d);
            } else if (s.dim[k] < 0) {
                s.dim[k] = v->dim[k];
            } else if (v->dim[k] >= 0 && v->dim[k] != s.dim[k]) {
                return diag_node(d, g, n, "input %d %s does not match input 0 %s outside axis %d",
                                 i, desc(v).s, desc(a).s, ax);
            }
        }
    }
    set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* ConstantOfShape: the 1-D int64 shape input gives the dims (empty: a scalar); the dtype is the
 * fill value's (float32 when no value is given). */
static int
sh_constshape(Graph *g, NodeId n, Diag *d)
{
    const Value *sh = input(g, n, 0);
    DType dt = g->node[n].attr->cst.dt ? g->node[n].attr->cst.dt : DT_F32;
    int64_t v[IR_MAXRANK];
    int cnt = 0;
    if (want_dtype(g, n, d, 0, DT_I64) < 0 || want_rank(g, n, d, 0, 1, 1) < 0)
        return -1;
    int k = const_ints(g, n, d, 0, v, IR_MAXRANK, &cnt);
    if (k < 0)
        return -1;
    if (k == 0) { /* the rank is the shape input's length, even if its values are unknown */
        if (sh->rank != 1 || sh->dim[0] < 0)
            return unknown(g, n, dt);
        if (sh->dim[0] > IR_MAXRANK)
            return diag_node(d, g, n, "shape %s has more than %d dims", desc(sh).s, IR_MAXRANK);
        Shape s = dynamic((int)sh->dim[0]);
        set_out(g, n, 0, dt, &s);
        return 0;
    }
    Shape s = {.rank = cnt};
    for (int i = 0; i < cnt; i++) {
        if (v[i] < 0)
            return diag_node(d, g, n, "shape[%d] = %" PRId64 " is negative", i, v[i]);
        s.dim[i] = v[i];
    }
    set_out(g, n, 0, dt, &s);
    return 0;
}

/* DepthToSpace (d2s = 1) and SpaceToDepth (d2s = 0) on NCHW. */
static int
block(Graph *g, NodeId n, Diag *d, int d2s)
{
    const Value *x = input(g, n, 0);
    int64_t b = g->node[n].attr->block.blocksize, bb;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (want_rank(g, n, d, 0, 4, 4) < 0)
        return -1;
    if (b < 1 || mul_ov(b, b, &bb))
        return diag_node(d, g, n, "blocksize %" PRId64 " is invalid", b);
    Shape s = shape_of(x);
    for (int i = 1; i < 4; i++) {
        int64_t v = x->dim[i], div = i == 1 ? bb : b;
        if (v < 0)
            continue;
        if ((i == 1) == d2s) { /* this dim shrinks */
            if (v % div != 0)
                return diag_node(d, g, n, "dim %d of %s is not a multiple of %" PRId64, i,
                                 desc(x).s, div);
            s.dim[i] = v / div;
        } else if (mul_ov(v, div, &s.dim[i])) {
            return overflow(g, n, d);
        }
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* DepthToSpace: [N, C, H, W] -> [N, C/b^2, H*b, W*b]. */
static int
sh_d2s(Graph *g, NodeId n, Diag *d)
{
    return block(g, n, d, 1);
}

/* SpaceToDepth: [N, C, H, W] -> [N, C*b^2, H/b, W/b]. */
static int
sh_s2d(Graph *g, NodeId n, Diag *d)
{
    return block(g, n, d, 0);
}

/* Dropout: output 0 is the input; the optional mask is bool of the same shape. */
static int
sh_dropout(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    Shape s = shape_of(x);
    (void)d;
    set_out(g, n, 0, x->dt, x->rank >= 0 ? &s : NULL);
    set_out(g, n, 1, DT_BOOL, x->rank >= 0 ? &s : NULL); /* mask */
    return 0;
}

/* Expand: the input broadcast with the 1-D int64 shape input, both ways (a 1 in the shape keeps
 * the input's dim). */
static int
sh_expand(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0), *sh = input(g, n, 1);
    int64_t v[IR_MAXRANK];
    int cnt = 0;
    Shape s;
    if (want_dtype(g, n, d, 1, DT_I64) < 0 || want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    int k = const_ints(g, n, d, 1, v, IR_MAXRANK, &cnt);
    if (k < 0)
        return -1;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (k == 0) {
        if (sh->rank != 1 || sh->dim[0] < 0 || sh->dim[0] > IR_MAXRANK)
            return unknown(g, n, x->dt);
        s = dynamic(x->rank > sh->dim[0] ? x->rank : (int)sh->dim[0]);
        set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    for (int i = 0; i < cnt; i++)
        if (v[i] < 0)
            return diag_node(d, g, n, "shape[%d] = %" PRId64 " is negative", i, v[i]);
    if (bcast2(x->dim, x->rank, v, cnt, &s) < 0) {
        Value tmp = {.name = sh->name, .dt = DT_I64, .rank = cnt};
        memcpy(tmp.dim, v, (size_t)cnt * sizeof *v);
        return diag_node(d, g, n, "input %s cannot be expanded to the shape %s", desc(x).s,
                         desc(&tmp).s);
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Flatten: [d0..d(axis-1)] x [d(axis)..] as a 2-D tensor; axis in [-r, r]. */
static int
sh_flatten(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int64_t axis = g->node[n].attr->axis.axis;
    Shape s = {.rank = 2};
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (axis < -x->rank || axis > x->rank)
        return diag_node(d, g, n, "axis %" PRId64 " is out of range [%d, %d]", axis, -x->rank,
                         x->rank);
    int ax = (int)(axis < 0 ? axis + x->rank : axis);
    if (product(g, n, d, x->dim, 0, ax, &s.dim[0]) < 0 ||
        product(g, n, d, x->dim, ax, x->rank, &s.dim[1]) < 0)
        return -1;
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Gather: data.shape[:axis] + indices.shape + data.shape[axis+1:]; constant indices are checked
 * against the axis, negative ones counting from its end. */
static int
sh_gather(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0), *ix = input(g, n, 1);
    int ax;
    if (want_index(g, n, d, 1) < 0)
        return -1;
    if (x->rank < 0 || ix->rank < 0)
        return unknown(g, n, x->dt);
    if (want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
        return -1;
    if (x->rank + ix->rank - 1 > IR_MAXRANK)
        return diag_node(d, g, n, "the output would have rank %d, more than %d",
                         x->rank + ix->rank - 1, IR_MAXRANK);
    int64_t dim = x->dim[ax], cnt = ir_numel(ix);
    if ((ix->flags & V_CONST) && dim >= 0) { /* constant indices: check them now */
        for (int64_t j = 0; j < cnt; j++) {
            int64_t v = ir_const_i(ix, j);
            if (v < -dim || v >= dim)
                return diag_node(d, g, n, "index %" PRId64 " is out of range for axis %d of %s", v,
                                 ax, desc(x).s);
        }
    }
    Shape s = {.rank = 0};
    for (int i = 0; i < ax; i++)
        s.dim[s.rank++] = x->dim[i];
    for (int i = 0; i < ix->rank; i++)
        s.dim[s.rank++] = ix->dim[i];
    for (int i = ax + 1; i < x->rank; i++)
        s.dim[s.rank++] = x->dim[i];
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* GatherElements: the output has the indices' shape; data and indices share the rank. */
static int
sh_gatherelt(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0), *ix = input(g, n, 1);
    int ax;
    Shape s = shape_of(ix);
    if (want_index(g, n, d, 1) < 0)
        return -1;
    if (x->rank < 0 || ix->rank < 0)
        return unknown(g, n, x->dt);
    if (want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 || want_rank(g, n, d, 1, x->rank, x->rank) < 0 ||
        axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
        return -1;
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Pad: pads (input 1) holds begins then ends, for every axis or for the axes of input 3. */
static int
sh_pad(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int64_t pads[2 * IR_MAXRANK], axes[IR_MAXRANK];
    int np = 0, na = 0, seen[IR_MAXRANK] = {0}, ax;
    if (want_dtype(g, n, d, 1, DT_I64) < 0 || want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    int k = const_ints(g, n, d, 1, pads, 2 * IR_MAXRANK, &np);
    int ka = input(g, n, 3) ? const_ints(g, n, d, 3, axes, IR_MAXRANK, &na) : 1;
    if (k < 0 || ka < 0)
        return -1;
    Shape s = shape_of(x);
    if (k == 0 || ka == 0) {
        s = dynamic(x->rank);
        set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    if (!input(g, n, 3))
        for (na = 0; na < x->rank; na++)
            axes[na] = na;
    if (np != 2 * na)
        return diag_node(d, g, n, "pads has %d values, expected %d (2 x %d axes)", np, 2 * na, na);
    for (int i = 0; i < na; i++) {
        if (axis_in(g, n, d, axes[i], x->rank, &ax) < 0)
            return -1;
        if (seen[ax]++)
            return diag_node(d, g, n, "axis %d is repeated", ax);
        if (s.dim[ax] < 0)
            continue;
        if (add_ov(s.dim[ax], pads[i], &s.dim[ax]) || add_ov(s.dim[ax], pads[i + na], &s.dim[ax]))
            return overflow(g, n, d);
        if (s.dim[ax] < 0)
            return diag_node(d, g, n, "pads make axis %d of %s negative", ax, desc(x).s);
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Range: max(ceil((limit - start) / delta), 0) elements, exact for integer dtypes. */
static int
sh_range(Graph *g, NodeId n, Diag *d)
{
    const Value *st = input(g, n, 0), *li = input(g, n, 1), *de = input(g, n, 2);
    DType dt = st->dt;
    Shape s = {.rank = 1, .dim = {-1}};
    int64_t cnt;
    for (int i = 0; i < 3; i++) {
        const Value *v = input(g, n, i);
        if (want_dtype(g, n, d, i, dt) < 0)
            return -1;
        if (v->rank >= 0 && ir_numel(v) != 1)
            return diag_node(d, g, n, "input %d %s must be a scalar", i, desc(v).s);
    }
    if (!(st->flags & li->flags & de->flags & V_CONST)) {
        set_out(g, n, 0, dt, &s);
        return 0;
    }
    if (ir_dtype_is_int(dt)) {
        int64_t a = ir_const_i(st, 0), b = ir_const_i(li, 0), c = ir_const_i(de, 0), diff;
        if (c == 0)
            return diag_node(d, g, n, "delta is zero");
        if (sub_ov(b, a, &diff) || (diff == INT64_MIN && c == -1))
            return overflow(g, n, d);
        cnt = (diff > 0) != (c > 0) || diff == 0 ? 0 : diff / c + (diff % c != 0);
    } else if (ir_dtype_is_float(dt)) {
        double a = ir_const_f(st, 0), b = ir_const_f(li, 0), c = ir_const_f(de, 0);
        double diff = dt == DT_F32 ? (double)((float)b - (float)a) : b - a;
        double q = ceil(diff / c);
        if (c == 0 || isnan(q) || q > 4.6e18)
            return diag_node(d, g, n, "start %g, limit %g and delta %g give no valid length", a, b,
                             c);
        cnt = q > 0 ? (int64_t)q : 0;
    } else {
        return diag_node(d, g, n, "Range needs a numeric dtype, not %s", ir_dtype_name(dt));
    }
    s.dim[0] = cnt;
    set_out(g, n, 0, dt, &s);
    return 0;
}

/* Reshape: 0 copies the input dim (unless allowzero), one -1 takes the remaining elements. */
static int
sh_reshape(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0), *sh = input(g, n, 1);
    int allowzero = g->node[n].attr->reshape.allowzero, cnt = 0, neg = -1, zero = 0;
    int64_t v[IR_MAXRANK], rest = 1, numel = ir_numel(x);
    if (want_dtype(g, n, d, 1, DT_I64) < 0 || want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    int k = const_ints(g, n, d, 1, v, IR_MAXRANK, &cnt);
    if (k <= 0) {
        if (k < 0 || sh->rank != 1 || sh->dim[0] < 0 || sh->dim[0] > IR_MAXRANK)
            return k < 0 ? -1 : unknown(g, n, x->dt);
        Shape s = dynamic((int)sh->dim[0]);
        set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    Shape s = {.rank = cnt};
    for (int i = 0; i < cnt; i++) {
        if (v[i] < -1)
            return diag_node(d, g, n, "shape[%d] = %" PRId64 " is invalid", i, v[i]);
        if (v[i] == -1) {
            if (neg >= 0)
                return diag_node(d, g, n, "shape has more than one -1");
            neg = i;
            continue;
        }
        s.dim[i] = v[i];
        if (v[i] == 0 && !allowzero) {
            if (x->rank >= 0 && i >= x->rank)
                return diag_node(d, g, n, "shape[%d] = 0 copies a dim that input %s lacks", i,
                                 desc(x).s);
            s.dim[i] = x->rank >= 0 ? x->dim[i] : -1;
        }
        zero |= v[i] == 0 && allowzero;
        if (s.dim[i] < 0)
            rest = -1;
        else if (rest >= 0 && mul_ov(rest, s.dim[i], &rest))
            return overflow(g, n, d);
    }
    if (neg >= 0) {
        if (zero)
            return diag_node(d, g, n, "shape has both -1 and 0 with allowzero=1");
        if (numel < 0 || rest < 0)
            s.dim[neg] = -1;
        else if (rest == 0 || numel % rest != 0)
            return diag_node(d, g, n,
                             "cannot reshape %s (%" PRId64 " elements): the dims other "
                             "than -1 multiply to %" PRId64,
                             desc(x).s, numel, rest);
        else
            s.dim[neg] = numel / rest;
    } else if (numel >= 0 && rest >= 0 && numel != rest) {
        return diag_node(d, g, n,
                         "cannot reshape %s (%" PRId64 " elements) to %" PRId64 " elements",
                         desc(x).s, numel, rest);
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Resize: sizes, or floor(in * scale) in float as ONNX computes it, on attr axes (or all). */
static int
sh_resize(Graph *g, NodeId n, Diag *d)
{
    const ResizeAttr *a = &g->node[n].attr->resize;
    const Value *x = input(g, n, 0), *sc = input(g, n, 2), *sz = input(g, n, 3);
    int axes[IR_MAXRANK], seen[IR_MAXRANK] = {0}, na;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (a->axes.n > x->rank)
        return diag_node(d, g, n, "axes has %d values, more than the rank of %s", a->axes.n,
                         desc(x).s);
    na = a->axes.n ? a->axes.n : x->rank;
    for (int i = 0; i < na; i++) {
        if (a->axes.n == 0)
            axes[i] = i;
        else if (axis_in(g, n, d, a->axes.v[i], x->rank, &axes[i]) < 0)
            return -1;
        if (seen[axes[i]]++)
            return diag_node(d, g, n, "axis %d is repeated", axes[i]);
    }
    if (sc && sc->rank >= 0 && ir_numel(sc) == 0) /* an empty input counts as absent */
        sc = NULL;
    if (sz && sz->rank >= 0 && ir_numel(sz) == 0)
        sz = NULL;
    if (!sc == !sz)
        return diag_node(d, g, n, "exactly one of scales and sizes must be given");
    if (sc && sc->dt != DT_F32 && sc->dt != DT_UNDEF)
        return diag_node(d, g, n, "scales %s must be float32", desc(sc).s);
    if ((sz && want_dtype(g, n, d, 3, DT_I64) < 0) || want_rank(g, n, d, sc ? 2 : 3, 1, 1) < 0)
        return -1;
    if (sc && a->policy != AR_STRETCH)
        return diag_node(d, g, n, "keep_aspect_ratio_policy needs sizes, not scales");
    const Value *p = sc ? sc : sz;
    Shape s = shape_of(x);
    if (!(p->flags & V_CONST)) {
        for (int i = 0; i < na; i++)
            s.dim[axes[i]] = -1;
        set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    if (ir_numel(p) != na)
        return diag_node(d, g, n, "%s has %" PRId64 " values, expected %d", desc(p).s, ir_numel(p),
                         na);
    float scale = a->policy == AR_NOT_LARGER ? INFINITY : 0.0f;
    int dyn = 0;
    for (int i = 0; sz && a->policy != AR_STRETCH && i < na; i++) {
        int64_t in = x->dim[axes[i]];
        float r = (float)ir_const_i(sz, i) / (float)in;
        dyn |= in < 0;
        scale = a->policy == AR_NOT_LARGER ? fminf(scale, r) : fmaxf(scale, r);
    }
    for (int i = 0; i < na; i++) {
        int64_t in = x->dim[axes[i]], out;
        if (sc) {
            float f = (float)ir_const_f(sc, i);
            if (!(f > 0) || !isfinite(f))
                return diag_node(d, g, n, "scale %g for axis %d must be positive", (double)f,
                                 axes[i]);
            double o = in < 0 ? -1 : floor((double)((float)in * f));
            if (o > 4.6e18)
                return overflow(g, n, d);
            out = (int64_t)o;
        } else if (a->policy == AR_STRETCH) {
            out = ir_const_i(sz, i);
            if (out < 0)
                return diag_node(d, g, n, "sizes[%d] = %" PRId64 " is negative", i, out);
        } else {
            double o = in < 0 || dyn ? -1 : (double)roundf(scale * (float)in);
            if (!(o >= -1 && o < 4.6e18))
                return diag_node(d, g, n, "sizes give no valid output size for axis %d", axes[i]);
            out = (int64_t)o;
        }
        s.dim[axes[i]] = out;
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Shape: a 1-D int64 of end - start dims (opset 15 slicing); the length needs only the rank. */
static int
sh_shape(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int64_t start, end;
    Shape s = {.rank = 1, .dim = {-1}};
    (void)d;
    if (x->rank >= 0) {
        shape_range(x->rank, &g->node[n].attr->shape, &start, &end);
        s.dim[0] = end - start;
    }
    set_out(g, n, 0, DT_I64, &s);
    return 0;
}

/* Size: an int64 scalar. */
static int
sh_size(Graph *g, NodeId n, Diag *d)
{
    Shape s = {.rank = 0};
    (void)d;
    set_out(g, n, 0, DT_I64, &s);
    return 0;
}

/*
 * Per sliced axis, ONNX's rules: negative starts/ends count from the end (INT64_MIN and INT64_MAX
 * act as -inf and +inf); then for a positive step both clamp to [0, dim], for a negative step start
 * clamps to [0, dim-1] and end to [-1, dim-1]; the length is ceil((end - start) / step), at least
 * 0.
 */
int
ir_slice_plan(Graph *g, NodeId n, Diag *d, int64_t start[IR_MAXRANK], int64_t step[IR_MAXRANK],
              int64_t len[IR_MAXRANK])
{
    const Value *x = input(g, n, 0);
    int64_t st[IR_MAXRANK], en[IR_MAXRANK], axes[IR_MAXRANK], sp[IR_MAXRANK];
    int ns = 0, ne = 0, na = 0, nsp = 0, seen[IR_MAXRANK] = {0}, ax, k;
    if (x->rank < 0)
        return 0;
    for (int i = 0; i < x->rank; i++) {
        start[i] = 0;
        step[i] = 1;
        len[i] = x->dim[i];
    }
    if ((k = const_ints(g, n, d, 1, st, IR_MAXRANK, &ns)) <= 0 ||
        (k = const_ints(g, n, d, 2, en, IR_MAXRANK, &ne)) <= 0 ||
        (input(g, n, 3) && (k = const_ints(g, n, d, 3, axes, IR_MAXRANK, &na)) <= 0) ||
        (input(g, n, 4) && (k = const_ints(g, n, d, 4, sp, IR_MAXRANK, &nsp)) <= 0))
        return k;
    if (ne != ns || (input(g, n, 3) && na != ns) || (input(g, n, 4) && nsp != ns))
        return diag_node(d, g, n, "starts, ends, axes and steps must have the same length");
    if (ns > x->rank)
        return diag_node(d, g, n, "starts has %d values, more than the rank of %s", ns, desc(x).s);
    for (int i = 0; i < ns; i++) {
        int64_t s = st[i], e = en[i], p = input(g, n, 4) ? sp[i] : 1, dim;
        if (axis_in(g, n, d, input(g, n, 3) ? axes[i] : i, x->rank, &ax) < 0)
            return -1;
        if (seen[ax]++)
            return diag_node(d, g, n, "axis %d is repeated", ax);
        if (p == 0)
            return diag_node(d, g, n, "steps[%d] is zero", i);
        step[ax] = p;
        if ((dim = x->dim[ax]) < 0) {
            len[ax] = -1;
            continue;
        }
        s = s < 0 ? s + dim : s; /* no overflow: dim >= 0 */
        e = e < 0 ? e + dim : e;
        if (p > 0) { /* clamp to [0, dim] */
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            len[ax] = e > s ? (e - s - 1) / p + 1 : 0;
        } else { /* clamp to [0, dim-1] and [-1, dim-1] */
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            len[ax] = s > e ? (int64_t)((uint64_t)(s - e - 1) / (0 - (uint64_t)p)) + 1 : 0;
        }
        start[ax] = s;
    }
    return 1;
}

/* Slice: lengths from ir_slice_plan; with non-constant bounds only the rank is known. */
static int
sh_slice(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int64_t start[IR_MAXRANK], step[IR_MAXRANK];
    Shape s = {.rank = x->rank};
    int k = ir_slice_plan(g, n, d, start, step, s.dim);
    if (k < 0)
        return -1;
    if (k == 0 && x->rank >= 0)
        s = dynamic(x->rank);
    set_out(g, n, 0, x->dt, x->rank >= 0 ? &s : NULL);
    return 0;
}

/* Split: sizes from input 1, or num_outputs (or the output count) chunks of ceil(dim / n) with a
 * smaller last one (opset 18); without num_outputs the split must be even (opset <= 17). */
static int
sh_split(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a = input(g, n, 0), *sp = input(g, n, 1);
    int64_t no = x->attr->split.num_outputs, sum = 0, chunk;
    int ax;
    if (want_dtype(g, n, d, 1, DT_I64) < 0 || want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    if (a->rank < 0)
        return unknown(g, n, a->dt);
    if (want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        axis_in(g, n, d, x->attr->split.axis, a->rank, &ax) < 0)
        return -1;
    Shape s = shape_of(a);
    int64_t dim = a->dim[ax];
    if (sp) {
        if (!(sp->flags & V_CONST)) {
            s.dim[ax] = -1;
            for (int i = 0; i < x->nout; i++)
                set_out(g, n, i, a->dt, &s);
            return 0;
        }
        if (ir_numel(sp) != x->nout)
            return diag_node(d, g, n, "split %s has %" PRId64 " values for %d outputs", desc(sp).s,
                             ir_numel(sp), x->nout);
        for (int i = 0; i < x->nout; i++) {
            s.dim[ax] = ir_const_i(sp, i);
            if (s.dim[ax] < 0 || add_ov(sum, s.dim[ax], &sum))
                return diag_node(d, g, n, "split[%d] = %" PRId64 " is invalid", i, s.dim[ax]);
            set_out(g, n, i, a->dt, &s);
        }
        if (dim >= 0 && sum != dim)
            return diag_node(d, g, n,
                             "split sizes add up to %" PRId64 ", but axis %d of %s has %" PRId64,
                             sum, ax, desc(a).s, dim);
        return 0;
    }
    if (no != 0 && no != x->nout)
        return diag_node(d, g, n, "num_outputs is %" PRId64 ", but the node has %d outputs", no,
                         x->nout);
    if (dim >= 0 && no == 0 && dim % x->nout != 0)
        return diag_node(d, g, n, "axis %d of %s does not split evenly into %d outputs", ax,
                         desc(a).s, x->nout);
    chunk = dim < 0 ? -1 : dim / x->nout + (dim % x->nout != 0);
    for (int i = 0; i < x->nout; i++) {
        s.dim[ax] = chunk;
        if (i == x->nout - 1 && dim >= 0) {
            s.dim[ax] = dim - chunk * (x->nout - 1); /* chunk * (nout-1) < dim + nout */
            if (s.dim[ax] < 0)
                return diag_node(d, g, n, "axis %d of %s is too small for %d outputs", ax,
                                 desc(a).s, x->nout);
        }
        set_out(g, n, i, a->dt, &s);
    }
    return 0;
}

/* Squeeze: drops the given axes, which must have size 1, or without axes every dim of size 1
 * (which needs all dims known). */
static int
sh_squeeze(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int64_t axes[IR_MAXRANK];
    int cnt = 0, drop[IR_MAXRANK] = {0}, ax;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (input(g, n, 1)) {
        int k = const_ints(g, n, d, 1, axes, IR_MAXRANK, &cnt);
        if (k <= 0)
            return k < 0 ? -1 : unknown(g, n, x->dt);
        for (int i = 0; i < cnt; i++) {
            if (axis_in(g, n, d, axes[i], x->rank, &ax) < 0)
                return -1;
            if (drop[ax]++)
                return diag_node(d, g, n, "axis %d is repeated", ax);
            if (x->dim[ax] >= 0 && x->dim[ax] != 1)
                return diag_node(d, g, n, "cannot squeeze axis %d of %s: its size is not 1", ax,
                                 desc(x).s);
        }
    } else { /* no axes: every dim of size 1, so every dim must be known */
        for (int i = 0; i < x->rank; i++) {
            if (x->dim[i] < 0)
                return unknown(g, n, x->dt);
            drop[i] = x->dim[i] == 1;
        }
    }
    Shape s = {.rank = 0};
    for (int i = 0; i < x->rank; i++)
        if (!drop[i])
            s.dim[s.rank++] = x->dim[i];
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Tile: each dim times its repeat (int64, one per dim, non-negative). */
static int
sh_tile(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    int64_t rep[IR_MAXRANK];
    int cnt = 0;
    if (want_dtype(g, n, d, 1, DT_I64) < 0 || want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    int k = const_ints(g, n, d, 1, rep, IR_MAXRANK, &cnt);
    Shape s = dynamic(x->rank);
    if (k < 0)
        return -1;
    if (k > 0 && cnt != x->rank)
        return diag_node(d, g, n, "repeats has %d values, expected %d (the rank of %s)", cnt,
                         x->rank, desc(x).s);
    for (int i = 0; k > 0 && i < x->rank; i++) {
        if (rep[i] < 0)
            return diag_node(d, g, n, "repeats[%d] = %" PRId64 " is negative", i, rep[i]);
        if (x->dim[i] < 0)
            s.dim[i] = rep[i] == 0 ? 0 : -1;
        else if (mul_ov(x->dim[i], rep[i], &s.dim[i]))
            return overflow(g, n, d);
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Transpose: dim i of the output is dim perm[i] of the input; no perm reverses the dims. */
static int
sh_transpose(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0);
    const Ints *perm = &g->node[n].attr->perm.perm;
    int seen[IR_MAXRANK] = {0};
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    if (perm->n != 0 && perm->n != x->rank)
        return diag_node(d, g, n, "perm has %d values, expected %d (the rank of %s)", perm->n,
                         x->rank, desc(x).s);
    Shape s = {.rank = x->rank};
    for (int i = 0; i < x->rank; i++) {
        int64_t p = perm->n ? perm->v[i] : x->rank - 1 - i;
        if (p < 0 || p >= x->rank || seen[p]++)
            return diag_node(d, g, n, "perm is not a permutation of 0..%d", x->rank - 1);
        s.dim[i] = x->dim[p];
    }
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Unsqueeze: the axes (input 1) index the output, whose rank is rank(X) + len(axes). */
static int
sh_unsqueeze(Graph *g, NodeId n, Diag *d)
{
    const Value *x = input(g, n, 0), *av = input(g, n, 1);
    int64_t axes[IR_MAXRANK];
    int cnt = 0, ins[IR_MAXRANK] = {0}, ax;
    if (x->rank < 0)
        return unknown(g, n, x->dt);
    int k = const_ints(g, n, d, 1, axes, IR_MAXRANK, &cnt);
    if (k < 0)
        return -1;
    if (k == 0) {
        int64_t m = av->rank == 0 ? 1 : av->rank == 1 ? av->dim[0] : -1;
        if (m < 0 || x->rank + m > IR_MAXRANK)
            return unknown(g, n, x->dt);
        Shape s = dynamic(x->rank + (int)m);
        set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    int r = x->rank + cnt;
    if (r > IR_MAXRANK)
        return diag_node(d, g, n, "the output would have rank %d, more than %d", r, IR_MAXRANK);
    for (int i = 0; i < cnt; i++) {
        if (axis_in(g, n, d, axes[i], r, &ax) < 0)
            return -1;
        if (ins[ax]++)
            return diag_node(d, g, n, "axis %d is repeated", ax);
    }
    Shape s = {.rank = r};
    for (int i = 0, j = 0; i < r; i++)
        s.dim[i] = ins[i] ? 1 : x->dim[j++];
    set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

typedef int InferFn(Graph *g, NodeId n, Diag *d);

static InferFn *const infer[SH_COUNT] = {
    [SH_NONE] = sh_none,
    [SH_SAME] = sh_same,
    [SH_BOOL] = sh_bool,
    [SH_BCAST] = sh_bcast,
    [SH_CMP] = sh_cmp,
    [SH_WHERE] = sh_where,
    [SH_CONV] = sh_conv,
    [SH_CONVT] = sh_convt,
    [SH_GEMM] = sh_gemm,
    [SH_MATMUL] = sh_matmul,
    [SH_POOL] = sh_pool,
    [SH_GPOOL] = sh_gpool,
    [SH_LAYERNORM] = sh_layernorm,
    [SH_ARGRED] = sh_argred,
    [SH_REDUCE] = sh_reduce,
    [SH_CAST] = sh_cast,
    [SH_CASTLIKE] = sh_castlike,
    [SH_CONCAT] = sh_concat,
    [SH_CONSTSHAPE] = sh_constshape,
    [SH_D2S] = sh_d2s,
    [SH_S2D] = sh_s2d,
    [SH_DROPOUT] = sh_dropout,
    [SH_EXPAND] = sh_expand,
    [SH_FLATTEN] = sh_flatten,
    [SH_GATHER] = sh_gather,
    [SH_GATHERELT] = sh_gatherelt,
    [SH_PAD] = sh_pad,
    [SH_RANGE] = sh_range,
    [SH_RESHAPE] = sh_reshape,
    [SH_RESIZE] = sh_resize,
    [SH_SHAPE] = sh_shape,
    [SH_SIZE] = sh_size,
    [SH_SLICE] = sh_slice,
    [SH_SPLIT] = sh_split,
    [SH_SQUEEZE] = sh_squeeze,
    [SH_TILE] = sh_tile,
    [SH_TRANSPOSE] = sh_transpose,
    [SH_UNSQUEEZE] = sh_unsqueeze,
};

/* Clears the outputs (so a second run never keeps stale data), checks that required inputs are
 * present, runs the shape class, then rejects outputs whose element count overflows int64. */
int
ir_infer_node(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    if (x->op == OP_NOP)
        return 0;
    const OpInfo *oi = &ir_op[x->op];
    for (int i = 0; i < x->nout; i++) { /* forget what an earlier run computed */
        Value *v = output(g, n, i);
        if (v) {
            v->flags &= ~(unsigned)V_CONST;
            v->data = NULL;
            v->rank = -1;
        }
    }
    for (int i = 0; i < oi->inmin && x->op != OP_UNKNOWN; i++)
        if (!input(g, n, i))
            return diag_node(d, g, n, "required input %d is missing", i);
    IR_ASSERT(infer[oi->shape] != NULL);
    if (infer[oi->shape](g, n, d) < 0)
        return -1;
    for (int i = 0; i < x->nout; i++) {
        const Value *v = output(g, n, i);
        int known = 1;
        if (!v || v->rank < 0)
            continue;
        IR_ASSERT(v->rank <= IR_MAXRANK);
        for (int k = 0; k < v->rank; k++) {
            IR_ASSERT(v->dim[k] >= -1);
            known &= v->dim[k] >= 0;
        }
        if (known && ir_numel(v) < 0)
            return diag_node(d, g, n, "output %d %s has more elements than int64 can count", i,
                             desc(v).s);
    }
    return 0;
}

/* Whether ir_fold_node can evaluate node n now: an F_FOLD op whose inputs are constants (Shape
 * and Size only need the input's shape) and whose outputs are known and small enough. */
static int
foldable(Graph *g, NodeId n)
{
    const Node *x = &g->node[n];
    int any = 0;
    if (!(ir_op[x->op].flags & F_FOLD))
        return 0;
    for (int i = 0; i < x->nin; i++) {
        const Value *v = input(g, n, i);
        if (!v)
            continue;
        if (x->op == OP_SHAPE || x->op == OP_SIZE ? v->rank < 0 : !(v->flags & V_CONST))
            return 0;
    }
    for (int i = 0; i < x->nout; i++) {
        const Value *v = output(g, n, i);
        if (!v)
            continue;
        if (!ir_shape_known(v) || ir_numel(v) > IR_FOLD_MAX)
            return 0;
        any = 1;
    }
    return any;
}

/* One pass in node order: inputs are inferred (and possibly folded) before their users. */
int
ir_infer(Graph *g, Diag *d)
{
    for (NodeId n = 0; n < g->nnode; n++) {
        if (g->node[n].op == OP_NOP)
            continue;
        if (ir_infer_node(g, n, d) < 0)
            return -1;
        if (foldable(g, n) && ir_fold_node(g, n, d) < 0)
            return -1;
    }
    return 0;
}
