/*
 * gather.c: Gather and GatherElements on an OpenCL device, the counterparts of
 * runtime/cpu/gather.c, for every fixed-size dtype: elements move as bits (kernels/gather.cl,
 * built once per element size and index type), one output element per work-item.
 *
 * Indices are int32 or int64, negative ones count from the end, and as on the CPU every index is
 * checked before anything is copied: one out of range is RT_EINPUT with the CPU's message. The
 * check runs on the host: on the constant's host copy when the indices are a constant, else on
 * a copy read back with a blocking clEnqueueReadBuffer. That read waits for the queue (the
 * indices are usually a few token ids or a shape computation, so the copy itself is small), but
 * it keeps the CPU's behaviour exactly; a kernel that only flagged bad indices could not report
 * them before the caller's next wait, and one that clamped them would answer wrongly.
 */
#include "ocl_impl.h"
#include "ops.h"

#include <stdio.h>

/* The unsigned type of the words an element of es bytes moves as, and the words per element;
 * NULL for an element size gather.cl does not move (none: 0 is a string). */
static const char *
word_type(size_t es, int *words)
{
    *words = es == 16 ? 2 : 1;
    return ocl_uint_type(es == 16 ? 8 : es);
}

/* Enqueues kernel name of gather.cl, built with options opt, over items work-items. */
static int
launch(OclDev *d, const char *opt, const char *name, const OclArg *arg, int n, int64_t items)
{
    size_t global = (size_t)items;
    return ocl_launch(d, "gather", opt, name, arg, n, 1, &global, NULL);
}

/* The size of the words t's elements move as: its element size, 8 for 16-byte elements. */
static size_t
word_size(const OclTensor *t)
{
    size_t es = rt_dtype_size(t->dt);
    return es == 16 ? 8 : es;
}

/* RT_OK when t's offset is a whole number of its words. */
static int
check_off(OclDev *d, const char *op, const OclTensor *t)
{
    size_t ws = word_size(t);
    if (ws == 0 || t->off % ws != 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "%s on OpenCL: offset %zu is not a multiple of the word size %zu", op,
                       t->off, ws);
    return RT_OK;
}

/* Checks, as the CPU kernel does, that the indices are int32 or int64 and all lie in
 * [-dim, dim): on the host copy of a constant, else on one read back into scratch slot 0. */
static int
check_indices(OclDev *d, const char *op, const OclTensor *idx, int64_t dim)
{
    if (idx->dt != DT_I32 && idx->dt != DT_I64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: indices must be int32 or int64", op);
    int rc = check_off(d, op, idx);
    int64_t n = ocl_numel(idx);
    size_t bytes = (size_t)n * rt_dtype_size(idx->dt);
    if (rc != RT_OK || n == 0)
        return rc;
    const void *p = idx->host;
    if (!p) {
        void *buf = rt_scratch(d->ctx, 0, bytes);
        if (!buf)
            return rt_fail(d->ctx, RT_ENOMEM, "%s: no scratch memory for the indices", op);
        rc = OCL_CALL(d->ctx, clEnqueueReadBuffer(d->queue, idx->mem, CL_TRUE, idx->off, bytes, buf,
                                                  0, NULL, NULL));
        if (rc != RT_OK)
            return rc;
        p = buf;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t k = idx->dt == DT_I32 ? ((const int32_t *)p)[i] : ((const int64_t *)p)[i];
        if (k < -dim || k >= dim)
            return rt_fail(d->ctx, RT_EINPUT, "%s: index %lld out of range [%lld, %lld)", op,
                           (long long)k, (long long)-dim, (long long)dim);
    }
    return RT_OK;
}

/* The checks both ops share: a movable dtype, offsets in whole elements, the axis in range; then
 * the build options in opt. */
static int
prepare(OclDev *d, const char *op, int64_t axis, const OclTensor *x, const OclTensor *idx,
        const OclTensor *y, int64_t *ax, char *opt, size_t cap)
{
    int words, r = x->rank;
    size_t es = rt_dtype_size(x->dt);
    const char *ty = word_type(es, &words);
    if (!ty || y->dt != x->dt)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: dtype %d has no fixed size", op, (int)x->dt);
    int rc = check_off(d, op, x);
    if (rc == RT_OK)
        rc = check_off(d, op, y);
    if (rc != RT_OK)
        return rc;
    *ax = axis < 0 ? axis + r : axis;
    if (*ax < 0 || *ax >= r)
        return rt_fail(d->ctx, RT_EINPUT, "%s: axis %lld out of range", op, (long long)axis);
    snprintf(opt, cap, "-DT=%s -DW=%d -DIT=%s", ty, words, idx->dt == DT_I32 ? "int" : "long");
    return RT_OK;
}

int
ocl_op_gather(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    const OclTensor *x = in[0], *idx = in[1], *y = out[0];
    char opt[96];
    int64_t ax;
    (void)nin, (void)nout;
    int rc = prepare(d, "Gather", a->axis.axis, x, idx, y, &ax, opt, sizeof opt);
    if (rc == RT_OK)
        rc = check_indices(d, "Gather", idx, x->dim[ax]);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    cl_long inner = 1, nidx = ocl_numel(idx), axdim = x->dim[ax], n = ocl_numel(y);
    for (int i = (int)ax + 1; i < x->rank; i++)
        inner *= x->dim[i];
    cl_long yoff = (cl_long)(y->off / word_size(y)), xoff = (cl_long)(x->off / word_size(x));
    cl_long ioff = (cl_long)(idx->off / rt_dtype_size(idx->dt));
    OclArg arg[] = {OCL_ARG(y->mem),   OCL_ARG(yoff), OCL_ARG(x->mem), OCL_ARG(xoff),
                    OCL_ARG(idx->mem), OCL_ARG(ioff), OCL_ARG(nidx),   OCL_ARG(axdim),
                    OCL_ARG(inner),    OCL_ARG(n)};
    return launch(d, opt, "gather", arg, (int)(sizeof arg / sizeof *arg), n);
}

int
ocl_op_gatherelements(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                      OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *idx = in[1], *y = out[0];
    char opt[96];
    int64_t ax;
    (void)nin, (void)nout;
    int rc = prepare(d, "GatherElements", a->axis.axis, x, idx, y, &ax, opt, sizeof opt);
    if (rc == RT_OK && (idx->rank != x->rank || y->rank != x->rank))
        rc = rt_fail(d->ctx, RT_EINPUT, "GatherElements: bad axis or index rank");
    if (rc == RT_OK)
        rc = check_indices(d, "GatherElements", idx, x->dim[ax]);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    /* dims innermost first; the input's element strides, 0 on the axis (idx supplies it) */
    int r = x->rank;
    cl_long8 dim = {{0}}, xs = {{0}};
    cl_long st = 1, axst = 0, axdim = x->dim[ax], n = ocl_numel(y);
    for (int k = 0; k < r; k++) {
        int i = r - 1 - k;
        dim.s[k] = y->dim[i];
        xs.s[k] = i == ax ? 0 : st;
        axst = i == ax ? st : axst;
        st *= x->dim[i];
    }
    cl_long yoff = (cl_long)(y->off / word_size(y)), xoff = (cl_long)(x->off / word_size(x));
    cl_long ioff = (cl_long)(idx->off / rt_dtype_size(idx->dt));
    cl_int rank = r;
    OclArg arg[] = {OCL_ARG(y->mem),   OCL_ARG(yoff),  OCL_ARG(x->mem), OCL_ARG(xoff),
                    OCL_ARG(idx->mem), OCL_ARG(ioff),  OCL_ARG(rank),   OCL_ARG(dim),
                    OCL_ARG(xs),       OCL_ARG(axdim), OCL_ARG(axst),   OCL_ARG(n)};
    return launch(d, opt, "gather_elements", arg, (int)(sizeof arg / sizeof *arg), n);
}
