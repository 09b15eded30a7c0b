/*
 * pool.c: MaxPool (with or without its Indices), AveragePool, LpPool, GlobalAveragePool and
 * GlobalMaxPool on an OpenCL device, float32, the counterparts of runtime/cpu/pool.c.
 *
 * The windowed pools resolve their padding from the attributes and the shapes exactly as the CPU
 * kernels do (explicit pads, SAME_UPPER / SAME_LOWER from the output size, VALID), pad the
 * problem to three spatial axes, and run kernels/pool.cl's direct kernel: one output per
 * work-item, a loop over its window. ceil_mode needs nothing of its own: the output shape says
 * how many windows there are, and taps past the input are skipped as on the CPU. The global
 * pools take one plane per work-item.
 */
#include "ocl_impl.h"
#include "ops.h"

#include <limits.h>

enum { NS = 3 }; /* spatial axes after padding to 3-D */

/* RT_OK when x and y are float32 at float-aligned offsets, with fewer than 2^31 elements. */
static int
check(OclDev *d, const char *op, const OclTensor *x, const OclTensor *y)
{
    if (x->dt != DT_F32 || y->dt != DT_F32)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %d (only float32)", op,
                       (int)(x->dt != DT_F32 ? x->dt : y->dt));
    if (x->off % 4 || y->off % 4)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: offset not float-aligned", op);
    if (ocl_numel(x) > INT_MAX || ocl_numel(y) > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: 2^31 elements or more", op);
    return RT_OK;
}

/* The window of every spatial axis, padded to NS axes (leading axes of size 1). */
typedef struct Win {
    cl_int4 len, out, k, s, dl, pb, pe;
} Win;

/* Fills w from the attributes and the shapes of x and y, as axes_resolve in cpu/pool.c. */
static int
win_resolve(OclDev *d, const char *op, const PoolAttr *a, const OclTensor *x, const OclTensor *y,
            Win *w)
{
    int ns = x->rank - 2;
    if (ns < 1 || ns > NS || a->kernel.n != ns || y->rank != x->rank)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: rank %d with %d kernel dims", op,
                       x->rank, a->kernel.n);
    cl_int *f[7] = {w->len.s, w->out.s, w->k.s, w->s.s, w->dl.s, w->pb.s, w->pe.s};
    for (int j = 0; j < 4; j++) {
        for (int q = 0; q < 7; q++)
            f[q][j] = q < 5 ? 1 : 0;
    }
    for (int i = 0; i < ns; i++) {
        int j = NS - ns + i;
        int64_t len = x->dim[2 + i], out = y->dim[2 + i], k = a->kernel.v[i];
        int64_t s = a->strides.n ? a->strides.v[i] : 1, dl = a->dilations.n ? a->dilations.v[i] : 1;
        int64_t pb, pe;
        if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
            int64_t total = (out - 1) * s + (k - 1) * dl + 1 - len;
            if (total < 0)
                total = 0;
            pb = a->auto_pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
        } else if (a->auto_pad == PAD_VALID || a->pads.n == 0) {
            pb = pe = 0;
        } else {
            pb = a->pads.v[i];
            pe = a->pads.v[ns + i];
        }
        w->len.s[j] = (cl_int)len;
        w->out.s[j] = (cl_int)out;
        w->k.s[j] = (cl_int)k;
        w->s.s[j] = (cl_int)s;
        w->dl.s[j] = (cl_int)dl;
        w->pb.s[j] = (cl_int)pb;
        w->pe.s[j] = (cl_int)pe;
    }
    return RT_OK;
}

/* Runs pool.cl's pool of the given kind (0 max, 1 average, 2 Lp) on x into y, and ind (NULL:
 * none). */
static int
run_pool(OclDev *d, const char *op, const PoolAttr *a, const OclTensor *x, const OclTensor *y,
         const OclTensor *ind, int kind)
{
    Win w;
    int rc = check(d, op, x, y);
    if (rc == RT_OK)
        rc = win_resolve(d, op, a, x, y, &w);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    cl_kernel k;
    if ((rc = ocl_kernel(d, "pool", NULL, "pool", &k)) != RT_OK)
        return rc;
    cl_long xoff = (cl_long)(x->off / 4), yoff = (cl_long)(y->off / 4);
    cl_long ioff = ind ? (cl_long)(ind->off / 8) : 0;
    cl_mem imem = ind ? ind->mem : NULL;
    cl_int ikind = kind, cip = a->count_include_pad, order = a->storage_order;
    cl_float p = (cl_float)a->p; /* LpPool's norm, as the CPU's float */
    struct {
        size_t size;
        const void *value;
    } arg[] = {
        {sizeof x->mem, &x->mem}, {sizeof xoff, &xoff},   {sizeof y->mem, &y->mem},
        {sizeof yoff, &yoff},     {sizeof imem, &imem},   {sizeof ioff, &ioff},
        {sizeof w.len, &w.len},   {sizeof w.out, &w.out}, {sizeof w.k, &w.k},
        {sizeof w.s, &w.s},       {sizeof w.dl, &w.dl},   {sizeof w.pb, &w.pb},
        {sizeof w.pe, &w.pe},     {sizeof ikind, &ikind}, {sizeof cip, &cip},
        {sizeof order, &order},   {sizeof p, &p},
    };
    for (cl_uint i = 0; i < sizeof arg / sizeof arg[0]; i++)
        if ((rc = OCL_CALL(d->ctx, clSetKernelArg(k, i, arg[i].size, arg[i].value))) != RT_OK)
            return rc;
    size_t global[3] = {(size_t)w.out.s[2], (size_t)w.out.s[0] * (size_t)w.out.s[1],
                        (size_t)(x->dim[0] * x->dim[1])};
    return OCL_CALL(d->ctx,
                    clEnqueueNDRangeKernel(d->queue, k, 3, NULL, global, NULL, 0, NULL, NULL));
}

int
ocl_op_maxpool(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
               int nout)
{
    const OclTensor *ind = nout > 1 ? out[1] : NULL;
    (void)nin;
    if (ind && ind->dt != DT_I64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "MaxPool on OpenCL: Indices of dtype %d",
                       (int)ind->dt);
    if (ind && ind->off % 4)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "MaxPool on OpenCL: Indices offset not aligned");
    return run_pool(d, "MaxPool", &a->pool, in[0], out[0], ind, 0);
}

int
ocl_op_averagepool(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                   int nout)
{
    (void)nin, (void)nout;
    return run_pool(d, "AveragePool", &a->pool, in[0], out[0], NULL, 1);
}

int
ocl_op_lppool(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    (void)nin, (void)nout;
    if (a->pool.p < 1)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "LpPool: p = %lld", (long long)a->pool.p);
    return run_pool(d, "LpPool", &a->pool, in[0], out[0], NULL, 2);
}

/* The global pool of the given kind over each [N, C] plane of x (rank 2: planes of 1). */
static int
run_global(OclDev *d, const char *op, const OclTensor *x, const OclTensor *y, int kind)
{
    int rc = check(d, op, x, y);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 2)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: rank %d", op, x->rank);
    int64_t planes = x->dim[0] * x->dim[1];
    if (planes == 0)
        return RT_OK;
    cl_kernel k;
    if ((rc = ocl_kernel(d, "pool", NULL, "global_pool", &k)) != RT_OK)
        return rc;
    cl_long xoff = (cl_long)(x->off / 4), yoff = (cl_long)(y->off / 4);
    cl_int n = (cl_int)(ocl_numel(x) / planes), ikind = kind;
    if ((rc = OCL_CALL(d->ctx, clSetKernelArg(k, 0, sizeof x->mem, &x->mem))) ||
        (rc = OCL_CALL(d->ctx, clSetKernelArg(k, 1, sizeof xoff, &xoff))) ||
        (rc = OCL_CALL(d->ctx, clSetKernelArg(k, 2, sizeof y->mem, &y->mem))) ||
        (rc = OCL_CALL(d->ctx, clSetKernelArg(k, 3, sizeof yoff, &yoff))) ||
        (rc = OCL_CALL(d->ctx, clSetKernelArg(k, 4, sizeof n, &n))) ||
        (rc = OCL_CALL(d->ctx, clSetKernelArg(k, 5, sizeof ikind, &ikind))))
        return rc;
    size_t global = (size_t)planes;
    return OCL_CALL(d->ctx,
                    clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL));
}

int
ocl_op_globalaveragepool(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                         OclTensor *const *out, int nout)
{
    (void)a, (void)nin, (void)nout;
    return run_global(d, "GlobalAveragePool", in[0], out[0], 1);
}

int
ocl_op_globalmaxpool(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                     int nout)
{
    (void)a, (void)nin, (void)nout;
    return run_global(d, "GlobalMaxPool", in[0], out[0], 0);
}
