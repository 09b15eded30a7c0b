/*
 * elt_impl.h: element access shared by the elementwise kernels (eltwise.c) and Cast (cast.c):
 * f16 and bf16 conversions, reading any numeric element as int64 or as double, storing one back
 * converted to the tensor's dtype, and a parallel loop for large outputs.
 *
 * Rule of conversion (the same as the compiler's constant folding, ir/fold.c): integers and bool
 * go through int64 exactly and wrap to the destination's width; floats go through double and
 * become integers truncated toward zero, saturating at int64, NaN as 0; bool is x != 0.
 */
#pragma once

#include "rt_backend.h"

#include <math.h>
#include <string.h>

/* When an elementwise loop is worth a second thread. A cheap op (a vectorised add or Relu) on
 * a tensor the step before has just written reads it from the writer's cache at several hundred
 * GB/s; split across threads, each other core pulls its share across the chip first, which takes
 * longer than the whole op did (measured: a Relu over 100K floats 5 us on one thread, 13 us on
 * two). Such ops go wide only beyond the size of a core's cache, where both cores' bandwidth to
 * memory helps; ops that compute per element (exp, tanh, erf, integer and double paths) much
 * sooner. */
enum {
    PAR_MIN_CHEAP = 1 << 20,    /* elements of a cheap op below which it runs on one thread */
    PAR_MIN = 1 << 15,          /* the same for the others */
    PAR_GRAIN = 16384,          /* the smallest chunk a thread takes */
};

static inline float
f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    float f;
    if (e == 0) {   /* zero or subnormal: m * 2^-24 */
        f = (float)m * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    bits = sign | (e == 31 ? 0x7f800000 | m << 13 : (e + 112) << 23 | m << 13);
    memcpy(&f, &bits, 4);
    return f;
}

/* Rounds to nearest even; overflow gives inf, NaN stays NaN. */
static inline uint16_t
f32_to_f16(float f)
{
    uint32_t x, ax, h;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    ax = x & 0x7fffffff;
    if (ax > 0x7f800000)
        return (uint16_t)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));
    if (ax >= 0x47800000)   /* >= 65536, inf included */
        return (uint16_t)(sign | 0x7c00);
    if (ax < 0x38800000) {  /* below 2^-14: a subnormal; the scaling by 2^24 is exact */
        float a = fabsf(f) * 16777216.0f;
        return (uint16_t)(sign | (uint16_t)nearbyintf(a));     /* 1024 is the smallest normal */
    }
    h = ((ax >> 23) - 112) << 10 | (ax & 0x7fffff) >> 13;
    uint32_t rest = ax & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;                /* a carry into the exponent is right, up to inf */
    return (uint16_t)(sign | h);
}

static inline float
bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t
f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)(x >> 16 | 0x40);
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

static inline int
is_float(DType t)
{
    return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16;
}

/* dtypes with arithmetic here: real floats, integers and bool */
static inline int
numeric(DType t)
{
    return t != DT_STRING && t != DT_C64 && t != DT_C128 && rt_dtype_size(t) > 0;
}

static inline int64_t
wrap(uint64_t u)    /* two's complement reinterpretation, without implementation-defined casts */
{
    int64_t r;
    memcpy(&r, &u, 8);
    return r;
}

/* A double as int64: truncated toward zero, saturating, NaN as 0. */
static inline int64_t
f2i(double x)
{
    if (isnan(x))
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

static inline double load_f(const RtTensor *t, int64_t i);

/* Element i as int64: integers exactly (U64 as its bit pattern), floats through f2i. */
static inline int64_t
load_i(const RtTensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dt) {
    case DT_BOOL:
    case DT_U8: return ((const uint8_t *)p)[i];
    case DT_I8: return ((const int8_t *)p)[i];
    case DT_U16: return ((const uint16_t *)p)[i];
    case DT_I16: return ((const int16_t *)p)[i];
    case DT_U32: return ((const uint32_t *)p)[i];
    case DT_I32: return ((const int32_t *)p)[i];
    case DT_I64: return ((const int64_t *)p)[i];
    case DT_U64: return wrap(((const uint64_t *)p)[i]);
    default: return f2i(load_f(t, i));
    }
}

static inline double
load_f(const RtTensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dt) {
    case DT_F32: return ((const float *)p)[i];
    case DT_F64: return ((const double *)p)[i];
    case DT_F16: return f16_to_f32(((const uint16_t *)p)[i]);
    case DT_BF16: return bf16_to_f32(((const uint16_t *)p)[i]);
    case DT_U64: return (double)((const uint64_t *)p)[i];
    default: return (double)load_i(t, i);
    }
}

static inline void store_f(RtTensor *t, int64_t i, double x);

/* Stores x into element i, wrapped to an integer dtype's width (bool: x != 0). */
static inline void
store_i(RtTensor *t, int64_t i, int64_t x)
{
    void *p = t->data;
    uint64_t u = (uint64_t)x;
    switch (t->dt) {
    case DT_BOOL: ((uint8_t *)p)[i] = x != 0; break;
    case DT_U8:
    case DT_I8: ((uint8_t *)p)[i] = (uint8_t)u; break;
    case DT_U16:
    case DT_I16: ((uint16_t *)p)[i] = (uint16_t)u; break;
    case DT_U32:
    case DT_I32: ((uint32_t *)p)[i] = (uint32_t)u; break;
    case DT_U64:
    case DT_I64: ((uint64_t *)p)[i] = u; break;
    case DT_F32: ((float *)p)[i] = (float)x; break;    /* one rounding */
    default: store_f(t, i, (double)x); break;
    }
}

/* Stores x rounded to a float dtype (to f16 and bf16 through f32: a double rounding, off by one
 * unit in rare ties), or through f2i to an integer one (bool: x != 0, NaN true). */
static inline void
store_f(RtTensor *t, int64_t i, double x)
{
    void *p = t->data;
    switch (t->dt) {
    case DT_F32: ((float *)p)[i] = (float)x; break;
    case DT_F64: ((double *)p)[i] = x; break;
    case DT_F16: ((uint16_t *)p)[i] = f32_to_f16((float)x); break;
    case DT_BF16: ((uint16_t *)p)[i] = f32_to_bf16((float)x); break;
    case DT_BOOL: ((uint8_t *)p)[i] = x != 0; break;
    case DT_U64:
        if (x >= 9223372036854775808.0) {
            ((uint64_t *)p)[i] = x >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)x;
            break;
        }
        store_i(t, i, f2i(x));
        break;
    default: store_i(t, i, f2i(x)); break;
    }
}

/* Runs fn over [0, n), on several threads when n is large (cheap: the op costs about a memory
 * access per element); nothing when n is 0. */
static inline void
par(RtCtx *ctx, int64_t n, int cheap, void (*fn)(void *, int64_t, int64_t), void *arg)
{
    if (n <= 0)
        return;
    if (n < (cheap ? PAR_MIN_CHEAP : PAR_MIN))
        fn(arg, 0, n);
    else
        rt_parallel_for(ctx, n, PAR_GRAIN, fn, arg);
}
