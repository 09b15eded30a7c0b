/*
 * shape_data.c: the shape classes of the data-movement ops, whose output dims come from the
 * input's dims and from attributes or small integer inputs: Concat, Gather, Pad, Reshape, Resize,
 * Slice, Split, Transpose and the like. Also ir_slice_plan, which fold.c reuses.
 *
 * Each class keeps the contract described in shape.c: check the inputs against the ONNX rules,
 * then set the outputs' dtype and shape (known, unknown rank, or -1 for dynamic dims), or report
 * one diagnostic and return -1. Many shapes here depend on the values of an input (Reshape's
 * shape, Slice's starts, Pad's pads): ir_sh_const_ints reads them when they are constants, and
 * otherwise the output keeps what is still known, often the rank. The functions are reached
 * through the dispatch table in shape.c, which sees them via shape_impl.h.
 */
#include "ir.h"
#include "shape_impl.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Concat: inputs of one dtype and rank joined along axis (negative allowed); the other dims must
 * agree, a dynamic one taking the others' size. */
int
ir_sh_concat(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a = ir_sh_input(g, n, 0);
    int ax;
    for (int i = 0; i < x->nin; i++) {
        if (!ir_sh_input(g, n, i))
            return diag_node(d, g, n, "input %d is missing", i);
        if (ir_sh_want_dtype(g, n, d, i, a->dt) < 0)
            return -1;
        if (ir_sh_input(g, n, i)->rank < 0)
            return ir_sh_unknown(g, n, a->dt);
    }
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_axis_in(g, n, d, x->attr->axis.axis, a->rank, &ax) < 0)
        return -1;
    Shape s = ir_sh_shape_of(a);
    for (int i = 1; i < x->nin; i++) {
        const Value *v = ir_sh_input(g, n, i);
        if (ir_sh_want_rank(g, n, d, i, a->rank, a->rank) < 0)
            return -1;
        for (int k = 0; k < a->rank; k++) {
            if (k == ax) {
                if (s.dim[k] < 0 || v->dim[k] < 0)
                    s.dim[k] = -1;
                else if (add_ov(s.dim[k], v->dim[k], &s.dim[k]))
                    return ir_sh_overflow(g, n, d);
            } else if (s.dim[k] < 0) {
                s.dim[k] = v->dim[k];
            } else if (v->dim[k] >= 0 && v->dim[k] != s.dim[k]) {
                return diag_node(d, g, n, "input %d %s does not match input 0 %s outside axis %d",
                                 i, ir_sh_desc(v).s, ir_sh_desc(a).s, ax);
            }
        }
    }
    ir_sh_set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* ConstantOfShape: the 1-D int64 shape input gives the dims (empty: a scalar); the dtype is the
 * fill value's (float32 when no value is given). */
int
ir_sh_constshape(Graph *g, NodeId n, Diag *d)
{
    const Value *sh = ir_sh_input(g, n, 0);
    DType dt = g->node[n].attr->cst.dt ? g->node[n].attr->cst.dt : DT_F32;
    int64_t v[IR_MAXRANK];
    int cnt = 0;
    if (ir_sh_want_dtype(g, n, d, 0, DT_I64) < 0 || ir_sh_want_rank(g, n, d, 0, 1, 1) < 0)
        return -1;
    int k = ir_sh_const_ints(g, n, d, 0, v, IR_MAXRANK, &cnt);
    if (k < 0)
        return -1;
    if (k == 0) { /* the rank is the shape input's length, even if its values are unknown */
        if (sh->rank != 1 || sh->dim[0] < 0)
            return ir_sh_unknown(g, n, dt);
        if (sh->dim[0] > IR_MAXRANK)
            return diag_node(d, g, n, "shape %s has more than %d dims", ir_sh_desc(sh).s,
                             IR_MAXRANK);
        Shape s = ir_sh_dynamic((int)sh->dim[0]);
        ir_sh_set_out(g, n, 0, dt, &s);
        return 0;
    }
    Shape s = {.rank = cnt};
    for (int i = 0; i < cnt; i++) {
        if (v[i] < 0)
            return diag_node(d, g, n, "shape[%d] = %" PRId64 " is negative", i, v[i]);
        s.dim[i] = v[i];
    }
    ir_sh_set_out(g, n, 0, dt, &s);
    return 0;
}

/* DepthToSpace (d2s = 1) and SpaceToDepth (d2s = 0) on NCHW. */
static int
block(Graph *g, NodeId n, Diag *d, int d2s)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t b = g->node[n].attr->block.blocksize, bb;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 4, 4) < 0)
        return -1;
    if (b < 1 || mul_ov(b, b, &bb))
        return diag_node(d, g, n, "blocksize %" PRId64 " is invalid", b);
    Shape s = ir_sh_shape_of(x);
    for (int i = 1; i < 4; i++) {
        int64_t v = x->dim[i], div = i == 1 ? bb : b;
        if (v < 0)
            continue;
        if ((i == 1) == d2s) { /* this dim shrinks */
            if (v % div != 0)
                return diag_node(d, g, n, "dim %d of %s is not a multiple of %" PRId64, i,
                                 ir_sh_desc(x).s, div);
            s.dim[i] = v / div;
        } else if (mul_ov(v, div, &s.dim[i])) {
            return ir_sh_overflow(g, n, d);
        }
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* DepthToSpace: [N, C, H, W] -> [N, C/b^2, H*b, W*b]. */
int
ir_sh_d2s(Graph *g, NodeId n, Diag *d)
{
    return block(g, n, d, 1);
}

/* SpaceToDepth: [N, C, H, W] -> [N, C*b^2, H/b, W/b]. */
int
ir_sh_s2d(Graph *g, NodeId n, Diag *d)
{
    return block(g, n, d, 0);
}

/* Dropout: output 0 is the input; the optional mask is bool of the same shape. */
int
ir_sh_dropout(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    Shape s = ir_sh_shape_of(x);
    (void)d;
    ir_sh_set_out(g, n, 0, x->dt, x->rank >= 0 ? &s : NULL);
    ir_sh_set_out(g, n, 1, DT_BOOL, x->rank >= 0 ? &s : NULL); /* mask */
    return 0;
}

/* Expand: the input broadcast with the 1-D int64 shape input, both ways (a 1 in the shape keeps
 * the input's dim). */
int
ir_sh_expand(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *sh = ir_sh_input(g, n, 1);
    int64_t v[IR_MAXRANK];
    int cnt = 0;
    Shape s;
    if (ir_sh_want_dtype(g, n, d, 1, DT_I64) < 0 || ir_sh_want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    int k = ir_sh_const_ints(g, n, d, 1, v, IR_MAXRANK, &cnt);
    if (k < 0)
        return -1;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (k == 0) {
        if (sh->rank != 1 || sh->dim[0] < 0 || sh->dim[0] > IR_MAXRANK)
            return ir_sh_unknown(g, n, x->dt);
        s = ir_sh_dynamic(x->rank > sh->dim[0] ? x->rank : (int)sh->dim[0]);
        ir_sh_set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    for (int i = 0; i < cnt; i++)
        if (v[i] < 0)
            return diag_node(d, g, n, "shape[%d] = %" PRId64 " is negative", i, v[i]);
    if (ir_sh_bcast2(x->dim, x->rank, v, cnt, &s) < 0) {
        Value tmp = {.name = sh->name, .dt = DT_I64, .rank = cnt};
        memcpy(tmp.dim, v, (size_t)cnt * sizeof *v);
        return diag_node(d, g, n, "input %s cannot be expanded to the shape %s", ir_sh_desc(x).s,
                         ir_sh_desc(&tmp).s);
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Flatten: [d0..d(axis-1)] x [d(axis)..] as a 2-D tensor; axis in [-r, r]. */
int
ir_sh_flatten(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t axis = g->node[n].attr->axis.axis;
    Shape s = {.rank = 2};
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (axis < -x->rank || axis > x->rank)
        return diag_node(d, g, n, "axis %" PRId64 " is out of range [%d, %d]", axis, -x->rank,
                         x->rank);
    int ax = (int)(axis < 0 ? axis + x->rank : axis);
    if (ir_sh_product(g, n, d, x->dim, 0, ax, &s.dim[0]) < 0 ||
        ir_sh_product(g, n, d, x->dim, ax, x->rank, &s.dim[1]) < 0)
        return -1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Gather: data.shape[:axis] + indices.shape + data.shape[axis+1:]; constant indices are checked
 * against the axis, negative ones counting from its end. */
int
ir_sh_gather(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *ix = ir_sh_input(g, n, 1);
    int ax;
    if (ir_sh_want_index(g, n, d, 1) < 0)
        return -1;
    if (x->rank < 0 || ix->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
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
                                 ax, ir_sh_desc(x).s);
        }
    }
    Shape s = {.rank = 0};
    for (int i = 0; i < ax; i++)
        s.dim[s.rank++] = x->dim[i];
    for (int i = 0; i < ix->rank; i++)
        s.dim[s.rank++] = ix->dim[i];
    for (int i = ax + 1; i < x->rank; i++)
        s.dim[s.rank++] = x->dim[i];
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* GatherElements: the output has the indices' shape; data and indices share the rank. */
int
ir_sh_gatherelt(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *ix = ir_sh_input(g, n, 1);
    int ax;
    Shape s = ir_sh_shape_of(ix);
    if (ir_sh_want_index(g, n, d, 1) < 0)
        return -1;
    if (x->rank < 0 || ix->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_want_rank(g, n, d, 1, x->rank, x->rank) < 0 ||
        ir_sh_axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
        return -1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Constant indices [..., k] checked against dims[0..k) of the data: component j of each index
 * lies in [-dims[j], dims[j]) where that dim is known. */
static int
check_nd_indices(Graph *g, NodeId n, Diag *d, const Value *ix, const int64_t *dims, int64_t k)
{
    if (!(ix->flags & V_CONST) || k <= 0)
        return 0;
    for (int64_t j = 0; j < ir_numel(ix); j++) {
        int64_t v = ir_const_i(ix, j), dim = dims[j % k];
        if (dim >= 0 && (v < -dim || v >= dim))
            return diag_node(d, g, n, "index %" PRId64 " is out of range [%" PRId64 ", %" PRId64
                             ") in %s", v, -dim, dim, ir_sh_desc(ix).s);
    }
    return 0;
}

/* GatherND: each index [..., k] of the indices picks a slice of the data below the b = batch_dims
 * leading dims that both share: the output is indices.shape[:-1] + data.shape[b + k:], with
 * 1 <= k <= rank(data) - b. */
int
ir_sh_gathernd(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *ix = ir_sh_input(g, n, 1);
    int64_t b = g->node[n].attr->mode.mode;
    if (ir_sh_want_index(g, n, d, 1) < 0)
        return -1;
    if (x->rank < 0 || ix->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_want_rank(g, n, d, 1, 1, IR_MAXRANK) < 0)
        return -1;
    int q = ix->rank, r = x->rank;
    if (b < 0 || b >= q || b >= r)
        return diag_node(d, g, n, "batch_dims %" PRId64 " is out of range [0, %d)", b,
                         q < r ? q : r);
    Shape s = {.rank = 0};
    for (int i = 0; i < q - 1; i++) { /* the batch dims: whichever side knows them */
        s.dim[s.rank++] = i < b && ix->dim[i] < 0 ? x->dim[i] : ix->dim[i];
        if (i < b && x->dim[i] >= 0 && ix->dim[i] >= 0 && x->dim[i] != ix->dim[i])
            return diag_node(d, g, n, "the first %" PRId64 " dims of %s and %s differ", b,
                             ir_sh_desc(x).s, ir_sh_desc(ix).s);
    }
    int64_t k = ix->dim[q - 1];
    if (k < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (k < 1 || k > r - b)
        return diag_node(d, g, n, "indices %s end in %" PRId64 ", expected 1 to %" PRId64,
                         ir_sh_desc(ix).s, k, r - b);
    if (s.rank + r - b - k > IR_MAXRANK)
        return diag_node(d, g, n, "the output would have rank %" PRId64 ", more than %d",
                         s.rank + r - b - k, IR_MAXRANK);
    for (int64_t i = b + k; i < r; i++)
        s.dim[s.rank++] = x->dim[i];
    if (check_nd_indices(g, n, d, ix, x->dim + b, k) < 0)
        return -1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* NonZero: int64 [rank, count], count the input's nonzero elements: known only when the input
 * is a constant (folding then fills it); otherwise the count is dynamic. */
int
ir_sh_nonzero(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    if (x->dt == DT_STRING || x->dt == DT_C64 || x->dt == DT_C128)
        return diag_node(d, g, n, "NonZero of %s is not supported", ir_sh_desc(x).s);
    if (x->rank < 0)
        return ir_sh_unknown(g, n, DT_I64);
    if (x->rank == 0)
        return diag_node(d, g, n, "NonZero of a scalar %s is not supported", ir_sh_desc(x).s);
    Shape s = {.rank = 2, .dim = {x->rank, -1}};
    int64_t numel = ir_numel(x);
    if ((x->flags & V_CONST) && ir_shape_known(x) && numel >= 0) {
        s.dim[1] = 0;
        for (int64_t i = 0; i < numel; i++) /* NaN counts: it is not zero */
            s.dim[1] += ir_const_f(x, i) != 0;
    }
    ir_sh_set_out(g, n, 0, DT_I64, &s);
    return 0;
}

/* Pad: pads (input 1) holds begins then ends, for every axis or for the axes of input 3. */
int
ir_sh_pad(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t pads[2 * IR_MAXRANK], axes[IR_MAXRANK];
    int np = 0, na = 0, seen[IR_MAXRANK] = {0}, ax;
    if (ir_sh_want_dtype(g, n, d, 1, DT_I64) < 0 || ir_sh_want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    int k = ir_sh_const_ints(g, n, d, 1, pads, 2 * IR_MAXRANK, &np);
    int ka = ir_sh_input(g, n, 3) ? ir_sh_const_ints(g, n, d, 3, axes, IR_MAXRANK, &na) : 1;
    if (k < 0 || ka < 0)
        return -1;
    Shape s = ir_sh_shape_of(x);
    if (k == 0 || ka == 0) {
        s = ir_sh_dynamic(x->rank);
        ir_sh_set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    if (!ir_sh_input(g, n, 3))
        for (na = 0; na < x->rank; na++)
            axes[na] = na;
    if (np != 2 * na)
        return diag_node(d, g, n, "pads has %d values, expected %d (2 x %d axes)", np, 2 * na, na);
    for (int i = 0; i < na; i++) {
        if (ir_sh_axis_in(g, n, d, axes[i], x->rank, &ax) < 0)
            return -1;
        if (seen[ax]++)
            return diag_node(d, g, n, "axis %d is repeated", ax);
        if (s.dim[ax] < 0)
            continue;
        if (add_ov(s.dim[ax], pads[i], &s.dim[ax]) || add_ov(s.dim[ax], pads[i + na], &s.dim[ax]))
            return ir_sh_overflow(g, n, d);
        if (s.dim[ax] < 0)
            return diag_node(d, g, n, "pads make axis %d of %s negative", ax, ir_sh_desc(x).s);
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Range: max(ceil((limit - start) / delta), 0) elements, exact for integer dtypes. */
int
ir_sh_range(Graph *g, NodeId n, Diag *d)
{
    const Value *st = ir_sh_input(g, n, 0), *li = ir_sh_input(g, n, 1), *de = ir_sh_input(g, n, 2);
    DType dt = st->dt;
    Shape s = {.rank = 1, .dim = {-1}};
    int64_t cnt;
    for (int i = 0; i < 3; i++) {
        const Value *v = ir_sh_input(g, n, i);
        if (ir_sh_want_dtype(g, n, d, i, dt) < 0)
            return -1;
        if (v->rank >= 0 && ir_numel(v) != 1)
            return diag_node(d, g, n, "input %d %s must be a scalar", i, ir_sh_desc(v).s);
    }
    if (!(st->flags & li->flags & de->flags & V_CONST)) {
        ir_sh_set_out(g, n, 0, dt, &s);
        return 0;
    }
    if (ir_dtype_is_int(dt)) {
        int64_t a = ir_const_i(st, 0), b = ir_const_i(li, 0), c = ir_const_i(de, 0), diff;
        if (c == 0)
            return diag_node(d, g, n, "delta is zero");
        if (sub_ov(b, a, &diff) || (diff == INT64_MIN && c == -1))
            return ir_sh_overflow(g, n, d);
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
    ir_sh_set_out(g, n, 0, dt, &s);
    return 0;
}

/* Reshape: 0 copies the input dim (unless allowzero), one -1 takes the remaining elements. */
int
ir_sh_reshape(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *sh = ir_sh_input(g, n, 1);
    int allowzero = g->node[n].attr->reshape.allowzero, cnt = 0, neg = -1, zero = 0;
    int64_t v[IR_MAXRANK], rest = 1, numel = ir_numel(x);
    if (ir_sh_want_dtype(g, n, d, 1, DT_I64) < 0 || ir_sh_want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    int k = ir_sh_const_ints(g, n, d, 1, v, IR_MAXRANK, &cnt);
    if (k <= 0) {
        if (k < 0 || sh->rank != 1 || sh->dim[0] < 0 || sh->dim[0] > IR_MAXRANK)
            return k < 0 ? -1 : ir_sh_unknown(g, n, x->dt);
        Shape s = ir_sh_dynamic((int)sh->dim[0]);
        ir_sh_set_out(g, n, 0, x->dt, &s);
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
                                 ir_sh_desc(x).s);
            s.dim[i] = x->rank >= 0 ? x->dim[i] : -1;
        }
        zero |= v[i] == 0 && allowzero;
        if (s.dim[i] < 0)
            rest = -1;
        else if (rest >= 0 && mul_ov(rest, s.dim[i], &rest))
            return ir_sh_overflow(g, n, d);
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
                             ir_sh_desc(x).s, numel, rest);
        else
            s.dim[neg] = numel / rest;
    } else if (numel >= 0 && rest >= 0 && numel != rest) {
        return diag_node(d, g, n,
                         "cannot reshape %s (%" PRId64 " elements) to %" PRId64 " elements",
                         ir_sh_desc(x).s, numel, rest);
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Resize: sizes, or floor(in * scale) in float as ONNX computes it, on attr axes (or all). */
int
ir_sh_resize(Graph *g, NodeId n, Diag *d)
{
    const ResizeAttr *a = &g->node[n].attr->resize;
    const Value *x = ir_sh_input(g, n, 0), *sc = ir_sh_input(g, n, 2), *sz = ir_sh_input(g, n, 3);
    int axes[IR_MAXRANK], seen[IR_MAXRANK] = {0}, na;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (a->axes.n > x->rank)
        return diag_node(d, g, n, "axes has %d values, more than the rank of %s", a->axes.n,
                         ir_sh_desc(x).s);
    na = a->axes.n ? a->axes.n : x->rank;
    for (int i = 0; i < na; i++) {
        if (a->axes.n == 0)
            axes[i] = i;
        else if (ir_sh_axis_in(g, n, d, a->axes.v[i], x->rank, &axes[i]) < 0)
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
        return diag_node(d, g, n, "scales %s must be float32", ir_sh_desc(sc).s);
    if ((sz && ir_sh_want_dtype(g, n, d, 3, DT_I64) < 0) ||
        ir_sh_want_rank(g, n, d, sc ? 2 : 3, 1, 1) < 0)
        return -1;
    if (sc && a->policy != AR_STRETCH)
        return diag_node(d, g, n, "keep_aspect_ratio_policy needs sizes, not scales");
    const Value *p = sc ? sc : sz;
    Shape s = ir_sh_shape_of(x);
    if (!(p->flags & V_CONST)) {
        for (int i = 0; i < na; i++)
            s.dim[axes[i]] = -1;
        ir_sh_set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    if (ir_numel(p) != na)
        return diag_node(d, g, n, "%s has %" PRId64 " values, expected %d", ir_sh_desc(p).s,
                         ir_numel(p), na);
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
                return ir_sh_overflow(g, n, d);
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
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* ScatterElements and ScatterND: the output is the data. The updates have its dtype and the
 * shape the indices give them: the indices' own for ScatterElements (whose indices have the
 * data's rank and are no larger on the other axes), indices.shape[:-1] + data.shape[k:] for
 * ScatterND (indices [..., k], k <= rank). Constant indices are checked against the data. */
int
ir_sh_scatter(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *ix = ir_sh_input(g, n, 1), *u = ir_sh_input(g, n, 2);
    int elt = g->node[n].op == OP_SCATTERELEMENTS, ax = 0;
    Shape s = ir_sh_shape_of(x), want = ir_sh_shape_of(ix);
    if (ir_sh_want_index(g, n, d, 1) < 0 || ir_sh_want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0)
        return -1;
    int64_t k = ix->rank > 0 ? ix->dim[ix->rank - 1] : -1;
    if (ix->rank < 0 || u->rank < 0 || (!elt && ix->rank > 0 && k < 0)) {
        ir_sh_set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    if (elt) {
        if (ir_sh_want_rank(g, n, d, 1, x->rank, x->rank) < 0 ||
            ir_sh_axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
            return -1;
        for (int i = 0; i < x->rank; i++)
            if (i != ax && x->dim[i] >= 0 && ix->dim[i] > x->dim[i])
                return diag_node(d, g, n, "indices %s exceed the data %s on axis %d",
                                 ir_sh_desc(ix).s, ir_sh_desc(x).s, i);
    } else {
        if (ir_sh_want_rank(g, n, d, 1, 1, IR_MAXRANK) < 0)
            return -1;
        if (k > x->rank || ix->rank - 1 + x->rank - k > IR_MAXRANK)
            return diag_node(d, g, n, "indices %s do not index the data %s", ir_sh_desc(ix).s,
                             ir_sh_desc(x).s);
        want.rank = ix->rank - 1;
        for (int64_t i = k; i < x->rank; i++)
            want.dim[want.rank++] = x->dim[i];
    }
    int same = u->rank == want.rank;
    for (int i = 0; same && i < want.rank; i++)
        same = u->dim[i] < 0 || want.dim[i] < 0 || u->dim[i] == want.dim[i];
    if (!same)
        return diag_node(d, g, n, "updates %s do not fit indices %s and data %s",
                         ir_sh_desc(u).s, ir_sh_desc(ix).s, ir_sh_desc(x).s);
    if (elt && (ix->flags & V_CONST) && x->dim[ax] >= 0) {
        int64_t dims[1] = {x->dim[ax]};
        if (check_nd_indices(g, n, d, ix, dims, 1) < 0)
            return -1;
    } else if (!elt && check_nd_indices(g, n, d, ix, x->dim, k) < 0) {
        return -1;
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Shape: a 1-D int64 of end - start dims (opset 15 slicing); the length needs only the rank. */
int
ir_sh_shape(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t start, end;
    Shape s = {.rank = 1, .dim = {-1}};
    (void)d;
    if (x->rank >= 0) {
        shape_range(x->rank, &g->node[n].attr->shape, &start, &end);
        s.dim[0] = end - start;
    }
    ir_sh_set_out(g, n, 0, DT_I64, &s);
    return 0;
}

/* Size: an int64 scalar. */
int
ir_sh_size(Graph *g, NodeId n, Diag *d)
{
    Shape s = {.rank = 0};
    (void)d;
    ir_sh_set_out(g, n, 0, DT_I64, &s);
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
    const Value *x = ir_sh_input(g, n, 0);
    int64_t st[IR_MAXRANK], en[IR_MAXRANK], axes[IR_MAXRANK], sp[IR_MAXRANK];
    int ns = 0, ne = 0, na = 0, nsp = 0, seen[IR_MAXRANK] = {0}, ax, k;
    if (x->rank < 0)
        return 0;
    for (int i = 0; i < x->rank; i++) {
        start[i] = 0;
        step[i] = 1;
        len[i] = x->dim[i];
    }
    if ((k = ir_sh_const_ints(g, n, d, 1, st, IR_MAXRANK, &ns)) <= 0 ||
        (k = ir_sh_const_ints(g, n, d, 2, en, IR_MAXRANK, &ne)) <= 0 ||
        (ir_sh_input(g, n, 3) && (k = ir_sh_const_ints(g, n, d, 3, axes, IR_MAXRANK, &na)) <= 0) ||
        (ir_sh_input(g, n, 4) && (k = ir_sh_const_ints(g, n, d, 4, sp, IR_MAXRANK, &nsp)) <= 0))
        return k;
    if (ne != ns || (ir_sh_input(g, n, 3) && na != ns) || (ir_sh_input(g, n, 4) && nsp != ns))
        return diag_node(d, g, n, "starts, ends, axes and steps must have the same length");
    if (ns > x->rank)
        return diag_node(d, g, n, "starts has %d values, more than the rank of %s", ns,
                         ir_sh_desc(x).s);
    for (int i = 0; i < ns; i++) {
        int64_t s = st[i], e = en[i], p = ir_sh_input(g, n, 4) ? sp[i] : 1, dim;
        if (ir_sh_axis_in(g, n, d, ir_sh_input(g, n, 3) ? axes[i] : i, x->rank, &ax) < 0)
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
int
ir_sh_slice(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t start[IR_MAXRANK], step[IR_MAXRANK];
    Shape s = {.rank = x->rank};
    int k = ir_slice_plan(g, n, d, start, step, s.dim);
    if (k < 0)
        return -1;
    if (k == 0 && x->rank >= 0)
        s = ir_sh_dynamic(x->rank);
    ir_sh_set_out(g, n, 0, x->dt, x->rank >= 0 ? &s : NULL);
    return 0;
}

/* Split: sizes from input 1, or num_outputs (or the output count) chunks of ceil(dim / n) with a
 * smaller last one (opset 18); without num_outputs the split must be even (opset <= 17). */
int
ir_sh_split(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a = ir_sh_input(g, n, 0), *sp = ir_sh_input(g, n, 1);
    int64_t no = x->attr->split.num_outputs, sum = 0, chunk;
    int ax;
    if (ir_sh_want_dtype(g, n, d, 1, DT_I64) < 0 || ir_sh_want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    if (a->rank < 0)
        return ir_sh_unknown(g, n, a->dt);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_axis_in(g, n, d, x->attr->split.axis, a->rank, &ax) < 0)
        return -1;
    Shape s = ir_sh_shape_of(a);
    int64_t dim = a->dim[ax];
    if (sp) {
        if (!(sp->flags & V_CONST)) {
            s.dim[ax] = -1;
            for (int i = 0; i < x->nout; i++)
                ir_sh_set_out(g, n, i, a->dt, &s);
            return 0;
        }
        if (ir_numel(sp) != x->nout)
            return diag_node(d, g, n, "split %s has %" PRId64 " values for %d outputs",
                             ir_sh_desc(sp).s, ir_numel(sp), x->nout);
        for (int i = 0; i < x->nout; i++) {
            s.dim[ax] = ir_const_i(sp, i);
            if (s.dim[ax] < 0 || add_ov(sum, s.dim[ax], &sum))
                return diag_node(d, g, n, "split[%d] = %" PRId64 " is invalid", i, s.dim[ax]);
            ir_sh_set_out(g, n, i, a->dt, &s);
        }
        if (dim >= 0 && sum != dim)
            return diag_node(d, g, n,
                             "split sizes add up to %" PRId64 ", but axis %d of %s has %" PRId64,
                             sum, ax, ir_sh_desc(a).s, dim);
        return 0;
    }
    if (no != 0 && no != x->nout)
        return diag_node(d, g, n, "num_outputs is %" PRId64 ", but the node has %d outputs", no,
                         x->nout);
    if (dim >= 0 && no == 0 && dim % x->nout != 0)
        return diag_node(d, g, n, "axis %d of %s does not split evenly into %d outputs", ax,
                         ir_sh_desc(a).s, x->nout);
    chunk = dim < 0 ? -1 : dim / x->nout + (dim % x->nout != 0);
    for (int i = 0; i < x->nout; i++) {
        s.dim[ax] = chunk;
        if (i == x->nout - 1 && dim >= 0) {
            s.dim[ax] = dim - chunk * (x->nout - 1); /* chunk * (nout-1) < dim + nout */
            if (s.dim[ax] < 0)
                return diag_node(d, g, n, "axis %d of %s is too small for %d outputs", ax,
                                 ir_sh_desc(a).s, x->nout);
        }
        ir_sh_set_out(g, n, i, a->dt, &s);
    }
    return 0;
}

/* Squeeze: drops the given axes, which must have size 1, or without axes every dim of size 1
 * (which needs all dims known). */
int
ir_sh_squeeze(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t axes[IR_MAXRANK];
    int cnt = 0, drop[IR_MAXRANK] = {0}, ax;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (ir_sh_input(g, n, 1)) {
        int k = ir_sh_const_ints(g, n, d, 1, axes, IR_MAXRANK, &cnt);
        if (k <= 0)
            return k < 0 ? -1 : ir_sh_unknown(g, n, x->dt);
        for (int i = 0; i < cnt; i++) {
            if (ir_sh_axis_in(g, n, d, axes[i], x->rank, &ax) < 0)
                return -1;
            if (drop[ax]++)
                return diag_node(d, g, n, "axis %d is repeated", ax);
            if (x->dim[ax] >= 0 && x->dim[ax] != 1)
                return diag_node(d, g, n, "cannot squeeze axis %d of %s: its size is not 1", ax,
                                 ir_sh_desc(x).s);
        }
    } else { /* no axes: every dim of size 1, so every dim must be known */
        for (int i = 0; i < x->rank; i++) {
            if (x->dim[i] < 0)
                return ir_sh_unknown(g, n, x->dt);
            drop[i] = x->dim[i] == 1;
        }
    }
    Shape s = {.rank = 0};
    for (int i = 0; i < x->rank; i++)
        if (!drop[i])
            s.dim[s.rank++] = x->dim[i];
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Tile: each dim times its repeat (int64, one per dim, non-negative). */
int
ir_sh_tile(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t rep[IR_MAXRANK];
    int cnt = 0;
    if (ir_sh_want_dtype(g, n, d, 1, DT_I64) < 0 || ir_sh_want_rank(g, n, d, 1, 1, 1) < 0)
        return -1;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    int k = ir_sh_const_ints(g, n, d, 1, rep, IR_MAXRANK, &cnt);
    Shape s = ir_sh_dynamic(x->rank);
    if (k < 0)
        return -1;
    if (k > 0 && cnt != x->rank)
        return diag_node(d, g, n, "repeats has %d values, expected %d (the rank of %s)", cnt,
                         x->rank, ir_sh_desc(x).s);
    for (int i = 0; k > 0 && i < x->rank; i++) {
        if (rep[i] < 0)
            return diag_node(d, g, n, "repeats[%d] = %" PRId64 " is negative", i, rep[i]);
        if (x->dim[i] < 0)
            s.dim[i] = rep[i] == 0 ? 0 : -1;
        else if (mul_ov(x->dim[i], rep[i], &s.dim[i]))
            return ir_sh_overflow(g, n, d);
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Transpose: dim i of the output is dim perm[i] of the input; no perm reverses the dims. */
/* TopK: values of X's dtype and int64 indices, X's shape with K (a constant) along the axis. */
int
ir_sh_topk(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t k = -1;
    int cnt = 0, ax;
    if (ir_sh_want_dtype(g, n, d, 1, DT_I64) < 0)
        return -1;
    int known = ir_sh_const_ints(g, n, d, 1, &k, 1, &cnt);
    if (known < 0)
        return -1;
    if (known && (cnt != 1 || k < 0))
        return diag_node(d, g, n, "K must be one non-negative integer");
    if (x->rank < 0) {
        ir_sh_set_out(g, n, 0, x->dt, NULL);
        ir_sh_set_out(g, n, 1, DT_I64, NULL);
        return 0;
    }
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
        return -1;
    if (known && x->dim[ax] >= 0 && k > x->dim[ax])
        return diag_node(d, g, n, "K = %lld exceeds the %lld elements of axis %d of %s",
                         (long long)k, (long long)x->dim[ax], ax, ir_sh_desc(x).s);
    Shape s = ir_sh_shape_of(x);
    s.dim[ax] = known ? k : -1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    ir_sh_set_out(g, n, 1, DT_I64, &s);
    return 0;
}

int
ir_sh_transpose(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    const Ints *perm = &g->node[n].attr->perm.perm;
    int seen[IR_MAXRANK] = {0};
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    if (perm->n != 0 && perm->n != x->rank)
        return diag_node(d, g, n, "perm has %d values, expected %d (the rank of %s)", perm->n,
                         x->rank, ir_sh_desc(x).s);
    Shape s = {.rank = x->rank};
    for (int i = 0; i < x->rank; i++) {
        int64_t p = perm->n ? perm->v[i] : x->rank - 1 - i;
        if (p < 0 || p >= x->rank || seen[p]++)
            return diag_node(d, g, n, "perm is not a permutation of 0..%d", x->rank - 1);
        s.dim[i] = x->dim[p];
    }
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* Unsqueeze: the axes (input 1) index the output, whose rank is rank(X) + len(axes). */
int
ir_sh_unsqueeze(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0), *av = ir_sh_input(g, n, 1);
    int64_t axes[IR_MAXRANK];
    int cnt = 0, ins[IR_MAXRANK] = {0}, ax;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, x->dt);
    int k = ir_sh_const_ints(g, n, d, 1, axes, IR_MAXRANK, &cnt);
    if (k < 0)
        return -1;
    if (k == 0) {
        int64_t m = av->rank == 0 ? 1 : av->rank == 1 ? av->dim[0] : -1;
        if (m < 0 || x->rank + m > IR_MAXRANK)
            return ir_sh_unknown(g, n, x->dt);
        Shape s = ir_sh_dynamic(x->rank + (int)m);
        ir_sh_set_out(g, n, 0, x->dt, &s);
        return 0;
    }
    int r = x->rank + cnt;
    if (r > IR_MAXRANK)
        return diag_node(d, g, n, "the output would have rank %d, more than %d", r, IR_MAXRANK);
    for (int i = 0; i < cnt; i++) {
        if (ir_sh_axis_in(g, n, d, axes[i], r, &ax) < 0)
            return -1;
        if (ins[ax]++)
            return diag_node(d, g, n, "axis %d is repeated", ax);
    }
    Shape s = {.rank = r};
    for (int i = 0, j = 0; i < r; i++)
        s.dim[i] = ins[i] ? 1 : x->dim[j++];
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}
