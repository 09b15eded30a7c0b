/*
 * test_shape.c: shape inference, constant folding and FLOP counts on small hand-built graphs:
 * Conv/ConvTranspose/pool windows, broadcasting and its errors, MatMul and Gemm, Reshape, the
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain that folding must make static,
 * ConstantOfShape, Slice, Split, Squeeze, Resize, int64 overflow, and Conv/Gemm FLOPs.
 */
#include "ir/ir.h"

#include <stdlib.h>
#include <string.h>

#include "../test.h"

static Graph *g;
static Diag d;

static void
fresh(void)
{
    if (g)
        ir_graph_free(g);
    g = ir_graph_new("t.onnx");
    diag_init(&d, "t.onnx");
}

/* a value of the given dtype and shape (rank -1: unknown) */
static ValId
val(const char *name, DType dt, int rank, const int64_t *dims)
{
    ValId v = ir_val_add(g, name, dt, NULL);
    g->val[v].rank = rank;
    for (int i = 0; i < rank; i++)
        g->val[v].dim[i] = dims[i];
    return v;
}

#define DIMS(...)                                                                                  \
    (const int64_t[])                                                                              \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define NDIMS(...) (int)(sizeof(DIMS(__VA_ARGS__)) / sizeof(int64_t))
#define TENSOR(name, dt, ...) val(name, dt, NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))

/* a 1-D int64 constant */
static ValId
ints(const char *name, int n, const int64_t *v)
{
    ValId x = val(name, DT_I64, 1, (const int64_t[]){n});
    int64_t *p = ir_galloc(g, (size_t)n * sizeof *p + 1);
    if (n > 0)
        memcpy(p, v, (size_t)n * sizeof *p);
    g->val[x].data = p;
    g->val[x].flags |= V_CONST | V_PARAM;
    return x;
}

#define INTS(name, ...) ints(name, NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))

/* a 1-D float32 constant */
static ValId
floats(const char *name, int n, const float *v)
{
    ValId x = val(name, DT_F32, 1, (const int64_t[]){n});
    float *p = ir_galloc(g, (size_t)n * sizeof *p + 1);
    if (n > 0)
        memcpy(p, v, (size_t)n * sizeof *p);
    g->val[x].data = p;
    g->val[x].flags |= V_CONST | V_PARAM;
    return x;
}

/* an int64 scalar constant */
static ValId
scalar(const char *name, int64_t v)
{
    ValId x = ints(name, 1, &v);
    g->val[x].rank = 0;
    return x;
}

/* Adds a node whose outputs are fresh values NAME, NAME.1, ...; in[i] < 0 stays omitted. */
static NodeId
node(OpKind op, const char *name, int nin, const ValId *in, int nout)
{
    NodeId n = ir_node_add(g, op, name, nin, nout);
    for (int i = 0; i < nin; i++)
        g->node[n].in[i] = in[i];
    for (int i = 0; i < nout; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, i ? "%s.%d" : "%s", name, i);
        ValId v = ir_val_add(g, buf, DT_UNDEF, NULL);
        g->node[n].out[i] = v;
        g->val[v].def = n;
    }
    return n;
}

#define NODE(op, name, nout, ...)                                                                  \
    node(op, name, (int)(sizeof((ValId[]){__VA_ARGS__}) / sizeof(ValId)), (ValId[]){__VA_ARGS__},  \
         nout)

static Value *
out(NodeId n, int i)
{
    return &g->val[g->node[n].out[i]];
}

/* whether v has exactly this rank and these dims */
static int
is(const Value *v, int rank, const int64_t *dims)
{
    if (v->rank != rank)
        return 0;
    for (int i = 0; i < rank; i++)
        if (v->dim[i] != dims[i])
            return 0;
    return 1;
}

#define SHAPE_IS(v, ...) is(v, NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))

static Ints
I(int n, const int64_t *v)
{
    return (Ints){n, v};
}

#define INTS_ATTR(...) I(NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))

static int
infer(void)
{
    return ir_infer(g, &d);
}

/* ---- convolution and pooling ----------------------------------------------------------------- */

static void
test_conv(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 1, 3, 224, 224), w = TENSOR("w", DT_F32, 64, 3, 7, 7);
    NodeId c1 = NODE(OP_CONV, "c1", 1, x, w);
    g->node[c1].attr->conv.pads = INTS_ATTR(3, 3, 3, 3);
    g->node[c1].attr->conv.strides = INTS_ATTR(2, 2);
    /* depthwise, dilated: 32 groups of 1 channel, effective kernel 5 */
    ValId x2 = TENSOR("x2", DT_F32, 1, 32, 56, 56), w2 = TENSOR("w2", DT_F32, 32, 1, 3, 3);
    ValId b2 = TENSOR("b2", DT_F32, 32);
    NodeId c2 = NODE(OP_CONV, "c2", 1, x2, w2, b2);
    g->node[c2].attr->conv.group = 32;
    g->node[c2].attr->conv.dilations = INTS_ATTR(2, 2);
    g->node[c2].attr->conv.pads = INTS_ATTR(2, 1, 2, 1);
    /* SAME_UPPER gives ceil(in / stride) whatever the kernel */
    ValId x3 = TENSOR("x3", DT_F32, 2, 3, 15, 16), w3 = TENSOR("w3", DT_F32, 8, 3, 3, 5);
    NodeId c3 = NODE(OP_CONV, "c3", 1, x3, w3);
    g->node[c3].attr->conv.auto_pad = PAD_SAME_UPPER;
    g->node[c3].attr->conv.strides = INTS_ATTR(2, 3);
    /* VALID and a 1-D convolution */
    ValId x4 = TENSOR("x4", DT_F32, 1, 4, 10), w4 = TENSOR("w4", DT_F32, 6, 4, 3);
    NodeId c4 = NODE(OP_CONV, "c4", 1, x4, w4);
    g->node[c4].attr->conv.auto_pad = PAD_VALID;
    g->node[c4].attr->conv.strides = INTS_ATTR(2);
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(c1, 0), 1, 64, 112, 112) && out(c1, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(c2, 0), 1, 32, 56, 54));
    CHECK(SHAPE_IS(out(c3, 0), 2, 8, 8, 6));
    CHECK(SHAPE_IS(out(c4, 0), 1, 6, 4));
    /* FLOPs: 2 x out_numel x C_in/group x prod(kernel) */
    CHECK(ir_node_flops(g, &g->node[c1]) == 2LL * 64 * 112 * 112 * 3 * 7 * 7);
    CHECK(ir_node_flops(g, &g->node[c2]) == 2LL * 32 * 56 * 54 * 1 * 3 * 3);
    CHECK(ir_node_bytes(g, &g->node[c1]) == 4LL * (3 * 224 * 224 + 64 * 3 * 49 + 64 * 112 * 112));

    /* a dynamic batch stays dynamic, the rest is still known */
    fresh();
    x = TENSOR("x", DT_F32, -1, 3, 32, 32);
    w = TENSOR("w", DT_F32, 16, 3, 3, 3);
    c1 = NODE(OP_CONV, "c1", 1, x, w);
    CHECK(infer() == 0 && SHAPE_IS(out(c1, 0), -1, 16, 30, 30));
    CHECK(ir_node_flops(g, &g->node[c1]) == 0);

    /* channel mismatch: 3 channels, but W wants 4 x group 1 */
    fresh();
    x = TENSOR("x", DT_F32, 1, 3, 8, 8);
    w = TENSOR("w", DT_F32, 8, 4, 3, 3);
    NODE(OP_CONV, "conv_bad", 1, x, w);
    CHECK(infer() < 0 && strstr(d.msg, "conv_bad") && strstr(d.msg, "channels"));
    /* W of the wrong rank */
    fresh();
    x = TENSOR("x", DT_F32, 1, 3, 8, 8);
    w = TENSOR("w", DT_F32, 8, 3, 3);
    NODE(OP_CONV, "conv_rank", 1, x, w);
    CHECK(infer() < 0 && strstr(d.msg, "conv_rank") && strstr(d.msg, "rank 3"));
}

static void
test_convtranspose(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 1, 16, 7, 7), w = TENSOR("w", DT_F32, 16, 8, 3, 3);
    /* 2 * (7 - 1) + 1 + 3 - 2 = 14 */
    NodeId t1 = NODE(OP_CONVTRANSPOSE, "t1", 1, x, w);
    g->node[t1].attr->conv.strides = INTS_ATTR(2, 2);
    g->node[t1].attr->conv.pads = INTS_ATTR(1, 1, 1, 1);
    g->node[t1].attr->conv.output_padding = INTS_ATTR(1, 1);
    /* output_shape wins over the formula */
    NodeId t2 = NODE(OP_CONVTRANSPOSE, "t2", 1, x, w);
    g->node[t2].attr->conv.strides = INTS_ATTR(3, 2);
    g->node[t2].attr->conv.output_shape = INTS_ATTR(20, 15);
    /* group 2: output channels = W.dim[1] * group; SAME_UPPER: in * stride */
    ValId wg = TENSOR("wg", DT_F32, 16, 4, 3, 3);
    NodeId t3 = NODE(OP_CONVTRANSPOSE, "t3", 1, x, wg);
    g->node[t3].attr->conv.group = 2;
    g->node[t3].attr->conv.strides = INTS_ATTR(2, 2);
    g->node[t3].attr->conv.auto_pad = PAD_SAME_UPPER;
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(t1, 0), 1, 8, 14, 14));
    CHECK(SHAPE_IS(out(t2, 0), 1, 8, 20, 15));
    CHECK(SHAPE_IS(out(t3, 0), 1, 8, 14, 14));
    /* FLOPs: 2 x in_numel x C_out/group x prod(kernel) */
    CHECK(ir_node_flops(g, &g->node[t3]) == 2LL * 16 * 49 * 4 * 9);
}

static void
test_pool(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 1, 2, 6, 6);
    NodeId pf = NODE(OP_MAXPOOL, "floor", 1, x), pc = NODE(OP_MAXPOOL, "ceil", 2, x);
    g->node[pf].attr->pool.kernel = INTS_ATTR(3, 3);
    g->node[pf].attr->pool.strides = INTS_ATTR(2, 2);
    g->node[pc].attr->pool = g->node[pf].attr->pool;
    g->node[pc].attr->pool.ceil_mode = 1;
    /* ceil mode drops a last window that would start in the right padding only */
    ValId x2 = TENSOR("x2", DT_F32, 1, 1, 2, 2);
    NodeId drop = NODE(OP_MAXPOOL, "drop", 1, x2);
    g->node[drop].attr->pool.kernel = INTS_ATTR(1, 1);
    g->node[drop].attr->pool.strides = INTS_ATTR(2, 2);
    g->node[drop].attr->pool.ceil_mode = 1;
    ValId x3 = TENSOR("x3", DT_F32, 1, 1, 5, 5);
    NodeId padded = NODE(OP_AVERAGEPOOL, "padded", 1, x3);
    g->node[padded].attr->pool.kernel = INTS_ATTR(2, 2);
    g->node[padded].attr->pool.strides = INTS_ATTR(2, 2);
    g->node[padded].attr->pool.pads = INTS_ATTR(1, 1, 1, 1);
    g->node[padded].attr->pool.ceil_mode = 1;
    NodeId gp = NODE(OP_GLOBALAVERAGEPOOL, "gp", 1, x);
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(pf, 0), 1, 2, 2, 2));
    CHECK(SHAPE_IS(out(pc, 0), 1, 2, 3, 3));
    CHECK(SHAPE_IS(out(pc, 1), 1, 2, 3, 3) && out(pc, 1)->dt == DT_I64);
    CHECK(SHAPE_IS(out(drop, 0), 1, 1, 1, 1));
    CHECK(SHAPE_IS(out(padded, 0), 1, 1, 3, 3));
    CHECK(SHAPE_IS(out(gp, 0), 1, 2, 1, 1));
    CHECK(ir_node_flops(g, &g->node[pc]) == 1LL * 2 * 3 * 3 * 9);
}

/* ---- elementwise and linear algebra ---------------------------------------------------------- */

static void
test_broadcast(void)
{
    fresh();
    ValId a = TENSOR("a", DT_F32, 2, 1, 4), b = TENSOR("b", DT_F32, 3, 1);
    ValId c = TENSOR("c", DT_F32, -1, 1, 4), e = TENSOR("e", DT_F32, 5);
    NodeId add = NODE(OP_ADD, "add", 1, a, b);
    NodeId dyn = NODE(OP_MUL, "dyn", 1, c, b);
    NodeId sum = NODE(OP_SUM, "sum", 1, a, b, a);
    NodeId eq = NODE(OP_EQUAL, "eq", 1, a, b);
    ValId cond = TENSOR("cond", DT_BOOL, 3, 1);
    NodeId wh = NODE(OP_WHERE, "wh", 1, cond, a, e);
    CHECK(infer() < 0); /* Where: [3,1] x [2,1,4] x [5] is not broadcastable */
    CHECK(strstr(d.msg, "\"wh\"") != NULL);
    g->node[wh].op = OP_NOP;
    diag_init(&d, "t.onnx");
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(add, 0), 2, 3, 4) && out(add, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(dyn, 0), -1, 3, 4));
    CHECK(SHAPE_IS(out(sum, 0), 2, 3, 4));
    CHECK(SHAPE_IS(out(eq, 0), 2, 3, 4) && out(eq, 0)->dt == DT_BOOL);
    CHECK(ir_node_flops(g, &g->node[add]) == 24);

    fresh();
    a = TENSOR("a", DT_F32, 2, 3);
    b = TENSOR("b", DT_F32, 4);
    NODE(OP_ADD, "add_bad", 1, a, b);
    CHECK(infer() < 0);
    CHECK(strstr(d.msg, "t.onnx: node 0 \"add_bad\" (Add):") == d.msg);
    CHECK(strstr(d.msg, "broadcast") != NULL);
    CHECK(d.kind == DIAG_INPUT);

    /* mismatched dtypes */
    fresh();
    a = TENSOR("a", DT_F32, 2);
    b = TENSOR("b", DT_I64, 2);
    NODE(OP_SUB, "sub_dt", 1, a, b);
    CHECK(infer() < 0 && strstr(d.msg, "int64"));

    /* an input of unknown rank gives an output of unknown rank, and no error */
    fresh();
    a = val("a", DT_F32, -1, NULL);
    b = TENSOR("b", DT_F32, 4);
    add = NODE(OP_ADD, "add", 1, a, b);
    NodeId un = NODE(OP_UNKNOWN, "un", 1, b);
    NodeId r = NODE(OP_RELU, "r", 1, g->node[un].out[0]);
    CHECK(infer() == 0 && out(add, 0)->rank == -1 && out(add, 0)->dt == DT_F32);
    CHECK(out(un, 0)->rank == -1 && out(un, 0)->dt == DT_UNDEF && out(r, 0)->rank == -1);
}

static void
test_matmul_gemm(void)
{
    fresh();
    ValId v3 = TENSOR("v3", DT_F32, 3), m34 = TENSOR("m34", DT_F32, 3, 4);
    ValId a = TENSOR("a", DT_F32, 2, 1, 3, 4), b = TENSOR("b", DT_F32, 5, 4, 6);
    ValId c = TENSOR("c", DT_F32, 2, 3, 4), v4 = TENSOR("v4", DT_F32, 4);
    NodeId vm = NODE(OP_MATMUL, "vm", 1, v3, m34);
    NodeId bm = NODE(OP_MATMUL, "bm", 1, a, b);
    NodeId mv = NODE(OP_MATMUL, "mv", 1, c, v4);
    NodeId vv = NODE(OP_MATMUL, "vv", 1, v4, v4);
    ValId ga = TENSOR("ga", DT_F32, 4, 3), gb = TENSOR("gb", DT_F32, 5, 4);
    ValId gc = TENSOR("gc", DT_F32, 5);
    NodeId gm = NODE(OP_GEMM, "gm", 1, ga, gb, gc);
    g->node[gm].attr->gemm.trans_a = 1;
    g->node[gm].attr->gemm.trans_b = 1;
    ValId fa = TENSOR("fa", DT_F32, 1, 512), fb = TENSOR("fb", DT_F32, 512, 1000);
    NodeId fc = NODE(OP_GEMM, "fc", 1, fa, fb, TENSOR("fbias", DT_F32, 1000));
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(vm, 0), 4));
    CHECK(SHAPE_IS(out(bm, 0), 2, 5, 3, 6));
    CHECK(SHAPE_IS(out(mv, 0), 2, 3));
    CHECK(out(vv, 0)->rank == 0);
    CHECK(SHAPE_IS(out(gm, 0), 3, 5));
    CHECK(SHAPE_IS(out(fc, 0), 1, 1000));
    CHECK(ir_node_flops(g, &g->node[fc]) == 2LL * 1 * 1000 * 512);
    CHECK(ir_node_flops(g, &g->node[gm]) == 2LL * 3 * 5 * 4);
    CHECK(ir_node_flops(g, &g->node[bm]) == 2LL * 2 * 5 * 3 * 6 * 4);

    fresh();
    a = TENSOR("a", DT_F32, 3, 4);
    b = TENSOR("b", DT_F32, 5, 6);
    NODE(OP_MATMUL, "mm_bad", 1, a, b);
    CHECK(infer() < 0 && strstr(d.msg, "mm_bad") && strstr(d.msg, "inner"));
}

/* ---- reshaping and folding ------------------------------------------------------------------- */

static void
test_reshape(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 2, 3, 4);
    NodeId r1 = NODE(OP_RESHAPE, "r1", 1, x, INTS("s1", 0, -1));
    NodeId r2 = NODE(OP_RESHAPE, "r2", 1, x, INTS("s2", -1, 2, 2));
    NodeId fl = NODE(OP_FLATTEN, "fl", 1, x);
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(r1, 0), 2, 12));
    CHECK(SHAPE_IS(out(r2, 0), 6, 2, 2));
    CHECK(SHAPE_IS(out(fl, 0), 2, 12));

    fresh();
    x = TENSOR("x", DT_F32, 2, 3, 4);
    NODE(OP_RESHAPE, "two_neg", 1, x, INTS("s", -1, -1));
    CHECK(infer() < 0 && strstr(d.msg, "two_neg") && strstr(d.msg, "-1"));
    fresh();
    x = TENSOR("x", DT_F32, 2, 3, 4);
    NODE(OP_RESHAPE, "count", 1, x, INTS("s", 5, 5));
    CHECK(infer() < 0 && strstr(d.msg, "count") && strstr(d.msg, "24"));
    fresh();
    x = TENSOR("x", DT_F32, 2, 3, 4);
    NODE(OP_RESHAPE, "fshape", 1, x, floats("s", 2, (const float[]){6, 4}));
    CHECK(infer() < 0 && strstr(d.msg, "fshape") && strstr(d.msg, "float32"));

    /* a shape that is not a constant: only the rank is known */
    fresh();
    x = TENSOR("x", DT_F32, 2, 3, 4);
    r1 = NODE(OP_RESHAPE, "r1", 1, x, TENSOR("s", DT_I64, 2));
    CHECK(infer() == 0 && SHAPE_IS(out(r1, 0), -1, -1));
}

/* the head split of a transformer: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), i)), [2, 64])) */
static void
test_shape_chain(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 1, 32, 128);
    NodeId sh = NODE(OP_SHAPE, "sh", 1, x);
    NodeId g0 = NODE(OP_GATHER, "g0", 1, g->node[sh].out[0], scalar("i0", 0));
    NodeId g1 = NODE(OP_GATHER, "g1", 1, g->node[sh].out[0], scalar("i1", 1));
    NodeId u0 = NODE(OP_UNSQUEEZE, "u0", 1, g->node[g0].out[0], INTS("ax0", 0));
    NodeId u1 = NODE(OP_UNSQUEEZE, "u1", 1, g->node[g1].out[0], INTS("ax1", 0));
    NodeId cat =
        NODE(OP_CONCAT, "cat", 1, g->node[u0].out[0], g->node[u1].out[0], INTS("heads", 2, 64));
    NodeId rs = NODE(OP_RESHAPE, "rs", 1, x, g->node[cat].out[0]);
    NodeId tr = NODE(OP_TRANSPOSE, "tr", 1, g->node[rs].out[0]);
    g->node[tr].attr->perm.perm = INTS_ATTR(0, 2, 1, 3);
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(sh, 0), 3) && (out(sh, 0)->flags & V_CONST));
    CHECK(out(g0, 0)->rank == 0 && (out(g0, 0)->flags & V_CONST));
    CHECK(ir_const_i(out(g1, 0), 0) == 32);
    CHECK(SHAPE_IS(out(u1, 0), 1) && (out(u1, 0)->flags & V_CONST));
    const Value *cv = out(cat, 0);
    CHECK(SHAPE_IS(cv, 4) && (cv->flags & V_CONST) && !(cv->flags & V_PARAM));
    CHECK(ir_const_i(cv, 0) == 1 && ir_const_i(cv, 1) == 32 && ir_const_i(cv, 2) == 2 &&
          ir_const_i(cv, 3) == 64);
    CHECK(SHAPE_IS(out(rs, 0), 1, 32, 2, 64) && !(out(rs, 0)->flags & V_CONST));
    CHECK(SHAPE_IS(out(tr, 0), 1, 2, 32, 64));

    /* Shape slicing (opset 15): start 1, end -1 */
    fresh();
    x = TENSOR("x", DT_F32, 2, 3, 4, 5);
    sh = NODE(OP_SHAPE, "sh", 1, x);
    g->node[sh].attr->shape.start = 1;
    g->node[sh].attr->shape.end = -1;
    g->node[sh].attr->shape.has_end = 1;
    NodeId sz = NODE(OP_SIZE, "sz", 1, x);
    CHECK(infer() == 0 && SHAPE_IS(out(sh, 0), 2));
    CHECK(ir_const_i(out(sh, 0), 0) == 3 && ir_const_i(out(sh, 0), 1) == 4);
    CHECK(out(sz, 0)->rank == 0 && ir_const_i(out(sz, 0), 0) == 120);
}

static void
test_constantofshape(void)
{
    fresh();
    NodeId c = NODE(OP_CONSTANTOFSHAPE, "c", 1, INTS("s", 2, 3));
    g->node[c].attr->cst = (ConstAttr){.dt = DT_I64, .i = 7};
    NodeId z = NODE(OP_CONSTANTOFSHAPE, "z", 1, ints("e", 0, NULL)); /* empty shape: a scalar */
    g->node[z].attr->cst = (ConstAttr){.dt = DT_F32, .f = 0.5};
    NodeId e0 = NODE(OP_CONSTANTOFSHAPE, "e0", 1, INTS("zero", 0));
    /* weights built as ConstantOfShape -> Mul become constants too */
    NodeId m = NODE(OP_MUL, "m", 1, g->node[c].out[0], scalar("k", -3));
    NodeId cst = NODE(OP_CAST, "cst", 1, g->node[m].out[0]);
    g->node[cst].attr->cast.to = DT_F32;
    CHECK(infer() == 0);
    const Value *v = out(c, 0);
    CHECK(SHAPE_IS(v, 2, 3) && v->dt == DT_I64 && (v->flags & V_CONST));
    int all7 = 1;
    for (int i = 0; i < 6; i++)
        all7 &= ir_const_i(v, i) == 7;
    CHECK(all7);
    CHECK(out(z, 0)->rank == 0 && ir_const_f(out(z, 0), 0) == 0.5);
    CHECK(SHAPE_IS(out(e0, 0), 0) && (out(e0, 0)->flags & V_CONST)); /* [0]: no elements */
    CHECK(ir_const_i(out(m, 0), 5) == -21);
    CHECK(out(cst, 0)->dt == DT_F32 && ir_const_f(out(cst, 0), 0) == -21.0);
}

/* integer arithmetic folds exactly: Div truncates, Mod follows the divisor's sign */
static void
test_fold_arith(void)
{
    fresh();
    ValId a = INTS("a", 7, -7, 7, -7), b = INTS("b", 2, 2, -2, -2);
    NodeId dv = NODE(OP_DIV, "dv", 1, a, b), md = NODE(OP_MOD, "md", 1, a, b);
    NodeId fm = NODE(OP_MOD, "fm", 1, a, b);
    g->node[fm].attr->mode.mode = 1;
    NodeId rs = NODE(OP_REDUCESUM, "rs", 1, a);
    NodeId rp = NODE(OP_REDUCEPROD, "rp", 1, b, INTS("ax", 0));
    g->node[rp].attr->reduce.keepdims = 0;
    NodeId rg = NODE(OP_RANGE, "rg", 1, scalar("st", 10), scalar("li", 1), scalar("de", -4));
    ValId f = floats("f", 3, (const float[]){1.5f, -2.5f, 0.5f});
    NodeId rn = NODE(OP_ROUND, "rn", 1, f), ci = NODE(OP_CAST, "ci", 1, f);
    g->node[ci].attr->cast.to = DT_I32;
    /* float16 and bfloat16 round trips through the element accessors */
    NodeId h = NODE(OP_CAST, "h", 1, f), bf = NODE(OP_CAST, "bf", 1, f);
    g->node[h].attr->cast.to = DT_F16;
    g->node[bf].attr->cast.to = DT_BF16;
    NodeId hs = NODE(OP_ADD, "hs", 1, g->node[h].out[0], g->node[h].out[0]);
    NodeId r = NODE(OP_RESHAPE, "r", 1, a, INTS("s", 2, 2));
    NodeId tr = NODE(OP_TRANSPOSE, "tr", 1, g->node[r].out[0]);
    NodeId zero = NODE(OP_DIV, "zero", 1, a, INTS("z", 0));
    CHECK(infer() < 0 && strstr(d.msg, "zero") && strstr(d.msg, "division by zero"));
    g->node[zero].op = OP_NOP;
    diag_init(&d, "t.onnx");
    CHECK(infer() == 0);
    const Value *v = out(dv, 0);
    CHECK(ir_const_i(v, 0) == 3 && ir_const_i(v, 1) == -3 && ir_const_i(v, 2) == -3 &&
          ir_const_i(v, 3) == 3);
    v = out(md, 0);
    CHECK(ir_const_i(v, 0) == 1 && ir_const_i(v, 1) == 1 && ir_const_i(v, 2) == -1 &&
          ir_const_i(v, 3) == -1);
    v = out(fm, 0);
    CHECK(ir_const_i(v, 0) == 1 && ir_const_i(v, 1) == -1 && ir_const_i(v, 2) == 1 &&
          ir_const_i(v, 3) == -1);
    CHECK(SHAPE_IS(out(rs, 0), 1) && ir_const_i(out(rs, 0), 0) == 0);
    CHECK(out(rp, 0)->rank == 0 && ir_const_i(out(rp, 0), 0) == 16);
    v = out(rg, 0);
    CHECK(SHAPE_IS(v, 3) && ir_const_i(v, 0) == 10 && ir_const_i(v, 2) == 2);
    v = out(rn, 0);
    CHECK(ir_const_f(v, 0) == 2.0 && ir_const_f(v, 1) == -2.0 && ir_const_f(v, 2) == 0.0);
    v = out(ci, 0);
    CHECK(v->dt == DT_I32 && ir_const_i(v, 0) == 1 && ir_const_i(v, 1) == -2);
    v = out(hs, 0);
    CHECK(v->dt == DT_F16 && ir_const_f(v, 0) == 3.0 && ir_const_f(v, 1) == -5.0);
    CHECK(ir_const_f(out(bf, 0), 1) == -2.5);
    v = out(tr, 0);
    CHECK(SHAPE_IS(v, 2, 2) && ir_const_i(v, 1) == 7 && ir_const_i(v, 2) == -7);
}

static void
test_slice(void)
{
    fresh();
    ValId x = INTS("x", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    /* from the end, backwards by 2, to before the start */
    NodeId s1 = NODE(OP_SLICE, "s1", 1, x, INTS("st", -1), INTS("en", INT64_MIN), INTS("ax", 0),
                     INTS("sp", -2));
    /* ends past the end are clamped */
    NodeId s2 = NODE(OP_SLICE, "s2", 1, x, INTS("st2", 2), INTS("en2", INT64_MAX));
    ValId y = TENSOR("y", DT_F32, 4, 10, 6);
    NodeId s3 = NODE(OP_SLICE, "s3", 1, y, INTS("st3", 1, -1), INTS("en3", 1000, -100),
                     INTS("ax3", -1, 1), INTS("sp3", 2, -3));
    NodeId s4 = NODE(OP_SLICE, "s4", 1, y, INTS("st4", 5), INTS("en4", 2), INTS("ax4", 2));
    CHECK(infer() == 0);
    const Value *v = out(s1, 0);
    CHECK(SHAPE_IS(v, 5) && (v->flags & V_CONST));
    CHECK(ir_const_i(v, 0) == 9 && ir_const_i(v, 1) == 7 && ir_const_i(v, 4) == 1);
    CHECK(SHAPE_IS(out(s2, 0), 8) && ir_const_i(out(s2, 0), 0) == 2);
    CHECK(SHAPE_IS(out(s3, 0), 4, 4, 3)); /* axis 1: 9, 6, 3, 0; axis 2: 1, 3, 5 */
    CHECK(SHAPE_IS(out(s4, 0), 4, 10, 0));

    fresh();
    y = TENSOR("y", DT_F32, 4, 10);
    NODE(OP_SLICE, "s_step0", 1, y, INTS("st", 0), INTS("en", 1), INTS("ax", 0), INTS("sp", 0));
    CHECK(infer() < 0 && strstr(d.msg, "s_step0") && strstr(d.msg, "zero"));
    fresh();
    y = TENSOR("y", DT_F32, 4, 10);
    NODE(OP_SLICE, "s_axis", 1, y, INTS("st", 0), INTS("en", 1), INTS("ax", 2));
    CHECK(infer() < 0 && strstr(d.msg, "s_axis") && strstr(d.msg, "out of range"));
}

static void
test_split_squeeze(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 2, 8);
    NodeId even = NODE(OP_SPLIT, "even", 2, x);
    g->node[even].attr->split.axis = 1;
    NodeId uneven = NODE(OP_SPLIT, "uneven", 3, x); /* opset 18: 3, 3, 2 */
    g->node[uneven].attr->split.axis = -1;
    g->node[uneven].attr->split.num_outputs = 3;
    NodeId sizes = NODE(OP_SPLIT, "sizes", 2, x, INTS("sp", 2, 6));
    g->node[sizes].attr->split.axis = 1;
    ValId y = TENSOR("y", DT_F32, 1, 3, 1, 5);
    NodeId sq = NODE(OP_SQUEEZE, "sq", 1, y);
    NodeId sq1 = NODE(OP_SQUEEZE, "sq1", 1, y, INTS("ax", -2));
    NodeId us = NODE(OP_UNSQUEEZE, "us", 1, g->node[sq].out[0], INTS("uax", -1, 0));
    NodeId cs = NODE(OP_SPLIT, "cs", 2, INTS("c", 0, 1, 2, 3, 4, 5), INTS("csp", 2, 4));
    CHECK(infer() == 0);
    CHECK((out(cs, 1)->flags & V_CONST) && ir_const_i(out(cs, 1), 0) == 2 &&
          ir_const_i(out(cs, 1), 3) == 5 && ir_const_i(out(cs, 0), 1) == 1);
    CHECK(SHAPE_IS(out(even, 0), 2, 4) && SHAPE_IS(out(even, 1), 2, 4));
    CHECK(SHAPE_IS(out(uneven, 0), 2, 3) && SHAPE_IS(out(uneven, 1), 2, 3) &&
          SHAPE_IS(out(uneven, 2), 2, 2));
    CHECK(SHAPE_IS(out(sizes, 0), 2, 2) && SHAPE_IS(out(sizes, 1), 2, 6));
    CHECK(SHAPE_IS(out(sq, 0), 3, 5));
    CHECK(SHAPE_IS(out(sq1, 0), 1, 3, 5));
    CHECK(SHAPE_IS(out(us, 0), 1, 3, 5, 1));

    fresh();
    x = TENSOR("x", DT_F32, 2, 8);
    NODE(OP_SPLIT, "badsplit", 2, x, INTS("sp", 3, 3));
    CHECK(infer() < 0 && strstr(d.msg, "badsplit") && strstr(d.msg, "add up"));
    fresh();
    x = TENSOR("x", DT_F32, 2, 8);
    NODE(OP_SQUEEZE, "badsq", 1, x, INTS("ax", 1));
    CHECK(infer() < 0 && strstr(d.msg, "badsq") && strstr(d.msg, "not 1"));
}

static void
test_resize(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 1, 3, 10, 10);
    ValId none = NONE;
    NodeId sc =
        NODE(OP_RESIZE, "sc", 1, x, none, floats("scales", 4, (const float[]){1, 1, 1.5f, 2.5f}));
    NodeId sz =
        NODE(OP_RESIZE, "sz", 1, x, none, floats("noscales", 0, NULL), INTS("sizes", 1, 3, 20, 30));
    ValId y = TENSOR("y", DT_F32, 1, 3, 10, 20);
    NodeId nl = NODE(OP_RESIZE, "nl", 1, y, none, none, INTS("sizes2", 30, 30));
    g->node[nl].attr->resize.axes = INTS_ATTR(2, -1);
    g->node[nl].attr->resize.policy = AR_NOT_LARGER;
    NodeId ns = NODE(OP_RESIZE, "ns", 1, y, none, none, INTS("sizes3", 30, 30));
    g->node[ns].attr->resize.axes = INTS_ATTR(2, 3);
    g->node[ns].attr->resize.policy = AR_NOT_SMALLER;
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(sc, 0), 1, 3, 15, 25));
    CHECK(SHAPE_IS(out(sz, 0), 1, 3, 20, 30));
    CHECK(SHAPE_IS(out(nl, 0), 1, 3, 15, 30));
    CHECK(SHAPE_IS(out(ns, 0), 1, 3, 30, 60));

    fresh();
    x = TENSOR("x", DT_F32, 1, 3, 10, 10);
    NODE(OP_RESIZE, "both", 1, x, none, floats("s", 4, (const float[]){1, 1, 2, 2}),
         INTS("z", 1, 3, 20, 20));
    CHECK(infer() < 0 && strstr(d.msg, "both") && strstr(d.msg, "exactly one"));
}

static void
test_overflow(void)
{
    const int64_t big = (int64_t)1 << 62;
    fresh();
    ValId x = val("x", DT_F32, 2, (const int64_t[]){big, big});
    NODE(OP_RELU, "relu_big", 1, x);
    CHECK(infer() < 0 && strstr(d.msg, "relu_big") && strstr(d.msg, "int64"));

    fresh();
    NODE(OP_CONSTANTOFSHAPE, "cos_big", 1, INTS("s", big, big));
    CHECK(infer() < 0 && strstr(d.msg, "cos_big"));

    fresh();
    x = TENSOR("x", DT_F32, 2, 3);
    NODE(OP_TILE, "tile_big", 1, x, INTS("r", big, big));
    CHECK(infer() < 0 && strstr(d.msg, "tile_big") && strstr(d.msg, "overflow"));

    fresh();
    x = val("x", DT_F32, 2, (const int64_t[]){big, 4});
    NODE(OP_FLATTEN, "flat_big", 1, x);
    CHECK(infer() < 0 && strstr(d.msg, "flat_big"));
}

/* Gather indices, Concat and Transpose errors; the rest of the classes at a glance */
static void
test_misc(void)
{
    fresh();
    ValId emb = TENSOR("emb", DT_F32, 100, 16), ids = TENSOR("ids", DT_I64, 2, 7);
    NodeId ga = NODE(OP_GATHER, "ga", 1, emb, ids);
    ValId x = TENSOR("x", DT_F32, 2, 3, 4);
    NodeId cat = NODE(OP_CONCAT, "cat", 1, x, x);
    g->node[cat].attr->axis.axis = -2;
    NodeId ex = NODE(OP_EXPAND, "ex", 1, TENSOR("e", DT_F32, 3, 1), INTS("es", 2, 1, 4));
    NodeId tl = NODE(OP_TILE, "tl", 1, x, INTS("rep", 1, 2, 3));
    NodeId pd = NODE(OP_PAD, "pd", 1, x, INTS("pads", 0, 1, 2, 0, 1, -1));
    NodeId ln = NODE(OP_LAYERNORMALIZATION, "ln", 3, x, TENSOR("lns", DT_F32, 4));
    NodeId am = NODE(OP_ARGMAX, "am", 1, x);
    g->node[am].attr->axis.axis = 1;
    g->node[am].attr->axis.keepdims = 0;
    NodeId rm = NODE(OP_REDUCEMEAN, "rm", 1, x, INTS("rax", -1));
    NodeId d2s = NODE(OP_DEPTHTOSPACE, "d2s", 1, TENSOR("d", DT_F32, 1, 8, 3, 3));
    g->node[d2s].attr->block.blocksize = 2;
    NodeId dr = NODE(OP_DROPOUT, "dr", 2, x);
    NodeId rg = NODE(OP_RANGE, "rg", 1, val("st", DT_F32, 0, NULL), val("li", DT_F32, 0, NULL),
                     val("de", DT_F32, 0, NULL));
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(ga, 0), 2, 7, 16));
    CHECK(SHAPE_IS(out(cat, 0), 2, 6, 4));
    CHECK(SHAPE_IS(out(ex, 0), 2, 3, 4));
    CHECK(SHAPE_IS(out(tl, 0), 2, 6, 12));
    CHECK(SHAPE_IS(out(pd, 0), 2, 5, 5));
    CHECK(SHAPE_IS(out(ln, 0), 2, 3, 4) && SHAPE_IS(out(ln, 1), 2, 3, 1) &&
          out(ln, 2)->dt == DT_F32);
    CHECK(SHAPE_IS(out(am, 0), 2, 4) && out(am, 0)->dt == DT_I64);
    CHECK(SHAPE_IS(out(rm, 0), 2, 3, 1));
    CHECK(SHAPE_IS(out(d2s, 0), 1, 2, 6, 6));
    CHECK(SHAPE_IS(out(dr, 0), 2, 3, 4) && out(dr, 1)->dt == DT_BOOL);
    CHECK(SHAPE_IS(out(rg, 0), -1));

    fresh();
    NODE(OP_GATHER, "ga_idx", 1, TENSOR("emb", DT_F32, 10, 4), INTS("i", 3, 10));
    CHECK(infer() < 0 && strstr(d.msg, "ga_idx") && strstr(d.msg, "index 10"));
    fresh();
    NODE(OP_GATHER, "ga_dt", 1, TENSOR("emb", DT_F32, 10, 4), TENSOR("i", DT_F32, 3));
    CHECK(infer() < 0 && strstr(d.msg, "ga_dt") && strstr(d.msg, "int64"));
    fresh();
    NODE(OP_CONCAT, "cat_bad", 1, TENSOR("a", DT_F32, 2, 3), TENSOR("b", DT_F32, 3, 3));
    g->node[0].attr->axis.axis = 1;
    CHECK(infer() < 0 && strstr(d.msg, "cat_bad") && strstr(d.msg, "does not match"));
    fresh();
    NodeId tp = NODE(OP_TRANSPOSE, "tp_bad", 1, TENSOR("a", DT_F32, 2, 3));
    g->node[tp].attr->perm.perm = INTS_ATTR(0, 0);
    CHECK(infer() < 0 && strstr(d.msg, "tp_bad") && strstr(d.msg, "permutation"));
    fresh();
    NODE(OP_UNSQUEEZE, "us_bad", 1, TENSOR("a", DT_F32, 2, 3), INTS("ax", 1, 1));
    CHECK(infer() < 0 && strstr(d.msg, "us_bad") && strstr(d.msg, "repeated"));
}

/* NonZero: a constant input folds to its coordinates; otherwise the count is dynamic */
static void
test_nonzero(void)
{
    fresh();
    ValId c = TENSOR("c", DT_F32, 2, 3);
    static const float cv[6] = {0, 1.5f, 0, -2, 0, 0};
    g->val[c].data = (void *)cv;
    g->val[c].flags |= V_CONST | V_PARAM;
    NodeId nz = NODE(OP_NONZERO, "nz", 1, c);
    NodeId nd = NODE(OP_NONZERO, "nd", 1, TENSOR("x", DT_BOOL, 4, 5, 6));
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(nz, 0), 2, 2) && out(nz, 0)->dt == DT_I64);
    CHECK(out(nz, 0)->flags & V_CONST);
    /* columns (0, 1) and (1, 0) */
    static const int64_t want[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++)
        CHECK(ir_const_i(out(nz, 0), i) == want[i]);
    CHECK(SHAPE_IS(out(nd, 0), 3, -1) && !(out(nd, 0)->flags & V_CONST));
    fresh();
    NODE(OP_NONZERO, "nz_scalar", 1, val("s", DT_F32, 0, NULL));
    CHECK(infer() < 0 && strstr(d.msg, "nz_scalar") && strstr(d.msg, "not supported"));
}

/* TopK: K (a constant) along the axis for both outputs; bad K and axis refused */
static void
test_topk(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 2, 9, 4);
    NodeId tk = NODE(OP_TOPK, "tk", 2, x, INTS("k", 3));
    g->node[tk].attr->axis.axis = -2;
    NodeId td = NODE(OP_TOPK, "td", 2, x, TENSOR("kd", DT_I64, 1));
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(tk, 0), 2, 3, 4) && out(tk, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(tk, 1), 2, 3, 4) && out(tk, 1)->dt == DT_I64);
    CHECK(SHAPE_IS(out(td, 0), 2, 9, -1) && SHAPE_IS(out(td, 1), 2, 9, -1));
    fresh();
    NODE(OP_TOPK, "tk_big", 2, TENSOR("x", DT_F32, 2, 5), INTS("k", 6));
    CHECK(infer() < 0 && strstr(d.msg, "tk_big") && strstr(d.msg, "exceeds"));
    fresh();
    NODE(OP_TOPK, "tk_neg", 2, TENSOR("x", DT_F32, 2, 5), INTS("k", -1));
    CHECK(infer() < 0 && strstr(d.msg, "tk_neg") && strstr(d.msg, "non-negative"));
    fresh();
    NodeId ta = NODE(OP_TOPK, "tk_axis", 2, TENSOR("x", DT_F32, 2, 5), INTS("k", 1));
    g->node[ta].attr->axis.axis = 2;
    CHECK(infer() < 0 && strstr(d.msg, "tk_axis"));
}

/* ---- recurrent layers ------------------------------------------------------------------------ */

static void
test_rnn(void)
{
    fresh();
    /* bidirectional LSTM, seq 5, batch 3, input 4, hidden 2: Y [5, 2, 3, 2], Y_h, Y_c [2, 3, 2] */
    ValId x = TENSOR("x", DT_F32, 5, 3, 4), w = TENSOR("w", DT_F32, 2, 8, 4);
    ValId r = TENSOR("r", DT_F32, 2, 8, 2), b = TENSOR("b", DT_F32, 2, 16);
    ValId sl = TENSOR("sl", DT_I32, 3), ih = TENSOR("ih", DT_F32, 2, 3, 2);
    ValId p = TENSOR("p", DT_F32, 2, 6);
    NodeId l = NODE(OP_LSTM, "l", 3, x, w, r, b, sl, ih, ih, p);
    g->node[l].attr->rnn.hidden_size = 2;
    g->node[l].attr->rnn.direction = RD_BIDIRECTIONAL;
    /* batch-first GRU, hidden from R, Y absent: Y_h [batch 3, 1, 6] */
    ValId xb = TENSOR("xb", DT_F32, 3, 5, 4);
    NodeId gr = NODE(OP_GRU, "gr", 2, xb, TENSOR("gw", DT_F32, 1, 18, 4),
                     TENSOR("gr_r", DT_F32, 1, 18, 6));
    g->node[gr].attr->rnn.layout = 1;
    g->node[gr].out[0] = NONE;
    /* a dynamic sequence length stays dynamic */
    NodeId rn = NODE(OP_RNN, "rn", 2, TENSOR("xd", DT_F32, -1, 3, 4),
                     TENSOR("rw", DT_F32, 1, 7, 4), TENSOR("rr", DT_F32, 1, 7, 7));
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(l, 0), 5, 2, 3, 2) && SHAPE_IS(out(l, 1), 2, 3, 2));
    CHECK(SHAPE_IS(out(l, 2), 2, 3, 2) && out(l, 2)->dt == DT_F32);
    CHECK(SHAPE_IS(out(gr, 1), 3, 1, 6));
    CHECK(SHAPE_IS(out(rn, 0), -1, 1, 3, 7) && SHAPE_IS(out(rn, 1), 1, 3, 7));
    /* 2 x seq x batch x (W's + R's elements) */
    CHECK(ir_node_flops(g, &g->node[l]) == 2LL * 5 * 3 * (2 * 8 * 4 + 2 * 8 * 2));
    CHECK(ir_node_flops_known(g, &g->node[rn]) == -1);

    /* W for one direction where the node runs two; R of the wrong hidden size; int64 lengths */
    fresh();
    NodeId bad = NODE(OP_GRU, "gru_dirs", 2, TENSOR("x", DT_F32, 5, 3, 4),
                      TENSOR("w", DT_F32, 1, 6, 4), TENSOR("r", DT_F32, 1, 6, 2));
    g->node[bad].attr->rnn.direction = RD_BIDIRECTIONAL;
    CHECK(infer() < 0 && strstr(d.msg, "gru_dirs") && strstr(d.msg, "[2,6,4]"));
    fresh();
    bad = NODE(OP_RNN, "rnn_h", 2, TENSOR("x", DT_F32, 5, 3, 4), TENSOR("w", DT_F32, 1, 3, 4),
               TENSOR("r", DT_F32, 1, 3, 2));
    g->node[bad].attr->rnn.hidden_size = 3;
    CHECK(infer() < 0 && strstr(d.msg, "rnn_h") && strstr(d.msg, "input 2"));
    fresh();
    ValId xx = TENSOR("x", DT_F32, 5, 3, 4);
    bad = NODE(OP_RNN, "rnn_len", 2, xx, TENSOR("w", DT_F32, 1, 3, 4), TENSOR("r", DT_F32, 1, 3, 3),
               NONE, TENSOR("sl", DT_I64, 3));
    CHECK(infer() < 0 && strstr(d.msg, "rnn_len") && strstr(d.msg, "int32"));
}

/* ScatterElements, ScatterND and GatherND: the output shapes; updates that do not fit the
 * indices, indices larger than the data, constant indices out of range, a bad batch_dims and an
 * index tuple longer than the data's rank refused */
static void
test_scatter_gathernd(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 4, 5, 6);
    NodeId se = NODE(OP_SCATTERELEMENTS, "se", 1, x, TENSOR("i", DT_I64, 2, 5, 3),
                     TENSOR("u", DT_F32, 2, 5, 3));
    g->node[se].attr->axis.axis = -3;
    NodeId sn = NODE(OP_SCATTERND, "sn", 1, x, TENSOR("j", DT_I32, 7, 2),
                     TENSOR("v", DT_F32, 7, 6));
    NodeId gn = NODE(OP_GATHERND, "gn", 1, x, TENSOR("k", DT_I64, 4, 3, 1));
    g->node[gn].attr->mode.mode = 1;
    NodeId g0 = NODE(OP_GATHERND, "g0", 1, x, TENSOR("l", DT_I64, 2, 3));
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(se, 0), 4, 5, 6) && out(se, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(sn, 0), 4, 5, 6) && out(sn, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(gn, 0), 4, 3, 6) && out(gn, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(g0, 0), 2));
    fresh();
    NODE(OP_SCATTERELEMENTS, "se_big", 1, TENSOR("x", DT_F32, 4, 5, 6),
         TENSOR("i", DT_I64, 2, 6, 3), TENSOR("u", DT_F32, 2, 6, 3));
    CHECK(infer() < 0 && strstr(d.msg, "se_big") && strstr(d.msg, "exceed"));
    fresh();
    NODE(OP_SCATTERND, "sn_upd", 1, TENSOR("x", DT_F32, 4, 5, 6), TENSOR("j", DT_I64, 7, 2),
         TENSOR("v", DT_F32, 7, 5));
    CHECK(infer() < 0 && strstr(d.msg, "sn_upd") && strstr(d.msg, "do not fit"));
    fresh();
    NODE(OP_SCATTERND, "sn_idx", 1, TENSOR("x", DT_I64, 4, 5), INTS("j", 1, 5), scalar("v", 3));
    CHECK(infer() < 0 && strstr(d.msg, "sn_idx") && strstr(d.msg, "index 5 is out of range"));
    fresh();
    NodeId gb = NODE(OP_GATHERND, "gn_batch", 1, TENSOR("x", DT_F32, 4, 5),
                     TENSOR("k", DT_I64, 4, 1));
    g->node[gb].attr->mode.mode = 2;
    CHECK(infer() < 0 && strstr(d.msg, "gn_batch") && strstr(d.msg, "batch_dims"));
    fresh();
    NODE(OP_GATHERND, "gn_long", 1, TENSOR("x", DT_F32, 4, 5), TENSOR("k", DT_I64, 2, 3));
    CHECK(infer() < 0 && strstr(d.msg, "gn_long") && strstr(d.msg, "end in 3"));
}

/* Quantisation: QuantizeLinear's dtype from its zero point (uint8 without one), DequantizeLinear
 * to float32, DynamicQuantizeLinear's three outputs, MatMulInteger and ConvInteger to int32 with
 * mixed int8 and uint8; a DequantizeLinear of constant int8 weights folds to float32 per axis;
 * blocked scales, two zero points for A and a sum longer than int32 holds refused */
static void
test_quant(void)
{
    fresh();
    ValId x = TENSOR("x", DT_F32, 2, 3, 4), s = floats("s", 3, (const float[]){1, 2, 4});
    ValId z8 = TENSOR("z8", DT_I8, 3);
    NodeId q = NODE(OP_QUANTIZELINEAR, "q", 1, x, s, z8);
    NodeId qu = NODE(OP_QUANTIZELINEAR, "qu", 1, x, floats("s1", 1, (const float[]){0.5f}));
    NodeId dq = NODE(OP_DEQUANTIZELINEAR, "dq", 1, g->node[q].out[0], s, z8);
    NodeId dy = NODE(OP_DYNAMICQUANTIZELINEAR, "dy", 3, x);
    NodeId mm = NODE(OP_MATMULINTEGER, "mm", 1, TENSOR("a", DT_U8, 2, 5, 7),
                     TENSOR("b", DT_I8, 7, 6), val("za", DT_U8, 0, NULL), TENSOR("zb", DT_I8, 6));
    NodeId cv = NODE(OP_CONVINTEGER, "cv", 1, TENSOR("cx", DT_U8, 1, 4, 9, 9),
                     TENSOR("cw", DT_I8, 8, 2, 3, 3), val("czx", DT_U8, 0, NULL));
    g->node[cv].attr->conv.group = 2;
    /* int8 weights [2, 3] with scales per row (axis 0) and zero points 1, -2 */
    ValId w = val("w", DT_I8, 2, DIMS(2, 3));
    int8_t *wd = ir_galloc(g, 6);
    memcpy(wd, (const int8_t[]){-3, 0, 5, 127, -128, 2}, 6);
    g->val[w].data = wd;
    g->val[w].flags |= V_CONST | V_PARAM;
    ValId wz = val("wz", DT_I8, 1, DIMS(2));
    int8_t *wzd = ir_galloc(g, 2);
    memcpy(wzd, (const int8_t[]){1, -2}, 2);
    g->val[wz].data = wzd;
    g->val[wz].flags |= V_CONST | V_PARAM;
    NodeId wf = NODE(OP_DEQUANTIZELINEAR, "wf", 1, w, floats("ws", 2, (const float[]){0.5f, 2}),
                     wz);
    g->node[wf].attr->axis.axis = 0;
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(q, 0), 2, 3, 4) && out(q, 0)->dt == DT_I8);
    CHECK(SHAPE_IS(out(qu, 0), 2, 3, 4) && out(qu, 0)->dt == DT_U8);
    CHECK(SHAPE_IS(out(dq, 0), 2, 3, 4) && out(dq, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(dy, 0), 2, 3, 4) && out(dy, 0)->dt == DT_U8);
    CHECK(out(dy, 1)->rank == 0 && out(dy, 1)->dt == DT_F32 && out(dy, 2)->dt == DT_U8);
    CHECK(SHAPE_IS(out(mm, 0), 2, 5, 6) && out(mm, 0)->dt == DT_I32);
    CHECK(SHAPE_IS(out(cv, 0), 1, 8, 7, 7) && out(cv, 0)->dt == DT_I32);
    const Value *f = out(wf, 0);
    CHECK((f->flags & V_CONST) && f->dt == DT_F32 && SHAPE_IS(f, 2, 3));
    const float want[6] = {-2.0f, -0.5f, 2.0f, 258.0f, -252.0f, 8.0f};
    for (int i = 0; i < 6 && (f->flags & V_CONST); i++)
        CHECK(((const float *)f->data)[i] == want[i]);
    fresh();
    NODE(OP_QUANTIZELINEAR, "q_block", 1, TENSOR("x", DT_F32, 4, 6), TENSOR("s", DT_F32, 4, 3));
    CHECK(infer() < 0 && strstr(d.msg, "q_block") && strstr(d.msg, "not supported"));
    fresh();
    NODE(OP_DEQUANTIZELINEAR, "dq_axis", 1, TENSOR("x", DT_U8, 4, 6), TENSOR("s", DT_F32, 5));
    CHECK(infer() < 0 && strstr(d.msg, "dq_axis") && strstr(d.msg, "elements"));
    fresh();
    NODE(OP_MATMULINTEGER, "mm_za", 1, TENSOR("a", DT_U8, 2, 3), TENSOR("b", DT_U8, 3, 4),
         TENSOR("za", DT_U8, 2));
    CHECK(infer() < 0 && strstr(d.msg, "mm_za") && strstr(d.msg, "not supported"));
    fresh();
    NODE(OP_MATMULINTEGER, "mm_long", 1, TENSOR("a", DT_U8, 2, 40000),
         TENSOR("b", DT_U8, 40000, 4));
    CHECK(infer() < 0 && strstr(d.msg, "mm_long") && strstr(d.msg, "not supported"));
    fresh();
    NODE(OP_CONVINTEGER, "cv_f32", 1, TENSOR("x", DT_F32, 1, 1, 3, 3),
         TENSOR("w", DT_U8, 1, 1, 2, 2));
    CHECK(infer() < 0 && strstr(d.msg, "cv_f32") && strstr(d.msg, "not supported"));
}

/* QLinearConv and QLinearMatMul: Conv's and MatMul's shapes from inputs 0 and 3, the dtype of
 * Y's zero point; W's scale per output channel; per-row scales of A, bias of another dtype and
 * 16-bit operands refused */
static void
test_qlinear(void)
{
    fresh();
    ValId f1 = val("f1", DT_F32, 0, NULL), u1 = val("u1", DT_U8, 0, NULL);
    ValId i1 = val("i1", DT_I8, 0, NULL);
    NodeId cv = NODE(OP_QLINEARCONV, "qc", 1, TENSOR("x", DT_U8, 1, 4, 9, 9), f1, u1,
                     TENSOR("w", DT_I8, 8, 2, 3, 3), TENSOR("ws", DT_F32, 8),
                     TENSOR("wz", DT_I8, 8), f1, i1, TENSOR("b", DT_I32, 8));
    g->node[cv].attr->conv.group = 2;
    NodeId mm = NODE(OP_QLINEARMATMUL, "qm", 1, TENSOR("a", DT_U8, 3, 5, 7), f1, u1,
                     TENSOR("bm", DT_U8, 7, 6), TENSOR("bs", DT_F32, 6), u1, f1, u1);
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(cv, 0), 1, 8, 7, 7) && out(cv, 0)->dt == DT_I8);
    CHECK(SHAPE_IS(out(mm, 0), 3, 5, 6) && out(mm, 0)->dt == DT_U8);
    fresh();
    f1 = val("f1", DT_F32, 0, NULL), u1 = val("u1", DT_U8, 0, NULL);
    NODE(OP_QLINEARMATMUL, "qm_rows", 1, TENSOR("a", DT_U8, 5, 7), TENSOR("as", DT_F32, 5), u1,
         TENSOR("bm", DT_U8, 7, 6), f1, u1, f1, u1);
    CHECK(infer() < 0 && strstr(d.msg, "qm_rows") && strstr(d.msg, "not supported"));
    fresh();
    f1 = val("f1", DT_F32, 0, NULL), u1 = val("u1", DT_U8, 0, NULL);
    NODE(OP_QLINEARCONV, "qc_bias", 1, TENSOR("x", DT_U8, 1, 4, 9, 9), f1, u1,
         TENSOR("w", DT_U8, 8, 4, 3, 3), f1, u1, f1, u1, TENSOR("b", DT_F32, 8));
    CHECK(infer() < 0 && strstr(d.msg, "qc_bias") && strstr(d.msg, "int32"));
    fresh();
    f1 = val("f1", DT_F32, 0, NULL);
    ValId s1 = val("s1", DT_I16, 0, NULL);
    NODE(OP_QLINEARMATMUL, "qm_16", 1, TENSOR("a", DT_I16, 5, 7), f1, s1,
         TENSOR("bm", DT_I16, 7, 6), f1, s1, f1, s1);
    CHECK(infer() < 0 && strstr(d.msg, "qm_16") && strstr(d.msg, "not supported"));
}

/* Einsum: sizes by subscript, ellipsis dims broadcast, mismatches refused (codes: A-Z 0-25,
 * a-z 26-51, "..." EINSUM_ELLIPSIS, -1 closing each term) */
static void
test_einsum(void)
{
    enum { B = 26 + 'b' - 'a', I = 26 + 'i' - 'a', J = 26 + 'j' - 'a', K = 26 + 'k' - 'a' };
    static const int64_t bmm[] = {B, I, J, -1, B, J, K, -1, B, I, K, -1};
    static const int64_t ell[] = {EINSUM_ELLIPSIS, I, J, -1, EINSUM_ELLIPSIS, J, K, -1,
                                  EINSUM_ELLIPSIS, I, K, -1};
    fresh();
    NodeId e = NODE(OP_EINSUM, "e", 1, TENSOR("a", DT_F32, 2, 3, 4), TENSOR("b", DT_F32, 2, 4, 5));
    g->node[e].attr->einsum.terms = (Ints){12, bmm};
    NodeId f = NODE(OP_EINSUM, "f", 1, TENSOR("c", DT_F32, 7, 1, 3, 4), TENSOR("d", DT_F32, 6, 4, 5));
    g->node[f].attr->einsum.terms = (Ints){12, ell};
    CHECK(infer() == 0);
    CHECK(SHAPE_IS(out(e, 0), 2, 3, 5) && out(e, 0)->dt == DT_F32);
    CHECK(SHAPE_IS(out(f, 0), 7, 6, 3, 5));
    fresh();
    e = NODE(OP_EINSUM, "e_j", 1, TENSOR("a", DT_F32, 2, 3, 4), TENSOR("b", DT_F32, 2, 6, 5));
    g->node[e].attr->einsum.terms = (Ints){12, bmm};
    CHECK(infer() < 0 && strstr(d.msg, "e_j") && strstr(d.msg, "subscript j"));
    fresh();
    e = NODE(OP_EINSUM, "e_n", 1, TENSOR("a", DT_F32, 2, 3, 4));
    g->node[e].attr->einsum.terms = (Ints){12, bmm};
    CHECK(infer() < 0 && strstr(d.msg, "e_n") && strstr(d.msg, "operand terms"));
}

int
main(void)
{
    test_conv();
    test_convtranspose();
    test_pool();
    test_broadcast();
    test_matmul_gemm();
    test_reshape();
    test_shape_chain();
    test_constantofshape();
    test_fold_arith();
    test_slice();
    test_split_squeeze();
    test_resize();
    test_overflow();
    test_misc();
    test_nonzero();
    test_topk();
    test_einsum();
    test_rnn();
    test_scatter_gathernd();
    test_quant();
    test_qlinear();
    ir_graph_free(g);
    return TEST_DONE();
}
