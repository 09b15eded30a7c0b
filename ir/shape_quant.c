/*
 * shape_quant.c: shape inference of the quantisation ops (SH_QUANT: QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear) and the checks that ConvInteger and MatMulInteger
 * (ir_sh_integer), QLinearConv and QLinearMatMul (ir_sh_qlinear) add to the Conv and MatMul
 * classes, called from shape_conv.c and shape.c.
 *
 * What hetc runs: scales and zero points per tensor (one element) or per axis (1-D along the
 * attribute axis), never blocked (opset 21's block_size is refused by the frontend); 8- and
 * 16-bit integers and int32 (DequantizeLinear's input); float32 scales. Integer products sum in
 * int32, which is exact only while K x 255 x 255 fits: a longer reduction is refused rather than
 * computed with a wrapped sum. Forms outside these are refused here with "not supported".
 */
#include "ir.h"
#include "shape_impl.h"

#include <inttypes.h>

enum {
    /* the longest integer dot product whose int32 sum cannot overflow: 255 * 255 * K < 2^31 */
    QUANT_MAX_K = 33025,
};

/* 1 for the dtypes QuantizeLinear writes and DequantizeLinear reads, 2 for int32 (read only) */
static int
quant_int(DType t)
{
    return t == DT_U8 || t == DT_I8 || t == DT_U16 || t == DT_I16 ? 1 : t == DT_I32 ? 2 : 0;
}

/* Scale (input 1) and zero point (input 2) of Q/DQ node n on x: one element, or 1-D along the
 * axis; the zero point shaped as the scale. */
static int
scale_shape(Graph *g, NodeId n, Diag *d, const Value *x)
{
    const Value *s = ir_sh_input(g, n, 1), *z = ir_sh_input(g, n, 2);
    int ax;
    if (s->dt != DT_UNDEF && s->dt != DT_F32)
        return diag_node(d, g, n, "%s scale %s is not supported (float32 scales only)",
                         ir_op[g->node[n].op].onnx, ir_sh_desc(s).s);
    if (s->rank < 0 || x->rank < 0)
        return 0;
    if (s->rank > 1)
        return diag_node(d, g, n, "scale %s of rank %d (blocked quantisation) is not supported",
                         ir_sh_desc(s).s, s->rank);
    if (z && z->rank >= 0 && (z->rank != s->rank || (s->rank == 1 && z->dim[0] >= 0 &&
                                                     s->dim[0] >= 0 && z->dim[0] != s->dim[0])))
        return diag_node(d, g, n, "zero point %s and scale %s differ in shape", ir_sh_desc(z).s,
                         ir_sh_desc(s).s);
    if (s->rank == 0 || s->dim[0] == 1 || s->dim[0] < 0)
        return 0;
    if (ir_sh_axis_in(g, n, d, g->node[n].attr->axis.axis, x->rank, &ax) < 0)
        return -1;
    if (x->dim[ax] >= 0 && x->dim[ax] != s->dim[0])
        return diag_node(d, g, n, "scale %s must have %" PRId64 " elements (axis %d of %s)",
                         ir_sh_desc(s).s, x->dim[ax], ax, ir_sh_desc(x).s);
    return 0;
}

int
ir_sh_quant(Graph *g, NodeId n, Diag *d)
{
    const Node *nd = &g->node[n];
    const Value *x = ir_sh_input(g, n, 0), *z = ir_sh_input(g, n, 2);
    Shape s = ir_sh_shape_of(x), scalar = {.rank = 0};
    const Shape *xs = x->rank >= 0 ? &s : NULL;
    if (nd->op == OP_DYNAMICQUANTIZELINEAR) {
        if (x->dt != DT_UNDEF && x->dt != DT_F32)
            return diag_node(d, g, n, "input %s must be float32", ir_sh_desc(x).s);
        ir_sh_set_out(g, n, 0, DT_U8, xs);
        ir_sh_set_out(g, n, 1, DT_F32, &scalar);
        ir_sh_set_out(g, n, 2, DT_U8, &scalar);
        return 0;
    }
    if (scale_shape(g, n, d, x) < 0)
        return -1;
    if (nd->op == OP_DEQUANTIZELINEAR) {
        if (x->dt != DT_UNDEF && !quant_int(x->dt))
            return diag_node(d, g, n, "DequantizeLinear of %s is not supported", ir_sh_desc(x).s);
        if (ir_sh_want_dtype(g, n, d, 2, x->dt) < 0)
            return -1;
        ir_sh_set_out(g, n, 0, DT_F32, xs);
        return 0;
    }
    DType to = z ? z->dt : DT_U8;
    if (x->dt != DT_UNDEF && !ir_dtype_is_float(x->dt))
        return diag_node(d, g, n, "input %s must have a float dtype", ir_sh_desc(x).s);
    if (to != DT_UNDEF && quant_int(to) != 1)
        return diag_node(d, g, n, "QuantizeLinear to %s is not supported", ir_dtype_name(to));
    ir_sh_set_out(g, n, 0, to, xs);
    return 0;
}

/* Zero point input i of an integer op: the dtype of the tensor it offsets (input t). */
static int
zero_point_dtype(Graph *g, NodeId n, Diag *d, int i, int t)
{
    const Value *v = ir_sh_input(g, n, t);
    return v ? ir_sh_want_dtype(g, n, d, i, v->dt) : 0;
}

/* Elements of v, or -1 when its shape is not known */
static int64_t
count(const Value *v)
{
    return ir_shape_known(v) ? ir_numel(v) : -1;
}

/* The operand v of an integer product must be int8 or uint8. */
static int
eight_bit(Graph *g, NodeId n, Diag *d, const Value *v)
{
    if (v->dt == DT_UNDEF || v->dt == DT_U8 || v->dt == DT_I8)
        return 0;
    return diag_node(d, g, n, "%s on %s is not supported (int8 and uint8 only)",
                     ir_op[g->node[n].op].onnx, ir_sh_desc(v).s);
}

int
ir_sh_integer(Graph *g, NodeId n, Diag *d)
{
    const Node *nd = &g->node[n];
    const Value *a = ir_sh_input(g, n, 0), *b = ir_sh_input(g, n, 1);
    const Value *za = ir_sh_input(g, n, 2), *zb = ir_sh_input(g, n, 3);
    const char *op = ir_op[nd->op].onnx;
    if (eight_bit(g, n, d, a) < 0 || eight_bit(g, n, d, b) < 0)
        return -1;
    if (zero_point_dtype(g, n, d, 2, 0) < 0 || zero_point_dtype(g, n, d, 3, 1) < 0)
        return -1;
    if (za && count(za) > 1)
        return diag_node(d, g, n, "%s with zero point %s for input 0 is not supported (one "
                         "value only)", op, ir_sh_desc(za).s);
    if (a->rank < 0 || b->rank < 0)
        return 0;
    /* the reduction length and the elements a per-column (per-channel) zero point may have */
    int64_t k, cols;
    if (nd->op == OP_CONVINTEGER) {
        if (b->rank < 2 || ir_sh_product(g, n, d, b->dim, 1, b->rank, &k) < 0)
            return b->rank < 2 ? 0 : -1;
        cols = b->dim[0];
    } else {
        k = a->dim[a->rank - 1];
        cols = b->rank > 1 ? b->dim[b->rank - 1] : 1;
    }
    if (k > QUANT_MAX_K)
        return diag_node(d, g, n, "%s summing %" PRId64 " products is not supported (at most %d "
                         "fit int32 exactly)", op, k, QUANT_MAX_K);
    if (zb && zb->rank >= 0 && count(zb) != 1) {
        /* per column: [N] (or [M] output channels), or B's shape with K made 1 */
        int ok = zb->rank == 1 && zb->dim[0] == cols;
        if (nd->op == OP_MATMULINTEGER && zb->rank == b->rank && b->rank >= 2) {
            ok = zb->dim[b->rank - 2] == 1;
            for (int i = 0; i < b->rank; i++)
                ok &= i == b->rank - 2 || zb->dim[i] == b->dim[i];
        }
        if (!ok)
            return diag_node(d, g, n, "%s zero point %s for input 1 is not supported (one value, "
                             "or one per column)", op, ir_sh_desc(zb).s);
    }
    return 0;
}

/* Input i of QLinearConv or QLinearMatMul, a scale (float32) or a zero point (of input t's
 * dtype), must have one element, or one per column when cols > 0. */
static int
qparam(Graph *g, NodeId n, Diag *d, int i, int t, int64_t cols)
{
    const Value *v = ir_sh_input(g, n, i);
    if (!v)
        return 0;
    if (t < 0 ? ir_sh_want_dtype(g, n, d, i, DT_F32) < 0 : zero_point_dtype(g, n, d, i, t) < 0)
        return -1;
    int64_t c = count(v);
    if (c < 0 || c == 1 || (cols > 0 && v->rank == 1 && c == cols))
        return 0;
    return diag_node(d, g, n, "%s input %d %s is not supported (one value%s)",
                     ir_op[g->node[n].op].onnx, i, ir_sh_desc(v).s,
                     cols > 0 ? ", or one per output column" : "");
}

int
ir_sh_qlinear(Graph *g, NodeId n, Diag *d, DType *out)
{
    const Node *nd = &g->node[n];
    const Value *a = ir_sh_input(g, n, 0), *b = ir_sh_input(g, n, 3);
    const Value *zy = ir_sh_input(g, n, 7), *bias = ir_sh_input(g, n, 8);
    const char *op = ir_op[nd->op].onnx;
    if (eight_bit(g, n, d, a) < 0 || eight_bit(g, n, d, b) < 0)
        return -1;
    *out = zy ? zy->dt : a->dt;
    if (*out != DT_UNDEF && *out != DT_U8 && *out != DT_I8)
        return diag_node(d, g, n, "%s to %s is not supported (int8 and uint8 only)", op,
                         ir_dtype_name(*out));
    /* the reduction length and the columns (output channels) per-column parameters count */
    int conv = nd->op == OP_QLINEARCONV;
    int64_t k = -1, cols = -1;
    if (b->rank >= 2) {
        cols = conv ? b->dim[0] : b->dim[b->rank - 1];
        if (conv && ir_sh_product(g, n, d, b->dim, 1, b->rank, &k) < 0)
            return -1;
    }
    if (!conv && a->rank >= 1)
        k = a->dim[a->rank - 1];
    if (!conv && b->rank > 2)
        cols = -1;      /* per-column parameters of a batch of B: not supported */
    if (qparam(g, n, d, 1, -1, 0) < 0 || qparam(g, n, d, 2, 0, 0) < 0 ||
        qparam(g, n, d, 4, -1, cols) < 0 || qparam(g, n, d, 5, 3, cols) < 0 ||
        qparam(g, n, d, 6, -1, 0) < 0 || (zy && qparam(g, n, d, 7, 7, 0) < 0))
        return -1;
    if (k > QUANT_MAX_K)
        return diag_node(d, g, n, "%s summing %" PRId64 " products is not supported (at most %d "
                         "fit int32 exactly)", op, k, QUANT_MAX_K);
    if (bias && (ir_sh_want_dtype(g, n, d, 8, DT_I32) < 0 ||
                 ir_sh_per_channel(g, n, d, 8, cols) < 0))
        return -1;
    return 0;
}
