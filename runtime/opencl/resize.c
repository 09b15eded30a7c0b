/*
 * resize.c: Resize on an OpenCL device, the counterpart of runtime/cpu/resize.c, with every
 * mode, coordinate transformation, nearest mode, cubic coefficient, exclude_outside, antialias,
 * tf_crop_and_resize extrapolation, axes and keep_aspect_ratio_policy that it supports: nearest
 * on any fixed-size dtype, linear and cubic on float32.
 *
 * The host builds the CPU's separable per-axis tables (the input index and weight of every tap
 * of every output index) with the CPU's own code (runtime/resize_geom.h); they go to the device
 * in one buffer. Nearest is then one
 * gather kernel over the output. Linear and cubic run the CPU's passes, one launch per
 * non-identity axis in the CPU's order, through temporary device buffers, each summing its taps
 * in the CPU's order, so results match the CPU's to the last bit where the device rounds float
 * arithmetic correctly. Scales, sizes and roi come from their constants' host copies, else are
 * read back (blocking; they are a few numbers).
 */
#include "ocl_impl.h"
#include "ops.h"
#include "resize_geom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
    int r = x->rank, na, axes[RT_MAXRANK];
    const OclTensor *roi = opt_in(in, nin, 1), *scl = opt_in(in, nin, 2), *siz = opt_in(in, nin, 3);
    _Alignas(8) unsigned char buf[3][2 * RT_MAXRANK * 8];
    rsz_default(sc, r, x->dim, y->dim);
    int rc = rsz_axes(d->ctx, a, r, axes, &na);
    if (rc != RT_OK)
        return rc;
    if ((scl && (scl->dt != DT_F32 || ocl_numel(scl) != na)) ||
        (siz && (siz->dt != DT_I64 || ocl_numel(siz) != na)))
        return rt_fail(d->ctx, RT_EINPUT, "Resize: scales must be %d float32, sizes %d int64", na,
                       na);
    if (roi && a->coord != CT_TF_CROP_AND_RESIZE)
        roi = NULL;
    if (roi && ((roi->dt != DT_F32 && roi->dt != DT_F64) || ocl_numel(roi) != 2 * na))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "Resize: roi must be %d float32/64", 2 * na);
    const float *fs = scl ? small_values(d, scl, buf[0], sizeof buf[0], &rc) : NULL;
    const int64_t *zs = siz ? small_values(d, siz, buf[1], sizeof buf[1], &rc) : NULL;
    const void *rv = roi ? small_values(d, roi, buf[2], sizeof buf[2], &rc) : NULL;
    if (rc != RT_OK)
        return rc;
    return rsz_apply(d->ctx, a, x->dim, axes, na, fs, zs, rv, roi && roi->dt == DT_F32, sc);
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
