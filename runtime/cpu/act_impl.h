/*
 * act_impl.h: the activations that the compiler fuses into Conv, ConvTranspose and Gemm
 * (ir/attr.h, Fused), applied by those kernels to each block of output while it is in cache, and
 * the parallel GEMM the kernels share (gemm.c).
 */
#pragma once

#include "rt_backend.h"

/* y[i] = act(y[i] + bias) for i in [0, n); f NULL or ACT_NONE adds the bias only. */
void cpu_act_apply(const Fused *f, float *y, int64_t n, float bias);

/* 1 when f changes its input (an activation other than ACT_NONE). */
static inline int
cpu_act_any(const Fused *f)
{
    return f && f->act != ACT_NONE;
}

/*
 * C [m, n] = alpha * op(A) op(B) + beta * C, row-major with leading dimensions, then
 * act(C + bias[row]) on each row (bias NULL: none; f NULL: no activation). Large products are
 * split into blocks of rows or columns over the context's threads, each one single-threaded
 * OpenBLAS call followed by its epilogue.
 */
void cpu_sgemm_par(RtCtx *ctx, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc, const float *bias, const Fused *f);
