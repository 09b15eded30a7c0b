/*
 * test_cpu_resize.c: Resize (runtime/cpu/resize.c) against a naive reference that follows the
 * ONNX reference implementation (onnx/reference/ops/op_resize.py) step by step: per output
 * element, a recursive 1-D interpolation over the axes, each computing its input coordinate by
 * the coordinate transformation mode, its coefficients (nearest, linear, cubic, and their
 * antialiased forms), and its neighbours as the n nearest indices of the edge-padded axis. It
 * shares no code with the kernel's separable tables. Cases cover every nearest mode and
 * coordinate mode, up- and downsampling by scales and by sizes, antialias, exclude_outside,
 * tf_crop_and_resize with extrapolation, the axes attribute and keep_aspect_ratio_policy, in a
 * 1-thread and a 2-thread context; a few ONNX backend-test outputs pin the conventions down.
 */
#include "../kernels/ktest.h"

#include <stdint.h>

static RtCtx *ctx1, *ctx2;

/* ---- the reference --------------------------------------------------------------------------- */

typedef struct Ref {
    const ResizeAttr *a;
    const float *x;
    int r;
    const int64_t *in, *out; /* input and output dims */
    double s[RT_MAXRANK];    /* scale_factors */
    double ow[RT_MAXRANK];   /* output_width = scale * input width */
    double roi0[RT_MAXRANK], roi1[RT_MAXRANK];
    int64_t stride[RT_MAXRANK]; /* input strides, in elements */
} Ref;

/* Coefficients for a fraction ratio in (0, 1]; returns their count. */
static int
ref_coeffs(const ResizeAttr *a, double ratio, double scale, double *c)
{
    double A = a->cubic_a, sc = scale < 1 ? scale : 1, sum = 0;
    if (a->mode == RSZ_NEAREST) {
        int hi = 1; /* ratio == 1 (an integer coordinate) takes the second */
        if (ratio != 1) {
            switch (a->nearest) {
            case NM_ROUND_PREFER_FLOOR: hi = ratio > 0.5; break;
            case NM_ROUND_PREFER_CEIL: hi = ratio >= 0.5; break;
            case NM_FLOOR: hi = 0; break;
            case NM_CEIL: hi = 1; break;
            }
        }
        c[0] = !hi;
        c[1] = hi;
        return 2;
    }
    if (a->mode == RSZ_LINEAR && !a->antialias) {
        c[0] = 1 - ratio;
        c[1] = ratio;
        return 2;
    }
    if (a->mode == RSZ_CUBIC && !a->antialias) {
        double r1 = ratio + 1, q = 1 - ratio, q1 = q + 1;
        c[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
        c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
        c[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
        c[3] = ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A;
        return 4;
    }
    int n = 0;
    if (a->mode == RSZ_LINEAR) { /* start = floor(-1 / scale) + 1, footprint 2 - 2 start */
        int start = (int)floor(-1 / sc) + 1;
        for (int i = start; i < start + 2 - 2 * start; i++) {
            double v = 1 - fabs((i - ratio) * sc);
            c[n++] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    } else {
        int i0 = (int)floor(-2 / sc) + 1;
        for (int i = i0; i < 2 - i0; i++) {
            double x = fabs(sc * (i - ratio)), x2 = x * x, x3 = x2 * x;
            c[n++] = x <= 1  ? (A + 2) * x3 - (A + 3) * x2 + 1
                     : x < 2 ? A * x3 - 5 * A * x2 + 8 * A * x - 4 * A
                             : 0;
        }
    }
    for (int i = 0; i < n; i++)
        sum += c[i];
    for (int i = 0; i < n; i++)
        c[i] /= sum;
    return n;
}

/* The n indices of [0, len) nearest to v, ties to the smaller, ascending. */
static void
nearest_idxes(double v, int n, int64_t len, int64_t *out)
{
    unsigned char taken[512] = {0};
    for (int k = 0; k < n; k++) {
        int64_t best = -1;
        for (int64_t i = 0; i < len; i++)
            if (!taken[i] && (best < 0 || fabs(v - (double)i) < fabs(v - (double)best)))
                best = i;
        if (best < 0 || best >= 512)
            break;
        taken[best] = 1;
    }
    for (int64_t i = 0, k = 0; i < len; i++)
        if (taken[i])
            out[k++] = i;
}

/* The value at output index o[d..] of the input sub-tensor at offset off (_interpolate_nd_with_x
 * and _interpolate_1d_with_x). */
static double
ref_value(const Ref *f, int d, int64_t off, const int64_t *o)
{
    if (d == f->r)
        return f->x[off];
    const ResizeAttr *a = f->a;
    double x = (double)o[d], s = f->s[d], ow = f->ow[d], n = (double)f->in[d], v = 0;
    switch (a->coord) {
    case CT_ALIGN_CORNERS: v = ow == 1 ? 0 : x * (n - 1) / (ow - 1); break;
    case CT_ASYMMETRIC: v = x / s; break;
    case CT_TF_HALF_PIXEL_FOR_NN: v = (x + 0.5) / s; break;
    case CT_TF_CROP_AND_RESIZE:
        v = ow == 1 ? (f->roi1[d] - f->roi0[d]) * (n - 1) / 2
                    : x * (f->roi1[d] - f->roi0[d]) * (n - 1) / (ow - 1);
        v += f->roi0[d] * (n - 1);
        if (v < 0 || v > n - 1)
            return f->a->extrapolation;
        break;
    case CT_PYTORCH_HALF_PIXEL: v = f->out[d] > 1 ? (x + 0.5) / s - 0.5 : 0; break; /* spec */
    case CT_HALF_PIXEL: v = (x + 0.5) / s - 0.5; break;
    case CT_HALF_PIXEL_SYMMETRIC:
        v = n / 2 * (1 - (double)f->out[d] / ow) + (x + 0.5) / s - 0.5;
        break;
    }
    double ratio = v == floor(v) ? 1 : v - floor(v), c[512];
    int nc = ref_coeffs(a, ratio, s, c), pad = (nc + 1) / 2;
    int64_t idx[512];
    nearest_idxes(v + pad, nc, f->in[d] + 2 * pad, idx);
    double sum = 0, acc = 0;
    for (int k = 0; k < nc; k++) {
        int64_t i = idx[k] - pad;
        if (a->exclude_outside && (i < 0 || i >= f->in[d]))
            c[k] = 0;
        sum += c[k];
    }
    for (int k = 0; k < nc; k++) {
        if (c[k] == 0)
            continue;
        int64_t i = idx[k] - pad;
        i = i < 0 ? 0 : i >= f->in[d] ? f->in[d] - 1 : i; /* edge padding */
        acc += (a->exclude_outside ? c[k] / sum : c[k]) *
               ref_value(f, d + 1, off + i * f->stride[d], o);
    }
    return acc;
}

/* ---- cases ----------------------------------------------------------------------------------- */

typedef struct Case {
    int r;
    int64_t in[RT_MAXRANK];
    int na;              /* values of scales / sizes / half the roi */
    const float *scales; /* NULL: by sizes */
    const int64_t *sizes;
    const float *roi;
} Case;

/* Runs one case in both contexts and compares with the reference (or with want if given). */
static void
run(const char *what, const ResizeAttr *ra, const Case *c, const float *want)
{
    int r = c->r, axes[RT_MAXRANK];
    int64_t out[RT_MAXRANK], na1 = c->na, na2 = 2 * c->na;
    Ref f = {.a = ra, .r = r, .in = c->in, .out = out};
    for (int i = 0; i < c->na; i++) {
        int64_t v = ra->axes.n ? ra->axes.v[i] : i;
        axes[i] = (int)(v < 0 ? v + r : v);
    }
    for (int d = 0; d < r; d++) {
        out[d] = c->in[d];
        f.s[d] = 1;
        f.ow[d] = (double)c->in[d];
        f.roi0[d] = 0;
        f.roi1[d] = 1;
    }
    double keep = ra->policy == AR_NOT_LARGER ? INFINITY : 0;
    for (int i = 0; c->sizes && i < c->na; i++) {
        double q = (double)c->sizes[i] / (double)c->in[axes[i]];
        keep = ra->policy == AR_NOT_LARGER ? fmin(keep, q) : fmax(keep, q);
    }
    for (int i = 0; i < c->na; i++) {
        int d = axes[i];
        if (c->scales) { /* the compiler's output size: floor(in * scale) in float */
            out[d] = (int64_t)floor((double)((float)c->in[d] * c->scales[i]));
            f.s[d] = c->scales[i];
            f.ow[d] = (double)(c->scales[i] * (float)c->in[d]);
        } else if (ra->policy == AR_STRETCH) {
            out[d] = c->sizes[i];
            f.s[d] = (double)out[d] / (double)c->in[d];
            f.ow[d] = f.s[d] * (double)c->in[d];
        } else {
            out[d] = (int64_t)(keep * (double)c->in[d] + 0.5);
            f.s[d] = keep;
            f.ow[d] = keep * (double)c->in[d];
        }
        if (c->roi) {
            f.roi0[d] = c->roi[i];
            f.roi1[d] = c->roi[c->na + i];
        }
    }
    RtTensor *x = kt_new(DT_F32, r, c->in), *y = kt_new(DT_F32, r, out);
    RtTensor *ref = kt_new(DT_F32, r, out);
    RtTensor *roi = c->roi ? kt_new(DT_F32, 1, &na2) : NULL;
    RtTensor *sc = c->scales ? kt_new(DT_F32, 1, &na1) : NULL;
    RtTensor *sz = c->sizes ? kt_new(DT_I64, 1, &na1) : NULL;
    if (roi)
        memcpy(roi->data, c->roi, (size_t)na2 * sizeof(float));
    if (sc)
        memcpy(sc->data, c->scales, (size_t)na1 * sizeof(float));
    if (sz)
        memcpy(sz->data, c->sizes, (size_t)na1 * sizeof(int64_t));
    kt_fill(x, (uint32_t)(7 + r + c->in[r - 1]), -2, 2);
    if (want) {
        for (int64_t i = 0; i < rt_numel(x); i++) /* backend tests use 1, 2, 3, ... */
            ((float *)x->data)[i] = (float)(i + 1);
        memcpy(ref->data, want, (size_t)rt_numel(ref) * sizeof(float));
    } else {
        f.x = x->data;
        for (int d = r - 1, st = 1; d >= 0; d--) {
            f.stride[d] = st;
            st *= (int)c->in[d];
        }
        int64_t o[RT_MAXRANK];
        for (int64_t e = 0; e < rt_numel(ref); e++) {
            int64_t rem = e;
            for (int d = r - 1; d >= 0; d--) {
                o[d] = rem % out[d];
                rem /= out[d];
            }
            ((float *)ref->data)[e] = (float)ref_value(&f, 0, 0, o);
        }
    }
    RtTensor *in[4] = {x, roi, sc, sz};
    Attr a = {.resize = *ra};
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        char name[200];
        snprintf(name, sizeof name, "%s (%d thread%s)", what, t + 1, t ? "s" : "");
        memset(y->data, 0xff, (size_t)rt_numel(y) * sizeof(float));
        int st = cpu_resize(ctxs[t], &a, in, 4, &y, 1);
        CHECK(st == RT_OK);
        if (st != RT_OK)
            fprintf(stderr, "%s: %s\n", name, rt_ctx_error(ctxs[t]));
        else
            CHECK(kt_close(name, y->data, ref->data, rt_numel(y), 1e-5, 1e-5));
    }
    kt_free(x), kt_free(y), kt_free(ref), kt_free(roi), kt_free(sc), kt_free(sz);
}

/* Resize attributes with the ONNX defaults but for mode and coordinate mode. */
static ResizeAttr
attr(ResizeMode m, CoordMode c)
{
    return (ResizeAttr){.mode = m, .coord = c, .nearest = NM_ROUND_PREFER_FLOOR, .cubic_a = -0.75f};
}

static const char *const coord_name[] = {
    "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",  "align_corners",
    "asymmetric", "tf_crop_and_resize",   "tf_half_pixel_for_nn"};
static const char *const mode_name[] = {"nearest", "linear", "cubic"};

/* Every coordinate mode (but tf_crop_and_resize) on a set of shapes, by scales and by sizes. */
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
                    snprintf(name, sizeof name, "%s %s%s case %d", mode_name[m], coord_name[c],
                             aa ? " antialias" : "", k);
                    run(name, &ra, &cases[k], NULL);
                }
            }
        }
    }
}

/* Each nearest_mode with each coordinate mode, on integer, odd and downsampling scales. */
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
                snprintf(name, sizeof name, "nearest mode %d %s case %d", nm, coord_name[c], k);
                run(name, &ra, &cases[k], NULL);
            }
        }
    }
}

/* tf_crop_and_resize, exclude_outside, cubic_coeff_a, axes, keep_aspect_ratio_policy, 1-D and
 * 5-D tensors. */
static void
test_options(void)
{
    static const float up[4] = {1, 1, 1.8f, 2.2f}, down[4] = {1, 1, 0.4f, 0.7f};
    static const float roi[8] = {0, 0, 0.2f, -0.3f, 1, 1, 0.9f, 1.4f};
    static const float roi2[8] = {0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f};
    static const int64_t s3[4] = {1, 1, 5, 6};
    Case cu = {4, {1, 2, 5, 6}, 4, up, NULL, NULL}, cd = {4, {1, 2, 9, 8}, 4, down, NULL, NULL};
    for (int m = RSZ_NEAREST; m <= RSZ_CUBIC; m++) { /* tf_crop_and_resize, with extrapolation */
        ResizeAttr ra = attr((ResizeMode)m, CT_TF_CROP_AND_RESIZE);
        ra.extrapolation = 10;
        Case c1 = {4, {1, 2, 6, 5}, 4, up, NULL, roi}, c2 = {4, {1, 1, 4, 4}, 4, NULL, s3, roi2};
        run("tf_crop_and_resize up", &ra, &c1, NULL);
        run("tf_crop_and_resize sizes", &ra, &c2, NULL);
    }
    for (int aa = 0; aa < 2; aa++) {
        ResizeAttr ra = attr(RSZ_CUBIC, CT_HALF_PIXEL);
        ra.exclude_outside = 1;
        ra.antialias = aa;
        ra.cubic_a = -0.5f;
        run("cubic exclude_outside A=-0.5 up", &ra, &cu, NULL);
        run("cubic exclude_outside A=-0.5 down", &ra, &cd, NULL);
        ra.mode = RSZ_LINEAR;
        run("linear exclude_outside down", &ra, &cd, NULL);
    }
    /* axes: scales for the listed axes only, negative ones allowed */
    static const int64_t ax2[2] = {-1, 1}, ax1[1] = {-1};
    static const float s2[2] = {2.5f, 0.5f}, s1[1] = {3};
    static const int64_t z2[2] = {4, 7};
    ResizeAttr ra = attr(RSZ_LINEAR, CT_HALF_PIXEL);
    ra.axes = (Ints){2, ax2};
    Case c1 = {3, {2, 6, 4}, 2, s2, NULL, NULL}, c2 = {3, {2, 6, 4}, 2, NULL, z2, NULL};
    run("linear axes (-1, 1)", &ra, &c1, NULL);
    run("linear axes (-1, 1) sizes", &ra, &c2, NULL);
    ra.axes = (Ints){1, ax1};
    ra.mode = RSZ_NEAREST;
    Case c3 = {3, {2, 3, 4}, 1, s1, NULL, NULL};
    run("nearest axes (-1)", &ra, &c3, NULL);
    /* keep_aspect_ratio_policy with sizes */
    static const int64_t want[2] = {7, 7};
    static const int64_t axhw[2] = {2, 3};
    for (int p = AR_NOT_LARGER; p <= AR_NOT_SMALLER; p++) {
        ResizeAttr rp = attr(RSZ_LINEAR, CT_HALF_PIXEL);
        rp.policy = (AspectPolicy)p;
        rp.axes = (Ints){2, axhw};
        Case c = {4, {1, 2, 4, 6}, 2, NULL, want, NULL};
        run(p == AR_NOT_LARGER ? "not_larger" : "not_smaller", &rp, &c, NULL);
    }
    /* 3-D trilinear on a 5-D tensor, and a 1-D cubic */
    static const float s5[5] = {1, 1, 1.5f, 0.7f, 2}, s1d[1] = {2.2f};
    Case c5 = {5, {1, 2, 3, 5, 4}, 5, s5, NULL, NULL}, c1d = {1, {7}, 1, s1d, NULL, NULL};
    ResizeAttr r5 = attr(RSZ_LINEAR, CT_ALIGN_CORNERS);
    run("trilinear 5-D", &r5, &c5, NULL);
    r5.mode = RSZ_CUBIC;
    r5.coord = CT_ASYMMETRIC;
    run("cubic 1-D", &r5, &c1d, NULL);
}

/* Large enough that the 2-thread context splits the work: the common CNN upsamplings. */
static void
test_large(void)
{
    static const float two[4] = {1, 1, 2, 2}, half[4] = {1, 1, 0.5f, 0.5f};
    Case up = {4, {1, 8, 32, 40}, 4, two, NULL, NULL},
         dn = {4, {1, 4, 64, 80}, 4, half, NULL, NULL};
    ResizeAttr ra = attr(RSZ_NEAREST, CT_ASYMMETRIC);
    ra.nearest = NM_FLOOR;
    run("nearest 2x large", &ra, &up, NULL);
    ra = attr(RSZ_LINEAR, CT_HALF_PIXEL);
    run("bilinear 2x large", &ra, &up, NULL);
    ra.coord = CT_ALIGN_CORNERS;
    run("bilinear align_corners 2x large", &ra, &up, NULL);
    ra = attr(RSZ_LINEAR, CT_PYTORCH_HALF_PIXEL);
    ra.antialias = 1;
    run("bilinear antialias 0.5x large", &ra, &dn, NULL);
}

/* Outputs of ONNX backend tests (onnx/backend/test/case/node/resize.py) on inputs 1, 2, 3, ... */
static void
test_backend(void)
{
    static const float s23[4] = {1, 1, 2, 3}, s06[4] = {1, 1, 0.6f, 0.6f}, s2[4] = {1, 1, 2, 2};
    static const float roi[8] = {0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f};
    static const int64_t sz3[4] = {1, 1, 3, 3};
    static const float w_up_nearest[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                           3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    static const float w_down_linear[2] = {2.6666665f, 4.3333331f};
    static const float w_down_ac[2] = {1, 3.142857f};
    static const float w_up_linear[16] = {1,    1.25f, 1.75f, 2,    1.5f, 1.75f, 2.25f, 2.5f,
                                          2.5f, 2.75f, 3.25f, 3.5f, 3,    3.25f, 3.75f, 4};
    static const float w_crop[9] = {7.6f, 7.9f, 8.2f, 8.8f, 9.1f, 9.4f, 10, 10.3f, 10.6f};
    Case c22 = {4, {1, 1, 2, 2}, 4, s23, NULL, NULL}, c24 = {4, {1, 1, 2, 4}, 4, s06, NULL, NULL};
    Case c22b = {4, {1, 1, 2, 2}, 4, s2, NULL, NULL}, c44 = {4, {1, 1, 4, 4}, 4, NULL, sz3, roi};
    ResizeAttr ra = attr(RSZ_NEAREST, CT_HALF_PIXEL);
    ra.nearest = NM_ROUND_PREFER_FLOOR;
    run("backend upsample_scales_nearest", &ra, &c22, w_up_nearest);
    ra = attr(RSZ_LINEAR, CT_HALF_PIXEL);
    run("backend downsample_scales_linear", &ra, &c24, w_down_linear);
    run("backend upsample_scales_linear", &ra, &c22b, w_up_linear);
    ra.coord = CT_ALIGN_CORNERS;
    run("backend downsample_scales_linear_align_corners", &ra, &c24, w_down_ac);
    ra.coord = CT_TF_CROP_AND_RESIZE;
    run("backend tf_crop_and_resize", &ra, &c44, w_crop);
}

/* Linear on int32 is unsupported; nearest copies any dtype. */
static void
test_errors(void)
{
    int64_t d[2] = {2, 3}, o[2] = {4, 6}, two = 2;
    RtTensor *x = kt_new(DT_I32, 2, d), *y = kt_new(DT_I32, 2, o), *sc = kt_new(DT_F32, 1, &two);
    ((float *)sc->data)[0] = ((float *)sc->data)[1] = 2;
    RtTensor *in[3] = {x, NULL, sc};
    Attr a = {.resize = attr(RSZ_LINEAR, CT_HALF_PIXEL)};
    CHECK(cpu_resize(ctx1, &a, in, 3, &y, 1) == RT_EUNSUPPORTED);
    a.resize.mode = RSZ_NEAREST; /* nearest copies elements of any dtype */
    for (int i = 0; i < 6; i++)
        ((int32_t *)x->data)[i] = i;
    CHECK(cpu_resize(ctx1, &a, in, 3, &y, 1) == RT_OK);
    CHECK(((int32_t *)y->data)[7] == 0 && ((int32_t *)y->data)[23] == 5);
    kt_free(x), kt_free(y), kt_free(sc);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    test_backend();
    test_modes();
    test_nearest_modes();
    test_options();
    test_large();
    test_errors();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
