/*
 * cast.c: Cast and CastLike on an OpenCL device, the counterparts of runtime/cpu/cast.c, between
 * every pair of float32, float16, bfloat16, float64, the eight integer dtypes and bool.
 *
 * The same dtype is a buffer copy. Every other pair is kernels/cast.cl's one kernel, built per
 * pair (-DSRC, -DDST and the element types), which converts each element by the CPU's rules bit
 * for bit: float16 and bfloat16 by integer arithmetic (no cl_khr_fp16 needed), and the CPU's
 * detours through double emulated where they change the result. Only pairs with float64 need
 * cl_khr_fp64; without it they are RT_EUNSUPPORTED. As on the CPU, CastAttr.saturate is
 * ignored (it concerns float8 only).
 */
#include "ocl_impl.h"
#include "ops.h"

#include <stdio.h>
#include <string.h>

/* The OpenCL type elements of t are stored as in cast.cl: sources by their C type (integers
 * sign- or zero-extend when read), outputs as unsigned bits for integers (stores wrap); NULL
 * for dtypes without numbers (strings, complex). */
static const char *
cl_type(DType t, int out)
{
    switch (t) {
    case DT_F32: return "float";
    case DT_F64: return "double";
    case DT_F16:
    case DT_BF16:
    case DT_U16: return "ushort";
    case DT_BOOL:
    case DT_U8: return "uchar";
    case DT_U32: return "uint";
    case DT_U64: return "ulong";
    case DT_I8: return out ? "uchar" : "char";
    case DT_I16: return out ? "ushort" : "short";
    case DT_I32: return out ? "uint" : "int";
    case DT_I64: return out ? "ulong" : "long";
    default: return NULL;
    }
}

/* y = x converted to y's dtype. */
static int
cast(OclDev *d, const char *name, const OclTensor *x, const OclTensor *y)
{
    const char *st = cl_type(x->dt, 0), *dt = cl_type(y->dt, 1);
    int64_t n = ocl_numel(y);
    if (!st || !dt)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: dtype %d to %d", name, x->dt, y->dt);
    if (ocl_numel(x) != n)
        return rt_fail(d->ctx, RT_EINPUT, "%s: %lld elements in, %lld out", name,
                       (long long)ocl_numel(x), (long long)n);
    size_t xs = rt_dtype_size(x->dt), ys = rt_dtype_size(y->dt);
    if (x->off % xs != 0 || y->off % ys != 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "%s on OpenCL: an offset is not a whole number "
                       "of elements",
                       name);
    if (n == 0)
        return RT_OK;
    if (x->dt == y->dt)
        return OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, x->mem, y->mem, x->off, y->off,
                                                    (size_t)n * xs, 0, NULL, NULL));
    if ((x->dt == DT_F64 || y->dt == DT_F64) && !d->info.fp64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "%s on OpenCL: float64 needs cl_khr_fp64, which %s lacks", name,
                       d->info.name);
    char opt[128];
    snprintf(opt, sizeof opt, "-DSRC=%d -DDST=%d -DST=%s -DDT=%s", (int)x->dt, (int)y->dt, st, dt);
    cl_long yoff = (cl_long)(y->off / ys), xoff = (cl_long)(x->off / xs), cn = n;
    OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yoff), OCL_ARG(x->mem), OCL_ARG(xoff), OCL_ARG(cn)};
    size_t global = (size_t)n;
    return ocl_launch(d, "cast", opt, "cast", arg, 5, 1, &global, NULL);
}

int
ocl_op_cast(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    (void)nin, (void)nout;
    if (a && a->cast.to != out[0]->dt)
        return rt_fail(d->ctx, RT_EINPUT, "cast: to=%d but the output has dtype %d", a->cast.to,
                       out[0]->dt);
    return cast(d, "cast", in[0], out[0]);
}

int
ocl_op_castlike(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                int nout)
{
    (void)a, (void)nin, (void)nout;
    if (in[1]->dt != out[0]->dt)
        return rt_fail(d->ctx, RT_EINPUT, "castlike: target dtype %d but the output has %d",
                       in[1]->dt, out[0]->dt);
    return cast(d, "castlike", in[0], out[0]);
}
