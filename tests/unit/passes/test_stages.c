/*
 * test_stages.c: --strategy pipeline (passes/stages.c). On random DAGs of up to 9 nodes over two
 * and three processors (one memory, or two joined by a copy link) with random step times, some
 * refused, the cut part_stages finds is a valid one (each processor one contiguous stage) whose
 * slowest stage, by the documented stage time, is the least over every cut enumerated by brute
 * force. A chain of equal steps on two equal processors is cut in half.
 * Through pass_place: nodes get PC_STAGE, a node only one processor runs splits the graph there,
 * --place rules are honoured, and a node no processor runs is named.
 */
#include "ir/ir.h"
#include "passes/partition.h"
#include "passes/passes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "graph_kit.h"

static Target t;

static void
all_can(void)
{
    static const OpKind ops[] = {OP_RELU, OP_SIGMOID, OP_TANH, OP_ADD, OP_CONCAT};
    for (int p = 0; p < t.nproc; p++)
        for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
            t.proc[p].can[ops[i]] = 1u << DT_F32;
}

/* np processors, the last in a memory of its own behind a link half of the time; random sync,
 * handoff and launch figures */
static void
stage_target(uint64_t *seed, int np)
{
    int space[TG_MAXPROC] = {0};
    if (kit_rand(seed, 2))
        space[np - 1] = 1;
    kit_target(&t, np, space);
    if (t.nspace > 1)
        kit_link(&t, 0, 1, 1 + kit_rand(seed, 10), kit_rand(seed, 20), 0);
    for (int p = 0; p < np; p++) {
        t.proc[p].sync_us = kit_rand(seed, 20);
        t.proc[p].handoff_gbps = kit_rand(seed, 3) == 0 ? 0 : 0.5 + kit_rand(seed, 8);
        t.proc[p].launch_us = kit_rand(seed, 10);
        t.proc[p].backend = p == 0 ? PB_CPU : PB_OPENCL;
    }
    all_can();
}

static double
us_of(const CostTable *c, NodeId n, int p)
{
    return c->us[(size_t)n * (size_t)c->nproc + (size_t)p];
}

/* The time in ms of the stage of nodes [from, to) on p, as stages.c documents it; -1 when a node
 * is refused there and not lenient (else it counts at the fastest processor that may run it) */
static double
stage_ms(const CostTable *c, int from, int to, int p, int lenient)
{
    double us = 0;
    int reads = 0;
    for (NodeId n = from; n < to; n++) {
        double w = us_of(c, n, p);
        if (w < 0 && lenient)
            for (int q = 0; q < c->nproc; q++)
                if (us_of(c, n, q) >= 0 && (w < 0 || us_of(c, n, q) < w))
                    w = us_of(c, n, q);
        if (w < 0)
            return -1;
        us += w;
        const Node *x = &g->node[n];
        for (int j = 0; j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE || (g->val[v].flags & V_CONST))
                continue;
            NodeId m = g->val[v].def;
            if (m == NONE) {
                us += part_read_us(g, &t, v, -1, p);
            } else if (m < from) {
                double most = 0;
                for (int q = 0; q < c->nproc; q++)
                    if (q != p && part_read_us(g, &t, v, q, p) > most)
                        most = part_read_us(g, &t, v, q, p);
                us += most;
                reads = 1;
            }
        }
        for (int i = 0; i < g->noutput; i++)
            if (g->val[g->output[i]].def == n && t.proc[p].space != 0)
                us += part_read_us(g, &t, g->output[i], p, 0);
    }
    return (us + (reads ? t.proc[p].sync_us : 0)) / 1e3;
}

/* The slowest stage and the sum of cut dev[] (-1: not a cut: a processor in two runs, or a
 * stage refused) */
static double
cut_ms(const CostTable *c, const int *dev, int lenient, double *sum)
{
    int n = g->nnode, seen = 0;
    double slow = 0;
    *sum = 0;
    for (int from = 0; from < n;) {
        int p = dev[from], to = from + 1;
        while (to < n && dev[to] == p)
            to++;
        if (seen & (1 << p))
            return -1;
        seen |= 1 << p;
        double ms = stage_ms(c, from, to, p, lenient);
        if (ms < 0)
            return -1;
        slow = ms > slow ? ms : slow;
        *sum += ms;
        from = to;
    }
    return slow;
}

/* The least slowest stage (then sum) over every cut, strict first: slow and sum */
static void
brute_force(const CostTable *c, double *slow, double *sum)
{
    for (int lenient = 0; lenient < 2; lenient++) {
        int dev[16] = {0}, n = g->nnode;
        *slow = -1;
        for (;;) {
            double s, ms = cut_ms(c, dev, lenient, &s);
            if (ms >= 0 && (*slow < 0 || ms < *slow - 1e-12 ||
                            (fabs(ms - *slow) <= 1e-12 && s < *sum))) {
                *slow = ms;
                *sum = s;
            }
            int k = 0;
            for (; k < n && ++dev[k] == c->nproc; k++)
                dev[k] = 0;
            if (k == n)
                break;
        }
        if (*slow >= 0)
            return;
    }
}

static int
random_costs(uint64_t *seed, CostTable *c)
{
    c->nnode = g->nnode;
    c->nproc = t.nproc;
    c->us = ir_alloc(((size_t)g->nnode * (size_t)t.nproc + 1) * sizeof(double));
    if (!c->us)
        return -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        int any = 0;
        for (int p = 0; p < t.nproc; p++) {
            double us = kit_rand(seed, 5) == 0 ? -1 : 1 + kit_rand(seed, 300);
            c->us[(size_t)n * (size_t)t.nproc + (size_t)p] = us;
            any |= us >= 0;
        }
        if (!any)
            c->us[(size_t)n * (size_t)t.nproc + (size_t)kit_rand(seed, t.nproc)] = 5;
    }
    return 0;
}

static void
test_brute_force(void)
{
    uint64_t seed = 31;
    int rounds = 0, agree = 0;
    for (int r = 0; r < 300; r++) {
        int np = 2 + kit_rand(&seed, 2), nn = 1 + kit_rand(&seed, np == 2 ? 9 : 7);
        kit_random_graph(&seed, nn, 1);
        stage_target(&seed, np);
        CostTable c;
        if (ir_infer(g, &d) < 0 || random_costs(&seed, &c) < 0) {
            CHECK(0);
            return;
        }
        int stage[16];
        double slow = -2, want = -1, want_sum = 0, sum = 0, got;
        CHECK(part_stages(g, &t, &c, stage, &slow) == 0);
        brute_force(&c, &want, &want_sum);
        /* the cut found is a cut, of the time reported and the least */
        got = cut_ms(&c, stage, 0, &sum);
        if (got < 0)
            got = cut_ms(&c, stage, 1, &sum);
        int ok = fabs(got - slow) <= 1e-9 && fabs(slow - want) <= 1e-9 && sum >= want_sum - 1e-9;
        if (!ok)
            fprintf(stderr, "round %d (%d nodes, %d processors): stages %.17g (cut %.17g, sum "
                    "%.17g), brute force %.17g (sum %.17g)\n", r, nn, np, slow, got, sum, want,
                    want_sum);
        rounds++;
        agree += ok;
        part_costs_free(&c);
    }
    CHECK(agree == rounds);
}

/* 8 equal steps on two equal processors, nothing to pay between: two stages of four */
static void
test_halves(void)
{
    char name[16];
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    all_can();
    ValId v = input("x", 1, 8);
    for (int k = 0; k < 8; k++) {
        snprintf(name, sizeof name, "c%d", k);
        v = NODE(OP_RELU, name, v);
    }
    mark_output(v);
    CHECK(ir_infer(g, &d) == 0);
    CostTable c = {.nnode = 8, .nproc = 2, .us = ir_alloc(16 * sizeof(double))};
    for (int k = 0; k < 16; k++)
        c.us[k] = 100;
    int stage[8];
    double slow = -1;
    CHECK(part_stages(g, &t, &c, stage, &slow) == 0 && fabs(slow - 0.4) < 1e-12);
    CHECK(stage[0] == stage[3] && stage[4] == stage[7] && stage[3] != stage[4]);
    /* the second processor three times as slow: it takes a quarter (2 steps of 300 against 6 of
     * 100) */
    for (int k = 0; k < 8; k++)
        c.us[2 * k + 1] = 300;
    CHECK(part_stages(g, &t, &c, stage, &slow) == 0 && fabs(slow - 0.6) < 1e-12);
    int on1 = 0;
    for (int k = 0; k < 8; k++)
        on1 += stage[k] == 1;
    CHECK(on1 == 2);
    part_costs_free(&c);
}

static int
place(const PlanOptions *o)
{
    diag_init(&d, "t.onnx");
    return pass_place(g, &t, o, &d);
}

/* a chain through pass_place: stages contiguous, causes, rules, refusals */
static void
test_place(void)
{
    char name[16];
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    t.proc[0].backend = PB_CPU, t.proc[1].backend = PB_OPENCL;
    all_can();
    t.proc[1].can[OP_SIGMOID] = 0;      /* only p0 runs the Sigmoids */
    ValId v = input("x", 1, 8);
    for (int k = 0; k < 10; k++) {
        snprintf(name, sizeof name, "c%d", k);
        v = k == 1 ? NODE(OP_SIGMOID, name, v) : NODE(OP_RELU, name, v);
    }
    mark_output(v);
    CHECK(ir_infer(g, &d) == 0);
    PlanOptions o = {.strategy = "pipeline"};
    CHECK(place(&o) == 0);
    int changes = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        CHECK(g->node[n].cause == PC_STAGE);
        changes += n > 0 && g->node[n].dev != g->node[n - 1].dev;
    }
    CHECK(changes <= 1);
    CHECK(g->node[1].dev == 0);
    /* a rule: the last Relu on p0; the Sigmoid stays there too, so one stage on p0 holds both
     * and all between (the first node alone may go to p1) */
    PlaceRule rule = {.sel = "c9", .proc = "p0"};
    o.place = &rule, o.nplace = 1;
    CHECK(place(&o) == 0);
    for (NodeId n = 1; n < g->nnode; n++)
        CHECK(g->node[n].dev == 0);
    CHECK(g->node[9].cause == PC_FORCED);
    /* a Sigmoid in the middle that only p0 runs, a Tanh at the end that only p1 runs, and the
     * second Relu only p1 runs: no cut of two stages holds all, so one node moves (PC_ONLY) */
    fresh();
    all_can();
    t.proc[1].can[OP_SIGMOID] = 0;
    t.proc[0].can[OP_TANH] = 0;
    v = input("x", 1, 8);
    v = NODE(OP_TANH, "a", v);
    v = NODE(OP_SIGMOID, "b", v);
    v = NODE(OP_TANH, "c", v);
    v = NODE(OP_SIGMOID, "e", v);
    mark_output(v);
    CHECK(ir_infer(g, &d) == 0);
    o.place = NULL, o.nplace = 0;
    CHECK(place(&o) == 0);
    int only = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        only += g->node[n].cause == PC_ONLY;
        CHECK(g->node[n].dev == (g->node[n].op == OP_TANH ? 1 : 0));
    }
    CHECK(only >= 1);
    /* a node no processor runs is named */
    t.proc[0].can[OP_SIGMOID] = 0;
    CHECK(place(&o) == -1 && diag_status(&d) == 2 && strstr(d.msg, "no processor") &&
          strstr(d.msg, "Sigmoid"));
}

int
main(void)
{
    test_brute_force();
    test_halves();
    test_place();
    ir_graph_free(g);
    return TEST_DONE();
}
