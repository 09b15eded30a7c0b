/* main.c: links the one-header translation units; compiling them is the test (and checksum_h.c
 * checks its header's streaming sum, utf8_h.c its decoder and JSON strings). */
#include <stdio.h>

extern int attr_h_compiles, ir_h_compiles, opkind_h_compiles, onnx_h_compiles, checksum_h_compiles,
    utf8_h_compiles;

int
main(void)
{
    int ok = attr_h_compiles + ir_h_compiles + opkind_h_compiles + onnx_h_compiles +
                 checksum_h_compiles + utf8_h_compiles ==
             6;
    printf("%d passed, %d failed\n", ok ? 6 : 0, ok ? 0 : 6);
    return ok ? 0 : 1;
}
