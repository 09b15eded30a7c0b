/*
 * quant.c: the int8 ops on an OpenCL device, the counterparts of runtime/cpu/quant.c, with the
 * same forms and the same results bit for bit (kernels/quant.cl): QuantizeLinear and
 * DequantizeLinear per tensor or per axis, DynamicQuantizeLinear (its range in one work-group,
 * then QuantizeLinear's kernel reading the scale and zero point it wrote), MatMulInteger (one
 * launch per output matrix) and ConvInteger, one int32 output per work-item.
 *
 * Scales and zero points are device tensors like any other input: they may be computed at run
 * time, so the kernels read them rather than the host.
 */
#include "conv_geom.h"
#include "ocl_impl.h"
#include "ops.h"
#include "quant_layout.h"
#include "shape.h"

#include <stdio.h>

/* The OpenCL type of an integer dtype's elements, NULL for other dtypes */
static const char *
int_type(DType t)
{
    switch (t) {
    case DT_U8: return "uchar";
    case DT_I8: return "char";
    case DT_U16: return "ushort";
    case DT_I16: return "short";
    case DT_I32: return "int";
    default: return NULL;
    }
}

/* t's offset in elements into *e: RT_OK, or RT_EUNSUPPORTED when it is not whole. */
static int
elem_off(OclDev *d, const char *op, const OclTensor *t, cl_long *e)
{
    size_t es = rt_dtype_size(t->dt);
    if (es == 0 || t->off % es != 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: offset %zu is not a whole number "
                       "of elements", op, t->off);
    *e = (cl_long)(t->off / es);
    return RT_OK;
}

/* Q/DQ's [outer, ch, inner] view of x for scale s (one element, or one per index of axis) */
static int
layout(OclDev *d, const char *op, const OclTensor *x, const OclTensor *s, const OclTensor *z,
       int64_t axis, cl_long *ch, cl_long *inner)
{
    int64_t ns = ocl_numel(s), c, in;
    if (rt_quant_layout(&x->shape, &s->shape, axis, &c, &in) < 0)
        return rt_fail(d->ctx, RT_EINPUT, "%s: scale of %lld elements for axis %lld", op,
                       (long long)ns, (long long)axis);
    *ch = c;
    *inner = in;
    if ((z && ocl_numel(z) != ns) || s->dt != DT_F32)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: float32 scales and zero points shaped as "
                       "them only", op);
    return RT_OK;
}

/* QuantizeLinear's range for dtype t, as in cpu/quant.c; NULL for other dtypes */
static const char *
qrange(DType t)
{
    switch (t) {
    case DT_U8: return "-DLO=0.0f -DHI=255.0f";
    case DT_I8: return "-DLO=-128.0f -DHI=127.0f";
    case DT_U16: return "-DLO=0.0f -DHI=65535.0f";
    case DT_I16: return "-DLO=-32768.0f -DHI=32767.0f";
    default: return NULL;
    }
}

/* Enqueues quant.cl's quantize or dequantize kernel over y's elements. */
static int
convert(OclDev *d, const char *op, const char *kernel, const char *opt, const OclTensor *x,
        const OclTensor *s, const OclTensor *z, const OclTensor *y, cl_long ch, cl_long inner)
{
    cl_long xo, so, zo = 0, yo, n = ocl_numel(y);
    int rc = elem_off(d, op, x, &xo);
    if (rc == RT_OK)
        rc = elem_off(d, op, s, &so);
    if (rc == RT_OK)
        rc = elem_off(d, op, y, &yo);
    if (rc == RT_OK && z)
        rc = elem_off(d, op, z, &zo);
    if (rc != RT_OK || n == 0)
        return rc;
    cl_mem zm = z ? z->mem : x->mem;
    inner = inner > 0 ? inner : 1;
    OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yo), OCL_ARG(x->mem), OCL_ARG(xo),
                    OCL_ARG(s->mem), OCL_ARG(so), OCL_ARG(zm),     OCL_ARG(zo),
                    OCL_ARG(ch),     OCL_ARG(inner), OCL_ARG(n)};
    size_t global = (size_t)n;
    return ocl_launch(d, "quant", opt, kernel, arg, (int)(sizeof arg / sizeof *arg), 1, &global,
                      NULL);
}

int
ocl_op_quantizelinear(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                      OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *s = in[1], *z = nin > 2 ? in[2] : NULL, *y = out[0];
    const char *range = qrange(y->dt);
    cl_long ch, inner;
    char opt[192];
    (void)nout;
    if (x->dt != DT_F32 || !range || (z && z->dt != y->dt))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "QuantizeLinear: float32 to 8- or 16-bit "
                       "integers only");
    int rc = layout(d, "QuantizeLinear", x, s, z, a->axis.axis, &ch, &inner);
    if (rc != RT_OK)
        return rc;
    snprintf(opt, sizeof opt, "%s -DYT=%s -DZT=%s -DHASZ=%d -cl-fp32-correctly-rounded-divide-sqrt",
             range, int_type(y->dt), int_type(y->dt), z != NULL);
    return convert(d, "QuantizeLinear", "quantize", opt, x, s, z, y, ch, inner);
}

int
ocl_op_dequantizelinear(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                        OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *s = in[1], *z = nin > 2 ? in[2] : NULL, *y = out[0];
    const char *xt = int_type(x->dt);
    cl_long ch, inner;
    char opt[128];
    (void)nout;
    if (!xt || y->dt != DT_F32 || (z && z->dt != x->dt))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "DequantizeLinear: 8-, 16- or 32-bit integers "
                       "to float32 only");
    int rc = layout(d, "DequantizeLinear", x, s, z, a->axis.axis, &ch, &inner);
    if (rc != RT_OK)
        return rc;
    snprintf(opt, sizeof opt, "-DXT=%s -DZT=%s -DWT=%s -DHASZ=%d", xt, xt,
             x->dt == DT_I32 ? "long" : "int", z != NULL);
    return convert(d, "DequantizeLinear", "dequantize", opt, x, s, z, y, ch, inner);
}

int
ocl_op_dynamicquantizelinear(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                             OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0];
    const char *opt = "-DLO=0.0f -DHI=255.0f -DYT=uchar -DZT=uchar -DHASZ=1 "
                      "-cl-fp32-correctly-rounded-divide-sqrt";
    (void)a, (void)nin;
    if (x->dt != DT_F32 || nout < 3 || out[0]->dt != DT_U8 || out[1]->dt != DT_F32 ||
        out[2]->dt != DT_U8)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "DynamicQuantizeLinear: float32 to uint8 only");
    cl_long xo, so, zo, n = ocl_numel(x);
    int rc = elem_off(d, "DynamicQuantizeLinear", x, &xo);
    if (rc == RT_OK)
        rc = elem_off(d, "DynamicQuantizeLinear", out[1], &so);
    if (rc == RT_OK)
        rc = elem_off(d, "DynamicQuantizeLinear", out[2], &zo);
    if (rc != RT_OK)
        return rc;
    size_t group = 64;
    while (group > 1 && group > d->info.max_wg)
        group /= 2;
    OclArg arg[] = {OCL_ARG(x->mem),       OCL_ARG(xo), OCL_ARG(n),
                    OCL_ARG(out[1]->mem),  OCL_ARG(so), OCL_ARG(out[2]->mem),
                    OCL_ARG(zo),           {group * sizeof(float), NULL},
                    {group * sizeof(float), NULL}};
    rc = ocl_launch(d, "quant", opt, "dynamic_range", arg, (int)(sizeof arg / sizeof *arg), 1,
                    &group, &group);
    if (rc != RT_OK)
        return rc;
    return convert(d, "DynamicQuantizeLinear", "quantize", opt, x, out[1], out[2], out[0], 1, n);
}

/* The build options of the integer products: operand types, zero points present, B's per
 * column (or per output channel); RT_EUNSUPPORTED for other forms. */
static int
integer_opt(OclDev *d, const char *op, OclTensor *const *in, int nin, const OclTensor *y,
            char *opt, size_t cap)
{
    const OclTensor *za = nin > 2 ? in[2] : NULL, *zb = nin > 3 ? in[3] : NULL;
    for (int i = 0; i < nin && i < 4; i++) {
        const OclTensor *t = in[i], *of = i < 2 ? t : in[i - 2];
        if (t && ((t->dt != DT_U8 && t->dt != DT_I8) || t->dt != of->dt))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: int8 and uint8 inputs only", op);
    }
    if (y->dt != DT_I32 || (za && ocl_numel(za) != 1))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: an int32 output and one zero point for "
                       "input 0 only", op);
    snprintf(opt, cap, "-DAT=%s -DBT=%s -DHASZA=%d -DHASZB=%d -DZBPER=%d", int_type(in[0]->dt),
             int_type(in[1]->dt), za != NULL, zb != NULL, zb && ocl_numel(zb) > 1);
    return RT_OK;
}

/* Element offsets of the present tensors t[0 .. n) into e (0 for absent ones). */
static int
offsets(OclDev *d, const char *op, OclTensor *const *t, int n, cl_long *e)
{
    int rc = RT_OK;
    for (int i = 0; i < n && rc == RT_OK; i++) {
        e[i] = 0;
        if (t[i])
            rc = elem_off(d, op, t[i], &e[i]);
    }
    return rc;
}

int
ocl_op_matmulinteger(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                     OclTensor *const *out, int nout)
{
    const OclTensor *ta = in[0], *tb = in[1], *y = out[0];
    const OclTensor *za = nin > 2 ? in[2] : NULL, *zb = nin > 3 ? in[3] : NULL;
    char opt[160];
    cl_long e[4] = {0, 0, 0, 0}, yo = 0;
    (void)attr, (void)nout;
    int rc = integer_opt(d, "MatMulInteger", in, nin, y, opt, sizeof opt);
    if (rc == RT_OK)
        rc = offsets(d, "MatMulInteger", in, nin < 4 ? nin : 4, e);
    if (rc == RT_OK)
        rc = elem_off(d, "MatMulInteger", y, &yo);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    cl_long k = ta->dim[ta->rank - 1], m = ta->rank >= 2 ? ta->dim[ta->rank - 2] : 1;
    cl_long n = tb->rank >= 2 ? tb->dim[tb->rank - 1] : 1;
    int nb = y->rank - (ta->rank >= 2) - (tb->rank >= 2);
    int64_t sa[RT_MAXRANK], sb[RT_MAXRANK], batch = 1, zbn = zb ? ocl_numel(zb) : 1;
    rt_shape_batch_strides(&ta->shape, nb, m * k, sa);
    rt_shape_batch_strides(&tb->shape, nb, k * n, sb);
    for (int i = 0; i < nb; i++)
        batch *= y->dim[i];
    cl_mem zam = za ? za->mem : ta->mem, zbm = zb ? zb->mem : tb->mem;
    size_t global[2] = {(size_t)n, (size_t)m};
    for (int64_t idx = 0; idx < batch && rc == RT_OK; idx++) {
        int64_t oa = 0, ob = 0, r = idx;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t q = r % y->dim[i];
            r /= y->dim[i];
            oa += q * sa[i];
            ob += q * sb[i];
        }
        cl_long ao = e[0] + oa, bo = e[1] + ob, zbo = e[3] + (zbn > n ? ob / k : 0);
        cl_long yi = yo + idx * m * n;
        OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yi),  OCL_ARG(ta->mem), OCL_ARG(ao),
                        OCL_ARG(tb->mem), OCL_ARG(bo), OCL_ARG(zam),     OCL_ARG(e[2]),
                        OCL_ARG(zbm),    OCL_ARG(zbo), OCL_ARG(m),       OCL_ARG(n),
                        OCL_ARG(k)};
        rc = ocl_launch(d, "quant", opt, "matmul_integer", arg, (int)(sizeof arg / sizeof *arg),
                        2, global, NULL);
    }
    return rc;
}

int
ocl_op_convinteger(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                   OclTensor *const *out, int nout)
{
    const ConvAttr *a = &attr->conv;
    const OclTensor *x = in[0], *w = in[1], *y = out[0];
    const OclTensor *zx = nin > 2 ? in[2] : NULL, *zw = nin > 3 ? in[3] : NULL;
    char opt[160];
    cl_long e[4] = {0, 0, 0, 0}, yo = 0;
    (void)nout;
    int rc = integer_opt(d, "ConvInteger", in, nin, y, opt, sizeof opt);
    int ns = x->rank - 2;
    if (rc == RT_OK && (ns < 1 || ns > 3 || w->rank != x->rank || a->group < 1))
        rc = rt_fail(d->ctx, RT_EUNSUPPORTED, "ConvInteger: 1 to 3 spatial axes");
    if (rc == RT_OK)
        rc = offsets(d, "ConvInteger", in, nin < 4 ? nin : 4, e);
    if (rc == RT_OK)
        rc = elem_off(d, "ConvInteger", y, &yo);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    Geom geo;
    geom_init(&geo, a, ns, x->dim, w->dim, y->dim, 0);
    cl_long4 img, col, k, st, dl, pb;
    for (int j = 0; j < 3; j++) {
        img.s[j] = geo.img[j], col.s[j] = geo.col[j], k.s[j] = geo.k[j];
        st.s[j] = geo.s[j], dl.s[j] = geo.d[j], pb.s[j] = geo.pb[j];
    }
    img.s[3] = col.s[3] = k.s[3] = st.s[3] = dl.s[3] = pb.s[3] = 0;
    cl_long cin = x->dim[1], m = w->dim[0], grp = a->group, n = ocl_numel(y);
    cl_mem zxm = zx ? zx->mem : x->mem, zwm = zw ? zw->mem : w->mem;
    OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yo),   OCL_ARG(x->mem), OCL_ARG(e[0]),
                    OCL_ARG(w->mem), OCL_ARG(e[1]), OCL_ARG(zxm),    OCL_ARG(e[2]),
                    OCL_ARG(zwm),    OCL_ARG(e[3]), OCL_ARG(cin),    OCL_ARG(m),
                    OCL_ARG(grp),    OCL_ARG(img),  OCL_ARG(col),    OCL_ARG(k),
                    OCL_ARG(st),     OCL_ARG(dl),   OCL_ARG(pb),     OCL_ARG(n)};
    size_t global = (size_t)n;
    return ocl_launch(d, "quant", opt, "conv_integer", arg, (int)(sizeof arg / sizeof *arg), 1,
                      &global, NULL);
}
