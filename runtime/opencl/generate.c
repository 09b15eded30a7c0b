/*
 * generate.c: Range, ConstantOfShape, Shape and Size on an OpenCL device: ops that make small
 * tensors from scalars and shapes rather than compute over data.
 *
 * Each runs the CPU kernel itself (runtime/cpu/generate.c) on the host, so the conversions
 * (Range in int64 or double, ConstantOfShape's value in any dtype, float16 and bfloat16
 * included) are written once, then copies the result to the device with a blocking write: the
 * host memory is scratch, which must not be reused while a write still reads it. Range's scalar
 * operands come from their constants' host copies, else they are read back (blocking).
 * ConstantOfShape computes one element and repeats it with clEnqueueFillBuffer, so a large
 * filled tensor costs no host memory.
 */
#include "ocl_impl.h"
#include "ops.h"

#include <string.h>

/* t as a host tensor: its dtype and shape, and data from its host copy, else (need_data) read
 * back into scratch slot `slot`, else NULL. */
static int
host_tensor(OclDev *d, const OclTensor *t, int need_data, int slot, RtTensor *h)
{
    *h = (RtTensor){.data = (void *)t->host, .dt = t->dt, .rank = t->rank};
    memcpy(h->dim, t->dim, sizeof h->dim);
    size_t bytes = (size_t)ocl_numel(t) * rt_dtype_size(t->dt);
    if (h->data || !need_data || bytes == 0)
        return RT_OK;
    h->data = rt_scratch(d->ctx, slot, bytes);
    if (!h->data)
        return rt_fail(d->ctx, RT_ENOMEM, "no scratch memory for an operand");
    return OCL_CALL(d->ctx, clEnqueueReadBuffer(d->queue, t->mem, CL_TRUE, t->off, bytes, h->data,
                                                0, NULL, NULL));
}

/* Runs the CPU kernel k with inputs in[0 .. nin) (their data read when need_data) into a host
 * copy of y in scratch slot 3, then writes it to y (blocking). */
static int
on_host(OclDev *d, RtKernel k, const Attr *a, OclTensor *const *in, int nin, const OclTensor *y,
        int need_data)
{
    RtTensor h[4], *hin[4] = {NULL}, hy;
    int rc = RT_OK;
    for (int i = 0; i < nin && i < 4 && rc == RT_OK; i++) {
        if (in[i]) {
            rc = host_tensor(d, in[i], need_data, i, &h[i]);
            hin[i] = &h[i];
        }
    }
    if (rc != RT_OK)
        return rc;
    size_t bytes = (size_t)ocl_numel(y) * rt_dtype_size(y->dt);
    hy = (RtTensor){.dt = y->dt, .rank = y->rank};
    memcpy(hy.dim, y->dim, sizeof hy.dim);
    hy.data = rt_scratch(d->ctx, 3, bytes ? bytes : 1);
    if (!hy.data)
        return rt_fail(d->ctx, RT_ENOMEM, "no scratch memory for an output");
    memset(hy.data, 0, bytes); /* Shape writes only the dims it has */
    RtTensor *hout = &hy;
    rc = k(d->ctx, a, hin, nin < 4 ? nin : 4, &hout, 1);
    if (rc != RT_OK || bytes == 0)
        return rc;
    return OCL_CALL(d->ctx, clEnqueueWriteBuffer(d->queue, y->mem, CL_TRUE, y->off, bytes, hy.data,
                                                 0, NULL, NULL));
}

int
ocl_op_range(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
             int nout)
{
    (void)nout;
    return on_host(d, cpu_range, a, in, nin, out[0], 1);
}

int
ocl_op_shape(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
             int nout)
{
    (void)nout;
    return on_host(d, cpu_shape, a, in, nin, out[0], 0);
}

int
ocl_op_size(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    (void)nout;
    return on_host(d, cpu_size, a, in, nin, out[0], 0);
}

/* ConstantOfShape: one element made by the CPU kernel, repeated over y on the device. */
int
ocl_op_constantofshape(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                       OclTensor *const *out, int nout)
{
    const OclTensor *y = out[0];
    _Alignas(16) unsigned char val[16];
    RtTensor one = {.data = val, .dt = y->dt, .rank = 0}, *hout = &one;
    size_t es = rt_dtype_size(y->dt);
    (void)nout;
    int rc = cpu_constantofshape(d->ctx, a, NULL, 0, &hout, 1);
    (void)in, (void)nin;
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    size_t n = (size_t)ocl_numel(y);
    if (es == 0 || es > sizeof val)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "ConstantOfShape: unsupported dtype %d",
                       (int)y->dt);
    if (y->off % es == 0)
        return OCL_CALL(
            d->ctx, clEnqueueFillBuffer(d->queue, y->mem, val, es, y->off, n * es, 0, NULL, NULL));
    /* a fill's offset must be a multiple of its pattern: a 16-byte element at an offset of 8
     * goes through the host */
    unsigned char *h = rt_scratch(d->ctx, 0, n * es);
    if (!h)
        return rt_fail(d->ctx, RT_ENOMEM, "ConstantOfShape: no scratch memory");
    for (size_t i = 0; i < n; i++)
        memcpy(h + i * es, val, es);
    return OCL_CALL(
        d->ctx, clEnqueueWriteBuffer(d->queue, y->mem, CL_TRUE, y->off, n * es, h, 0, NULL, NULL));
}
