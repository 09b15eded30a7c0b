/*
 * topk.c: TopK on an OpenCL device, the host side of kernels/topk.cl, following
 * runtime/cpu/topk.c: the same dtypes (float32, float64 where the device has cl_khr_fp64, the 8-
 * to 64-bit integers, compared in their own type), the same order (the larger first or the
 * smaller, ties by the lower index, NaN above numbers) and always sorted. One work-item per row.
 *
 * The heap of each row lives in the indices output; when the indices are not wanted, in a buffer
 * of the same size made for the call (freed after waiting for the queue, so that form is slower).
 */
#include "ocl_impl.h"
#include "ops.h"

#include <limits.h>
#include <stdio.h>

/* The OpenCL C type of a dtype TopK takes, NULL for the others */
static const char *
cl_type(DType t)
{
    switch (t) {
    case DT_F32: return "float";
    case DT_F64: return "double";
    case DT_U8: return "uchar";
    case DT_I8: return "char";
    case DT_U16: return "ushort";
    case DT_I16: return "short";
    case DT_U32: return "uint";
    case DT_I32: return "int";
    case DT_U64: return "ulong";
    case DT_I64: return "long";
    default: return NULL;
    }
}

/* t's offset in elements of its dtype; -1 when it is not a whole number of them */
static cl_long
elem_off(const OclTensor *t)
{
    size_t es = rt_dtype_size(t->dt);
    return es && t->off % es == 0 ? (cl_long)(t->off / es) : -1;
}

int
ocl_op_topk(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    (void)nin;
    const OclTensor *x = in[0], *val = nout > 0 ? out[0] : NULL, *ind = nout > 1 ? out[1] : NULL;
    const OclTensor *o = val ? val : ind;
    const char *ty = cl_type(x->dt);
    if (!o)
        return RT_OK;
    if (!ty || (val && val->dt != x->dt) || (ind && ind->dt != DT_I64))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "TopK on OpenCL: dtype %d", (int)x->dt);
    if (x->dt == DT_F64 && !d->info.fp64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "TopK on OpenCL: float64 needs cl_khr_fp64");
    int r = x->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis, n[3] = {1, 1, 1};
    if (ax < 0 || ax >= r || o->rank != r)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "TopK: axis %lld of rank %d",
                       (long long)a->axis.axis, r);
    for (int i = 0; i < r; i++)
        n[i < ax ? 0 : i == ax ? 1 : 2] *= x->dim[i];
    int64_t k = o->dim[ax];
    if (k < 0 || k > n[1])
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "TopK: K %lld of %lld elements", (long long)k,
                       (long long)n[1]);
    if (ocl_numel(x) > INT_MAX || ocl_numel(o) > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "TopK on OpenCL: 2^31 elements or more");
    cl_long xoff = elem_off(x), yoff = val ? elem_off(val) : 0, hoff = ind ? elem_off(ind) : 0;
    if (xoff < 0 || yoff < 0 || hoff < 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "TopK on OpenCL: offset not element-aligned");
    if (n[0] * n[2] == 0 || k == 0)
        return RT_OK;
    OclBuf *tmp = NULL;
    int rc;
    if (!ind && (rc = ocl_buf_new(d, (size_t)ocl_numel(o) * sizeof(cl_long), &tmp)) != RT_OK)
        return rc;
    cl_mem hmem = ind ? ind->mem : tmp->mem, ymem = val ? val->mem : hmem;
    cl_int outer = (cl_int)n[0], len = (cl_int)n[1], inner = (cl_int)n[2], kk = (cl_int)k;
    cl_int largest = a->axis.largest != 0, values = val != NULL;
    OclArg arg[12] = {OCL_ARG(x->mem), OCL_ARG(xoff),  OCL_ARG(ymem),    OCL_ARG(yoff),
                      OCL_ARG(hmem),   OCL_ARG(hoff),  OCL_ARG(outer),   OCL_ARG(len),
                      OCL_ARG(inner),  OCL_ARG(kk),    OCL_ARG(largest), OCL_ARG(values)};
    char opt[96];
    int fl = x->dt == DT_F32 || x->dt == DT_F64;
    snprintf(opt, sizeof opt, "-DT=%s%s%s", ty, fl ? " -DFLOATING" : "",
             x->dt == DT_F64 ? " -DUSE_FP64" : "");
    size_t global = (size_t)(n[0] * n[2]);
    rc = ocl_launch(d, "topk", opt, "topk", arg, 12, 1, &global, NULL);
    ocl_buf_free(d, tmp);
    return rc;
}
