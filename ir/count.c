/*
 * count.c: FLOPs and bytes of one node, for `hetc inspect` and the cost model.
 *
 * One function per FlopClass (the FLOPS column of ops.def), dispatched through a table. A
 * multiply-add counts as 2 FLOPs; bias additions of Conv/Gemm are not counted. Per-element costs
 * (FL_ELT per output element, FL_RED per input element, FL_POOL per window element) come from
 * ir_op[op].k. A count that needs a shape that is not known is -1 in ir_node_flops_known (0 in
 * ir_node_flops, for estimates); one that overflows int64 saturates at INT64_MAX.
 */
#include "ir.h"
#include "shape_impl.h"

static const Value *
input(const Graph *g, const Node *n, int i)
{
    return i < n->nin && n->in[i] != NONE ? &g->val[n->in[i]] : NULL;
}

static const Value *
output(const Graph *g, const Node *n, int i)
{
    return i < n->nout && n->out[i] != NONE ? &g->val[n->out[i]] : NULL;
}

/* Saturating product for counts: negative (unknown) stays -1, overflow gives INT64_MAX. */
static int64_t
smul(int64_t a, int64_t b)
{
    int64_t r;
    if (a < 0 || b < 0)
        return -1;
    return mul_ov(a, b, &r) ? INT64_MAX : r;
}

static int64_t
numel(const Value *v)
{
    return v ? ir_numel(v) : -1;
}

/* Product of v's dims from lo on; -1 if v or a dim is unknown. */
static int64_t
dims_from(const Value *v, int lo)
{
    int64_t p = 1;
    if (!v || v->rank < lo)
        return -1;
    for (int i = lo; i < v->rank; i++)
        p = smul(p, v->dim[i]);
    return p;
}

static int64_t
fl_none(const Graph *g, const Node *n)
{
    (void)g;
    (void)n;
    return 0;
}

static int64_t
fl_elt(const Graph *g, const Node *n)
{
    return smul(ir_op[n->op].k, numel(output(g, n, 0)));
}

static int64_t
fl_red(const Graph *g, const Node *n)
{
    return smul(ir_op[n->op].k, numel(input(g, n, 0)));
}

/* 2 x out_numel x (C_in / group) x prod(kernel) = 2 x out_numel x prod(W.dim[1:]) */
static int64_t
fl_conv(const Graph *g, const Node *n)
{
    const Value *w = input(g, n, ir_op_weight_in(n->op));
    return smul(2, smul(numel(output(g, n, 0)), dims_from(w, 1)));
}

/* 2 x in_numel x (C_out / group) x prod(kernel) = 2 x in_numel x prod(W.dim[1:]) */
static int64_t
fl_convt(const Graph *g, const Node *n)
{
    return smul(2, smul(numel(input(g, n, 0)), dims_from(input(g, n, 1), 1)));
}

/* 2 x M x N x K, with K read from A (transposed or not) */
static int64_t
fl_gemm(const Graph *g, const Node *n)
{
    const Value *a = input(g, n, 0);
    if (!a || a->rank != 2)
        return -1;
    int64_t k = a->dim[n->attr->gemm.trans_a ? 0 : 1];
    return smul(2, smul(numel(output(g, n, 0)), k));
}

/* 2 x batch x M x N x K = 2 x out_numel x K, K = A's last dim */
static int64_t
fl_matmul(const Graph *g, const Node *n)
{
    const Value *a = input(g, n, 0);
    if (!a || a->rank < 1)
        return -1;
    return smul(2, smul(numel(output(g, n, 0)), a->dim[a->rank - 1]));
}

/* k x out_numel x prod(kernel_shape) */
static int64_t
fl_pool(const Graph *g, const Node *n)
{
    const Ints *kernel = &n->attr->pool.kernel;
    int64_t p = smul(ir_op[n->op].k, numel(output(g, n, 0)));
    for (int i = 0; i < kernel->n; i++)
        p = smul(p, kernel->v[i]);
    return p;
}

/* GRU, LSTM, RNN: the input projection and the recurrence, 2 x seq x batch x (W's + R's
 * elements), which counts both directions; the gates' activations are not counted. */
static int64_t
fl_rnn(const Graph *g, const Node *n)
{
    const Value *x = input(g, n, 0);
    int64_t rows = x && x->rank == 3 ? smul(x->dim[0], x->dim[1]) : -1;
    int64_t w = numel(input(g, n, 1)), r = numel(input(g, n, 2));
    return w < 0 || r < 0 ? -1 : smul(2, smul(rows, w > INT64_MAX - r ? INT64_MAX : w + r));
}

typedef int64_t FlopFn(const Graph *g, const Node *n);

static FlopFn *const flops[] = {
    [FL_NONE] = fl_none,   [FL_ELT] = fl_elt,   [FL_RED] = fl_red,       [FL_CONV] = fl_conv,
    [FL_CONVT] = fl_convt, [FL_GEMM] = fl_gemm, [FL_MATMUL] = fl_matmul, [FL_POOL] = fl_pool,
    [FL_RNN] = fl_rnn,
};

int64_t
ir_node_flops_known(const Graph *g, const Node *n)
{
    if (n->op == OP_UNKNOWN)
        return -1;
    FlopClass c = ir_op[n->op].flops;
    IR_ASSERT((unsigned)c < sizeof flops / sizeof flops[0] && flops[c]);
    return flops[c](g, n);
}

int64_t
ir_node_flops(const Graph *g, const Node *n)
{
    int64_t f = ir_node_flops_known(g, n);
    return f < 0 ? 0 : f;
}

int64_t
ir_node_bytes(const Graph *g, const Node *n)
{
    int64_t b = 0;
    for (int i = 0; i < n->nin + n->nout; i++) {
        const Value *v = i < n->nin ? input(g, n, i) : output(g, n, i - n->nin);
        size_t s = v ? ir_nbytes(v) : 0;
        if (s > (uint64_t)INT64_MAX || add_ov(b, (int64_t)s, &b))
            return INT64_MAX;
    }
    return b;
}
