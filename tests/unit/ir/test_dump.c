/*
 * test_dump.c: the IR's text form once placed (ir_dump_placed): each placed node names its
 * processor and the cause of the choice before its comment, unplaced nodes and ir_dump show
 * none, a processor beyond the names given shows its index, and names are escaped.
 */
#include "ir/ir.h"

#include <stdlib.h>
#include <string.h>

#include "../test.h"

static ValId
value(Graph *g, const char *name)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    g->val[v].rank = 1;
    g->val[v].dim[0] = 4;
    return v;
}

static NodeId
relu(Graph *g, ValId x, ValId y, const char *name)
{
    NodeId n = ir_node_add(g, OP_RELU, name, 1, 1);
    g->node[n].in[0] = x;
    g->node[n].out[0] = y;
    g->node[n].index = n;
    g->val[y].def = n;
    return n;
}

static const char *
cause(int c)
{
    return c == 1 ? "strategy" : c == 2 ? NULL : "forced by --place";
}

/* the text of dump (placed with names dev[0..ndev) when dev is not NULL), malloc'd */
static char *
dump(const Graph *g, const char *const *dev, int ndev)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    if (dev)
        ir_dump_placed(g, f, dev, ndev, cause);
    else
        ir_dump(g, f);
    fclose(f);
    return buf;
}

int
main(void)
{
    Graph *g = ir_graph_new("t.onnx");
    ValId x = value(g, "x"), a = value(g, "a"), b = value(g, "b"), c = value(g, "c"),
          y = value(g, "y");
    g->val[x].flags |= V_INPUT;
    g->input = ir_galloc(g, sizeof(ValId));
    g->output = ir_galloc(g, sizeof(ValId));
    g->input[g->ninput++] = x;
    NodeId n0 = relu(g, x, a, "r0"), n1 = relu(g, a, b, "r1"), n2 = relu(g, b, c, "r2");
    relu(g, c, y, "r3");
    g->output[g->noutput++] = y;

    char *plain = dump(g, NULL, 0);
    const char *names[] = {"cpu0", "ocl\x1b[2J"};
    char *unplaced = dump(g, names, 2);
    CHECK(strcmp(plain, unplaced) == 0);                 /* NONE: nothing shown */
    CHECK(strstr(plain, "@") == NULL);

    g->node[n0].dev = 0, g->node[n0].cause = 1;
    g->node[n1].dev = 1, g->node[n1].cause = 3;
    g->node[n2].dev = 7, g->node[n2].cause = 2;          /* no name: the index; no cause */
    char *placed = dump(g, names, 2);
    CHECK(strstr(placed, "%a: f32[4] = Relu(%x) @cpu0 (strategy)  # 0 \"r0\"\n") != NULL);
    CHECK(strstr(placed, "= Relu(%a) @ocl\\x1b[2J (forced by --place)  # 1 \"r1\"\n") != NULL);
    CHECK(strstr(placed, "= Relu(%b) @7  # 2 \"r2\"\n") != NULL);
    CHECK(strstr(placed, "= Relu(%c)  # 3 \"r3\"\n") != NULL);     /* unplaced */
    char *again = dump(g, NULL, 0);
    CHECK(strcmp(again, plain) == 0);                    /* ir_dump shows no placement */

    free(plain), free(unplaced), free(placed), free(again);
    ir_graph_free(g);
    return TEST_DONE();
}
