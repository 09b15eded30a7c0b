/*
 * fuzz_onnx.c: libFuzzer target for the ONNX loader, shape inference and the inlining of If, Loop
 * and Scan bodies (as inspect does it). Any input must end in a graph or a diagnostic; a crash, leak, hang or sanitizer report is a bug. Built as a libFuzzer
 * binary with -DHETC_FUZZ=ON (clang), and always linked into fuzz_replay, which ctest runs over
 * the checked-in corpus.
 */
#include "frontend/onnx.h"
#include "ir/ir.h"
#include "passes/passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Diag d;
    diag_init(&d, "fuzz.onnx");
    Graph *g = onnx_load_buffer(data, size, "fuzz.onnx", NULL, 0, &d);
    if (g) {
        if (ir_infer(g, &d) == 0 && pass_control(g, 0, &d) == 0) {
            int64_t flops = 0;
            for (NodeId n = 0; n < g->nnode; n++)
                flops = ir_count_add(flops, ir_node_flops(g, &g->node[n]));
            (void)flops;
            IR_ASSERT(ir_verify(g, &d) == 0);
        }
        ir_graph_free(g);
    }
    /* a failure must leave a message behind */
    if (d.nerr)
        IR_ASSERT(d.msg[0] != 0);
    return 0;
}
