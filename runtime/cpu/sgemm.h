/*
 * sgemm.h: hetc's own f32 GEMM on packed operands, for the products whose left operand is a
 * constant (convolution weights): C [m, n] (+)= A [m, k] B [k, n], with the bias and the fused
 * activation applied while each tile of C is still in registers.
 *
 * A is packed once (kept with rt_derived) into panels of SG_MR rows; B, a block of at most SG_KC
 * rows at a time, is read in place. Tiles of C are SG_MR rows by up to SG_NR columns, sized by
 * the widest vector the build targets (AVX-512: 8 x 48; AVX2: 4 x 24; SSE2: 4 x 12).
 */
#pragma once
#include "act_impl.h"

#if defined(__AVX512F__)
enum { SG_VL = 16, SG_MR = 8 };
#elif defined(__AVX__)
enum { SG_VL = 8, SG_MR = 4 };
#else
/* SSE2: vectors of one xmm; wider ones gcc would lower piece by piece through memory */
enum { SG_VL = 4, SG_MR = 4 };
#endif
enum {
    SG_NV = 3,                  /* vectors per row of a tile */
    SG_NR = SG_NV * SG_VL,      /* columns of a full tile */
    SG_KC = 256,                /* rows of B per block of K */
};

/* Floats of A [m, k] packed: whole panels of SG_MR rows. */
int64_t sg_packed_a_size(int64_t m, int64_t k);

/* Packs A [m, k] (row-major, leading dimension lda) into dst: panel p holds, for each kk, the
 * SG_MR values A[p * SG_MR + i][kk], zero past row m. */
void sg_pack_a(float *dst, const float *a, int64_t lda, int64_t m, int64_t k);

/*
 * The product of one block of K: C rows [m0, m1) and columns [0, nc) (c points at column 0 of
 * row 0, leading dimension ldc) get A rows [m0, m1) x K rows [k0, k0 + kc) x B. ap is A packed
 * whole with k columns; m0 is a multiple of SG_MR. B has kc rows of nc contiguous floats, row kk
 * at b + boff[kk] (a row-major matrix: boff[kk] = kk * ldb). first: C is overwritten, else added
 * to.
 * last: then bias[row] (bias NULL: none) is added and the activation f applied.
 */
void sg_block(const float *ap, int64_t k, int64_t k0, int64_t kc, const float *b,
              const int64_t *boff, int64_t nc, float *c, int64_t ldc, int64_t m0, int64_t m1, int first, int last,
              const float *bias, const Fused *f);
