/*
 * test_cost.c: the cost model (passes/cost.c) and the schedule's use of it, on graphs and targets
 * built by hand, with exact figures: the work of each op class (FLOPs with fused elementwise
 * ops, bytes, GEMM shapes of Conv, grouped Conv, ConvTranspose, Gemm, batched and vector MatMul);
 * the step formula term by term (launch, compute with the M, N and K terms, memory, a term left
 * out when its figure is 0, the defaults); the rate lookup (an op's rate before its class's, the
 * thread count, one for any, the nearest, the lower of two as near); transfers in each direction,
 * through the host between two devices, within one memory, with no link; contention stretching
 * only the overlapping part of a step, one way and both ways (the rounds settle on the exact
 * shared timeline); measured step times replacing the model and never stretched; the makespan
 * of a two-lane plan with a wait.
 */
#include "ir/ir.h"
#include "passes/cost.h"
#include "passes/passes.h"

#include <math.h>
#include <string.h>

#include "../test.h"
#include "graph_kit.h"

static Target t;
static Schedule s;

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1))

/* a float32 tensor of the given dims (not an input) */
static ValId
tensor(const char *name, int rank, const int64_t *dims)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    g->val[v].rank = rank;
    for (int i = 0; i < rank; i++)
        g->val[v].dim[i] = dims[i];
    return v;
}
#define NDIM(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define T(name, ...) tensor(name, NDIM(__VA_ARGS__), (int64_t[]){__VA_ARGS__})

/* node op reading in[0 .. nin) and writing out (shapes given by hand) */
static NodeId
op_node(OpKind op, const char *name, int nin, const ValId *in, ValId out)
{
    NodeId n = ir_node_add(g, op, name, nin, 1);
    for (int i = 0; i < nin; i++)
        g->node[n].in[i] = in[i];
    g->node[n].out[0] = out;
    g->val[out].def = n;
    return n;
}
#define NIN(...) (int)(sizeof((ValId[]){__VA_ARGS__}) / sizeof(ValId))
#define OPN(op, name, out, ...) op_node(op, name, NIN(__VA_ARGS__), (ValId[]){__VA_ARGS__}, out)

static int
same_shape(const Work *w, double m, double n, double k)
{
    return w->m == m && w->n == n && w->k == k;
}

static void
test_work(void)
{
    fresh();
    /* Conv [1,4,8,8] * [6,4,3,3] -> [1,6,6,6]: 216 outputs x 36 taps x 2 */
    NodeId c = OPN(OP_CONV, "c", T("y", 1, 6, 6, 6), T("x", 1, 4, 8, 8), T("w", 6, 4, 3, 3));
    Work w = cost_work(g, c);
    CHECK(w.cls == CC_CONV && w.op == OP_CONV && w.flops == 2.0 * 216 * 36);
    CHECK(w.bytes == 4.0 * (256 + 216 + 216) && same_shape(&w, 6, 36, 36));
    /* fused Relu and Add: kept apart, each over the 216 output elements */
    g->node[c].ops = "Conv+Relu+Add";
    w = cost_work(g, c);
    CHECK(w.flops == 2.0 * 216 * 36 && w.nfused == 2 && w.fused[0] == OP_RELU &&
          w.fused[1] == OP_ADD && w.fused_elems == 216);
    g->node[c].ops = NULL;
    /* two groups: per group 3 output channels, 2 input channels x 9 taps */
    c = OPN(OP_CONV, "g2", T("y2", 1, 6, 6, 6), T("x2", 1, 4, 8, 8), T("w2", 6, 2, 3, 3));
    g->node[c].attr->conv.group = 2;
    w = cost_work(g, c);
    CHECK(w.cls == CC_CONV && same_shape(&w, 3, 36, 18) && w.flops == 2.0 * 216 * 18);
    /* depthwise: not GEMM-shaped */
    c = OPN(OP_CONV, "dw", T("y3", 1, 4, 6, 6), T("x3", 1, 4, 8, 8), T("w3", 4, 1, 3, 3));
    g->node[c].attr->conv.group = 4;
    w = cost_work(g, c);
    CHECK(w.cls == CC_DEPTHWISE && same_shape(&w, 0, 0, 0) && w.flops == 2.0 * 144 * 9);
    /* ConvTranspose [1,4,5,5] with [4,3,2,2]: (3 x 4 taps) x 25 input positions x 4 */
    c = OPN(OP_CONVTRANSPOSE, "ct", T("y4", 1, 3, 10, 10), T("x4", 1, 4, 5, 5),
            T("w4", 4, 3, 2, 2));
    w = cost_work(g, c);
    CHECK(w.cls == CC_CONV && same_shape(&w, 12, 25, 4) && w.flops == 2.0 * 100 * 12);
    /* Gemm [5,7] x [7,3]; transposed A [7,5] */
    c = OPN(OP_GEMM, "gm", T("y5", 5, 3), T("a5", 5, 7), T("b5", 7, 3));
    w = cost_work(g, c);
    CHECK(w.cls == CC_GEMM && same_shape(&w, 5, 3, 7) && w.flops == 2.0 * 15 * 7);
    c = OPN(OP_GEMM, "gt", T("y6", 5, 3), T("a6", 7, 5), T("b6", 7, 3));
    g->node[c].attr->gemm.trans_a = 1;
    w = cost_work(g, c);
    CHECK(same_shape(&w, 5, 3, 7) && w.flops == 2.0 * 15 * 7);
    /* batched MatMul: per matrix; a vector times a matrix: one row */
    c = OPN(OP_MATMUL, "mm", T("y7", 2, 5, 3), T("a7", 2, 5, 7), T("b7", 2, 7, 3));
    w = cost_work(g, c);
    CHECK(w.cls == CC_GEMM && same_shape(&w, 5, 3, 7) && w.flops == 2.0 * 30 * 7);
    c = OPN(OP_MATMUL, "mv", T("y8", 3), T("a8", 7), T("b8", 7, 3));
    w = cost_work(g, c);
    CHECK(same_shape(&w, 1, 3, 7) && w.flops == 2.0 * 3 * 7);
    /* an unknown dim: no GEMM shape (the terms are left out), still of class gemm */
    c = OPN(OP_MATMUL, "mu", T("y9", 2, -1, 3), T("a9", 2, -1, 7), T("b9", 2, 7, 3));
    w = cost_work(g, c);
    CHECK(w.cls == CC_GEMM && same_shape(&w, 0, 0, 0));
    /* the other classes */
    c = OPN(OP_RELU, "r", T("y10", 2, 8), T("x10", 2, 8));
    w = cost_work(g, c);
    CHECK(w.cls == CC_ELTWISE && w.flops == 16 && w.bytes == 128 && same_shape(&w, 0, 0, 0));
    c = OPN(OP_TRANSPOSE, "tr", T("y11", 8, 2), T("x11", 2, 8));
    CHECK(cost_work(g, c).cls == CC_MOVE && cost_work(g, c).flops == 0);
    c = OPN(OP_MAXPOOL, "mp", T("y12", 1, 4, 4, 4), T("x12", 1, 4, 8, 8));
    CHECK(cost_work(g, c).cls == CC_REDUCE);
    c = OPN(OP_REDUCESUM, "rs", T("y13", 1, 4), T("x13", 1, 4, 8, 8));
    CHECK(cost_work(g, c).cls == CC_REDUCE);
    /* a recurrent layer: GEMMs by its weights, of class gemm without a GEMM shape */
    c = OPN(OP_LSTM, "l", T("y15", 5, 1, 3, 2), T("x15", 5, 3, 4), T("w15", 1, 8, 4),
            T("r15", 1, 8, 2));
    w = cost_work(g, c);
    CHECK(w.cls == CC_GEMM && same_shape(&w, 0, 0, 0) && w.flops == 2.0 * 5 * 3 * (32 + 16));
    /* a copy moves its tensor once */
    c = OPN(OP_COPY, "cp", T("y14", 2, 8), T("x14", 2, 8));
    w = cost_work(g, c);
    CHECK(w.cls == CC_COPY && w.bytes == 64 && w.flops == 0);
}

/* one processor p0, launch 1 us */
static void
one_proc(void)
{
    kit_target(&t, 1, (int[]){0});
    t.proc[0].launch_us = 1;
}

static Rate *
add_rate(int p, CostClass c, int op, int threads, double gflops, double gbps)
{
    Rate *r = &t.proc[p].rate[t.proc[p].nrate++];
    *r = (Rate){.cls = c, .op = op, .threads = threads, .gflops = gflops, .gbps = gbps};
    return r;
}

static void
test_formula(void)
{
    one_proc();
    Work w = {.cls = CC_CONV, .op = OP_CONV, .flops = 1e6, .bytes = 4e5, .m = 8, .n = 64, .k = 16};
    /* no rate: 100 GFLOP/s and 20 GB/s, added, plus the processor's launch */
    CHECK(cost_rate(&t, 0, &w) == NULL && cost_work_source(&t, 0, &w) == CS_DEFAULT);
    CHECK(NEAR(cost_work_us(&t, 0, &w), 1 + 1e6 / 100e3 + 4e5 / 20e3));
    CHECK(cost_default_rate(CC_MOVE)->gflops == 100 && cost_default_rate(CC_MOVE)->gbps == 20 &&
          cost_default_rate(CC_GEMM)->cls == CC_GEMM);
    Rate *r = add_rate(0, CC_CONV, -1, 0, 2, 4);
    r->launch_us = 3, r->m_half = 6, r->n_half = 32, r->k_half = 4;
    CHECK(cost_rate(&t, 0, &w) == r && cost_work_source(&t, 0, &w) == CS_DESCRIPTION);
    double shape = 1 + 6.0 / 8 + 32.0 / 64 + 4.0 / 16;
    CHECK(NEAR(cost_work_us(&t, 0, &w), 1 + 3 + 1e6 / 2e3 * shape + 4e5 / 4e3));
    /* a profile's figures */
    snprintf(t.measured, sizeof t.measured, "hetc profile");
    CHECK(cost_work_source(&t, 0, &w) == CS_PROFILE);
    /* no gbps: no memory term; no gflops: no compute term */
    r->gbps = 0;
    CHECK(NEAR(cost_work_us(&t, 0, &w), 1 + 3 + 1e6 / 2e3 * shape));
    r->gbps = 4, r->gflops = 0;
    CHECK(NEAR(cost_work_us(&t, 0, &w), 1 + 3 + 4e5 / 4e3));
    /* no GEMM shape: no shape terms */
    r->gflops = 2;
    w.m = w.n = w.k = 0;
    CHECK(NEAR(cost_work_us(&t, 0, &w), 1 + 3 + 1e6 / 2e3 + 4e5 / 4e3));
    /* fused ops: each one's FLOPs at its own rate's compute term (the class's, else the
     * default), no launch and no memory */
    w.nfused = 2, w.fused[0] = OP_RELU, w.fused[1] = OP_SIGMOID, w.fused_elems = 1000;
    Rate *rs = add_rate(0, CC_ELTWISE, OP_SIGMOID, 0, 0.5, 7);
    rs->launch_us = 9;
    double relu = ir_op[OP_RELU].k * 1000 / 100e3, sig = ir_op[OP_SIGMOID].k * 1000 / 0.5e3;
    CHECK(NEAR(cost_work_us(&t, 0, &w), 1 + 3 + 1e6 / 2e3 + 4e5 / 4e3 + relu + sig));
    w.nfused = 0;
    /* from a node: an Add on the default rate, launch only from the processor */
    fresh();
    NodeId a = OPN(OP_ADD, "a", T("y", 4, 4), T("x0", 4, 4), T("x1", 4, 4));
    Work wa = cost_work(g, a);
    CHECK(NEAR(cost_work_us(&t, 0, &wa), 1 + 16 / 100e3 + 192 / 20e3));
}

static void
test_lookup(void)
{
    one_proc();
    Rate *g1 = add_rate(0, CC_GEMM, -1, 1, 1, 0), *g4 = add_rate(0, CC_GEMM, -1, 4, 4, 0);
    Rate *m2 = add_rate(0, CC_GEMM, OP_MATMUL, 2, 20, 0);
    Rate *m8 = add_rate(0, CC_GEMM, OP_MATMUL, 8, 80, 0);
    Rate *c0 = add_rate(0, CC_CONV, -1, 0, 5, 0), *c3 = add_rate(0, CC_CONV, -1, 3, 7, 0);
    Work mm = {.cls = CC_GEMM, .op = OP_MATMUL}, gm = {.cls = CC_GEMM, .op = OP_GEMM};
    Work cv = {.cls = CC_CONV, .op = OP_CONV}, rl = {.cls = CC_ELTWISE, .op = OP_RELU};
    /* threads 0 counts as 1: the class's rate at 1 before MatMul's own at 2 (a rate for 2
     * threads does not speak for one); Gemm the class's */
    CHECK(cost_rate(&t, 0, &mm) == g1 && cost_rate(&t, 0, &gm) == g1);
    t.proc[0].threads = 2;      /* MatMul's own at 2; for Gemm 1 is nearer than 4 */
    CHECK(cost_rate(&t, 0, &mm) == m2 && cost_rate(&t, 0, &gm) == g1);
    t.proc[0].threads = 5;      /* the class's 4 is nearer than MatMul's 2 and 8 */
    CHECK(cost_rate(&t, 0, &mm) == g4 && cost_rate(&t, 0, &gm) == g4);
    t.proc[0].threads = 6;      /* MatMul's 8 as near as the class's 4: the op's own */
    CHECK(cost_rate(&t, 0, &mm) == m8 && cost_rate(&t, 0, &gm) == g4);
    t.proc[0].threads = 7;      /* MatMul's 8 is nearer than the class's 4 */
    CHECK(cost_rate(&t, 0, &mm) == m8);
    /* a rate at p's thread count before one for any, one for any before the nearest */
    t.proc[0].threads = 3;
    CHECK(cost_rate(&t, 0, &cv) == c3);
    t.proc[0].threads = 4;
    CHECK(cost_rate(&t, 0, &cv) == c0);
    /* a class without a rate: none (the default stands in), a processor out of range: none */
    CHECK(cost_rate(&t, 0, &rl) == NULL && cost_rate(&t, 1, &cv) == NULL);
    t.proc[0].threads = 8;
    CHECK(NEAR(cost_work_us(&t, 0, &(Work){.cls = CC_GEMM, .op = OP_MATMUL, .flops = 8e4}),
               1 + 8e4 / 80e3));
}

static void
test_transfer(void)
{
    /* spaces: 0 host, 1 d1, 2 d2, 3 joined to the host, 4 with no link */
    kit_target(&t, 5, (int[]){0, 1, 2, 3, 4});
    t.link[t.nlink++] = (Link){.a = 0, .b = 1, .gbps = 10, .latency_us = 5, .back_gbps = 4,
                               .back_latency_us = 7};
    t.link[t.nlink++] = (Link){.a = 2, .b = 0, .gbps = 2, .latency_us = 3};
    kit_link(&t, 3, 0, 0, 0, 1);
    double b = 8e3;
    CHECK(NEAR(cost_transfer_us(&t, 0, 1, b), 5 + b / 10e3));
    CHECK(NEAR(cost_transfer_us(&t, 1, 0, b), 7 + b / 4e3));        /* back_ figures */
    CHECK(NEAR(cost_transfer_us(&t, 2, 0, b), 3 + b / 2e3));
    CHECK(NEAR(cost_transfer_us(&t, 0, 2, b), 3 + b / 2e3));        /* no back_: the same */
    /* between two devices: by way of the host, two hops */
    CHECK(NEAR(cost_transfer_us(&t, 1, 2, b), 7 + b / 4e3 + 3 + b / 2e3));
    CHECK(NEAR(cost_transfer_us(&t, 2, 1, b), 3 + b / 2e3 + 5 + b / 10e3));
    /* one memory: nothing; a space joined to the host's uses the host's links */
    CHECK(cost_transfer_us(&t, 0, 3, b) == 0 && cost_transfer_us(&t, 1, 1, b) == 0);
    CHECK(NEAR(cost_transfer_us(&t, 3, 1, b), 5 + b / 10e3));
    /* no link: 20 GB/s, and the source says so */
    CHECK(NEAR(cost_transfer_us(&t, 0, 4, b), b / 20e3));
    CHECK(cost_transfer_source(&t, 0, 4) == CS_DEFAULT &&
          cost_transfer_source(&t, 1, 0) == CS_DESCRIPTION &&
          cost_transfer_source(&t, 1, 2) == CS_DESCRIPTION);
    CHECK(cost_transfer_us(&t, 0, 9, b) == 0 && cost_transfer_us(&t, -1, 0, b) == 0);
    /* contention figures: one way only, 1 when absent */
    t.cont[t.ncont++] = (Contention){.a = 0, .b = 1, .factor = 1.5};
    CHECK(cost_contention(&t, 0, 1) == 1.5 && cost_contention(&t, 1, 0) == 1);
}

static int
run(Measured *m)
{
    if (ir_infer(g, &d) < 0 || pass_schedule(g, &t, m, &s, &d) < 0) {
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

/* Two processors with eltwise rates of 1 MFLOP/s (no memory term, no launch): a Relu of
 * [1, c, 4, 4] takes 16 c us. */
static void
two_procs(void)
{
    kit_target(&t, 2, (int[]){0, 0});
    add_rate(0, CC_ELTWISE, -1, 0, 1e-3, 0);
    add_rate(1, CC_ELTWISE, -1, 0, 1e-3, 0);
}

static void
test_contention(void)
{
    /* a (100 us on p0) beside b (50 us on p1); p0 runs twice as slow while p1 is busy: a does
     * 25 us of work in b's 50, then 75 alone: it ends at 125. b is not slowed. c follows a on
     * p0 after b is done: not stretched. */
    fresh();
    two_procs();
    t.cont[t.ncont++] = (Contention){.a = 0, .b = 1, .factor = 2};
    ValId a = on(0, NODE(OP_RELU, "a", input("big", 1, 6)));
    ValId b = on(1, NODE(OP_RELU, "b", input("mid", 1, 3)));
    ValId c = on(0, NODE(OP_RELU, "c", a));
    mark_output(b);
    mark_output(c);
    /* big is [1, 6, 4, 4]: 96 FLOPs = 96 us; mid 48 us; c 96 us */
    CHECK(run(NULL) == 0);
    CHECK(NEAR(s.alone_ms[def(a)], 0.096) && NEAR(s.alone_ms[def(b)], 0.048));
    CHECK(s.start_ms[def(b)] == 0 && NEAR(s.end_ms[def(b)], 0.048));
    CHECK(NEAR(s.end_ms[def(a)], 0.048 + (0.096 - 0.024)));
    CHECK(NEAR(s.start_ms[def(c)], s.end_ms[def(a)]) &&
          NEAR(s.end_ms[def(c)] - s.start_ms[def(c)], 0.096));
    CHECK(NEAR(s.makespan_ms, s.end_ms[def(c)]));

    /* both ways: b runs at half speed all its time (100 us), a does 50 us of work in that time
     * and the other 50 alone: 150; the rounds settle there */
    fresh();
    two_procs();
    t.cont[t.ncont++] = (Contention){.a = 0, .b = 1, .factor = 2};
    t.cont[t.ncont++] = (Contention){.a = 1, .b = 0, .factor = 2};
    a = on(0, NODE(OP_RELU, "a", input("x100", 1, 100)));
    b = on(1, NODE(OP_RELU, "b", input("x50", 1, 50)));
    mark_output(a);
    mark_output(b);
    /* [1, 100, 4, 4]: 1600 us; [1, 50, 4, 4]: 800 us */
    CHECK(run(NULL) == 0);
    CHECK(NEAR(s.end_ms[def(b)], 1.6) && NEAR(s.end_ms[def(a)], 2.4));
    CHECK(NEAR(s.alone_ms[def(a)], 1.6) && NEAR(s.alone_ms[def(b)], 0.8));

    /* no overlap, no stretch: b waits for a */
    fresh();
    two_procs();
    t.cont[t.ncont++] = (Contention){.a = 0, .b = 1, .factor = 3};
    t.cont[t.ncont++] = (Contention){.a = 1, .b = 0, .factor = 3};
    a = on(0, NODE(OP_RELU, "a", input("x", 1, 1)));
    b = on(1, NODE(OP_RELU, "b", a));
    mark_output(b);
    CHECK(run(NULL) == 0);
    CHECK(NEAR(s.end_ms[def(a)], 0.016) && NEAR(s.end_ms[def(b)], 0.032));
}

/* A measured step time replaces the model's, is marked used, and is not stretched. */
static void
test_measured(void)
{
    fresh();
    two_procs();
    t.cont[t.ncont++] = (Contention){.a = 0, .b = 1, .factor = 2};
    ValId a = on(0, NODE(OP_RELU, "a", input("x", 1, 6)));
    ValId b = on(1, NODE(OP_RELU, "b", input("y", 1, 6)));
    mark_output(a);
    mark_output(b);
    MeasuredStep st = {.node = "a", .proc = "p0", .us = 42};
    Measured m = {.file = "t.json", .n = 1, .step = &st};
    CHECK(run(&m) == 0);
    CHECK(st.used && s.source[def(a)] == CS_MEASURED && s.source[def(b)] == CS_DESCRIPTION);
    CHECK(NEAR(s.alone_ms[def(a)], 0.042) && NEAR(s.end_ms[def(a)], 0.042));
    CHECK(NEAR(s.end_ms[def(b)], 0.096));
    CHECK(strcmp(cost_source_name(CS_MEASURED), "measured") == 0 &&
          strcmp(cost_source_name(CS_PROFILE), "profile") == 0 &&
          strcmp(cost_source_name(CS_DESCRIPTION), "description") == 0 &&
          strcmp(cost_source_name(CS_DEFAULT), "default") == 0);
}

/* Two lanes joined by a wait: the makespan is the longer branch, the wait's sync and the join. */
static void
test_makespan(void)
{
    fresh();
    two_procs();
    t.proc[0].sync_us = 4;
    t.proc[1].launch_us = 2;
    ValId x = input("x", 1, 2);                         /* 32 us a Relu */
    ValId a = on(0, NODE(OP_RELU, "a", x));
    ValId b = on(1, NODE(OP_RELU, "b", x));             /* 2 + 32 */
    ValId b2 = on(1, NODE(OP_RELU, "b2", b));           /* 2 + 32 */
    ValId j = on(0, NODE(OP_ADD, "j", a, b2));          /* waits: + 4; 32 */
    mark_output(j);
    CHECK(run(NULL) == 0);
    CHECK(NEAR(s.start_ms[def(j)], 0.068 + 0.004));
    CHECK(NEAR(s.makespan_ms, 0.068 + 0.004 + 0.032));
}

/* Reading what the other processor of the same memory wrote: its bytes at the reader's
 * handoff_gbps, once per tensor; nothing for inputs of the graph, for what the reader's own
 * processor wrote, or for a processor without the figure. */
static void
test_handoff(void)
{
    fresh();
    two_procs();
    t.proc[0].handoff_gbps = 0.128;                     /* 128 bytes a microsecond */
    ValId x = input("x", 1, 2);                         /* [1, 2, 4, 4]: 128 bytes */
    ValId a = on(0, NODE(OP_RELU, "a", x));             /* 32 */
    ValId b = on(1, NODE(OP_RELU, "b", a));             /* 32: proc 1 has no figure */
    ValId j = on(0, NODE(OP_ADD, "j", b, b));           /* 32 + 1: b once */
    ValId k = on(0, NODE(OP_ADD, "k", j, a));           /* 32: its own processor's */
    mark_output(k);
    CHECK(run(NULL) == 0);
    CHECK(NEAR(s.alone_ms[def(a)], 0.032) && NEAR(s.alone_ms[def(b)], 0.032));
    CHECK(NEAR(s.alone_ms[def(j)], 0.033) && NEAR(s.alone_ms[def(k)], 0.032));
    CHECK(NEAR(s.makespan_ms, 0.032 * 4 + 0.001));
}

int
main(void)
{
    test_work();
    test_formula();
    test_lookup();
    test_transfer();
    test_contention();
    test_measured();
    test_makespan();
    test_handoff();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
