/*
 * test_emit.c: the passes' shared node and constant makers (passes/emit.c): a new node goes last,
 * named and numbered after the node it stands for, with its attributes copied or defaulted, a
 * fresh output or the one asked for, inferred, and folded only when asked; an inference error is
 * NONE with the Diag set; constants hold their dims and values (converted for int32 and bool,
 * zeros without data).
 */
#include "graph_kit.h"

#include "../test.h"

static void
test_emit(void)
{
    fresh();
    ValId x = input("x", 2, 8);
    ValId a = NODE(OP_RELU, "a", x);
    NodeId an = g->val[a].def;
    g->node[an].index = 7;
    CHECK(ir_infer(g, &d) == 0);

    /* a fresh output, the op's default attributes (Transpose reverses the dims) */
    ValId y = pass_emit(g, an, OP_TRANSPOSE, &a, 1, NULL, NONE, 0, &d);
    CHECK(y != NONE && g->val[y].def == g->nnode - 1);
    const Node *n = &g->node[g->nnode - 1];
    CHECK(n->op == OP_TRANSPOSE && !strcmp(n->name, "a") && n->index == 7);
    CHECK(!strcmp(n->optype, "Transpose") && n->nin == 1 && n->in[0] == a && n->out[0] == y);
    CHECK(g->val[y].name[0] == '%' && g->val[y].dt == DT_F32 && g->val[y].rank == 4);
    CHECK(g->val[y].dim[0] == 4 && g->val[y].dim[3] == 2);

    /* attributes copied; the output asked for */
    Attr at;
    ir_attr_default(OP_TRANSPOSE, &at);
    at.perm.perm = (Ints){4, (int64_t[]){0, 2, 3, 1}};
    ValId to = ir_val_add(g, "t", DT_UNDEF, NULL);
    CHECK(pass_emit(g, an, OP_TRANSPOSE, &a, 1, &at, to, 0, &d) == to);
    CHECK(g->val[to].def == g->nnode - 1 && g->val[to].dim[1] == 4 && g->val[to].dim[3] == 8);
    CHECK(g->node[g->nnode - 1].attr->perm.perm.v[3] == 1);

    /* folded only when asked */
    ValId c[2] = {pass_const_ints(g, DT_I64, 1, (int64_t[]){1, 2}, 2, &d),
                  pass_const_ints(g, DT_I64, 1, (int64_t[]){10, 20}, 2, &d)};
    ValId s = pass_emit(g, an, OP_ADD, c, 2, NULL, NONE, 0, &d);
    CHECK(s != NONE && !(g->val[s].flags & V_CONST) && g->val[s].dim[0] == 2);
    s = pass_emit(g, an, OP_ADD, c, 2, NULL, NONE, 1, &d);
    CHECK(s != NONE && (g->val[s].flags & V_CONST) && ir_const_i(&g->val[s], 1) == 22);
    CHECK(d.nerr == 0);

    /* inference refuses: K of 4 against 3 */
    ValId w = pass_const(g, DT_F32, 2, (int64_t[]){3, 3}, NULL, &d);
    ValId mm[2] = {x, w};
    CHECK(pass_emit(g, an, OP_MATMUL, mm, 2, NULL, NONE, 0, &d) == NONE);
    CHECK(d.nerr == 1 && d.kind == DIAG_INPUT && strstr(d.msg, "\"a\""));
}

/* constant i's value (its id first: the call may move the values) */
static const Value *
val(ValId i)
{
    return i == NONE ? NULL : &g->val[i];
}

static void
test_const(void)
{
    fresh();
    const Value *v = val(pass_const(g, DT_F32, 2, (int64_t[]){2, 3}, NULL, &d));
    CHECK(v->rank == 2 && v->dim[0] == 2 && v->dim[1] == 3 && ir_const_f(v, 5) == 0);
    CHECK(v->flags == (V_CONST | V_PARAM) && v->def == NONE && v->name[0] == '%');
    float f[2] = {1.5f, -2};
    v = val(pass_const(g, DT_F32, 1, (int64_t[]){2}, f, &d));
    CHECK(ir_const_f(v, 0) == 1.5 && ir_const_f(v, 1) == -2);
    v = val(pass_const_ints(g, DT_I32, 0, (int64_t[]){-5}, 1, &d));
    CHECK(v->dt == DT_I32 && v->rank == 0 && v->dim[0] == 0 && ir_const_i(v, 0) == -5);
    v = val(pass_const_ints(g, DT_BOOL, 1, (int64_t[]){0, 3, -1}, 3, &d));
    CHECK(v->dt == DT_BOOL && v->dim[0] == 3);
    CHECK(ir_const_i(v, 0) == 0 && ir_const_i(v, 1) == 1 && ir_const_i(v, 2) == 1);
    v = val(pass_const_ints(g, DT_I64, 1, NULL, 0, &d));
    CHECK(v->dt == DT_I64 && v->rank == 1 && v->dim[0] == 0 && v->data);
    CHECK(d.nerr == 0);
}

int
main(void)
{
    test_emit();
    test_const();
    ir_graph_free(g);
    return TEST_DONE();
}
