/*
 * gemm.cl: C[M,N] = act(alpha A[M,K] B[K,N] + beta E[M,N]) in float32, of any sizes, for a batch
 * of such products (the third dimension of the range). Each operand starts at an element offset
 * into its buffer and has its own strides: A's element (i, k) is A[i * sam + k * sak] (so a
 * transposed A is only other strides), rows of B and C lie ldb and ldc floats apart, and E is
 * read at E[i * sei + j * sej], where a stride of 0 repeats a row or a column (a bias per row, a
 * broadcast Gemm C). The epilogue (alpha, E, the fused activation of ir/attr.h) is applied once,
 * as the block is stored; a plain product stores its accumulators as they are.
 *
 * A work-group computes a TM x TN tile of C; each of its work-items computes a WM x WN block of
 * that tile in registers, as WM rows of NV vectors of VW floats (WN = NV * VW). One step over k
 * then costs NV vector loads of B, WM scalar loads of A and WM * NV vector multiply-adds. The
 * sizes come as -D options, chosen per device by timing a few candidates (runtime/opencl/gemm.c).
 *
 * Two kernels share the blocking:
 *  - sgemm_local stages TK-deep slices of A and B in local memory, each slice loaded by the whole
 *    work-group, as GPUs want. Compilers that run a work-group as loops over its work-items
 *    (PoCL on a CPU) keep any value that lives across a barrier in memory, the accumulators
 *    included; with SPILL=1 the accumulators therefore go back to C after each slice and are
 *    reloaded before the next, so none of them lives across a barrier.
 *  - sgemm_direct reads A and B straight from global memory, with no barrier at all: on a CPU the
 *    caches do the staging, and the accumulators stay in registers for the whole K loop. A block
 *    that would cross the bottom or right edge of C is moved back inside (it overlaps its
 *    neighbour) and stores only its own part; rows are clamped when M < WM. Only when N < WN
 *    does a block go one element at a time.
 * Nothing past the edges of A, B or C is read or written: sgemm_local loads zeros there and
 * checks its stores.
 *
 * Options: TM, TN, TK, WM, VW (4, 8 or 16), NV, SPILL (0 or 1), and USE_FMA=1 where the device
 * has a hardware fused multiply-add (fma() is exact, and slow where it is emulated; mad() may
 * round either way).
 *
 * hetc-ops: Conv ConvTranspose Gemm MatMul
 */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define VT CAT(float, VW)           /* the vector type, float4 .. float16 */
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)
#define WN (VW * NV)                /* columns of a work-item's block */
#define LX (TN / WN)                /* the work-group is LX x LY work-items */
#define LY (TM / WM)
#define NT (LX * LY)
#define UNROLL _Pragma("unroll")

#if USE_FMA
#define MAC(a, b, c) fma(a, b, c)
#else
#define MAC(a, b, c) mad(a, b, c)
#endif

/* the epilogue's flags (runtime/opencl/gemm.c sets them) */
#define EPI_ON 1                    /* apply alpha, E and the activation */
#define EPI_E 2                     /* E is given */

/* The epilogue of a product: what the host passes, gathered. */
typedef struct Epi {
    __global const float *e;        /* E at this product's element (0, 0) */
    int sei, sej, flags, act;
    float alpha, beta;
    float4 ap;                      /* the activation's alpha, beta, then the affine mul, add */
} Epi;

#include "fused.cl"
FUSED(fused1, float)
FUSED(fusedv, VT)

/* The value stored at (i, j) of C for an accumulated v. */
float
finish(const Epi *ep, int i, int j, float v)
{
    v *= ep->alpha;
    if (ep->flags & EPI_E)
        v += ep->beta * ep->e[i * ep->sei + j * ep->sej];
    return fused1(v, ep->act, ep->ap);
}

/* Applies the epilogue to a work-item's block at C[m.., n..] in its registers: row m + i reads
 * E's row min(m + i, M - 1), and columns past N read nothing. */
void
epilogue(VT acc[WM][NV], const Epi *ep, int M, int N, int m, int n)
{
    UNROLL for (int i = 0; i < WM; i++) {
        __global const float *e = ep->e + min(m + i, M - 1) * ep->sei;
        UNROLL for (int j = 0; j < NV; j++) {
            int c = n + j * VW;
            VT v = acc[i][j] * ep->alpha, ev;
            if (ep->flags & EPI_E) {
                if (ep->sej == 0) {
                    ev = (VT)(e[0]);
                } else if (ep->sej == 1 && c + VW <= N) {
                    ev = VLOAD(0, e + c);
                } else {
                    float t[VW];
                    for (int q = 0; q < VW; q++)
                        t[q] = c + q < N ? e[(c + q) * ep->sej] : 0.0f;
                    ev = VLOAD(0, t);
                }
                v += ep->beta * ev;
            }
            acc[i][j] = fusedv(v, ep->act, ep->ap);
        }
    }
}

/* Stores a work-item's block at C[m.., n..] (rows ldc apart), only rows in [r0, M) and columns
 * in [c0, N); fin: the final store, which applies the epilogue first (else the raw sums). */
void
store_block(__global float *C, int ldc, int M, int N, int m, int n, int r0, int c0,
            VT acc[WM][NV], const Epi *ep, int fin)
{
    if (fin && (ep->flags & EPI_ON))
        epilogue(acc, ep, M, N, m, n);
    if (m >= r0 && n >= c0 && m + WM <= M && n + WN <= N) {
        UNROLL for (int i = 0; i < WM; i++)
            UNROLL for (int j = 0; j < NV; j++)
                VSTORE(acc[i][j], 0, C + (m + i) * ldc + n + j * VW);
        return;
    }
    UNROLL for (int i = 0; i < WM; i++) {
        if (m + i < r0 || m + i >= M)
            continue;
        UNROLL for (int j = 0; j < NV; j++) {
            int c = n + j * VW;
            if (c >= c0 && c + VW <= N) {
                VSTORE(acc[i][j], 0, C + (m + i) * ldc + c);
            } else {
                float t[VW];
                VSTORE(acc[i][j], 0, t);
                for (int v = 0; v < VW; v++)
                    if (c + v >= c0 && c + v < N)
                        C[(m + i) * ldc + c + v] = t[v];
            }
        }
    }
}

/* Loads a block from C[m.., n..], zero past the edges. */
void
load_block(__global const float *C, int ldc, int M, int N, int m, int n, VT acc[WM][NV])
{
    UNROLL for (int i = 0; i < WM; i++) {
        UNROLL for (int j = 0; j < NV; j++) {
            int c = n + j * VW;
            if (m + i < M && c + VW <= N) {
                acc[i][j] = VLOAD(0, C + (m + i) * ldc + c);
            } else {
                float t[VW];
                for (int v = 0; v < VW; v++)
                    t[v] = m + i < M && c + v < N ? C[(m + i) * ldc + c + v] : 0.0f;
                acc[i][j] = VLOAD(0, t);
            }
        }
    }
}

void
zero_block(VT acc[WM][NV])
{
    UNROLL for (int i = 0; i < WM; i++)
        UNROLL for (int j = 0; j < NV; j++)
            acc[i][j] = (VT)(0.0f);
}

/* The work-group copies rows [m0, m0 + TM) x columns [k0, k0 + TK) of A into As (row stride TK)
 * and rows [k0, k0 + TK) x columns [n0, n0 + TN) of B into Bs (row stride TN), zero outside A
 * and B: kn = the columns of A (rows of B) left in this slice. */
void
load_slices(__global const float *A, int sam, int sak, __global const float *B, int ldb, int M,
            int N, int m0, int n0, int k0, int kn, int lid, __local float *As, __local float *Bs)
{
    for (int e = lid; e < TM * TK / VW; e += NT) {
        int r = e / (TK / VW), c = e % (TK / VW) * VW;
        __global const float *src = A + (m0 + r) * sam + (k0 + c) * sak;
        __local float *dst = As + r * TK + c;
        if (sak == 1 && m0 + r < M && c + VW <= kn) {
            VSTORE(VLOAD(0, src), 0, dst);
        } else {
            for (int v = 0; v < VW; v++)
                dst[v] = m0 + r < M && c + v < kn ? src[v * sak] : 0.0f;
        }
    }
    for (int e = lid; e < TK * TN / VW; e += NT) {
        int r = e / (TN / VW), c = e % (TN / VW) * VW;
        __global const float *src = B + (k0 + r) * ldb + n0 + c;
        __local float *dst = Bs + r * TN + c;
        if (r < kn && n0 + c + VW <= N) {
            VSTORE(VLOAD(0, src), 0, dst);
        } else {
            for (int v = 0; v < VW; v++)
                dst[v] = r < kn && n0 + c + v < N ? src[v] : 0.0f;
        }
    }
}

/* The arguments both kernels take, and the start of both: each operand moved to this product's
 * element 0, and the epilogue gathered. */
#define GEMM_ARGS                                                                                  \
    const int M, const int N, const int K, __global const float *restrict A, const long aoff,     \
        const int sam, const int sak, __global const float *restrict B, const long boff,          \
        const int ldb, __global float *restrict C, const long coff, const int ldc,                \
        __global const float *restrict E, const long eoff, const int sei, const int sej,          \
        const long za, const long zb, const long zc, const long ze, const float alpha,            \
        const float beta, const int flags, const int act, const float4 ap

#define GEMM_START                                                                                 \
    const long z = get_global_id(2);                                                               \
    A += aoff + z * za;                                                                            \
    B += boff + z * zb;                                                                            \
    C += coff + z * zc;                                                                            \
    Epi ep = {(flags & EPI_E) ? E + eoff + z * ze : E, sei, sej, flags, act, alpha, beta, ap}

__kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
sgemm_local(GEMM_ARGS)
{
    GEMM_START;
    __local float As[TM * TK];
    __local float Bs[TK * TN];
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int m0 = (int)get_group_id(1) * TM, n0 = (int)get_group_id(0) * TN;
    const int m = m0 + ty * WM, n = n0 + tx * WN;   /* this work-item's block of C */
    __local const float *as = As + ty * WM * TK;
    __local const float *bs = Bs + tx * WN;
    VT acc[WM][NV];
#if !SPILL
    zero_block(acc);
#endif
    for (int k0 = 0; k0 < K; k0 += TK) {
        const int kn = min(TK, K - k0);
        load_slices(A, sam, sak, B, ldb, M, N, m0, n0, k0, kn, ty * LX + tx, As, Bs);
        barrier(CLK_LOCAL_MEM_FENCE);
#if SPILL
        if (m < M && n < N) {
            if (k0 == 0)
                zero_block(acc);
            else
                load_block(C, ldc, M, N, m, n, acc);
#endif
            for (int k = 0; k < kn; k++) {
                VT b[NV];
                UNROLL for (int j = 0; j < NV; j++)
                    b[j] = VLOAD(0, bs + k * TN + j * VW);
                UNROLL for (int i = 0; i < WM; i++) {
                    VT a = (VT)(as[i * TK + k]);
                    UNROLL for (int j = 0; j < NV; j++)
                        acc[i][j] = MAC(a, b[j], acc[i][j]);
                }
            }
#if SPILL
            store_block(C, ldc, M, N, m, n, m, n, acc, &ep, k0 + kn >= K);
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#if SPILL
    if (K == 0 && m < M && n < N) {     /* an empty sum: the epilogue alone */
        zero_block(acc);
        store_block(C, ldc, M, N, m, n, m, n, acc, &ep, 1);
    }
#else
    store_block(C, ldc, M, N, m, n, m, n, acc, &ep, 1);
#endif
}

__kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
sgemm_direct(GEMM_ARGS)
{
    GEMM_START;
    const int m0 = (int)get_global_id(1) * WM, n0 = (int)get_global_id(0) * WN;
    if (m0 >= M || n0 >= N)
        return;
    if (N < WN) {
        /* narrower than a block: one element at a time */
        for (int i = m0; i < min(m0 + WM, M); i++)
            for (int j = n0; j < N; j++) {
                float s = 0.0f;
                for (int k = 0; k < K; k++)
                    s = MAC(A[i * sam + k * sak], B[k * ldb + j], s);
                C[i * ldc + j] = ep.flags & EPI_ON ? finish(&ep, i, j, s) : s;
            }
        return;
    }
    /* the block moved back inside C; rows past M - 1 (when M < WM) repeat the last one */
    const int m = max(min(m0, M - WM), 0), n = min(n0, N - WN);
    int ro[WM];
    UNROLL for (int i = 0; i < WM; i++)
        ro[i] = min(m + i, M - 1) * sam;
    __global const float *a = A;
    __global const float *b = B + n;
    VT acc[WM][NV];
    zero_block(acc);
    for (int k = 0; k < K; k++) {
        VT bv[NV];
        UNROLL for (int j = 0; j < NV; j++)
            bv[j] = VLOAD(0, b + j * VW);
        UNROLL for (int i = 0; i < WM; i++) {
            VT av = (VT)(a[ro[i]]);
            UNROLL for (int j = 0; j < NV; j++)
                acc[i][j] = MAC(av, bv[j], acc[i][j]);
        }
        a += sak;
        b += ldb;
    }
    store_block(C, ldc, M, N, m, n, m0, n0, acc, &ep, 1);
}
