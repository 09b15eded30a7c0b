/*
 * test_cpu_quant.c: the int8 kernels (runtime/cpu/quant.c) against references written from the
 * ONNX spec, exactly (integers) or bit for bit (floats), on one and two threads:
 * QuantizeLinear (round half to even, saturation, NaN, per tensor and per axis, int8, uint8 and
 * int16), DequantizeLinear (uint8, int8, int32, per axis), DynamicQuantizeLinear (the spec's
 * scale and zero point, an all-zero input), MatMulInteger (mixed signedness, batches that
 * broadcast, 1-D operands, zero points per column) and ConvInteger (pads, strides, dilations,
 * groups, auto_pad, per-channel weight zero points), both of them on random sizes around the
 * integer GEMM's tiles with every dtype pair, 3-D convolutions, K = 0, the largest K with every
 * value at the extreme that maximises |x - zero point| (sums near the int32 limits), and a
 * convolution whose padding dwarfs its image (read without the padded copy). Run in each build
 * of the kernels, and with HETC_VNNI=0 in the AVX-512 build. Forms the kernels do not take are
 * refused with RT_EUNSUPPORTED.
 */
#include "ktest.h"

static RtCtx *ctx1, *ctx2;

static void
fill_int(RtTensor *t, uint32_t seed)
{
    uint32_t s = seed;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        uint32_t r = kt_rand(&s);
        switch (t->dt) {
        case DT_U8: ((uint8_t *)t->data)[i] = (uint8_t)r; break;
        case DT_I8: ((int8_t *)t->data)[i] = (int8_t)((int)(r % 256) - 128); break;
        case DT_I32: ((int32_t *)t->data)[i] = (int32_t)(r % 200001) - 100000; break;
        default: break;
        }
    }
}

/* 0: operands as filled; 1: the first operand at its dtype's maximum and its zero point at the
 * minimum, the second at its minimum and its zero point at the maximum (every product -255 *
 * 255 with two uint8s); 2: the second at its maximum, its zero point at the minimum */
static int extreme;

static void
set_all(RtTensor *t, int hi)
{
    for (int64_t i = 0; t && i < rt_numel(t); i++) {
        if (t->dt == DT_U8)
            ((uint8_t *)t->data)[i] = hi ? 255 : 0;
        else
            ((int8_t *)t->data)[i] = (int8_t)(hi ? 127 : -128);
    }
}

/* applies `extreme` to the operands x and w and their zero points */
static void
set_extreme(RtTensor *x, RtTensor *zx, RtTensor *w, RtTensor *zw)
{
    if (!extreme)
        return;
    set_all(x, 1), set_all(zx, 0);
    set_all(w, extreme == 2), set_all(zw, extreme != 2);
}

/* the kernel of op, called by name (cpu_kernel[] names kernels weakly: a test links what it calls) */
static int
run(RtCtx *ctx, OpKind op, const Attr *a, RtTensor **in, int nin, RtTensor **out, int nout)
{
    RtKernel k = op == OP_QUANTIZELINEAR          ? cpu_quantizelinear
               : op == OP_DEQUANTIZELINEAR        ? cpu_dequantizelinear
               : op == OP_DYNAMICQUANTIZELINEAR   ? cpu_dynamicquantizelinear
               : op == OP_MATMULINTEGER           ? cpu_matmulinteger
                                                  : cpu_convinteger;
    return k(ctx, a, (RtTensor *const *)in, nin, (RtTensor *const *)out, nout);
}

/* ---- QuantizeLinear, DequantizeLinear -------------------------------------------------------- */

/* x [2, c, 5] (or [n] per tensor) quantised to dt with scales and zero points along axis 1 */
static void
quantize_case(DType dt, int per_axis, int64_t n, int with_zp)
{
    int64_t c = per_axis ? 3 : 1, xd[3] = {2, c, n}, sd[1] = {c};
    RtTensor *x = kt_new(DT_F32, 3, xd), *s = kt_new(DT_F32, per_axis, sd);
    RtTensor *z = kt_new(dt, per_axis, sd), *y = kt_new(dt, 3, xd), *y2 = kt_new(dt, 3, xd);
    float *xv = x->data, *sv = s->data;
    kt_fill(x, 7, -300.0f, 300.0f);
    for (int64_t i = 0; i < c; i++) {
        sv[i] = 0.5f + (float)i;
        int zv = dt == DT_U8 ? 100 + 10 * (int)i : -5 - 3 * (int)i;
        if (dt == DT_U8)
            ((uint8_t *)z->data)[i] = (uint8_t)zv;
        else if (dt == DT_I8)
            ((int8_t *)z->data)[i] = (int8_t)zv;
        else
            ((int16_t *)z->data)[i] = (int16_t)(zv * 100);
    }
    /* ties (halves of the scale), NaN and infinities */
    xv[0] = 1.25f, xv[1] = 0.75f, xv[2] = -1.25f, xv[3] = NAN, xv[4] = INFINITY, xv[5] = -1e30f;
    double lo = dt == DT_U8 ? 0 : dt == DT_I8 ? -128 : -32768;
    double hi = dt == DT_U8 ? 255 : dt == DT_I8 ? 127 : 32767;
    Attr a = {.axis = {.axis = 1}};
    RtTensor *in[3] = {x, s, with_zp ? z : NULL};
    for (int t = 0; t < 2; t++) {
        RtTensor *out[1] = {t ? y2 : y};
        CHECK(run(t ? ctx2 : ctx1, OP_QUANTIZELINEAR, &a, in, 3, out, 1) == RT_OK);
    }
    int64_t total = rt_numel(x), inner = per_axis ? n : total;
    for (int64_t i = 0; i < total; i++) {
        int64_t ch = per_axis ? i / inner % c : 0;
        double zp = with_zp ? (double)kt_geti(z, ch) : 0.0;
        double q = isnan(xv[i]) ? lo : kt_round_even((double)(xv[i] / sv[ch])) + zp;
        q = q < lo ? lo : q > hi ? hi : q;
        int64_t got = dt == DT_I16 ? ((int16_t *)y->data)[i] : kt_geti(y, i);
        if (got != (int64_t)q)
            fprintf(stderr, "QuantizeLinear %d: element %lld: %lld, want %g\n", (int)dt,
                    (long long)i, (long long)got, q);
        CHECK(got == (int64_t)q);
    }
    CHECK(memcmp(y->data, y2->data, (size_t)total * rt_dtype_size(dt)) == 0);
    kt_free(x), kt_free(s), kt_free(z), kt_free(y), kt_free(y2);
}

static void
dequantize_case(DType dt, int per_axis, int64_t n)
{
    int64_t c = per_axis ? 4 : 1, xd[2] = {c, n}, sd[1] = {c};
    RtTensor *x = kt_new(dt, 2, xd), *s = kt_new(DT_F32, per_axis, sd), *z = kt_new(dt, 1, sd);
    RtTensor *y = kt_new(DT_F32, 2, xd), *y2 = kt_new(DT_F32, 2, xd);
    fill_int(x, 11);
    kt_fill(s, 5, 0.01f, 2.0f);
    if (dt != DT_I32)
        fill_int(z, 3);
    Attr a = {.axis = {.axis = 0}};
    RtTensor *in[3] = {x, s, dt == DT_I32 ? NULL : z};
    for (int t = 0; t < 2; t++) {
        RtTensor *out[1] = {t ? y2 : y};
        CHECK(run(t ? ctx2 : ctx1, OP_DEQUANTIZELINEAR, &a, in, 3, out, 1) == RT_OK);
    }
    for (int64_t i = 0; i < c * n; i++) {
        int64_t ch = per_axis ? i / n : 0, zp = in[2] ? kt_geti(z, ch) : 0;
        float want = (float)(kt_geti(x, i) - zp) * ((float *)s->data)[ch];
        CHECK(((float *)y->data)[i] == want && ((float *)y2->data)[i] == want);
    }
    kt_free(x), kt_free(s), kt_free(z), kt_free(y), kt_free(y2);
}

static void
dynamic_case(int64_t n, float lo, float hi, int zeros)
{
    int64_t xd[1] = {n};
    RtTensor *x = kt_new(DT_F32, 1, xd), *y = kt_new(DT_U8, 1, xd);
    RtTensor *s = kt_new(DT_F32, 0, NULL), *z = kt_new(DT_U8, 0, NULL);
    if (!zeros)
        kt_fill(x, 9, lo, hi);
    RtTensor *in[1] = {x}, *out[3] = {y, s, z};
    for (int t = 0; t < 2; t++) {
        CHECK(run(t ? ctx2 : ctx1, OP_DYNAMICQUANTIZELINEAR, NULL, in, 1, out, 3) == RT_OK);
        const float *xv = x->data;
        float mn = 0, mx = 0;
        for (int64_t i = 0; i < n; i++) {
            mn = fminf(mn, xv[i]);
            mx = fmaxf(mx, xv[i]);
        }
        float scale = zeros ? 1.0f : (mx - mn) / 255.0f;
        double zf = -(double)(mn / scale);
        zf = kt_round_even(zf < 0 ? 0 : zf > 255 ? 255 : zf);
        CHECK(*(float *)s->data == scale);
        CHECK(*(uint8_t *)z->data == (uint8_t)zf);
        for (int64_t i = 0; i < n; i++) {
            double q = kt_round_even((double)(xv[i] / scale)) + zf;
            q = q < 0 ? 0 : q > 255 ? 255 : q;
            CHECK(((uint8_t *)y->data)[i] == (uint8_t)q);
        }
    }
    kt_free(x), kt_free(y), kt_free(s), kt_free(z);
}

/* ---- MatMulInteger --------------------------------------------------------------------------- */

/* a [..., m, k] x b [..., k, n], batch dims broadcast; zb per column when zbmode is 1 ([n]) or
 * 2 (b's shape with k made 1); zbmode 3: one zb, 0 for int8 B and 128 for uint8 */
static void
matmul_case(DType at, DType bt, int ra, const int64_t *ad, int rb, const int64_t *bd, int zbmode)
{
    RtTensor *a = kt_new(at, ra, ad), *b = kt_new(bt, rb, bd);
    fill_int(a, 21);
    fill_int(b, 22);
    int64_t k = ad[ra - 1], m = ra > 1 ? ad[ra - 2] : 1, n = rb > 1 ? bd[rb - 1] : 1;
    /* output shape: broadcast batch dims, then m and n where the operands are matrices */
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0, nb = ba > bb ? ba : bb;
    int64_t yd[RT_MAXRANK], bdims[RT_MAXRANK];
    int ry = 0;
    for (int i = 0; i < nb; i++) {
        int64_t da = i - (nb - ba) >= 0 ? ad[i - (nb - ba)] : 1;
        int64_t db = i - (nb - bb) >= 0 ? bd[i - (nb - bb)] : 1;
        bdims[i] = da > db ? da : db;
        yd[ry++] = bdims[i];
    }
    if (ra > 1)
        yd[ry++] = m;
    if (rb > 1)
        yd[ry++] = n;
    int64_t zd[RT_MAXRANK];
    int rz = 0, zero_zb = zbmode == 3; /* 3: one zero point for B, made 0 */
    zbmode = zbmode == 3 ? 0 : zbmode;
    if (zbmode == 1) {
        zd[rz++] = n;
    } else if (zbmode == 2) {
        for (int i = 0; i < rb; i++)
            zd[rz++] = i == rb - 2 ? 1 : bd[i];
    }
    RtTensor *za = kt_new(at, 0, NULL), *zb = kt_new(bt, rz, zd);
    RtTensor *y = kt_new(DT_I32, ry, yd), *y2 = kt_new(DT_I32, ry, yd);
    fill_int(za, 31);
    fill_int(zb, 32);
    set_extreme(a, za, b, zb);
    if (zero_zb)
        memset(zb->data, bt == DT_U8 ? 128 : 0, 1);
    RtTensor *in[4] = {a, b, za, zb};
    for (int t = 0; t < 2; t++) {
        RtTensor *out[1] = {t ? y2 : y};
        CHECK(run(t ? ctx2 : ctx1, OP_MATMULINTEGER, NULL, in, 4, out, 1) == RT_OK);
    }
    int64_t batch = 1;
    for (int i = 0; i < nb; i++)
        batch *= bdims[i];
    for (int64_t bi = 0; bi < batch; bi++) {
        /* each operand's own matrix index: its batch coordinates, 0 where it broadcasts */
        int64_t ia = 0, ib = 0, r = bi, sa = 1, sb = 1;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t q = r % bdims[i];
            r /= bdims[i];
            int ja = i - (nb - ba), jb = i - (nb - bb);
            if (ja >= 0) {
                ia += (ad[ja] == 1 ? 0 : q) * sa;
                sa *= ad[ja];
            }
            if (jb >= 0) {
                ib += (bd[jb] == 1 ? 0 : q) * sb;
                sb *= bd[jb];
            }
        }
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                int64_t zbj = zbmode == 0 ? kt_geti(zb, 0) : zbmode == 1 ? kt_geti(zb, j)
                                                                      : kt_geti(zb, ib * n + j);
                int64_t acc = 0;
                for (int64_t t = 0; t < k; t++)
                    acc += (kt_geti(a, ia * m * k + i * k + t) - kt_geti(za, 0)) *
                           (kt_geti(b, ib * k * n + t * n + j) - zbj);
                int64_t o = (bi * m + i) * n + j;
                CHECK(((int32_t *)y->data)[o] == acc && ((int32_t *)y2->data)[o] == acc);
            }
    }
    kt_free(a), kt_free(b), kt_free(za), kt_free(zb), kt_free(y), kt_free(y2);
}

/* ---- ConvInteger ----------------------------------------------------------------------------- */

/* 2-D (or 1-D when h == 0) ConvInteger of x [nb, c, h, w] by w [m, c / g, kh, kw] */
static void
conv_case(DType xt, DType wt, int64_t nb, int64_t c, int64_t h, int64_t wd, int64_t m,
          int64_t g, int64_t kh, int64_t kw, int64_t s, int64_t dl, int64_t p, AutoPad ap,
          int per_channel)
{
    int oned = h == 0, rank = oned ? 3 : 4;
    int64_t hh = oned ? 1 : h, kkh = oned ? 1 : kh;
    int64_t xd[4] = {nb, c, hh, wd}, wdims[4] = {m, c / g, kkh, kw};
    if (oned)
        xd[2] = wd, wdims[2] = kw;
    int64_t pv[4] = {p, p, p + 1, p + 1}, sv[2] = {s, s}, dv[2] = {dl, dl};
    if (oned)
        pv[1] = p + 1;
    ConvAttr ca = {.group = g, .pads = {oned ? 2 : 4, pv}, .strides = {oned ? 1 : 2, sv},
                   .dilations = {oned ? 1 : 2, dv}, .auto_pad = ap};
    if (ap != PAD_NOTSET)
        ca.pads = (Ints){0, NULL};
    /* output sizes (and the begin pads) from the spec's formulas */
    int64_t in[2] = {hh, wd}, ks[2] = {kkh, kw}, od[2], pb[2];
    for (int i = 0; i < 2; i++) {
        int64_t ek = (ks[i] - 1) * dl + 1;
        if (oned && i == 0) {
            od[0] = 1, pb[0] = 0;
            continue;
        }
        if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) {
            od[i] = (in[i] + s - 1) / s;
            int64_t tot = (od[i] - 1) * s + ek - in[i];
            tot = tot < 0 ? 0 : tot;
            pb[i] = ap == PAD_SAME_UPPER ? tot / 2 : tot - tot / 2;
        } else {
            int64_t b = oned ? pv[0] : pv[i], e = oned ? pv[1] : pv[i + 2];
            od[i] = (in[i] + b + e - ek) / s + 1;
            pb[i] = b;
        }
    }
    int64_t yd[4] = {nb, m, od[0], od[1]};
    if (oned)
        yd[2] = od[1];
    int64_t md[1] = {m};
    RtTensor *x = kt_new(xt, rank, xd), *w = kt_new(wt, rank, wdims);
    RtTensor *zx = kt_new(xt, 0, NULL), *zw = kt_new(wt, per_channel, md);
    RtTensor *y = kt_new(DT_I32, rank, yd), *y2 = kt_new(DT_I32, rank, yd);
    fill_int(x, 41), fill_int(w, 42), fill_int(zx, 43), fill_int(zw, 44);
    set_extreme(x, zx, w, zw);
    Attr a = {.conv = ca};
    RtTensor *inp[4] = {x, w, zx, zw};
    for (int t = 0; t < 2; t++) {
        RtTensor *out[1] = {t ? y2 : y};
        CHECK(run(t ? ctx2 : ctx1, OP_CONVINTEGER, &a, inp, 4, out, 1) == RT_OK);
    }
    int64_t cg = c / g, mg = m / g;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t o = 0; o < m; o++)
            for (int64_t oy = 0; oy < od[0]; oy++)
                for (int64_t ox = 0; ox < od[1]; ox++) {
                    int64_t acc = 0, gi = o / mg, z1 = kt_geti(zw, per_channel ? o : 0);
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < kkh; ky++)
                            for (int64_t kx = 0; kx < kw; kx++) {
                                int64_t iy = oy * s - pb[0] + ky * dl, ix = ox * s - pb[1] + kx * dl;
                                if (iy < 0 || iy >= hh || ix < 0 || ix >= wd)
                                    continue;
                                int64_t xv = kt_geti(x, ((b * c + gi * cg + ci) * hh + iy) * wd + ix);
                                int64_t wv = kt_geti(w, ((o * cg + ci) * kkh + ky) * kw + kx);
                                acc += (xv - kt_geti(zx, 0)) * (wv - z1);
                            }
                    int64_t at = ((b * m + o) * od[0] + oy) * od[1] + ox;
                    CHECK(((int32_t *)y->data)[at] == acc && ((int32_t *)y2->data)[at] == acc);
                }
    kt_free(x), kt_free(w), kt_free(zx), kt_free(zw), kt_free(y), kt_free(y2);
}

/* ---- random shapes --------------------------------------------------------------------------- */

static const DType pair[4][2] = {{DT_U8, DT_I8}, {DT_U8, DT_U8}, {DT_I8, DT_I8}, {DT_I8, DT_U8}};

/* MatMulInteger of random sizes around the tiles' (QG_MR up to 8 rows, panels of up to 48
 * columns, groups of 2 or 4 k): every remainder, k = 1, every dtype pair, zero points per
 * tensor and per column */
static void
matmul_random(int cases)
{
    static const int64_t ms[] = {1, 3, 4, 7, 8, 9, 16, 17, 25};
    static const int64_t ns[] = {1, 2, 7, 8, 15, 16, 17, 31, 33, 47, 48, 49, 65, 97};
    static const int64_t ks[] = {1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 67, 130};
    uint32_t s = 99;
    for (int c = 0; c < cases; c++) {
        int64_t ad[2] = {ms[kt_rand(&s) % 9], ks[kt_rand(&s) % 12]};
        int64_t bd[2] = {ad[1], ns[kt_rand(&s) % 14]};
        const DType *t = pair[c % 4];
        matmul_case(t[0], t[1], 2, ad, 2, bd, (int)(kt_rand(&s) % 2));
    }
}

/* ConvInteger of random shapes: 1 to 7 channels a group (not whole groups of k), kernels 1 to
 * 4, strides and dilations 1 to 3, padding 0 to 3 (some windows wholly in it), groups, zero
 * points per tensor and per channel, every dtype pair */
static void
conv_random(int cases)
{
    uint32_t s = 7;
    for (int c = 0; c < cases; c++) {
        const DType *t = pair[c % 4];
        int64_t g = 1 + kt_rand(&s) % 3, cg = 1 + kt_rand(&s) % 7, mg = 1 + kt_rand(&s) % 11;
        int64_t k = 1 + kt_rand(&s) % 4, st = 1 + kt_rand(&s) % 3, dl = 1 + kt_rand(&s) % 3;
        int64_t p = kt_rand(&s) % 4, h = (k - 1) * dl + 1 + kt_rand(&s) % 9;
        int64_t wd = (k - 1) * dl + 1 + kt_rand(&s) % 23;
        conv_case(t[0], t[1], 1 + kt_rand(&s) % 2, g * cg, c % 5 == 4 ? 0 : h, wd, g * mg, g,
                  k, k, st, dl, p, PAD_NOTSET, (int)(kt_rand(&s) % 2));
    }
}

/* 3-D ConvInteger of x [1, c, n, n + 1, n + 2] by w [m, c / g, k, k, k], begin pads p and end pads
 * p + 1 on every axis, stride s, dilation dl */
static void
conv3d_case(DType xt, DType wt, int64_t c, int64_t n, int64_t m, int64_t g, int64_t k, int64_t s,
            int64_t dl, int64_t p, int per_channel)
{
    int64_t in[3] = {n, n + 1, n + 2}, od[3];
    for (int i = 0; i < 3; i++)
        od[i] = (in[i] + 2 * p + 1 - ((k - 1) * dl + 1)) / s + 1;
    int64_t xd[5] = {1, c, in[0], in[1], in[2]}, wdims[5] = {m, c / g, k, k, k};
    int64_t yd[5] = {1, m, od[0], od[1], od[2]}, md[1] = {m};
    int64_t pv[6] = {p, p, p, p + 1, p + 1, p + 1}, sv[3] = {s, s, s}, dv[3] = {dl, dl, dl};
    ConvAttr ca = {.group = g, .pads = {6, pv}, .strides = {3, sv}, .dilations = {3, dv}};
    RtTensor *x = kt_new(xt, 5, xd), *w = kt_new(wt, 5, wdims), *zx = kt_new(xt, 0, NULL);
    RtTensor *zw = kt_new(wt, per_channel, md), *y = kt_new(DT_I32, 5, yd);
    RtTensor *y2 = kt_new(DT_I32, 5, yd);
    fill_int(x, 51), fill_int(w, 52), fill_int(zx, 53), fill_int(zw, 54);
    Attr a = {.conv = ca};
    RtTensor *inp[4] = {x, w, zx, zw};
    for (int t = 0; t < 2; t++) {
        RtTensor *out[1] = {t ? y2 : y};
        CHECK(run(t ? ctx2 : ctx1, OP_CONVINTEGER, &a, inp, 4, out, 1) == RT_OK);
    }
    int64_t cg = c / g, mg = m / g, at = 0;
    for (int64_t o = 0; o < m; o++)
        for (int64_t o0 = 0; o0 < od[0]; o0++)
            for (int64_t o1 = 0; o1 < od[1]; o1++)
                for (int64_t o2 = 0; o2 < od[2]; o2++, at++) {
                    int64_t acc = 0, z1 = kt_geti(zw, per_channel ? o : 0);
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t k0 = 0; k0 < k; k0++)
                            for (int64_t k1 = 0; k1 < k; k1++)
                                for (int64_t k2 = 0; k2 < k; k2++) {
                                    int64_t i0 = o0 * s - p + k0 * dl, i1 = o1 * s - p + k1 * dl;
                                    int64_t i2 = o2 * s - p + k2 * dl;
                                    if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 ||
                                        i2 >= in[2])
                                        continue;
                                    int64_t ch = o / mg * cg + ci;
                                    int64_t xi = ((ch * in[0] + i0) * in[1] + i1) * in[2] + i2;
                                    int64_t wi = (((o * cg + ci) * k + k0) * k + k1) * k + k2;
                                    int64_t xv = kt_geti(x, xi), wv = kt_geti(w, wi);
                                    acc += (xv - kt_geti(zx, 0)) * (wv - z1);
                                }
                    CHECK(((int32_t *)y->data)[at] == acc && ((int32_t *)y2->data)[at] == acc);
                }
    kt_free(x), kt_free(w), kt_free(zx), kt_free(zw), kt_free(y), kt_free(y2);
}

/* forms the kernels refuse: not float32 into QuantizeLinear, 16-bit operands of an integer
 * product */
static void
refusals(void)
{
    int64_t d2[2] = {2, 2};
    RtTensor *i32 = kt_new(DT_I32, 2, d2), *s = kt_new(DT_F32, 0, NULL);
    RtTensor *i16 = kt_new(DT_I16, 2, d2), *u8 = kt_new(DT_U8, 2, d2), *y = kt_new(DT_I32, 2, d2);
    Attr a = {.axis = {.axis = 1}};
    RtTensor *qin[2] = {i32, s}, *qout[1] = {u8};
    CHECK(run(ctx1, OP_QUANTIZELINEAR, &a, qin, 2, qout, 1) == RT_EUNSUPPORTED);
    RtTensor *min[2] = {i16, u8}, *mout[1] = {y};
    CHECK(run(ctx1, OP_MATMULINTEGER, NULL, min, 2, mout, 1) == RT_EUNSUPPORTED);
    kt_free(i32), kt_free(s), kt_free(i16), kt_free(u8), kt_free(y);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    CHECK(ctx1 && ctx2);
    quantize_case(DT_U8, 0, 7, 1);
    quantize_case(DT_I8, 0, 7, 0);
    quantize_case(DT_I8, 1, 9, 1);
    quantize_case(DT_U8, 1, 20000, 1);      /* 120,000 elements: split over threads */
    quantize_case(DT_I16, 1, 5, 1);
    dequantize_case(DT_U8, 0, 9);
    dequantize_case(DT_I8, 1, 17);
    dequantize_case(DT_I32, 1, 5);
    dequantize_case(DT_U8, 1, 30000);
    dynamic_case(6, -3.0f, 2.0f, 0);
    dynamic_case(12, 1.0f, 4.0f, 0);       /* all positive: the zero point is 0 */
    dynamic_case(12, -4.0f, -1.0f, 0);     /* all negative: 255 */
    dynamic_case(40000, -7.5f, 3.25f, 0);
    dynamic_case(5, 0, 0, 1);
    const int64_t a1[2] = {5, 37}, b1[2] = {37, 7};
    matmul_case(DT_U8, DT_U8, 2, a1, 2, b1, 0);
    matmul_case(DT_U8, DT_I8, 2, a1, 2, b1, 1);
    matmul_case(DT_I8, DT_I8, 2, a1, 2, b1, 2);
    const int64_t a2[4] = {2, 1, 3, 20}, b2[3] = {4, 20, 5};
    matmul_case(DT_I8, DT_U8, 4, a2, 3, b2, 2);
    const int64_t a3[1] = {19}, b3[3] = {2, 19, 6}, b4[1] = {19};
    matmul_case(DT_U8, DT_U8, 1, a3, 3, b3, 1);
    matmul_case(DT_U8, DT_I8, 2, (const int64_t[]){6, 19}, 1, b4, 0);
    const int64_t a5[2] = {67, 300}, b5[2] = {300, 45};
    matmul_case(DT_U8, DT_I8, 2, a5, 2, b5, 1);
    conv_case(DT_U8, DT_U8, 1, 1, 3, 3, 1, 1, 2, 2, 1, 1, 1, PAD_NOTSET, 0);
    conv_case(DT_U8, DT_I8, 2, 6, 9, 11, 4, 2, 3, 3, 2, 1, 1, PAD_NOTSET, 1);
    conv_case(DT_I8, DT_I8, 1, 3, 10, 7, 5, 1, 3, 2, 1, 2, 0, PAD_SAME_UPPER, 1);
    conv_case(DT_U8, DT_U8, 1, 4, 8, 8, 4, 4, 3, 3, 2, 1, 0, PAD_SAME_LOWER, 0);
    conv_case(DT_U8, DT_I8, 1, 2, 0, 13, 3, 1, 0, 4, 1, 1, 2, PAD_NOTSET, 1);
    conv_case(DT_U8, DT_I8, 1, 8, 40, 40, 16, 1, 3, 3, 1, 1, 1, PAD_NOTSET, 1); /* 1600 positions */
    conv_case(DT_U8, DT_I8, 1, 64, 66, 64, 16, 1, 3, 3, 1, 1, 1, PAD_NOTSET, 0); /* chunks */
    conv_case(DT_I8, DT_U8, 1, 3, 1, 1, 5, 1, 1, 1, 150, 1, 200, PAD_NOTSET, 1); /* vast pads */
    conv3d_case(DT_U8, DT_I8, 6, 5, 7, 1, 3, 1, 1, 1, 1);
    conv3d_case(DT_I8, DT_U8, 8, 6, 4, 2, 2, 2, 2, 0, 0);
    conv3d_case(DT_U8, DT_U8, 20, 4, 9, 1, 1, 2, 1, 0, 1);
    matmul_random(160);
    /* B's zero point its dtype's middle: no correction by A's rows (nor their sums) */
    for (int i = 0; i < 4; i++)
        matmul_case(pair[i][0], pair[i][1], 2, (const int64_t[]){13, 64}, 2,
                    (const int64_t[]){64, 20}, 3);
    conv_random(120);
    /* K = 0: all zeros; the largest K the compiler takes, every product at +-255 * 255, whose
     * sum reaches within 2^15 of the int32 limits */
    matmul_case(DT_U8, DT_I8, 2, (const int64_t[]){3, 0}, 2, (const int64_t[]){0, 5}, 1);
    for (int e = 1; e <= 2; e++) {
        extreme = e;
        for (int i = 0; i < 4; i++)
            matmul_case(pair[i][0], pair[i][1], 2, (const int64_t[]){9, 33025}, 2,
                        (const int64_t[]){33025, 17}, i % 2);
        conv_case(DT_U8, DT_U8, 1, 5, 9, 9, 9, 1, 3, 3, 1, 1, 2, PAD_NOTSET, 1);
        conv_case(DT_I8, DT_I8, 1, 6, 7, 8, 4, 2, 2, 2, 2, 2, 1, PAD_NOTSET, 0);
        extreme = 0;
    }
    refusals();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
