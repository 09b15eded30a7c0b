/*
 * test_parity_resize.c: Resize on OpenCL (runtime/opencl/resize.c) against the CPU kernel, on
 * the geometry of tests/kernels/test_cpu_resize.c: every mode with every coordinate
 * transformation, with and without antialias, up- and downsampling by scales and by sizes; each
 * nearest mode; tf_crop_and_resize with extrapolation; exclude_outside and cubic_coeff_a; the
 * axes attribute and keep_aspect_ratio_policy; 1-D to 5-D; nearest on every element size; and
 * scales, sizes and roi both as constants and only on the device. Nearest must match exactly,
 * linear and cubic within 1e-5 relative (the kernels sum as the CPU does, so in practice they
 * match exactly where the device rounds float arithmetic correctly).
 */
#include "parity.h"

#define RTOL 1e-5

typedef struct Case {
    int r;
    int64_t in[5];
    int na;               /* scales or sizes given for na axes (axes attribute or the first) */
    const float *scales;  /* NULL: none */
    const int64_t *sizes; /* NULL: none */
    const float *roi;     /* NULL: none */
} Case;

static int nrun;

/* Runs one case with attributes ra on dtype dt (the output shape as the compiler infers it). */
static void
run(const char *what, const ResizeAttr *ra, const Case *c, DType dt)
{
    int r = c->r, axes[RT_MAXRANK];
    int64_t out[RT_MAXRANK], na1 = c->na, na2 = 2 * c->na;
    for (int i = 0; i < r; i++)
        out[i] = c->in[i];
    for (int i = 0; i < c->na; i++) {
        int64_t v = ra->axes.n ? ra->axes.v[i] : i;
        axes[i] = (int)(v < 0 ? v + r : v);
    }
    double keep = ra->policy == AR_NOT_LARGER ? INFINITY : 0;
    for (int i = 0; c->sizes && i < c->na; i++) {
        double q = (double)c->sizes[i] / (double)c->in[axes[i]];
        keep = ra->policy == AR_NOT_LARGER ? fmin(keep, q) : fmax(keep, q);
    }
    for (int i = 0; i < c->na; i++) {
        int d = axes[i];
        if (c->scales)
            out[d] = (int64_t)floor((double)((float)c->in[d] * c->scales[i]));
        else if (ra->policy == AR_STRETCH)
            out[d] = c->sizes[i];
        else
            out[d] = (int64_t)(keep * (double)c->in[d] + 0.5);
    }
    RtTensor *x = kt_new(dt, r, c->in), *y = kt_new(dt, r, out);
    RtTensor *roi = c->roi ? kt_new(DT_F32, 1, &na2) : NULL;
    RtTensor *sc = c->scales ? kt_new(DT_F32, 1, &na1) : NULL;
    RtTensor *sz = c->sizes ? kt_new(DT_I64, 1, &na1) : NULL;
    if (roi)
        memcpy(roi->data, c->roi, (size_t)na2 * sizeof(float));
    if (sc)
        memcpy(sc->data, c->scales, (size_t)na1 * sizeof(float));
    if (sz)
        memcpy(sz->data, c->sizes, (size_t)na1 * sizeof(int64_t));
    if (dt == DT_F32) {
        kt_fill(x, (uint32_t)(7 + r + c->in[r - 1]), -2, 2);
    } else {
        uint32_t s = 99;
        for (size_t i = 0; i < par_bytes(x); i++)
            ((unsigned char *)x->data)[i] = (unsigned char)(kt_rand(&s) >> 7);
    }
    RtTensor *in[4] = {x, roi, sc, sz};
    Attr a = {.resize = *ra};
    for (int cst = 0; cst < 2; cst++) { /* roi, scales, sizes: constants, then device-only */
        char name[160];
        snprintf(name, sizeof name, "%s (dtype %d, %s)", what, dt, cst ? "device" : "const");
        par_check(name, OP_RESIZE, &a, in, 4, &y, 1, cst ? 0u : 0xeu, 0,
                  ra->mode == RSZ_NEAREST ? 0 : RTOL);
        nrun++;
    }
    kt_free(x), kt_free(y), kt_free(roi), kt_free(sc), kt_free(sz);
}

static ResizeAttr
attr(ResizeMode m, CoordMode c)
{
    return (ResizeAttr){.mode = m, .coord = c, .nearest = NM_ROUND_PREFER_FLOOR, .cubic_a = -0.75f};
}

static void
test_modes(void)
{
    static const float up[4] = {1, 1, 2, 1.7f}, down[4] = {1, 1, 0.6f, 0.45f};
    static const float mixed[4] = {1, 1, 2.5f, 0.5f}, same[4] = {1, 1, 1, 1};
    static const int64_t sup[4] = {1, 2, 11, 5}, sdown[4] = {1, 2, 3, 4};
    static const int64_t sone[4] = {1, 2, 1, 9};
    Case cases[] = {
        {4, {1, 2, 5, 7}, 4, up, NULL, NULL},    {4, {1, 2, 7, 9}, 4, down, NULL, NULL},
        {4, {1, 2, 4, 6}, 4, mixed, NULL, NULL}, {4, {1, 2, 4, 6}, 4, same, NULL, NULL},
        {4, {1, 2, 5, 3}, 4, NULL, sup, NULL},   {4, {1, 2, 7, 9}, 4, NULL, sdown, NULL},
        {4, {1, 2, 3, 4}, 4, NULL, sone, NULL},
    };
    int nc = (int)(sizeof cases / sizeof cases[0]);
    for (int m = RSZ_NEAREST; m <= RSZ_CUBIC; m++) {
        for (int c = CT_HALF_PIXEL; c <= CT_TF_HALF_PIXEL_FOR_NN; c++) {
            if (c == CT_TF_CROP_AND_RESIZE)
                continue;
            for (int aa = 0; aa < (m == RSZ_NEAREST ? 1 : 2); aa++) {
                for (int k = 0; k < nc; k++) {
                    ResizeAttr ra = attr((ResizeMode)m, (CoordMode)c);
                    ra.antialias = aa;
                    char name[128];
                    snprintf(name, sizeof name, "mode %d coord %d%s case %d", m, c,
                             aa ? " antialias" : "", k);
                    run(name, &ra, &cases[k], DT_F32);
                }
            }
        }
    }
}

static void
test_nearest_modes(void)
{
    static const float up[4] = {1, 1, 2, 3}, odd[4] = {1, 1, 1.5f, 2.5f},
                       down[4] = {1, 1, 0.5f, 0.6f};
    Case cases[] = {
        {4, {1, 1, 4, 4}, 4, up, NULL, NULL},
        {4, {2, 3, 5, 3}, 4, odd, NULL, NULL},
        {4, {1, 2, 8, 10}, 4, down, NULL, NULL},
    };
    for (int nm = NM_ROUND_PREFER_FLOOR; nm <= NM_CEIL; nm++) {
        for (int c = CT_HALF_PIXEL; c <= CT_TF_HALF_PIXEL_FOR_NN; c++) {
            if (c == CT_TF_CROP_AND_RESIZE)
                continue;
            for (int k = 0; k < 3; k++) {
                ResizeAttr ra = attr(RSZ_NEAREST, (CoordMode)c);
                ra.nearest = (NearestMode)nm;
                char name[128];
                snprintf(name, sizeof name, "nearest mode %d coord %d case %d", nm, c, k);
                run(name, &ra, &cases[k], DT_F32);
            }
        }
    }
    /* every element size */
    static const DType dts[] = {DT_U8,  DT_I16, DT_BF16, DT_I32, DT_I64,
                                DT_F64, DT_C64, DT_C128, DT_BOOL};
    ResizeAttr ra = attr(RSZ_NEAREST, CT_ASYMMETRIC);
    for (int t = 0; t < (int)(sizeof dts / sizeof *dts); t++)
        for (int k = 0; k < 3; k++)
            run("nearest dtype", &ra, &cases[k], dts[t]);
}

static void
test_options(void)
{
    static const float up[4] = {1, 1, 1.8f, 2.2f}, down[4] = {1, 1, 0.4f, 0.7f};
    static const float roi[8] = {0, 0, 0.2f, -0.3f, 1, 1, 0.9f, 1.4f};
    static const float roi2[8] = {0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f};
    static const int64_t s3[4] = {1, 1, 5, 6};
    Case cu = {4, {1, 2, 5, 6}, 4, up, NULL, NULL}, cd = {4, {1, 2, 9, 8}, 4, down, NULL, NULL};
    for (int m = RSZ_NEAREST; m <= RSZ_CUBIC; m++) {
        ResizeAttr ra = attr((ResizeMode)m, CT_TF_CROP_AND_RESIZE);
        ra.extrapolation = 10;
        Case c1 = {4, {1, 2, 6, 5}, 4, up, NULL, roi}, c2 = {4, {1, 1, 4, 4}, 4, NULL, s3, roi2};
        run("tf_crop_and_resize up", &ra, &c1, DT_F32);
        run("tf_crop_and_resize sizes", &ra, &c2, DT_F32);
    }
    for (int aa = 0; aa < 2; aa++) {
        ResizeAttr ra = attr(RSZ_CUBIC, CT_HALF_PIXEL);
        ra.exclude_outside = 1;
        ra.antialias = aa;
        ra.cubic_a = -0.5f;
        run("cubic exclude_outside A=-0.5 up", &ra, &cu, DT_F32);
        run("cubic exclude_outside A=-0.5 down", &ra, &cd, DT_F32);
        ra.mode = RSZ_LINEAR;
        run("linear exclude_outside down", &ra, &cd, DT_F32);
    }
    static const int64_t ax2[2] = {-1, 1}, ax1[1] = {-1};
    static const float s2[2] = {2.5f, 0.5f}, s1[1] = {3};
    static const int64_t z2[2] = {4, 7};
    ResizeAttr ra = attr(RSZ_LINEAR, CT_HALF_PIXEL);
    ra.axes = (Ints){2, ax2};
    Case c1 = {3, {2, 6, 4}, 2, s2, NULL, NULL}, c2 = {3, {2, 6, 4}, 2, NULL, z2, NULL};
    run("linear axes (-1, 1)", &ra, &c1, DT_F32);
    run("linear axes (-1, 1) sizes", &ra, &c2, DT_F32);
    ra.axes = (Ints){1, ax1};
    ra.mode = RSZ_NEAREST;
    Case c3 = {3, {2, 3, 4}, 1, s1, NULL, NULL};
    run("nearest axes (-1)", &ra, &c3, DT_F32);
    static const int64_t want[2] = {7, 7}, axhw[2] = {2, 3};
    for (int p = AR_NOT_LARGER; p <= AR_NOT_SMALLER; p++) {
        ResizeAttr rp = attr(RSZ_LINEAR, CT_HALF_PIXEL);
        rp.policy = (AspectPolicy)p;
        rp.axes = (Ints){2, axhw};
        Case c = {4, {1, 2, 4, 6}, 2, NULL, want, NULL};
        run(p == AR_NOT_LARGER ? "not_larger" : "not_smaller", &rp, &c, DT_F32);
    }
    static const float s5[5] = {1, 1, 1.5f, 0.7f, 2}, s1d[1] = {2.2f};
    Case c5 = {5, {1, 2, 3, 5, 4}, 5, s5, NULL, NULL}, c1d = {1, {7}, 1, s1d, NULL, NULL};
    ResizeAttr r5 = attr(RSZ_LINEAR, CT_ALIGN_CORNERS);
    run("trilinear 5-D", &r5, &c5, DT_F32);
    r5.mode = RSZ_CUBIC;
    r5.coord = CT_ASYMMETRIC;
    run("cubic 1-D", &r5, &c1d, DT_F32);
    r5.mode = RSZ_NEAREST;
    run("nearest 5-D", &r5, &c5, DT_I16);
}

static void
test_large(void)
{
    static const float two[4] = {1, 1, 2, 2}, half[4] = {1, 1, 0.5f, 0.5f};
    static const float eighth[4] = {1, 1, 0.125f, 0.125f};
    Case up = {4, {1, 8, 32, 40}, 4, two, NULL, NULL};
    Case dn = {4, {1, 4, 64, 80}, 4, half, NULL, NULL};
    Case dn8 = {4, {1, 3, 128, 96}, 4, eighth, NULL, NULL};
    ResizeAttr ra = attr(RSZ_NEAREST, CT_ASYMMETRIC);
    ra.nearest = NM_FLOOR;
    run("nearest 2x large", &ra, &up, DT_F32);
    ra = attr(RSZ_LINEAR, CT_HALF_PIXEL);
    run("bilinear 2x large", &ra, &up, DT_F32);
    ra.coord = CT_ALIGN_CORNERS;
    run("bilinear align_corners 2x large", &ra, &up, DT_F32);
    ra = attr(RSZ_LINEAR, CT_PYTORCH_HALF_PIXEL);
    ra.antialias = 1;
    run("bilinear antialias 0.5x large", &ra, &dn, DT_F32);
    run("bilinear antialias 1/8 (taps > 4)", &ra, &dn8, DT_F32);
    ra.mode = RSZ_CUBIC;
    run("bicubic antialias 1/8", &ra, &dn8, DT_F32);
}

/* Linear on int32 is RT_EUNSUPPORTED, as on the CPU. */
static void
test_errors(void)
{
    OclBuf *buf = NULL;
    CHECK(ocl_buf_new(par_dev, 256, &buf) == RT_OK);
    float two[2] = {2, 2};
    OclTensor x = {.mem = buf->mem, .off = 8, .dt = DT_I32, .rank = 2, .dim = {2, 3}};
    OclTensor y = {.mem = buf->mem, .off = 64, .dt = DT_I32, .rank = 2, .dim = {4, 6}};
    OclTensor s = {.mem = buf->mem, .off = 200, .host = two, .dt = DT_F32, .rank = 1, .dim = {2}};
    OclTensor *in[3] = {&x, NULL, &s}, *out[1] = {&y};
    Attr a = {.resize = attr(RSZ_LINEAR, CT_HALF_PIXEL)};
    CHECK(ocl_op[OP_RESIZE](par_dev, &a, in, 3, out, 1) == RT_EUNSUPPORTED);
    ocl_buf_free(par_dev, buf);
}

int
main(void)
{
    par_open();
    test_modes();
    test_nearest_modes();
    test_options();
    test_large();
    test_errors();
    fprintf(stderr, "%d resize runs\n", nrun);
    return par_close();
}
