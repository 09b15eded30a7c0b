/*
 * topk.cl: TopK (runtime/opencl/topk.c), written to follow runtime/cpu/topk.c: one work-item per
 * row of [outer, len, inner] (a row: len elements at stride inner), each keeping a heap of K
 * indices, the one ranked last at the root, in the indices buffer H at stride inner. A later
 * element that ranks before the root replaces it; at the end the heap is sorted in place, best
 * first, and the values are gathered from the indices.
 *
 * The ranking is the CPU's: the larger value first (largest) or the smaller (not), equal values
 * by the lower index, NaN above every number (FLOATING types only).
 *
 * Options: T (the element type), FLOATING (T is float or double), USE_FP64 (enables doubles).
 */
#ifdef USE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#ifdef FLOATING
#define GT(a, b) ((a) > (b) || (isnan(a) && !isnan(b)))
#else
#define GT(a, b) ((a) > (b))
#endif

/* Whether element i of the row x (stride s) ranks before element j (i != j). */
int
before(__global const T *x, const int s, const int largest, const long i, const long j)
{
    const T u = x[i * s], v = x[j * s];
    const T a = largest ? u : v, b = largest ? v : u;
    if (GT(a, b))
        return 1;
    return !GT(b, a) && i < j;
}

/* Restores the heap h[0..n) (stride s) below slot at. */
void
sift_down(__global const T *x, __global long *h, const int s, const int largest, int at,
          const int n)
{
    const long v = h[(long)at * s];
    for (;;) {
        int c = 2 * at + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(x, s, largest, h[(long)c * s], h[(long)(c + 1) * s]))
            c++;
        if (!before(x, s, largest, v, h[(long)c * s]))
            break;
        h[(long)at * s] = h[(long)c * s];
        at = c;
    }
    h[(long)at * s] = v;
}

__kernel void
topk(__global const T *restrict X, const long xoff, __global T *Y, const long yoff,
     __global long *H, const long hoff, const int outer, const int len, const int inner,
     const int k, const int largest, const int values)
{
    const int c = (int)get_global_id(0);
    if (c >= outer * inner)
        return;
    const int o = c / inner, j = c % inner, s = inner;
    __global const T *x = X + xoff + (long)o * len * inner + j;
    __global long *h = H + hoff + (long)o * k * inner + j;
    for (int i = 0; i < k; i++)
        h[(long)i * s] = i;
    for (int i = k / 2 - 1; i >= 0; i--)
        sift_down(x, h, s, largest, i, k);
    for (int i = k; i < len; i++)
        if (before(x, s, largest, i, h[0])) {
            h[0] = i;
            sift_down(x, h, s, largest, 0, k);
        }
    for (int n = k - 1; n > 0; n--) {
        const long t = h[0];
        h[0] = h[(long)n * s];
        h[(long)n * s] = t;
        sift_down(x, h, s, largest, 0, n);
    }
    if (!values)
        return;
    __global T *y = Y + yoff + (long)o * k * inner + j;
    for (int i = 0; i < k; i++)
        y[(long)i * s] = x[h[(long)i * s] * s];
}
