/*
 * test_qdq.c: pass_qdq on small hand-built QDQ graphs, run as the pipeline does (ir_infer folds
 * the DequantizeLinear of constants, then pass_qdq, pass_cleanup, ir_verify): Conv with Relu, a
 * Clip and an int32 bias becomes QLinearConv with the clamp quantised, MatMul and Gemm (transB, a
 * float bias that is a whole number of steps) become QLinearMatMul; and what must stay: a float
 * product that is a graph output or has a second reader, a bias whose scale is not sx * sw, a
 * float bias between steps, a scale that is not a constant, a Gemm with alpha.
 */
#include "graph_kit.h"

#include "../test.h"

static ValId
val(const char *name, DType dt, int rank, const int64_t *dims)
{
    ValId v = ir_val_add(g, name, dt, NULL);
    g->val[v].rank = rank;
    for (int i = 0; i < rank; i++)
        g->val[v].dim[i] = dims[i];
    return v;
}

/* a graph input of dtype dt */
static ValId
typed_input(const char *name, DType dt, int rank, const int64_t *dims)
{
    ValId v = val(name, dt, rank, dims);
    g->val[v].flags |= V_INPUT;
    g->input[g->ninput++] = v;
    return v;
}

/* a constant of dtype dt and the given shape with elements v (as doubles) */
static ValId
cst(const char *name, DType dt, int rank, const int64_t *dims, const double *v)
{
    ValId x = val(name, dt, rank, dims);
    int64_t n = ir_numel(&g->val[x]);
    size_t es = ir_dtype_size(dt);
    unsigned char *p = ir_galloc(g, (size_t)n * es + 1);
    for (int64_t i = 0; i < n; i++) {
        if (dt == DT_F32) {
            float f = (float)v[i];
            memcpy(p + i * 4, &f, 4);
        } else if (dt == DT_I32) {
            int32_t k = (int32_t)v[i];
            memcpy(p + i * 4, &k, 4);
        } else {
            p[i] = (unsigned char)(int8_t)v[i]; /* int8 and uint8: the low byte */
        }
    }
    g->val[x].data = p;
    g->val[x].flags |= V_CONST | V_PARAM;
    return x;
}

#define D(...)                                                                                     \
    (const int64_t[])                                                                              \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define V(...)                                                                                     \
    (const double[])                                                                               \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static ValId
scalar(const char *name, DType dt, double v)
{
    return cst(name, dt, 0, NULL, &v);
}

/* the attributes of the node that writes v */
static Attr *
attr_of(ValId v)
{
    return g->node[g->val[v].def].attr;
}

/* the pipeline's order up to cleanup; -1 on an error */
static int
run(void)
{
    if (ir_infer(g, &d) < 0 || pass_qdq(g, &d) < 0 || pass_cleanup(g, &d) < 0 ||
        ir_verify(g, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return 0;
}

static int
count(OpKind op)
{
    int k = 0;
    for (NodeId n = 0; n < g->nnode; n++)
        k += g->node[n].op == op;
    return k;
}

static NodeId
first(OpKind op)
{
    for (NodeId n = 0; n < g->nnode; n++)
        if (g->node[n].op == op)
            return n;
    return NONE;
}

/*
 * x u8 [1, 2, 4, 4] (scale 0.5, zero point 10) by W int8 [3, 2, 1, 1] per channel (scales 0.25,
 * 0.5, 1), the bias in int32 with scale sx * sw (or bias_scale_off: one scale off), then act
 * (OP_NOP: none; Relu; Clip 0..6), then Q to u8 (scale 0.1, zero point 20). out_too: the Conv's
 * float output is also a graph output; second: it has a second reader.
 */
static void
conv_graph(OpKind act, int bias_scale_off, int out_too, int second)
{
    fresh();
    ValId x = typed_input("x", DT_U8, 4, D(1, 2, 4, 4));
    ValId sx = scalar("sx", DT_F32, 0.5), zx = scalar("zx", DT_U8, 10);
    ValId dx = NODE(OP_DEQUANTIZELINEAR, "dx", x, sx, zx);
    ValId w = cst("w", DT_I8, 4, D(3, 2, 1, 1), V(1, -2, 3, -4, 5, -6));
    ValId sw = cst("sw", DT_F32, 1, D(3), V(0.25, 0.5, 1));
    ValId zw = cst("zw", DT_I8, 1, D(3), V(0, 0, 0));
    ValId dw = NODE(OP_DEQUANTIZELINEAR, "dw", w, sw, zw);
    attr_of(dw)->axis.axis = 0;
    ValId b = cst("b", DT_I32, 1, D(3), V(7, -8, 9));
    ValId sb = cst("sb", DT_F32, 1, D(3), V(0.125, bias_scale_off ? 0.3 : 0.25, 0.5));
    ValId db = NODE(OP_DEQUANTIZELINEAR, "db", b, sb);
    attr_of(db)->axis.axis = 0;
    ValId cv = NODE(OP_CONV, "conv", dx, dw, db);
    ValId y = cv;
    if (act == OP_RELU)
        y = NODE(OP_RELU, "relu", y);
    else if (act == OP_CLIP)
        y = NODE(OP_CLIP, "clip", y, scalar("lo", DT_F32, 0), scalar("hi", DT_F32, 6));
    ValId q = NODE(OP_QUANTIZELINEAR, "q", y, scalar("sy", DT_F32, 0.1), scalar("zy", DT_U8, 20));
    mark_output(q);
    if (out_too)
        mark_output(cv);
    if (second)
        mark_output(NODE(OP_SIGMOID, "other", cv));
}

static void
test_conv(void)
{
    conv_graph(OP_RELU, 0, 0, 0);
    CHECK(run() == 0 && g->nnode == 1);
    NodeId n = first(OP_QLINEARCONV);
    CHECK(n != NONE && g->node[n].nin == 9 && strcmp(g->node[n].name, "conv") == 0);
    if (n != NONE) {
        const Node *x = &g->node[n];
        CHECK(strcmp(g->val[x->in[0]].name, "x") == 0 && strcmp(g->val[x->in[3]].name, "w") == 0);
        CHECK(strcmp(g->val[x->in[8]].name, "b") == 0 && g->val[x->out[0]].dt == DT_U8);
        /* Relu after Q(scale 0.1, zero point 20): values below 20 are clamped */
        CHECK(x->attr->conv.fuse.act == ACT_CLIP && x->attr->conv.fuse.alpha == 20.0f &&
              x->attr->conv.fuse.beta == 255.0f);
        CHECK(x->ops && strcmp(x->ops, "QLinearConv+Relu") == 0);
    }
    conv_graph(OP_CLIP, 0, 0, 0);
    CHECK(run() == 0 && g->nnode == 1 && (n = first(OP_QLINEARCONV)) != NONE);
    if (n != NONE) /* Clip(0, 6): 20 .. 6 / 0.1 + 20 = 80 */
        CHECK(g->node[n].attr->conv.fuse.alpha == 20.0f &&
              g->node[n].attr->conv.fuse.beta == 80.0f);
    conv_graph(OP_NOP, 0, 0, 0);
    CHECK(run() == 0 && g->nnode == 1 && (n = first(OP_QLINEARCONV)) != NONE);
    if (n != NONE)
        CHECK(g->node[n].attr->conv.fuse.act == ACT_NONE);
}

/* the forms left alone: the float Conv stays, between its DequantizeLinear and QuantizeLinear */
static void
test_conv_left(void)
{
    conv_graph(OP_RELU, 1, 0, 0); /* the bias's scale is not sx * sw */
    CHECK(run() == 0 && count(OP_QLINEARCONV) == 0 && count(OP_CONV) == 1);
    conv_graph(OP_NOP, 0, 1, 0); /* the float output is a graph output */
    CHECK(run() == 0 && count(OP_QLINEARCONV) == 0 && count(OP_CONV) == 1);
    conv_graph(OP_NOP, 0, 0, 1); /* and read by another node */
    CHECK(run() == 0 && count(OP_QLINEARCONV) == 0 && count(OP_CONV) == 1);
    conv_graph(OP_RELU, 0, 0, 0); /* Q's scale a graph input */
    NodeId q = first(OP_QUANTIZELINEAR);
    g->node[q].in[1] = typed_input("sy_in", DT_F32, 0, NULL);
    CHECK(run() == 0 && count(OP_QLINEARCONV) == 0 && count(OP_CONV) == 1);
}

/*
 * a u8 [2, 3] (scale 0.5, zero point 0) by B int8: MatMul of B [3, 2] per tensor, or Gemm with
 * transB of B [2, 3] per row (axis 0, the output's columns) and a float bias C of bias[] (the
 * steps are sa * sb = 0.5 and 1), alpha as given; Q to int8 (scale 2, zero point -1)
 */
static void
product_graph(int gemm, const double *bias, float alpha)
{
    fresh();
    ValId a = typed_input("a", DT_U8, 2, D(2, 3));
    NodeId da =
        NODE(OP_DEQUANTIZELINEAR, "da", a, scalar("sa", DT_F32, 0.5), scalar("za", DT_U8, 0));
    ValId b = cst("b", DT_I8, 2, gemm ? D(2, 3) : D(3, 2), V(1, 2, 3, 4, 5, 6));
    ValId sb = gemm ? cst("sb", DT_F32, 1, D(2), V(1, 2)) : scalar("sb", DT_F32, 1);
    ValId db = NODE(OP_DEQUANTIZELINEAR, "db", b, sb);
    attr_of(db)->axis.axis = 0;
    ValId p;
    if (gemm) {
        p = NODE(OP_GEMM, "fc", da, db, cst("c", DT_F32, 1, D(2), bias));
        attr_of(p)->gemm.trans_b = 1;
        attr_of(p)->gemm.alpha = alpha;
    } else {
        p = NODE(OP_MATMUL, "mm", da, db);
    }
    NodeId q = NODE(OP_QUANTIZELINEAR, "q", p, scalar("sy", DT_F32, 2), scalar("zy", DT_I8, -1));
    mark_output(q);
}

static void
test_products(void)
{
    product_graph(0, NULL, 1);
    CHECK(run() == 0 && g->nnode == 1);
    NodeId n = first(OP_QLINEARMATMUL);
    CHECK(n != NONE && g->node[n].nin == 8 && g->val[g->node[n].out[0]].dt == DT_I8);
    product_graph(1, V(1.5, -4), 1);
    CHECK(run() == 0 && g->nnode == 1 && (n = first(OP_QLINEARMATMUL)) != NONE);
    if (n != NONE) {
        const Node *x = &g->node[n];
        const Value *b = &g->val[x->in[3]], *c = &g->val[x->in[8]];
        /* B transposed to [3, 2]; the bias in steps of 0.5 and 1 */
        CHECK(x->nin == 9 && b->rank == 2 && b->dim[0] == 3 && b->dim[1] == 2);
        CHECK(ir_const_i(b, 0) == 1 && ir_const_i(b, 1) == 4 && ir_const_i(b, 2) == 2);
        CHECK(c->dt == DT_I32 && ir_const_i(c, 0) == 3 && ir_const_i(c, 1) == -4);
    }
    product_graph(1, V(1.25, -4), 1); /* 1.25 is no whole number of 0.5 */
    CHECK(run() == 0 && count(OP_QLINEARMATMUL) == 0 && count(OP_GEMM) == 1);
    product_graph(1, V(1.5, -4), 2);
    CHECK(run() == 0 && count(OP_QLINEARMATMUL) == 0 && count(OP_GEMM) == 1);
}

int
main(void)
{
    test_conv();
    test_conv_left();
    test_products();
    ir_graph_free(g);
    return TEST_DONE();
}
