/*
 * norm.cl: the normalisations and the softmax family (runtime/opencl/norm.c), float32, after
 * runtime/cpu/norm.c, whose arithmetic each kernel follows step by step so that the two agree
 * to rounding.
 *
 * Elementwise ops (BatchNormalization, LRN) take one element per work-item over a range (inner,
 * planes), planes being [N, C] flattened, so that the channel is a remainder per work-item and
 * not a division per element. The reductions (InstanceNormalization, LayerNormalization, softmax
 * along a contiguous row) give each group a work-group of a power-of-two size: its work-items
 * stride over the group, then combine their partial results in local memory as a tree (see
 * wg_sum). Softmax along an axis with elements after it (inner > 1) takes one column per
 * work-item instead, so that neighbouring work-items read neighbouring floats.
 *
 * Offsets (xoff, ...) are in elements from the start of a buffer; indices are long throughout.
 *
 * Contraction to fused multiply-adds is off, as in the CPU's C (C11 mode): InstanceNormalization's
 * y = x * a + b with b = B - mean * a cancels to B when a plane has one element (x == mean) only
 * when both products round alike. In that case a is large (1 / sqrt(eps)) and its last bit
 * decides y's, so a variance of 0 takes the host's 1 / sqrt(eps), computed in double as on the
 * CPU (inv0), instead of the device's float one.
 *
 * hetc-ops: BatchNormalization InstanceNormalization LayerNormalization LRN
 * hetc-ops: Softmax LogSoftmax Hardmax
 */

#pragma OPENCL FP_CONTRACT OFF

#include "fused.cl"
FUSED(fused1, float)

/* ---- work-group reductions: every work-item of the group calls them and gets the result ---- */

/* The sum of v over the work-group (dimension 0), its size a power of two; s holds one float
 * per work-item. The last barrier lets the caller reuse s at once. */
float
wg_sum(float v, __local float *s)
{
    const int l = (int)get_local_id(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = (int)get_local_size(0) / 2; h > 0; h >>= 1) {
        if (l < h)
            s[l] += s[l + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* The maximum of v over the work-group, as wg_sum. The CPU's scan skips NaNs unless the first
 * element is one; either way a NaN in a row makes its sum, and so its whole softmax, NaN, so
 * the maximum may treat NaNs as it likes. */
float
wg_max(float v, __local float *s)
{
    const int l = (int)get_local_id(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = (int)get_local_size(0) / 2; h > 0; h >>= 1) {
        if (l < h)
            s[l] = s[l + h] > s[l] ? s[l + h] : s[l];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* ---- BatchNormalization -------------------------------------------------------------------- */

/*
 * Y = X * a + b per channel with a = scale / sqrt(var + eps) and b = B - mean * a, then the
 * fused activation (act, p as in fused.cl). Range (inner, N * C); c channels.
 */
__kernel void
batchnorm(__global const float *restrict X, const long xoff, __global const float *restrict S,
          const long soff, __global const float *restrict B, const long boff,
          __global const float *restrict M, const long moff, __global const float *restrict V,
          const long voff, __global float *restrict Y, const long yoff, const long c,
          const float eps, const int act, const float4 p)
{
    const long j = (long)get_global_id(0), plane = (long)get_global_id(1);
    const long inner = (long)get_global_size(0), ch = plane % c, at = plane * inner + j;
    const float inv = 1.0f / sqrt(V[voff + ch] + eps);
    const float sa = inv * S[soff + ch], sb = B[boff + ch] - M[moff + ch] * sa;
    const float y = X[xoff + at] * sa + sb;
    Y[yoff + at] = act ? fused1(y, act, p) : y;
}

/* ---- InstanceNormalization, LayerNormalization --------------------------------------------- */

/* The mean and 1 / sqrt(variance + eps) of x[0 .. n) by the work-group: the mean first, then
 * the mean squared deviation from it, as the CPU's two passes; inv0 when the variance is 0. */
void
moments(__global const float *x, const long n, const float eps, const float inv0,
        __local float *s, float *mean, float *inv)
{
    const long l = (long)get_local_id(0), wg = (long)get_local_size(0);
    float acc = 0.0f;
    for (long i = l; i < n; i += wg)
        acc += x[i];
    const float m = n ? wg_sum(acc, s) / (float)n : 0.0f;
    acc = 0.0f;
    for (long i = l; i < n; i += wg) {
        const float v = x[i] - m;
        acc += v * v;
    }
    const float var = n ? wg_sum(acc, s) / (float)n : 0.0f;
    *mean = m;
    *inv = var == 0.0f ? inv0 : 1.0f / sqrt(var + eps);
}

/* InstanceNormalization: plane get_group_id(1) of [N, C] (inner floats each) normalised, then
 * scaled and shifted by its channel's S and B: Y = X * a + b as in batchnorm. */
__kernel void
instnorm(__global const float *restrict X, const long xoff, __global const float *restrict S,
         const long soff, __global const float *restrict B, const long boff,
         __global float *restrict Y, const long yoff, const long inner, const long c,
         const float eps, const float inv0, __local float *s)
{
    const long plane = (long)get_group_id(1), ch = plane % c;
    const long l = (long)get_local_id(0), wg = (long)get_local_size(0);
    __global const float *x = X + xoff + plane * inner;
    __global float *y = Y + yoff + plane * inner;
    float m, inv;
    moments(x, inner, eps, inv0, s, &m, &inv);
    const float sa = inv * S[soff + ch], sb = B[boff + ch] - m * sa;
    for (long i = l; i < inner; i += wg)
        y[i] = x[i] * sa + sb;
}

/* Where element j of the normalised dims lies in a Scale or B broadcast to them: j itself when
 * dense (r == 0), else the sum over the r dims (right-aligned, dim[0] last) of the index along
 * each times that dim's stride (0 where broadcast). */
long
bcast_at(long j, const int r, const long8 dim, const long8 stride)
{
    long d[8], st[8], off = 0;
    vstore8(dim, 0, d);
    vstore8(stride, 0, st);
    if (r == 0)
        return j;
    for (int i = 0; i < r; i++) {
        off += j % d[i] * st[i];
        j /= d[i];
    }
    return off;
}

/*
 * LayerNormalization: row get_group_id(1) of [outer, inner] normalised, Y = (X - mean) * inv *
 * S[j] + B[j] (B NULL: none), and Mean and InvStdDev stored where given (NULL: not requested).
 * S and B are placed by bcast_at with sr and br dims, which dim and the strides list
 * last-dim-first.
 */
__kernel void
layernorm(__global const float *restrict X, const long xoff, __global const float *restrict S,
          const long soff, __global const float *restrict B, const long boff,
          __global float *restrict Y, const long yoff, __global float *restrict Mean,
          const long meanoff, __global float *restrict Inv, const long invoff, const long inner,
          const float eps, const float inv0, const long8 dim, const int sr,
          const long8 sstride, const int br, const long8 bstride, __local float *s)
{
    const long row = (long)get_group_id(1);
    const long l = (long)get_local_id(0), wg = (long)get_local_size(0);
    __global const float *x = X + xoff + row * inner;
    __global float *y = Y + yoff + row * inner;
    float m, inv;
    moments(x, inner, eps, inv0, s, &m, &inv);
    for (long i = l; i < inner; i += wg) {
        const float v = (x[i] - m) * inv * S[soff + bcast_at(i, sr, dim, sstride)];
        y[i] = B ? v + B[boff + bcast_at(i, br, dim, bstride)] : v;
    }
    if (l == 0 && Mean)
        Mean[meanoff + row] = m;
    if (l == 0 && Inv)
        Inv[invoff + row] = inv;
}

/* ---- LRN ----------------------------------------------------------------------------------- */

/*
 * Y = X * (bias + alpha * (sum of squares over channels c - lo .. c + hi, clipped)) ^ -beta,
 * alpha already divided by size; beta 0.75 as the CPU does it, r * sqrt(r) with r = 1 / sqrt(t).
 * Range (inner, N * C); c channels.
 */
__kernel void
lrn(__global const float *restrict X, const long xoff, __global float *restrict Y,
    const long yoff, const long c, const long lo, const long hi, const float alpha,
    const float beta, const float bias)
{
    const long j = (long)get_global_id(0), plane = (long)get_global_id(1);
    const long inner = (long)get_global_size(0), ch = plane % c;
    __global const float *xn = X + xoff + (plane - ch) * inner + j;
    const long c0 = max(ch - lo, 0L), c1 = min(ch + hi, c - 1);
    float acc = 0.0f;
    for (long k = c0; k <= c1; k++) {
        const float v = xn[k * inner];
        acc += v * v;
    }
    const float x = xn[ch * inner], t = bias + alpha * acc;
    float y;
    if (beta == 0.75f) {
        const float r = 1.0f / sqrt(t);
        y = x * r * sqrt(r);
    } else {
        y = x * pow(t, -beta);
    }
    Y[yoff + plane * inner + j] = y;
}

/* ---- Softmax, LogSoftmax, Hardmax ---------------------------------------------------------- */

#define SM_SOFT 0
#define SM_LOG 1
#define SM_HARD 2

/*
 * Hardmax of one fibre of n floats, stride apart, by the work-group: 1 at the first maximum, 0
 * elsewhere. The CPU's scan (x[i] > x[at], at from 0) finds the first maximum of the non-NaN
 * elements, or 0 when x[0] is NaN. Each work-item finds the first maximum of its share (-1:
 * none), then the tree keeps the larger value and, on a tie, the lower index.
 */
void
hardmax_fibre(__global const float *x, __global float *y, const long n, const long stride,
              __local float *sv, __local long *si)
{
    const long l = (long)get_local_id(0), wg = (long)get_local_size(0);
    float best = 0.0f;
    long at = -1;
    for (long i = l; i < n; i += wg) {
        const float v = x[i * stride];
        if (!isnan(v) && (at < 0 || v > best)) {
            best = v;
            at = i;
        }
    }
    sv[l] = best;
    si[l] = at;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (long h = wg / 2; h > 0; h >>= 1) {
        if (l < h) {
            const long o = si[l + h], a = si[l];
            const float ov = sv[l + h], av = sv[l];
            if (o >= 0 && (a < 0 || ov > av || (ov == av && o < a))) {
                sv[l] = ov;
                si[l] = o;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    at = isnan(x[0]) || si[0] < 0 ? 0 : si[0];
    for (long i = l; i < n; i += wg)
        y[i * stride] = i == at ? 1.0f : 0.0f;
}

/*
 * The softmax of kind (SM_*) of row get_group_id(1) of [outer, n], by the work-group: the
 * maximum, the sum of e^(x - max), then Softmax e^(x - max) * (1 / sum) or LogSoftmax
 * x - (max + log(sum)), as the CPU's soft_rows. si is used by Hardmax only.
 */
__kernel void
soft_row(__global const float *restrict X, const long xoff, __global float *restrict Y,
         const long yoff, const long n, const int kind, __local float *s, __local long *si)
{
    const long row = (long)get_group_id(1);
    const long l = (long)get_local_id(0), wg = (long)get_local_size(0);
    __global const float *x = X + xoff + row * n;
    __global float *y = Y + yoff + row * n;
    if (kind == SM_HARD) {
        hardmax_fibre(x, y, n, 1, s, si);
        return;
    }
    float acc = -INFINITY;
    for (long i = l; i < n; i += wg)
        acc = x[i] > acc ? x[i] : acc;
    const float mx = wg_max(acc, s);
    acc = 0.0f;
    for (long i = l; i < n; i += wg)
        acc += exp(x[i] - mx);
    const float sum = wg_sum(acc, s);
    if (kind == SM_SOFT) {
        const float r = 1.0f / sum;
        for (long i = l; i < n; i += wg)
            y[i] = exp(x[i] - mx) * r;
    } else {
        const float lse = mx + log(sum);
        for (long i = l; i < n; i += wg)
            y[i] = x[i] - lse;
    }
}

/*
 * The softmax of kind (SM_*) of column j = get_global_id(0) of slab o = get_global_id(1) of
 * [outer, n, inner], one column per work-item (range (inner, outer)), as the CPU's soft_cols.
 * Hardmax scans as the CPU does (x[l] > x[at], at from 0).
 */
__kernel void
soft_col(__global const float *restrict X, const long xoff, __global float *restrict Y,
         const long yoff, const long n, const int kind)
{
    const long j = (long)get_global_id(0), o = (long)get_global_id(1);
    const long inner = (long)get_global_size(0);
    __global const float *x = X + xoff + o * n * inner + j;
    __global float *y = Y + yoff + o * n * inner + j;
    if (kind == SM_HARD) {
        long at = 0;
        for (long l = 1; l < n; l++)
            if (x[l * inner] > x[at * inner])
                at = l;
        for (long l = 0; l < n; l++)
            y[l * inner] = l == at ? 1.0f : 0.0f;
        return;
    }
    float mx = x[0];
    for (long l = 1; l < n; l++)
        mx = x[l * inner] > mx ? x[l * inner] : mx;
    float sum = 0.0f;
    for (long l = 0; l < n; l++)
        sum += exp(x[l * inner] - mx);
    if (kind == SM_SOFT) {
        const float r = 1.0f / sum;
        for (long l = 0; l < n; l++)
            y[l * inner] = exp(x[l * inner] - mx) * r;
    } else {
        const float lse = mx + log(sum);
        for (long l = 0; l < n; l++)
            y[l * inner] = x[l * inner] - lse;
    }
}
