/*
 * test_parity_quant.c: the int8 ops on OpenCL (runtime/opencl/quant.c) against the CPU kernels,
 * which tests/kernels/test_cpu_quant.c holds to the ONNX spec. Every output must be identical,
 * floats bit for bit (atol and rtol 0): QuantizeLinear with ties, NaN and saturation, per tensor
 * and per axis; DequantizeLinear of uint8, int8 and int32; DynamicQuantizeLinear on a large input
 * (its range is reduced in one work-group); MatMulInteger with batches and per-column zero
 * points; ConvInteger with pads, strides, dilations, groups and per-channel zero points;
 * QLinearConv and QLinearMatMul with per-channel scales, a bias, a fused clamp and ties.
 */
#include "parity.h"

static uint32_t seed = 12345;

/* A tensor of dtype dt with random bytes (integers), or floats in [-lo, lo) */
static RtTensor *
rnd(DType dt, int rank, const int64_t *dim, float lo)
{
    RtTensor *t = kt_new(dt, rank, dim);
    if (dt == DT_F32) {
        kt_fill(t, kt_rand(&seed), -lo, lo);
        return t;
    }
    unsigned char *p = t->data;
    for (size_t i = 0; i < par_bytes(t); i++)
        p[i] = (unsigned char)(kt_rand(&seed) >> 11);
    return t;
}

static void
test_quantize(void)
{
    for (int c = 0; c < 4; c++) {
        int per_axis = c & 1;
        DType dt = c & 2 ? DT_I8 : DT_U8;
        int64_t xd[3] = {3, 5, 77}, sd[1] = {5};
        RtTensor *x = rnd(DT_F32, 3, xd, 400.0f), *s = kt_new(DT_F32, per_axis, sd);
        RtTensor *z = rnd(dt, per_axis, sd, 0), *y = kt_new(dt, 3, xd);
        float *xv = x->data, *sv = s->data;
        for (int i = 0; i < (per_axis ? 5 : 1); i++)
            sv[i] = 0.5f * (float)(i + 1);
        xv[0] = 0.25f, xv[1] = 0.75f, xv[2] = NAN, xv[3] = -INFINITY, xv[4] = 1e20f;
        Attr a = {.axis = {.axis = 1}};
        RtTensor *in[3] = {x, s, z}, *out[1] = {y};
        par_check("QuantizeLinear", OP_QUANTIZELINEAR, &a, in, 3, out, 1, 0, 0, 0);
        par_check("QuantizeLinear, no zero point", OP_QUANTIZELINEAR, &a, in, 2, out, 1, 0, 0,
                  0);
        kt_free(x), kt_free(s), kt_free(z), kt_free(y);
    }
}

static void
test_dequantize(void)
{
    static const DType dts[] = {DT_U8, DT_I8, DT_I32};
    for (int c = 0; c < 3; c++) {
        int64_t xd[2] = {6, 41}, sd[1] = {41};
        RtTensor *x = rnd(dts[c], 2, xd, 0), *s = rnd(DT_F32, 1, sd, 3.0f);
        RtTensor *z = rnd(dts[c], 1, sd, 0), *y = kt_new(DT_F32, 2, xd);
        Attr a = {.axis = {.axis = -1}};
        RtTensor *in[3] = {x, s, z}, *out[1] = {y};
        par_check("DequantizeLinear", OP_DEQUANTIZELINEAR, &a, in, dts[c] == DT_I32 ? 2 : 3, out,
                  1, 0, 0, 0);
        kt_free(x), kt_free(s), kt_free(z), kt_free(y);
    }
}

static void
test_dynamic(void)
{
    int64_t xd[2] = {97, 301};
    RtTensor *x = rnd(DT_F32, 2, xd, 6.0f), *y = kt_new(DT_U8, 2, xd);
    RtTensor *s = kt_new(DT_F32, 0, NULL), *z = kt_new(DT_U8, 0, NULL);
    RtTensor *in[1] = {x}, *out[3] = {y, s, z};
    par_check("DynamicQuantizeLinear", OP_DYNAMICQUANTIZELINEAR, NULL, in, 1, out, 3, 0, 0, 0);
    memset(x->data, 0, par_bytes(x));
    par_check("DynamicQuantizeLinear of zeros", OP_DYNAMICQUANTIZELINEAR, NULL, in, 1, out, 3, 0,
              0, 0);
    kt_free(x), kt_free(y), kt_free(s), kt_free(z);
}

static void
test_matmul(void)
{
    int64_t ad[3] = {2, 9, 33}, bd[3] = {2, 33, 13}, yd[3] = {2, 9, 13}, nd[1] = {13};
    int64_t zd[3] = {2, 1, 13};
    for (int c = 0; c < 3; c++) {
        DType at = c == 1 ? DT_I8 : DT_U8, bt = c == 2 ? DT_U8 : DT_I8;
        RtTensor *a = rnd(at, 3, ad, 0), *b = rnd(bt, 3, bd, 0), *y = kt_new(DT_I32, 3, yd);
        RtTensor *za = rnd(at, 0, NULL, 0);
        RtTensor *zb = c == 0 ? rnd(bt, 1, nd, 0) : c == 1 ? rnd(bt, 3, zd, 0) : rnd(bt, 0, NULL, 0);
        RtTensor *in[4] = {a, b, za, zb}, *out[1] = {y};
        par_check("MatMulInteger", OP_MATMULINTEGER, NULL, in, 4, out, 1, 0, 0, 0);
        par_check("MatMulInteger, no zero points", OP_MATMULINTEGER, NULL, in, 2, out, 1, 0, 0, 0);
        kt_free(a), kt_free(b), kt_free(y), kt_free(za), kt_free(zb);
    }
}

static void
test_conv(void)
{
    /* x [1, 4, 11, 9], w [6, 2, 3, 3], group 2, stride 2, dilation 1, pads 1 1 2 0 -> [1, 6, 6, 4] */
    int64_t xd[4] = {1, 4, 11, 9}, wd[4] = {6, 2, 3, 3}, yd[4] = {1, 6, 6, 4}, md[1] = {6};
    int64_t pads[4] = {1, 1, 2, 0}, st[2] = {2, 2};
    Attr a = {.conv = {.group = 2, .pads = {4, pads}, .strides = {2, st}}};
    RtTensor *x = rnd(DT_U8, 4, xd, 0), *w = rnd(DT_I8, 4, wd, 0), *y = kt_new(DT_I32, 4, yd);
    RtTensor *zx = rnd(DT_U8, 0, NULL, 0), *zw = rnd(DT_I8, 1, md, 0);
    RtTensor *in[4] = {x, w, zx, zw}, *out[1] = {y};
    par_check("ConvInteger", OP_CONVINTEGER, &a, in, 4, out, 1, 0, 0, 0);
    par_check("ConvInteger, no zero points", OP_CONVINTEGER, &a, in, 2, out, 1, 0, 0, 0);
    kt_free(x), kt_free(w), kt_free(y), kt_free(zx), kt_free(zw);
    /* dilated, SAME_UPPER: x [2, 3, 7, 8], w [2, 3, 2, 3], dilation 2 -> [2, 2, 7, 8] */
    int64_t xd2[4] = {2, 3, 7, 8}, wd2[4] = {2, 3, 2, 3}, yd2[4] = {2, 2, 7, 8}, dl[2] = {2, 2};
    Attr b = {.conv = {.group = 1, .dilations = {2, dl}, .auto_pad = PAD_SAME_UPPER}};
    x = rnd(DT_I8, 4, xd2, 0), w = rnd(DT_I8, 4, wd2, 0), y = kt_new(DT_I32, 4, yd2);
    zx = rnd(DT_I8, 0, NULL, 0), zw = rnd(DT_I8, 0, NULL, 0);
    RtTensor *in2[4] = {x, w, zx, zw};
    out[0] = y;
    par_check("ConvInteger, dilated", OP_CONVINTEGER, &b, in2, 4, out, 1, 0, 0, 0);
    kt_free(x), kt_free(w), kt_free(y), kt_free(zx), kt_free(zw);
}

/* A float32 tensor of n positive scales (one element, rank 0, when n is 0) */
static RtTensor *
scales(int64_t n, float base)
{
    int64_t d[1] = {n};
    RtTensor *t = kt_new(DT_F32, n > 0, d);
    for (int64_t i = 0; i < (n > 0 ? n : 1); i++)
        ((float *)t->data)[i] = base * (float)(1 + i % 5);
    return t;
}

static void
test_qlinear(void)
{
    /* QLinearConv: x [2, 4, 9, 9] uint8, w [6, 2, 3, 3] int8 per channel, group 2, stride 2,
     * pads 1: y [2, 6, 5, 5] uint8, bias, then the same with a clamp fused in, then int8 out */
    int64_t xd[4] = {2, 4, 9, 9}, wd[4] = {6, 2, 3, 3}, yd[4] = {2, 6, 5, 5}, md[1] = {6};
    int64_t pads[4] = {1, 1, 1, 1}, st[2] = {2, 2};
    Attr a = {.conv = {.group = 2, .pads = {4, pads}, .strides = {2, st}}};
    for (int c = 0; c < 3; c++) {
        DType yt = c == 2 ? DT_I8 : DT_U8;
        RtTensor *x = rnd(DT_U8, 4, xd, 0), *w = rnd(DT_I8, 4, wd, 0), *y = kt_new(yt, 4, yd);
        RtTensor *zx = rnd(DT_U8, 0, NULL, 0), *zw = rnd(DT_I8, 1, md, 0);
        RtTensor *zy = rnd(yt, 0, NULL, 0);
        RtTensor *sx = scales(0, 0.02f), *sw = scales(6, 0.004f), *sy = scales(0, 0.05f);
        RtTensor *b = rnd(DT_I32, 1, md, 0);
        for (int i = 0; i < 6; i++)
            ((int32_t *)b->data)[i] %= 4000;
        if (c == 1)
            a.conv.fuse = (Fused){.act = ACT_CLIP, .alpha = 30.0f, .beta = 180.0f};
        RtTensor *in[9] = {x, sx, zx, w, sw, zw, sy, zy, b}, *out[1] = {y};
        par_check("QLinearConv", OP_QLINEARCONV, &a, in, 9, out, 1, 0, 0, 0);
        par_check("QLinearConv, no bias", OP_QLINEARCONV, &a, in, 8, out, 1, 0, 0, 0);
        RtTensor *all[] = {x, w, y, zx, zw, zy, sx, sw, sy, b};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            kt_free(all[i]);
    }
    /* QLinearMatMul: a [3, 5, 33] by b [33, 7], per-column scales, hetc's bias; a multiplier of
     * 1/2 (sums of one product) for ties */
    int64_t ad[3] = {3, 5, 33}, bd[2] = {33, 7}, yd2[3] = {3, 5, 7}, nd[1] = {7};
    for (int c = 0; c < 2; c++) {
        int64_t k = c ? 1 : 33, ak[3] = {ad[0], ad[1], k}, bk[2] = {k, bd[1]};
        RtTensor *x = rnd(DT_U8, 3, ak, 0), *w = rnd(DT_I8, 2, bk, 0), *y = kt_new(DT_U8, 3, yd2);
        RtTensor *zx = rnd(DT_U8, 0, NULL, 0), *zw = kt_new(DT_I8, 0, NULL);
        RtTensor *zy = rnd(DT_U8, 0, NULL, 0), *b = rnd(DT_I32, 1, nd, 0);
        RtTensor *sx = scales(0, 1.0f), *sw = c ? scales(0, 1.0f) : scales(7, 0.5f);
        RtTensor *sy = scales(0, c ? 2.0f : 4000.0f);
        for (int i = 0; i < 7; i++)
            ((int32_t *)b->data)[i] %= 1000;
        RtTensor *in[9] = {x, sx, zx, w, sw, zw, sy, zy, b}, *out[1] = {y};
        par_check("QLinearMatMul", OP_QLINEARMATMUL, NULL, in, 9, out, 1, 0, 0, 0);
        par_check("QLinearMatMul, no bias", OP_QLINEARMATMUL, NULL, in, 8, out, 1, 0, 0, 0);
        RtTensor *all[] = {x, w, y, zx, zw, zy, sx, sw, sy, b};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            kt_free(all[i]);
    }
}

/* Shapes around igemm's block (8 rows by 16 columns, runtime/opencl/quant.c): M and N below,
 * at and past whole blocks, N under one vector, K of 0 and 1; every dtype pair, zero points per
 * tensor and per column or channel; pointwise and patched convolutions with groups. */
static void
test_tiles(void)
{
    static const int64_t mkn[][3] = {{1, 5, 1},   {3, 7, 15},  {8, 16, 16}, {9, 33, 17},
                                     {17, 40, 47}, {13, 1, 35}, {7, 0, 33},  {24, 19, 64},
                                     {10, 300, 20}};
    for (size_t t = 0; t < sizeof mkn / sizeof *mkn; t++) {
        DType at = t % 2 ? DT_I8 : DT_U8, bt = t % 3 == 1 ? DT_U8 : DT_I8;
        int64_t ad[2] = {mkn[t][0], mkn[t][1]}, bd[2] = {mkn[t][1], mkn[t][2]};
        int64_t yd[2] = {mkn[t][0], mkn[t][2]}, nd[1] = {mkn[t][2]};
        RtTensor *a = rnd(at, 2, ad, 0), *b = rnd(bt, 2, bd, 0), *y = kt_new(DT_I32, 2, yd);
        RtTensor *za = rnd(at, 0, NULL, 0), *zb = t % 2 ? rnd(bt, 1, nd, 0) : rnd(bt, 0, NULL, 0);
        RtTensor *in[4] = {a, b, za, zb}, *out[1] = {y};
        par_check("MatMulInteger, tiles", OP_MATMULINTEGER, NULL, in, 4, out, 1, 0, 0, 0);
        kt_free(a), kt_free(b), kt_free(y), kt_free(za), kt_free(zb);
    }
    /* K of 777 (three of igemm's float chunks of 256 products) at the extremes: each product
     * 255 * -255 or 255 * 255, so a chunk's sum is within 2^24 and one more product is not */
    for (int c = 0; c < 2; c++) {
        int64_t ad[2] = {9, 777}, bd[2] = {777, 17}, yd[2] = {9, 17};
        RtTensor *a = kt_new(DT_U8, 2, ad), *b = kt_new(DT_I8, 2, bd), *y = kt_new(DT_I32, 2, yd);
        RtTensor *za = kt_new(DT_U8, 0, NULL), *zb = kt_new(DT_I8, 0, NULL);
        memset(a->data, 255, par_bytes(a));
        memset(b->data, c ? 0x80 : 0x7f, par_bytes(b));
        *(int8_t *)zb->data = c ? 127 : -128;
        RtTensor *in[4] = {a, b, za, zb}, *out[1] = {y};
        par_check("MatMulInteger, extreme", OP_MATMULINTEGER, NULL, in, 4, out, 1, 0, 0, 0);
        kt_free(a), kt_free(b), kt_free(y), kt_free(za), kt_free(zb);
    }
    /* {C, M, group, k, stride, H, W}: pointwise (M past a block, W one vector and more),
     * patched with output widths under and past 16, depthwise */
    static const int64_t cv[][7] = {{6, 20, 1, 1, 1, 5, 7},  {8, 12, 2, 1, 1, 4, 16},
                                    {5, 9, 1, 3, 1, 6, 17},  {6, 18, 3, 3, 2, 9, 13},
                                    {4, 4, 4, 3, 1, 5, 21},  {3, 33, 1, 2, 1, 3, 3}};
    for (size_t t = 0; t < sizeof cv / sizeof *cv; t++) {
        const int64_t *v = cv[t];
        DType xt = t % 2 ? DT_I8 : DT_U8, wt = t % 3 == 2 ? DT_U8 : DT_I8;
        int64_t oh = (v[5] + 2 * (v[3] / 2) - v[3]) / v[4] + 1;
        int64_t ow = (v[6] + 2 * (v[3] / 2) - v[3]) / v[4] + 1;
        int64_t xd[4] = {2, v[0], v[5], v[6]}, wd[4] = {v[1], v[0] / v[2], v[3], v[3]};
        int64_t yd[4] = {2, v[1], oh, ow}, md[1] = {v[1]};
        int64_t p = v[3] / 2, pads[4] = {p, p, p, p}, st[2] = {v[4], v[4]};
        Attr a = {.conv = {.group = v[2], .pads = {4, pads}, .strides = {2, st}}};
        RtTensor *x = rnd(xt, 4, xd, 0), *w = rnd(wt, 4, wd, 0), *y = kt_new(DT_I32, 4, yd);
        RtTensor *zx = rnd(xt, 0, NULL, 0), *zw = t % 2 ? rnd(wt, 1, md, 0) : rnd(wt, 0, NULL, 0);
        RtTensor *in[4] = {x, w, zx, zw}, *out[1] = {y};
        par_check("ConvInteger, tiles", OP_CONVINTEGER, &a, in, 4, out, 1, 0, 0, 0);
        /* the same as QLinearConv, int8 out for odd cases, with a bias per channel */
        DType yt = t % 2 ? DT_I8 : DT_U8;
        RtTensor *q = kt_new(yt, 4, yd), *zy = rnd(yt, 0, NULL, 0), *bias = rnd(DT_I32, 1, md, 0);
        RtTensor *sx = scales(0, 0.02f), *sw = scales(t % 2 ? v[1] : 0, 0.004f);
        RtTensor *sy = scales(0, 0.05f);
        for (int64_t i = 0; i < v[1]; i++)
            ((int32_t *)bias->data)[i] %= 3000;
        RtTensor *qin[9] = {x, sx, zx, w, sw, zw, sy, zy, bias}, *qout[1] = {q};
        par_check("QLinearConv, tiles", OP_QLINEARCONV, &a, qin, 9, qout, 1, 0, 0, 0);
        RtTensor *all[] = {x, w, y, zx, zw, q, zy, bias, sx, sw, sy};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            kt_free(all[i]);
    }
}

/* Patches over quant.c's 32 MiB: 256 channels x 3 x 3 taps x 128 output columns a row, so 113
 * output rows a block and a last block of 15 */
static void
test_blocks(void)
{
    int64_t xd[4] = {1, 256, 128, 128}, wd[4] = {8, 256, 3, 3}, yd[4] = {1, 8, 128, 128};
    int64_t md[1] = {8}, pads[4] = {1, 1, 1, 1};
    Attr a = {.conv = {.group = 1, .pads = {4, pads}}};
    RtTensor *x = rnd(DT_U8, 4, xd, 0), *w = rnd(DT_I8, 4, wd, 0), *y = kt_new(DT_I32, 4, yd);
    RtTensor *zx = rnd(DT_U8, 0, NULL, 0), *zw = rnd(DT_I8, 1, md, 0);
    RtTensor *in[4] = {x, w, zx, zw}, *out[1] = {y};
    par_check("ConvInteger, patches in blocks", OP_CONVINTEGER, &a, in, 4, out, 1, 0, 0, 0);
    kt_free(x), kt_free(w), kt_free(y), kt_free(zx), kt_free(zw);
}

int
main(void)
{
    par_open();
    test_quantize();
    test_dequantize();
    test_dynamic();
    test_matmul();
    test_conv();
    test_qlinear();
    test_tiles();
    test_blocks();
    return par_close();
}
