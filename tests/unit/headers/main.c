/* main.c: links the one-header translation units; compiling them is the test (and checksum_h.c
 * checks its header's streaming sum). */
#include <stdio.h>

extern int attr_h_compiles, ir_h_compiles, opkind_h_compiles, onnx_h_compiles, checksum_h_compiles;

int
main(void)
{
    int ok = attr_h_compiles + ir_h_compiles + opkind_h_compiles + onnx_h_compiles +
                 checksum_h_compiles ==
             5;
    printf("%d passed, %d failed\n", ok ? 5 : 0, ok ? 0 : 5);
    return ok ? 0 : 1;
}
