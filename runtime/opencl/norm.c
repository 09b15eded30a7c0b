/*
 * norm.c: BatchNormalization (inference, with the activation the compiler fused in),
 * InstanceNormalization, LayerNormalization (with its Mean and InvStdDev outputs), LRN, Softmax,
 * LogSoftmax and Hardmax on an OpenCL device, float32, the counterparts of runtime/cpu/norm.c,
 * whose attribute handling and refusals they repeat. The kernels are in kernels/norm.cl.
 *
 * BatchNormalization and LRN are one element per work-item. The reductions give each group (an
 * instance plane, a LayerNorm row, a softmax row) one work-group whose size is a power of two
 * (a tree reduction in local memory needs one), at most 256 and no larger than the group needs,
 * so short rows do not leave most work-items idle. Softmax along an axis with elements after it,
 * or along short rows, takes one column (or row) per work-item instead.
 */
#include "ocl_impl.h"
#include "ops.h"
#include "shape.h"

#include <math.h>

enum {
    WG_MAX = 256, /* work-items per reduction work-group, at most */
    ROW_MIN = 64, /* softmax rows at least this long get a work-group each */
};

/* The kernels' kinds of softmax (norm.cl SM_*) */
enum { SM_SOFT, SM_LOG, SM_HARD };

/* RT_OK when each of the n tensors t[i] (NULL: absent) is float32. */
static int
want_f32(OclDev *d, const char *op, const OclTensor *const *t, int n)
{
    for (int i = 0; i < n; i++)
        if (t[i] && t[i]->dt != DT_F32)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %d (only float32)", op,
                           (int)t[i]->dt);
    return RT_OK;
}

/* t's offset in floats (OclTensor.off is a multiple of the element size) */
static cl_long
eoff(const OclTensor *t)
{
    return t ? (cl_long)(t->off / sizeof(float)) : 0;
}

static cl_mem
mem_of(const OclTensor *t)
{
    return t ? t->mem : NULL;
}

/* The work-group size for groups of n elements of kernel name: the smallest power of two that
 * covers n, capped by WG_MAX, the device and the kernel. */
static int
wg_size(OclDev *d, const char *name, int64_t n, size_t *wg)
{
    cl_kernel k;
    size_t kmax = 1;
    int rc = ocl_kernel(d, "norm", NULL, name, &k);
    if (rc == RT_OK)
        rc = OCL_CALL(d->ctx, clGetKernelWorkGroupInfo(k, d->device, CL_KERNEL_WORK_GROUP_SIZE,
                                                       sizeof kmax, &kmax, NULL));
    size_t cap = WG_MAX;
    if (d->info.max_wg < cap)
        cap = d->info.max_wg;
    if (kmax < cap)
        cap = kmax;
    *wg = 1;
    while (*wg * 2 <= cap && (int64_t)*wg < n)
        *wg *= 2;
    return rc;
}

/* ---- BatchNormalization, InstanceNormalization --------------------------------------------- */

/* 1 / sqrt(0 + eps) as the CPU rounds it (in double), for groups with a variance of 0: see
 * norm.cl's opening comment. */
static float
inv_std0(float eps)
{
    return (float)(1.0 / sqrt((double)eps));
}

/* The fused activation as fused.cl takes it: the kind, then alpha, beta, mul and add, with no
 * affine step without an activation (as cpu_act_apply, which BatchNormalization calls only
 * for an activation). */
static void
act_args(const Fused *f, cl_int *act, cl_float4 *p)
{
    int affine = f->act != ACT_NONE && f->affine;
    *act = (cl_int)f->act;
    *p = (cl_float4){{f->alpha, f->beta, affine ? f->mul : 1.0f, affine ? f->add : 0.0f}};
}

int
ocl_op_batchnormalization(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                          OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *y = out[0];
    const OclTensor *all[6] = {x, in[1], in[2], in[3], in[4], y};
    (void)nin, (void)nout;
    if (a->norm.training_mode)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "BatchNormalization on OpenCL: training_mode");
    int rc = want_f32(d, "BatchNormalization", all, 6);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 2)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "BatchNormalization on OpenCL: rank %d", x->rank);
    int64_t planes = x->dim[0] * x->dim[1];
    if (planes == 0)
        return RT_OK;
    cl_long xo = eoff(x), so = eoff(in[1]), bo = eoff(in[2]), mo = eoff(in[3]), vo = eoff(in[4]);
    cl_long yo = eoff(y), c = (cl_long)x->dim[1];
    cl_float eps = a->norm.epsilon;
    cl_int act;
    cl_float4 p;
    act_args(&a->norm.fuse, &act, &p);
    OclArg arg[] = {OCL_ARG(x->mem),     OCL_ARG(xo),  OCL_ARG(in[1]->mem), OCL_ARG(so),
                    OCL_ARG(in[2]->mem), OCL_ARG(bo),  OCL_ARG(in[3]->mem), OCL_ARG(mo),
                    OCL_ARG(in[4]->mem), OCL_ARG(vo),  OCL_ARG(y->mem),     OCL_ARG(yo),
                    OCL_ARG(c),          OCL_ARG(eps), OCL_ARG(act),        OCL_ARG(p)};
    size_t global[2] = {(size_t)(ocl_numel(x) / planes), (size_t)planes};
    return ocl_launch(d, "norm", NULL, "batchnorm", arg, (int)(sizeof arg / sizeof *arg), 2, global, NULL);
}

int
ocl_op_instancenormalization(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                             OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *y = out[0];
    const OclTensor *all[4] = {x, in[1], in[2], y};
    (void)nin, (void)nout;
    int rc = want_f32(d, "InstanceNormalization", all, 4);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 2)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "InstanceNormalization on OpenCL: rank %d",
                       x->rank);
    int64_t planes = x->dim[0] * x->dim[1];
    if (planes == 0 || ocl_numel(x) == 0)
        return RT_OK;
    cl_long inner = (cl_long)(ocl_numel(x) / planes), c = (cl_long)x->dim[1];
    cl_long xo = eoff(x), so = eoff(in[1]), bo = eoff(in[2]), yo = eoff(y);
    cl_float eps = a->norm.epsilon, inv0 = inv_std0(eps);
    size_t wg;
    if ((rc = wg_size(d, "instnorm", inner, &wg)) != RT_OK)
        return rc;
    OclArg arg[] = {OCL_ARG(x->mem),
                    OCL_ARG(xo),
                    OCL_ARG(in[1]->mem),
                    OCL_ARG(so),
                    OCL_ARG(in[2]->mem),
                    OCL_ARG(bo),
                    OCL_ARG(y->mem),
                    OCL_ARG(yo),
                    OCL_ARG(inner),
                    OCL_ARG(c),
                    OCL_ARG(eps),
                    OCL_ARG(inv0),
                    {wg * sizeof(float), NULL}};
    size_t global[2] = {wg, (size_t)planes}, local[2] = {wg, 1};
    return ocl_launch(d, "norm", NULL, "instnorm", arg, (int)(sizeof arg / sizeof *arg), 2, global, local);
}

/* ---- LayerNormalization -------------------------------------------------------------------- */

/* How layernorm finds t's element for element j of the r normalised dims (norm.cl
 * bcast_at): *n = 0 when t has all inner elements (j itself), else *n = r and the stride of
 * each dim, last dim first, 0 where t broadcasts. */
static void
bcast_strides(const OclTensor *t, int r, int64_t inner, cl_int *n, cl_long8 *stride)
{
    int64_t st[RT_MAXRANK];
    rt_shape_bcast_strides(&t->shape, t->rank, r, 1, st);
    *stride = (cl_long8){{0}};
    *n = ocl_numel(t) == inner ? 0 : r;
    for (int i = 0; i < r; i++)
        stride->s[r - 1 - i] = st[i];
}

int
ocl_op_layernormalization(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                          OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *b = nin > 2 ? in[2] : NULL;
    const OclTensor *mean = nout > 1 ? out[1] : NULL, *inv = nout > 2 ? out[2] : NULL;
    const OclTensor *all[6] = {x, in[1], b, out[0], mean, inv};
    int rc = want_f32(d, "LayerNormalization", all, 6);
    if (rc != RT_OK)
        return rc;
    int ax = (int)(a->norm.axis < 0 ? a->norm.axis + x->rank : a->norm.axis);
    if (ax < 0 || ax >= x->rank)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "LayerNormalization on OpenCL: axis %lld",
                       (long long)a->norm.axis);
    int r = x->rank - ax;
    const int64_t *nd = x->dim + ax;
    if (!rt_shape_bcast_ok(&in[1]->shape, nd, r) || (b && !rt_shape_bcast_ok(&b->shape, nd, r)))
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "LayerNormalization on OpenCL: input %d does not broadcast",
                       rt_shape_bcast_ok(&in[1]->shape, nd, r) ? 2 : 1);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax)
            outer *= x->dim[i];
        else
            inner *= x->dim[i];
    }
    if (outer == 0)
        return RT_OK;
    /* inner == 0 still has Mean (0) and InvStdDev (1 / sqrt(eps)) to write, as on the CPU */
    cl_long8 dim = {{0}}, ss, bs = {{0}};
    cl_int sr, br = 0;
    for (int i = 0; i < r; i++)
        dim.s[r - 1 - i] = (cl_long)nd[i];
    bcast_strides(in[1], r, inner, &sr, &ss);
    if (b)
        bcast_strides(b, r, inner, &br, &bs);
    cl_long xo = eoff(x), so = eoff(in[1]), bo = eoff(b), yo = eoff(out[0]);
    cl_long mo = eoff(mean), io = eoff(inv), n = (cl_long)inner;
    cl_mem bm = mem_of(b), mm = mem_of(mean), im = mem_of(inv);
    cl_float eps = a->norm.epsilon, inv0 = inv_std0(eps);
    size_t wg;
    if ((rc = wg_size(d, "layernorm", inner, &wg)) != RT_OK)
        return rc;
    OclArg arg[] = {OCL_ARG(x->mem),      OCL_ARG(xo),  OCL_ARG(in[1]->mem),
                    OCL_ARG(so),          OCL_ARG(bm),  OCL_ARG(bo),
                    OCL_ARG(out[0]->mem), OCL_ARG(yo),  OCL_ARG(mm),
                    OCL_ARG(mo),          OCL_ARG(im),  OCL_ARG(io),
                    OCL_ARG(n),           OCL_ARG(eps), OCL_ARG(inv0),
                    OCL_ARG(dim),         OCL_ARG(sr),  OCL_ARG(ss),
                    OCL_ARG(br),          OCL_ARG(bs),  {wg * sizeof(float), NULL}};
    size_t global[2] = {wg, (size_t)outer}, local[2] = {wg, 1};
    return ocl_launch(d, "norm", NULL, "layernorm", arg, (int)(sizeof arg / sizeof *arg), 2, global, local);
}

/* ---- LRN ----------------------------------------------------------------------------------- */

int
ocl_op_lrn(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *y = out[0], *all[2] = {x, y};
    const LrnAttr *la = &a->lrn;
    (void)nin, (void)nout;
    int rc = want_f32(d, "LRN", all, 2);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 2 || la->size < 1)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "LRN on OpenCL: rank %d, size %lld", x->rank,
                       (long long)la->size);
    int64_t planes = x->dim[0] * x->dim[1];
    if (planes == 0)
        return RT_OK;
    cl_long xo = eoff(x), yo = eoff(y), c = (cl_long)x->dim[1];
    cl_long lo = (cl_long)((la->size - 1) / 2), hi = (cl_long)(la->size / 2);
    cl_float alpha = la->alpha / (float)la->size, beta = la->beta, bias = la->bias;
    OclArg arg[] = {OCL_ARG(x->mem), OCL_ARG(xo), OCL_ARG(y->mem), OCL_ARG(yo),   OCL_ARG(c),
                    OCL_ARG(lo),     OCL_ARG(hi), OCL_ARG(alpha),  OCL_ARG(beta), OCL_ARG(bias)};
    size_t global[2] = {(size_t)(ocl_numel(x) / planes), (size_t)planes};
    return ocl_launch(d, "norm", NULL, "lrn", arg, (int)(sizeof arg / sizeof *arg), 2, global, NULL);
}

/* ---- Softmax, LogSoftmax, Hardmax ---------------------------------------------------------- */

/* Views x as [outer, len, inner] around the axis (coerce2d, before opset 13: [outer, len] with
 * every dim from the axis on in len), as cpu/norm.c's soft_run, and runs kind on it. */
static int
soft_run(OclDev *d, const AxisAttr *a, const OclTensor *x, const OclTensor *y, int kind,
         const char *op)
{
    const OclTensor *all[2] = {x, y};
    int rc = want_f32(d, op, all, 2);
    if (rc != RT_OK)
        return rc;
    int r = x->rank, ax = (int)(a->axis < 0 ? a->axis + r : a->axis);
    if (r > 0 && (ax < 0 || ax >= r) && !(a->coerce2d && ax == r))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: axis %lld of rank %d", op,
                       (long long)a->axis, r);
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < r; i++) {
        if (i < ax)
            outer *= x->dim[i];
        else if (i == ax || a->coerce2d)
            len *= x->dim[i];
        else
            inner *= x->dim[i];
    }
    if (outer * len * inner == 0)
        return RT_OK;
    cl_long xo = eoff(x), yo = eoff(y), n = (cl_long)len;
    cl_int k = kind;
    if (inner == 1 && len >= ROW_MIN) {
        size_t wg;
        if ((rc = wg_size(d, "soft_row", len, &wg)) != RT_OK)
            return rc;
        OclArg arg[] = {OCL_ARG(x->mem),
                        OCL_ARG(xo),
                        OCL_ARG(y->mem),
                        OCL_ARG(yo),
                        OCL_ARG(n),
                        OCL_ARG(k),
                        {wg * sizeof(float), NULL},
                        {wg * sizeof(cl_long), NULL}};
        size_t global[2] = {wg, (size_t)outer}, local[2] = {wg, 1};
        return ocl_launch(d, "norm", NULL, "soft_row", arg, (int)(sizeof arg / sizeof *arg), 2, global, local);
    }
    OclArg arg[] = {OCL_ARG(x->mem), OCL_ARG(xo), OCL_ARG(y->mem),
                    OCL_ARG(yo),     OCL_ARG(n),  OCL_ARG(k)};
    size_t global[2] = {(size_t)inner, (size_t)outer};
    return ocl_launch(d, "norm", NULL, "soft_col", arg, (int)(sizeof arg / sizeof *arg), 2, global, NULL);
}

int
ocl_op_softmax(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
               int nout)
{
    (void)nin, (void)nout;
    return soft_run(d, &a->axis, in[0], out[0], SM_SOFT, "Softmax");
}

int
ocl_op_logsoftmax(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                  int nout)
{
    (void)nin, (void)nout;
    return soft_run(d, &a->axis, in[0], out[0], SM_LOG, "LogSoftmax");
}

int
ocl_op_hardmax(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
               int nout)
{
    (void)nin, (void)nout;
    return soft_run(d, &a->axis, in[0], out[0], SM_HARD, "Hardmax");
}
