/*
 * resize.c: Resize on an OpenCL device, the counterpart of runtime/cpu/resize.c, with every
 * mode, coordinate transformation, nearest mode, cubic coefficient, exclude_outside, antialias,
 * tf_crop_and_resize extrapolation, axes and keep_aspect_ratio_policy that it supports: nearest
 * on any fixed-size dtype, linear and cubic on float32.
 *
 * The host builds the CPU's separable per-axis tables (the input index and weight of every tap
 * of every output index; see the CPU file for the method) by the same code, copied here because
 * the CPU's helpers are private to it; they go to the device in one buffer. Nearest is then one
 * gather kernel over the output. Linear and cubic run the CPU's passes, one launch per
 * non-identity axis in the CPU's order, through temporary device buffers, each summing its taps
 * in the CPU's order, so results match the CPU's to the last bit where the device rounds float
 * arithmetic correctly. Scales, sizes and roi come from their constants' host copies, else are
 * read back (blocking; they are a few numbers).
 */
#include "ocl_impl.h"
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    MAXTAPS = 4096, /* the widest antialias footprint (a scale of about 1/2000), as the CPU */
};

typedef struct AxisMap { /* how one axis of the output reads the input */
    int64_t in, out;
    int taps;               /* input indices per output index (1 for nearest) */
    int64_t *idx;           /* [out][taps] input indices, clamped to [0, in) */
    float *w;               /* [out][taps] weights; NULL for nearest */
    unsigned char *outside; /* [out] 1: extrapolate (tf_crop_and_resize), else NULL */
    int identity;           /* output index o reads input index o alone */
} AxisMap;

typedef struct Scales {
    double s[RT_MAXRANK];                  /* output / input size */
    double ow[RT_MAXRANK];                 /* s * input size, the reference's "output_width" */
    double r0[RT_MAXRANK], r1[RT_MAXRANK]; /* roi start and end (tf_crop_and_resize) */
} Scales;

/* ---- coordinates and taps, as runtime/cpu/resize.c ------------------------------------------- */

static double
source_coord(const ResizeAttr *a, const Scales *sc, int d, int64_t in, int64_t out, double x)
{
    double s = sc->s[d], ow = sc->ow[d], n1 = (double)(in - 1);
    switch (a->coord) {
    case CT_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case CT_HALF_PIXEL_SYMMETRIC:
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

static double
cubic(double x, double A)
{
    x = fabs(x);
    if (x <= 1)
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2)
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0;
}

static int
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

static int64_t
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

static void
fill_taps(const ResizeAttr *a, const Scales *sc, int d, AxisMap *m, int64_t o, int first)
{
    double v = source_coord(a, sc, d, m->in, m->out, (double)o);
    int64_t *ix = m->idx + o * m->taps;
    float *w = m->w ? m->w + o * m->taps : NULL;
    if (m->outside)
        m->outside[o] = v < 0 || v > (double)(m->in - 1);
    if (!isfinite(v))
        v = 0;
    v = fmax(fmin(v, 1e15), -1e15);
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

static int
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

/* ---- operands -------------------------------------------------------------------------------- */

/* Input i when present and not empty, else NULL. */
static const OclTensor *
opt_in(OclTensor *const *in, int nin, int i)
{
    return i < nin && in[i] && ocl_numel(in[i]) > 0 ? in[i] : NULL;
}

/* The values of a small operand t (at most cap bytes): its host copy, else read back into buf. */
static const void *
small_values(OclDev *d, const OclTensor *t, void *buf, size_t cap, int *rc)
{
    size_t bytes = (size_t)ocl_numel(t) * rt_dtype_size(t->dt);
    if (t->host)
        return t->host;
    if (bytes > cap) {
        *rc = rt_fail(d->ctx, RT_EINPUT, "Resize: %lld values in a scales, sizes or roi input",
                      (long long)ocl_numel(t));
        return NULL;
    }
    *rc = OCL_CALL(
        d->ctx, clEnqueueReadBuffer(d->queue, t->mem, CL_TRUE, t->off, bytes, buf, 0, NULL, NULL));
    return *rc == RT_OK ? buf : NULL;
}

/* The scales as the CPU's get_scales derives them from scales, sizes and roi. */
static int
get_scales(OclDev *d, const ResizeAttr *a, OclTensor *const *in, int nin, const OclTensor *y,
           Scales *sc)
{
    const OclTensor *x = in[0];
    int r = x->rank, na = a->axes.n ? a->axes.n : r, axes[RT_MAXRANK], rc = RT_OK;
    const OclTensor *roi = opt_in(in, nin, 1), *scl = opt_in(in, nin, 2), *siz = opt_in(in, nin, 3);
    _Alignas(8) unsigned char buf[3][2 * RT_MAXRANK * 8];
    for (int i = 0; i < r; i++) {
        sc->s[i] = (double)y->dim[i] / (double)x->dim[i];
        sc->ow[i] = (double)y->dim[i];
        sc->r0[i] = 0;
        sc->r1[i] = 1;
    }
    if (na > r)
        return rt_fail(d->ctx, RT_EINPUT, "Resize: %d axes for rank %d", na, r);
    for (int i = 0; i < na; i++) {
        int64_t v = a->axes.n ? a->axes.v[i] : i;
        v = v < 0 ? v + r : v;
        if (v < 0 || v >= r)
            return rt_fail(d->ctx, RT_EINPUT, "Resize: axis %lld out of range", (long long)v);
        axes[i] = (int)v;
    }
    if ((scl && (scl->dt != DT_F32 || ocl_numel(scl) != na)) ||
        (siz && (siz->dt != DT_I64 || ocl_numel(siz) != na)))
        return rt_fail(d->ctx, RT_EINPUT, "Resize: scales must be %d float32, sizes %d int64", na,
                       na);
    const float *fs = scl ? small_values(d, scl, buf[0], sizeof buf[0], &rc) : NULL;
    const int64_t *zs = siz ? small_values(d, siz, buf[1], sizeof buf[1], &rc) : NULL;
    if (rc != RT_OK)
        return rc;
    if (roi && a->coord == CT_TF_CROP_AND_RESIZE) {
        if ((roi->dt != DT_F32 && roi->dt != DT_F64) || ocl_numel(roi) != 2 * na)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "Resize: roi must be %d float32/64", 2 * na);
        const void *rv = small_values(d, roi, buf[2], sizeof buf[2], &rc);
        if (!rv)
            return rc;
        for (int i = 0; i < na; i++) {
            int f = roi->dt == DT_F32;
            sc->r0[axes[i]] = f ? ((const float *)rv)[i] : ((const double *)rv)[i];
            sc->r1[axes[i]] = f ? ((const float *)rv)[na + i] : ((const double *)rv)[na + i];
        }
    }
    double keep = a->policy == AR_NOT_LARGER ? INFINITY : 0; /* keep_aspect_ratio_policy */
    for (int i = 0; zs && a->policy != AR_STRETCH && i < na; i++) {
        double q = (double)zs[i] / (double)x->dim[axes[i]];
        keep = a->policy == AR_NOT_LARGER ? fmin(keep, q) : fmax(keep, q);
    }
    for (int i = 0; i < na; i++) {
        int k = axes[i];
        if (fs) {
            float f = fs[i];
            if (!(f > 0))
                return rt_fail(d->ctx, RT_EINPUT, "Resize: scale %g is not positive", (double)f);
            sc->s[k] = f;
            sc->ow[k] = (double)(f * (float)x->dim[k]); /* float32, as the reference */
        } else if (zs) {
            sc->s[k] = a->policy != AR_STRETCH ? keep : (double)zs[i] / (double)x->dim[k];
            sc->ow[k] = sc->s[k] * (double)x->dim[k];
        }
    }
    return RT_OK;
}

/* ---- launches -------------------------------------------------------------------------------- */

/* Enqueues kernel name of resize.cl, built with options opt, over items work-items. */
static int
launch(OclDev *d, const char *opt, const char *name, const OclArg *arg, int n, int64_t items)
{
    size_t global = (size_t)items;
    return ocl_launch(d, "resize", opt, name, arg, n, 1, &global, NULL);
}

/* A device buffer of bytes (> 0), initialised from host when not NULL; release it (safe once
 * the commands using it are enqueued). */
static int
temp_buffer(OclDev *d, size_t bytes, const void *host, cl_mem *out)
{
    cl_int err;
    cl_mem_flags fl = host ? CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR : CL_MEM_READ_WRITE;
    *out = clCreateBuffer(d->context, fl, bytes, (void *)host, &err);
    return OCL_ERR(d->ctx, err, clCreateBuffer);
}

/* Dims of y innermost first, and the element offset of each axis's table in toff. */
static void
digits(const OclTensor *y, const int64_t *tab_off, cl_long8 *dim, cl_long8 *toff)
{
    int r = y->rank;
    for (int k = 0; k < 8; k++) {
        dim->s[k] = k < r ? y->dim[r - 1 - k] : 1;
        toff->s[k] = k < r ? tab_off[r - 1 - k] : 0;
    }
}

/* Nearest: y[i] = x at each axis's table entry (input index times stride), or the
 * extrapolation value. The idx tables are rewritten to offsets in place. */
static int
run_nearest(OclDev *d, const ResizeAttr *a, const OclTensor *x, const OclTensor *y, AxisMap *map,
            const int64_t *tab_off, void *tab, size_t bytes)
{
    int r = x->rank;
    size_t es = rt_dtype_size(x->dt), ws = es == 16 ? 8 : es;
    int64_t st = 1;
    for (int i = r - 1; i >= 0; i--) {
        for (int64_t o = 0; o < map[i].out; o++)
            map[i].idx[o] = map[i].outside && map[i].outside[o] ? -1 : map[i].idx[o] * st;
        st *= x->dim[i];
    }
    const char *ty = ws == 1 ? "uchar" : ws == 2 ? "ushort" : ws == 4 ? "uint" : "ulong";
    char opt[64];
    snprintf(opt, sizeof opt, "-DT=%s -DW=%d", ty, es == 16 ? 2 : 1);
    cl_mem tm;
    int rc = temp_buffer(d, bytes, tab, &tm);
    if (rc != RT_OK)
        return rc;
    cl_long8 dim, toff;
    digits(y, tab_off, &dim, &toff);
    float ev = a->extrapolation;
    uint32_t eb32;
    memcpy(&eb32, &ev, 4);
    cl_ulong ebits = eb32;
    cl_long yoff = (cl_long)(y->off / ws), xoff = (cl_long)(x->off / ws), n = ocl_numel(y);
    cl_int rank = r;
    OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yoff), OCL_ARG(x->mem), OCL_ARG(xoff),  OCL_ARG(tm),
                    OCL_ARG(rank),   OCL_ARG(dim),  OCL_ARG(toff),   OCL_ARG(ebits), OCL_ARG(n)};
    rc = launch(d, opt, "resize_nearest", arg, (int)(sizeof arg / sizeof *arg), n);
    clReleaseMemObject(tm);
    return rc;
}

/* Linear and cubic: one pass per non-identity axis, in the CPU's order (the passes that shrink
 * most first, inner axes first among equals), through two temporary buffers; then the
 * extrapolation of tf_crop_and_resize. */
static int
run_interp(OclDev *d, const ResizeAttr *a, const OclTensor *x, const OclTensor *y,
           const AxisMap *map, const int64_t *tab_off, const int64_t *w_off, const int64_t *out_off,
           void *tab, size_t bytes)
{
    int r = x->rank, order[RT_MAXRANK], np = 0;
    int64_t cur[RT_MAXRANK], size[RT_MAXRANK], biggest = 1;
    for (int k = r - 1; k >= 0; k--) {
        if (map[k].identity)
            continue;
        int at = np++;
        double q = (double)map[k].out / (double)map[k].in;
        for (; at > 0 && (double)map[order[at - 1]].out / (double)map[order[at - 1]].in > q; at--)
            order[at] = order[at - 1];
        order[at] = k;
    }
    for (int k = 0; k < r; k++)
        cur[k] = x->dim[k];
    for (int i = 0; i < np; i++) { /* the elements after each pass */
        cur[order[i]] = map[order[i]].out;
        size[i] = 1;
        for (int k = 0; k < r; k++)
            size[i] *= cur[k];
        biggest = i < np - 1 && size[i] > biggest ? size[i] : biggest;
    }
    cl_mem tm, tmp[2] = {NULL, NULL};
    int rc = temp_buffer(d, bytes, tab, &tm);
    if (rc != RT_OK)
        return rc;
    for (int i = 0; i < 2 && i < np - 1 && rc == RT_OK; i++)
        rc = temp_buffer(d, (size_t)biggest * 4, NULL, &tmp[i]);
    if (rc == RT_OK && np == 0)
        rc = OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, x->mem, y->mem, x->off, y->off,
                                                  (size_t)ocl_numel(y) * 4, 0, NULL, NULL));
    cl_mem src = x->mem;
    cl_long soff = (cl_long)(x->off / 4);
    for (int k = 0; k < r; k++)
        cur[k] = x->dim[k];
    for (int i = 0; i < np && rc == RT_OK; i++) {
        int k = order[i];
        const AxisMap *m = &map[k];
        cl_long inner = 1, in = m->in, out = m->out, n = size[i];
        for (int j = k + 1; j < r; j++)
            inner *= cur[j];
        cur[k] = m->out;
        cl_mem dst = i < np - 1 ? tmp[i % 2] : y->mem;
        cl_long doff = i < np - 1 ? 0 : (cl_long)(y->off / 4);
        cl_long ixoff = tab_off[k], woff = w_off[k];
        cl_int taps = m->taps;
        OclArg arg[] = {OCL_ARG(dst),   OCL_ARG(doff),  OCL_ARG(src),  OCL_ARG(soff), OCL_ARG(tm),
                        OCL_ARG(ixoff), OCL_ARG(tm),    OCL_ARG(woff), OCL_ARG(taps), OCL_ARG(in),
                        OCL_ARG(out),   OCL_ARG(inner), OCL_ARG(n)};
        rc = launch(d, "-DT=uint -DW=1", "resize_pass", arg, (int)(sizeof arg / sizeof *arg), n);
        src = dst;
        soff = doff;
    }
    if (rc == RT_OK && a->coord == CT_TF_CROP_AND_RESIZE) {
        cl_long8 dim, toff;
        digits(y, out_off, &dim, &toff);
        cl_long yoff = (cl_long)(y->off / 4), n = ocl_numel(y);
        cl_int rank = r;
        cl_float v = a->extrapolation;
        OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yoff), OCL_ARG(tm), OCL_ARG(rank),
                        OCL_ARG(dim),    OCL_ARG(toff), OCL_ARG(v),  OCL_ARG(n)};
        rc = launch(d, "-DT=uint -DW=1", "resize_extrap", arg, (int)(sizeof arg / sizeof *arg), n);
    }
    for (int i = 0; i < 2; i++)
        if (tmp[i])
            clReleaseMemObject(tmp[i]);
    clReleaseMemObject(tm);
    return rc;
}

/* ---- the op ---------------------------------------------------------------------------------- */

int
ocl_op_resize(OclDev *d, const Attr *at, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    const ResizeAttr *a = &at->resize;
    const OclTensor *x = in[0], *y = out[0];
    int r = x->rank, first[RT_MAXRANK], crop = a->coord == CT_TF_CROP_AND_RESIZE;
    AxisMap map[RT_MAXRANK];
    Scales sc;
    size_t es = rt_dtype_size(x->dt), ws = es == 16 ? 8 : es;
    (void)nout;
    if (es == 0 || (es & (es - 1)) || es > 16 || y->dt != x->dt)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "Resize: dtype %d has no fixed size", (int)x->dt);
    if (ocl_numel(y) == 0)
        return RT_OK;
    if (ocl_numel(x) == 0 || y->rank != r)
        return rt_fail(d->ctx, RT_EINPUT, "Resize: empty input or a rank mismatch");
    if ((a->mode != RSZ_NEAREST || crop) && x->dt != DT_F32)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "Resize: this mode needs float32");
    if (x->off % ws || y->off % ws)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "Resize on OpenCL: offset not element-aligned");
    if (r == 0)
        return OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, x->mem, y->mem, x->off, y->off, es, 0,
                                                    NULL, NULL));
    int rc = get_scales(d, a, in, nin, y, &sc);
    if (rc != RT_OK)
        return rc;
    /* the tables in one block: every axis's indices (int64), then weights (float), then
     * outside flags (bytes); offsets in elements of each section */
    int64_t nl = 0, nf = 0, nb = 0, tab_off[RT_MAXRANK], w_off[RT_MAXRANK], out_off[RT_MAXRANK];
    for (int k = 0; k < r; k++) {
        map[k] = (AxisMap){.in = x->dim[k], .out = y->dim[k]};
        if (tap_span(a, sc.s[k], &first[k], &map[k].taps) < 0)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "Resize: antialias footprint too wide");
        tab_off[k] = nl;
        w_off[k] = nf;
        out_off[k] = nb;
        nl += map[k].out * map[k].taps;
        nf += a->mode == RSZ_NEAREST ? 0 : map[k].out * map[k].taps;
        nb += crop ? map[k].out : 0;
    }
    size_t bytes = (size_t)(nl * 8 + nf * 4 + nb);
    char *tab = rt_scratch(d->ctx, 0, bytes);
    if (!tab)
        return rt_fail(d->ctx, RT_ENOMEM, "Resize: no scratch memory");
    for (int k = 0; k < r; k++) {
        AxisMap *m = &map[k];
        m->idx = (int64_t *)(void *)tab + tab_off[k];
        m->w = a->mode == RSZ_NEAREST ? NULL : (float *)(void *)(tab + nl * 8) + w_off[k];
        m->outside = crop ? (unsigned char *)tab + nl * 8 + nf * 4 + out_off[k] : NULL;
        for (int64_t o = 0; o < m->out; o++)
            fill_taps(a, &sc, k, m, o, first[k]);
        m->identity = is_identity(m);
    }
    if (a->mode == RSZ_NEAREST)
        return run_nearest(d, a, x, y, map, tab_off, tab, bytes);
    /* the kernels index the weights and flags from the start of the buffer */
    for (int k = 0; k < r; k++) {
        w_off[k] += nl * 2;
        out_off[k] += nl * 8 + nf * 4;
    }
    return run_interp(d, a, x, y, map, tab_off, w_off, out_off, tab, bytes);
}
