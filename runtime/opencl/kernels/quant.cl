/*
 * quant.cl: the int8 ops (runtime/opencl/quant.c), each computing what runtime/cpu/quant.c
 * computes, bit for bit: QuantizeLinear and DequantizeLinear one element per work-item,
 * DynamicQuantizeLinear's range in one work-group, MatMulInteger and ConvInteger one int32 output
 * per work-item, summing exact integer products.
 *
 * Build options: XT, the input's OpenCL type (float for QuantizeLinear); YT, the output's; ZT, a
 * zero point's (a dummy when HASZ is 0); WT, the integer type a difference is taken in (int, or
 * long for int32 inputs); LO, HI, QuantizeLinear's range; AT, BT, the operands of the integer
 * products, with HASZA, HASZB and ZBPER (B's zero point per column or output channel). The host
 * builds with -cl-fp32-correctly-rounded-divide-sqrt, so that x / scale rounds as on the CPU.
 *
 * Scales and zero points per axis: element i belongs to channel (i / inner) % ch.
 *
 * hetc-ops: QuantizeLinear DequantizeLinear DynamicQuantizeLinear MatMulInteger ConvInteger
 */

#ifdef LO
/* ir/scalar.h's ir_quantize_f: rint rounds half to even; NaN saturates to LO */
inline float
quantize1(float x, float s, float z)
{
    float q = rint(x / s) + z;
    return q > LO ? (q < HI ? q : HI) : LO;
}

__kernel void
quantize(__global YT *restrict y, const long yoff, __global const float *restrict x,
         const long xoff, __global const float *restrict s, const long soff,
         __global const ZT *restrict z, const long zoff, const long ch, const long inner,
         const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    const long c = i / inner % ch;
    y[yoff + i] = (YT)quantize1(x[xoff + i], s[soff + c], HASZ ? (float)z[zoff + c] : 0.0f);
}

/*
 * DynamicQuantizeLinear's scale and zero point (cpu_dynamicquantizelinear): one work-group of
 * get_local_size(0) items takes the minimum and maximum of x with 0 (NaNs left out), then item 0
 * writes scale and zero point. The order of a min or max does not change it.
 */
__kernel void
dynamic_range(__global const float *restrict x, const long xoff, const long n,
              __global float *restrict scale, const long soff, __global uchar *restrict zp,
              const long zoff, __local float *lmin, __local float *lmax)
{
    const int l = (int)get_local_id(0), nl = (int)get_local_size(0);
    float mn = 0.0f, mx = 0.0f;
    for (long i = l; i < n; i += nl) {
        float v = x[xoff + i];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    lmin[l] = mn;
    lmax[l] = mx;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (l != 0)
        return;
    for (int j = 1; j < nl; j++) {
        mn = lmin[j] < mn ? lmin[j] : mn;
        mx = lmax[j] > mx ? lmax[j] : mx;
    }
    float sc = (mx - mn) / 255.0f;
    sc = sc == 0.0f ? 1.0f : sc;
    scale[soff] = sc;
    zp[zoff] = (uchar)quantize1(0.0f - mn / sc, 1.0f, 0.0f);
}
#endif

#ifdef WT
/* DequantizeLinear: (x - zp) * scale, the difference exact in WT */
__kernel void
dequantize(__global float *restrict y, const long yoff, __global const XT *restrict x,
           const long xoff, __global const float *restrict s, const long soff,
           __global const ZT *restrict z, const long zoff, const long ch, const long inner,
           const long n)
{
    const long i = get_global_id(0);
    if (i >= n)
        return;
    const long c = i / inner % ch;
    const WT v = (WT)x[xoff + i] - (HASZ ? (WT)z[zoff + c] : (WT)0);
    y[yoff + i] = (float)v * s[soff + c];
}
#endif

#ifdef AT
/* MatMulInteger of one output matrix: y[i, j] = sum_t (a[i, t] - za) (b[t, j] - zb[j]). */
__kernel void
matmul_integer(__global int *restrict y, const long yoff, __global const AT *restrict a,
               const long aoff, __global const BT *restrict b, const long boff,
               __global const AT *restrict za, const long zaoff, __global const BT *restrict zb,
               const long zboff, const long m, const long n, const long k)
{
    const long j = get_global_id(0), i = get_global_id(1);
    if (i >= m || j >= n)
        return;
    const int z0 = HASZA ? (int)za[zaoff] : 0, z1 = HASZB ? (int)zb[zboff + (ZBPER ? j : 0)] : 0;
    int acc = 0;
    for (long t = 0; t < k; t++)
        acc += ((int)a[aoff + i * k + t] - z0) * ((int)b[boff + t * n + j] - z1);
    y[yoff + i * n + j] = acc;
}

/*
 * ConvInteger, one output per work-item: o = ((batch * M + channel) * P + position). Geometry as
 * runtime/conv_geom.h, padded to 3 spatial axes (.s0 outermost): img, col (the output), k, st
 * (strides), dl (dilations), pb (begin pads). Positions outside the image hold the zero point,
 * so they add nothing.
 */
__kernel void
conv_integer(__global int *restrict y, const long yoff, __global const AT *restrict x,
             const long xoff, __global const BT *restrict w, const long woff,
             __global const AT *restrict zx, const long zxoff, __global const BT *restrict zw,
             const long zwoff, const long cin, const long m, const long group, const long4 img,
             const long4 col, const long4 k, const long4 st, const long4 dl, const long4 pb,
             const long n)
{
    const long o = get_global_id(0);
    if (o >= n)
        return;
    const long pos = col.s0 * col.s1 * col.s2, p = o % pos, mo = o / pos % m, bi = o / pos / m;
    const long cg = cin / group, gi = mo / (m / group);
    const long o2 = p % col.s2, o1 = p / col.s2 % col.s1, o0 = p / (col.s2 * col.s1);
    const int z0 = HASZA ? (int)zx[zxoff] : 0, z1 = HASZB ? (int)zw[zwoff + (ZBPER ? mo : 0)] : 0;
    int acc = 0;
    for (long c = 0; c < cg; c++) {
        const long xc = xoff + (bi * cin + gi * cg + c) * img.s0 * img.s1 * img.s2;
        const long wc = woff + (mo * cg + c) * k.s0 * k.s1 * k.s2;
        for (long k0 = 0; k0 < k.s0; k0++) {
            const long i0 = o0 * st.s0 - pb.s0 + k0 * dl.s0;
            if (i0 < 0 || i0 >= img.s0)
                continue;
            for (long k1 = 0; k1 < k.s1; k1++) {
                const long i1 = o1 * st.s1 - pb.s1 + k1 * dl.s1;
                if (i1 < 0 || i1 >= img.s1)
                    continue;
                for (long k2 = 0; k2 < k.s2; k2++) {
                    const long i2 = o2 * st.s2 - pb.s2 + k2 * dl.s2;
                    if (i2 < 0 || i2 >= img.s2)
                        continue;
                    const int xv = (int)x[xc + (i0 * img.s1 + i1) * img.s2 + i2] - z0;
                    const int wv = (int)w[wc + (k0 * k.s1 + k1) * k.s2 + k2] - z1;
                    acc += xv * wv;
                }
            }
        }
    }
    y[yoff + o] = acc;
}
#endif
