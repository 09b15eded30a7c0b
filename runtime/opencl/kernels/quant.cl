/*
 * quant.cl: the int8 ops (runtime/opencl/quant.c), each computing what runtime/cpu/quant.c
 * computes, bit for bit: QuantizeLinear and DequantizeLinear one element per work-item,
 * DynamicQuantizeLinear's range in one work-group; MatMulInteger, ConvInteger, QLinearMatMul
 * and QLinearConv as one integer GEMM (igemm), the convolutions' patches copied out first
 * (im2col_int).
 *
 * Build options: XT, the input's OpenCL type (float for QuantizeLinear); YT, the output's; ZT, a
 * zero point's (a dummy when HASZ is 0); WT, the integer type a difference is taken in (int, or
 * long for int32 inputs); LO, HI, QuantizeLinear's range; AT, BT, the operands of the integer
 * products (X's and W's for a convolution), with HASZA, HASZB and ZBPER (B's zero point per
 * column or output channel); WA, WZA and WZROW, widen_rows's; GB, GZB, ZBCOL, QROW, WM and VW,
 * the GEMM's (see igemm); YQ, SWPER, HASZY and HASBIAS, QLinearConv's and QLinearMatMul's requantisation. The
 * host builds with -cl-fp32-correctly-rounded-divide-sqrt, so that x / scale rounds as on the
 * CPU.
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
/* Geometry as runtime/conv_geom.h, padded to 3 spatial axes (.s0 outermost): img, col (the
 * output), k, st (strides), dl (dilations), pb (begin pads). */
#define CONV_GEOM                                                                                 \
    const long cin, const long m, const long group, const long4 img, const long4 col,             \
        const long4 k, const long4 st, const long4 dl, const long4 pb

/* The output positions [*lo, *hi) of [0, n) whose input position j * s + off lies in [0, size) */
inline void
inside(const long off, const long s, const long size, const long n, long *lo, long *hi)
{
    const long l = off >= 0 ? 0 : (s - 1 - off) / s;
    const long h = off > size - 1 ? 0 : (size - 1 - off) / s + 1;
    *lo = min(l, n);
    *hi = clamp(h, *lo, n);
}

/*
 * ConvInteger's patches of one image, output rows [row0, row0 + get_global_size(0)) (a row: one
 * (od, oh)), as bytes of X's type: row r = ((c * k.s0 + kd) * k.s1 + kh) * k.s2 + kw of the
 * patch matrix, over all cin channels, holds the taps of those output rows side by side, rows ldb
 * apart. A tap in the padding holds X's zero point, so that the GEMM's subtraction of that zero
 * point leaves 0 there. Range (rows, cin * k.s0 * k.s1 * k.s2): one output row of one r per
 * work-item.
 */
__kernel void
im2col_int(__global const AT *restrict x, const long xoff, __global AT *restrict pm,
           const long pmoff, const long ldb, __global const AT *restrict zx, const long zxoff, CONV_GEOM,
           const long row0)
{
    const long r = get_global_id(0), z = get_global_id(1), orow = row0 + r;
    const long od = orow / col.s1, oh = orow % col.s1;
    const long kw = z % k.s2, kh = z / k.s2 % k.s1, kd = z / (k.s2 * k.s1) % k.s0;
    const long c = z / (k.s0 * k.s1 * k.s2);
    const long id = od * st.s0 - pb.s0 + kd * dl.s0, ih = oh * st.s1 - pb.s1 + kh * dl.s1;
    const long off = kw * dl.s2 - pb.s2;
    const AT pad = HASZA ? zx[zxoff] : (AT)0;
    __global AT *dst = pm + pmoff + z * ldb + r * col.s2;
    long lo = 0, hi = 0;
    if (id >= 0 && id < img.s0 && ih >= 0 && ih < img.s1)
        inside(off, st.s2, img.s2, col.s2, &lo, &hi);
    __global const AT *src = x + xoff + ((c * img.s0 + id) * img.s1 + ih) * img.s2 + off;
    for (long j = 0; j < lo; j++)
        dst[j] = pad;
    if (st.s2 == 1) {
        for (long j = lo; j < hi; j++)
            dst[j] = src[j];
    } else {
        for (long j = lo; j < hi; j++)
            dst[j] = src[j * st.s2];
    }
    for (long j = hi; j < col.s2; j++)
        dst[j] = pad;
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
    , __global const float *restrict sx, const long sxoff, __global const float *restrict sw,     \
        const long swoff, __global const float *restrict sy, const long syoff,                    \
        __global const YQ *restrict zy, const long zyoff, __global const int *restrict bias,      \
        const long boff, const float lo, const float hi

#define REQUANT(acc, c)                                                                           \
    requant(acc, HASBIAS ? bias[boff + (c)] : 0, sx[sxoff], sw[swoff + (SWPER ? (c) : 0)],        \
            sy[syoff], HASZY ? (float)zy[zyoff] : 0.0f, lo, hi)

/* the stored value of sum v at row r, column j of product z: requantised for channel r of the
 * product (QROW, a convolution) or column j (a matrix product) */
#define STORE(v, r, j) REQUANT(v, QROW ? z * sch + (r) : (j))
#define CT YQ
#else
#define QLIN_ARGS
#define STORE(v, r, j) (v)
#define CT int
#endif

/*
 * The integer GEMM: for each product z of get_global_size(2), C[i, j] = sum over t < K of
 * A[i, t] (B[t, j] - zb[j]), exact in int32 (wrapping as the CPU's), stored as it is
 * (MatMulInteger, ConvInteger) or requantised (STORE). A holds the differences of the integer
 * operand less its zero points as floats (widen_rows), so that a row's value is one broadcast
 * load. A's rows lie lda elements apart, B's ldb, C's ldc; product z starts sza, szb and szc
 * elements further on (A's at element 0) and its channels sch further (a convolution's groups).
 * GB is B's type, GZB whether it has a zero point and ZBCOL whether that is one per column.
 *
 * A work-item computes WM rows by VW columns
 * in registers: per step of t, one vector of VW bytes of B less its zero points, and for each
 * row A's value times it; four steps at a time. The products are summed in float, CHUNK at a
 * time, then added to int32 sums: a difference lies in [-255, 255], so a product's magnitude is
 * at most 65025 and a chunk's partial sums stay integers below 2^24, which float holds exactly
 * whether or not a multiply-add is fused. On a CPU that is one vector
 * multiply-add per 16 products where int32 needs a slow vector multiply and an add. PoCL runs
 * each work-item's vector code as it is written (it does not vectorise across work-items of
 * kernels with loops like this one). A block that would cross C's bottom or right edge moves
 * back inside it (overlapping its neighbour) and stores only its own part; rows repeat the last
 * one where M < WM. Only where N < VW does a block go one element at a time.
 */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define VI CAT(int, VW)
#define VU CAT(uint, VW)
#define AS_VU CAT(as_uint, VW)
#define AS_VI CAT(as_int, VW)
#define TO_VI CAT(convert_int, VW)
#define VF CAT(float, VW)
#define TO_VF CAT(convert_float, VW)
#define TO_VIF CAT(convert_int, VW)
#define CHUNK 256 /* products summed in float: below 2^24 in magnitude, so exact */
#define VLOADN CAT(vload, VW)
#define VSTOREN CAT(vstore, VW)

/* A's rows less their zero points, as floats, for igemm: out[z, i, t] = A[z, i, t] - za[z, i];
 * WA: A's type, WZA and WZROW: its zero point present, one per row. Range (k, m, products). */
__kernel void
widen_rows(__global float *restrict out, __global const WA *restrict a, const long aoff,
           const long lda, const long sza, __global const WA *restrict za, const long zaoff,
           const long szza, const int m, const int k)
{
    const int t = (int)get_global_id(0), i = (int)get_global_id(1);
    const long z = get_global_id(2);
    const int z0 = WZA ? (int)za[zaoff + z * szza + (WZROW ? i : 0)] : 0;
    out[(z * m + i) * k + t] = (float)((int)a[aoff + z * sza + i * lda + t] - z0);
}

#ifdef GB
__kernel void
igemm(__global CT *restrict C, const long coff, const long ldc, const long szc,
      __global const float *restrict A, const long lda, const long sza,
      __global const GB *restrict B, const long bo, const long ldb, const long szb,
      __global const GB *restrict zb, const long zboff, const int M, const int N, const int K,
      const long sch QLIN_ARGS)
{
    const long z = get_global_id(2);
    const int m0 = (int)get_global_id(1) * WM, n0 = (int)get_global_id(0) * VW;
    if (m0 >= M || n0 >= N)
        return;
    A += z * sza;
    B += bo + z * szb;
    C += coff + z * szc;
    zb += zboff;
    if (N < VW) {
        /* narrower than a block: one element at a time */
        for (int i = m0; i < min(m0 + WM, M); i++)
            for (int j = n0; j < N; j++) {
                const int z1 = GZB ? (int)zb[ZBCOL ? j : 0] : 0;
                uint acc = 0;
                for (int t = 0; t < K; t++)
                    acc += (uint)((int)A[i * lda + t] * ((int)B[t * ldb + j] - z1));
                C[i * ldc + j] = STORE(as_int(acc), i, j);
            }
        return;
    }
    const int m = max(min(m0, M - WM), 0), n = min(n0, N - VW);
    __global const float *a[WM];
    for (int i = 0; i < WM; i++)
        a[i] = A + min(m + i, M - 1) * lda;
    const VF z1 = GZB ? (ZBCOL ? TO_VF(VLOADN(0, zb + n)) : (VF)((float)zb[0])) : (VF)(0.0f);
    __global const GB *b = B + n;
    VU acc[WM];
    for (int i = 0; i < WM; i++)
        acc[i] = (VU)(0);
    for (int t0 = 0; t0 < K; t0 += CHUNK) {
        const int t1 = min(t0 + CHUNK, K);
        VF fa[WM];
        for (int i = 0; i < WM; i++)
            fa[i] = (VF)(0.0f);
        int t = t0;
        for (; t + 4 <= t1; t += 4) {
            const VF b0 = TO_VF(VLOADN(0, b)) - z1, b1 = TO_VF(VLOADN(0, b + ldb)) - z1;
            const VF b2 = TO_VF(VLOADN(0, b + 2 * ldb)) - z1;
            const VF b3 = TO_VF(VLOADN(0, b + 3 * ldb)) - z1;
            for (int i = 0; i < WM; i++) {
                const float4 av = vload4(0, a[i] + t);
                fa[i] = (VF)(av.s0) * b0 + fa[i];
                fa[i] = (VF)(av.s1) * b1 + fa[i];
                fa[i] = (VF)(av.s2) * b2 + fa[i];
                fa[i] = (VF)(av.s3) * b3 + fa[i];
            }
            b += 4 * ldb;
        }
        for (; t < t1; t++) {
            const VF bv = TO_VF(VLOADN(0, b)) - z1;
            for (int i = 0; i < WM; i++)
                fa[i] = (VF)(a[i][t]) * bv + fa[i];
            b += ldb;
        }
        for (int i = 0; i < WM; i++)
            acc[i] += AS_VU(TO_VIF(fa[i]));
    }
    for (int i = 0; i < WM; i++) {
        const int r = m + i;
        if (r < m0 || r >= M)
            continue;
#ifndef YQ
        if (n == n0) {
            VSTOREN(AS_VI(acc[i]), 0, C + r * ldc + n);
            continue;
        }
#endif
        int s[VW];
        VSTOREN(AS_VI(acc[i]), 0, s);
        for (int q = n0 - n; q < VW; q++)
            C[r * ldc + n + q] = STORE(s[q], r, n + q);
    }
}
#endif
#endif
