/*
 * test_control.c: the control-flow lowering (passes/control.c) on hand-built graphs with bodies:
 * which nodes each form becomes (a constant If's taken branch alone, a run-time If's both
 * branches, a Reshape of its [1] condition and a Where; a Loop's body once per iteration with
 * its scan output stacked by Unsqueeze and Concat, ended early by a condition that folds; a
 * Scan's Gathers in reverse order; opset 8's batched Scan row by row), that the outputs keep their
 * values' ids and get their shapes, that the graph verifies; and the refusals and their messages
 * (branches that disagree, a trip count known only at run time, too many iterations, a
 * data-dependent exit, a scan input of dynamic shape), and that inspect's lenient mode leaves such
 * a node as it is. The numbers themselves are checked end to end by tests/models/control_flow.py
 * and the ONNX node tests.
 */
#include "ir/ir.h"
#include "passes/passes.h"

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
    g->input = ir_galloc(g, 8 * sizeof(ValId));
    g->output = ir_galloc(g, 8 * sizeof(ValId));
}

/* A value of graph h: a graph input (V_INPUT) or a tensor of the given dims (rank -1: none) */
static ValId
val(Graph *h, const char *name, DType dt, int rank, const int64_t *dims, unsigned flags)
{
    ValId v = ir_val_add(h, name, dt, NULL);
    Value *x = &h->val[v];
    x->rank = rank;
    for (int i = 0; i < rank; i++)
        x->dim[i] = dims[i];
    x->flags |= flags;
    if (flags & V_INPUT)
        h->input[h->ninput++] = v;
    return v;
}

/* A scalar constant of graph h: int64, bool or float32 */
static ValId
scalar(Graph *h, const char *name, DType dt, double v)
{
    ValId c = val(h, name, dt, 0, NULL, V_CONST | V_PARAM);
    void *p = ir_galloc(h, 8);
    if (dt == DT_I64)
        *(int64_t *)p = (int64_t)v;
    else if (dt == DT_BOOL)
        *(unsigned char *)p = v != 0;
    else
        *(float *)p = (float)v;
    h->val[c].data = p;
    return c;
}

/* A node of graph h with one output called name */
static ValId
op(Graph *h, OpKind k, const char *name, int nin, const ValId *in)
{
    NodeId n = ir_node_add(h, k, name, nin, 1);
    memcpy(h->node[n].in, in, (size_t)nin * sizeof *in);
    ValId y = ir_val_add(h, name, DT_UNDEF, NULL);
    h->node[n].out[0] = y;
    h->val[y].def = n;
    return y;
}
#define OP(h, k, name, ...)                                                                        \
    op(h, k, name, (int)(sizeof((ValId[]){__VA_ARGS__}) / sizeof(ValId)), (ValId[]){__VA_ARGS__})

/* A body owned by g */
static Graph *
body(void)
{
    Graph *b = ir_graph_sub(g);
    b->input = ir_galloc(b, 8 * sizeof(ValId));
    b->output = ir_galloc(b, 8 * sizeof(ValId));
    b->capture = ir_galloc(b, 8 * sizeof(ValId));
    return b;
}

/* Body b reads g's value of that name */
static ValId
capture(Graph *b, const char *name)
{
    ValId v = ir_val_add(b, name, DT_UNDEF, NULL);
    b->capture[b->ncapture++] = v;
    return v;
}

static void
body_out(Graph *b, ValId v)
{
    b->output[b->noutput++] = v;
}

/* A control-flow node on in[0..nin) and the captures of its bodies, with outputs out0, out1...
 * (NULL ends them), each a graph output */
static NodeId
control(OpKind k, Graph *b0, Graph *b1, int nin, const ValId *in, const char *out0,
        const char *out1)
{
    int ncap = b0->ncapture + (b1 ? b1->ncapture : 0);
    NodeId n = ir_node_add(g, k, "cf", nin + ncap, out1 ? 2 : 1);
    Node *x = &g->node[n];
    memcpy(x->in, in, (size_t)nin * sizeof *in);
    for (int i = 0; i < ncap; i++) {
        Graph *b = i < b0->ncapture ? b0 : b1;
        int j = i < b0->ncapture ? i : i - b0->ncapture;
        x->in[nin + i] = ir_val_find(g, b->val[b->capture[j]].name);
    }
    x->attr->body.body[0] = b0;
    x->attr->body.body[1] = b1;
    x->attr->body.ncapture = ncap;
    const char *outs[2] = {out0, out1};
    for (int i = 0; i < (out1 ? 2 : 1); i++) {
        ValId y = ir_val_add(g, outs[i], DT_UNDEF, NULL);
        g->node[n].out[i] = y;
        g->val[y].def = n;
        g->val[y].flags |= V_OUTPUT;
        g->output[g->noutput++] = y;
    }
    return n;
}

static int
count(OpKind k)
{
    int c = 0;
    for (int i = 0; i < g->nnode; i++)
        c += g->node[i].op == k;
    return c;
}

/* Lowers strictly; the graph must verify and output name must have dims want[0..rank) */
static int
lowered(const char *name, int rank, const int64_t *want)
{
    if (ir_infer(g, &d) < 0 || pass_control(g, 1, &d) < 0) {
        fprintf(stderr, "lowering: %s\n", d.msg);
        return 0;
    }
    ValId y = ir_val_find(g, name);
    int ok = y != NONE && g->val[y].rank == rank && g->val[y].def != NONE &&
             count(OP_IF) + count(OP_LOOP) + count(OP_SCAN) == 0 && ir_verify(g, &d) == 0;
    for (int i = 0; ok && i < rank; i++)
        ok = g->val[y].dim[i] == want[i];
    if (!ok)
        fprintf(stderr, "lowered graph wrong (%s)\n", d.msg);
    return ok;
}

/* Lowering refuses, saying what */
static int
refused(const char *what)
{
    int ok = ir_infer(g, &d) == 0 && pass_control(g, 1, &d) < 0 && strstr(d.msg, what);
    if (!ok)
        fprintf(stderr, "expected a refusal saying \"%s\", got \"%s\"\n", what, d.msg);
    return ok;
}

static const int64_t D23[] = {2, 3};

/* If(c) then Relu(x) else Neg(x), or else Concat(x, x) (another shape) */
static void
if_graph(ValId c, int other_shape)
{
    ValId x = ir_val_find(g, "x");
    if (x == NONE)
        x = val(g, "x", DT_F32, 2, D23, V_INPUT);
    Graph *t = body(), *e = body();
    body_out(t, OP(t, OP_RELU, "r", capture(t, "x")));
    if (other_shape) {
        ValId xe = capture(e, "x");
        body_out(e, OP(e, OP_CONCAT, "cat", xe, xe));
    } else {
        body_out(e, OP(e, OP_NEG, "n", capture(e, "x")));
    }
    control(OP_IF, t, e, 1, &c, "y", NULL);
}

static void
test_if(void)
{
    for (int taken = 0; taken < 2; taken++) {
        fresh();
        if_graph(scalar(g, "c", DT_BOOL, taken), 0);
        CHECK(lowered("y", 2, D23));
        CHECK(count(OP_RELU) == taken && count(OP_NEG) == !taken && count(OP_WHERE) == 0);
    }
    /* a [1] condition known at run time: both branches, the condition made a scalar, a Where */
    fresh();
    if_graph(val(g, "c", DT_BOOL, 1, (int64_t[]){1}, V_INPUT), 0);
    CHECK(lowered("y", 2, D23));
    CHECK(count(OP_RELU) == 1 && count(OP_NEG) == 1 && count(OP_RESHAPE) == 1);
    ValId y = ir_val_find(g, "y");
    CHECK(g->node[g->val[y].def].op == OP_WHERE);
    /* branches of different shapes with a run-time condition */
    fresh();
    if_graph(val(g, "c", DT_BOOL, 0, NULL, V_INPUT), 1);
    CHECK(refused("static shape in both branches"));
    /* with a constant condition they may differ */
    fresh();
    if_graph(scalar(g, "c", DT_BOOL, 0), 1);
    CHECK(lowered("y", 2, (int64_t[]){4, 3}));
}

/* Loop(M, cond, v0 = x): v = v + x, scanned; the body's condition Identity(cond_in), or
 * i < stop, or g's run-time bool "go" */
enum { COND_SAME, COND_STOP, COND_RUNTIME };
static void
loop_graph(ValId m, int cond)
{
    ValId x = val(g, "x", DT_F32, 2, D23, V_INPUT);
    Graph *b = body();
    ValId i = val(b, "i", DT_I64, 0, NULL, V_INPUT);
    ValId cin = val(b, "cin", DT_BOOL, 0, NULL, V_INPUT);
    ValId vin = val(b, "vin", DT_F32, -1, NULL, V_INPUT);
    if (cond == COND_SAME)
        body_out(b, OP(b, OP_IDENTITY, "cout", cin));
    else if (cond == COND_STOP)
        body_out(b, OP(b, OP_LESS, "cout", i, scalar(b, "stop", DT_I64, 2)));
    else
        body_out(b, capture(b, "go"));
    ValId vout = OP(b, OP_ADD, "vout", vin, capture(b, "x"));
    body_out(b, vout);
    body_out(b, OP(b, OP_IDENTITY, "scan", vout));
    control(OP_LOOP, b, NULL, 3, (ValId[]){m, NONE, x}, "v", "all");
}

static void
test_loop(void)
{
    fresh();
    loop_graph(scalar(g, "M", DT_I64, 3), COND_SAME);
    CHECK(lowered("all", 3, (int64_t[]){3, 2, 3}));
    CHECK(count(OP_ADD) == 3 && count(OP_UNSQUEEZE) == 3 && count(OP_CONCAT) == 1);
    ValId v = ir_val_find(g, "v");
    CHECK(v != NONE && g->val[v].rank == 2 && g->val[v].dim[1] == 3);
    /* the body ends it after i = 2, before M */
    fresh();
    loop_graph(scalar(g, "M", DT_I64, 10), COND_STOP);
    CHECK(lowered("all", 3, (int64_t[]){3, 2, 3}));
    CHECK(count(OP_ADD) == 3);
    /* a trip count known at run time only: refused when compiling, left by inspect */
    fresh();
    loop_graph(val(g, "M", DT_I64, 0, NULL, V_INPUT), COND_SAME);
    CHECK(refused("dynamic shape"));
    fresh();
    loop_graph(val(g, "M", DT_I64, 0, NULL, V_INPUT), COND_SAME);
    CHECK(ir_infer(g, &d) == 0 && pass_control(g, 0, &d) == 0 && count(OP_LOOP) == 1);
    CHECK(g->val[ir_val_find(g, "all")].rank == -1 && ir_verify(g, &d) == 0);
    /* too many iterations */
    fresh();
    loop_graph(scalar(g, "M", DT_I64, 100000), COND_SAME);
    CHECK(refused("unrolling 100000 iterations"));
    /* a condition the body computes from run-time data; inspect leaves no copy behind */
    fresh();
    val(g, "go", DT_BOOL, 0, NULL, V_INPUT);
    loop_graph(scalar(g, "M", DT_I64, 4), COND_RUNTIME);
    CHECK(refused("data-dependent exit"));
    fresh();
    val(g, "go", DT_BOOL, 0, NULL, V_INPUT);
    loop_graph(scalar(g, "M", DT_I64, 4), COND_RUNTIME);
    CHECK(ir_infer(g, &d) == 0 && pass_control(g, 0, &d) == 0 && count(OP_LOOP) == 1 &&
          g->nnode == 1 && ir_verify(g, &d) == 0);
}

/* Scan(s0, a): s = s + a[t] over a's rows read backwards; each s stacked along axis 0 */
static void
scan_graph(int64_t rows)
{
    val(g, "s0", DT_F32, 1, (int64_t[]){4}, V_INPUT);
    val(g, "a", DT_F32, 2, (int64_t[]){rows, 4}, V_INPUT);
    Graph *b = body();
    ValId sin = val(b, "sin", DT_F32, 1, (int64_t[]){4}, V_INPUT);
    ValId at = val(b, "at", DT_F32, 1, (int64_t[]){4}, V_INPUT);
    ValId sout = OP(b, OP_ADD, "sout", sin, at);
    body_out(b, sout);
    body_out(b, OP(b, OP_IDENTITY, "o", sout));
    NodeId n = control(OP_SCAN, b, NULL, 2, (ValId[]){ir_val_find(g, "s0"), ir_val_find(g, "a")},
                       "s", "all");
    BodyAttr *ba = &g->node[n].attr->body;
    ba->num_scan_inputs = 1;
    int64_t *dir = ir_galloc(g, sizeof *dir);
    *dir = 1;
    ba->scan_input_directions = (Ints){1, dir};
}

static void
test_scan(void)
{
    fresh();
    g->opset = 11;
    scan_graph(5);
    CHECK(lowered("all", 2, (int64_t[]){5, 4}));
    CHECK(count(OP_GATHER) == 5 && count(OP_ADD) == 5 && count(OP_CONCAT) == 1);
    /* the first step reads the last row */
    ValId s0 = ir_val_find(g, "s0");
    int first = -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_ADD && x->in[0] == s0)
            first = (int)ir_const_i(&g->val[g->node[g->val[x->in[1]].def].in[1]], 0);
    }
    CHECK(first == 4);
    fresh();
    g->opset = 11;
    scan_graph(-1);
    CHECK(refused("dynamic shape"));
    /* opset 8: sequence_lens (absent) first, a batch of 2 rows of 3 steps each */
    fresh();
    s0 = val(g, "s0", DT_F32, 2, (int64_t[]){2, 4}, V_INPUT);
    ValId a = val(g, "a", DT_F32, 3, (int64_t[]){2, 3, 4}, V_INPUT);
    Graph *b = body();
    ValId sout = OP(b, OP_ADD, "sout", val(b, "sin", DT_F32, 1, (int64_t[]){4}, V_INPUT),
                    val(b, "at", DT_F32, 1, (int64_t[]){4}, V_INPUT));
    body_out(b, sout);
    body_out(b, OP(b, OP_IDENTITY, "o", sout));
    NodeId n = control(OP_SCAN, b, NULL, 3, (ValId[]){NONE, s0, a}, "s", "all");
    g->node[n].attr->body.num_scan_inputs = 1;
    g->node[n].attr->body.batched = 1;
    CHECK(lowered("all", 3, (int64_t[]){2, 3, 4}));
    CHECK(count(OP_ADD) == 6 && count(OP_GATHER) == 2 * 2 + 2 * 3);
    ValId s = ir_val_find(g, "s");
    CHECK(s != NONE && g->val[s].rank == 2 && g->val[s].dim[0] == 2 && g->val[s].dim[1] == 4);
}

int
main(void)
{
    test_if();
    test_loop();
    test_scan();
    ir_graph_free(g);
    return TEST_DONE();
}
