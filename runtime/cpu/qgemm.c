/*
 * qgemm.c: the exact integer GEMM of qgemm.h.
 *
 * A tile of C, QG_MR rows by one Q panel (QG_NV vectors of int32 at most), lives in registers
 * for the whole of K: each step broadcasts the 4-byte group of each of the panel's P rows and
 * multiplies it into the panel's vectors of Q, with vpdpbusd (AVX-512 VNNI: 4 byte products a
 * lane) or pmaddwd (2 int16 products a lane: SSE2 at the x86-64 baseline, plain C on other
 * targets). The raw
 * sums go to a local block, and the zero points' corrections are applied on the way to C, in
 * uint32 (they may wrap; the result, which fits int32 as the compiler bounds K, is then exact).
 * The tiles are spread over the threads, those of one Q panel next to each other, so that the
 * panel is read from cache by every P panel after the first.
 *
 * The raw sums never overflow: K <= 33025 (ir/shape_quant.c), |p q| <= 255 * 128 for VNNI's
 * bytes and 255 * 255 for int16 (packed values are the 8-bit inputs, unshifted), so |sum| < 2^31.
 */
#include "qgemm.h"

#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

void
cpu_qg_format(QgFormat *f)
{
    f->vnni = 0;
#if defined(__AVX512F__) && (defined(__x86_64__) || defined(__i386__))
    /* -1: not yet asked; every thread that races here finds the same */
    static _Atomic int have = -1;
    int h = atomic_load_explicit(&have, memory_order_relaxed);
    if (h < 0) {
        const char *e = getenv("HETC_VNNI");
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx512vnni") && !(e && strcmp(e, "0") == 0);
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    f->vnni = h;
#endif
    f->kg = f->vnni ? 4 : 2;
    f->esz = f->vnni ? 1 : 2;
}

void
cpu_qg_sides(const QgFormat *f, DType act, DType wt, QgSide *as, QgSide *ws)
{
    (void)f;
    *as = (QgSide){act == DT_U8, 0};
    *ws = (QgSide){wt == DT_U8, 0};
    if (act == DT_U8) {
        ws->unsig = 0;
        ws->shift = wt == DT_U8 ? 128 : 0;
    } else if (wt != DT_U8) {
        as->unsig = 1;
        as->shift = -128;
    }
}

/* ---- packing --------------------------------------------------------------------------------- */

/* Row r of P from contiguous values (pack_p's kmap NULL): whole groups as 32-bit words. */
static int32_t
pack_row_flat(const QgFormat *f, const QgSide *side, uint8_t *d, const void *src, DType dt,
              int64_t k, int64_t ng)
{
    int32_t s = 0;
    int64_t whole = k / f->kg;
    if (f->esz == 1) {
        /* x - shift of a byte is x ^ 0x80 for a shift of +-128 */
        uint32_t flip = side->shift ? 0x80808080u : 0;
        const uint8_t *x = src;
        for (int64_t g = 0; g < whole; g++) {
            uint32_t v;
            memcpy(&v, x + g * 4, 4);
            v ^= flip;
            memcpy(d + g * QG_MR * 4, &v, 4);
        }
        if (side->unsig)
            for (int64_t i = 0; i < whole * 4; i++)
                s += (uint8_t)(x[i] ^ (uint8_t)flip);
        else
            for (int64_t i = 0; i < whole * 4; i++)
                s += (int8_t)(x[i] ^ (uint8_t)flip);
    } else {
        for (int64_t g = 0; g < whole; g++) {
            int32_t a = qg_load8(src, dt, 2 * g) - side->shift;
            int32_t b = qg_load8(src, dt, 2 * g + 1) - side->shift;
            uint32_t v = (uint32_t)(uint16_t)a | (uint32_t)b << 16;
            memcpy(d + g * QG_MR * 4, &v, 4);
            s += a + b;
        }
    }
    /* the last group, partly past k */
    for (int64_t g = whole; g < ng; g++)
        for (int e = 0; e < f->kg; e++) {
            int64_t kk = g * f->kg + e;
            int32_t v = kk < k ? qg_load8(src, dt, kk) - side->shift : 0;
            qg_put(f, d + g * QG_MR * 4, e * f->esz, v);
            s += v;
        }
    return s;
}

/* Rows [r0, r1) (whole panels, all real) of contiguous bytes: a panel's groups are written in
 * order, each the 32-bit word of one row at k = 4 g, flipped by 0x80 for a shift of +-128. */
static void
pack_panels_bytes(const QgSide *side, uint8_t *dst, const uint8_t *src, int64_t rs, int64_t k,
                  int64_t ng, int64_t r0, int64_t r1)
{
    uint32_t flip = side->shift ? 0x80808080u : 0;
    for (int64_t r = r0; r < r1; r += QG_MR) {
        uint32_t *d = (uint32_t *)(dst + r * ng * 4);
        const uint8_t *x = src + r * rs;
        for (int64_t g = 0; g < k / 4; g++, d += QG_MR)
            for (int i = 0; i < QG_MR; i++) {
                uint32_t v;
                memcpy(&v, x + i * rs + g * 4, 4);
                d[i] = v ^ flip;
            }
    }
}

void
cpu_qg_pack_p(const QgFormat *f, const QgSide *side, void *dst, const void *src, DType dt,
              int64_t rows, int64_t rs, const int64_t *kmap, int64_t k, int64_t kp, int32_t *sums,
              int64_t r0, int64_t r1)
{
    int64_t ng = kp / f->kg;
    if (!kmap && f->esz == 1 && !sums && k % 4 == 0) {
        int64_t whole = r1 < rows ? r1 : rows / QG_MR * QG_MR;
        if (whole > r0) {
            pack_panels_bytes(side, dst, src, rs, k, ng, r0, whole);
            r0 = whole;
        }
    }
    for (int64_t r = r0; r < r1; r++) {
        uint8_t *d = (uint8_t *)dst + (r / QG_MR * ng * QG_MR + r % QG_MR) * 4;
        if (r >= rows) {
            for (int64_t g = 0; g < ng; g++)
                memset(d + g * QG_MR * 4, 0, 4);
            continue;
        }
        int32_t s = 0;
        if (!kmap) {
            s = pack_row_flat(f, side, d, (const int8_t *)src + r * rs, dt, k, ng);
        } else {
            const int64_t *km = kmap;
            for (int64_t g = 0; g < ng; g++, d += QG_MR * 4)
                for (int e = 0; e < f->kg; e++, km++) {
                    int32_t v = *km < 0 ? 0 : qg_load8(src, dt, r * rs + *km) - side->shift;
                    qg_put(f, d, e * f->esz, v);
                    s += v;
                }
        }
        if (sums)
            sums[r] = s;
    }
}

void
cpu_qg_pack_q(const QgFormat *f, const QgSide *side, void *dst, const void *src, DType dt,
              int64_t cols, int64_t js, const int64_t *kmap, int64_t kp, int32_t *sums, int64_t j0,
              int64_t j1)
{
    int64_t qc = qg_qcols(cols), ng = kp / f->kg;
    for (int64_t j = j0; j < j1; j++) {
        int64_t p0 = j / QG_NR * QG_NR, w = qc - p0 < QG_NR ? qc - p0 : QG_NR;
        uint8_t *d = (uint8_t *)dst + p0 * kp * f->esz + (j - p0) * 4;
        const int64_t *km = kmap;
        int32_t s = 0;
        for (int64_t g = 0; g < ng; g++, d += w * 4)
            for (int e = 0; e < f->kg; e++, km++) {
                int32_t v =
                    j >= cols || *km < 0 ? 0 : qg_load8(src, dt, j * js + *km) - side->shift;
                qg_put(f, d, e * f->esz, v);
                s += v;
            }
        if (sums && j < cols)
            sums[j] = s;
    }
}

void
cpu_qg_sum_q(const QgFormat *f, const QgSide *side, const void *q, int64_t kp, int64_t cols,
             int32_t *sums, int64_t j0, int64_t j1)
{
    int64_t qc = qg_qcols(cols), ng = kp / f->kg;
    for (int64_t j = j0; j < j1 && j < cols; j++) {
        int64_t p0 = j / QG_NR * QG_NR, w = qc - p0 < QG_NR ? qc - p0 : QG_NR;
        const uint8_t *d = (const uint8_t *)q + p0 * kp * f->esz + (j - p0) * 4;
        int32_t s = 0;
        for (int64_t g = 0; g < ng; g++, d += w * 4) {
            if (f->esz == 2) {
                int16_t h[2];
                memcpy(h, d, 4);
                s += h[0] + h[1];
            } else if (side->unsig) {
                s += d[0] + d[1] + d[2] + d[3];
            } else {
                s += (int8_t)d[0] + (int8_t)d[1] + (int8_t)d[2] + (int8_t)d[3];
            }
        }
        sums[j] = s;
    }
}

/* ---- the tiles ------------------------------------------------------------------------------- */

typedef int32_t vi __attribute__((vector_size(QG_VL * 4)));
typedef int32_t viu __attribute__((vector_size(QG_VL * 4), aligned(4), may_alias));
typedef int16_t vh __attribute__((vector_size(QG_VL * 4)));

/* Lane l: the products of int16 halves 2l and 2l + 1 of a and b, added (pmaddwd). */
static inline vi
madd16(vi a, vi b)
{
#if defined(__AVX512BW__)
    return (vi)_mm512_madd_epi16((__m512i)a, (__m512i)b);
#elif defined(__AVX2__)
    return (vi)_mm256_madd_epi16((__m256i)a, (__m256i)b);
#elif defined(__SSE2__)
    return (vi)_mm_madd_epi16((__m128i)a, (__m128i)b);
#else
    /* other targets: plain C, which gcc leaves scalar on x86 */
    vh x = (vh)a, y = (vh)b;
    vi r;
    for (int l = 0; l < QG_VL; l++)
        r[l] = x[2 * l] * y[2 * l] + x[2 * l + 1] * y[2 * l + 1];
    return r;
#endif
}

/* The 4-byte group of a P row, in every lane. */
static inline vi
bcast(const uint8_t *p)
{
    int32_t a;
    memcpy(&a, p, 4);
    return (vi){0} + a;
}

/*
 * The raw products of an int16 tile: t [QG_MR, nv * QG_VL] (row stride QG_NR) = P panel p by Q
 * panel q (w columns wide) over ng groups of 2 k.
 */
static inline __attribute__((always_inline)) void
tile16(int nv, int64_t ng, const uint8_t *restrict p, const uint8_t *restrict q, int64_t w,
       int32_t *restrict t)
{
    vi acc[QG_MR][QG_NV];
    for (int i = 0; i < QG_MR; i++)
        for (int v = 0; v < nv; v++)
            acc[i][v] = (vi){0};
    for (int64_t g = 0; g < ng; g++) {
        vi qv[QG_NV];
        for (int v = 0; v < nv; v++)
            qv[v] = *(const viu *)(q + (g * w + v * QG_VL) * 4);
        for (int i = 0; i < QG_MR; i++) {
            vi a = bcast(p + (g * QG_MR + i) * 4);
            for (int v = 0; v < nv; v++)
                acc[i][v] += madd16(a, qv[v]);
        }
    }
    for (int i = 0; i < QG_MR; i++)
        for (int v = 0; v < nv; v++)
            *(viu *)(t + i * QG_NR + v * QG_VL) = acc[i][v];
}

/* tile16 with nv a constant, so that the accumulators stay in registers. */
static void
tile16_nv(int nv, int64_t ng, const uint8_t *p, const uint8_t *q, int64_t w, int32_t *t)
{
    switch (nv) {
    case 1: tile16(1, ng, p, q, w, t); break;
    case 2: tile16(2, ng, p, q, w, t); break;
    default: tile16(QG_NV, ng, p, q, w, t); break;
    }
}

#if defined(__AVX512F__) && (defined(__x86_64__) || defined(__i386__))
#define HAVE_VNNI_TILE 1
/* The same with vpdpbusd on 4 bytes a lane: pu says whether P's bytes are the unsigned ones. */
static inline __attribute__((always_inline, target("avx512vnni"))) void
tile8(int nv, int pu, int64_t ng, const uint8_t *restrict p, const uint8_t *restrict q, int64_t w,
      int32_t *restrict t)
{
    vi acc[QG_MR][QG_NV];
    for (int i = 0; i < QG_MR; i++)
        for (int v = 0; v < nv; v++)
            acc[i][v] = (vi){0};
    for (int64_t g = 0; g < ng; g++) {
        vi qv[QG_NV];
        for (int v = 0; v < nv; v++)
            qv[v] = *(const viu *)(q + (g * w + v * QG_VL) * 4);
        for (int i = 0; i < QG_MR; i++) {
            vi a = bcast(p + (g * QG_MR + i) * 4);
            for (int v = 0; v < nv; v++)
                acc[i][v] =
                    pu ? (vi)_mm512_dpbusd_epi32((__m512i)acc[i][v], (__m512i)a, (__m512i)qv[v])
                       : (vi)_mm512_dpbusd_epi32((__m512i)acc[i][v], (__m512i)qv[v], (__m512i)a);
        }
    }
    for (int i = 0; i < QG_MR; i++)
        for (int v = 0; v < nv; v++)
            *(viu *)(t + i * QG_NR + v * QG_VL) = acc[i][v];
}

static __attribute__((target("avx512vnni"))) void
tile8_nv(int nv, int pu, int64_t ng, const uint8_t *p, const uint8_t *q, int64_t w, int32_t *t)
{
    switch (nv * 2 + pu) {
    case 2: tile8(1, 0, ng, p, q, w, t); break;
    case 3: tile8(1, 1, ng, p, q, w, t); break;
    case 4: tile8(2, 0, ng, p, q, w, t); break;
    case 5: tile8(2, 1, ng, p, q, w, t); break;
    case 6: tile8(3, 0, ng, p, q, w, t); break;
    default: tile8(3, 1, ng, p, q, w, t); break;
    }
}
#endif

/* Rows [i0, i0 + mr) and columns [j0, j0 + nc) of C from the raw tile t, less the zero points'
 * corrections (qgemm.h), in uint32. */
static void
store(const QgGemm *g, const int32_t *t, int64_t i0, int64_t j0, int64_t mr, int64_t nc)
{
    const int32_t *zq = g->zq ? g->zq + j0 : NULL, *sq = g->zp ? g->sq + j0 : NULL;
    uint32_t k = (uint32_t)g->k;
    for (int64_t i = 0; i < mr; i++) {
        const int32_t *ti = t + i * QG_NR;
        int32_t *ci = g->c + (i0 + i) * g->ldc + j0;
        uint32_t zpi = g->zp ? (uint32_t)g->zp[i0 + i] : 0;
        uint32_t spi = g->zq ? (uint32_t)g->sp[i0 + i] : 0;
        if (zq && sq) {
            for (int64_t j = 0; j < nc; j++)
                ci[j] = (int32_t)((uint32_t)ti[j] - (uint32_t)zq[j] * spi -
                                  zpi * ((uint32_t)sq[j] - k * (uint32_t)zq[j]));
        } else if (zq && g->zq_one) {
            uint32_t r = (uint32_t)zq[0] * spi; /* one zero point: one correction a row */
            for (int64_t j = 0; j < nc; j++)
                ci[j] = (int32_t)((uint32_t)ti[j] - r);
        } else if (zq) {
            for (int64_t j = 0; j < nc; j++)
                ci[j] = (int32_t)((uint32_t)ti[j] - (uint32_t)zq[j] * spi);
        } else if (sq) {
            for (int64_t j = 0; j < nc; j++)
                ci[j] = (int32_t)((uint32_t)ti[j] - zpi * (uint32_t)sq[j]);
        } else {
            memcpy(ci, ti, (size_t)nc * sizeof *ci);
        }
    }
}

/* Tiles [b, e): tile it is P panel it % (P's panels) by Q panel it / (P's panels). */
static void
run_range(void *arg, int64_t b, int64_t e)
{
    const QgGemm *g = arg;
    int64_t nrp = qg_prows(g->m) / QG_MR, qc = qg_qcols(g->n), ng = g->kp / g->f.kg;
    _Alignas(64) int32_t t[QG_MR * QG_NR];
    for (int64_t it = b; it < e; it++) {
        int64_t j0 = it / nrp * QG_NR, i0 = it % nrp * QG_MR;
        int64_t w = qc - j0 < QG_NR ? qc - j0 : QG_NR;
        const uint8_t *pp = (const uint8_t *)g->p + i0 * g->kp * g->f.esz;
        const uint8_t *qp = (const uint8_t *)g->q + j0 * g->kp * g->f.esz;
#ifdef HAVE_VNNI_TILE
        if (g->f.vnni)
            tile8_nv((int)(w / QG_VL), g->p_unsig, ng, pp, qp, w, t);
        else
#endif
            tile16_nv((int)(w / QG_VL), ng, pp, qp, w, t);
        store(g, t, i0, j0, g->m - i0 < QG_MR ? g->m - i0 : QG_MR, g->n - j0 < w ? g->n - j0 : w);
    }
}

void
cpu_qg_run(RtCtx *ctx, const QgGemm *g)
{
    if (g->m <= 0 || g->n <= 0)
        return;
    int64_t nrp = qg_prows(g->m) / QG_MR, ncp = (qg_qcols(g->n) + QG_NR - 1) / QG_NR;
    /* about 2^18 multiply-adds at least per chunk of tiles: a smaller product stays on one */
    int64_t per = QG_MR * QG_NR * (g->kp > 0 ? g->kp : 1), grain = ((int64_t)1 << 18) / per;
    rt_parallel_for(ctx, nrp * ncp, grain > 1 ? grain : 1, run_range, (void *)g);
}
