/*
 * test_fuse.c: pass_fuse on small hand-built graphs: BatchNormalization and per-channel Mul/Add
 * folded into Conv, ConvTranspose (grouped) and Gemm (transB, beta) weights with the values
 * computed by hand, the activations and SiLU fused into `fuse`, and what must stay: a producer
 * whose output has another use or is a graph output, shared weights left untouched, a second
 * activation.
 */
#include "ir/ir.h"
#include "passes/passes.h"

#include <math.h>
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
    g->output = ir_galloc(g, 8 * sizeof(ValId));
}

#define DIMS(...)                                                                                  \
    (const int64_t[])                                                                              \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define NDIMS(...) (int)(sizeof(DIMS(__VA_ARGS__)) / sizeof(int64_t))

static ValId
val(const char *name, int rank, const int64_t *dims)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    g->val[v].rank = rank;
    for (int i = 0; i < rank; i++)
        g->val[v].dim[i] = dims[i];
    return v;
}

#define TENSOR(name, ...) val(name, NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))

/* a float32 constant of the given shape */
static ValId
fconst(const char *name, int rank, const int64_t *dims, const float *v)
{
    ValId x = val(name, rank, dims);
    int64_t n = ir_numel(&g->val[x]);
    float *p = ir_galloc(g, (size_t)n * sizeof *p + 1);
    memcpy(p, v, (size_t)n * sizeof *p);
    g->val[x].data = p;
    g->val[x].flags |= V_CONST | V_PARAM;
    return x;
}

#define FLOATS(...)                                                                                \
    (const float[])                                                                                \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static NodeId
node(OpKind op, const char *name, int nin, const ValId *in)
{
    NodeId n = ir_node_add(g, op, name, nin, 1);
    for (int i = 0; i < nin; i++)
        g->node[n].in[i] = in[i];
    ValId v = ir_val_add(g, name, DT_UNDEF, NULL);
    g->node[n].out[0] = v;
    g->val[v].def = n;
    return n;
}

#define NODE(op, name, ...)                                                                        \
    node(op, name, (int)(sizeof((ValId[]){__VA_ARGS__}) / sizeof(ValId)), (ValId[]){__VA_ARGS__})

static ValId
out(NodeId n)
{
    return g->node[n].out[0];
}

static void
mark_output(ValId v)
{
    g->val[v].flags |= V_OUTPUT;
    g->output[g->noutput++] = v;
}

/* infer, clean up, fuse, verify; the number of nodes left, -1 on an error */
static int
run(void)
{
    if (ir_infer(g, &d) < 0 || pass_cleanup(g, &d) < 0 || pass_fuse(g, &d) < 0 ||
        ir_verify(g, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return g->nnode;
}

static NodeId
find(const char *name)
{
    for (NodeId n = 0; n < g->nnode; n++)
        if (strcmp(g->node[n].name, name) == 0)
            return n;
    return NONE;
}

static int
near(float a, double b)
{
    return fabs(a - b) <= 1e-5 * (1 + fabs(b));
}

/* the data of input j of node n, which must be a constant */
static const float *
cdata(NodeId n, int j)
{
    ValId v = g->node[n].in[j];
    IR_ASSERT(v != NONE && (g->val[v].flags & V_CONST));
    return g->val[v].data;
}

/* ---- BatchNormalization / Mul / Add folding ----------------------------------------------------
 */

static void
test_conv_bn_relu(void)
{
    fresh();
    ValId x = TENSOR("x", 1, 2, 4, 4);
    ValId w = fconst("w", 4, DIMS(3, 2, 1, 1), FLOATS(1, 2, 3, 4, 5, 6));
    ValId b = fconst("b", 1, DIMS(3), FLOATS(0.5f, -1, 2));
    ValId sc = fconst("sc", 1, DIMS(3), FLOATS(2, 0.5f, -1));
    ValId bb = fconst("bb", 1, DIMS(3), FLOATS(1, 2, 3));
    ValId mean = fconst("mean", 1, DIMS(3), FLOATS(0.25f, -0.5f, 1));
    ValId var = fconst("var", 1, DIMS(3), FLOATS(4, 1, 0.25f));
    NodeId c = NODE(OP_CONV, "conv", x, w, b);
    NodeId bn = NODE(OP_BATCHNORMALIZATION, "bn", out(c), sc, bb, mean, var);
    g->node[bn].attr->norm.epsilon = 0.0f;
    NodeId r = NODE(OP_RELU, "relu", out(bn));
    mark_output(out(r));
    CHECK(run() == 1);
    c = find("conv");
    CHECK(c == 0 && g->node[c].op == OP_CONV);
    CHECK(g->node[c].attr->conv.fuse.act == ACT_RELU);
    CHECK(strcmp(g->val[g->node[c].out[0]].name, "relu") == 0 && g->output[0] == g->node[c].out[0]);
    CHECK(g->val[g->output[0]].def == c);
    /* s = sc / sqrt(var) = 1, 0.5, -2 */
    const double s[3] = {1, 0.5, -2}, b0[3] = {0.5, -1, 2}, bias[3] = {1, 2, 3};
    const double m[3] = {0.25, -0.5, 1};
    const float *w2 = cdata(c, 1), *b2 = cdata(c, 2);
    int ok = 1;
    for (int o = 0; o < 3; o++) {
        for (int i = 0; i < 2; i++)
            ok &= near(w2[o * 2 + i], (1 + o * 2 + i) * s[o]);
        ok &= near(b2[o], (b0[o] - m[o]) * s[o] + bias[o]);
    }
    CHECK(ok);
    CHECK(g->val[g->node[c].in[1]].flags & V_PARAM);
}

static void
test_conv_mul_add(void)
{
    /* no bias: one is made; Mul by [3,1,1] (constant first), Add of [1,3,1,1], Sub of a scalar */
    fresh();
    ValId x = TENSOR("x", 1, 1, 2, 2);
    ValId w = fconst("w", 4, DIMS(3, 1, 1, 1), FLOATS(1, 2, 3));
    ValId k = fconst("k", 3, DIMS(3, 1, 1), FLOATS(2, 3, 4));
    ValId a = fconst("a", 4, DIMS(1, 3, 1, 1), FLOATS(10, 20, 30));
    ValId s = fconst("s", 0, NULL, FLOATS(1));
    NodeId c = NODE(OP_CONV, "conv", x, w);
    NodeId mu = NODE(OP_MUL, "mul", k, out(c));
    NodeId ad = NODE(OP_ADD, "add", out(mu), a);
    NodeId sb = NODE(OP_SUB, "sub", out(ad), s);
    mark_output(out(sb));
    CHECK(run() == 1);
    c = find("conv");
    CHECK(g->node[c].nin == 3 && g->node[c].attr->conv.fuse.act == ACT_NONE);
    const float *w2 = cdata(c, 1), *b2 = cdata(c, 2);
    CHECK(near(w2[0], 2) && near(w2[1], 6) && near(w2[2], 12));
    CHECK(near(b2[0], 9) && near(b2[1], 19) && near(b2[2], 29));
    CHECK(g->val[g->node[c].in[2]].rank == 1 && g->val[g->node[c].in[2]].dim[0] == 3);

    /* a Mul that widens (per-spatial constant) or a Sub with the conv second stays */
    fresh();
    x = TENSOR("x", 1, 1, 2, 2);
    w = fconst("w", 4, DIMS(2, 1, 1, 1), FLOATS(1, 2));
    k = fconst("k", 2, DIMS(2, 2), FLOATS(1, 2, 3, 4));
    c = NODE(OP_CONV, "conv", x, w);
    mu = NODE(OP_MUL, "mul", out(c), k);
    sb = NODE(OP_SUB, "sub", fconst("one", 0, NULL, FLOATS(1)), out(mu));
    mark_output(out(sb));
    CHECK(run() == 3);
}

static void
test_convtranspose_bn(void)
{
    /* group 2: W [C_in=4, 1, 1, 1], output channels 2; in channels 0,1 -> out 0; 2,3 -> out 1 */
    fresh();
    ValId x = TENSOR("x", 1, 4, 3, 3);
    ValId w = fconst("w", 4, DIMS(4, 1, 1, 1), FLOATS(1, 2, 3, 4));
    ValId b = fconst("b", 1, DIMS(2), FLOATS(1, -1));
    NodeId c = NODE(OP_CONVTRANSPOSE, "ct", x, w, b);
    g->node[c].attr->conv.group = 2;
    NodeId bn = NODE(OP_BATCHNORMALIZATION, "bn", out(c), fconst("sc", 1, DIMS(2), FLOATS(3, 5)),
                     fconst("bb", 1, DIMS(2), FLOATS(0, 1)), fconst("m", 1, DIMS(2), FLOATS(1, 2)),
                     fconst("v", 1, DIMS(2), FLOATS(1, 1)));
    g->node[bn].attr->norm.epsilon = 0.0f;
    mark_output(out(bn));
    const float *w1 = g->val[w].data;
    CHECK(run() == 1);
    c = find("ct");
    const float *w2 = cdata(c, 1), *b2 = cdata(c, 2);
    CHECK(near(w2[0], 3) && near(w2[1], 6) && near(w2[2], 15) && near(w2[3], 20));
    CHECK(near(b2[0], (1 - 1) * 3 + 0) && near(b2[1], (-1 - 2) * 5 + 1));
    /* the original constant is untouched (it is gone from the graph, not from the arena) */
    CHECK(w1[0] == 1 && w1[3] == 4);
}

static void
test_gemm_bn_clip(void)
{
    /* Y = A B^T * 1 + 0.5 C, B [N=3, K=2]; BN on [1,3]; then Clip(0, 6); HardSwish stays */
    fresh();
    ValId a = TENSOR("a", 1, 2);
    ValId bm = fconst("bm", 2, DIMS(3, 2), FLOATS(1, 2, 3, 4, 5, 6));
    ValId cc = fconst("cc", 1, DIMS(3), FLOATS(2, 4, 6));
    NodeId gm = NODE(OP_GEMM, "gemm", a, bm, cc);
    g->node[gm].attr->gemm.trans_b = 1;
    g->node[gm].attr->gemm.beta = 0.5f;
    NodeId bn =
        NODE(OP_BATCHNORMALIZATION, "bn", out(gm), fconst("sc", 1, DIMS(3), FLOATS(2, 2, 2)),
             fconst("bb", 1, DIMS(3), FLOATS(1, 1, 1)), fconst("m", 1, DIMS(3), FLOATS(0, 0, 0)),
             fconst("v", 1, DIMS(3), FLOATS(4, 4, 4)));
    g->node[bn].attr->norm.epsilon = 0.0f;
    NodeId cl = NODE(OP_CLIP, "clip", out(bn), fconst("lo", 0, NULL, FLOATS(0)),
                     fconst("hi", 0, NULL, FLOATS(6)));
    NodeId hs = NODE(OP_HARDSWISH, "hs", out(cl));
    mark_output(out(hs));
    CHECK(run() == 2);
    gm = find("gemm");
    const GemmAttr *ga = &g->node[gm].attr->gemm;
    CHECK(ga->fuse.act == ACT_CLIP && ga->fuse.alpha == 0 && ga->fuse.beta == 6);
    CHECK(ga->beta == 1.0f && ga->alpha == 1.0f);
    const float *w2 = cdata(gm, 1), *c2 = cdata(gm, 2);
    int ok = 1;
    for (int i = 0; i < 6; i++)
        ok &= near(w2[i], i + 1); /* s = 2 / sqrt(4) = 1 */
    CHECK(ok);
    CHECK(near(c2[0], 2) && near(c2[1], 3) && near(c2[2], 4));
    CHECK(find("hs") != NONE && find("clip") == NONE);

    /* Gemm without C, B not transposed [K=2, N=2], Mul by [2]: C is made, columns scaled */
    fresh();
    a = TENSOR("a", 1, 2);
    bm = fconst("bm", 2, DIMS(2, 2), FLOATS(1, 2, 3, 4));
    gm = NODE(OP_GEMM, "gemm", a, bm);
    NodeId mu = NODE(OP_MUL, "mul", out(gm), fconst("k", 1, DIMS(2), FLOATS(10, 100)));
    mark_output(out(mu));
    CHECK(run() == 1);
    gm = find("gemm");
    w2 = cdata(gm, 1);
    c2 = cdata(gm, 2);
    CHECK(near(w2[0], 10) && near(w2[1], 200) && near(w2[2], 30) && near(w2[3], 400));
    CHECK(near(c2[0], 0) && near(c2[1], 0));
}

/* ---- activations -------------------------------------------------------------------------------
 */

static void
test_activations(void)
{
    static const OpKind ops[] = {OP_RELU, OP_LEAKYRELU, OP_HARDSIGMOID, OP_HARDSWISH, OP_SIGMOID};
    static const ActKind acts[] = {ACT_RELU, ACT_LEAKYRELU, ACT_HARDSIGMOID, ACT_HARDSWISH,
                                   ACT_SIGMOID};
    for (int i = 0; i < 5; i++) {
        fresh();
        ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 4, 2, 3, 3); /* W not constant */
        NodeId c = NODE(OP_CONV, "conv", x, w);
        NodeId a = NODE(ops[i], "act", out(c));
        g->node[a].attr->act.alpha = 0.25f;
        g->node[a].attr->act.beta = 0.75f;
        mark_output(out(a));
        CHECK(run() == 1);
        const Fused *fu = &g->node[0].attr->conv.fuse;
        CHECK(fu->act == acts[i]);
        if (acts[i] == ACT_LEAKYRELU)
            CHECK(fu->alpha == 0.25f);
        if (acts[i] == ACT_HARDSIGMOID)
            CHECK(fu->alpha == 0.25f && fu->beta == 0.75f);
    }

    /* Clip without bounds: -inf, inf; ConvTranspose */
    fresh();
    ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 2, 4, 3, 3);
    NodeId c = NODE(OP_CONVTRANSPOSE, "ct", x, w);
    NodeId cl = NODE(OP_CLIP, "clip", out(c));
    mark_output(out(cl));
    CHECK(run() == 1);
    const Fused *fu = &g->node[0].attr->conv.fuse;
    CHECK(fu->act == ACT_CLIP && fu->alpha == -INFINITY && fu->beta == INFINITY);

    /* Clip with a bound that is not constant stays */
    fresh();
    x = TENSOR("x", 1, 2, 3, 3);
    w = TENSOR("w", 4, 2, 3, 3);
    ValId lo = val("lo", 0, NULL);
    c = NODE(OP_CONV, "conv", x, w);
    cl = NODE(OP_CLIP, "clip", out(c), lo);
    mark_output(out(cl));
    CHECK(run() == 2 && g->node[0].attr->conv.fuse.act == ACT_NONE);
}

static void
test_silu(void)
{
    for (int order = 0; order < 2; order++) {
        fresh();
        ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 4, 2, 3, 3);
        NodeId c = NODE(OP_CONV, "conv", x, w);
        NodeId s = NODE(OP_SIGMOID, "sig", out(c));
        NodeId m =
            order ? NODE(OP_MUL, "mul", out(s), out(c)) : NODE(OP_MUL, "mul", out(c), out(s));
        mark_output(out(m));
        CHECK(run() == 1);
        CHECK(g->node[0].attr->conv.fuse.act == ACT_SILU);
        CHECK(strcmp(g->val[g->node[0].out[0]].name, "mul") == 0);
    }
    /* the sigmoid is a graph output too: nothing fuses */
    fresh();
    ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 4, 2, 3, 3);
    NodeId c = NODE(OP_CONV, "conv", x, w);
    NodeId s = NODE(OP_SIGMOID, "sig", out(c));
    NodeId m = NODE(OP_MUL, "mul", out(c), out(s));
    mark_output(out(m));
    mark_output(out(s));
    CHECK(run() == 3 && g->node[0].attr->conv.fuse.act == ACT_NONE);
}

/* HardSwish written out (Div by 6 or Mul by 1/6, operands either way round) becomes one node
 * and fuses; a constant other than 3 in the Add leaves the pattern alone. */
static void
test_hardswish_pattern(void)
{
    for (int form = 0; form < 3; form++) {
        fresh();
        ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 4, 2, 3, 3);
        NodeId c = NODE(OP_CONV, "conv", x, w);
        ValId three = fconst("three", 0, NULL, FLOATS(3));
        NodeId a =
            form == 1 ? NODE(OP_ADD, "add", three, out(c)) : NODE(OP_ADD, "add", out(c), three);
        NodeId cl = NODE(OP_CLIP, "clip", out(a), fconst("lo", 0, NULL, FLOATS(0)),
                         fconst("hi", 0, NULL, FLOATS(6)));
        NodeId m =
            form == 2 ? NODE(OP_MUL, "mul", out(cl), out(c)) : NODE(OP_MUL, "mul", out(c), out(cl));
        NodeId dv = form == 2
                        ? NODE(OP_MUL, "div", out(m), fconst("k", 1, DIMS(1), FLOATS(1.0f / 6)))
                        : NODE(OP_DIV, "div", out(m), fconst("six", 0, NULL, FLOATS(6)));
        mark_output(out(dv));
        CHECK(run() == 1);
        CHECK(g->node[0].attr->conv.fuse.act == ACT_HARDSWISH);
        CHECK(strcmp(g->val[g->node[0].out[0]].name, "div") == 0);
    }
    /* Add(y, 2): not HardSwish; nothing fuses (y has two uses) */
    fresh();
    ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 4, 2, 3, 3);
    NodeId c = NODE(OP_CONV, "conv", x, w);
    NodeId a = NODE(OP_ADD, "add", out(c), fconst("two", 0, NULL, FLOATS(2)));
    NodeId cl = NODE(OP_CLIP, "clip", out(a), fconst("lo", 0, NULL, FLOATS(0)),
                     fconst("hi", 0, NULL, FLOATS(6)));
    NodeId m = NODE(OP_MUL, "mul", out(c), out(cl));
    NodeId dv = NODE(OP_DIV, "div", out(m), fconst("six", 0, NULL, FLOATS(6)));
    mark_output(out(dv));
    CHECK(run() == 5 && g->node[0].attr->conv.fuse.act == ACT_NONE);
    /* on a graph input, values before it dropped: the HardSwish node's output is renumbered
     * with its inputs (it shrank to one input), and the Neg after it reads it */
    fresh();
    ValId unused = fconst("unused", 0, NULL, FLOATS(1));
    (void)unused;
    ValId xi = TENSOR("xi", 1, 2, 3, 3);
    NodeId ai = NODE(OP_ADD, "add", xi, fconst("three", 0, NULL, FLOATS(3)));
    NodeId ci = NODE(OP_CLIP, "clip", out(ai), fconst("lo", 0, NULL, FLOATS(0)),
                     fconst("hi", 0, NULL, FLOATS(6)));
    NodeId mi = NODE(OP_MUL, "mul", xi, out(ci));
    NodeId di = NODE(OP_DIV, "div", out(mi), fconst("six", 0, NULL, FLOATS(6)));
    NodeId ni = NODE(OP_NEG, "neg", out(di));
    mark_output(out(ni));
    CHECK(run() == 2 && g->node[0].op == OP_HARDSWISH && g->node[0].nin == 1 &&
          g->node[1].in[0] == g->node[0].out[0] && g->val[g->node[0].out[0]].def == 0 &&
          strcmp(g->val[g->node[0].out[0]].name, "div") == 0);
}

/* Scalar Mul, Add, Sub and Div after a fused activation compose into its affine step; a
 * per-channel one does not (it cannot pass the activation into the weights either). */
static void
test_affine_after_act(void)
{
    fresh();
    ValId x = TENSOR("x", 1, 2, 3, 3), w = TENSOR("w", 4, 2, 3, 3);
    NodeId c = NODE(OP_CONV, "conv", x, w);
    NodeId r = NODE(OP_RELU, "relu", out(c));
    NodeId mu = NODE(OP_MUL, "mul", fconst("k", 1, DIMS(1), FLOATS(2)), out(r));
    NodeId ad = NODE(OP_ADD, "add", out(mu), fconst("b", 0, NULL, FLOATS(1)));
    NodeId sb = NODE(OP_SUB, "sub", out(ad), fconst("s", 0, NULL, FLOATS(0.5f)));
    NodeId dv = NODE(OP_DIV, "div", out(sb), fconst("d", 0, NULL, FLOATS(4)));
    mark_output(out(dv));
    CHECK(run() == 1);
    const Fused *fu = &g->node[0].attr->conv.fuse;
    CHECK(fu->act == ACT_RELU && fu->affine && near(fu->mul, 0.5) && near(fu->add, 0.125));

    fresh();
    x = TENSOR("x", 1, 2, 3, 3);
    w = TENSOR("w", 4, 2, 3, 3);
    c = NODE(OP_CONV, "conv", x, w);
    r = NODE(OP_RELU, "relu", out(c));
    mu = NODE(OP_MUL, "mul", out(r), fconst("k", 3, DIMS(4, 1, 1), FLOATS(1, 2, 3, 4)));
    mark_output(out(mu));
    CHECK(run() == 2);
    fu = &g->node[0].attr->conv.fuse;
    CHECK(fu->act == ACT_RELU && !fu->affine);
}

/* A BatchNormalization on a graph input (no Conv to fold into) absorbs the per-channel Mul and
 * Add after it and the Relu: scale S, bias T, mean 0, var 1, epsilon 0. */
static void
test_standalone_bn(void)
{
    fresh();
    ValId x = TENSOR("x", 1, 2, 3, 3);
    NodeId bn =
        NODE(OP_BATCHNORMALIZATION, "bn", x, fconst("sc", 1, DIMS(2), FLOATS(2, 4)),
             fconst("b", 1, DIMS(2), FLOATS(1, -1)), fconst("m", 1, DIMS(2), FLOATS(0.5f, 1)),
             fconst("v", 1, DIMS(2), FLOATS(4, 16)));
    g->node[bn].attr->norm.epsilon = 0;
    NodeId mu = NODE(OP_MUL, "mul", out(bn), fconst("k", 3, DIMS(2, 1, 1), FLOATS(3, 5)));
    NodeId ad = NODE(OP_ADD, "add", fconst("a", 4, DIMS(1, 2, 1, 1), FLOATS(10, 20)), out(mu));
    NodeId r = NODE(OP_RELU, "relu", out(ad));
    mark_output(out(r));
    CHECK(run() == 1);
    bn = find("bn");
    CHECK(g->node[bn].attr->norm.fuse.act == ACT_RELU && g->node[bn].attr->norm.epsilon == 0);
    /* s = sc / sqrt(v) * k = (3, 5); t = (b - m * sc / sqrt(v)) * k + a = (11.5, 10) */
    const float *S = cdata(bn, 1), *T = cdata(bn, 2), *M = cdata(bn, 3), *V = cdata(bn, 4);
    CHECK(near(S[0], 3) && near(S[1], 5) && near(T[0], 11.5) && near(T[1], 10));
    CHECK(M[0] == 0 && M[1] == 0 && V[0] == 1 && V[1] == 1);
    CHECK(strcmp(g->val[g->node[bn].out[0]].name, "relu") == 0);
}

/* an int64 constant [n] */
static ValId
iconst(const char *name, int n, const int64_t *v)
{
    ValId x = ir_val_add(g, name, DT_I64, NULL);
    g->val[x].rank = 1;
    g->val[x].dim[0] = n;
    int64_t *p = ir_galloc(g, (size_t)n * sizeof *p + 1);
    memcpy(p, v, (size_t)n * sizeof *p);
    g->val[x].data = p;
    g->val[x].flags |= V_CONST | V_PARAM;
    return x;
}

/* Pad with zeros on H and W before a Conv becomes the Conv's pads; a Pad of the channels, with
 * another value, or read by someone else too, stays. */
static void
test_pad_conv(void)
{
    fresh();
    ValId x = TENSOR("x", 1, 2, 5, 6), w = TENSOR("w", 4, 2, 3, 3);
    NodeId p = NODE(OP_PAD, "pad", x, iconst("pads", 8, DIMS(0, 0, 1, 2, 0, 0, 3, 4)));
    NodeId c = NODE(OP_CONV, "conv", out(p), w);
    static const int64_t p1[] = {1, 1, 1, 1};
    g->node[c].attr->conv.pads = (Ints){4, p1};
    mark_output(out(c));
    CHECK(run() == 1);
    const Ints *pads = &g->node[0].attr->conv.pads;
    CHECK(g->node[0].op == OP_CONV && g->node[0].in[0] == x);
    CHECK(pads->n == 4 && pads->v[0] == 2 && pads->v[1] == 3 && pads->v[2] == 4 && pads->v[3] == 5);
    CHECK(g->val[g->node[0].out[0]].dim[2] == 9 && g->val[g->node[0].out[0]].dim[3] == 12);

    for (int k = 0; k < 3; k++) {
        fresh();
        x = TENSOR("x", 1, 2, 5, 6);
        w = TENSOR("w", 4, k == 0 ? 3 : 2, 3, 3);
        ValId pv =
            iconst("pads", 8, k == 0 ? DIMS(0, 1, 1, 1, 0, 0, 1, 1) : DIMS(0, 0, 1, 1, 0, 0, 1, 1));
        p = k == 1 ? NODE(OP_PAD, "pad", x, pv, fconst("v", 0, NULL, FLOATS(1)))
                   : NODE(OP_PAD, "pad", x, pv);
        c = NODE(OP_CONV, "conv", out(p), w);
        mark_output(out(c));
        if (k == 2)
            mark_output(out(p));
        CHECK(run() == 2);
    }
}

/* pass_cleanup (run before fusion): a chain of Identity and Dropout nodes goes, and every reader
 * of its end, before or after other nodes, reads its start; an Identity that is a graph output
 * stays. */
static void
test_identity_chain(void)
{
    fresh();
    ValId x = TENSOR("x", 1, 2, 3, 3);
    NodeId i1 = NODE(OP_IDENTITY, "i1", x);
    NodeId i2 = NODE(OP_DROPOUT, "i2", out(i1));
    NodeId i3 = NODE(OP_IDENTITY, "i3", out(i2));
    NodeId r = NODE(OP_RELU, "relu", out(i3));
    NodeId s = NODE(OP_SIGMOID, "sig", out(i2));
    NodeId keep = NODE(OP_IDENTITY, "keep", out(r));
    mark_output(out(s));
    mark_output(out(keep));
    CHECK(run() == 3);
    r = find("relu");
    s = find("sig");
    keep = find("keep");
    CHECK(r != NONE && s != NONE && keep != NONE);
    CHECK(g->node[r].in[0] == x && g->node[s].in[0] == x);
    CHECK(g->node[keep].op == OP_IDENTITY && g->node[keep].in[0] == g->node[r].out[0]);
}

/* ---- what must stay ----------------------------------------------------------------------------
 */

static void
test_blocked(void)
{
    /* the conv output is also a graph output: neither BN nor Relu folds */
    fresh();
    ValId x = TENSOR("x", 1, 1, 2, 2);
    ValId w = fconst("w", 4, DIMS(2, 1, 1, 1), FLOATS(1, 2));
    NodeId c = NODE(OP_CONV, "conv", x, w);
    NodeId mu = NODE(OP_MUL, "mul", out(c), fconst("k", 3, DIMS(2, 1, 1), FLOATS(2, 3)));
    mark_output(out(c));
    mark_output(out(mu));
    CHECK(run() == 2);

    /* a second use of the conv output: Relu stays */
    fresh();
    x = TENSOR("x", 1, 1, 2, 2);
    w = fconst("w", 4, DIMS(2, 1, 1, 1), FLOATS(1, 2));
    c = NODE(OP_CONV, "conv", x, w);
    NodeId r = NODE(OP_RELU, "relu", out(c));
    NodeId ad = NODE(OP_ADD, "add", out(c), out(r));
    mark_output(out(ad));
    CHECK(run() == 3 && g->node[0].attr->conv.fuse.act == ACT_NONE);

    /* shared weights: the folded conv gets new ones, the other keeps the original */
    fresh();
    x = TENSOR("x", 1, 1, 2, 2);
    w = fconst("w", 4, DIMS(2, 1, 1, 1), FLOATS(1, 2));
    NodeId c1 = NODE(OP_CONV, "c1", x, w);
    NodeId c2 = NODE(OP_CONV, "c2", x, w);
    mu = NODE(OP_MUL, "mul", out(c1), fconst("k", 3, DIMS(2, 1, 1), FLOATS(2, 3)));
    mark_output(out(mu));
    mark_output(out(c2));
    CHECK(run() == 2);
    c1 = find("c1");
    c2 = find("c2");
    CHECK(g->node[c1].in[1] != g->node[c2].in[1]);
    CHECK(cdata(c2, 1)[0] == 1 && cdata(c2, 1)[1] == 2);
    CHECK(near(cdata(c1, 1)[0], 2) && near(cdata(c1, 1)[1], 6));

    /* one activation only: Relu then Sigmoid keeps the Sigmoid */
    fresh();
    x = TENSOR("x", 1, 1, 2, 2);
    w = TENSOR("w", 2, 1, 1, 1);
    c = NODE(OP_CONV, "conv", x, w);
    r = NODE(OP_RELU, "relu", out(c));
    NodeId s = NODE(OP_SIGMOID, "sig", out(r));
    mark_output(out(s));
    CHECK(run() == 2 && g->node[0].attr->conv.fuse.act == ACT_RELU);
}

int
main(void)
{
    test_conv_bn_relu();
    test_conv_mul_add();
    test_convtranspose_bn();
    test_gemm_bn_clip();
    test_activations();
    test_silu();
    test_hardswish_pattern();
    test_affine_after_act();
    test_standalone_bn();
    test_pad_conv();
    test_identity_chain();
    test_blocked();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
