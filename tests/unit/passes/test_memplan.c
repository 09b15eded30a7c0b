/*
 * test_memplan.c: pass_memplan on small hand-built graphs: tensors alive at the same step never
 * share bytes, the arena reaches the lower bound on a chain, and a Concat's inputs are placed
 * inside its output where that is safe (every dim before the axis is 1, an input appears once,
 * no input holds inputs of its own) and nowhere else.
 */
#include "ir/ir.h"
#include "passes/passes.h"

#include <string.h>

#include "../test.h"

static Graph *g;
static Diag d;
static MemPlan mp;

static void
fresh(void)
{
    if (g)
        ir_graph_free(g);
    g = ir_graph_new("t.onnx");
    diag_init(&d, "t.onnx");
    g->output = ir_galloc(g, 8 * sizeof(ValId));
    g->input = ir_galloc(g, 8 * sizeof(ValId));
}

/* a graph input of float32 [n, c, 4, 4] */
static ValId
input(const char *name, int64_t n, int64_t c)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    Value *x = &g->val[v];
    x->rank = 4;
    x->dim[0] = n, x->dim[1] = c, x->dim[2] = 4, x->dim[3] = 4;
    x->flags |= V_INPUT;
    g->input[g->ninput++] = v;
    return v;
}

static ValId
node(OpKind op, const char *name, int nin, const ValId *in)
{
    NodeId n = ir_node_add(g, op, name, nin, 1);
    for (int i = 0; i < nin; i++)
        g->node[n].in[i] = in[i];
    ValId v = ir_val_add(g, name, DT_UNDEF, NULL);
    g->node[n].out[0] = v;
    g->val[v].def = n;
    if (op == OP_CONCAT)
        g->node[n].attr->axis.axis = 1;
    return v;
}

#define NODE(op, name, ...)                                                                        \
    node(op, name, (int)(sizeof((ValId[]){__VA_ARGS__}) / sizeof(ValId)), (ValId[]){__VA_ARGS__})

static void
mark_output(ValId v)
{
    g->val[v].flags |= V_OUTPUT;
    g->output[g->noutput++] = v;
}

static int
run(void)
{
    if (ir_infer(g, &d) < 0 || pass_memplan(g, &mp, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return 0;
}

static ValId
find(const char *name)
{
    for (ValId v = 0; v < g->nval; v++)
        if (g->val[v].name && strcmp(g->val[v].name, name) == 0)
            return v;
    return NONE;
}

/* 1 when b's bytes lie inside a's */
static int
inside(ValId b, ValId a)
{
    return mp.offset[b] >= mp.offset[a] &&
           mp.offset[b] + (int64_t)ir_nbytes(&g->val[b]) <= mp.offset[a] + (int64_t)ir_nbytes(&g->val[a]);
}

/* 1 when v is an input of the Concat that defines o */
static int
concat_input(ValId v, ValId o)
{
    NodeId n = g->val[o].def;
    if (n == NONE || g->node[n].op != OP_CONCAT)
        return 0;
    for (int j = 0; j < g->node[n].nin; j++)
        if (g->node[n].in[j] == v)
            return 1;
    return 0;
}

/* Every two arena tensors alive at one step are apart, or one is a Concat input inside its
 * output. */
static int
no_clash(void)
{
    int ok = 1;
    for (ValId a = 0; a < g->nval; a++) {
        for (ValId b = a + 1; b < g->nval; b++) {
            if (mp.offset[a] < 0 || mp.offset[b] < 0)
                continue;
            int64_t ea = mp.offset[a] + (int64_t)ir_nbytes(&g->val[a]);
            int64_t eb = mp.offset[b] + (int64_t)ir_nbytes(&g->val[b]);
            int apart = ea <= mp.offset[b] || eb <= mp.offset[a];
            if (apart || (inside(a, b) && concat_input(a, b)) || (inside(b, a) && concat_input(b, a)))
                continue;
            /* overlapping bytes: their lifetimes must not meet */
            int fa = g->val[a].def, fb = g->val[b].def, la = fa, lb = fb;
            for (NodeId n = 0; n < g->nnode; n++)
                for (int j = 0; j < g->node[n].nin; j++) {
                    if (g->node[n].in[j] == a && n > la)
                        la = n;
                    if (g->node[n].in[j] == b && n > lb)
                        lb = n;
                }
            if (!(la < fb || lb < fa)) {
                fprintf(stderr, "%s and %s overlap while both alive\n", g->val[a].name,
                        g->val[b].name);
                ok = 0;
            }
        }
    }
    return ok;
}

static void
test_chain(void)
{
    fresh();
    ValId x = input("x", 1, 8);
    ValId a = NODE(OP_RELU, "a", x);
    ValId b = NODE(OP_SIGMOID, "b", a);
    ValId c = NODE(OP_TANH, "c", b);
    ValId e = NODE(OP_RELU, "e", c);
    mark_output(e);
    CHECK(run() == 0);
    CHECK(no_clash());
    /* two tensors of 512 bytes alive at once at most */
    CHECK(mp.lower == 1024 && mp.arena == 1024 && mp.total == 3 * 512);
}

static void
test_concat_in_place(void)
{
    fresh();
    ValId x = input("x", 1, 8);
    ValId a = NODE(OP_RELU, "a", x);
    ValId b = NODE(OP_SIGMOID, "b", x);
    ValId o = NODE(OP_CONCAT, "o", a, b);
    ValId r = NODE(OP_RELU, "r", o);
    mark_output(r);
    CHECK(run() == 0);
    CHECK(no_clash());
    CHECK(mp.offset[a] == mp.offset[o] && mp.offset[b] == mp.offset[o] + 512);

    /* the output's bytes are taken from the first input's step: a larger tensor alive in
     * between (placed first, at 0) must not land on a */
    fresh();
    x = input("x", 1, 8);
    ValId y = input("y", 1, 64);
    a = NODE(OP_RELU, "a", x);
    ValId big = NODE(OP_RELU, "big", y);
    mark_output(NODE(OP_SIGMOID, "side", big));
    b = NODE(OP_SIGMOID, "b", x);
    o = NODE(OP_CONCAT, "o", a, b);
    mark_output(NODE(OP_RELU, "r", o));
    CHECK(run() == 0);
    CHECK(no_clash());
    CHECK(inside(a, o) && inside(b, o));

    /* batch 2: the inputs are not contiguous ranges of the output */
    fresh();
    x = input("x", 2, 8);
    a = NODE(OP_RELU, "a", x);
    b = NODE(OP_SIGMOID, "b", x);
    o = NODE(OP_CONCAT, "o", a, b);
    mark_output(NODE(OP_RELU, "r", o));
    CHECK(run() == 0);
    CHECK(no_clash());
    CHECK(!inside(a, o) && !inside(b, o));

    /* the same input twice, and an input that is a graph input: copied */
    fresh();
    x = input("x", 1, 8);
    a = NODE(OP_RELU, "a", x);
    o = NODE(OP_CONCAT, "o", a, a, x);
    mark_output(NODE(OP_RELU, "r", o));
    CHECK(run() == 0);
    CHECK(no_clash());
    CHECK(!inside(a, o) && mp.offset[x] < 0);

    /* nested: o1 holds a and b; o2 = Concat(o1, c) holds c but not o1; a read after o2 */
    fresh();
    x = input("x", 1, 8);
    a = NODE(OP_RELU, "a", x);
    b = NODE(OP_SIGMOID, "b", x);
    ValId o1 = NODE(OP_CONCAT, "o1", a, b);
    ValId c = NODE(OP_TANH, "c", o1);
    ValId o2 = NODE(OP_CONCAT, "o2", o1, c);
    ValId late = NODE(OP_ADD, "late", NODE(OP_RELU, "r2", o2), NODE(OP_CONCAT, "o3", a, a, a, a));
    mark_output(late);
    CHECK(run() == 0);
    CHECK(no_clash());
    o1 = find("o1");
    CHECK(inside(a, o1) && inside(b, o1) && inside(c, o2) && !inside(o1, o2));
}

int
main(void)
{
    test_chain();
    test_concat_in_place();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
