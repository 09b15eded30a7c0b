/*
 * test_optimal.c: --strategy optimal (passes/optimal.c). On random DAGs of up to 12 nodes over two
 * and three processors (one memory, or two joined by a copy link), with random step times, some
 * processors refused, random sync and handoff figures, the search's makespan is exactly the least
 * part_estimate of every placement enumerated by brute force, and its placement has that value
 * (440 graphs, the last 40 of 13 to 16 nodes).
 * Long chains (where dynamic programming gives the optimum) are solved within the budget. Through
 * pass_place: a node only one processor runs goes there (PC_ONLY), the others get PC_OPTIMAL,
 * --place rules are honoured, a graph above the size limit and a search over its budget are
 * refused as bad input, and a node no processor runs is named. Allocation failures: out of
 * memory, or (the memo's) the same result; on 30 larger graphs the search without the memo of
 * states seen agrees with the search with it.
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

/* the ops the random graphs and chains use, runnable on every processor of t */
static void
all_can(void)
{
    static const OpKind ops[] = {OP_RELU, OP_SIGMOID, OP_TANH, OP_ADD, OP_CONCAT};
    for (int p = 0; p < t.nproc; p++)
        for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
            t.proc[p].can[ops[i]] = 1u << DT_F32;
}

/* A chain of n steps over two processors of one memory (p0 a CPU, p1 OpenCL) that run them all:
 * the first nsig Sigmoids, then Relus, shapes inferred */
static void
chain_graph(int n, int nsig)
{
    char name[16];
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    t.proc[0].backend = PB_CPU, t.proc[1].backend = PB_OPENCL;
    all_can();
    ValId v = input("x", 1, 8);
    for (int k = 0; k < n; k++) {
        snprintf(name, sizeof name, "c%d", k);
        v = NODE(k < nsig ? OP_SIGMOID : OP_RELU, name, v);
    }
    mark_output(v);
    CHECK(ir_infer(g, &d) == 0);
}

/* A random target of np processors: one memory, or the last ones in a second memory behind a
 * copy link; random sync, handoff and launch figures */
static void
random_target(uint64_t *seed, int np)
{
    int space[TG_MAXPROC] = {0}, two = kit_rand(seed, 2);
    for (int p = 1; p < np; p++)
        space[p] = two && p >= np - 1 - kit_rand(seed, np - 1) ? 1 : 0;
    kit_target(&t, np, space);
    if (t.nspace > 1)
        kit_link(&t, 0, 1, 1 + kit_rand(seed, 20), kit_rand(seed, 30), 0);
    for (int p = 0; p < np; p++) {
        t.proc[p].sync_us = kit_rand(seed, 25);
        t.proc[p].handoff_gbps = kit_rand(seed, 3) == 0 ? 0 : 0.5 + kit_rand(seed, 10);
        t.proc[p].launch_us = kit_rand(seed, 10);
        t.proc[p].backend = p == 0 ? PB_CPU : PB_OPENCL;
    }
    all_can();
}

/* A random cost table for g on t: 1 to 500 us, about one in six refused, at least one allowed */
static int
random_costs(uint64_t *seed, CostTable *c)
{
    c->nnode = g->nnode;
    c->nproc = t.nproc;
    c->us = ir_alloc(((size_t)g->nnode * (size_t)t.nproc + 1) * sizeof(double));
    if (!c->us)
        return -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        double *row = &c->us[(size_t)n * (size_t)t.nproc];
        int any = 0;
        for (int p = 0; p < t.nproc; p++) {
            row[p] = kit_rand(seed, 6) == 0 ? -1
                                            : 1 + kit_rand(seed, 500) + kit_rand(seed, 4) / 4.0;
            any |= row[p] >= 0;
        }
        if (!any)
            row[kit_rand(seed, t.nproc)] = 7;
    }
    return 0;
}

/* A random graph of nn nodes, a random target of np processors and a random cost table c; -1
 * out of memory */
static int
random_instance(uint64_t *seed, int nn, int np, CostTable *c)
{
    kit_random_graph(seed, nn, 1);
    random_target(seed, np);
    return ir_infer(g, &d) < 0 ? -1 : random_costs(seed, c);
}

/* The least part_estimate over every placement c allows, enumerated */
static double
brute_force(const CostTable *c)
{
    int dev[16], n = g->nnode;
    double best = INFINITY, end[16];
    for (int k = 0; k < n; k++) {
        dev[k] = 0;
        while (c->us[k * c->nproc + dev[k]] < 0)
            dev[k]++;
    }
    for (;;) {
        double ms = part_estimate(g, &t, c, dev, NULL, end);
        if (ms < best)
            best = ms;
        int k = 0;
        for (; k < n; k++) {   /* the next placement, a mixed-radix counter */
            do
                dev[k]++;
            while (dev[k] < c->nproc && c->us[k * c->nproc + dev[k]] < 0);
            if (dev[k] < c->nproc)
                break;
            dev[k] = 0;
            while (c->us[k * c->nproc + dev[k]] < 0)
                dev[k]++;
        }
        if (k == n)
            return best;
    }
}

static void
test_brute_force(void)
{
    uint64_t seed = 12;
    int rounds = 0, agree = 0;
    for (int r = 0; r < 440; r++) {
        int np = r < 400 ? 2 + kit_rand(&seed, 2) : 2;     /* the last 40: 13 to 16 nodes */
        int nn = r < 400 ? 1 + kit_rand(&seed, np == 2 ? 12 : 8) : 13 + kit_rand(&seed, 4);
        CostTable c;
        if (random_instance(&seed, nn, np, &c) < 0) {
            CHECK(0);
            return;
        }
        int dev[16];
        double ms = -1, end[16];
        long expanded = 0;
        int rc = part_optimal(g, &t, &c, 100000000, dev, &ms, &expanded);
        double want = brute_force(&c);
        int ok = rc == 0 && ms == want && part_estimate(g, &t, &c, dev, NULL, end) == ms;
        for (int k = 0; k < nn; k++)
            ok &= dev[k] >= 0 && dev[k] < np && c.us[k * np + dev[k]] >= 0;
        if (!ok)
            fprintf(stderr, "round %d (%d nodes, %d processors): optimal %.17g (rc %d), brute "
                    "force %.17g\n", r, nn, np, ms, rc, want);
        rounds++;
        agree += ok;
        part_costs_free(&c);
    }
    CHECK(agree == rounds);
}

/* A chain of n unary steps on two processors of one memory, each cheaper on one of them and a
 * handoff between: the search ends within the budget at dynamic programming's optimum */
static void
test_chain(int n, int nodes_max)
{
    uint64_t seed = (uint64_t)n * 77 + 1;
    chain_graph(n, 0);
    t.proc[0].sync_us = t.proc[1].sync_us = 8;
    CostTable c = {.nnode = n, .nproc = 2, .us = ir_alloc((size_t)(2 * n) * sizeof(double))};
    for (int k = 0; k < 2 * n; k++)
        c.us[k] = 10 + kit_rand(&seed, 40);
    /* dp[p]: the least end of the chain so far with its last step on p */
    double dp[2] = {c.us[0] / 1e3, c.us[1] / 1e3};
    for (int k = 1; k < n; k++) {
        double next[2];
        for (int p = 0; p < 2; p++) {
            double stay = dp[p] + c.us[2 * k + p] / 1e3;
            double move = dp[1 - p] + t.proc[p].sync_us / 1e3 +
                          (c.us[2 * k + p] + part_read_us(g, &t, g->node[k].in[0], 1 - p, p)) / 1e3;
            next[p] = stay < move ? stay : move;
        }
        dp[0] = next[0], dp[1] = next[1];
    }
    double want = dp[0] < dp[1] ? dp[0] : dp[1], ms = -1;
    int *dev = ir_alloc((size_t)n * sizeof *dev);
    long expanded = 0;
    CHECK(part_optimal(g, &t, &c, 100000000, dev, &ms, &expanded) == 0);
    CHECK(fabs(ms - want) <= 1e-9 * want);
    CHECK(expanded <= nodes_max);
    if (fabs(ms - want) > 1e-9 * want || expanded > nodes_max)
        fprintf(stderr, "chain of %d: %.17g, dynamic programming %.17g, %ld expanded\n", n, ms,
                want, expanded);
    ir_free(dev);
    part_costs_free(&c);
}

/* A diamond of Relu x -> a, b -> Add: through pass_place with strategy optimal */
static int
place(const PlanOptions *o)
{
    diag_init(&d, "t.onnx");
    return pass_place(g, &t, o, &d);
}

static void
test_place(void)
{
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    t.proc[0].backend = PB_CPU, t.proc[1].backend = PB_OPENCL;
    all_can();
    t.proc[1].can[OP_SIGMOID] = 0;      /* only p0 runs the Sigmoid */
    ValId x = input("x", 1, 8);
    ValId a = NODE(OP_RELU, "a", x);
    ValId b = NODE(OP_SIGMOID, "b", x);
    ValId e = NODE(OP_ADD, "e", a, b);
    mark_output(e);
    CHECK(ir_infer(g, &d) == 0);
    PlanOptions o = {.strategy = "optimal"};
    CHECK(place(&o) == 0);
    NodeId na = g->val[a].def, nb = g->val[b].def, ne = g->val[e].def;
    CHECK(g->node[nb].dev == 0 && g->node[nb].cause == PC_ONLY);
    CHECK(g->node[na].cause == PC_OPTIMAL && g->node[ne].cause == PC_OPTIMAL);
    /* the rule holds whatever it costs: Relu forced onto p1, the others chosen around it */
    PlaceRule rule = {.sel = "Relu", .proc = "p1"};
    o.place = &rule, o.nplace = 1;
    CHECK(place(&o) == 0);
    CHECK(g->node[na].dev == 1 && g->node[na].cause == PC_FORCED);
    CHECK(g->node[ne].cause == PC_OPTIMAL && g->node[nb].dev == 0);
    /* a rule that sends the Sigmoid where it cannot run: pass_place names the rule */
    rule = (PlaceRule){.sel = "Sigmoid", .proc = "p1"};
    CHECK(place(&o) == -1 && diag_status(&d) == 2 && strstr(d.msg, "--place Sigmoid=p1"));
    /* a node no processor runs is named */
    t.proc[0].can[OP_SIGMOID] = 0;
    o.place = NULL, o.nplace = 0;
    CHECK(place(&o) == -1 && strstr(d.msg, "no processor") && strstr(d.msg, "Sigmoid"));
}

/* Above the size limit, and over the budget: refused as bad input, one line */
static void
test_refusals(void)
{
    CHECK(optimal_max_steps(2) == 256 && optimal_max_steps(3) == 161 &&
          optimal_max_steps(5) == 110 && optimal_max_steps(1) > 100000);
    /* a chain of 600 steps: 10 Sigmoids, then Relus */
    chain_graph(600, 10);
    PlanOptions o = {.strategy = "optimal"};
    CHECK(place(&o) == -1 && diag_status(&d) == 2);
    CHECK(strstr(d.msg, "strategy optimal: 600 steps, 600 of them with a choice") &&
          strstr(d.msg, "use greedy or auto") && !strchr(d.msg, '\n'));
    /* 10 with a choice, but more than 512 steps */
    t.proc[1].can[OP_RELU] = 0;
    CHECK(place(&o) == -1 && strstr(d.msg, "600 steps, 10 of them with a choice"));
    /* none with a choice: nothing to search, whatever the size */
    t.proc[1].can[OP_SIGMOID] = 0;
    CHECK(place(&o) == 0 && g->node[0].dev == 0 && g->node[0].cause == PC_ONLY &&
          g->node[599].dev == 0);
    /* a search over its budget says so (part_optimal: 1, the best found so far in dev) */
    uint64_t seed = 5;
    CostTable c;
    CHECK(random_instance(&seed, 14, 3, &c) == 0);
    int dev[16];
    double ms = -1;
    long expanded = 0;
    CHECK(part_optimal(g, &t, &c, 3, dev, &ms, &expanded) == 1 && ms > 0 && expanded == 1);
    part_costs_free(&c);
}

/* A chain of 20,000 steps each of which one processor alone may run: the one placement, at once
 * (no search: its depth would be the chain's); a step none may run: -1 */
static void
test_no_choice(void)
{
    enum { N = 20000 };
    chain_graph(N, 0);
    CostTable c = {.nnode = N, .nproc = 2, .us = ir_alloc(2 * N * sizeof(double))};
    int *dev = ir_alloc(N * sizeof *dev);
    for (int k = 0; k < N; k++)
        c.us[2 * k + k % 2] = 10, c.us[2 * k + 1 - k % 2] = -1;
    double ms = -1;
    long expanded = -1;
    CHECK(part_optimal(g, &t, &c, 1000, dev, &ms, &expanded) == 0 && expanded == 0);
    CHECK(dev[0] == 0 && dev[1] == 1 && dev[N - 1] == 1 &&
          ms == part_estimate(g, &t, &c, dev, NULL, NULL) && fabs(ms - N * 0.01) < 1e-6);
    c.us[2 * 5 + 1] = -1, c.us[2 * 5] = -1;
    CHECK(part_optimal(g, &t, &c, 1000, dev, &ms, NULL) == -1);
    ir_free(dev);
    part_costs_free(&c);
}

/* The nth allocation failing, for every n: out of memory (-1) or, where only the memo's failed,
 * the same least makespan; nothing leaks (the sanitizer build) */
static void
test_out_of_memory(void)
{
    uint64_t seed = 31;
    CostTable c;
    CHECK(random_instance(&seed, 12, 2, &c) == 0);
    int dev[16], failed = 0, same = 0, n = 1;
    double want = -1, ms;
    CHECK(part_optimal(g, &t, &c, 1000000, dev, &want, NULL) == 0);
    for (;; n++) {
        ir_alloc_fail_after(n);
        int rc = part_optimal(g, &t, &c, 1000000, dev, &ms, NULL);
        ir_alloc_fail_after(0);
        failed += rc == -1;
        same += rc == 0 && ms == want;
        if (rc == 0 && n > 20)
            break;
    }
    CHECK(failed >= 10 && failed + same == n);
    part_costs_free(&c);
}

/* The remembered states cut only what cannot win: on larger random graphs (28 to 40 nodes over
 * two processors, 16 to 20 over three) the search gives the same makespan with them as without
 * (the memo's allocation failed: the first allocation whose failure still gives a result) */
static void
test_memo_agrees(void)
{
    uint64_t seed = 77;
    int rounds = 0, agree = 0;
    for (int r = 0; r < 30; r++) {
        int np = 2 + kit_rand(&seed, 2);
        int nn = np == 2 ? 28 + kit_rand(&seed, 13) : 16 + kit_rand(&seed, 5);
        CostTable c;
        if (random_instance(&seed, nn, np, &c) < 0) {
            CHECK(0);
            return;
        }
        int dev[64], rc = -1;
        double with = -1, without = -1, end[64];
        long states = 0, plain = 0;
        CHECK(part_optimal(g, &t, &c, 100000000, dev, &with, &states) == 0);
        for (int n = 1; rc < 0 && n < 100; n++) {
            ir_alloc_fail_after(n);
            rc = part_optimal(g, &t, &c, 100000000, dev, &without, &plain);
            ir_alloc_fail_after(0);
        }
        int ok = rc == 0 && with == without && part_estimate(g, &t, &c, dev, NULL, end) == with;
        if (!ok)
            fprintf(stderr, "memo round %d (%d nodes, %d processors): %.17g in %ld states, "
                    "without the memo %.17g in %ld (rc %d)\n", r, nn, np, with, states, without,
                    plain, rc);
        rounds++;
        agree += ok;
        part_costs_free(&c);
    }
    CHECK(agree == rounds);
}

int
main(void)
{
    test_brute_force();
    test_chain(20, 200);
    test_chain(40, 2000);
    test_place();
    test_refusals();
    test_out_of_memory();
    test_memo_agrees();
    test_no_choice();
    ir_graph_free(g);
    return TEST_DONE();
}
