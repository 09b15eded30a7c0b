/*
 * gather.cl: Gather and GatherElements (runtime/opencl/gather.c), one output element per
 * work-item, copying elements as bits.
 *
 * Build options: T, the unsigned type of an element's word (uchar, ushort, uint, ulong); W, the
 * words per element (1, or 2 for 16-byte elements); IT, the index type (int or long). Offsets
 * are in words from the start of a buffer, so that a 16-byte element needs only 8-byte
 * alignment. The host checked every index against the axis
 * before the launch, as the CPU kernel does; an index out of range here (it cannot happen)
 * writes zeros rather than reading outside the input.
 *
 * hetc-ops: Gather GatherElements
 */

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
