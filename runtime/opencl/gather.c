/*
 * gather.c: Gather, GatherElements and GatherND on an OpenCL device, the counterparts of
 * runtime/cpu/gather.c and scatter.c, for every fixed-size dtype: elements move as bits
 * (kernels/gather.cl, built once per element size and index type), one output element per
 * work-item. ScatterElements and ScatterND copy the data to the output, then run one work-item
 * per fibre along the axis (ScatterElements) or per element of a slice (ScatterND), each walking
 * the indices in order: updates of one element apply in the order of the indices whatever the
 * device, and so equal the CPU's bit for bit. Their reductions compute as the CPU does
 * (gather.cl says how); float64 ones need cl_khr_fp64.
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
#include "shape.h"

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

/* Checks, as the CPU kernels do, that the indices are int32 or int64 and that component j of
 * each tuple of k (k 1: every index) lies in [-dims[j], dims[j]): on the host copy of a
 * constant, else on one read back into scratch slot 0. */
static int
check_tuples(OclDev *d, const char *op, const OclTensor *idx, const int64_t *dims, int64_t k)
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
    for (int64_t i = 0; k > 0 && i < n; i++) {
        int64_t v = idx->dt == DT_I32 ? ((const int32_t *)p)[i] : ((const int64_t *)p)[i];
        int64_t dim = dims[i % k];
        if (v < -dim || v >= dim)
            return rt_fail(d->ctx, RT_EINPUT, "%s: index %lld out of range [%lld, %lld)", op,
                           (long long)v, (long long)-dim, (long long)dim);
    }
    return RT_OK;
}

static int
check_indices(OclDev *d, const char *op, const OclTensor *idx, int64_t dim)
{
    return check_tuples(d, op, idx, &dim, 1);
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

/* GatherND: data, indices [..., k]; output indices.shape[:-1] + data.shape[b + k:] for
 * b = batch_dims (ModeAttr.mode). */
int
ocl_op_gathernd(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                int nout)
{
    const OclTensor *x = in[0], *idx = in[1], *y = out[0];
    char opt[96];
    int64_t ax, bd = a->mode.mode;
    int r = x->rank, q = idx->rank;
    (void)nin, (void)nout;
    int rc = prepare(d, "GatherND", 0, x, idx, y, &ax, opt, sizeof opt);
    int ok = rt_gathernd_fits(&x->shape, &idx->shape, &y->shape, bd);
    int64_t k = ok ? idx->dim[q - 1] : 0;
    if (rc == RT_OK && !ok)
        rc =
            rt_fail(d->ctx, RT_EINPUT,
                    "GatherND: data, indices and output do not fit batch_dims %lld", (long long)bd);
    if (rc == RT_OK)
        rc = check_tuples(d, "GatherND", idx, x->dim + bd, k);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    cl_long8 dims = {{0}};
    cl_long per = 1, xbat = 1, slice = 1, n = ocl_numel(y);
    for (int64_t j = 0; j < k; j++)
        dims.s[j] = x->dim[bd + j];
    for (int i = (int)bd; i < q - 1; i++)
        per *= idx->dim[i];
    for (int i = (int)bd; i < r; i++)
        xbat *= x->dim[i];
    for (int64_t i = bd + k; i < r; i++)
        slice *= x->dim[i];
    cl_long yoff = (cl_long)(y->off / word_size(y)), xoff = (cl_long)(x->off / word_size(x));
    cl_long ioff = (cl_long)(idx->off / rt_dtype_size(idx->dt));
    cl_int kk = (cl_int)k;
    OclArg arg[] = {OCL_ARG(y->mem),   OCL_ARG(yoff), OCL_ARG(x->mem), OCL_ARG(xoff),
                    OCL_ARG(idx->mem), OCL_ARG(ioff), OCL_ARG(kk),     OCL_ARG(dims),
                    OCL_ARG(per),      OCL_ARG(xbat), OCL_ARG(slice),  OCL_ARG(n)};
    return launch(d, opt, "gather_nd", arg, (int)(sizeof arg / sizeof *arg), n);
}

/* ---- ScatterElements and ScatterND ----------------------------------------------------------- */

/* The build options of a scatter with reduction red on dtype dt (gather.cl: one build per dtype
 * serves every reduction), into opt; RT_OK, or RT_EUNSUPPORTED where the dtype has no
 * arithmetic here or needs doubles the device lacks. */
static int
scatter_options(OclDev *d, const char *op, DType dt, const OclTensor *idx, ScatterRed red,
                char *opt, size_t cap)
{
    static const struct {
        DType dt;
        const char *t, *a, *ua; /* the element's type, the type it computes in, add's and mul's */
        int cv;
    } types[] = {
        {DT_F32, "float", "float", "float", 0},  {DT_F64, "double", "double", "double", 0},
        {DT_F16, "ushort", "float", "float", 1}, {DT_BF16, "ushort", "float", "float", 2},
        {DT_BOOL, "uchar", "uchar", "uchar", 3}, {DT_U8, "uchar", "uchar", "uchar", 0},
        {DT_I8, "char", "char", "uchar", 0},     {DT_U16, "ushort", "ushort", "ushort", 0},
        {DT_I16, "short", "short", "ushort", 0}, {DT_U32, "uint", "uint", "uint", 0},
        {DT_I32, "int", "int", "uint", 0},       {DT_U64, "ulong", "ulong", "ulong", 0},
        {DT_I64, "long", "long", "ulong", 0},
    };
    const char *it = idx->dt == DT_I32 ? "int" : "long";
    if (red == SCR_NONE) {
        int words;
        const char *ty = word_type(rt_dtype_size(dt), &words);
        if (!ty)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: dtype %d has no fixed size", op, (int)dt);
        snprintf(opt, cap, "-DT=%s -DW=%d -DIT=%s", ty, words, it);
        return RT_OK;
    }
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        if (types[i].dt != dt)
            continue;
        if (dt == DT_F64 && !d->info.fp64)
            return rt_fail(d->ctx, RT_EUNSUPPORTED,
                           "%s on OpenCL: float64 needs cl_khr_fp64, which %s lacks", op,
                           d->info.name);
        snprintf(opt, cap, "-DT=%s -DW=1 -DIT=%s -DA=%s -DUA=%s -DCV=%d -DFP64=%d", types[i].t, it,
                 types[i].a, types[i].ua, types[i].cv, dt == DT_F64);
        return RT_OK;
    }
    return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: dtype %d has no arithmetic for the reduction", op,
                   (int)dt);
}

/* The checks both scatters share, then y = x (on the device) and the build options in opt. The
 * indices are checked (component j of each tuple of k against dims[j]) before y is written. */
static int
scatter_prepare(OclDev *d, const char *op, const Attr *a, const OclTensor *x, const OclTensor *idx,
                const OclTensor *u, const OclTensor *y, const int64_t *dims, int64_t k, char *opt,
                size_t cap)
{
    int64_t ax;
    if ((unsigned)a->axis.reduction > SCR_MIN)
        return rt_fail(d->ctx, RT_EINPUT, "%s: unknown reduction %d", op, (int)a->axis.reduction);
    int rc = prepare(d, op, 0, x, idx, y, &ax, opt, cap);
    if (rc == RT_OK && u->dt != x->dt)
        rc = rt_fail(d->ctx, RT_EINPUT, "%s: the dtypes of data and updates differ", op);
    if (rc == RT_OK)
        rc = check_off(d, op, u);
    if (rc == RT_OK)
        rc = scatter_options(d, op, x->dt, idx, a->axis.reduction, opt, cap);
    if (rc == RT_OK)
        rc = check_tuples(d, op, idx, dims, k);
    size_t bytes = (size_t)ocl_numel(x) * rt_dtype_size(x->dt);
    if (rc != RT_OK || bytes == 0 || (x->mem == y->mem && x->off == y->off))
        return rc;
    return OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, x->mem, y->mem, x->off, y->off, bytes, 0,
                                                NULL, NULL));
}

/* ScatterElements: data, indices, updates (the indices' shape); see runtime/cpu/scatter.c. */
int
ocl_op_scatterelements(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                       OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *idx = in[1], *u = in[2], *y = out[0];
    char opt[128];
    int r = x->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    (void)nin, (void)nout;
    if (!rt_scatterelt_fits(&x->shape, &idx->shape, &u->shape, &y->shape, ax))
        return rt_fail(d->ctx, RT_EINPUT, "ScatterElements: the axis or the shapes do not fit");
    int rc =
        scatter_prepare(d, "ScatterElements", a, x, idx, u, y, &x->dim[ax], 1, opt, sizeof opt);
    if (rc != RT_OK || ocl_numel(idx) == 0)
        return rc;
    /* dims innermost first, the axis as 1; strides of the output and of the indices, 0 there */
    cl_long8 dim = {{0}}, ys = {{0}}, is = {{0}};
    cl_long yst = 1, ist = 1, yaxst = 0, iaxst = 0;
    for (int kk = 0; kk < r; kk++) {
        int i = r - 1 - kk;
        dim.s[kk] = i == ax ? 1 : idx->dim[i];
        ys.s[kk] = i == ax ? 0 : yst;
        is.s[kk] = i == ax ? 0 : ist;
        yaxst = i == ax ? yst : yaxst;
        iaxst = i == ax ? ist : iaxst;
        yst *= y->dim[i];
        ist *= idx->dim[i];
    }
    cl_long len = idx->dim[ax], axdim = x->dim[ax], n = ocl_numel(idx) / len;
    cl_long yoff = (cl_long)(y->off / word_size(y)), uoff = (cl_long)(u->off / word_size(u));
    cl_long ioff = (cl_long)(idx->off / rt_dtype_size(idx->dt));
    cl_int rank = r, red = (cl_int)a->axis.reduction;
    OclArg arg[] = {OCL_ARG(y->mem),   OCL_ARG(yoff),  OCL_ARG(u->mem), OCL_ARG(uoff),
                    OCL_ARG(idx->mem), OCL_ARG(ioff),  OCL_ARG(rank),   OCL_ARG(dim),
                    OCL_ARG(ys),       OCL_ARG(is),    OCL_ARG(len),    OCL_ARG(axdim),
                    OCL_ARG(yaxst),    OCL_ARG(iaxst), OCL_ARG(n),      OCL_ARG(red)};
    return launch(d, opt, "scatter_elements", arg, (int)(sizeof arg / sizeof *arg), n);
}

/* ScatterND: data, indices [..., k], updates (indices.shape[:-1] + data.shape[k:]). */
int
ocl_op_scatternd(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                 int nout)
{
    const OclTensor *x = in[0], *idx = in[1], *u = in[2], *y = out[0];
    char opt[128];
    int r = x->rank, q = idx->rank;
    (void)nin, (void)nout;
    if (!rt_scatternd_fits(&x->shape, &idx->shape, &u->shape, &y->shape))
        return rt_fail(d->ctx, RT_EINPUT,
                       "ScatterND: the shapes of data, indices and updates do not fit");
    int64_t k = idx->dim[q - 1];
    int rc = scatter_prepare(d, "ScatterND", a, x, idx, u, y, x->dim, k, opt, sizeof opt);
    cl_long ntup = 1, slice = 1;
    for (int i = 0; i < q - 1; i++)
        ntup *= idx->dim[i];
    for (int64_t i = k; i < r; i++)
        slice *= x->dim[i];
    if (rc != RT_OK || ntup == 0 || slice == 0)
        return rc;
    cl_long8 dims = {{0}};
    for (int64_t j = 0; j < k; j++)
        dims.s[j] = x->dim[j];
    cl_long yoff = (cl_long)(y->off / word_size(y)), uoff = (cl_long)(u->off / word_size(u));
    cl_long ioff = (cl_long)(idx->off / rt_dtype_size(idx->dt));
    cl_int kk = (cl_int)k, red = (cl_int)a->axis.reduction;
    OclArg arg[] = {OCL_ARG(y->mem),   OCL_ARG(yoff),  OCL_ARG(u->mem), OCL_ARG(uoff),
                    OCL_ARG(idx->mem), OCL_ARG(ioff),  OCL_ARG(kk),     OCL_ARG(dims),
                    OCL_ARG(ntup),     OCL_ARG(slice), OCL_ARG(red)};
    return launch(d, opt, "scatter_nd", arg, (int)(sizeof arg / sizeof *arg), slice);
}
