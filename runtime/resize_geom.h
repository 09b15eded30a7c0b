/*
 * resize_geom.h: Resize's per-axis tables and scales, shared by the CPU and OpenCL kernels,
 * which must agree on them to the last bit. Every ONNX mode is separable: each output index on
 * an axis reads a few input indices with fixed weights (AxisMap), found from the input
 * coordinate that the coordinate transformation mode gives it (source_coord): one index for
 * nearest, two or four for linear and cubic, a wider footprint for antialiased downsampling
 * (fill_taps). The scales come from the op's scales, sizes and roi as the ONNX reference derives
 * them (rsz_default, rsz_axes, rsz_apply). runtime/cpu/resize.c says how the tables are used.
 */
#pragma once

#include "rt_backend.h"

#include <math.h>

enum { MAXTAPS = 4096 }; /* the widest antialias footprint (a scale of about 1/2000) */

typedef struct AxisMap { /* how one axis of the output reads the input */
    int64_t in, out;
    int taps;               /* input indices per output index (1 for nearest) */
    int64_t *idx;           /* [out][taps] input indices, clamped to [0, in) */
    float *w;               /* [out][taps] weights; NULL for nearest */
    unsigned char *outside; /* [out] 1: extrapolate (tf_crop_and_resize), else NULL */
    int identity;           /* output index o reads input index o alone */
} AxisMap;

/* The scale of each axis and the per-axis inputs, as the ONNX reference derives them. */
typedef struct Scales {
    double s[RT_MAXRANK];                  /* output / input size */
    double ow[RT_MAXRANK];                 /* s * input size, the reference's "output_width" */
    double r0[RT_MAXRANK], r1[RT_MAXRANK]; /* roi start and end (tf_crop_and_resize) */
} Scales;

/* ---- coordinates and taps -------------------------------------------------------------------- */

/* The input coordinate of output index x on an axis (ONNX coordinate_transformation_mode). */
static inline double
source_coord(const ResizeAttr *a, const Scales *sc, int d, int64_t in, int64_t out, double x)
{
    double s = sc->s[d], ow = sc->ow[d], n1 = (double)(in - 1);
    switch (a->coord) {
    case CT_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case CT_HALF_PIXEL_SYMMETRIC: /* the centre of the input maps to the centre of the output */
        return (double)in / 2 * (1 - (double)out / ow) + (x + 0.5) / s - 0.5;
    case CT_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5) / s - 0.5 : 0;
    case CT_ALIGN_CORNERS: return out == 1 || ow == 1 ? 0 : x * n1 / (ow - 1);
    case CT_ASYMMETRIC: return x / s;
    case CT_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case CT_TF_CROP_AND_RESIZE:
        if (ow == 1 || out == 1)
            return ow == 1 ? (sc->r0[d] + sc->r1[d]) * n1 / 2 : sc->r0[d] * n1;
        return sc->r0[d] * n1 + x * (sc->r1[d] - sc->r0[d]) * n1 / (ow - 1);
    }
    return x;
}

/* The cubic convolution kernel with parameter A (Keys), zero from |x| = 2 on. */
static inline double
cubic(double x, double A)
{
    x = fabs(x);
    if (x <= 1)
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2)
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0;
}

/* Taps of an axis: the first offset from the base index and the count. With antialias the
 * footprint widens by 1 / scale when downsampling. Returns -1 when it passes MAXTAPS. */
static inline int
tap_span(const ResizeAttr *a, double s, int *first, int *taps)
{
    double sa = s < 1 ? s : 1, f = a->mode == RSZ_CUBIC ? -1 : 0;
    if (a->antialias && a->mode != RSZ_NEAREST)
        f = floor((a->mode == RSZ_LINEAR ? -1 : -2) / sa) + 1;
    if (!(2 - 2 * f <= MAXTAPS))
        return -1;
    *first = (int)f;
    *taps = a->mode == RSZ_NEAREST ? 1 : 2 - 2 * (int)f;
    return 0;
}

/* The nearest input index to coordinate v by nearest_mode, before clamping. */
static inline int64_t
nearest(NearestMode m, double v)
{
    double f = floor(v), t = v - f;
    if (t == 0)
        return (int64_t)f;
    switch (m) {
    case NM_ROUND_PREFER_FLOOR: return (int64_t)(t <= 0.5 ? f : f + 1);
    case NM_ROUND_PREFER_CEIL: return (int64_t)(t < 0.5 ? f : f + 1);
    case NM_FLOOR: return (int64_t)f;
    case NM_CEIL: return (int64_t)(f + 1);
    }
    return (int64_t)f;
}

/* Fills the taps of output index o of axis d. The base index is ceil(v) - 1, so the fraction t
 * lies in (0, 1], and tap k reads index base + first + k, at distance (first + k - t). */
static inline void
fill_taps(const ResizeAttr *a, const Scales *sc, int d, AxisMap *m, int64_t o, int first)
{
    double v = source_coord(a, sc, d, m->in, m->out, (double)o);
    int64_t *ix = m->idx + o * m->taps;
    float *w = m->w ? m->w + o * m->taps : NULL;
    if (m->outside)
        m->outside[o] = v < 0 || v > (double)(m->in - 1);
    if (!isfinite(v))
        v = 0;
    v = fmax(fmin(v, 1e15), -1e15); /* keeps the index arithmetic in range */
    if (a->mode == RSZ_NEAREST) {
        int64_t k = nearest(a->nearest, v);
        ix[0] = k < 0 ? 0 : k >= m->in ? m->in - 1 : k;
        return;
    }
    double base = ceil(v) - 1, t = v - base, sa = sc->s[d] < 1 ? sc->s[d] : 1, sum = 0;
    double wt[MAXTAPS];
    for (int k = 0; k < m->taps; k++) {
        double dist = first + k - t;
        if (!a->antialias && a->mode == RSZ_LINEAR)
            wt[k] = k == 0 ? 1 - t : t;
        else if (a->mode == RSZ_LINEAR)
            wt[k] = fmax(0, 1 - fabs(dist * sa));
        else
            wt[k] = cubic(a->antialias ? dist * sa : dist, a->cubic_a);
        int64_t at = (int64_t)base + first + k;
        if (a->exclude_outside && (at < 0 || at >= m->in))
            wt[k] = 0;
        sum += wt[k];
        ix[k] = at < 0 ? 0 : at >= m->in ? m->in - 1 : at;
    }
    int norm = (a->antialias || a->exclude_outside) && sum != 0;
    for (int k = 0; k < m->taps; k++)
        w[k] = (float)(norm ? wt[k] / sum : wt[k]);
}

/* Whether every output index o reads input index o with weight 1 and nothing else. */
static inline int
is_identity(const AxisMap *m)
{
    if (m->in != m->out)
        return 0;
    for (int64_t o = 0; o < m->out; o++) {
        if (m->outside && m->outside[o])
            return 0;
        double self = 0, other = 0;
        for (int k = 0; k < m->taps; k++) {
            double wk = m->w ? m->w[o * m->taps + k] : 1;
            if (m->idx[o * m->taps + k] == o)
                self += wk;
            else
                other += fabs(wk);
        }
        if (self != 1 || other != 0)
            return 0;
    }
    return 1;
}

/* ---- scales ---------------------------------------------------------------------------------- */

/* The scales without scales or sizes inputs: output / input size on each of the r axes. */
static inline void
rsz_default(Scales *sc, int r, const int64_t *xdim, const int64_t *ydim)
{
    for (int d = 0; d < r; d++) {
        sc->s[d] = (double)ydim[d] / (double)xdim[d];
        sc->ow[d] = (double)ydim[d];
        sc->r0[d] = 0;
        sc->r1[d] = 1;
    }
}

/* The axes the scales, sizes and roi inputs speak of: all r, or the axes attribute's, resolved
 * into axes[0 .. *na). */
static inline int
rsz_axes(RtCtx *ctx, const ResizeAttr *a, int r, int *axes, int *na)
{
    *na = a->axes.n ? a->axes.n : r;
    if (*na > r)
        return rt_fail(ctx, RT_EINPUT, "Resize: %d axes for rank %d", *na, r);
    for (int i = 0; i < *na; i++) {
        int64_t v = a->axes.n ? a->axes.v[i] : i;
        v = v < 0 ? v + r : v;
        if (v < 0 || v >= r)
            return rt_fail(ctx, RT_EINPUT, "Resize: axis %lld out of range", (long long)v);
        axes[i] = (int)v;
    }
    return RT_OK;
}

/* The scales of axes[0 .. na) of an input of dims xdim from the values of the scales input fs,
 * else of the sizes input zs (na each; NULL: absent), under keep_aspect_ratio_policy; and the
 * roi's 2 na values (float32 when roi_f32, else float64; NULL: none) for tf_crop_and_resize. */
static inline int
rsz_apply(RtCtx *ctx, const ResizeAttr *a, const int64_t *xdim, const int *axes, int na,
          const float *fs, const int64_t *zs, const void *roi, int roi_f32, Scales *sc)
{
    for (int i = 0; roi && i < na; i++) {
        sc->r0[axes[i]] = roi_f32 ? ((const float *)roi)[i] : ((const double *)roi)[i];
        sc->r1[axes[i]] = roi_f32 ? ((const float *)roi)[na + i] : ((const double *)roi)[na + i];
    }
    double keep = a->policy == AR_NOT_LARGER ? INFINITY : 0; /* keep_aspect_ratio_policy */
    for (int i = 0; zs && a->policy != AR_STRETCH && i < na; i++) {
        double q = (double)zs[i] / (double)xdim[axes[i]];
        keep = a->policy == AR_NOT_LARGER ? fmin(keep, q) : fmax(keep, q);
    }
    for (int i = 0; i < na; i++) {
        int d = axes[i];
        if (fs) {
            float f = fs[i];
            if (!(f > 0))
                return rt_fail(ctx, RT_EINPUT, "Resize: scale %g is not positive", (double)f);
            sc->s[d] = f;
            sc->ow[d] = (double)(f * (float)xdim[d]); /* float32, as the reference */
        } else if (zs) {
            sc->s[d] = a->policy != AR_STRETCH ? keep : (double)zs[i] / (double)xdim[d];
            sc->ow[d] = sc->s[d] * (double)xdim[d];
        }
    }
    return RT_OK;
}
