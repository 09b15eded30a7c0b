/*
 * quant.cl: the int8 ops (runtime/opencl/quant.c), each computing what runtime/cpu/quant.c
 * computes, bit for bit: QuantizeLinear and DequantizeLinear one element per work-item,
 * DynamicQuantizeLinear's range in one work-group, MatMulInteger and ConvInteger one int32 output
 * per work-item, summing exact integer products.
 *
 * Build options: XT, the input's OpenCL type (float for QuantizeLinear); YT, the output's; ZT, a
 * zero point's (a dummy when HASZ is 0); WT, the integer type a difference is taken in (int, or
 * long for int32 inputs); LO, HI, QuantizeLinear's range; AT, BT, the operands of the integer
 * products, with HASZA, HASZB and ZBPER (B's zero point per column or output channel); YQ,
 * SWPER, HASZY and HASBIAS, QLinearConv's and QLinearMatMul's requantisation. The host builds
 * with -cl-fp32-correctly-rounded-divide-sqrt, so that x / scale rounds as on the CPU.
 *
 * Scales and zero points per axis: element i belongs to channel (i / inner) % ch.
 *
 * hetc-ops: QuantizeLinear DequantizeLinear DynamicQuantizeLinear MatMulInteger ConvInteger
 * hetc-ops: QLinearConv QLinearMatMul
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
/* Element (i, j) of one MatMulInteger product: sum_t (a[i, t] - z0) (b[t, j] - z1). */
inline int
matmul_acc(__global const AT *restrict a, const long aoff, __global const BT *restrict b,
           const long boff, const int z0, const int z1, const long i, const long j, const long n,
           const long k)
{
    int acc = 0;
    for (long t = 0; t < k; t++)
        acc += ((int)a[aoff + i * k + t] - z0) * ((int)b[boff + t * n + j] - z1);
    return acc;
}

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
    y[yoff + i * n + j] = matmul_acc(a, aoff, b, boff, z0, z1, i, j, n, k);
}

/* Geometry as runtime/conv_geom.h, padded to 3 spatial axes (.s0 outermost): img, col (the
 * output), k, st (strides), dl (dilations), pb (begin pads). */
#define CONV_GEOM                                                                                 \
    const long cin, const long m, const long group, const long4 img, const long4 col,             \
        const long4 k, const long4 st, const long4 dl, const long4 pb

/* Output o = ((batch * M + channel) * P + position) of ConvInteger, less zero points z0 (X's)
 * and z1 (W's, of channel mo). Positions outside the image hold the zero point, so add
 * nothing. */
inline int
conv_acc(__global const AT *restrict x, const long xoff, __global const BT *restrict w,
         const long woff, const int z0, const int z1, const long o, const long mo, CONV_GEOM)
{
    const long pos = col.s0 * col.s1 * col.s2, p = o % pos, bi = o / pos / m;
    const long cg = cin / group, gi = mo / (m / group);
    const long o2 = p % col.s2, o1 = p / col.s2 % col.s1, o0 = p / (col.s2 * col.s1);
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
    return acc;
}

/* ConvInteger, one output per work-item */
__kernel void
conv_integer(__global int *restrict y, const long yoff, __global const AT *restrict x,
             const long xoff, __global const BT *restrict w, const long woff,
             __global const AT *restrict zx, const long zxoff, __global const BT *restrict zw,
             const long zwoff, CONV_GEOM, const long n)
{
    const long o = get_global_id(0);
    if (o >= n)
        return;
    const long pos = col.s0 * col.s1 * col.s2, mo = o / pos % m;
    const int z0 = HASZA ? (int)zx[zxoff] : 0, z1 = HASZB ? (int)zw[zwoff + (ZBPER ? mo : 0)] : 0;
    y[yoff + o] = conv_acc(x, xoff, w, woff, z0, z1, o, mo, cin, m, group, img, col, k, st, dl,
                           pb);
}

#ifdef YQ
/*
 * QLinearConv and QLinearMatMul (runtime/cpu/qlinear.c): the sum of column c, plus its int32
 * bias (wrapping as the CPU's), times sx * sw[c] / sy in float, saturated to [lo, hi] (the
 * output dtype's range, or a fused clamp's; NaN to lo), rounded half to even, plus zy. YQ: the
 * output's type; SWPER: W's scale per column; HASBIAS.
 */
inline YQ
requant(const int acc, const int bias, const float sx, const float sw, const float sy,
        const float zy, const float lo, const float hi)
{
    const float m = sx * sw / sy;
    float v = (float)as_int(as_uint(acc) + as_uint(bias)) * m;
    v = v > lo - zy ? v : lo - zy;
    v = v < hi - zy ? v : hi - zy;
    return (YQ)(rint(v) + zy);
}

#define QLIN_ARGS                                                                                 \
    __global const float *restrict sx, const long sxoff, __global const float *restrict sw,       \
        const long swoff, __global const float *restrict sy, const long syoff,                    \
        __global const YQ *restrict zy, const long zyoff, __global const int *restrict bias,      \
        const long boff, const float lo, const float hi

#define REQUANT(acc, c)                                                                           \
    requant(acc, HASBIAS ? bias[boff + (c)] : 0, sx[sxoff], sw[swoff + (SWPER ? (c) : 0)],        \
            sy[syoff], HASZY ? (float)zy[zyoff] : 0.0f, lo, hi)

__kernel void
qlinear_matmul(__global YQ *restrict y, const long yoff, __global const AT *restrict a,
               const long aoff, __global const BT *restrict b, const long boff_,
               __global const AT *restrict za, const long zaoff, __global const BT *restrict zb,
               const long zboff, const long m, const long n, const long k, QLIN_ARGS)
{
    const long j = get_global_id(0), i = get_global_id(1);
    if (i >= m || j >= n)
        return;
    const int z0 = HASZA ? (int)za[zaoff] : 0, z1 = HASZB ? (int)zb[zboff + (ZBPER ? j : 0)] : 0;
    y[yoff + i * n + j] = REQUANT(matmul_acc(a, aoff, b, boff_, z0, z1, i, j, n, k), j);
}

__kernel void
qlinear_conv(__global YQ *restrict y, const long yoff, __global const AT *restrict x,
             const long xoff, __global const BT *restrict w, const long woff,
             __global const AT *restrict zx, const long zxoff, __global const BT *restrict zw,
             const long zwoff, CONV_GEOM, const long n, QLIN_ARGS)
{
    const long o = get_global_id(0);
    if (o >= n)
        return;
    const long pos = col.s0 * col.s1 * col.s2, mo = o / pos % m;
    const int z0 = HASZA ? (int)zx[zxoff] : 0, z1 = HASZB ? (int)zw[zwoff + (ZBPER ? mo : 0)] : 0;
    y[yoff + o] = REQUANT(conv_acc(x, xoff, w, woff, z0, z1, o, mo, cin, m, group, img, col, k,
                                   st, dl, pb), mo);
}
#endif
#endif
