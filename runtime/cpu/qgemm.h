/*
 * qgemm.h: hetc's exact integer GEMM (qgemm.c), what MatMulInteger and ConvInteger (quant.c)
 * run on: C [m, n] = sum over k of (P[i][k] - zp[i]) * (Q[k][j] - zq[j]) in int32, P and Q int8
 * or uint8, zero points per row of P and per column of Q.
 *
 * Both operands are packed first. P (the rows, broadcast a 32-bit group at a time) into panels
 * of QG_MR rows, Q (the columns, loaded as whole vectors) into panels of up to QG_NR columns;
 * within a panel, the 4 bytes of one row or column at one group of k are adjacent. A group holds
 * 4 values of k as bytes where the CPU has AVX-512 VNNI (vpdpbusd multiplies 4 unsigned by 4
 * signed bytes into each int32 lane), else 2 as int16 (pmaddwd, exact on every int16 input but
 * -32768 twice). vpdpbusd wants one operand unsigned and the other signed: each side is packed as
 * x - shift (a shift of 0 or +-128, by dtype), and the zero points left over (zero point -
 * shift) are applied after the products through the sums of each packed row and column:
 * sum (p - zp)(q - zq) = sum pq - zq * sum p - zp * (sum q - K zq).
 */
#pragma once

#include "rt_backend.h"

#include <string.h>

#if defined(__AVX512F__)
enum { QG_VL = 16, QG_MR = 8, QG_NV = 3 };
#elif defined(__AVX2__)
enum { QG_VL = 8, QG_MR = 4, QG_NV = 2 };
#else
enum { QG_VL = 4, QG_MR = 4, QG_NV = 2 };
#endif
enum { QG_NR = QG_VL * QG_NV };  /* columns of a full Q panel */

/* The packed form this build and CPU use. */
typedef struct QgFormat {
    int vnni;                   /* 1: bytes, 4 k a group (vpdpbusd); 0: int16, 2 k a group */
    int kg;                     /* values of k in a 4-byte group: 4 or 2 */
    int esz;                    /* bytes of a packed value: 1 or 2 */
} QgFormat;

/* How one operand is packed: x is stored as x - shift, unsigned (0..255) or signed. */
typedef struct QgSide {
    int unsig;
    int32_t shift;
} QgSide;

/* The format of this build: VNNI in the AVX-512 build where the CPU has it and HETC_VNNI is not
 * 0 (never in the lower builds, so HETC_CPU=avx2 or baseline never runs it). */
void cpu_qg_format(QgFormat *f);

/* How the activation (act) and weight (wt) operands of a product are packed in format f: the
 * activation unsigned where either can be, a dtype shifted only where both share it (the
 * activation of two int8s, the weights of two uint8s). int16 holds either form; it is packed
 * the same way so that the usual zero points (uint8 weights at 128) leave none to correct. */
void cpu_qg_sides(const QgFormat *f, DType act, DType wt, QgSide *as, QgSide *ws);

/* k rounded up to whole groups. */
static inline int64_t
qg_kpad(const QgFormat *f, int64_t k)
{
    return (k + f->kg - 1) / f->kg * f->kg;
}

/* Columns of a packed Q of n columns: panels of QG_NR, the last one of whole vectors. */
static inline int64_t
qg_qcols(int64_t n)
{
    return (n + QG_VL - 1) / QG_VL * QG_VL;
}

/* Rows of a packed P of m rows: whole panels. */
static inline int64_t
qg_prows(int64_t m)
{
    return (m + QG_MR - 1) / QG_MR * QG_MR;
}

/* Element i of int8 or uint8 data. */
static inline int32_t
qg_load8(const void *p, DType t, int64_t i)
{
    return t == DT_U8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}

/* Stores x - shift as a packed value of f at byte offset off of dst. */
static inline void
qg_put(const QgFormat *f, void *dst, int64_t off, int32_t v)
{
    if (f->esz == 1)
        ((uint8_t *)dst)[off] = (uint8_t)(v & 0xff);
    else
        memcpy((uint8_t *)dst + off, &(int16_t){(int16_t)v}, 2);
}

/*
 * Packs rows [r0, r1) of P (r1 <= qg_prows(rows)) into dst, which holds qg_prows(rows) rows of
 * kp values. Value i of row r is src[r * rs + kmap[i]] - side shift, 0 where kmap[i] < 0 or r >=
 * rows; kmap NULL: src[r * rs + i] for i < k (the fast case, fastest without sums and with k a
 * multiple of 4). sums (NULL: none) gets each real row's sum of packed values.
 */
void cpu_qg_pack_p(const QgFormat *f, const QgSide *side, void *dst, const void *src, DType dt,
                   int64_t rows, int64_t rs, const int64_t *kmap, int64_t k, int64_t kp,
                   int32_t *sums, int64_t r0, int64_t r1);

/*
 * Packs columns [j0, j1) of Q (j0 a multiple of QG_NR, j1 <= qg_qcols(cols)) into dst, which
 * holds qg_qcols(cols) columns of kp values. Value k of column j is src[j * js + kmap[k]] - side
 * shift, 0 where kmap[k] < 0 or j >= cols. sums as cpu_qg_pack_p's.
 */
void cpu_qg_pack_q(const QgFormat *f, const QgSide *side, void *dst, const void *src, DType dt,
                   int64_t cols, int64_t js, const int64_t *kmap, int64_t kp, int32_t *sums,
                   int64_t j0, int64_t j1);

/* Sums of packed Q columns [j0, j1) (dst as cpu_qg_pack_q filled it) into sums[j0 ...]. */
void cpu_qg_sum_q(const QgFormat *f, const QgSide *side, const void *q, int64_t kp, int64_t cols,
                  int32_t *sums, int64_t j0, int64_t j1);

/* A product over packed operands. zp and zq are the zero points left after the shifts; sp is
 * needed where zq is given, sq where zp is. */
typedef struct QgGemm {
    QgFormat f;
    int p_unsig;                /* VNNI: P holds the unsigned bytes (else Q does) */
    const void *p, *q;          /* packed by cpu_qg_pack_p, cpu_qg_pack_q */
    int64_t m, n, kp, k;        /* k: the real K, for the correction */
    int32_t *c;                 /* C [i * ldc + j] for i < m, j < n */
    int64_t ldc;
    const int32_t *zp, *sp;     /* per row of P: zero point (NULL: all 0), sum of packed values */
    const int32_t *zq, *sq;     /* per column of Q: the same */
    int zq_one;                 /* 1: zq holds one value for every column */
} QgGemm;

/* Runs g over the context's threads (tiles of QG_MR rows by one Q panel). */
void cpu_qg_run(RtCtx *ctx, const QgGemm *g);
