/*
 * test_memplan.c: pass_memplan on small hand-built graphs: tensors alive at the same step never
 * share bytes, the arena reaches the lower bound on a chain, and a Concat's inputs are placed
 * inside its output where that is safe (every dim before the axis is 1, an input appears once,
 * no input holds inputs of its own) and nowhere else. Graphs with thousands of tensors alive at
 * once (planned by the sweep) are checked the same way, and tensors, steps and arenas beyond
 * PASS_MAX_BYTES are refused, not wrapped.
 */
#include "ir/ir.h"
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "graph_kit.h"

static MemPlan mp;

static int
run(void)
{
    if (ir_infer(g, &d) < 0 || pass_memplan(g, &mp, &d) < 0) {
        fprintf(stderr, "error: %s\n", d.msg);
        return -1;
    }
    return 0;
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

/* no_clash for graphs without Concat, in O(T^2): each tensor, at the step that defines it, is
 * apart from every arena tensor alive then */
static int
apart_when_born(void)
{
    int *last = malloc((size_t)g->nval * sizeof *last), ok = 1;
    for (ValId v = 0; v < g->nval; v++)
        last[v] = g->val[v].def;
    for (NodeId n = 0; n < g->nnode; n++)
        for (int j = 0; j < g->node[n].nin; j++)
            if (last[g->node[n].in[j]] < n)
                last[g->node[n].in[j]] = n;
    for (ValId a = 0; a < g->nval && ok; a++) {
        if (mp.offset[a] < 0)
            continue;
        int64_t ea = mp.offset[a] + (int64_t)ir_nbytes(&g->val[a]);
        for (ValId b = 0; b < g->nval && ok; b++) {
            if (b == a || mp.offset[b] < 0 || g->val[b].def > g->val[a].def ||
                last[b] < g->val[a].def)
                continue;
            int64_t eb = mp.offset[b] + (int64_t)ir_nbytes(&g->val[b]);
            if (!(ea <= mp.offset[b] || eb <= mp.offset[a])) {
                fprintf(stderr, "%s and %s overlap while both alive\n", g->val[a].name,
                        g->val[b].name);
                ok = 0;
            }
        }
    }
    free(last);
    return ok;
}

/* joins vals[0..n) pairwise by Adds into one value */
static ValId
join(ValId *vals, int n, const char *prefix)
{
    char name[32];
    for (int k = 0; n > 1; n = (n + 1) / 2)
        for (int i = 0; i < n; i += 2) {
            snprintf(name, sizeof name, "%s%d", prefix, k++);
            vals[i / 2] = i + 1 < n ? NODE(OP_ADD, name, vals[i], vals[i + 1]) : vals[i];
        }
    return vals[0];
}

/* More tensors alive at once than the pairwise plan takes (about 2^21 pairs): every branch is
 * alive until the joins, so the arena is the live bytes at the widest step, and nothing that
 * lives at the same time overlaps. */
static void
test_wide(void)
{
    enum { NB = 2500 };
    static ValId br[NB];
    char name[32];
    fresh();
    ValId x = input("x", 1, 8);
    for (int i = 0; i < NB; i++) {
        snprintf(name, sizeof name, "b%d", i);
        br[i] = NODE(OP_RELU, name, x);
    }
    mark_output(join(br, NB, "j"));
    CHECK(run() == 0);
    CHECK(apart_when_born());
    CHECK(mp.arena == mp.lower && mp.lower == (NB + 1) * 512);

    /* two sizes, interleaved: still apart, and within the sum of the two sizes' widest */
    fresh();
    x = input("x", 1, 8);
    ValId y = input("y", 1, 16);
    static ValId small[NB / 2], large[NB / 2];
    for (int i = 0; i < NB / 2; i++) {
        snprintf(name, sizeof name, "s%d", i);
        small[i] = NODE(OP_RELU, name, x);
        snprintf(name, sizeof name, "l%d", i);
        large[i] = NODE(OP_SIGMOID, name, y);
    }
    mark_output(join(small, NB / 2, "js"));
    mark_output(join(large, NB / 2, "jl"));
    CHECK(run() == 0);
    CHECK(apart_when_born());
    CHECK(mp.arena >= mp.lower && mp.arena <= (NB / 2 + 1) * (512 + 1024));
}

/* A 100000-step chain with a tensor read at its start and at its end: linear time (the old
 * planner took minutes), two tensors alive at a time but for the long one. */
static void
test_long_chain(void)
{
    enum { N = 100000 };
    char name[32];
    fresh();
    ValId x = input("x", 1, 8);
    ValId first = NODE(OP_RELU, "first", x), v = first;
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "c%d", i);
        v = NODE(i % 2 ? OP_RELU : OP_SIGMOID, name, v);
    }
    mark_output(NODE(OP_ADD, "end", v, first));
    CHECK(run() == 0);
    CHECK(mp.arena == mp.lower && mp.lower == 3 * 512);
    CHECK(mp.total == (int64_t)(N + 1) * 512);
}

/* Sizes beyond PASS_MAX_BYTES (2^47) are refused, naming the tensor or the step, never wrapped:
 * one tensor of 2^64 bytes (its element count fits int64, its bytes do not fit size_t), and
 * three of 2^46 bytes alive at one step. */
static void
test_too_large(void)
{
    fresh();
    ValId x = input("x", 1, 8);
    ValId a = NODE(OP_RELU, "a", x);
    mark_output(NODE(OP_RELU, "r", a));
    CHECK(ir_infer(g, &d) == 0);
    g->val[a].rank = 2;
    g->val[a].dim[0] = g->val[a].dim[1] = (int64_t)1 << 31;     /* 2^62 floats */
    CHECK(pass_memplan(g, &mp, &d) < 0 && strstr(d.msg, "\"a\"") &&
          strstr(d.msg, "too large"));

    fresh();
    x = input("x", 1, 8);
    a = NODE(OP_RELU, "a", x);
    ValId b = NODE(OP_SIGMOID, "b", x);
    ValId c = NODE(OP_ADD, "c", a, b);
    mark_output(NODE(OP_RELU, "r", c));
    CHECK(ir_infer(g, &d) == 0);
    for (ValId v = a; v <= c; v += b - a) {
        g->val[v].rank = 2;
        g->val[v].dim[0] = g->val[v].dim[1] = (int64_t)1 << 22;     /* 2^44 floats, 2^46 B */
    }
    CHECK(pass_memplan(g, &mp, &d) < 0 && strstr(d.msg, "\"c\" (Add)") &&
          strstr(d.msg, "2^47"));
    int64_t bytes = 0;
    CHECK(pass_tensor_bytes(&g->val[a], &bytes) == 0 && bytes == (int64_t)1 << 46);
    g->val[a].dim[0] = INT64_MAX;
    CHECK(pass_tensor_bytes(&g->val[a], &bytes) < 0);
    g->val[a].dim[1] = 0;       /* no elements, whatever the other dim */
    CHECK(pass_tensor_bytes(&g->val[a], &bytes) == 0 && bytes == 0);
}

int
main(void)
{
    test_chain();
    test_concat_in_place();
    test_wide();
    test_long_chain();
    test_too_large();
    if (g)
        ir_graph_free(g);
    return TEST_DONE();
}
