/*
 * test_graph.c: graph construction, the name index, topological sorting and cycle reports,
 * compaction, constants and dtype conversions, the arena, diagnostics and injected allocation
 * failures.
 */
#include "ir/ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"

static ValId
input(Graph *g, const char *name, int64_t d0, int64_t d1)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    g->val[v].rank = 2;
    g->val[v].dim[0] = d0;
    g->val[v].dim[1] = d1;
    g->val[v].flags |= V_INPUT;
    return v;
}

static NodeId
unary(Graph *g, OpKind op, ValId x, const char *out)
{
    NodeId n = ir_node_add(g, op, out, 1, 1);
    ValId y = ir_val_add(g, out, DT_UNDEF, NULL);
    g->node[n].in[0] = x;
    g->node[n].out[0] = y;
    g->val[y].def = n;
    return n;
}

static void
test_names(void)
{
    Graph *g = ir_graph_new("t.onnx");
    int dup = 0;
    ValId a = ir_val_add(g, "a", DT_F32, &dup);
    CHECK(a == 0 && dup == 0);
    CHECK(ir_val_add(g, "a", DT_F32, &dup) == NONE && dup == 1);
    /* enough names to grow the index several times */
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        CHECK(ir_val_add(g, buf, DT_F32, NULL) == i + 1);
    }
    CHECK(ir_val_find(g, "v999") == 1000);
    CHECK(ir_val_find(g, "nope") == NONE);
    ValId fresh = ir_val_add(g, NULL, DT_I64, NULL);
    CHECK(fresh != NONE && g->val[fresh].name[0] == '%');
    ir_graph_free(g);

    /* a model that holds the names fresh values would take: each fresh value skips them all,
     * in time linear overall (one retry per name taken, not per fresh value) */
    enum { TAKEN = 200000, FRESH = 100000 };
    g = ir_graph_new("t.onnx");
    int ok = 1;
    for (int i = 0; i < TAKEN; i++) {
        snprintf(buf, sizeof buf, "%%%d", TAKEN + i);     /* ahead of nval */
        ok &= ir_val_add(g, buf, DT_F32, NULL) == i;
    }
    CHECK(ok);
    for (int i = 0; i < FRESH; i++) {
        fresh = ir_val_add(g, NULL, DT_F32, NULL);
        snprintf(buf, sizeof buf, "%%%d", 2 * TAKEN + i);
        if (fresh == NONE || strcmp(g->val[fresh].name, buf) != 0)
            break;
        if (i == FRESH - 1)
            CHECK(ir_val_find(g, buf) == fresh);
    }
    CHECK(g->nval == TAKEN + FRESH);
    ir_graph_free(g);
}

static void
test_toposort(void)
{
    Graph *g = ir_graph_new("t.onnx");
    ValId x = input(g, "x", 2, 3);
    /* build c = Relu(b), b = Neg(a), a = Abs(x) in reverse order */
    ValId a = ir_val_add(g, "a", DT_UNDEF, NULL);
    ValId b = ir_val_add(g, "b", DT_UNDEF, NULL);
    NodeId nc = unary(g, OP_RELU, b, "c");
    NodeId nb = ir_node_add(g, OP_NEG, "b", 1, 1);
    g->node[nb].in[0] = a;
    g->node[nb].out[0] = b;
    g->val[b].def = nb;
    NodeId na = ir_node_add(g, OP_ABS, "a", 1, 1);
    g->node[na].in[0] = x;
    g->node[na].out[0] = a;
    g->val[a].def = na;
    (void)nc;
    Diag d;
    diag_init(&d, "t.onnx");
    CHECK(ir_toposort(g, &d) == 0);
    CHECK(g->node[0].op == OP_ABS && g->node[1].op == OP_NEG && g->node[2].op == OP_RELU);
    CHECK(ir_verify(g, &d) == 0);
    CHECK(g->val[a].def == 0 && g->val[b].def == 1);
    /* a cycle: a = Abs(b) */
    g->node[0].in[0] = b;
    diag_init(&d, "t.onnx");
    CHECK(ir_toposort(g, &d) == -1);
    CHECK(strstr(d.msg, "cycle") != NULL && strstr(d.msg, "t.onnx: node") == d.msg);
    ir_graph_free(g);
}

static void
test_compact(void)
{
    Graph *g = ir_graph_new("t.onnx");
    ValId x = input(g, "x", 4, 4);
    g->input = ir_galloc(g, sizeof(ValId));
    g->output = ir_galloc(g, sizeof(ValId));
    g->input[g->ninput++] = x;
    NodeId n1 = unary(g, OP_RELU, x, "r");
    NodeId n2 = unary(g, OP_NEG, g->node[n1].out[0], "n");
    g->output[g->noutput++] = g->node[n2].out[0];
    ir_val_add(g, "unused", DT_F32, NULL);
    g->node[n1].op = OP_NOP;
    g->node[n2].in[0] = x;
    CHECK(ir_compact(g) == 0);
    CHECK(g->nnode == 1 && g->node[0].op == OP_NEG);
    CHECK(g->nval == 2);
    CHECK(ir_val_find(g, "unused") == NONE && ir_val_find(g, "r") == NONE);
    CHECK(g->val[g->output[0]].def == 0 && strcmp(g->val[g->output[0]].name, "n") == 0);
    Diag d;
    diag_init(&d, NULL);
    CHECK(ir_verify(g, &d) == 0);
    ir_graph_free(g);
}

static void
test_values(void)
{
    Value v = {0};
    v.rank = 2;
    v.dim[0] = INT64_C(1) << 40;
    v.dim[1] = INT64_C(1) << 40;
    CHECK(ir_numel(&v) == -1);          /* overflows */
    v.dim[1] = -1;
    CHECK(ir_numel(&v) == -1 && !ir_shape_known(&v));
    v.rank = 0;
    CHECK(ir_numel(&v) == 1);
    CHECK(ir_dtype_size(DT_F16) == 2 && ir_dtype_size(DT_STRING) == 0);
    CHECK(strcmp(ir_dtype_name(DT_I64), "int64") == 0);
    CHECK(ir_f16_to_f32(0x3c00) == 1.0f && ir_f32_to_f16(1.0f) == 0x3c00);
    CHECK(ir_f32_to_f16(-2.5f) == 0xc100 && ir_f16_to_f32(0xc100) == -2.5f);
    CHECK(ir_f32_to_f16(1e6f) == 0x7c00 && isinf(ir_f16_to_f32(0x7c00)));
    CHECK(ir_f16_to_f32(0x0001) == ldexpf(1, -24));
    CHECK(ir_bf16_to_f32(ir_f32_to_bf16(3.0f)) == 3.0f);
    int16_t raw[3] = {-7, 0, 9};
    Value c = {0};
    c.dt = DT_I16;
    c.rank = 1;
    c.dim[0] = 3;
    c.data = raw;
    CHECK(ir_const_i(&c, 0) == -7 && ir_const_f(&c, 2) == 9.0);
}

static void
test_arena_and_faults(void)
{
    Arena *a = ir_arena_new();
    char *p = ir_arena_alloc(a, 10);
    char *q = ir_arena_alloc(a, 1 << 20);      /* a block of its own */
    CHECK(p && q && ((uintptr_t)q & 15) == 0 && q[12345] == 0);
    CHECK(ir_arena_used(a) >= (1 << 20));
    ir_arena_reset(a);
    CHECK(ir_arena_used(a) == 0);
    ir_arena_free(a);
    /* every allocation of building a small graph may fail; each must fail cleanly */
    for (long k = 1; k < 40; k++) {
        ir_alloc_fail_after(k);
        Graph *g = ir_graph_new("t.onnx");
        if (g) {
            ValId x = ir_val_add(g, "x", DT_F32, NULL);
            NodeId n = x == NONE ? NONE : ir_node_add(g, OP_RELU, "r", 1, 1);
            (void)n;
            ir_graph_free(g);
        }
    }
    ir_alloc_fail_after(0);
    CHECK(1);
}

static void
test_diag(void)
{
    Diag d;
    diag_init(&d, "m.onnx");
    CHECK(diag_error(&d, "first %d", 1) == -1);
    diag_error(&d, "second");
    CHECK(d.nerr == 2 && strcmp(d.msg, "m.onnx: first 1") == 0 && diag_status(&d) == 2);
    diag_init(&d, NULL);
    diag_oom(&d);
    CHECK(diag_status(&d) == 3 && strcmp(d.msg, "out of memory") == 0);
    diag_init(&d, "m.onnx");
    diag_error(&d, "a\nb");
    CHECK(strchr(d.msg, '\n') == NULL);
}

static void
test_ops(void)
{
    CHECK(ir_op_lookup("Conv") == OP_CONV);
    CHECK(ir_op_lookup("NoSuchOp") == OP_UNKNOWN);
    CHECK(ir_op_lookup("") == OP_UNKNOWN);
    for (int i = 0; i < OP_COUNT; i++) {
        CHECK(ir_op[i].stem != NULL);
        CHECK(ir_op[i].inmin <= ir_op[i].inmax && ir_op[i].outmin <= ir_op[i].outmax);
        if (ir_op[i].flags & F_INTERNAL)  /* Copy: made by passes, never read from a model */
            CHECK(ir_op_lookup(ir_op[i].onnx) == OP_UNKNOWN && ir_op[i].shape != SH_NONE);
        else if (i > OP_UNKNOWN)
            CHECK((int)ir_op_lookup(ir_op[i].onnx) == i && ir_op[i].shape != SH_NONE);
    }
}

int
main(void)
{
    test_names();
    test_toposort();
    test_compact();
    test_values();
    test_arena_and_faults();
    test_diag();
    test_ops();
    return TEST_DONE();
}
