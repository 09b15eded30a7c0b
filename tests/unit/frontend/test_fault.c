/*
 * test_fault.c: the loader under allocation failures. For N = 1, 2, ... the Nth allocation of
 * loading and inferring a model and inlining its If, Loop and Scan nodes (passes/control.c)
 * fails; each run must end in a graph or in a Diag that says "out of memory" (exit status 3),
 * never a crash or a leak (the ASan build checks leaks). The model is given on the command line
 * (a small one from fuzz/corpus).
 */
#include "frontend/onnx.h"
#include "ir/ir.h"
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>

#include "../test.h"

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_fault MODEL.onnx\n");
        return 2;
    }
    /* a clean run first: the model must load */
    Diag d;
    diag_init(&d, argv[1]);
    Graph *g = onnx_load(argv[1], NULL, 0, &d);
    CHECK(g != NULL && ir_infer(g, &d) == 0 && pass_control(g, 1, &d) == 0);
    ir_graph_free(g);
    int completed = 0;
    for (long n = 1; n < 100000 && !completed; n++) {
        diag_init(&d, argv[1]);
        ir_alloc_fail_after(n);
        g = onnx_load(argv[1], NULL, 0, &d);
        int ok = g && ir_infer(g, &d) == 0 && pass_control(g, 1, &d) == 0;
        ir_alloc_fail_after(0);
        if (ok) {
            completed = 1;      /* n is past the last allocation: nothing failed */
        } else {
            CHECK(d.nerr > 0 && diag_status(&d) == 3 && strstr(d.msg, "out of memory"));
            if (!(d.nerr > 0 && diag_status(&d) == 3))
                fprintf(stderr, "allocation %ld: %s\n", n, d.msg);
        }
        ir_graph_free(g);
    }
    CHECK(completed);
    return TEST_DONE();
}
