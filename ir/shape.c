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
 * Here: the checks all classes share (ir_sh_*, declared in shape_impl.h) and the elementwise,
 * linear-algebra, normalisation and cast classes; the windowed ones (Conv, pools) are in
 * shape_conv.c and the data-movement ones (Concat, Reshape, Slice, ...) in shape_data.c.
 */
#include "ir.h"
#include "shape_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers (the ir_sh_* ones are shared with shape_data.c; contracts in shape_impl.h) ------ */

static Value *
output(Graph *g, NodeId n, int i)
{
    const Node *x = &g->node[n];
    return i < x->nout && x->out[i] != NONE ? &g->val[x->out[i]] : NULL;
}

Str
ir_sh_desc(const Value *v)
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

void
ir_sh_set_out(Graph *g, NodeId n, int i, DType dt, const Shape *s)
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

int
ir_sh_unknown(Graph *g, NodeId n, DType dt)
{
    for (int i = 0; i < g->node[n].nout; i++)
        ir_sh_set_out(g, n, i, dt, NULL);
    return 0;
}

int
ir_sh_overflow(Graph *g, NodeId n, Diag *d)
{
    return diag_node(d, g, n, "a dimension of the output overflows int64");
}

int
ir_sh_want_dtype(Graph *g, NodeId n, Diag *d, int i, DType dt)
{
    const Value *v = ir_sh_input(g, n, i);
    if (!v || v->dt == DT_UNDEF || dt == DT_UNDEF || v->dt == dt)
        return 0;
    return diag_node(d, g, n, "input %d %s has dtype %s, expected %s", i, ir_sh_desc(v).s,
                     ir_dtype_name(v->dt), ir_dtype_name(dt));
}

int
ir_sh_want_index(Graph *g, NodeId n, Diag *d, int i)
{
    const Value *v = ir_sh_input(g, n, i);
    if (!v || v->dt == DT_UNDEF || v->dt == DT_I64 || v->dt == DT_I32)
        return 0;
    return diag_node(d, g, n, "input %d %s has dtype %s, expected int64 (or int32)", i,
                     ir_sh_desc(v).s, ir_dtype_name(v->dt));
}

int
ir_sh_want_rank(Graph *g, NodeId n, Diag *d, int i, int lo, int hi)
{
    const Value *v = ir_sh_input(g, n, i);
    if (!v || v->rank < 0 || (v->rank >= lo && v->rank <= hi))
        return 0;
    if (lo == hi)
        return diag_node(d, g, n, "input %d %s has rank %d, expected %d", i, ir_sh_desc(v).s,
                         v->rank, lo);
    return diag_node(d, g, n, "input %d %s has rank %d, expected %d to %d", i, ir_sh_desc(v).s,
                     v->rank, lo, hi);
}

int
ir_sh_axis_in(Graph *g, NodeId n, Diag *d, int64_t axis, int r, int *out)
{
    *out = 0;
    if (axis < -r || axis >= r)
        return diag_node(d, g, n, "axis %" PRId64 " is out of range [%d, %d]", axis, -r, r - 1);
    *out = (int)(axis < 0 ? axis + r : axis);
    return 0;
}

int
ir_sh_const_ints(Graph *g, NodeId n, Diag *d, int i, int64_t *v, int max, int *cnt)
{
    const Value *c = ir_sh_input(g, n, i);
    if (ir_sh_want_index(g, n, d, i) < 0 || ir_sh_want_rank(g, n, d, i, 0, 1) < 0)
        return -1;
    int64_t k = ir_numel(c);
    if (!(c->flags & V_CONST) || k < 0)
        return 0;
    if (k > max)
        return diag_node(d, g, n, "input %d %s has %" PRId64 " elements, expected at most %d", i,
                         ir_sh_desc(c).s, k, max);
    for (int j = 0; j < k; j++)
        v[j] = ir_const_i(c, j);
    *cnt = (int)k;
    return 1;
}

int
ir_sh_product(Graph *g, NodeId n, Diag *d, const int64_t *dims, int lo, int hi, int64_t *out)
{
    int64_t p = 1;
    int dyn = 0;
    for (int i = lo; i < hi; i++) {
        if (dims[i] < 0)
            dyn = 1;
        else if (mul_ov(p, dims[i], &p))
            return ir_sh_overflow(g, n, d);
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

int
ir_sh_bcast2(const int64_t *a, int ra, const int64_t *b, int rb, Shape *r)
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
        const Value *v = ir_sh_input(g, n, i);
        if (!v)
            continue;
        if (v->rank < 0) {
            unk = 1;
            continue;
        }
        Shape t;
        if (ir_sh_bcast2(r->dim, r->rank, v->dim, v->rank, &t) < 0) {
            Value tmp = {.name = i == 1 ? ir_sh_input(g, n, 0)->name : "previous inputs",
                         .dt = v->dt,
                         .rank = r->rank};
            memcpy(tmp.dim, r->dim, sizeof tmp.dim);
            return diag_node(d, g, n, "input %d %s is not broadcastable with %s", i,
                             ir_sh_desc(v).s, ir_sh_desc(&tmp).s);
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
    return ir_sh_unknown(g, n, DT_UNDEF);
}

int
ir_sh_per_channel(Graph *g, NodeId n, Diag *d, int i, int64_t c)
{
    const Value *v = ir_sh_input(g, n, i);
    if (!v || v->rank < 0)
        return 0;
    if (v->rank != 1 || (c >= 0 && v->dim[0] >= 0 && v->dim[0] != c))
        return diag_node(d, g, n, "input %d %s must be 1-D with %" PRId64 " elements (channels)", i,
                         ir_sh_desc(v).s, c);
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
    const Value *a = ir_sh_input(g, n, 0);
    Shape s = ir_sh_shape_of(a);
    int ax;
    if (a->rank < 0)
        return ir_sh_unknown(g, n, a->dt);
    switch (x->op) {
    case OP_SOFTMAX:
    case OP_LOGSOFTMAX:
    case OP_HARDMAX:
        if (ir_sh_axis_in(g, n, d, x->attr->axis.axis, a->rank, &ax) < 0)
            return -1;
        break;
    case OP_BATCHNORMALIZATION:
    case OP_INSTANCENORMALIZATION:
        if (ir_sh_want_rank(g, n, d, 0, 2, IR_MAXRANK) < 0)
            return -1;
        for (int i = 1; i < x->nin; i++)
            if (ir_sh_per_channel(g, n, d, i, a->dim[1]) < 0 ||
                (x->op == OP_INSTANCENORMALIZATION && ir_sh_want_dtype(g, n, d, i, a->dt) < 0))
                return -1;
        break;
    case OP_CUMSUM: {
        int64_t v;
        int cnt = 0, k = ir_sh_const_ints(g, n, d, 1, &v, 1, &cnt);
        if (k < 0 || (k > 0 && cnt == 1 && ir_sh_axis_in(g, n, d, v, a->rank, &ax) < 0))
            return -1;
        break;
    }
    case OP_TRILU:
        if (ir_sh_want_rank(g, n, d, 0, 2, IR_MAXRANK) < 0 || ir_sh_want_index(g, n, d, 1) < 0)
            return -1;
        break;
    default: break;
    }
    ir_sh_set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* IsNaN, IsInf: a float input, a bool output of the same shape. */
static int
sh_bool(Graph *g, NodeId n, Diag *d)
{
    const Value *a = ir_sh_input(g, n, 0);
    Shape s = ir_sh_shape_of(a);
    if (a->dt != DT_UNDEF && !ir_dtype_is_float(a->dt))
        return diag_node(d, g, n, "input %s must have a float dtype", ir_sh_desc(a).s);
    ir_sh_set_out(g, n, 0, DT_BOOL, a->rank >= 0 ? &s : NULL);
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
    const Value *a = ir_sh_input(g, n, 0);
    Shape s;
    for (int i = 1; i < x->nin; i++)
        if (x->op != OP_POW && ir_sh_want_dtype(g, n, d, i, a->dt) < 0)
            return -1;
    if (x->op == OP_BITSHIFT && a->dt != DT_UNDEF && a->dt != DT_U8 && a->dt != DT_U16 &&
        a->dt != DT_U32 && a->dt != DT_U64)
        return diag_node(d, g, n, "BitShift needs unsigned integers, not %s", ir_sh_desc(a).s);
    int k = bcast_inputs(g, n, d, &s);
    if (k <= 0)
        return k < 0 ? -1 : ir_sh_unknown(g, n, a->dt);
    if (x->op == OP_PRELU) { /* the slope broadcasts to X, never the other way */
        int ok = s.rank == a->rank;
        for (int i = 0; ok && i < s.rank; i++)
            ok = s.dim[i] == a->dim[i] || a->dim[i] == -1;
        if (!ok)
            return diag_node(d, g, n, "slope %s is not unidirectionally broadcastable to X %s",
                             ir_sh_desc(ir_sh_input(g, n, 1)).s, ir_sh_desc(a).s);
        s = ir_sh_shape_of(a);
    }
    ir_sh_set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* Comparisons and And/Or/Xor: two inputs of one dtype (bool for the logic ops), bool out. */
static int
sh_cmp(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Shape s;
    int logic = x->op == OP_AND || x->op == OP_OR || x->op == OP_XOR;
    if (ir_sh_want_dtype(g, n, d, 1, logic ? DT_BOOL : ir_sh_input(g, n, 0)->dt) < 0 ||
        (logic && ir_sh_want_dtype(g, n, d, 0, DT_BOOL) < 0))
        return -1;
    int k = bcast_inputs(g, n, d, &s);
    if (k <= 0)
        return k < 0 ? -1 : ir_sh_unknown(g, n, DT_BOOL);
    ir_sh_set_out(g, n, 0, DT_BOOL, &s);
    return 0;
}

/* Where(cond, X, Y): cond is bool, X and Y share a dtype; all three broadcast together. */
static int
sh_where(Graph *g, NodeId n, Diag *d)
{
    DType dt = ir_sh_input(g, n, 1)->dt;
    Shape s;
    if (ir_sh_want_dtype(g, n, d, 0, DT_BOOL) < 0 || ir_sh_want_dtype(g, n, d, 2, dt) < 0)
        return -1;
    int k = bcast_inputs(g, n, d, &s);
    if (k <= 0)
        return k < 0 ? -1 : ir_sh_unknown(g, n, dt);
    ir_sh_set_out(g, n, 0, dt, &s);
    return 0;
}

/* ---- linear algebra -------------------------------------------------------------------------- */

/* Gemm: A and B are 2-D, transposed by transA/transB to [M, K] and [K, N]; the optional C must
 * broadcast to [M, N] one way. */
static int
sh_gemm(Graph *g, NodeId n, Diag *d)
{
    const GemmAttr *at = &g->node[n].attr->gemm;
    const Value *a = ir_sh_input(g, n, 0), *b = ir_sh_input(g, n, 1), *c = ir_sh_input(g, n, 2);
    if (ir_sh_want_dtype(g, n, d, 1, a->dt) < 0 || ir_sh_want_dtype(g, n, d, 2, a->dt) < 0)
        return -1;
    if (a->rank < 0 || b->rank < 0)
        return ir_sh_unknown(g, n, a->dt);
    if (ir_sh_want_rank(g, n, d, 0, 2, 2) < 0 || ir_sh_want_rank(g, n, d, 1, 2, 2) < 0 ||
        ir_sh_want_rank(g, n, d, 2, 0, 2) < 0)
        return -1;
    int64_t m = a->dim[at->trans_a ? 1 : 0], k = a->dim[at->trans_a ? 0 : 1];
    int64_t k2 = b->dim[at->trans_b ? 1 : 0], nn = b->dim[at->trans_b ? 0 : 1];
    if (k >= 0 && k2 >= 0 && k != k2)
        return diag_node(d, g, n,
                         "inner dimensions differ: A %s (transA=%d) has K = %" PRId64
                         ", B %s (transB=%d) has K = %" PRId64,
                         ir_sh_desc(a).s, at->trans_a, k, ir_sh_desc(b).s, at->trans_b, k2);
    Shape s = {.rank = 2, .dim = {m, nn}};
    if (c && c->rank >= 0) { /* C broadcasts to [M, N], never the other way */
        for (int i = 0; i < c->rank; i++) {
            int64_t cd = c->dim[i], t = s.dim[2 - c->rank + i];
            if (cd != 1 && cd != -1 && t != -1 && cd != t)
                return diag_node(d, g, n,
                                 "C %s is not unidirectionally broadcastable to [%" PRId64
                                 ",%" PRId64 "]",
                                 ir_sh_desc(c).s, m, nn);
        }
    }
    ir_sh_set_out(g, n, 0, a->dt, &s);
    return 0;
}

/* The letter of an Einsum subscript code, for messages */
static char
einsum_letter(int64_t c)
{
    return (char)(c < 26 ? 'A' + c : 'a' + c - 26);
}

/* Einsum: each operand's subscripts name its dims, an ellipsis the dims no letter names (those
 * broadcast across operands as numpy's do); a letter has one size wherever it appears; the
 * output has the sizes its subscripts name. */
static int
sh_einsum(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *a0 = ir_sh_input(g, n, 0);
    Ints t = x->attr->einsum.terms;
    int64_t size[EINSUM_LABELS];
    int nterm = 0, i = 0, unknown = 0, seen[EINSUM_LABELS] = {0};
    Shape ell = {.rank = 0}, s = {.rank = 0};
    for (int k = 0; k < t.n; k++)
        nterm += t.v[k] < 0;
    if (nterm != x->nin + 1)
        return diag_node(d, g, n, "the equation has %d operand terms for %d inputs", nterm - 1,
                         x->nin);
    for (int k = 0; k < EINSUM_LABELS; k++)
        size[k] = -2;   /* named by no input */
    for (int in = 0; in < x->nin; in++, i++) {
        const Value *v = ir_sh_input(g, n, in);
        int start = i, nl = 0, has = 0, ax = 0;
        for (; t.v[i] >= 0; i++) {
            has |= t.v[i] == EINSUM_ELLIPSIS;
            nl += t.v[i] != EINSUM_ELLIPSIS;
        }
        if (!v)
            return diag_node(d, g, n, "input %d is missing", in);
        if (ir_sh_want_dtype(g, n, d, in, a0->dt) < 0)
            return -1;
        if (v->rank < 0) {
            unknown = 1;
            continue;
        }
        if (has ? v->rank < nl : v->rank != nl)
            return diag_node(d, g, n, "input %d %s has rank %d, but its subscripts name %d dims",
                             in, ir_sh_desc(v).s, v->rank, nl);
        for (int k = start; t.v[k] >= 0; k++) {
            int64_t c = t.v[k];
            if (c == EINSUM_ELLIPSIS) {
                Shape b;
                if (ir_sh_bcast2(ell.dim, ell.rank, v->dim + ax, v->rank - nl, &b) < 0)
                    return diag_node(d, g, n, "the dims of input %d %s under \"...\" do not "
                                     "broadcast with the other inputs'", in, ir_sh_desc(v).s);
                ell = b;
                ax += v->rank - nl;
                continue;
            }
            int64_t dm = v->dim[ax++];
            if (size[c] >= 0 && dm >= 0 && size[c] != dm)
                return diag_node(d, g, n, "subscript %c has size %lld in input %d %s and %lld "
                                 "elsewhere (broadcasting a subscript is not supported)",
                                 einsum_letter(c), (long long)dm, in, ir_sh_desc(v).s,
                                 (long long)size[c]);
            if (size[c] < 0)
                size[c] = dm;
        }
    }
    if (unknown)
        return ir_sh_unknown(g, n, a0->dt);
    for (; t.v[i] >= 0; i++) {
        int64_t c = t.v[i];
        int add = c == EINSUM_ELLIPSIS ? ell.rank : 1;
        if (seen[c]++)
            return diag_node(d, g, n, "the output's subscripts repeat %c", c == EINSUM_ELLIPSIS ?
                             '.' : einsum_letter(c));
        if (c != EINSUM_ELLIPSIS && size[c] == -2)
            return diag_node(d, g, n, "output subscript %c names no input dim",
                             einsum_letter(c));
        if (s.rank + add > IR_MAXRANK)
            return diag_node(d, g, n, "the output has more than %d dims", IR_MAXRANK);
        for (int k = 0; k < add; k++)
            s.dim[s.rank++] = c == EINSUM_ELLIPSIS ? ell.dim[k] : size[c];
    }
    ir_sh_set_out(g, n, 0, a0->dt, &s);
    return 0;
}

/* numpy matmul: a 1-D A gets a leading 1 and a 1-D B a trailing 1, removed from the result;
 * the leading (batch) dims broadcast. */
static int
sh_matmul(Graph *g, NodeId n, Diag *d)
{
    OpKind op = g->node[n].op;
    int bi = ir_op_weight_in(op);
    const Value *a = ir_sh_input(g, n, 0), *b = ir_sh_input(g, n, bi);
    /* MatMulInteger: int8 or uint8 operands, each its own, and an int32 result; QLinearMatMul:
     * 8-bit A, B (input 3) and Y, with scales and zero points */
    int integer = op == OP_MATMULINTEGER;
    DType dt = integer ? DT_I32 : a->dt;
    if (op == OP_QLINEARMATMUL ? ir_sh_qlinear(g, n, d, &dt) < 0
        : integer              ? ir_sh_integer(g, n, d) < 0
                               : ir_sh_want_dtype(g, n, d, 1, a->dt) < 0)
        return -1;
    if (a->rank < 0 || b->rank < 0)
        return ir_sh_unknown(g, n, dt);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_want_rank(g, n, d, bi, 1, IR_MAXRANK) < 0)
        return -1;
    int64_t am = a->rank > 1 ? a->dim[a->rank - 2] : 1, k = a->dim[a->rank - 1];
    int64_t k2 = b->dim[b->rank > 1 ? b->rank - 2 : 0], bn = b->rank > 1 ? b->dim[b->rank - 1] : 1;
    if (k >= 0 && k2 >= 0 && k != k2)
        return diag_node(d, g, n,
                         "inner dimensions differ: A %s has K = %" PRId64 ", B %s has K = %" PRId64,
                         ir_sh_desc(a).s, k, ir_sh_desc(b).s, k2);
    Shape s;
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    if (ir_sh_bcast2(a->dim, ra, b->dim, rb, &s) < 0)
        return diag_node(d, g, n, "batch dimensions of A %s and B %s are not broadcastable",
                         ir_sh_desc(a).s, ir_sh_desc(b).s);
    if (a->rank > 1)
        s.dim[s.rank++] = am;
    if (b->rank > 1)
        s.dim[s.rank++] = bn;
    ir_sh_set_out(g, n, 0, dt, &s);
    return 0;
}

/* ---- recurrent layers ------------------------------------------------------------------------ */

/* Input i, if present and of known rank, must have rank r and the dims want[] where both are
 * known (-1: any). */
static int
want_dims(Graph *g, NodeId n, Diag *d, int i, int r, const int64_t *want)
{
    const Value *v = ir_sh_input(g, n, i);
    if (!v || v->rank < 0)
        return 0;
    if (ir_sh_want_rank(g, n, d, i, r, r) < 0)
        return -1;
    for (int k = 0; k < r; k++) {
        if (v->dim[k] < 0 || want[k] < 0 || v->dim[k] == want[k])
            continue;
        char buf[96];
        int len = 0;
        for (int j = 0; j < r && len >= 0 && len < (int)sizeof buf; j++)
            len += snprintf(buf + len, sizeof buf - (size_t)len, want[j] < 0 ? "%s?" : "%s%" PRId64,
                            j ? "," : "", want[j]);
        return diag_node(d, g, n, "input %d %s does not have the shape [%s]", i, ir_sh_desc(v).s,
                         buf);
    }
    return 0;
}

/* GRU, LSTM, RNN: X [seq, batch, input] (layout 1: [batch, seq, input]), W [dirs, gates * H,
 * input], R [dirs, gates * H, H], B [dirs, 2 * gates * H], sequence_lens int32 [batch],
 * initial_h and initial_c like Y_h, P [dirs, 3 * H]; Y [seq, dirs, batch, H] (layout 1: [batch,
 * seq, dirs, H]), Y_h and Y_c [dirs, batch, H] (layout 1: [batch, dirs, H]). */
static int
sh_rnn(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const RnnAttr *a = &x->attr->rnn;
    const Value *xv = ir_sh_input(g, n, 0), *r = ir_sh_input(g, n, 2);
    int64_t dirs = a->direction == RD_BIDIRECTIONAL ? 2 : 1;
    int64_t ng = x->op == OP_LSTM ? 4 : x->op == OP_GRU ? 3 : 1;
    for (int i = 1; i < x->nin; i++)
        if (i != 4 && ir_sh_want_dtype(g, n, d, i, xv->dt) < 0)
            return -1;
    if (ir_sh_want_dtype(g, n, d, 4, DT_I32) < 0 || ir_sh_want_rank(g, n, d, 0, 3, 3) < 0)
        return -1;
    int64_t h = a->hidden_size > 0 ? a->hidden_size : r->rank == 3 ? r->dim[2] : -1;
    int64_t seq = -1, batch = -1, in = -1, gh = -1, h3 = -1, b2 = -1;
    if (xv->rank == 3) {
        seq = xv->dim[a->layout ? 1 : 0];
        batch = xv->dim[a->layout ? 0 : 1];
        in = xv->dim[2];
    }
    if (h >= 0 && (mul_ov(h, ng, &gh) || mul_ov(gh, 2, &b2) || mul_ov(h, 3, &h3)))
        return ir_sh_overflow(g, n, d);
    const int64_t w[3] = {dirs, gh, in}, rr[3] = {dirs, gh, h}, b[2] = {dirs, b2}, sl[1] = {batch};
    const int64_t st[3] = {a->layout ? batch : dirs, a->layout ? dirs : batch, h}, p[2] = {dirs, h3};
    if (want_dims(g, n, d, 1, 3, w) < 0 || want_dims(g, n, d, 2, 3, rr) < 0 ||
        want_dims(g, n, d, 3, 2, b) < 0 || want_dims(g, n, d, 4, 1, sl) < 0 ||
        want_dims(g, n, d, 5, 3, st) < 0 || want_dims(g, n, d, 6, 3, st) < 0 ||
        want_dims(g, n, d, 7, 2, p) < 0)
        return -1;
    Shape y = {.rank = 4, .dim = {seq, dirs, batch, h}}, yh = {.rank = 3};
    if (a->layout) {
        y.dim[0] = batch;
        y.dim[1] = seq;
        y.dim[2] = dirs;
    }
    memcpy(yh.dim, st, sizeof st);
    if (xv->rank < 0)
        y.rank = yh.rank = -1;
    ir_sh_set_out(g, n, 0, xv->dt, y.rank < 0 ? NULL : &y);
    ir_sh_set_out(g, n, 1, xv->dt, yh.rank < 0 ? NULL : &yh);
    ir_sh_set_out(g, n, 2, xv->dt, yh.rank < 0 ? NULL : &yh);
    return 0;
}

/* ---- normalisation and reductions ------------------------------------------------------------ */

/* LayerNormalization: Y like X; Mean and InvStdDev (stash_type float) have X's dims with those
 * from axis on set to 1. */
static int
sh_layernorm(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    int ax;
    if (ir_sh_want_dtype(g, n, d, 1, x->dt) < 0 || ir_sh_want_dtype(g, n, d, 2, x->dt) < 0)
        return -1;
    if (x->rank < 0) {
        ir_sh_set_out(g, n, 0, x->dt, NULL);
        ir_sh_set_out(g, n, 1, DT_F32, NULL);
        ir_sh_set_out(g, n, 2, DT_F32, NULL);
        return 0;
    }
    if (ir_sh_axis_in(g, n, d, g->node[n].attr->norm.axis, x->rank, &ax) < 0)
        return -1;
    for (int i = 1; i < 3; i++) {
        const Value *p = ir_sh_input(g, n, i);
        if (p && p->rank > x->rank - ax)
            return diag_node(d, g, n, "input %d %s has more dims than X from axis %d on", i,
                             ir_sh_desc(p).s, ax);
    }
    Shape s = ir_sh_shape_of(x), m = ir_sh_shape_of(x);
    for (int i = ax; i < x->rank; i++)
        m.dim[i] = 1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    ir_sh_set_out(g, n, 1, DT_F32, &m);
    ir_sh_set_out(g, n, 2, DT_F32, &m);
    return 0;
}

/* ArgMax, ArgMin: int64 indices along one axis, which keepdims keeps as 1. */
static int
sh_argred(Graph *g, NodeId n, Diag *d)
{
    const AxisAttr *a = &g->node[n].attr->axis;
    const Value *x = ir_sh_input(g, n, 0);
    int ax;
    if (x->rank < 0)
        return ir_sh_unknown(g, n, DT_I64);
    if (ir_sh_want_rank(g, n, d, 0, 1, IR_MAXRANK) < 0 ||
        ir_sh_axis_in(g, n, d, a->axis, x->rank, &ax) < 0)
        return -1;
    Shape s = {.rank = 0};
    for (int i = 0; i < x->rank; i++)
        if (i != ax)
            s.dim[s.rank++] = x->dim[i];
        else if (a->keepdims)
            s.dim[s.rank++] = 1;
    ir_sh_set_out(g, n, 0, DT_I64, &s);
    return 0;
}

/* The axes input is optional (opset 18 form); its values may be negative and must be unique. */
int
ir_reduce_plan(Graph *g, NodeId n, Diag *d, int red[IR_MAXRANK])
{
    const Value *x = ir_sh_input(g, n, 0);
    int64_t axes[IR_MAXRANK];
    int cnt = 0, ax;
    memset(red, 0, IR_MAXRANK * sizeof *red);
    if (x->rank < 0)
        return 0;
    if (ir_sh_input(g, n, 1)) {
        int k = ir_sh_const_ints(g, n, d, 1, axes, IR_MAXRANK, &cnt);
        if (k <= 0)
            return k;
    }
    if (cnt == 0) { /* no axes: all of them, or none with noop_with_empty_axes */
        for (int i = 0; i < x->rank; i++)
            red[i] = !g->node[n].attr->reduce.noop_with_empty_axes;
        return 1;
    }
    for (int i = 0; i < cnt; i++) {
        if (ir_sh_axis_in(g, n, d, axes[i], x->rank, &ax) < 0)
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
    const Value *x = ir_sh_input(g, n, 0);
    int red[IR_MAXRANK];
    int k = ir_reduce_plan(g, n, d, red);
    if (k <= 0)
        return k < 0 ? -1 : ir_sh_unknown(g, n, x->dt);
    Shape s = {.rank = 0};
    for (int i = 0; i < x->rank; i++)
        if (!red[i])
            s.dim[s.rank++] = x->dim[i];
        else if (g->node[n].attr->reduce.keepdims)
            s.dim[s.rank++] = 1;
    ir_sh_set_out(g, n, 0, x->dt, &s);
    return 0;
}

/* ---- dtype conversion ------------------------------------------------------------------------ */

/* Cast: the shape of the input, the dtype of attribute `to`. */
static int
sh_cast(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    DType to = g->node[n].attr->cast.to;
    Shape s = ir_sh_shape_of(x);
    if (to == DT_UNDEF || (unsigned)to >= DT_COUNT)
        return diag_node(d, g, n, "Cast has no valid 'to' dtype (%d)", (int)to);
    ir_sh_set_out(g, n, 0, to, x->rank >= 0 ? &s : NULL);
    return 0;
}

/* CastLike: the shape of input 0, the dtype of input 1. */
static int
sh_castlike(Graph *g, NodeId n, Diag *d)
{
    const Value *x = ir_sh_input(g, n, 0);
    Shape s = ir_sh_shape_of(x);
    (void)d;
    ir_sh_set_out(g, n, 0, ir_sh_input(g, n, 1)->dt, x->rank >= 0 ? &s : NULL);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

typedef int InferFn(Graph *g, NodeId n, Diag *d);

static InferFn *const infer[SH_COUNT] = {
    [SH_NONE] = sh_none,
    [SH_BODY] = sh_none,        /* the bodies' shapes are inferred once inlined */
    [SH_SEQ] = sh_none,         /* a sequence's tensors are known once resolved */
    [SH_SAME] = sh_same,
    [SH_BOOL] = sh_bool,
    [SH_BCAST] = sh_bcast,
    [SH_CMP] = sh_cmp,
    [SH_WHERE] = sh_where,
    [SH_CONV] = ir_sh_conv,
    [SH_CONVT] = ir_sh_convt,
    [SH_GEMM] = sh_gemm,
    [SH_MATMUL] = sh_matmul,
    [SH_POOL] = ir_sh_pool,
    [SH_GPOOL] = ir_sh_gpool,
    [SH_LAYERNORM] = sh_layernorm,
    [SH_ARGRED] = sh_argred,
    [SH_REDUCE] = sh_reduce,
    [SH_CAST] = sh_cast,
    [SH_CASTLIKE] = sh_castlike,
    [SH_CONCAT] = ir_sh_concat,
    [SH_CONSTSHAPE] = ir_sh_constshape,
    [SH_D2S] = ir_sh_d2s,
    [SH_S2D] = ir_sh_s2d,
    [SH_DROPOUT] = ir_sh_dropout,
    [SH_EXPAND] = ir_sh_expand,
    [SH_FLATTEN] = ir_sh_flatten,
    [SH_GATHER] = ir_sh_gather,
    [SH_GATHERELT] = ir_sh_gatherelt,
    [SH_GATHERND] = ir_sh_gathernd,
    [SH_NONZERO] = ir_sh_nonzero,
    [SH_TOPK] = ir_sh_topk,
    [SH_EINSUM] = sh_einsum,
    [SH_PAD] = ir_sh_pad,
    [SH_RANGE] = ir_sh_range,
    [SH_RESHAPE] = ir_sh_reshape,
    [SH_RESIZE] = ir_sh_resize,
    [SH_SCATTER] = ir_sh_scatter,
    [SH_RNN] = sh_rnn,
    [SH_SHAPE] = ir_sh_shape,
    [SH_SIZE] = ir_sh_size,
    [SH_SLICE] = ir_sh_slice,
    [SH_SPLIT] = ir_sh_split,
    [SH_SQUEEZE] = ir_sh_squeeze,
    [SH_TILE] = ir_sh_tile,
    [SH_TRANSPOSE] = ir_sh_transpose,
    [SH_UNSQUEEZE] = ir_sh_unsqueeze,
    [SH_QUANT] = ir_sh_quant,
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
        if (!ir_sh_input(g, n, i))
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
                             ir_sh_desc(v).s);
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
        const Value *v = ir_sh_input(g, n, i);
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

int
ir_infer_fold_node(Graph *g, NodeId n, Diag *d)
{
    if (ir_infer_node(g, n, d) < 0)
        return -1;
    return foldable(g, n) ? ir_fold_node(g, n, d) : 0;
}

/* One pass in node order: inputs are inferred (and possibly folded) before their users. */
int
ir_infer(Graph *g, Diag *d)
{
    for (NodeId n = 0; n < g->nnode; n++) {
        if (g->node[n].op == OP_NOP)
            continue;
        if (ir_infer_fold_node(g, n, d) < 0)
            return -1;
    }
    return 0;
}
