/*
 * test_greedy.c: --strategy greedy (passes/greedy.c) on graphs built by hand and targets of
 * simulated processors read from descriptions with explicit rates: two equal branches go to two
 * equal processors and the predicted makespan is about half a processor's; not so where the two
 * slow each other down (contention); a chain stays on one processor when crossing costs more
 * (a slow link: PC_TRANSFER) and moves to a faster one when crossing is free; a node only one
 * processor may run goes there (PC_ONLY); --place rules are honoured; a node none may run is
 * refused; each allocation failing in turn is out of memory. On 200 random DAGs with random
 * figures: every node placed where it may run, the order topological, and never predicted slower
 * (part_estimate) than the best one-processor placement.
 */
#include "ir/ir.h"
#include "passes/partition.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "graph_kit.h"

static Target t;

/* What the description says: np processors p0, p1, ..., each streaming elementwise steps at
 * gbps[p], in space s0 (the host's) or s1 (behind a link) */
typedef struct Spec {
    int np;
    double gbps[3];
    int space[3];
    double sync_us, handoff_gbps;
    double link_gbps, link_latency_us;
    double contention;          /* both ways between p0 and p1; 1: none */
    const char *supports[3];    /* ops p may run ("Relu,Add"), NULL: all */
} Spec;

static int
load(const Spec *s)
{
    char xml[8192];
    int k = snprintf(xml, sizeof xml, "<platform name=\"t\"><space id=\"s0\" host=\"1\"/>%s",
                     s->space[1] || s->space[2] ? "<space id=\"s1\"/>" : "");
    for (int p = 0; p < s->np; p++) {
        double r = s->gbps[p];
        k += snprintf(xml + k, sizeof xml - (size_t)k,
                      "<processor id=\"p%d\" kind=\"cpu\" backend=\"simulated\" cores=\"%d\" "
                      "space=\"s%d\" sync_us=\"%g\"", p, p, s->space[p], s->sync_us);
        if (s->handoff_gbps > 0)
            k += snprintf(xml + k, sizeof xml - (size_t)k, " handoff_gbps=\"%g\"",
                          s->handoff_gbps);
        k += snprintf(xml + k, sizeof xml - (size_t)k, ">");
        if (s->supports[p])
            k += snprintf(xml + k, sizeof xml - (size_t)k,
                          "<supports ops=\"%s\" dtypes=\"float32\"/>", s->supports[p]);
        k += snprintf(xml + k, sizeof xml - (size_t)k,
                      "<rate class=\"conv\" gflops=\"%g\" gbps=\"%g\"/>"
                      "<rate class=\"depthwise\" gflops=\"%g\" gbps=\"%g\"/>"
                      "<rate class=\"gemm\" gflops=\"%g\" gbps=\"%g\"/>"
                      "<rate class=\"eltwise\" gbps=\"%g\"/><rate class=\"reduce\" gbps=\"%g\"/>"
                      "<rate class=\"move\" gbps=\"%g\"/><rate class=\"copy\" gbps=\"%g\"/>",
                      10 * r, r, 10 * r, r, 10 * r, r, r, r, r, r);
        k += snprintf(xml + k, sizeof xml - (size_t)k, "</processor>");
    }
    if (s->space[1] || s->space[2])
        k += snprintf(xml + k, sizeof xml - (size_t)k,
                      "<link a=\"s0\" b=\"s1\" bandwidth_gbps=\"%g\" latency_us=\"%g\"/>",
                      s->link_gbps, s->link_latency_us);
    if (s->contention > 1)
        k += snprintf(xml + k, sizeof xml - (size_t)k,
                      "<contention a=\"p0\" b=\"p1\" factor=\"%g\"/>"
                      "<contention a=\"p1\" b=\"p0\" factor=\"%g\"/>",
                      s->contention, s->contention);
    snprintf(xml + k, sizeof xml - (size_t)k, "</platform>");
    Diag td;
    diag_init(&td, "t.xml");
    if (target_parse(&t, xml, strlen(xml), "t.xml", NULL, &td) < 0) {
        fprintf(stderr, "target: %s\n", td.msg);
        return -1;
    }
    return 0;
}

static int
greedy(const PlanOptions *o)
{
    if (ir_infer(g, &d) < 0 || place_greedy(g, &t, o, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return 0;
}

static const Node *
writer(ValId v)
{
    return &g->node[g->val[v].def];
}

/* The predicted makespan of the graph as placed now (Node.dev), or of all on processor p */
static double
estimate(int p)
{
    CostTable c;
    if (part_costs(g, &t, NULL, &c, &d) < 0)
        return -1;
    int *dev = malloc((size_t)g->nnode * sizeof(int) + 1);
    for (NodeId n = 0; n < g->nnode; n++)
        dev[n] = p < 0 ? g->node[n].dev : p;
    double ms = part_estimate(g, &t, &c, dev, NULL, NULL);
    free(dev);
    part_costs_free(&c);
    return ms;
}

/* x, then a chain of four steps on each of two branches, joined by an Add */
static ValId br[2][4];

static ValId
branches(void)
{
    static const OpKind op[] = {OP_RELU, OP_SIGMOID, OP_TANH, OP_RELU};
    fresh();
    ValId x = input("x", 16, 256);          /* 256 KB */
    char name[8];
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "%c%d", "ab"[b], i);
            br[b][i] = node(op[i], name, 1, (ValId[]){i ? br[b][i - 1] : x});
        }
    ValId j = NODE(OP_ADD, "j", br[0][3], br[1][3]);
    mark_output(j);
    return j;
}

static void
test_branches(void)
{
    Spec s = {.np = 2, .gbps = {10, 10}};
    CHECK(load(&s) == 0);
    branches();
    CHECK(ir_infer(g, &d) == 0);
    double one = estimate(0);
    CHECK(greedy(NULL) == 0);
    CHECK(ir_verify(g, &d) == 0);
    int a = writer(br[0][0])->dev, b = writer(br[1][0])->dev;
    CHECK(a != b && a >= 0 && b >= 0 && a < 2 && b < 2);
    for (int i = 1; i < 4; i++)
        CHECK(writer(br[0][i])->dev == a && writer(br[1][i])->dev == b);
    for (NodeId n = 0; n < g->nnode; n++)
        CHECK(g->node[n].cause == PC_EARLIEST);
    /* 4 steps of each side by side, then the join: 5 steps' time against 9 */
    double two = estimate(-1);
    CHECK(one > 0 && two > 0.5 * one && two < 0.6 * one);
    /* the lanes' steps interleave: the first two steps are one of each branch */
    CHECK(g->node[0].dev != g->node[1].dev);

    /* the two slow each other down 2.5 times: side by side is slower than one alone */
    s.contention = 2.5;
    CHECK(load(&s) == 0);
    branches();
    CHECK(greedy(NULL) == 0);
    for (NodeId n = 0; n < g->nnode; n++)
        CHECK(g->node[n].dev == g->node[0].dev);
    /* ... in the graph's own order */
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++)
            CHECK(g->val[br[k][i]].def == 4 * k + i);
}

static void
test_chain(void)
{
    /* p1 is 10% faster but behind a slow link: the chain stays with its input on p0 */
    Spec s = {.np = 2, .gbps = {10, 11}, .space = {0, 1}, .link_gbps = 0.5,
              .link_latency_us = 100};
    CHECK(load(&s) == 0);
    fresh();
    ValId v = input("x", 16, 256);
    ValId c0 = v = NODE(OP_RELU, "c0", v);
    v = NODE(OP_SIGMOID, "c1", v);
    v = NODE(OP_TANH, "c2", v);
    mark_output(v);
    CHECK(greedy(NULL) == 0);
    for (NodeId n = 0; n < g->nnode; n++)
        CHECK(g->node[n].dev == 0);
    CHECK(writer(c0)->cause == PC_TRANSFER);

    /* the same with p1 in the host's memory and nothing to pay for a crossing: all on p1 */
    s.space[1] = 0;
    CHECK(load(&s) == 0);
    fresh();
    v = input("x", 16, 256);
    v = NODE(OP_RELU, "c0", v);
    v = NODE(OP_SIGMOID, "c1", v);
    mark_output(v);
    CHECK(greedy(NULL) == 0);
    for (NodeId n = 0; n < g->nnode; n++)
        CHECK(g->node[n].dev == 1 && g->node[n].cause == PC_EARLIEST);

    /* one memory, but each wait across lanes costs 1 ms: p1's 10% does not pay for it */
    s.sync_us = 1000;
    CHECK(load(&s) == 0);
    fresh();
    v = input("x", 16, 256);
    ValId a = NODE(OP_RELU, "a", v);
    ValId b = NODE(OP_SIGMOID, "b", a);
    ValId c = NODE(OP_RELU, "c", b);
    mark_output(c);
    CHECK(greedy(NULL) == 0);
    CHECK(writer(a)->dev == writer(b)->dev && writer(b)->dev == writer(c)->dev);
}

static void
test_only_and_rules(void)
{
    /* p1 is twice as fast but runs no Sigmoid */
    Spec s = {.np = 2, .gbps = {10, 20}, .supports = {NULL, "Relu,Add,Tanh"}};
    CHECK(load(&s) == 0);
    fresh();
    ValId x = input("x", 16, 256);
    ValId a = NODE(OP_RELU, "a", x);
    ValId b = NODE(OP_SIGMOID, "b", a);
    mark_output(b);
    CHECK(greedy(NULL) == 0);
    CHECK(writer(b)->dev == 0 && writer(b)->cause == PC_ONLY);

    /* --place a=p0: the rule narrows what greedy may choose */
    s.supports[1] = NULL;
    CHECK(load(&s) == 0);
    branches();
    PlaceRule rule[] = {{"a0", "p0"}, {"Tanh", "p0"}};
    PlanOptions o = {.strategy = "greedy", .place = rule, .nplace = 2};
    CHECK(greedy(&o) == 0);
    CHECK(writer(br[0][0])->dev == 0 && writer(br[0][2])->dev == 0 &&
          writer(br[1][2])->dev == 0);
    for (NodeId n = 0; n < g->nnode; n++)
        CHECK(pass_can_place(g, &t, &o, n, g->node[n].dev));

    /* no processor may run a Sigmoid: refused, naming the node */
    s.supports[0] = "Relu";
    s.supports[1] = "Relu";
    CHECK(load(&s) == 0);
    fresh();
    x = input("x", 1, 8);
    mark_output(NODE(OP_SIGMOID, "sig", NODE(OP_RELU, "r", x)));
    CHECK(greedy(NULL) < 0);
    CHECK(strstr(d.msg, "\"sig\"") && strstr(d.msg, "can run Sigmoid on float32"));

    /* a rule to a processor that is not there leaves none */
    s.supports[0] = s.supports[1] = NULL;
    CHECK(load(&s) == 0);
    fresh();
    x = input("x", 1, 8);
    mark_output(NODE(OP_SIGMOID, "sig", x));
    PlaceRule bad[] = {{"sig", "gpu9"}};
    o = (PlanOptions){.strategy = "greedy", .place = bad, .nplace = 1};
    CHECK(greedy(&o) < 0 && strstr(d.msg, "--place leaves no processor"));
}

/* Every allocation of greedy failing in turn: out of memory (exit 3), never a crash or leak */
static void
test_out_of_memory(void)
{
    Spec s = {.np = 2, .gbps = {10, 10}, .contention = 1.5};
    CHECK(load(&s) == 0);
    int failed = 0, k;
    for (k = 1; k < 100; k++) {
        branches();
        CHECK(ir_infer(g, &d) == 0);
        ir_alloc_fail_after(k);
        int rc = place_greedy(g, &t, NULL, &d);
        ir_alloc_fail_after(0);
        if (rc == 0)
            break;
        failed++;
        CHECK(d.kind == DIAG_ENV);
    }
    CHECK(k < 100 && failed > 5);
}

static double
uniform(uint64_t *seed, double lo, double hi)
{
    return lo + (hi - lo) * kit_rand(seed, 1000) / 999.0;
}

/* Random DAGs on random two- and three-processor targets */
static void
test_random(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int spread = 0, faster = 0;
    for (int it = 0; it < 200; it++) {
        Spec s = {.np = 2 + kit_rand(&seed, 2)};
        for (int p = 0; p < s.np; p++) {
            s.gbps[p] = uniform(&seed, 1, 20);
            s.space[p] = p > 0 && kit_rand(&seed, 4) == 0;
        }
        s.sync_us = uniform(&seed, 0, 30);
        s.handoff_gbps = kit_rand(&seed, 2) ? uniform(&seed, 1, 10) : 0;
        s.link_gbps = uniform(&seed, 0.5, 20);
        s.link_latency_us = uniform(&seed, 0, 50);
        s.contention = kit_rand(&seed, 2) == 0 ? uniform(&seed, 1, 3) : 1;
        if (load(&s) < 0) {
            CHECK(0);
            continue;
        }
        kit_random_graph(&seed, 3 + kit_rand(&seed, 40), s.np);
        CHECK(ir_infer(g, &d) == 0);
        double best = INFINITY;
        for (int p = 0; p < s.np; p++) {
            double e = estimate(p);
            best = e < best ? e : best;
        }
        CHECK(greedy(NULL) == 0);
        CHECK(ir_verify(g, &d) == 0);
        int used = 0;
        for (NodeId n = 0; n < g->nnode; n++) {
            const Node *x = &g->node[n];
            CHECK(x->dev >= 0 && x->dev < s.np && pass_can_place(g, &t, NULL, n, x->dev));
            CHECK(x->cause == PC_EARLIEST || x->cause == PC_TRANSFER ||
                  x->cause == PC_STRATEGY);
            used |= 1 << x->dev;
        }
        double ms = estimate(-1);
        CHECK(ms > 0 && ms <= best + 1e-9);
        spread += __builtin_popcount((unsigned)used) > 1;
        faster += ms < 0.95 * best;
    }
    /* it does spread, and gains, on some of them */
    printf("random: %d of 200 spread over processors, %d at least 5%% faster\n", spread, faster);
    CHECK(spread > 20 && faster > 10);
}

int
main(void)
{
    test_branches();
    test_chain();
    test_only_and_rules();
    test_out_of_memory();
    test_random();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
