/*
 * sgemm.c: the packed GEMM of sgemm.h.
 *
 * A tile of C, SG_MR rows by up to SG_NV vectors, lives in registers for a whole block of K: each
 * step broadcasts the SG_MR values of A's panel and multiplies them into the row of B's panel.
 * The tile is written in GCC's vector extension, so one source serves every x86 level (and any
 * other target): the compiler lowers a vector of SG_VL floats to one zmm with AVX-512, to ymm
 * with AVX2. sg_block walks A's panels in the outer loop (one panel, kc * SG_MR floats, stays in
 * L1) and B's panels in the inner loop (the packed block streams from L2).
 *
 * B is read in place: row kk of a block starts at b + boff[kk], which serves a row-major matrix
 * and the shifted views of an image that make up a stride-1 convolution alike. Its columns are covered by whole vectors; the last nc % SG_VL
 * columns go through tail tiles, where the vectors run down A's panels instead. A tile whose
 * rows run past A's last row computes on a copy in a local buffer and copies back its rows.
 */
#include "sgemm.h"

#include <string.h>

typedef float vf __attribute__((vector_size(SG_VL * sizeof(float))));
typedef float vfu __attribute__((vector_size(SG_VL * sizeof(float)), aligned(4), may_alias));
typedef int32_t vi __attribute__((vector_size(SG_VL * sizeof(float))));
/* a column of one A panel: SG_MR rows */
typedef float vm __attribute__((vector_size(SG_MR * sizeof(float))));
typedef float vmu __attribute__((vector_size(SG_MR * sizeof(float)), aligned(4), may_alias));
typedef int32_t vmi __attribute__((vector_size(SG_MR * sizeof(float))));

int64_t
sg_packed_a_size(int64_t m, int64_t k)
{
    return (m + SG_MR - 1) / SG_MR * SG_MR * k;
}

void
sg_pack_a(float *dst, const float *a, int64_t lda, int64_t m, int64_t k)
{
    for (int64_t p = 0; p < m; p += SG_MR) {
        int64_t mr = m - p < SG_MR ? m - p : SG_MR;
        for (int64_t i = 0; i < SG_MR; i++) {
            const float *row = a + (p + i) * lda;
            float *d = dst + i;
            if (i < mr) {
                for (int64_t kk = 0; kk < k; kk++)
                    d[kk * SG_MR] = row[kk];
            } else {
                for (int64_t kk = 0; kk < k; kk++)
                    d[kk * SG_MR] = 0.0f;
            }
        }
        dst += SG_MR * k;
    }
}

enum { TAIL_MAX = 4 }; /* last columns, fewer than a vector, that go through tail tiles */

/* The fused activation as a tile's epilogue applies it: inline for the cheap ones. */
typedef struct Epi {
    const float *bias;          /* SG_MR values, or NULL */
    const Fused *f;
    int inl;                    /* 0 none, 1 ReLU, 2 Clip, 3 cpu_act_apply after the store */
} Epi;

static inline vf
vsel(vi m, vf a, vf b)
{
    return (vf)(((vi)a & m) | ((vi)b & ~m));
}

/*
 * One full tile: C [SG_MR, nv * SG_VL] (leading dimension ldc) = (first ? 0 : C) + the product
 * of kc steps of the panels a and b, then on the last block the epilogue e.
 */
static inline __attribute__((always_inline)) void
tile(int nv, int64_t kc, const float *restrict a, const float *restrict b,
     const int64_t *restrict boff, float *restrict c, int64_t ldc, int first, const Epi *e,
     const float *pf)
{
    vf acc[SG_MR][SG_NV];
    for (int i = 0; i < SG_MR; i++)
        for (int v = 0; v < nv; v++)
            acc[i][v] = (vf){0};
    if (!first)
        for (int i = 0; i < SG_MR; i++)
            for (int v = 0; v < nv; v++)
                acc[i][v] = *(const vfu *)(c + i * ldc + v * SG_VL);
    for (int64_t kk = 0; kk < kc; kk++) {
        vf bv[SG_NV];
        const float *brow = b + boff[kk];
        __builtin_prefetch(pf + kk * SG_MR); /* the next panel of A, from memory */
        for (int v = 0; v < nv; v++)
            bv[v] = *(const vfu *)(brow + v * SG_VL);
        for (int i = 0; i < SG_MR; i++) {
            float ai = a[i];
            for (int v = 0; v < nv; v++)
                acc[i][v] += ai * bv[v];
        }
        a += SG_MR;
    }
    if (e) {
        for (int i = 0; i < SG_MR; i++) {
            float bi = e->bias ? e->bias[i] : 0.0f;
            for (int v = 0; v < nv; v++) {
                vf x = acc[i][v] + bi;
                if (e->inl == 1) {
                    x = vsel(x > (vf){0}, x, (vf){0});
                } else if (e->inl == 2) {
                    vf lo = (vf){0} + e->f->alpha, hi = (vf){0} + e->f->beta;
                    x = vsel(x > lo, x, lo);
                    x = vsel(x < hi, x, hi);
                }
                acc[i][v] = x;
            }
        }
    }
    for (int i = 0; i < SG_MR; i++)
        for (int v = 0; v < nv; v++)
            *(vfu *)(c + i * ldc + v * SG_VL) = acc[i][v];
    if (e && e->inl == 3)
        for (int i = 0; i < SG_MR; i++)
            cpu_act_apply(e->f, c + i * ldc, nv * SG_VL, 0.0f);
}

/* tile() with nv as a constant, so that the compiler keeps the accumulators in registers. */
static void
tile_nv(int nv, int64_t kc, const float *a, const float *b, const int64_t *boff, float *c,
        int64_t ldc, int first, const Epi *e, const float *pf)
{
    switch (nv) {
    case 1: tile(1, kc, a, b, boff, c, ldc, first, e, pf); break;
    case 2: tile(2, kc, a, b, boff, c, ldc, first, e, pf); break;
    default: tile(SG_NV, kc, a, b, boff, c, ldc, first, e, pf); break;
    }
}

/* The epilogue of a tail tile: bias and activation on one column of rows that are lanes. */
static inline vm
tail_epi(vm x, const Epi *e)
{
    if (e->bias)
        x += *(const vmu *)e->bias;
    if (e->inl == 1) {
        vmi m = x > (vm){0};
        x = (vm)(((vmi)x & m));
    } else if (e->inl == 2) {
        vm lo = (vm){0} + e->f->alpha, hi = (vm){0} + e->f->beta;
        vmi m = x > lo;
        x = (vm)(((vmi)x & m) | ((vmi)lo & ~m));
        m = x < hi;
        x = (vm)(((vmi)x & m) | ((vmi)hi & ~m));
    }
    return x;
}

/*
 * The last nc % SG_VL columns, too few for a vector: here the vectors run down the rows, which
 * A's panels hold contiguously for each step. np (1 or 2) panels of A from a (the second at
 * a + pstride) by ncol (1 to 4) columns of B; rows [0, mr) of C are written.
 */
static inline __attribute__((always_inline)) void
tail_tile(int np, int ncol, int64_t kc, const float *restrict a, int64_t pstride,
          const float *restrict b, const int64_t *restrict boff, float *restrict c, int64_t ldc,
          int64_t mr, int first, const Epi *e)
{
    vm acc[2][4];
    for (int p = 0; p < np; p++)
        for (int j = 0; j < ncol; j++)
            acc[p][j] = (vm){0};
    for (int64_t kk = 0; kk < kc; kk++) {
        vm av[2];
        for (int p = 0; p < np; p++)
            av[p] = *(const vmu *)(a + p * pstride + kk * SG_MR);
        for (int j = 0; j < ncol; j++) {
            float bj = b[boff[kk] + j];
            for (int p = 0; p < np; p++)
                acc[p][j] += av[p] * bj;
        }
    }
    for (int p = 0; p < np; p++) {
        Epi ep = e ? *e : (Epi){NULL, NULL, 0};
        if (ep.bias)
            ep.bias += p * SG_MR;
        int64_t rows = mr - p * SG_MR < SG_MR ? mr - p * SG_MR : SG_MR;
        for (int j = 0; j < ncol; j++) {
            _Alignas(64) float col[SG_MR];
            vm x = acc[p][j];
            if (!first)
                for (int64_t i = 0; i < rows; i++)
                    x[i] += c[(p * SG_MR + i) * ldc + j];
            if (e)
                x = tail_epi(x, &ep);
            *(vmu *)col = x;
            if (e && ep.inl == 3)
                cpu_act_apply(ep.f, col, SG_MR, 0.0f);
            for (int64_t i = 0; i < rows; i++)
                c[(p * SG_MR + i) * ldc + j] = col[i];
        }
    }
}

/* tail_tile() with np and ncol as constants. */
static void
tail_np(int np, int ncol, int64_t kc, const float *a, int64_t pstride, const float *b,
        const int64_t *boff, float *c, int64_t ldc, int64_t mr, int first, const Epi *e)
{
#define TAIL(P, N) tail_tile(P, N, kc, a, pstride, b, boff, c, ldc, mr, first, e)
    switch ((np - 1) * 4 + ncol - 1) {
    case 0: TAIL(1, 1); break;
    case 1: TAIL(1, 2); break;
    case 2: TAIL(1, 3); break;
    case 3: TAIL(1, 4); break;
    case 4: TAIL(2, 1); break;
    case 5: TAIL(2, 2); break;
    case 6: TAIL(2, 3); break;
    default: TAIL(2, 4); break;
    }
#undef TAIL
}

/* A tile of mr <= SG_MR rows and valid <= nv * SG_VL columns at c: in place when whole, else
 * on a copy. */
static void
tile_at(int nv, int64_t kc, const float *a, const float *b, const int64_t *boff, float *c,
        int64_t ldc, int64_t mr, int64_t valid, int first, const Epi *e, const float *pf)
{
    if (mr == SG_MR && valid == nv * SG_VL) {
        tile_nv(nv, kc, a, b, boff, c, ldc, first, e, pf);
        return;
    }
    _Alignas(64) float t[SG_MR * SG_NR];
    memset(t, 0, sizeof t);
    if (!first)
        for (int64_t i = 0; i < mr; i++)
            memcpy(t + i * SG_NR, c + i * ldc, (size_t)valid * sizeof *t);
    tile_nv(nv, kc, a, b, boff, t, SG_NR, first, e, pf);
    for (int64_t i = 0; i < mr; i++)
        memcpy(c + i * ldc, t + i * SG_NR, (size_t)valid * sizeof *t);
}

void
sg_block(const float *ap, int64_t k, int64_t k0, int64_t kc, const float *b,
         const int64_t *boff, int64_t nc, float *c, int64_t ldc, int64_t m0, int64_t m1,
         int first, int last, const float *bias, const Fused *f)
{
    ActKind act = f ? f->act : ACT_NONE;
    int inl = act == ACT_NONE ? 0 : f->affine ? 3 : act == ACT_RELU ? 1 : act == ACT_CLIP ? 2 : 3;
    int64_t nvec = nc / SG_VL * SG_VL; /* columns the vector tiles read in place */
    int64_t ntail = nc - nvec;
    /* a tail of more than TAIL_MAX columns gets one more vector tile, on a zero-padded copy */
    _Alignas(64) float tb[SG_KC * SG_VL];
    int64_t toff[SG_KC];
    if (ntail > TAIL_MAX) {
        for (int64_t kk = 0; kk < kc; kk++) {
            memcpy(tb + kk * SG_VL, b + boff[kk] + nvec, (size_t)ntail * sizeof *tb);
            memset(tb + kk * SG_VL + ntail, 0, (size_t)(SG_VL - ntail) * sizeof *tb);
            toff[kk] = kk * SG_VL;
        }
    }
    for (int64_t i0 = m0; i0 < m1; i0 += SG_MR) {
        const float *a = ap + i0 * k + k0 * SG_MR; /* panel i0 / SG_MR, from step k0 */
        int64_t mr = m1 - i0 < SG_MR ? m1 - i0 : SG_MR;
        float bt[SG_MR] = {0};
        Epi e = {bias ? bias + i0 : NULL, f, inl};
        if (bias && mr < SG_MR) {
            memcpy(bt, bias + i0, (size_t)mr * sizeof *bt);
            e.bias = bt;
        }
        const Epi *ep = last ? &e : NULL;
        const float *pf = i0 + SG_MR < m1 ? a + SG_MR * k : a; /* the next panel */
        for (int64_t j = 0; j < nvec; j += SG_NR) {
            int64_t w = nvec - j < SG_NR ? nvec - j : SG_NR;
            tile_at((int)(w / SG_VL), kc, a, b + j, boff, c + i0 * ldc + j, ldc, mr, w, first,
                    ep, pf);
        }
        if (ntail > TAIL_MAX)
            tile_at(1, kc, a, tb, toff, c + i0 * ldc + nvec, ldc, mr, ntail, first, ep, pf);
    }
    if (ntail == 0 || ntail > TAIL_MAX)
        return;
    for (int64_t i0 = m0; i0 < m1; i0 += 2 * SG_MR) {
        int np = m1 - i0 > SG_MR ? 2 : 1;
        int64_t mr = m1 - i0 < 2 * SG_MR ? m1 - i0 : 2 * SG_MR;
        float bt[2 * SG_MR] = {0};
        if (bias)
            memcpy(bt, bias + i0, (size_t)mr * sizeof *bt);
        Epi e = {bias ? bt : NULL, f, inl};
        for (int64_t j = nvec; j < nc; j += 4) {
            int ncol = nc - j < 4 ? (int)(nc - j) : 4;
            tail_np(np, ncol, kc, ap + i0 * k + k0 * SG_MR, SG_MR * k, b + j, boff,
                    c + i0 * ldc + j, ldc, mr, first, last ? &e : NULL);
        }
    }
}
