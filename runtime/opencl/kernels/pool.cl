/*
 * pool.cl: MaxPool (with its Indices), AveragePool, LpPool and the global pools
 * (runtime/opencl/pool.c), one output per work-item, each a loop over the taps of its window.
 *
 * Windows follow runtime/cpu/pool.c: every problem is padded to three spatial axes (D, H, W)
 * with leading axes of size 1; a vector argument holds one value per axis in .x, .y, .z: len and
 * out (sizes), k (kernel), s (stride), dl (dilation), pb and pe (padding at the start and the
 * end). Tap t of output o along an axis reads position o * s - pb + t * dl, and taps outside
 * [0, len) are skipped (ceil_mode's last window may reach past the end padding as well). The
 * average divides by the taps inside [0, len), or inside [-pb, len + pe) with count_include_pad,
 * counted per axis as the window is a box; a window with no tap inside gives -FLT_MAX (max) or
 * NaN (average), as on the CPU. Offsets are in elements from the start of a buffer.
 *
 * hetc-ops: MaxPool AveragePool GlobalAveragePool GlobalMaxPool LpPool
 */

#define POOL_MAX 0
#define POOL_AVG 1
#define POOL_LP 2

/* LpPool's term of one tap: the CPU's R_ABS, R_SQ or R_POW */
float
lp_term(float v, float p)
{
    return p == 1.0f ? fabs(v) : p == 2.0f ? v * v : pow(fabs(v), p);
}

/* The taps of output o along one axis that lie inside [lo, hi). */
int
taps_in(int o, int k, int s, int dl, int pb, int lo, int hi)
{
    int n = 0;
    for (int t = 0; t < k; t++) {
        int p = o * s - pb + t * dl;
        n += p >= lo && p < hi;
    }
    return n;
}

/*
 * One plane's output (ow, od * OH + oh) per work-item: range (OW, OD * OH, N * C). With I not
 * NULL (MaxPool only), I gets the flat index in X of the first maximum in scan order: the plane's
 * offset plus the position, row-major, or column-major when order is 1.
 */
__kernel void
pool(__global const float *restrict X, const long xoff, __global float *restrict Y,
     const long yoff, __global long *restrict I, const long ioff, const int4 len,
     const int4 out, const int4 k, const int4 s, const int4 dl, const int4 pb, const int4 pe,
     const int kind, const int count_pad, const int order, const float p)
{
    const int ow = (int)get_global_id(0), orow = (int)get_global_id(1), c = (int)get_global_id(2);
    const int od = orow / out.y, oh = orow % out.y;
    const long xplane = (long)len.x * len.y * len.z, yplane = (long)out.x * out.y * out.z;
    __global const float *x = X + xoff + c * xplane;
    float best = -FLT_MAX, sum = 0.0f;
    int at = -1;
    for (int kd = 0; kd < k.x; kd++) {
        int id = od * s.x - pb.x + kd * dl.x;
        if (id < 0 || id >= len.x)
            continue;
        for (int kh = 0; kh < k.y; kh++) {
            int ih = oh * s.y - pb.y + kh * dl.y;
            if (ih < 0 || ih >= len.y)
                continue;
            for (int kw = 0; kw < k.z; kw++) {
                int iw = ow * s.z - pb.z + kw * dl.z;
                if (iw < 0 || iw >= len.z)
                    continue;
                int rm = (id * len.y + ih) * len.z + iw;
                float v = x[rm];
                sum += kind == POOL_LP ? lp_term(v, p) : v;
                if (at < 0 || v > best) {
                    best = v;
                    at = order ? id + (ih + iw * len.y) * len.x : rm;
                }
            }
        }
    }
    const long o = c * yplane + orow * out.z + ow;
    if (kind == POOL_MAX) {
        Y[yoff + o] = best;
        if (I)
            I[ioff + o] = c * xplane + max(at, 0);
        return;
    }
    if (kind == POOL_LP) {
        Y[yoff + o] = p == 2.0f ? sqrt(sum) : p == 1.0f ? sum : pow(sum, 1.0f / p);
        return;
    }
    int lo = count_pad ? -pb.x : 0, hi = count_pad ? len.x + pe.x : len.x;
    int n = taps_in(od, k.x, s.x, dl.x, pb.x, lo, hi);
    lo = count_pad ? -pb.y : 0, hi = count_pad ? len.y + pe.y : len.y;
    n *= taps_in(oh, k.y, s.y, dl.y, pb.y, lo, hi);
    lo = count_pad ? -pb.z : 0, hi = count_pad ? len.z + pe.z : len.z;
    n *= taps_in(ow, k.z, s.z, dl.z, pb.z, lo, hi);
    Y[yoff + o] = sum / (float)n;     /* no tap: 0 / 0, NaN */
}

/* GlobalAveragePool and GlobalMaxPool: the mean or the maximum of each plane of n floats, one
 * plane per work-item. The sum goes in eight lanes over blocks of 1024 floats, and the blocks'
 * sums are added with Kahan's compensation, so that a long plane loses little to rounding. */
__kernel void
global_pool(__global const float *restrict X, const long xoff, __global float *restrict Y,
            const long yoff, const int n, const int kind)
{
    const int c = (int)get_global_id(0);
    __global const float *x = X + xoff + (long)c * n;
    if (kind == POOL_MAX) {
        float8 m = (float8)(-FLT_MAX);
        int i = 0;
        for (; i + 8 <= n; i += 8)
            m = fmax(m, vload8(0, x + i));
        float r = fmax(fmax(fmax(m.s0, m.s1), fmax(m.s2, m.s3)),
                       fmax(fmax(m.s4, m.s5), fmax(m.s6, m.s7)));
        for (; i < n; i++)
            r = x[i] > r ? x[i] : r;
        Y[yoff + c] = r;
        return;
    }
    float total = 0.0f, comp = 0.0f;
    for (int b = 0; b < n; b += 1024) {
        int e = min(b + 1024, n), i = b;
        float8 acc = (float8)(0.0f);
        for (; i + 8 <= e; i += 8)
            acc += vload8(0, x + i);
        float s = (acc.s0 + acc.s1) + (acc.s2 + acc.s3) + (acc.s4 + acc.s5) + (acc.s6 + acc.s7);
        for (; i < e; i++)
            s += x[i];
        float y = s - comp, t = total + y;  /* Kahan */
        comp = (t - total) - y;
        total = t;
    }
    Y[yoff + c] = total / (float)n;
}
