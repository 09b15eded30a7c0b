/*
 * cast.cl: Cast and CastLike (runtime/opencl/cast.c): one element per work-item, converted
 * exactly as runtime/cpu/cast.c converts it (through runtime/cpu/elt_impl.h), bit for bit.
 *
 * Build options: SRC and DST, the dtypes (the DType numbers of ir/attr.h, named below); ST and
 * DT, the OpenCL types their elements are stored as (float16 and bfloat16 as ushort, bool as
 * uchar, integers as the unsigned type of their size, so that storing wraps). float64 needs
 * cl_khr_fp64, which the host checks.
 *
 * The CPU takes one of two paths. From a float (and from uint64 into a float), the value goes
 * through a double: float32, float16 and bfloat16 are exact in a float, so a float serves for
 * them here, and a double only for float64. Into integers the value is truncated toward zero,
 * saturating at int64 (NaN is 0), then wrapped to the width; uint64 saturates at its own range
 * from 2^63 up. From integers and bool the value goes through int64, wrapping, and into a float
 * by one rounding to float32, but through a double (a second rounding) to float16, bfloat16 and
 * float64: (float)(double)v is emulated with integers so that no fp64 is needed. float16 and
 * bfloat16 are converted with integer arithmetic as in elt_impl.h (no cl_khr_fp16).
 *
 * hetc-ops: Cast CastLike
 */

#define F32 1
#define U8 2
#define I8 3
#define U16 4
#define I16 5
#define I32 6
#define I64 7
#define BOOL 9
#define F16 10
#define F64 11
#define U32 12
#define U64 13
#define BF16 16

#if SRC == F64 || DST == F64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#define IS_FLOAT(t) ((t) == F32 || (t) == F64 || (t) == F16 || (t) == BF16)

#include "half.cl"

/* (float)(double)u: u rounded to 53 significant bits (to nearest, ties to even), then to a
 * float. The rounded value, q times 2^s with q below 2^54, converts exactly after q does. */
float
u64_to_f32_via_f64(ulong u)
{
    int s = 11 - (int)clz(u);
    if (s <= 0)
        return convert_float_rte(u);
    ulong q = u >> s, rest = u & ((1UL << s) - 1), tie = 1UL << (s - 1);
    q += rest > tie || (rest == tie && (q & 1));
    return convert_float_rte(q) * (float)(1UL << s);
}

float
i64_to_f32_via_f64(long v)
{
    float f = u64_to_f32_via_f64(v < 0 ? -(ulong)v : (ulong)v);
    return v < 0 ? -f : f;
}

/* The source element as the CPU's double: FT is float but for float64 (and uint64 into
 * float64). */
#if SRC == F64 || (SRC == U64 && DST == F64)
#define FT double
#else
#define FT float
#endif

/* a double of a float, exact also where the device flushes float subnormals */
#if DST == F64
double
f32_to_f64(float f)
{
    uint x = as_uint(f);
    if ((x & 0x7f800000) == 0 && (x & 0x7fffff) != 0) {
        double v = (double)(x & 0x7fffff) * 0x1p-149;
        return x >> 31 ? -v : v;
    }
    return (double)f;
}
#endif

/* FT to int64: truncated toward zero, saturating, NaN as 0 (elt_impl.h's f2i) */
long
f2i(FT v)
{
    if (isnan(v))
        return 0;
    if (v >= (FT)0x1p63f)
        return LONG_MAX;
    if (v <= (FT)-0x1p63f)
        return LONG_MIN;
    return (long)v;
}

/* the source as FT (the float path) */
FT
load_f(ST v)
{
#if SRC == F16
    return f16_to_f32(v);
#elif SRC == BF16
    return bf16_to_f32(v);
#elif SRC == U64 && DST == F64
    return convert_double_rte(v);
#elif SRC == U64
    return u64_to_f32_via_f64(v);
#else
    return v;
#endif
}

/* whether the float source is not zero, from its bits (a flushed subnormal still counts) */
int
nonzero(ST v)
{
#if SRC == F16 || SRC == BF16
    return (v & 0x7fff) != 0;
#elif SRC == F32
    return (as_uint(v) & 0x7fffffff) != 0;
#elif SRC == F64
    return (as_ulong(v) << 1) != 0;
#else
    return v != 0;
#endif
}

DT
convert(ST v)
{
#if IS_FLOAT(SRC) || (SRC == U64 && IS_FLOAT(DST))
    /* the float path: elt_impl.h's store_f(load_f) */
#if DST == BOOL
    return nonzero(v);
#else
    FT f = load_f(v);
#if DST == F32
    return (float)f;
#elif DST == F64 && (SRC == F64 || SRC == U64)
    return f;
#elif DST == F64
    return f32_to_f64(f);
#elif DST == F16
    return f32_to_f16((float)f);
#elif DST == BF16
    return f32_to_bf16((float)f);
#elif DST == U64
    if (f >= (FT)0x1p63f)
        return f >= (FT)0x1p64f ? ULONG_MAX : convert_ulong_rtz(f);
    return (ulong)f2i(f);
#else
    return (DT)(ulong)f2i(f);
#endif
#endif
#else
    /* the integer path: store_i(load_i); uint64 and bool read as their bits */
#if SRC == U64
    long i = as_long(v);
#else
    long i = (long)v;
#endif
#if DST == BOOL
    return i != 0;
#elif DST == F32
    return convert_float_rte(i);
#elif DST == F16
    return f32_to_f16(i64_to_f32_via_f64(i));
#elif DST == BF16
    return f32_to_bf16(i64_to_f32_via_f64(i));
#elif DST == F64
    return convert_double_rte(i);
#else
    return (DT)(ulong)i;
#endif
#endif
}

__kernel void
cast(__global DT *restrict y, const long yoff, __global const ST *restrict x, const long xoff,
     const long n)
{
    const long i = get_global_id(0);
    if (i < n)
        y[yoff + i] = convert(x[xoff + i]);
}
