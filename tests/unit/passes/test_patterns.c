/*
 * test_patterns.c: pass_patterns on hand-built graphs: GELU's exact form (Div or Mul by the
 * constant, products grouped either way) and tanh form (Pow or x*x*x) each become one Gelu node
 * reading x, with the ops it took in order; what must stay: an intermediate that is also a graph
 * output or read elsewhere, a constant off by more than 1e-4, a product that broadcasts. A
 * one-hot lookup becomes a Gather of a table with a row of zeros added, its indices guarded;
 * not with an infinity in the table, a constant other than 0 .. V-1, or the bool read elsewhere.
 */
#include "graph_kit.h"

#include <math.h>

#include "../test.h"

static ValId x;

/* a fresh graph with input x [2, 8, 4, 4] */
static void
start(void)
{
    fresh();
    x = input("x", 2, 8);
}

/* a float32 constant of one element and rank r (dims 1) */
static ValId
k_r(float v, int r)
{
    ValId c = ir_val_add(g, NULL, DT_F32, NULL);
    float *p = ir_galloc(g, sizeof *p);
    *p = v;
    g->val[c].rank = r;
    for (int i = 0; i < r; i++)
        g->val[c].dim[i] = 1;
    g->val[c].data = p;
    g->val[c].flags |= V_CONST | V_PARAM;
    return c;
}

static ValId
k(float v)
{
    return k_r(v, 0);
}

/* a node of op reading a and b (b NONE: one input); its output */
static ValId
op(OpKind o, ValId a, ValId b)
{
    static int count;
    char name[16];
    snprintf(name, sizeof name, "n%d", count++);
    return b == NONE ? NODE(o, name, a) : NODE(o, name, a, b);
}

/* infer, clean up, the pass, verify; the number of live nodes, -1 on an error */
static int
run(void)
{
    if (ir_infer(g, &d) < 0 || pass_cleanup(g, &d) < 0 || pass_patterns(g, &d) < 0 ||
        ir_verify(g, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return g->nnode;
}

/* the one node left is Gelu(x) of the given form with ops */
static int
one_gelu(int approx, const char *ops)
{
    if (run() != 1)
        return 0;
    const Node *n = &g->node[0];
    int ok = n->op == OP_GELU && n->nin == 1 && n->in[0] == ir_val_find(g, "x") &&
             n->attr->act.approximate == approx && n->ops && strcmp(n->ops, ops) == 0 &&
             (g->val[n->out[0]].flags & V_OUTPUT);
    if (!ok)
        fprintf(stderr, "got %s (%s)\n", ir_op[n->op].onnx, n->ops ? n->ops : "-");
    return ok;
}

/* x * 0.5 * (1 + Erf(x / sqrt 2)) with the products grouped as the flags say */
static ValId
gelu_erf(int by_mul, int half_first)
{
    ValId e =
        op(OP_ERF, by_mul ? op(OP_MUL, x, k(0.70710678f)) : op(OP_DIV, x, k(1.4142135f)), NONE);
    ValId s = op(OP_ADD, e, k(1));
    return half_first ? op(OP_MUL, op(OP_MUL, k(0.5f), x), s)
                      : op(OP_MUL, op(OP_MUL, x, s), k(0.5f));
}

/* 0.5 * x * (1 + Tanh(0.7978846 * (x + 0.044715 * x^3))), the cube by Pow or by products */
static ValId
gelu_tanh(int pow, float c)
{
    ValId cube = pow ? op(OP_POW, x, k(3)) : op(OP_MUL, op(OP_MUL, x, x), x);
    ValId inner = op(OP_ADD, x, op(OP_MUL, k(c), cube));
    ValId t = op(OP_TANH, op(OP_MUL, inner, k(0.7978846f)), NONE);
    return op(OP_MUL, op(OP_MUL, x, k(0.5f)), op(OP_ADD, k(1), t));
}

static void
test_exact_forms(void)
{
    start();
    mark_output(gelu_erf(0, 0));
    CHECK(one_gelu(0, "Div+Erf+Add+Mul+Mul"));
    start();
    mark_output(gelu_erf(1, 1));
    CHECK(one_gelu(0, "Mul+Erf+Add+Mul+Mul"));
}

static void
test_tanh_forms(void)
{
    start();
    mark_output(gelu_tanh(1, 0.044715f));
    CHECK(one_gelu(1, "Pow+Mul+Add+Mul+Tanh+Add+Mul+Mul"));
    start();
    mark_output(gelu_tanh(0, 0.044715f));
    CHECK(one_gelu(1, "Mul+Mul+Mul+Add+Mul+Tanh+Add+Mul+Mul"));
}

static void
test_left_alone(void)
{
    /* Erf's output is a graph output too */
    start();
    ValId e = op(OP_ERF, op(OP_DIV, x, k(1.4142135f)), NONE);
    mark_output(op(OP_MUL, op(OP_MUL, x, op(OP_ADD, e, k(1))), k(0.5f)));
    mark_output(e);
    CHECK(run() == 5);
    /* the 1 + erf read by another node */
    start();
    ValId s = op(OP_ADD, op(OP_ERF, op(OP_DIV, x, k(1.4142135f)), NONE), k(1));
    mark_output(op(OP_MUL, op(OP_MUL, x, s), k(0.5f)));
    mark_output(op(OP_NEG, s, NONE));
    CHECK(run() == 6);
    /* the cube's constant 0.0447 instead of 0.044715 */
    start();
    mark_output(gelu_tanh(1, 0.0447f));
    CHECK(run() == 8);
    /* the half as a [1, 1] constant beside x [2, 8, 4, 4] is fine; as a rank-5 one it widens y */
    start();
    ValId e3 = op(OP_ERF, op(OP_DIV, x, k(1.4142135f)), NONE);
    ValId p = op(OP_MUL, op(OP_MUL, x, op(OP_ADD, e3, k(1))), k_r(0.5f, 2));
    mark_output(p);
    CHECK(one_gelu(0, "Div+Erf+Add+Mul+Mul"));
    start();
    ValId e4 = op(OP_ERF, op(OP_DIV, x, k(1.4142135f)), NONE);
    mark_output(op(OP_MUL, op(OP_MUL, x, op(OP_ADD, e4, k(1))), k_r(0.5f, 5)));
    CHECK(run() == 5);
}

/* an int64 input I [3, 1], the arange constant (or r[0..5)), E [5, 2] (e00 its first element) */
static ValId
onehot(const int64_t *r, float e00, ValId *bool_out)
{
    start();
    ValId i = ir_val_add(g, "i", DT_I64, NULL);
    g->val[i].rank = 2;
    g->val[i].dim[0] = 3, g->val[i].dim[1] = 1;
    g->val[i].flags |= V_INPUT;
    g->input[g->ninput++] = i;
    ValId rv = ir_val_add(g, "r", DT_I64, NULL), ev = ir_val_add(g, "e", DT_F32, NULL);
    int64_t *rd = ir_galloc(g, 5 * sizeof *rd);
    float *ed = ir_galloc(g, 10 * sizeof *ed);
    for (int k = 0; k < 5; k++)
        rd[k] = r ? r[k] : k;
    for (int k = 0; k < 10; k++)
        ed[k] = (float)k;
    ed[0] = e00;
    g->val[rv] = (Value){.name = "r", .dt = DT_I64, .rank = 1, .dim = {5}, .def = NONE,
                         .flags = V_CONST | V_PARAM, .data = rd};
    g->val[ev] = (Value){.name = "e", .dt = DT_F32, .rank = 2, .dim = {5, 2}, .def = NONE,
                         .flags = V_CONST | V_PARAM, .data = ed};
    ValId b = op(OP_EQUAL, i, rv);
    ValId c = op(OP_CAST, b, NONE);
    g->node[g->val[c].def].attr->cast.to = DT_F32;
    if (bool_out)
        *bool_out = b;
    return op(OP_MATMUL, c, ev);
}

/* how many live nodes of op */
static int
count(OpKind o)
{
    int k = 0;
    for (NodeId n = 0; n < g->nnode; n++)
        k += g->node[n].op == o;
    return k;
}

static void
test_onehot(void)
{
    mark_output(onehot(NULL, 0, NULL));
    CHECK(run() == 6 && count(OP_GATHER) == 1 && count(OP_MATMUL) == 0 &&
          count(OP_WHERE) == 1 && g->node[5].op == OP_RESHAPE &&
          strcmp(g->node[5].ops, "Equal+Cast+MatMul") == 0);
    /* the table E' has a row of zeros below E's five */
    const Value *t = &g->val[g->node[4].in[0]];
    CHECK(g->node[4].op == OP_GATHER && t->dim[0] == 6 && t->dim[1] == 2 &&
          ((const float *)t->data)[9] == 9 && ((const float *)t->data)[10] == 0 &&
          ((const float *)t->data)[11] == 0);
    /* left alone: an infinity in E, a constant that is not 0 .. V-1, the bool read elsewhere */
    mark_output(onehot(NULL, INFINITY, NULL));
    CHECK(run() == 3 && count(OP_MATMUL) == 1);
    mark_output(onehot((const int64_t[]){0, 1, 2, 4, 3}, 0, NULL));
    CHECK(run() == 3 && count(OP_MATMUL) == 1);
    ValId b;
    mark_output(onehot(NULL, 0, &b));
    mark_output(b);
    CHECK(run() == 3 && count(OP_MATMUL) == 1);
}

int
main(void)
{
    test_exact_forms();
    test_tanh_forms();
    test_left_alone();
    test_onehot();
    ir_graph_free(g);
    return TEST_DONE();
}
