/* main.c: links the one-header translation units; compiling them is the test. */
#include <stdio.h>

extern int attr_h_compiles, ir_h_compiles, opkind_h_compiles, onnx_h_compiles;

int
main(void)
{
    int ok = attr_h_compiles + ir_h_compiles + opkind_h_compiles + onnx_h_compiles == 4;
    printf("%d passed, %d failed\n", ok ? 4 : 0, ok ? 0 : 4);
    return ok ? 0 : 1;
}
