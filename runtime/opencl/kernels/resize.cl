/*
 * resize.cl: Resize (runtime/opencl/resize.c), one output element per work-item, from the
 * per-axis tables the host builds exactly as runtime/cpu/resize.c does.
 *
 * resize_nearest copies elements as bits (build options T, the word type, and W, the words per
 * element, as in gather.cl): along each axis the table gives the input offset of each output
 * index (its input index times the input stride), or -1 where tf_crop_and_resize falls outside
 * the input, which takes the extrapolation value instead. resize_pass (float32) resizes one axis
 * of a tensor viewed as [outer, in, inner] into [outer, out, inner] with the axis's taps and
 * weights, summing in the CPU's order, and resize_extrap then writes the extrapolation value
 * where any axis is outside. FP_CONTRACT is off, as in the CPU build, so that the sums round
 * alike. Dims are given innermost first (dim.s0 the last axis); offsets are in elements (nearest:
 * words) from the start of a buffer.
 *
 * hetc-ops: Resize
 */
#pragma OPENCL FP_CONTRACT OFF

/* Digit K of output element i, innermost first: its index o on axis dim.sK and the table entry
 * at toff.sK + o, accumulated by STEP(v). */
#define DIGIT(K, STEP)                                                                             \
    if (K < rank) {                                                                                \
        const long o = rem % dim.s##K;                                                             \
        rem /= dim.s##K;                                                                           \
        STEP(tab[toff.s##K + o])                                                                   \
    }
#define DIGITS(STEP)                                                                               \
    DIGIT(0, STEP) DIGIT(1, STEP) DIGIT(2, STEP) DIGIT(3, STEP) DIGIT(4, STEP) DIGIT(5, STEP)      \
    DIGIT(6, STEP) DIGIT(7, STEP)

#define NEAR_STEP(v)                                                                               \
    {                                                                                              \
        const long v_ = v;                                                                         \
        outside |= v_ < 0;                                                                         \
        src += v_;                                                                                 \
    }

/* ebits: the extrapolation value's bits (a float's: only float32 crops). */
__kernel void
resize_nearest(__global T *restrict y, const long yoff, __global const T *restrict x,
               const long xoff, __global const long *restrict tab, const int rank,
               const long8 dim, const long8 toff, const ulong ebits, const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    long src = 0, rem = i;
    int outside = 0;
    DIGITS(NEAR_STEP)
    for (int w = 0; w < W; w++)
        y[yoff + i * W + w] = outside ? (T)ebits : x[xoff + src * W + w];
}

/*
 * One axis: output element i = (oo * out + o) * inner + j reads src at (oo * in + ix[k]) * inner
 * + j for the taps k of output index o, whose indices and weights start at ix[ixoff + o * taps]
 * and w[woff + o * taps] (two views of one table buffer). The CPU starts a sum at
 * its first product, except for a row of one element with neither 2 nor 4 taps, where it
 * starts at 0 (which turns a -0 into +0): the same here.
 */
__kernel void
resize_pass(__global float *restrict dst, const long doff, __global const float *restrict src,
            const long soff, __global const long *ix, const long ixoff, __global const float *w,
            const long woff, const int taps, const long in, const long out, const long inner, const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    const long j = i % inner, t = i / inner, o = t % out;
    __global const float *s = src + soff + t / out * in * inner + j;
    ix += ixoff + o * taps;
    w += woff + o * taps;
    int k = 0;
    float acc = 0;
    if (inner != 1 || taps == 2 || taps == 4)
        acc = w[k] * s[ix[k] * inner], k++;
    for (; k < taps; k++)
        acc += w[k] * s[ix[k] * inner];
    dst[doff + i] = acc;
}

#define EXTRAP_STEP(v) outside |= (v) != 0;

/* tf_crop_and_resize: y = v where the table (1: outside, 0: inside) says any axis is outside. */
__kernel void
resize_extrap(__global float *restrict y, const long yoff, __global const uchar *restrict tab,
              const int rank, const long8 dim, const long8 toff, const float v, const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    long rem = i;
    int outside = 0;
    DIGITS(EXTRAP_STEP)
    if (outside)
        y[yoff + i] = v;
}
