/*
 * test_split.c: --strategy split (passes/split.c) on graphs built by hand, over targets read from
 * descriptions whose rates make a division pay (or not): a Conv is divided between two
 * processors of one memory in the share that balances their rates, with its weights and bias
 * sliced; its parts' outputs are placed inside the joining Concat's output (no copy); Convs on
 * one weight tensor share its slices; a chain Conv -> depthwise Conv -> Relu keeps its slices to
 * the end and joins once; a Gemm of one row is divided along its columns with B (transposed) and
 * C sliced, but not before a Softmax; a MatMul of one row along N with no more than 256 shares
 * tried; a division that does not pay (a costly wait, or contention given one way only, taken
 * both ways), a target of one processor and one of two memories leave the graph as it was. Every
 * graph made passes the verifier, and the divided Conv's schedule and memory plan are made.
 */
#include "ir/ir.h"
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "graph_kit.h"

static Target t;

/* Two processors (of one memory, or b in a memory of its own behind a link): a runs Conv at 200
 * GFLOP/s, b at 100; a wait costs sync_us; a Concat moves 40 TB/s, as a profile measures the
 * joins that the memory plan does in place. */
#define OTHER_RATES                                                                                \
    "<rate class=\"eltwise\" gbps=\"100\"/><rate class=\"reduce\" gbps=\"100\"/>"                     \
    "<rate class=\"move\" gbps=\"40000\"/><rate class=\"copy\" gbps=\"100\"/>"
static const char *two_xml =
    "<platform name=\"t\"><space id=\"host\" host=\"1\"/>%s"
    "<processor id=\"a\" kind=\"cpu\" backend=\"simulated\" space=\"host\" sync_us=\"%s\">"
    "<rate class=\"conv\" gflops=\"200\"/><rate class=\"depthwise\" gflops=\"50\"/>"
    "<rate class=\"gemm\" gflops=\"200\"/>" OTHER_RATES "</processor>"
    "<processor id=\"b\" kind=\"gpu\" backend=\"simulated\" space=\"%s\" sync_us=\"%s\">"
    "<rate class=\"conv\" gflops=\"100\"/><rate class=\"depthwise\" gflops=\"50\"/>"
    "<rate class=\"gemm\" gflops=\"100\"/>" OTHER_RATES "</processor>"
    "%s</platform>";

/* two_memories: b in a memory of its own; else, with contention, b runs twice as slow while a is
 * busy (and nothing said the other way) */
static void
load_with(const char *sync_us, int two_memories, int contention)
{
    char xml[2048];
    snprintf(xml, sizeof xml, two_xml, two_memories ? "<space id=\"dev\"/>" : "", sync_us,
             two_memories ? "dev" : "host", sync_us,
             two_memories ? "<link a=\"host\" b=\"dev\" bandwidth_gbps=\"10\"/>"
             : contention ? "<contention a=\"b\" b=\"a\" factor=\"2\"/>"
                          : "");
    Diag td;
    diag_init(&td, "t.xml");
    if (target_parse(&t, xml, strlen(xml), "t.xml", NULL, &td) < 0) {
        fprintf(stderr, "target: %s\n", td.msg);
        exit(1);
    }
}

static void
load(const char *sync_us, int two_memories)
{
    load_with(sync_us, two_memories, 0);
}

/* A float32 constant of the given dims, element i = i * scale */
static ValId
constant(const char *name, int rank, const int64_t *dim, float scale)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    Value *x = &g->val[v];
    x->rank = rank;
    memcpy(x->dim, dim, (size_t)rank * sizeof *dim);
    x->flags = V_CONST | V_PARAM;
    int64_t n = ir_numel(x);
    float *f = ir_galloc(g, (size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        f[i] = (float)i * scale;
    g->val[v].data = f;
    return v;
}

/* x [1, c, 16, 16] */
static ValId
image(int64_t c)
{
    ValId x = input("x", 1, c);
    g->val[x].dim[2] = g->val[x].dim[3] = 16;
    return x;
}

/* A Conv of cout channels (kernel k, group) reading v of cin channels, with a bias */
static ValId
conv(const char *name, ValId v, int64_t cin, int64_t cout, int64_t k, int64_t group)
{
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s.w", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    ValId w = constant(wn, 4, (int64_t[]){cout, cin / group, k, k}, 0.001f);
    ValId b = constant(bn, 1, (int64_t[]){cout}, 1.0f);
    ValId y = NODE(OP_CONV, name, v, w, b);
    g->node[g->val[y].def].attr->conv.group = group;
    return y;
}

static NodeId
node_named(const char *name)
{
    for (NodeId n = 0; n < g->nnode; n++)
        if (strcmp(g->node[n].name, name) == 0)
            return n;
    return NONE;
}

static int
count_op(OpKind op)
{
    int k = 0;
    for (NodeId n = 0; n < g->nnode; n++)
        k += g->node[n].op == op;
    return k;
}

/* ir_infer, then the split strategy through pass_place, and the verifier: 0 or -1 */
static int
place(void)
{
    PlanOptions o = {.strategy = "split"};
    if (ir_infer(g, &d) < 0 || pass_place(g, &t, &o, &d) < 0 || ir_verify(g, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return 0;
}

/* x [1, 16, 16, 16] -> Conv "c" of 48 channels -> GlobalAveragePool, the graph's output */
static void
conv_graph(void)
{
    ValId x = image(16);
    ValId y = conv("c", x, 16, 48, 1, 1);
    mark_output(NODE(OP_GLOBALAVERAGEPOOL, "gap", y));
}

/* A Conv of 48 channels: a twice as fast as b, so a takes 32 of them; weights and bias sliced;
 * both parts' outputs lie inside the Concat's output */
static void
test_conv_balanced(void)
{
    fresh();
    load("0", 0);
    conv_graph();
    CHECK(place() == 0);
    NodeId a = node_named("c/split0"), b = node_named("c/split1"), j = node_named("c/join");
    CHECK(a != NONE && b != NONE && j != NONE && node_named("c") == NONE);
    if (a == NONE || b == NONE || j == NONE)
        return;
    const Node *na = &g->node[a], *nb = &g->node[b], *nj = &g->node[j];
    CHECK(na->dev == 0 && nb->dev == 1 && nj->dev == 0);
    CHECK(na->cause == PC_SPLIT && nb->cause == PC_SPLIT && nj->cause == PC_SPLIT);
    CHECK(g->node[node_named("gap")].cause == PC_STRATEGY && g->node[node_named("gap")].dev == 0);
    const Value *ya = &g->val[na->out[0]], *yb = &g->val[nb->out[0]];
    CHECK(ya->dim[1] == 32 && yb->dim[1] == 16 && ya->dim[2] == 16 && yb->dim[3] == 16);
    /* the weights: rows 0..31 and 32..47 of [48, 16, 1, 1]; the bias likewise */
    const Value *wa = &g->val[na->in[1]], *wb = &g->val[nb->in[1]];
    const Value *ba = &g->val[na->in[2]], *bb = &g->val[nb->in[2]];
    CHECK(wa->dim[0] == 32 && wb->dim[0] == 16 && wa->dim[1] == 16 && wb->rank == 4);
    CHECK(((const float *)wa->data)[31 * 16 + 15] == (float)(31 * 16 + 15) * 0.001f);
    CHECK(((const float *)wb->data)[0] == (float)(32 * 16) * 0.001f);
    CHECK(((const float *)wb->data)[15 * 16 + 15] == (float)(47 * 16 + 15) * 0.001f);
    CHECK(ba->dim[0] == 32 && bb->dim[0] == 16 && ((const float *)bb->data)[0] == 32.0f);
    CHECK((wa->flags & V_CONST) && (bb->flags & V_CONST));
    /* the join reads both parts and writes what the Conv wrote */
    CHECK(nj->op == OP_CONCAT && nj->attr->axis.axis == 1 && nj->in[0] == na->out[0] &&
          nj->in[1] == nb->out[0] && strcmp(g->val[nj->out[0]].name, "c") == 0);
    CHECK(a < j && b < j);
    /* copies (none), schedule and memory plan: the parts are written in place */
    Schedule s;
    MemPlan mp;
    if (pass_copies(g, &t, &d) < 0 || pass_schedule(g, &t, NULL, &s, &d) < 0 ||
        pass_memplan_placed(g, &t, &s, &mp, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        CHECK(0);
        return;
    }
    a = node_named("c/split0"), b = node_named("c/split1"), j = node_named("c/join");
    ValId va = g->node[a].out[0], vb = g->node[b].out[0], vj = g->node[j].out[0];
    CHECK(s.nlane == 2 && count_op(OP_COPY) == 0);
    CHECK(mp.offset[vj] >= 0 && mp.offset[va] == mp.offset[vj]);
    CHECK(mp.offset[vb] == mp.offset[vj] + 32 * 16 * 16 * 4);
    CHECK(mp.arena == 48 * 16 * 16 * 4);
}

/* Two Convs on one weight tensor, divided at one share: their parts share the slices too */
static void
test_shared_weights(void)
{
    fresh();
    load("0", 0);
    ValId x = image(48);
    ValId y = conv("c1", x, 48, 48, 1, 1);
    NodeId n1 = g->val[y].def;
    ValId z = NODE(OP_CONV, "c2", y, g->node[n1].in[1], g->node[n1].in[2]);
    mark_output(NODE(OP_GLOBALAVERAGEPOOL, "gap", z));
    CHECK(place() == 0);
    NodeId a1 = node_named("c1/split0"), a2 = node_named("c2/split0");
    NodeId b1 = node_named("c1/split1"), b2 = node_named("c2/split1");
    CHECK(a1 != NONE && a2 != NONE && b1 != NONE && b2 != NONE);
    if (a1 == NONE || a2 == NONE || b1 == NONE || b2 == NONE)
        return;
    CHECK(g->node[a1].in[1] == g->node[a2].in[1] && g->node[b1].in[1] == g->node[b2].in[1]);
    CHECK(g->node[a1].in[2] == g->node[a2].in[2] && g->node[a1].in[1] != g->node[b1].in[1]);
}

/* Conv -> depthwise Conv -> Relu: one division, the slices kept to the Relu, one join */
static void
test_chain(void)
{
    fresh();
    load("0", 0);
    ValId x = image(16);
    ValId y = conv("c", x, 16, 48, 1, 1);
    ValId z = conv("dw", y, 48, 48, 3, 48);
    ValId r = NODE(OP_RELU, "relu", z);
    mark_output(NODE(OP_GLOBALAVERAGEPOOL, "gap", r));
    CHECK(place() == 0);
    NodeId c0 = node_named("c/split0"), c1 = node_named("c/split1");
    NodeId d0 = node_named("dw/split0"), d1 = node_named("dw/split1");
    NodeId r0 = node_named("relu/split0"), r1 = node_named("relu/split1");
    NodeId j = node_named("relu/join");
    CHECK(c0 != NONE && c1 != NONE && d0 != NONE && d1 != NONE && r0 != NONE && r1 != NONE &&
          j != NONE);
    CHECK(count_op(OP_CONCAT) == 1 && node_named("c/join") == NONE);
    if (j == NONE || c0 == NONE || c1 == NONE || d0 == NONE || d1 == NONE || r0 == NONE ||
        r1 == NONE)
        return;
    CHECK(g->node[d0].in[0] == g->node[c0].out[0] && g->node[d1].in[0] == g->node[c1].out[0]);
    CHECK(g->node[r0].in[0] == g->node[d0].out[0] && g->node[r1].in[0] == g->node[d1].out[0]);
    CHECK(g->node[j].in[0] == g->node[r0].out[0] && g->node[j].in[1] == g->node[r1].out[0]);
    CHECK(g->node[c1].dev == 1 && g->node[d1].dev == 1 && g->node[r1].dev == 1);
    int64_t share = g->val[g->node[c0].out[0]].dim[1];
    CHECK(share % 8 == 0 && share > 0 && share < 48);
    CHECK(g->node[d0].attr->conv.group == share && g->node[d1].attr->conv.group == 48 - share);
    CHECK(g->val[g->node[d1].in[1]].dim[0] == 48 - share && g->val[g->node[d1].out[0]].dim[2] == 14);
    CHECK(g->val[g->node[r0].out[0]].dim[1] == share);
}

/* Gemm [1, 64] x B^T (B [256, 64]) + C [256], the graph's output: divided along its 256 columns.
 * Read by a Softmax, it is not divided (where logits tie, two processors' sums break the tie). */
static void
gemm_graph(int softmax)
{
    fresh();
    load("0", 0);
    ValId x = input("x", 1, 64);
    g->val[x].rank = 2;
    ValId b = constant("B", 2, (int64_t[]){256, 64}, 1.0f);
    ValId c = constant("C", 1, (int64_t[]){256}, 1.0f);
    ValId y = NODE(OP_GEMM, "fc", x, b, c);
    g->node[g->val[y].def].attr->gemm.trans_b = 1;
    mark_output(softmax ? NODE(OP_SOFTMAX, "sm", y) : y);
    CHECK(place() == 0);
}

static void
test_gemm(void)
{
    gemm_graph(1);
    CHECK(g->nnode == 2 && node_named("fc") != NONE && count_op(OP_CONCAT) == 0);
    gemm_graph(0);
    NodeId a = node_named("fc/split0"), p = node_named("fc/split1");
    CHECK(a != NONE && p != NONE && node_named("fc/join") != NONE);
    if (a == NONE || p == NONE)
        return;
    int64_t share = g->val[g->node[a].out[0]].dim[1];
    CHECK(share > 128 && share < 256 && share % 8 == 0);
    const Value *ba = &g->val[g->node[a].in[1]], *bp = &g->val[g->node[p].in[1]];
    const Value *cp = &g->val[g->node[p].in[2]];
    CHECK(ba->dim[0] == share && ba->dim[1] == 64 && bp->dim[0] == 256 - share);
    CHECK(((const float *)bp->data)[0] == (float)(share * 64));
    CHECK(cp->dim[0] == 256 - share && ((const float *)cp->data)[0] == (float)share);
    CHECK(g->val[g->node[p].out[0]].dim[0] == 1 && g->val[g->node[p].out[0]].dim[1] == 256 - share);
}

/* MatMul [1, 1, 64] x [64, 4096]: divided along N, the shares tried a multiple of 16 (at most 256
 * of them), the parts joined along the last axis */
static void
test_matmul(void)
{
    fresh();
    load("0", 0);
    ValId x = input("x", 1, 1);
    g->val[x].rank = 3;
    g->val[x].dim[2] = 64;
    ValId b = constant("B", 2, (int64_t[]){64, 4096}, 1.0f);
    mark_output(NODE(OP_TRANSPOSE, "t", NODE(OP_MATMUL, "mm", x, b)));
    CHECK(place() == 0);
    NodeId a = node_named("mm/split0"), p = node_named("mm/split1"), j = node_named("mm/join");
    CHECK(a != NONE && p != NONE && j != NONE);
    if (a == NONE || p == NONE || j == NONE)
        return;
    int64_t share = g->val[g->node[a].out[0]].dim[2];
    CHECK(share % 16 == 0 && share > 2048 && share < 4096);
    CHECK(g->node[j].attr->axis.axis == 2 && g->val[g->node[p].out[0]].dim[2] == 4096 - share);
    const Value *bp = &g->val[g->node[p].in[1]];
    CHECK(bp->dim[0] == 64 && bp->dim[1] == 4096 - share);
    CHECK(((const float *)bp->data)[0] == (float)share);
    CHECK(((const float *)bp->data)[4096 - share] == (float)(4096 + share));
}

/* Where a division does not pay (a wait costs 1 ms; b slowed twice by a, and so a by b, which
 * leaves the best division at 4/3 of a's time), on one processor, and across two memories: the
 * graph stays as it was, every node on home */
static void
test_untouched(void)
{
    for (int k = 0; k < 4; k++) {
        fresh();
        if (k == 0)
            load("1000", 0);
        else if (k == 1)
            load("0", 1);
        else if (k == 3)
            load_with("0", 0, 1);
        else
            kit_target(&t, 1, (int[]){0}), t.proc[0].backend = PB_SIMULATED,
                memset(t.proc[0].can, 0xff, sizeof t.proc[0].can);
        conv_graph();
        CHECK(place() == 0);
        CHECK(g->nnode == 2 && node_named("c") != NONE && count_op(OP_CONCAT) == 0);
        for (NodeId n = 0; n < g->nnode; n++)
            CHECK(g->node[n].dev == 0 && g->node[n].cause == PC_STRATEGY);
    }
}

int
main(void)
{
    test_conv_balanced();
    test_shared_weights();
    test_chain();
    test_gemm();
    test_matmul();
    test_untouched();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
