/*
 * shape_conv.c: shape inference of the windowed ops: Conv, ConvTranspose, the pools and the
 * global pools (dispatched from shape.c's table). A Window gathers, per spatial axis, the kernel
 * size, stride, dilation and the two pads, from the attributes and auto_pad, once; the output
 * sizes follow ONNX's formulas (ceil_mode, SAME_UPPER/LOWER, ConvTranspose's output_padding and
 * output_shape). Bad attributes or mismatched channels are diagnostics; unknown input dims give
 * dynamic output dims.
 */
#include "ir.h"
#include "shape_impl.h"

#include <inttypes.h>
#include <string.h>

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
        return ir_sh_overflow(g, n, d);
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
        return ir_sh_overflow(g, n, d);
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
    return ir_sh_per_channel(g, n, d, 2, m);
}

/*
 * Conv: X [N, C, D1..Dn], W [M, C/group, k1..kn], optional B [M]; Y [N, M, O1..On] with each Oi
 * from window_out. kernel_shape, when given, must agree with W.
 */
int
ir_sh_conv(Graph *g, NodeId n, Diag *d)
{
    const ConvAttr *a = &g->node[n].attr->conv;
    OpKind op = g->node[n].op;
    int wi = ir_op_weight_in(op);
    const Value *x = ir_sh_input(g, n, 0), *w = ir_sh_input(g, n, wi);
    Window win;
    int64_t cg;
    /* ConvInteger: int8 or uint8 X and W, zero points rather than a bias, an int32 result;
     * QLinearConv: 8-bit X, W and Y, with scales, zero points and an int32 bias (input 8) */
    int integer = op == OP_CONVINTEGER, qlin = op == OP_QLINEARCONV;
    DType dt = integer ? DT_I32 : x->dt;
    if (qlin ? ir_sh_qlinear(g, n, d, &dt) < 0
             : integer ? ir_sh_integer(g, n, d) < 0
                       : (ir_sh_want_dtype(g, n, d, 1, x->dt) < 0 ||
                          ir_sh_want_dtype(g, n, d, 2, x->dt) < 0))
        return -1;
    if (x->rank < 0 || w->rank < 0)
        return ir_sh_unknown(g, n, dt);
    if (ir_sh_want_rank(g, n, d, 0, 3, IR_MAXRANK) < 0 ||
        ir_sh_want_rank(g, n, d, wi, x->rank, x->rank) < 0)
        return -1;
    if (a->group < 1)
        return diag_node(d, g, n, "group %" PRId64 " must be positive", a->group);
    int64_t c = x->dim[1], m = w->dim[0];
    if (c >= 0 && w->dim[1] >= 0 && (mul_ov(w->dim[1], a->group, &cg) || c != cg))
        return diag_node(
            d, g, n, "X %s has %" PRId64 " channels, but W %s expects %" PRId64 " x group %" PRId64,
            ir_sh_desc(x).s, c, ir_sh_desc(w).s, w->dim[1], a->group);
    if (m >= 0 && m % a->group != 0)
        return diag_node(d, g, n,
                         "W %s has %" PRId64 " output channels, not a multiple of group %" PRId64,
                         ir_sh_desc(w).s, m, a->group);
    int ns = x->rank - 2;
    if ((!integer && !qlin && bias(g, n, d, m) < 0) ||
        window_get(g, n, d, &win, ns, &a->kernel, &a->strides, &a->dilations, &a->pads,
                   w->dim + 2) < 0)
        return -1;
    Shape s = {.rank = x->rank, .dim = {x->dim[0], m}};
    for (int i = 0; i < ns; i++)
        if (window_out(g, n, d, &win, i, x->dim[2 + i], a->auto_pad, 0, &s.dim[2 + i]) < 0)
            return -1;
    ir_sh_set_out(g, n, 0, dt, &s);
    return 0;
}

/*
 * ConvTranspose: out = stride * (in - 1) + output_padding + extent - pads, or output_shape when
 * given. SAME_* aims at in * stride; when the kernel is too small to reach it (negative total
 * padding) ONNX Runtime clamps the padding at 0, and so do we.
 */
int
ir_sh_convt(Graph *g, NodeId n, Diag *d)
{
    const ConvAttr *a = &g->node[n].attr->conv;
    const Value *x = ir_sh_input(g, n, 0), *w = ir_sh_input(g, n, 1);
    Window win;
    int64_t m = -1;
    if (ir_sh_want_dtype(g, n, d, 1, x->dt) < 0 || ir_sh_want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0 || w->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 3, IR_MAXRANK) < 0 ||
        ir_sh_want_rank(g, n, d, 1, x->rank, x->rank) < 0)
        return -1;
    if (a->group < 1)
        return diag_node(d, g, n, "group %" PRId64 " must be positive", a->group);
    int64_t c = x->dim[1];
    if (c >= 0 && w->dim[0] >= 0 && c != w->dim[0])
        return diag_node(d, g, n, "X %s has %" PRId64 " channels, but W %s expects %" PRId64,
                         ir_sh_desc(x).s, c, ir_sh_desc(w).s, w->dim[0]);
    if (c >= 0 && c % a->group != 0)
        return diag_node(d, g, n, "%" PRId64 " input channels are not a multiple of group %" PRId64,
                         c, a->group);
    if (w->dim[1] >= 0 && mul_ov(w->dim[1], a->group, &m))
        return ir_sh_overflow(g, n, d);
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
                return ir_sh_overflow(g, n, d);
            if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
                if (mul_ov(in, win.s[i], &full))
                    return ir_sh_overflow(g, n, d);
                out = out < full ? out : full;
            } else if (a->auto_pad == PAD_NOTSET &&
                       (sub_ov(out, win.pb[i], &out) || sub_ov(out, win.pe[i], &out))) {
                return ir_sh_overflow(g, n, d);
            }
        }
        if (out < 1)
            return diag_node(d, g, n, "spatial axis %d: output size %" PRId64 " is not positive", i,
                             out);
        s.dim[2 + i] = out;
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* AveragePool, MaxPool, LpPool: kernel_shape is required; channels pass through. MaxPool's
 * optional Indices output is int64 with Y's shape. */
int
ir_sh_pool(Graph *g, NodeId n, Diag *d)
{
    const PoolAttr *a = &g->node[n].attr->pool;
    const Value *x = ir_sh_input(g, n, 0);
    Window win;
    if (x->rank < 0) {
        ir_sh_set_out(g, n, 0, x->dt, NULL);
        ir_sh_set_out(g, n, 1, DT_I64, NULL);
        return 0;
    }
    if (ir_sh_want_rank(g, n, d, 0, 3, IR_MAXRANK) < 0)
        return -1;
    int ns = x->rank - 2;
    if (window_get(g, n, d, &win, ns, &a->kernel, &a->strides, &a->dilations, &a->pads, NULL) < 0)
        return -1;
    Shape s = {.rank = x->rank, .dim = {x->dim[0], x->dim[1]}};
    for (int i = 0; i < ns; i++)
        if (window_out(g, n, d, &win, i, x->dim[2 + i], a->auto_pad, a->ceil_mode, &s.dim[2 + i]) <
            0)
            return -1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    ir_sh_set_out(g, n, 1, DT_I64, &s); /* MaxPool's Indices */
    return 0;
}

/* GlobalAveragePool, GlobalMaxPool: [N, C, D1..Dn] -> [N, C, 1..1]. */
int
ir_sh_gpool(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 2, IR_MAXRANK) < 0)
        return -1;
    Shape s = {.rank = x->rank, .dim = {x->dim[0], x->dim[1]}};
    for (int i = 2; i < x->rank; i++)
        s.dim[i] = 1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}
