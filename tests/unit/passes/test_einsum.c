/*
 * test_einsum.c: the Einsum lowering (passes/einsum.c) on hand-built graphs: which nodes replace
 * each equation (a batched MatMul alone when the operands are already in order, a Transpose for
 * attention's "bhid,bhjd->bhij", Transpose or ReduceSum alone for one operand, Reshapes around
 * the MatMul of an outer product, a Mul and a ReduceSum for float64), that the output value keeps
 * its shape and is written by the last of them, that the graph verifies and is in order (a user of
 * the output after them), that an Einsum of dynamic shape stays, and the refusals (three
 * operands, a diagonal, broadcast ellipsis dims, float16). The numbers themselves are checked end to end by the ONNX node tests
 * (tests/conformance/onnx_node_run.py) and tests/models/new_ops.py.
 */
#include "ir/ir.h"
#include "passes/passes.h"

#include <string.h>

#include "../test.h"

static Graph *g;
static Diag d;

/* A graph with one Einsum of equation eq (letters, ',', "->", "...") on inputs of dtype dt and
 * the given shapes (rank -1 ends the list; a dim -1 is dynamic); its output is a graph output. */
static NodeId
einsum(const char *eq, DType dt, const int64_t (*shape)[5], int nin)
{
    if (g)
        ir_graph_free(g);
    g = ir_graph_new("t.onnx");
    diag_init(&d, "t.onnx");
    g->input = ir_galloc(g, 4 * sizeof(ValId));
    g->output = ir_galloc(g, sizeof(ValId));
    NodeId n = ir_node_add(g, OP_EINSUM, "e", nin, 1);
    for (int i = 0; i < nin; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        ValId v = ir_val_add(g, name, dt, NULL);
        g->val[v].rank = (int)shape[i][0];
        for (int k = 0; k < g->val[v].rank; k++)
            g->val[v].dim[k] = shape[i][k + 1];
        g->val[v].flags |= V_INPUT;
        g->input[g->ninput++] = v;
        g->node[n].in[i] = v;
    }
    ValId y = ir_val_add(g, "y", DT_UNDEF, NULL);
    g->node[n].out[0] = y;
    g->val[y].def = n;
    g->val[y].flags |= V_OUTPUT;
    g->output[g->noutput++] = y;
    int64_t *t = ir_galloc(g, (strlen(eq) + 2) * sizeof *t);
    int k = 0;
    for (const char *p = eq; *p; p++) {
        if (*p == ',' || (*p == '-' && p[1] == '>')) {
            t[k++] = -1;
            p += *p == '-';
        } else if (*p == '.') {
            t[k++] = EINSUM_ELLIPSIS;
            p += 2;
        } else {
            t[k++] = *p >= 'a' ? *p - 'a' + 26 : *p - 'A';
        }
    }
    t[k++] = -1;
    g->node[n].attr->einsum.terms = (Ints){k, t};
    return n;
}

/* How many live nodes of op the graph has */
static int
count(OpKind op)
{
    int c = 0;
    for (int i = 0; i < g->nnode; i++)
        c += g->node[i].op == op;
    return c;
}

/* Lowers; the output value "y" must keep dims want[0..rank) and be written by a node, the graph
 * must verify, and no Einsum may remain. */
static int
lowered(int rank, const int64_t *want)
{
    if (ir_infer(g, &d) < 0 || pass_einsum(g, &d) < 0) {
        fprintf(stderr, "lowering: %s\n", d.msg);
        return 0;
    }
    ValId y = ir_val_find(g, "y");
    int ok = y != NONE && g->val[y].rank == rank && g->val[y].def != NONE &&
             count(OP_EINSUM) == 0 && ir_verify(g, &d) == 0;
    for (int i = 0; ok && i < rank; i++)
        ok = g->val[y].dim[i] == want[i];
    if (!ok)
        fprintf(stderr, "lowered graph wrong (%s)\n", d.msg);
    return ok;
}

/* the rank and dims of the wanted output shape, for lowered() */
#define WANT(...)                                                                                  \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]) { __VA_ARGS__ }

static void
test_forms(void)
{
    /* already [batch, M, K] and [batch, K, N]: one MatMul */
    einsum("bij,bjk->bik", DT_F32, (const int64_t[][5]){{3, 2, 3, 4}, {3, 2, 4, 5}}, 2);
    CHECK(lowered(WANT(2, 3, 5)));
    CHECK(count(OP_MATMUL) == 1 && g->nnode == 1);

    /* attention scores: B's d and j swap */
    einsum("bhid,bhjd->bhij", DT_F32, (const int64_t[][5]){{4, 2, 3, 5, 8}, {4, 2, 3, 6, 8}}, 2);
    CHECK(lowered(WANT(2, 3, 5, 6)));
    CHECK(count(OP_MATMUL) == 1 && count(OP_TRANSPOSE) == 1 && g->nnode == 2);

    /* one operand: a transpose, a reduction, a copy */
    einsum("ij->ji", DT_I64, (const int64_t[][5]){{2, 3, 4}}, 1);
    CHECK(lowered(WANT(4, 3)));
    CHECK(count(OP_TRANSPOSE) == 1 && g->nnode == 1);
    CHECK(g->node[0].attr->perm.perm.n == 2 && g->node[0].attr->perm.perm.v[0] == 1);
    einsum("ij->i", DT_F32, (const int64_t[][5]){{2, 3, 4}}, 1);
    CHECK(lowered(WANT(3)));
    CHECK(count(OP_REDUCESUM) == 1 && g->nnode == 1 && !g->node[0].attr->reduce.keepdims);
    einsum("ij->ij", DT_F32, (const int64_t[][5]){{2, 3, 4}}, 1);
    CHECK(lowered(WANT(3, 4)));
    CHECK(count(OP_IDENTITY) == 1);

    /* outer product: [3, 1] x [1, 4] */
    einsum("i,j->ij", DT_F32, (const int64_t[][5]){{1, 3}, {1, 4}}, 2);
    CHECK(lowered(WANT(3, 4)));
    CHECK(count(OP_MATMUL) == 1 && count(OP_RESHAPE) == 2);

    /* inner product to a scalar; labels only one side has are summed first */
    einsum("i,i->", DT_F32, (const int64_t[][5]){{1, 5}, {1, 5}}, 2);
    CHECK(lowered(0, NULL));
    einsum("ij,kl->ik", DT_F32, (const int64_t[][5]){{2, 3, 4}, {2, 5, 6}}, 2);
    CHECK(lowered(WANT(3, 5)));
    CHECK(count(OP_REDUCESUM) == 2 && count(OP_MATMUL) == 1);

    /* ellipsis dims of different ranks, right-aligned */
    einsum("...ij,...jk->...ik", DT_F32, (const int64_t[][5]){{4, 2, 6, 3, 4}, {3, 6, 4, 5}}, 2);
    CHECK(lowered(WANT(2, 6, 3, 5)));

    /* several contracted labels, output in another order */
    einsum("abcd,cdbe->ea", DT_F32, (const int64_t[][5]){{4, 2, 3, 4, 5}, {4, 4, 5, 3, 6}}, 2);
    CHECK(lowered(WANT(6, 2)));
    CHECK(count(OP_MATMUL) == 1);

    /* a user of the output comes after the nodes that now write it */
    einsum("ij,jk->ik", DT_F32, (const int64_t[][5]){{2, 3, 4}, {2, 4, 5}}, 2);
    ValId e = ir_val_find(g, "y");
    g->val[e].flags &= ~(unsigned)V_OUTPUT;
    NodeId r = ir_node_add(g, OP_RELU, "r", 1, 1);
    ValId z = ir_val_add(g, "z", DT_UNDEF, NULL);
    g->node[r].in[0] = e;
    g->node[r].out[0] = z;
    g->val[z].def = r;
    g->val[z].flags |= V_OUTPUT;
    g->output[0] = z;
    CHECK(lowered(WANT(3, 5)));
    CHECK(g->node[g->nnode - 1].op == OP_RELU);

    /* a diagonal: the repeated dims merged and read with a step of n + 1 */
    einsum("ii->i", DT_F32, (const int64_t[][5]){{2, 3, 3}}, 1);
    CHECK(lowered(WANT(3)));
    CHECK(count(OP_SLICE) == 1 && count(OP_RESHAPE) == 1 && count(OP_TRANSPOSE) == 0);
    /* a trace, and a batched diagonal whose repeated dims are not the last two */
    einsum("ii->", DT_F32, (const int64_t[][5]){{2, 4, 4}}, 1);
    CHECK(lowered(0, NULL));
    CHECK(count(OP_SLICE) == 1 && count(OP_REDUCESUM) == 1);
    einsum("ibi->bi", DT_F32, (const int64_t[][5]){{3, 3, 2, 3}}, 1);
    CHECK(lowered(WANT(2, 3)));
    CHECK(count(OP_SLICE) == 1 && count(OP_TRANSPOSE) == 1);
    /* three times: two diagonals in a row; then a product with the other operand */
    einsum("iii,ij->j", DT_F32, (const int64_t[][5]){{3, 2, 2, 2}, {2, 2, 5}}, 2);
    CHECK(lowered(WANT(5)));
    CHECK(count(OP_SLICE) == 2 && count(OP_MATMUL) == 1);

    /* float64 has no MatMul kernel: a broadcast Mul summed over K */
    einsum("ij,jk->ik", DT_F64, (const int64_t[][5]){{2, 3, 4}, {2, 4, 5}}, 2);
    CHECK(lowered(WANT(3, 5)));
    CHECK(count(OP_MATMUL) == 0 && count(OP_MUL) == 1 && count(OP_REDUCESUM) == 1);
}

static void
test_refused(void)
{
    einsum("ij,jk,kl->il", DT_F32, (const int64_t[][5]){{2, 2, 3}, {2, 3, 4}, {2, 4, 5}}, 3);
    CHECK(ir_infer(g, &d) == 0 && pass_einsum(g, &d) < 0 && strstr(d.msg, "3 operands") &&
          strstr(d.msg, "not supported"));
    /* a repeated output subscript: shape inference refuses it already */
    einsum("ij->ii", DT_F32, (const int64_t[][5]){{2, 3, 3}}, 1);
    CHECK(ir_infer(g, &d) < 0 && strstr(d.msg, "subscripts repeat"));
    einsum("...i,...i->...i", DT_F32, (const int64_t[][5]){{2, 1, 3}, {2, 2, 3}}, 2);
    CHECK(ir_infer(g, &d) == 0 && pass_einsum(g, &d) < 0 && strstr(d.msg, "broadcast") &&
          strstr(d.msg, "not supported"));
    einsum("ij->ji", DT_F16, (const int64_t[][5]){{2, 3, 4}}, 1);
    CHECK(ir_infer(g, &d) == 0 && pass_einsum(g, &d) < 0 && strstr(d.msg, "float16"));
    /* shape errors come from inference */
    einsum("ij,jk->ik", DT_F32, (const int64_t[][5]){{2, 3, 4}, {2, 5, 6}}, 2);
    CHECK(ir_infer(g, &d) < 0 && strstr(d.msg, "subscript j"));
    einsum("ijk->i", DT_F32, (const int64_t[][5]){{2, 3, 4}}, 1);
    CHECK(ir_infer(g, &d) < 0 && strstr(d.msg, "rank"));
    /* a dynamic shape stays, for the check pass */
    einsum("ij->ji", DT_F32, (const int64_t[][5]){{2, -1, 4}}, 1);
    CHECK(ir_infer(g, &d) == 0 && pass_einsum(g, &d) == 0 && count(OP_EINSUM) == 1);
}

int
main(void)
{
    test_forms();
    test_refused();
    ir_graph_free(g);
    return TEST_DONE();
}
