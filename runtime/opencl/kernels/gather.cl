/*
 * gather.cl: Gather, GatherElements and GatherND (runtime/opencl/gather.c), one output element
 * per work-item, copying elements as bits; ScatterElements and ScatterND, one work-item per fibre
 * along the axis or per element of a slice, each walking its indices in order, so that updates of
 * one element apply in the order of the indices, as on the CPU.
 *
 * Build options: T, the unsigned type of an element's word (uchar, ushort, uint, ulong); W, the
 * words per element (1, or 2 for 16-byte elements); IT, the index type (int or long). Offsets
 * are in words from the start of a buffer, so that a 16-byte element needs only 8-byte
 * alignment. The host checked every index against the axis
 * before the launch, as the CPU kernel does; an index out of range here (it cannot happen)
 * writes zeros rather than reading outside the input (a scatter skips it).
 *
 * A scatter with a reduction (the argument red: 1 add, 2 mul, 3 max, 4 min, as ScatterRed) is
 * built with A, the type it computes in, and then T is the element's type (W 1): A is float for
 * float16 and bfloat16 (CV 1 and 2, converted as half.cl does), the type itself for float32,
 * float64 (FP64 1) and the integers, whose add and mul run in UA, unsigned, so that they wrap;
 * bool (CV 3) counts as 0 or 1.
 *
 * hetc-ops: Gather GatherElements GatherND
 * hetc-ops: ScatterElements ScatterND
 */
#if defined(FP64) && FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

/* Copies element s of x (from word xoff) to element o of y (from word yoff). */
#define COPY(o, s)                                                                                 \
    for (int w_ = 0; w_ < W; w_++)                                                                 \
        y[yoff + (o) * W + w_] = x[xoff + (s) * W + w_];

#define ZERO(o)                                                                                    \
    for (int w_ = 0; w_ < W; w_++)                                                                 \
        y[yoff + (o) * W + w_] = 0;

/*
 * Gather: output element i is (outer o, index t, inner j), i = (o * nidx + t) * inner + j; it
 * reads x[(o * axdim + k) * inner + j] with k = idx[t], negative k counting from the end.
 */
__kernel void
gather(__global T *restrict y, const long yoff, __global const T *restrict x, const long xoff,
       __global const IT *restrict idx, const long ioff, const long nidx, const long axdim,
       const long inner, const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    const long j = i % inner, t = i / inner;
    long k = idx[ioff + t % nidx];
    k = k < 0 ? k + axdim : k;
    if (k < 0 || k >= axdim) {
        ZERO(i)
        return;
    }
    COPY(i, (t / nidx * axdim + k) * inner + j)
}

/* One digit of output element i's index, innermost first: its coordinate on dim.sK times the
 * input stride xs.sK (0 on the gathered axis, whose index comes from idx). */
#define DIGIT(K)                                                                                   \
    if (K < rank) {                                                                                \
        src += rem % dim.s##K * xs.s##K;                                                           \
        rem /= dim.s##K;                                                                           \
    }

/*
 * GatherElements: y and idx share a shape (rank dims, dim.s0 innermost); output element i reads
 * the input at the same coordinates but for the axis, where it takes idx[i] (strided by axst).
 */
__kernel void
gather_elements(__global T *restrict y, const long yoff, __global const T *restrict x,
                const long xoff, __global const IT *restrict idx, const long ioff, const int rank,
                const long8 dim, const long8 xs, const long axdim, const long axst, const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    long k = idx[ioff + i];
    k = k < 0 ? k + axdim : k;
    if (k < 0 || k >= axdim) {
        ZERO(i)
        return;
    }
    long src = k * axst, rem = i;
    DIGIT(0) DIGIT(1) DIGIT(2) DIGIT(3) DIGIT(4) DIGIT(5) DIGIT(6) DIGIT(7)
    COPY(i, src)
}

/* GatherND: output element i is (tuple t, slice element j), i = t * slice + j; tuple t holds k
 * components (dims.s0 .. of the data after the batch dims) and belongs to batch t / per. */
#define TUPLE(K)                                                                                   \
    if (K < k) {                                                                                   \
        long v_ = idx[ioff + t * k + K];                                                           \
        v_ = v_ < 0 ? v_ + dims.s##K : v_;                                                         \
        bad |= v_ < 0 || v_ >= dims.s##K;                                                          \
        off = off * dims.s##K + v_;                                                                \
    }

__kernel void
gather_nd(__global T *restrict y, const long yoff, __global const T *restrict x, const long xoff,
          __global const IT *restrict idx, const long ioff, const int k, const long8 dims,
          const long per, const long xbat, const long slice, const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    const long t = i / slice;
    long off = 0;
    int bad = 0;
    TUPLE(0) TUPLE(1) TUPLE(2) TUPLE(3) TUPLE(4) TUPLE(5) TUPLE(6) TUPLE(7)
    if (bad) {
        ZERO(i)
        return;
    }
    COPY(i, t / per * xbat + off * slice + i % slice)
}

/* A scatter's update: element s of u combined into element o of y by reduction red. */
#ifdef A
#if CV == 1 || CV == 2
#include "half.cl"
#endif
#if CV == 1
#define LD(v) f16_to_f32(v)
#define SV(v) f32_to_f16(v)
#elif CV == 2
#define LD(v) bf16_to_f32(v)
#define SV(v) f32_to_bf16(v)
#elif CV == 3
#define LD(v) ((A)((v) != 0))
#define SV(v) ((T)((v) != 0))
#else
#define LD(v) ((A)(v))
#define SV(v) ((T)(v))
#endif

/* y combined with u: red 1 add, 2 mul (in UA, where integers wrap), 3 max, 4 min */
T
combine(const T yv, const T uv, const int red)
{
    const A a = LD(yv), b = LD(uv);
    switch (red) {
    case 1: return SV((A)((UA)a + (UA)b));
    case 2: return SV((A)((UA)a * (UA)b));
    case 3: return SV(a > b ? a : b);
    default: return SV(a < b ? a : b);
    }
}

#define APPLY(o, s) y[yoff + (o)] = combine(y[yoff + (o)], u[uoff + (s)], red);
#else
#define APPLY(o, s)                                                                                \
    for (int w_ = 0; w_ < W; w_++)                                                                 \
        y[yoff + (o) * W + w_] = u[uoff + (s) * W + w_];
#endif

/* One digit of fibre f's position, innermost first: its coordinate on dim.sK, times the output's
 * stride ys.sK and the indices' stride is.sK (the axis has dim 1: the fibre runs along it). */
#define FDIGIT(K)                                                                                  \
    if (K < rank) {                                                                                \
        const long c_ = rem % dim.s##K;                                                            \
        rem /= dim.s##K;                                                                           \
        yb += c_ * ys.s##K;                                                                        \
        ib += c_ * is.s##K;                                                                        \
    }

/*
 * ScatterElements: work-item f takes fibre f of the indices along the axis (len elements, the
 * indices' stride iaxst apart) and writes update ib + t * iaxst to the output element its index
 * names on the axis (stride yaxst), for t in order.
 */
__kernel void
scatter_elements(__global T *restrict y, const long yoff, __global const T *restrict u,
                 const long uoff, __global const IT *restrict idx, const long ioff, const int rank,
                 const long8 dim, const long8 ys, const long8 is, const long len, const long axdim,
                 const long yaxst, const long iaxst, const long n, const int red)
{
    const long f = get_global_id(0);
    if (f >= n)
        return;
    long rem = f, yb = 0, ib = 0;
    FDIGIT(0) FDIGIT(1) FDIGIT(2) FDIGIT(3) FDIGIT(4) FDIGIT(5) FDIGIT(6) FDIGIT(7)
    for (long t = 0; t < len; t++) {
        const long ii = ib + t * iaxst;
        long kx = idx[ioff + ii];
        kx = kx < 0 ? kx + axdim : kx;
        if (kx >= 0 && kx < axdim)
            APPLY(yb + kx * yaxst, ii)
    }
}

/*
 * ScatterND: work-item j takes element j of every slice (slice elements below the tuple's k
 * dims, dims.s0 outermost) and writes it for each of the ntup tuples in order.
 */
__kernel void
scatter_nd(__global T *restrict y, const long yoff, __global const T *restrict u, const long uoff,
           __global const IT *restrict idx, const long ioff, const int k, const long8 dims,
           const long ntup, const long slice, const int red)
{
    const long j = get_global_id(0);
    if (j >= slice)
        return;
    for (long t = 0; t < ntup; t++) {
        long off = 0;
        int bad = 0;
        TUPLE(0) TUPLE(1) TUPLE(2) TUPLE(3) TUPLE(4) TUPLE(5) TUPLE(6) TUPLE(7)
        if (!bad)
            APPLY(off * slice + j, t * slice + j)
    }
}
