/*
 * test_cpu_qlinear.c: QLinearConv and QLinearMatMul (runtime/cpu/qlinear.c) against plain loops:
 * the integer sums written out from the spec, then the requantisation ONNX Runtime does (the
 * multiplier sx * sw / sy in float, the sum plus bias converted to float and multiplied, rounded
 * half to even, plus the zero point, saturated), compared exactly on one and two threads. Cases:
 * uint8 and int8 on each side, per-tensor and per-channel W scales and zero points, groups,
 * pads and strides, an int32 bias, ties (a multiplier of 1/2), a clamp fused in by passes/qdq.c,
 * batched products, and the forms the kernels refuse.
 */
#include "ktest.h"

static RtCtx *ctx1, *ctx2;

static void
fill_int(RtTensor *t, uint32_t seed, int span)
{
    uint32_t s = seed;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        uint32_t r = kt_rand(&s);
        switch (t->dt) {
        case DT_U8: ((uint8_t *)t->data)[i] = (uint8_t)(r % 256); break;
        case DT_I8: ((int8_t *)t->data)[i] = (int8_t)((int)(r % 256) - 128); break;
        case DT_I32:
            ((int32_t *)t->data)[i] = (int32_t)(r % (2u * (unsigned)span + 1)) - span;
            break;
        default: break;
        }
    }
}

/* A one-element tensor of dtype dt holding v */
static RtTensor *
scalar(DType dt, double v)
{
    RtTensor *t = kt_new(dt, 0, NULL);
    if (dt == DT_F32)
        *(float *)t->data = (float)v;
    else if (dt == DT_U8)
        *(uint8_t *)t->data = (uint8_t)v;
    else
        *(int8_t *)t->data = (int8_t)v;
    return t;
}

/* ONNX Runtime's requantisation of one sum, into [lo, hi] */
static int64_t
requant(int64_t acc, float sx, float sw, float sy, int64_t zy, int64_t lo, int64_t hi)
{
    float m = sx * sw / sy;
    float v = (float)acc * m;
    double q = kt_round_even((double)v) + (double)zy;
    return q < (double)lo ? lo : q > (double)hi ? hi : (int64_t)q;
}

/* Runs the kernel of op on both contexts into y and y2. */
static void
run2(OpKind op, const Attr *a, RtTensor **in, int nin, RtTensor *y, RtTensor *y2, int want)
{
    RtKernel k = op == OP_QLINEARCONV ? cpu_qlinearconv : cpu_qlinearmatmul;
    for (int t = 0; t < 2; t++) {
        RtTensor *out[1] = {t ? y2 : y};
        CHECK(k(t ? ctx2 : ctx1, a, (RtTensor *const *)in, nin, (RtTensor *const *)out, 1) == want);
    }
}

/*
 * QLinearConv of X [nb, c, h, w] by W [m, c / g, k, k], stride s, pads p on every side; per:
 * W's scale and zero point per output channel; clamp: bounds [clo, chi] fused in (else none).
 */
static void
conv_case(DType xt, DType wt, DType yt, int64_t nb, int64_t c, int64_t h, int64_t wd, int64_t m,
          int64_t g, int64_t k, int64_t s, int64_t p, int per, int bias, float sy, int clamp)
{
    int64_t oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
    int64_t xd[4] = {nb, c, h, wd}, wdim[4] = {m, c / g, k, k}, yd[4] = {nb, m, oh, ow},
            md[1] = {m};
    RtTensor *x = kt_new(xt, 4, xd), *w = kt_new(wt, 4, wdim), *b = kt_new(DT_I32, 1, md);
    RtTensor *sw = kt_new(DT_F32, per, md), *zw = kt_new(wt, per, md);
    RtTensor *y = kt_new(yt, 4, yd), *y2 = kt_new(yt, 4, yd);
    RtTensor *sx = scalar(DT_F32, 0.02), *zx = scalar(xt, xt == DT_U8 ? 120 : -3);
    RtTensor *ssy = scalar(DT_F32, sy), *zy = scalar(yt, yt == DT_U8 ? 90 : 5);
    fill_int(x, 11, 0), fill_int(w, 12, 0), fill_int(b, 13, 3000);
    for (int64_t i = 0; i < (per ? m : 1); i++) {
        ((float *)sw->data)[i] = 0.003f * (float)(i + 1);
        if (wt == DT_I8)
            ((int8_t *)zw->data)[i] = (int8_t)(per ? (int)i % 5 - 2 : 0);
        else
            ((uint8_t *)zw->data)[i] = (uint8_t)(128 + (per ? i % 3 : 0));
    }
    int64_t lo = yt == DT_U8 ? 0 : -128, hi = yt == DT_U8 ? 255 : 127;
    Attr a = {.conv = {.group = g,
                       .strides = {2, (int64_t[]){s, s}},
                       .pads = {4, (int64_t[]){p, p, p, p}}}};
    if (clamp) {
        a.conv.fuse = (Fused){.act = ACT_CLIP, .alpha = (float)kt_geti(zy, 0), .beta = 200.0f};
        lo = kt_geti(zy, 0) > lo ? kt_geti(zy, 0) : lo;
        hi = 200 < hi ? 200 : hi;
    }
    RtTensor *in[9] = {x, sx, zx, w, sw, zw, ssy, zy, b};
    run2(OP_QLINEARCONV, &a, in, bias ? 9 : 8, y, y2, RT_OK);
    int64_t cg = c / g, mg = m / g;
    for (int64_t bi = 0; bi < nb; bi++)
        for (int64_t o = 0; o < m; o++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    int64_t acc = bias ? kt_geti(b, o) : 0, gi = o / mg,
                            z1 = kt_geti(zw, per ? o : 0);
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < k; ky++)
                            for (int64_t kx = 0; kx < k; kx++) {
                                int64_t iy = oy * s - p + ky, ix = ox * s - p + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                                    continue;
                                int64_t xv =
                                    kt_geti(x, ((bi * c + gi * cg + ci) * h + iy) * wd + ix);
                                int64_t wv = kt_geti(w, ((o * cg + ci) * k + ky) * k + kx);
                                acc += (xv - kt_geti(zx, 0)) * (wv - z1);
                            }
                    int64_t want = requant(acc, 0.02f, ((float *)sw->data)[per ? o : 0], sy,
                                           kt_geti(zy, 0), lo, hi);
                    int64_t at = ((bi * m + o) * oh + oy) * ow + ox;
                    CHECK(kt_geti(y, at) == want && kt_geti(y2, at) == want);
                }
    RtTensor *all[] = {x, w, b, sw, zw, y, y2, sx, zx, ssy, zy};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        kt_free(all[i]);
}

/* QLinearMatMul of A [batch, mm, kk] by B [kk, n] (per: B's scale per column), an int32 bias
 * over the columns when bias (hetc's ninth input), Y's scale sy. */
static void
matmul_case(DType at, DType bt, DType yt, int64_t batch, int64_t mm, int64_t kk, int64_t n, int per,
            int bias, float sy)
{
    int64_t ad[3] = {batch, mm, kk}, bd[2] = {kk, n}, yd[3] = {batch, mm, n}, nd[1] = {n};
    RtTensor *a = kt_new(at, 3, ad), *b = kt_new(bt, 2, bd), *bs = kt_new(DT_I32, 1, nd);
    RtTensor *sb = kt_new(DT_F32, per, nd), *y = kt_new(yt, 3, yd), *y2 = kt_new(yt, 3, yd);
    RtTensor *sa = scalar(DT_F32, 1.0), *za = scalar(at, at == DT_U8 ? 100 : 0);
    RtTensor *zb = scalar(bt, bt == DT_U8 ? 128 : 0);
    RtTensor *ssy = scalar(DT_F32, sy), *zy = scalar(yt, yt == DT_U8 ? 128 : 0);
    fill_int(a, 21, 0), fill_int(b, 22, 0), fill_int(bs, 23, 500);
    for (int64_t i = 0; i < (per ? n : 1); i++)
        ((float *)sb->data)[i] = per ? 1.0f / (float)(i % 4 + 1) : 1.0f;
    RtTensor *in[9] = {a, sa, za, b, sb, zb, ssy, zy, bs};
    run2(OP_QLINEARMATMUL, NULL, in, bias ? 9 : 8, y, y2, RT_OK);
    int64_t lo = yt == DT_U8 ? 0 : -128, hi = yt == DT_U8 ? 255 : 127;
    for (int64_t q = 0; q < batch; q++)
        for (int64_t i = 0; i < mm; i++)
            for (int64_t j = 0; j < n; j++) {
                int64_t acc = bias ? kt_geti(bs, j) : 0;
                for (int64_t t = 0; t < kk; t++)
                    acc += (kt_geti(a, (q * mm + i) * kk + t) - kt_geti(za, 0)) *
                           (kt_geti(b, t * n + j) - kt_geti(zb, 0));
                int64_t want = requant(acc, 1.0f, ((float *)sb->data)[per ? j : 0], sy,
                                       kt_geti(zy, 0), lo, hi);
                int64_t o = (q * mm + i) * n + j;
                CHECK(kt_geti(y, o) == want && kt_geti(y2, o) == want);
            }
    RtTensor *all[] = {a, b, bs, sb, y, y2, sa, za, zb, ssy, zy};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        kt_free(all[i]);
}

/* forms refused: A's scale per row, an int32 output, a bias of the wrong length */
static void
refusals(void)
{
    int64_t d2[2] = {2, 2}, d1[1] = {2}, d3[1] = {3};
    RtTensor *a = kt_new(DT_U8, 2, d2), *b = kt_new(DT_U8, 2, d2), *y = kt_new(DT_U8, 2, d2);
    RtTensor *y32 = kt_new(DT_I32, 2, d2), *rows = kt_new(DT_F32, 1, d1);
    RtTensor *s = scalar(DT_F32, 1.0), *z = scalar(DT_U8, 0), *bad = kt_new(DT_I32, 1, d3);
    RtTensor *out[1] = {y}, *out32[1] = {y32};
    RtTensor *per_row[8] = {a, rows, z, b, s, z, s, z}, *plain[8] = {a, s, z, b, s, z, s, z};
    RtTensor *biased[9] = {a, s, z, b, s, z, s, z, bad};
    CHECK(cpu_qlinearmatmul(ctx1, NULL, per_row, 8, out, 1) == RT_EUNSUPPORTED);
    CHECK(cpu_qlinearmatmul(ctx1, NULL, plain, 8, out32, 1) == RT_EUNSUPPORTED);
    CHECK(cpu_qlinearmatmul(ctx1, NULL, biased, 9, out, 1) == RT_EUNSUPPORTED);
    CHECK(cpu_qlinearmatmul(ctx1, NULL, plain, 8, out, 1) == RT_OK);
    RtTensor *all[] = {a, b, y, y32, rows, s, z, bad};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        kt_free(all[i]);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    CHECK(ctx1 && ctx2);
    conv_case(DT_U8, DT_I8, DT_U8, 1, 3, 9, 9, 8, 1, 3, 1, 1, 1, 1, 0.05f, 0);
    conv_case(DT_U8, DT_I8, DT_U8, 2, 6, 11, 7, 6, 3, 3, 2, 1, 1, 1, 0.03f, 1);
    conv_case(DT_I8, DT_I8, DT_I8, 1, 4, 8, 8, 4, 4, 3, 1, 1, 0, 0, 0.01f, 0); /* depthwise */
    conv_case(DT_U8, DT_U8, DT_U8, 1, 5, 7, 7, 3, 1, 1, 1, 0, 0, 1, 0.02f, 0);
    conv_case(DT_U8, DT_I8, DT_I8, 1, 16, 40, 40, 32, 1, 3, 1, 1, 1, 1, 0.2f, 1); /* 1600 pos. */
    matmul_case(DT_U8, DT_I8, DT_U8, 1, 5, 37, 9, 1, 1, 400.0f);
    matmul_case(DT_U8, DT_U8, DT_U8, 3, 4, 20, 7, 0, 0, 2.0f * 64.0f);
    matmul_case(DT_I8, DT_I8, DT_I8, 2, 3, 1, 6, 0, 0, 2.0f); /* sums of one: ties at 1/2 */
    matmul_case(DT_U8, DT_I8, DT_U8, 1, 1, 512, 1000, 1, 1, 3000.0f);
    refusals();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
