/*
 * test_schedule.c: pass_schedule on placed graphs built by hand, with two or three processors of
 * a target filled in by hand: lanes in order of first step, positions, only the waits that are
 * needed (the latest per lane, none that the lane predecessor or another wait implies), signals,
 * vector clocks, pass_before on diamonds and chains across lanes, and the predicted times (the
 * cost model's per step, copies over their link, lanes simulated side by side, each step's time
 * alone and its source; test_cost checks the formula itself and contention). Random DAGs placed at
 * random check the clocks against happens-before computed by brute force from the waits alone,
 * that every read of another lane's tensor is ordered after its writer, and that no wait is
 * redundant. Nodes without a processor are refused.
 */
#include "ir/ir.h"
#include "passes/cost.h"
#include "passes/passes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "graph_kit.h"

static Target t;
static Schedule s;

static int
run(void)
{
    if (ir_infer(g, &d) < 0 || pass_schedule(g, &t, NULL, &s, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return 0;
}

static NodeId
def(ValId v)
{
    return g->val[v].def;
}

/* 1 when the writer of a happens before the writer of b */
static int
hb(ValId a, ValId b)
{
    return pass_before(&s, def(a), def(b));
}

/* 1 when node n's waits are exactly the (lane, count) pairs w[0 .. 2 nw) in lane order */
static int
waits_are(NodeId n, int nw, const int *w)
{
    if (s.wat[n + 1] - s.wat[n] != nw)
        return 0;
    for (int k = 0; k < 2 * nw; k++)
        if (s.wait[2 * s.wat[n] + k] != w[k])
            return 0;
    return 1;
}

/* 1 when node n's clock is c[0 .. nlane) */
static int
clock_is(NodeId n, const int *c)
{
    return memcmp(&s.clock[(size_t)n * (size_t)s.nlane], c, (size_t)s.nlane * sizeof *c) == 0;
}

/* Three lanes, in order of first step (processor 1 first), and the waits between them:
 *   n0 a = Relu(x)    p1  lane 0 pos 0
 *   n1 b = Sigmoid(x) p0  lane 1 pos 0
 *   n2 c = a + b      p1  lane 0 pos 1   waits (1, 1)
 *   n3 e = Relu(c)    p2  lane 2 pos 0   waits (0, 2)
 *   n4 f = e + b      p0  lane 1 pos 1   waits (2, 1)
 *   n5 h = f + a      p2  lane 2 pos 1   waits (1, 2); a (0, 1) is implied by n3's wait */
static void
test_lanes(void)
{
    fresh();
    kit_target(&t, 3, (int[]){0, 0, 0});
    ValId x = input("x", 1, 8);
    ValId a = on(1, NODE(OP_RELU, "a", x));
    ValId b = on(0, NODE(OP_SIGMOID, "b", x));
    ValId c = on(1, NODE(OP_ADD, "c", a, b));
    ValId e = on(2, NODE(OP_RELU, "e", c));
    ValId f = on(0, NODE(OP_ADD, "f", e, b));
    ValId h = on(2, NODE(OP_ADD, "h", f, a));
    mark_output(h);
    CHECK(run() == 0);
    CHECK(s.nlane == 3 && s.lane_proc[0] == 1 && s.lane_proc[1] == 0 && s.lane_proc[2] == 2);
    CHECK(s.nstep[0] == 2 && s.nstep[1] == 2 && s.nstep[2] == 2);
    static const int lane[] = {0, 1, 0, 2, 1, 2}, pos[] = {0, 0, 1, 0, 1, 1};
    for (NodeId n = 0; n < 6; n++)
        CHECK(s.lane[n] == lane[n] && s.pos[n] == pos[n]);
    CHECK(waits_are(def(a), 0, NULL) && waits_are(def(b), 0, NULL));
    CHECK(waits_are(def(c), 1, (int[]){1, 1}));
    CHECK(waits_are(def(e), 1, (int[]){0, 2}));
    CHECK(waits_are(def(f), 1, (int[]){2, 1}));
    CHECK(waits_are(def(h), 1, (int[]){1, 2}));
    static const int signal[] = {0, 1, 1, 1, 1, 0};
    for (NodeId n = 0; n < 6; n++)
        CHECK(s.signal[n] == signal[n]);
    CHECK(clock_is(def(a), (int[]){1, 0, 0}) && clock_is(def(b), (int[]){0, 1, 0}));
    CHECK(clock_is(def(c), (int[]){2, 1, 0}) && clock_is(def(e), (int[]){2, 1, 1}));
    CHECK(clock_is(def(f), (int[]){2, 2, 1}) && clock_is(def(h), (int[]){2, 2, 2}));
    /* a and b run side by side; the rest is one chain through all three lanes */
    CHECK(!hb(a, b) && !hb(b, a));
    CHECK(hb(a, c) && hb(b, c) && hb(b, e) && hb(a, h));
    CHECK(hb(c, f) && !hb(f, c) && !hb(h, h) && hb(a, f));
}

/* Only the needed waits: the latest step of a lane, once; none that another wait implies; none
 * that the lane predecessor's wait already covers. */
static void
test_needed_waits(void)
{
    /* n2 reads a0 and a1 of lane 0: one wait, for both steps */
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    ValId x = input("x", 1, 8);
    ValId a0 = on(0, NODE(OP_RELU, "a0", x));
    ValId a1 = on(0, NODE(OP_SIGMOID, "a1", x));
    ValId b = on(1, NODE(OP_ADD, "b", a1, a0));
    mark_output(b);
    CHECK(run() == 0);
    CHECK(waits_are(def(b), 1, (int[]){0, 2}) && s.signal[def(a1)] && !s.signal[def(a0)]);

    /* a diamond over three lanes: c reads a (lane 0) and b (lane 1), and b waited for a */
    fresh();
    kit_target(&t, 3, (int[]){0, 0, 0});
    x = input("x", 1, 8);
    ValId a = on(0, NODE(OP_RELU, "a", x));
    b = on(1, NODE(OP_ADD, "b", a, x));
    ValId c = on(2, NODE(OP_ADD, "c", a, b));
    mark_output(c);
    CHECK(run() == 0);
    CHECK(waits_are(def(b), 1, (int[]){0, 1}) && waits_are(def(c), 1, (int[]){1, 1}));
    CHECK(hb(a, c) && clock_is(def(c), (int[]){1, 1, 1}));

    /* the lane predecessor already waited: e reads a again after b did */
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    x = input("x", 1, 8);
    a = on(0, NODE(OP_RELU, "a", x));
    b = on(1, NODE(OP_ADD, "b", a, x));
    ValId e = on(1, NODE(OP_ADD, "e", a, b));
    mark_output(e);
    CHECK(run() == 0);
    CHECK(waits_are(def(b), 1, (int[]){0, 1}) && waits_are(def(e), 0, NULL));
}

/* A chain that crosses lanes at every step: each step waits for the one before and happens
 * after every earlier one. A second chain on a lane of its own runs beside it, ordered with it
 * only where the two join. */
static void
test_cross_chain(void)
{
    enum { N = 30 };
    char name[16];
    fresh();
    kit_target(&t, 4, (int[]){0, 0, 0, 0});
    ValId x = input("x", 1, 8), v = x, w = x, chain[N], side[N];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "c%d", i);
        chain[i] = v = on(i % 3, NODE(OP_RELU, name, v));
        snprintf(name, sizeof name, "s%d", i);
        side[i] = w = on(3, NODE(OP_SIGMOID, name, w));
    }
    ValId join = on(3, NODE(OP_ADD, "join", v, w));
    mark_output(join);
    CHECK(run() == 0);
    CHECK(s.nlane == 4 && s.lane_proc[1] == 3 && s.nstep[1] == N + 1);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        NodeId n = def(chain[i]);
        if (i > 0)
            ok &= waits_are(n, 1, (int[]){s.lane[def(chain[i - 1])], s.pos[def(chain[i - 1])] + 1});
        for (int j = 0; j < i; j++)
            ok &= hb(chain[j], chain[i]) && !hb(chain[i], chain[j]);
        for (int j = 0; j < N; j++)
            ok &= !hb(side[j], chain[i]) && !hb(chain[i], side[j]) && hb(side[j], join);
        ok &= hb(chain[i], join);
    }
    CHECK(ok);
    CHECK(waits_are(def(join), 1, (int[]){s.lane[def(chain[N - 1])], N / 3}));
}

/* The predicted times: a roofline per step at the target's figures or the defaults, a copy over
 * its link, and lanes side by side. */
static void
test_predicted(void)
{
    fresh();
    kit_target(&t, 3, (int[]){0, 0, 1});
    kit_link(&t, 0, 1, 2.0, 3.0, 0);
    t.proc[1].rate[t.proc[1].nrate++] = (Rate){.cls = CC_ELTWISE, .op = -1, .gflops = 1e-3};    /* 1 MFLOP/s: the 128 FLOPs take 0.128 ms */
    t.proc[1].launch_us = 10;
    t.proc[1].sync_us = 2;
    ValId x = input("x", 1, 8);
    ValId a = on(0, NODE(OP_RELU, "a", x));             /* defaults: 100 GFLOP/s, 20 GB/s */
    ValId b = on(1, NODE(OP_SIGMOID, "b", x));          /* 0.01 + 0.128 ms, beside a */
    ValId c = on(2, NODE(OP_COPY, "c", a));             /* 512 B at 2 GB/s + 3 us */
    ValId e = on(1, NODE(OP_ADD, "e", b, a));           /* waits for a: + 2 us sync */
    ValId r = on(2, NODE(OP_RELU, "r", c));
    ValId back = on(2, NODE(OP_COPY, "back", r));       /* to the host: the same link */
    mark_output(back);
    mark_output(e);
    CHECK(run() == 0);
    CHECK(ir_node_flops(g, &g->node[def(a)]) == 128 && ir_node_bytes(g, &g->node[def(a)]) == 1024);
    /* a: 128 FLOPs at 100 GFLOP/s plus 1024 bytes at 20 GB/s (the terms add up) */
    double ta = (128 / 100e3 + 1024 / 20e3) / 1e3, tb = 0.01 + 128 / 1e3, tc = 512 / 2e6 + 0.003;
    CHECK(s.start_ms[def(a)] == 0 && fabs(s.end_ms[def(a)] - ta) < 1e-12);
    CHECK(s.start_ms[def(b)] == 0 && fabs(s.end_ms[def(b)] - tb) < 1e-12);
    CHECK(fabs(s.start_ms[def(c)] - ta) < 1e-12 && fabs(s.end_ms[def(c)] - (ta + tc)) < 1e-12);
    /* e starts when its lane is free (tb > ta), after one wait's sync; an Add of 128 FLOPs at
     * 1 MFLOP/s, no memory term (the rate has no gbps), as for b */
    CHECK(waits_are(def(e), 1, (int[]){0, 1}));
    double se = tb + 0.002;
    CHECK(fabs(s.start_ms[def(e)] - se) < 1e-12 && fabs(s.end_ms[def(e)] - (se + tb)) < 1e-12);
    CHECK(fabs(s.makespan_ms - (se + tb)) < 1e-12);
    CHECK(fabs(s.start_ms[def(back)] - s.end_ms[def(r)]) < 1e-12 &&
          fabs(s.end_ms[def(back)] - s.start_ms[def(back)] - tc) < 1e-12);
    /* no contention: each step's time alone is its duration; where the figures came from */
    for (NodeId n = 0; n < g->nnode; n++)
        CHECK(fabs(s.alone_ms[n] - (s.end_ms[n] - s.start_ms[n])) < 1e-12);
    CHECK(s.source[def(a)] == CS_DEFAULT && s.source[def(b)] == CS_DESCRIPTION &&
          s.source[def(c)] == CS_DESCRIPTION && s.source[def(r)] == CS_DEFAULT);
}

/* A node on no processor of the target, or reading a later node, is refused. */
static void
test_refused(void)
{
    fresh();
    kit_target(&t, 2, (int[]){0, 0});
    ValId x = input("x", 1, 8);
    ValId a = on(1, NODE(OP_RELU, "a", x));
    mark_output(on(0, NODE(OP_RELU, "r", a)));
    CHECK(ir_infer(g, &d) == 0);
    g->node[def(a)].dev = 2;
    CHECK(pass_schedule(g, &t, NULL, &s, &d) < 0 && strstr(d.msg, "\"a\"") &&
          strstr(d.msg, "no processor"));
    diag_init(&d, "t.onnx");
    g->node[def(a)].dev = -1;
    CHECK(pass_schedule(g, &t, NULL, &s, &d) < 0 && strstr(d.msg, "no processor"));
    diag_init(&d, "t.onnx");
    g->node[def(a)].dev = 0;
    g->node[def(a)].in[0] = find("r");
    CHECK(pass_schedule(g, &t, NULL, &s, &d) < 0 && strstr(d.msg, "later step"));
}

/* Random DAGs placed at random over three processors: the clocks are happens-before computed by
 * brute force from the lanes and the waits alone; every read of a tensor of another lane comes
 * after its writer; each wait is the latest step of its lane that the node reads, and neither
 * the lane predecessor nor another wait of the node orders it already. */
static void
test_random(void)
{
    enum { ROUNDS = 400, MAXN = 60 };
    static char before[MAXN][MAXN];     /* before[b][a]: a happens before b */
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int ok = 1;
    for (int r = 0; r < ROUNDS && ok; r++) {
        int nn = 1 + kit_rand(&seed, MAXN);
        kit_target(&t, 3, (int[]){0, 0, 0});
        kit_random_graph(&seed, nn, 3);
        if (run() < 0) {
            ok = 0;
            break;
        }
        NodeId last[TG_MAXPROC];
        for (int l = 0; l < TG_MAXPROC; l++)
            last[l] = NONE;
        for (NodeId b = 0; b < nn; b++) {
            int me = s.lane[b];
            memset(before[b], 0, sizeof before[b]);
            NodeId pred = last[me];
            if (pred != NONE) {
                memcpy(before[b], before[pred], sizeof before[b]);
                before[b][pred] = 1;
            }
            ok &= s.pos[b] == (pred == NONE ? 0 : s.pos[pred] + 1);
            for (int k = s.wat[b]; k < s.wat[b + 1]; k++) {
                int l = s.wait[2 * k], c = s.wait[2 * k + 1];
                NodeId m = NONE;
                for (NodeId n = 0; n < b; n++)
                    if (s.lane[n] == l && s.pos[n] == c - 1)
                        m = n;
                ok &= l != me && m != NONE && s.signal[m];
                if (m == NONE)
                    break;
                /* needed: b reads m's output, and nothing else orders m before b */
                int reads = 0;
                for (int j = 0; j < g->node[b].nin; j++)
                    reads |= g->val[g->node[b].in[j]].def == m;
                ok &= reads && (pred == NONE || (!before[pred][m] && pred != m));
                for (int k2 = s.wat[b]; k2 < s.wat[b + 1]; k2++) {
                    if (k2 == k)
                        continue;
                    for (NodeId o = 0; o < b; o++)
                        if (s.lane[o] == s.wait[2 * k2] && s.pos[o] == s.wait[2 * k2 + 1] - 1)
                            ok &= !before[o][m];
                }
                for (NodeId a = 0; a < b; a++)
                    before[b][a] |= before[m][a];
                before[b][m] = 1;
            }
            last[me] = b;
            /* every tensor read was written before */
            for (int j = 0; j < g->node[b].nin; j++) {
                NodeId m = g->val[g->node[b].in[j]].def;
                ok &= m == NONE || before[b][m];
            }
            /* the clock counts what happens before, per lane */
            for (int l = 0; l < s.nlane; l++) {
                int count = l == me;
                for (NodeId a = 0; a < b; a++)
                    count += before[b][a] && s.lane[a] == l;
                ok &= s.clock[(size_t)b * (size_t)s.nlane + (size_t)l] == count;
            }
            for (NodeId a = 0; a < nn; a++)
                ok &= pass_before(&s, a, b) == (a < b && before[b][a]);
        }
        if (!ok)
            fprintf(stderr, "random round %d (%d nodes) fails\n", r, nn);
    }
    CHECK(ok);
}

/* 200000 steps round-robin over three processors, each reading the one before and one 1000
 * steps back: linear time (a few hundred ms), and the clocks still count every earlier step. */
static void
test_scale(void)
{
    enum { N = 200000 };
    char name[32];
    static ValId v[N];
    fresh();
    kit_target(&t, 3, (int[]){0, 0, 0});
    ValId x = input("x", 1, 8);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "c%d", i);
        v[i] = on(i % 3, i < 1000 ? NODE(OP_RELU, name, i ? v[i - 1] : x)
                                  : NODE(OP_ADD, name, v[i - 1], v[i - 1000]));
    }
    mark_output(v[N - 1]);
    CHECK(run() == 0);
    CHECK(clock_is(def(v[N - 1]), (int[]){N / 3 + 1, N / 3 + 1, N / 3}));
    /* one wait a step: v[i - 1000] is on the lane of v[i - 1], and earlier */
    CHECK(s.makespan_ms > 0 && s.wat[g->nnode] == N - 1);
}

int
main(void)
{
    test_lanes();
    test_needed_waits();
    test_cross_chain();
    test_predicted();
    test_refused();
    test_random();
    test_scale();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
