/*
 * gemm.cl: C[M,N] = A[M,K] B[K,N] in float32, row-major, of any sizes. A and C are dense; rows
 * of B lie ldb >= N floats apart (the host pads them when N makes them alias in the caches).
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
 *    caches do the staging, and the accumulators stay in registers for the whole K loop.
 * Nothing past the edges of A, B or C is read or written: sgemm_local loads zeros there and
 * checks its stores, and sgemm_direct computes blocks that cross an edge one element at a time.
 *
 * Options: TM, TN, TK, WM, VW (4, 8 or 16), NV, SPILL (0 or 1), and USE_FMA=1 where the device
 * has a hardware fused multiply-add (fma() is exact, and slow where it is emulated; mad() may
 * round either way).
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

/* Stores a work-item's block at C[m.., n..], skipping rows >= M and columns >= N. */
void
store_block(__global float *C, int M, int N, int m, int n, VT acc[WM][NV])
{
    UNROLL for (int i = 0; i < WM; i++) {
        if (m + i >= M)
            break;
        UNROLL for (int j = 0; j < NV; j++) {
            int c = n + j * VW;
            if (c + VW <= N) {
                VSTORE(acc[i][j], 0, C + (m + i) * N + c);
            } else {
                float t[VW];
                VSTORE(acc[i][j], 0, t);
                for (int v = 0; v < VW && c + v < N; v++)
                    C[(m + i) * N + c + v] = t[v];
            }
        }
    }
}

/* Loads a block from C[m.., n..], zero past the edges. */
void
load_block(__global const float *C, int M, int N, int m, int n, VT acc[WM][NV])
{
    UNROLL for (int i = 0; i < WM; i++) {
        UNROLL for (int j = 0; j < NV; j++) {
            int c = n + j * VW;
            if (m + i < M && c + VW <= N) {
                acc[i][j] = VLOAD(0, C + (m + i) * N + c);
            } else {
                float t[VW];
                for (int v = 0; v < VW; v++)
                    t[v] = m + i < M && c + v < N ? C[(m + i) * N + c + v] : 0.0f;
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
load_slices(__global const float *A, __global const float *B, int M, int N, int K, int ldb,
            int m0, int n0, int k0, int kn, int lid, __local float *As, __local float *Bs)
{
    for (int e = lid; e < TM * TK / VW; e += NT) {
        int r = e / (TK / VW), c = e % (TK / VW) * VW;
        __global const float *src = A + (m0 + r) * K + k0 + c;
        __local float *dst = As + r * TK + c;
        if (m0 + r < M && c + VW <= kn) {
            VSTORE(VLOAD(0, src), 0, dst);
        } else {
            for (int v = 0; v < VW; v++)
                dst[v] = m0 + r < M && c + v < kn ? src[v] : 0.0f;
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

__kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
sgemm_local(const int M, const int N, const int K, __global const float *restrict A,
            __global const float *restrict B, __global float *restrict C, const int ldb)
{
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
        load_slices(A, B, M, N, K, ldb, m0, n0, k0, kn, ty * LX + tx, As, Bs);
        barrier(CLK_LOCAL_MEM_FENCE);
#if SPILL
        if (m < M && n < N) {
            if (k0 == 0)
                zero_block(acc);
            else
                load_block(C, M, N, m, n, acc);
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
            store_block(C, M, N, m, n, acc);
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#if !SPILL
    store_block(C, M, N, m, n, acc);
#endif
}

__kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
sgemm_direct(const int M, const int N, const int K, __global const float *restrict A,
             __global const float *restrict B, __global float *restrict C, const int ldb)
{
    const int m = (int)get_global_id(1) * WM, n = (int)get_global_id(0) * WN;
    if (m >= M || n >= N)
        return;
    if (m + WM > M || n + WN > N) {
        /* a block across the edge of C: one element at a time */
        for (int i = m; i < min(m + WM, M); i++)
            for (int j = n; j < min(n + WN, N); j++) {
                float s = 0.0f;
                for (int k = 0; k < K; k++)
                    s = MAC(A[i * K + k], B[k * ldb + j], s);
                C[i * N + j] = s;
            }
        return;
    }
    __global const float *a = A + m * K;
    __global const float *b = B + n;
    VT acc[WM][NV];
    zero_block(acc);
    for (int k = 0; k < K; k++) {
        VT bv[NV];
        UNROLL for (int j = 0; j < NV; j++)
            bv[j] = VLOAD(0, b + j * VW);
        UNROLL for (int i = 0; i < WM; i++) {
            VT av = (VT)(a[i * K + k]);
            UNROLL for (int j = 0; j < NV; j++)
                acc[i][j] = MAC(av, bv[j], acc[i][j]);
        }
        b += ldb;
    }
    UNROLL for (int i = 0; i < WM; i++)
        UNROLL for (int j = 0; j < NV; j++)
            VSTORE(acc[i][j], 0, C + (m + i) * N + n + j * VW);
}
