/*
 * fold_kernel.h: between the two halves of test_fold_kernel (fold_kernel_ir.c folds, the test
 * runs the CPU kernel). Only attr.h and opkind.h types cross.
 */
#pragma once

#include <stdint.h>

/* Folds op (attributes act) on the n elements at `in` of dtype dt, a constant of shape [n], into
 * `out`: 0, or -1 when the node did not fold. */
int fk_fold(OpKind op, const ActAttr *act, DType dt, const void *in, int64_t n, void *out);
