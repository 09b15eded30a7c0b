/*
 * generate.c: the CPU kernels that make data rather than move it: Range, ConstantOfShape, Shape
 * and Size.
 *
 * Values pass through one pair of element accessors: load reads any numeric element as a double
 * and as an int64, store writes one converted to the element's dtype (integers from the int64,
 * exactly and wrapping to the width; floats, float16, bfloat16 and bool from the double). So
 * Range computes start + i * delta once, in int64 for integer dtypes and in double for floats,
 * and ConstantOfShape converts its value once, then repeats the element bytes.
 */
#include "move_impl.h"

#include <math.h>

static int
is_float(DType dt)
{
    return dt == DT_F32 || dt == DT_F64 || dt == DT_F16 || dt == DT_BF16 || dt == DT_BOOL ||
           dt == DT_C64 || dt == DT_C128;
}

/* float32 to IEEE half, rounding to nearest even. */
static uint16_t
f32_to_f16(float f)
{
    uint32_t x, mant, h;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    mant = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff) /* infinity, NaN */
        return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) { /* subnormal half, or zero */
        if (exp < -10)
            return sign;
        uint32_t shift = (uint32_t)(14 - exp), m24 = mant | 0x800000;
        uint32_t rem = m24 & ((1u << shift) - 1), half = 1u << (shift - 1);
        h = m24 >> shift;
        h += rem > half || (rem == half && (h & 1));
        return (uint16_t)(sign | h);
    }
    h = (uint32_t)exp << 10 | mant >> 13;
    h += (mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) == 0x1000 && (h & 1)); /* may carry to inf */
    return (uint16_t)(sign | h);
}

/* float32 to bfloat16, rounding to nearest even. */
static uint16_t
f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if (isnan(f))
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* Writes element i of p as dtype dt: integers from iv, the others from fv. Returns 0, or -1 for
 * a dtype without numbers (strings). */
static int
store(void *p, DType dt, int64_t i, double fv, int64_t iv)
{
    char *d = (char *)p + (size_t)i * rt_dtype_size(dt);
    union {
        float f;
        double g;
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        uint16_t u16;
        float c[2];
        double z[2];
    } u;
    memset(&u, 0, sizeof u);
    switch (dt) {
    case DT_F32: u.f = (float)fv; break;
    case DT_F64: u.g = fv; break;
    case DT_F16: u.u16 = f32_to_f16((float)fv); break;
    case DT_BF16: u.u16 = f32_to_bf16((float)fv); break;
    case DT_BOOL: u.i8 = fv != 0; break;
    case DT_C64: u.c[0] = (float)fv; break;
    case DT_C128: u.z[0] = fv; break;
    case DT_I8:
    case DT_U8: u.i8 = (int8_t)iv; break;
    case DT_I16:
    case DT_U16: u.i16 = (int16_t)iv; break;
    case DT_I32:
    case DT_U32: u.i32 = (int32_t)iv; break;
    case DT_I64:
    case DT_U64: u.i64 = iv; break;
    default: return -1;
    }
    memcpy(d, &u, rt_dtype_size(dt)); /* every member starts at the union's first byte */
    return 0;
}

/* Reads element 0 of t: floats as a double (iv 0), integers as an int64 and a double; returns 0,
 * or -1 for a dtype Range does not take. */
static int
load(const RtTensor *t, double *fv, int64_t *iv)
{
    const void *p = t->data;
    switch (t->dt) {
    case DT_F32:
        *fv = *(const float *)p;
        *iv = 0;
        return 0;
    case DT_F64:
        *fv = *(const double *)p;
        *iv = 0;
        return 0;
    case DT_I16: *iv = *(const int16_t *)p; break;
    case DT_I32: *iv = *(const int32_t *)p; break;
    case DT_I64: *iv = *(const int64_t *)p; break;
    case DT_I8: *iv = *(const int8_t *)p; break;
    case DT_U8: *iv = *(const uint8_t *)p; break;
    case DT_U16: *iv = *(const uint16_t *)p; break;
    case DT_U32: *iv = *(const uint32_t *)p; break;
    default: return -1;
    }
    *fv = (double)*iv;
    return 0;
}

/* Range: output[i] = start + i * delta; the compiler computed the length. */
int
cpu_range(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    RtTensor *y = out[0];
    double f0, fl, fd;
    int64_t i0, il, id;
    (void)a, (void)nin, (void)nout;
    if (load(in[0], &f0, &i0) < 0 || load(in[1], &fl, &il) < 0 || load(in[2], &fd, &id) < 0 ||
        y->dt != in[0]->dt)
        return rt_fail(ctx, RT_EUNSUPPORTED, "Range: unsupported dtype %d", (int)in[0]->dt);
    int fl_ = is_float(y->dt);
    for (int64_t i = 0; i < rt_numel(y); i++) {
        /* integers wrap like the output width: compute in uint64 to keep it defined */
        int64_t v = (int64_t)((uint64_t)i0 + (uint64_t)i * (uint64_t)id);
        store(y->data, y->dt, i, fl_ ? f0 + (double)i * fd : 0, v);
    }
    return RT_OK;
}

/* ConstantOfShape: the output filled with the attribute's value in the output dtype (zero when
 * no value was given). */
int
cpu_constantofshape(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                    int nout)
{
    RtTensor *y = out[0];
    unsigned char val[16];
    int given = a->cst.dt != DT_UNDEF;
    (void)in, (void)nin, (void)nout;
    if (store(val, y->dt, 0, given ? a->cst.f : 0, given ? a->cst.i : 0) < 0)
        return rt_fail(ctx, RT_EUNSUPPORTED, "ConstantOfShape: unsupported dtype %d", (int)y->dt);
    if (rt_numel(y) > 0)
        cpu_fill_elems(y->data, val, rt_numel(y), rt_dtype_size(y->dt));
    return RT_OK;
}

/* Shape: the input's dims [start, end) as int64, both clamped to [0, rank] after negative ones
 * count from the end. */
int
cpu_shape(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    int64_t r = x->rank, s = a->shape.start;
    (void)nin, (void)nout;
    if (out[0]->dt != DT_I64)
        return rt_fail(ctx, RT_EUNSUPPORTED, "Shape: the output must be int64");
    s = s < 0 ? s + r : s;
    s = s < 0 ? 0 : s > r ? r : s;
    for (int64_t i = 0; i < rt_numel(out[0]) && s + i < r; i++)
        ((int64_t *)out[0]->data)[i] = x->dim[s + i];
    return RT_OK;
}

/* Size: the input's element count as an int64 scalar. */
int
cpu_size(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)a, (void)nin, (void)nout;
    if (out[0]->dt != DT_I64)
        return rt_fail(ctx, RT_EUNSUPPORTED, "Size: the output must be int64");
    *(int64_t *)out[0]->data = rt_numel(in[0]);
    return RT_OK;
}
