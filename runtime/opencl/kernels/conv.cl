/*
 * conv.cl: the kernels of Conv and ConvTranspose other than the GEMM (runtime/opencl/conv.c),
 * and the transpose that Gemm's transB needs.
 *
 * Geometry is that of runtime/cpu/conv.c: the "image" side (Conv X, ConvTranspose Y) and the
 * "column" side (Conv Y, ConvTranspose X) relate by image = column * stride - pad + tap *
 * dilation, per spatial axis, and every problem is padded to three spatial axes (D, H, W) with
 * leading axes of size 1. Each vector argument holds one value per axis in .x, .y, .z: img and
 * col (sizes), k (kernel), s (stride), dl (dilation), pb (padding at the start). Offsets are in
 * elements from the start of a buffer.
 *
 * PoCL on a CPU runs a work-group as a loop over its work-items and, for kernels with loops of
 * their own, does not vectorise across them, so each work-item carries its own vector work:
 * conv_direct computes a strip of 8 outputs along W as one float8 (the activation included: a
 * switch per float is very slow there), im2col writes a whole output row with a plain copy
 * loop, and taps outside the image read a clamped, valid address and select 0 instead of
 * branching. ConvTranspose's gather and the transpose stay one output per work-item.
 *
 * hetc-ops: Conv ConvTranspose Gemm
 */

#include "fused.cl"
FUSED(fused1, float)
FUSED(fused8, float8)

/* The output columns [*lo, *hi) of [0, n) whose image position ow * s + off lies in [0, size). */
void
valid_cols(int off, int s, int size, int n, int *lo, int *hi)
{
    int l = off >= 0 ? 0 : (-off + s - 1) / s;
    int h = size - 1 - off < 0 ? 0 : (size - 1 - off) / s + 1;
    *lo = min(l, n);
    *hi = clamp(h, *lo, n);
}

/*
 * The patch matrix of one image for output rows [row0, row0 + rows) (a row: one (od, oh)):
 * Bm[r, q] with r = ((c * KD + kd) * KH + kh) * KW + kw over all C channels and q = (row - row0)
 * * OW + ow, rows ldb floats apart. Range (rows, C * KD * KH * KW): a work-item writes the OW
 * floats of one output row for one r, zeros where the tap falls in the padding, and a plain
 * (vectorisable) copy in between.
 */
__kernel void
im2col(__global const float *restrict X, const long xoff, __global float *restrict Bm,
       const int ldb, const int4 img, const int4 col, const int4 k, const int4 s, const int4 dl,
       const int4 pb, const int row0)
{
    const int r = (int)get_global_id(0), z = (int)get_global_id(1);
    const int orow = row0 + r, od = orow / col.y, oh = orow % col.y;
    const int kw = z % k.z, kh = z / k.z % k.y, kd = z / (k.z * k.y) % k.x;
    const int c = z / (k.x * k.y * k.z);
    const int id = od * s.x - pb.x + kd * dl.x, ih = oh * s.y - pb.y + kh * dl.y;
    __global float *dst = Bm + (long)z * ldb + r * col.z;
    int lo = 0, hi = 0, off = kw * dl.z - pb.z;
    if (id >= 0 && id < img.x && ih >= 0 && ih < img.y)
        valid_cols(off, s.z, img.z, col.z, &lo, &hi);
    __global const float *src =
        X + xoff + (long)c * img.x * img.y * img.z + (id * img.y + ih) * img.z + off;
    for (int ow = 0; ow < lo; ow++)
        dst[ow] = 0.0f;
    if (s.z == 1) {
        for (int ow = lo; ow < hi; ow++)
            dst[ow] = src[ow];
    } else {
        for (int ow = lo; ow < hi; ow++)
            dst[ow] = src[ow * s.z];
    }
    for (int ow = hi; ow < col.z; ow++)
        dst[ow] = 0.0f;
}

/* The taps of one kernel row for a strip of SW outputs along W: SW floats of the image row xr at
 * positions base + j * s (j < SW), zero outside [0, w). Unit and double strides inside the row
 * are vector loads; the rest gathers from clamped positions and selects zeros. */
#define SW 8
float8
strip(__global const float *xr, int base, int s, int w)
{
    if (base >= 0 && s == 1 && base + SW <= w)
        return vload8(0, xr + base);
    if (base >= 0 && s == 2 && base + 2 * SW <= w)
        return vload16(0, xr + base).even;
    int8 iw = base + (int8)(0, 1, 2, 3, 4, 5, 6, 7) * s, at = clamp(iw, 0, w - 1);
    float8 v = (float8)(xr[at.s0], xr[at.s1], xr[at.s2], xr[at.s3], xr[at.s4], xr[at.s5],
                        xr[at.s6], xr[at.s7]);
    return select((float8)(0.0f), v, iw >= 0 && iw < w);
}

/* A kernel row of k taps (dilation dl) for a strip at base: the sum of the taps times wr. The
 * most common rows, 3 taps at stride 1 or 2 inside the image, take one load of 16 floats and
 * fixed shuffles (a shuffle by a computed mask is slow on PoCL). */
float8
kernel_row(__global const float *xr, __global const float *wr, int base, int k, int s, int dl,
           int w)
{
    if (k == 3 && dl == 1 && base >= 0 && s == 1 && base + 16 <= w) {
        float16 v = vload16(0, xr + base);
        return v.s01234567 * wr[0] + v.s12345678 * wr[1] + v.s23456789 * wr[2];
    }
    if (k == 3 && dl == 1 && base >= 0 && s == 2 && base + 17 <= w) {
        float16 v = vload16(0, xr + base);
        float8 e = v.even, e2 = (float8)(e.s1234, e.s567, xr[base + 16]);
        return e * wr[0] + v.odd * wr[1] + e2 * wr[2];
    }
    float8 acc = (float8)(0.0f);
    for (int kw = 0; kw < k; kw++)
        acc += strip(xr, base + kw * dl, s, w) * wr[kw];
    return acc;
}

/*
 * Conv directly, for depthwise and small convolutions: Y[n, m, od, oh, ow] = act(bias[m] + the
 * sum over the cg input channels of m's group and the taps inside the image of X * W). A work-
 * item computes a strip of SW outputs along W as one float8. Range (ceil(OW / SW), OD * OH,
 * N * M); cm = (input channels per group, output channels, output channels per group); bias may
 * be NULL.
 */
__kernel void
conv_direct(__global const float *restrict X, const long xoff, __global const float *restrict W,
            const long woff, __global const float *restrict bias, const long boff,
            __global float *restrict Y, const long yoff, const int4 img, const int4 col,
            const int4 k, const int4 s, const int4 dl, const int4 pb, const int4 cm,
            const int act, const float4 ap)
{
    const int ow0 = (int)get_global_id(0) * SW, orow = (int)get_global_id(1);
    const int nm = (int)get_global_id(2), n = nm / cm.y, m = nm % cm.y;
    const int od = col.x == 1 ? 0 : orow / col.y, oh = col.x == 1 ? orow : orow % col.y;
    const int imgsz = img.x * img.y * img.z, ksz = k.x * k.y * k.z;
    const int C = cm.x * (cm.y / cm.z);     /* all input channels */
    __global const float *x = X + xoff + (long)(n * C + m / cm.z * cm.x) * imgsz;
    __global const float *w = W + woff + (long)m * cm.x * ksz;
    const int base = ow0 * s.z - pb.z;
    float8 acc = (float8)(0.0f);
    for (int ci = 0; ci < cm.x; ci++, x += imgsz, w += ksz) {
        for (int kd = 0; kd < k.x; kd++) {
            int id = od * s.x - pb.x + kd * dl.x;
            if (id < 0 || id >= img.x)
                continue;
            for (int kh = 0; kh < k.y; kh++) {
                int ih = oh * s.y - pb.y + kh * dl.y;
                if (ih >= 0 && ih < img.y)
                    acc += kernel_row(x + (id * img.y + ih) * img.z, w + (kd * k.y + kh) * k.z,
                                      base, k.z, s.z, dl.z, img.z);
            }
        }
    }
    acc = fused8(acc + (bias ? bias[boff + m] : 0.0f), act, ap);
    __global float *y = Y + yoff + (long)nm * col.x * col.y * col.z + orow * col.z + ow0;
    if (ow0 + SW <= col.z) {
        vstore8(acc, 0, y);
    } else {
        float t[SW];
        vstore8(acc, 0, t);
        for (int j = 0; ow0 + j < col.z; j++)
            y[j] = t[j];
    }
}

/* The columns q < ncol of one axis that tap t of image position p comes from, q * s - pad + t
 * * dl = p: 1 with *q set when there is one. */
int
source_of(int p, int t, int s, int dl, int pad, int ncol, int *q)
{
    int u = p + pad - t * dl;
    *q = u / s;
    return u >= 0 && u % s == 0 && u / s < ncol;
}

/*
 * ConvTranspose as a gather, one output per work-item: Y[n, m, p] = act(bias[m] + the sum over
 * the input channels c of m's group and the taps t of X[n, c, q] W[c, m % mg, t] for every q
 * with q * s - pad + t * dl = p). W is [C, mg, kernel]. Range (W, D * H, N * M) of Y; cm = (input
 * channels per group, output channels, output channels per group).
 */
__kernel void
convtranspose_gather(__global const float *restrict X, const long xoff,
                     __global const float *restrict W, const long woff,
                     __global const float *restrict bias, const long boff,
                     __global float *restrict Y, const long yoff, const int4 img, const int4 col,
                     const int4 k, const int4 s, const int4 dl, const int4 pb, const int4 cm,
                     const int act, const float4 ap)
{
    const int pw = (int)get_global_id(0), prow = (int)get_global_id(1);
    const int nm = (int)get_global_id(2), n = nm / cm.y, m = nm % cm.y;
    const int pd = prow / img.y, ph = prow % img.y;
    const int colsz = col.x * col.y * col.z, ksz = k.x * k.y * k.z;
    const int C = cm.x * (cm.y / cm.z), grp = m / cm.z;
    __global const float *x = X + xoff + (long)(n * C + grp * cm.x) * colsz;
    __global const float *w = W + woff + ((long)grp * cm.x * cm.z + m % cm.z) * ksz;
    float acc = 0.0f;
    for (int kd = 0; kd < k.x; kd++) {
        int qd, qh, qw;
        if (!source_of(pd, kd, s.x, dl.x, pb.x, col.x, &qd))
            continue;
        for (int kh = 0; kh < k.y; kh++) {
            if (!source_of(ph, kh, s.y, dl.y, pb.y, col.y, &qh))
                continue;
            for (int kw = 0; kw < k.z; kw++) {
                if (!source_of(pw, kw, s.z, dl.z, pb.z, col.z, &qw))
                    continue;
                int q = (qd * col.y + qh) * col.z + qw, t = (kd * k.y + kh) * k.z + kw;
                for (int ci = 0; ci < cm.x; ci++)
                    acc += x[ci * colsz + q] * w[(long)ci * cm.z * ksz + t];
            }
        }
    }
    if (bias)
        acc += bias[boff + m];
    Y[yoff + (long)nm * img.x * img.y * img.z + prow * img.z + pw] = fused1(acc, act, ap);
}

/* Dst[j, i] = Src[i, j] for Src [rows, cols] (dense) and Dst rows ldd floats apart. Range
 * (rows, cols): neighbouring work-items write neighbouring floats. */
__kernel void
transpose(__global const float *restrict Src, const long soff, const int cols,
          __global float *restrict Dst, const long doff, const int ldd)
{
    const int i = (int)get_global_id(0), j = (int)get_global_id(1);
    Dst[doff + (long)j * ldd + i] = Src[soff + (long)i * cols + j];
}
