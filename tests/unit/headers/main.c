/* main.c: links the one-header translation units; compiling them is the test. */
#include <stdio.h>

extern int ir_h_compiles, opkind_h_compiles, onnx_h_compiles;

int
main(void)
{
    int ok = ir_h_compiles + opkind_h_compiles + onnx_h_compiles == 3;
    printf("%d passed, %d failed\n", ok ? 3 : 0, ok ? 0 : 3);
    return ok ? 0 : 1;
}
