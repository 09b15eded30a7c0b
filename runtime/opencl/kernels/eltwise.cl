/*
 * eltwise.cl: the elementwise ops (runtime/opencl/eltwise.c): y = F(a, b, c) over every element
 * of the output, with up to three operands broadcast to it. The op is a compile-time choice: the
 * host builds one program per op and dtypes, and a program holds two kernels:
 *  - elt_flat: the output and every operand are dense (an operand may also be a single element
 *    repeated): each work-item computes 4 consecutive elements with vector loads and stores,
 *    the last one a scalar tail;
 *  - elt_bcast: any broadcast, the output seen as rows of its innermost dim: dimension 1 of the
 *    range walks the rows, dimension 0 a row, 4 elements per work-item again; a row's
 *    coordinates, and so the operands' offsets, come from its index by divisions, once per
 *    work-item.
 *
 * Options: ELT_<OP> (the op, see below); TA TB TC TO, the OpenCL types that a, b, c and y are
 * stored as (float16 and bfloat16 as ushort); KA KB KC, how an operand becomes a compute value
 * (int, u64, flt, f16, bf16), and KO how a result is stored (the same, or bool); UO, the unsigned
 * twin of TO for integer outputs; CT, the type the op computes in, as the CPU kernel does
 * (runtime/cpu/eltwise.c): long, or ulong where an operand is uint64 (CT_INT, CT_UNS), with
 * wrapping arithmetic, when no dtype is a float; otherwise float, or double (CT_DBL) where the
 * CPU's double matters (float64, integers mixed with floats); GEN = 0 when every dtype is
 * float32, where the CPU has its own float32 loops (a few ops differ from its double forms on
 * NaN or signed zeros); FP64 when doubles appear; IDX (int, or long for huge tensors); LO_T and
 * HI_T for Clip (1: the bound is operand b or c). p0 p1 p2 are the op's scalar parameters
 * (alpha, beta, gamma, Mean's count, Mod's fmod, ...).
 *
 * Conversions follow the CPU (runtime/cpu/elt_impl.h): integers widen to 64 bits exactly and
 * wrap to the output's width; a float becomes an integer truncated toward zero, saturating at
 * int64, NaN as 0 (convert_long_sat_rtz), then wraps; float16 and bfloat16 are converted with
 * integer arithmetic, to nearest even, and stored from a float.
 *
 * Each F is written as the CPU kernel computes the op: the same operations in the same order, no
 * contraction into fused multiply-adds (below), and division and sqrt correctly rounded (the
 * host asks for it where the device has it), so the exact ops agree bit for bit and the others
 * within the accuracy of the built-in functions.
 *
 * hetc-ops: eltwise
 */
#pragma OPENCL FP_CONTRACT OFF

#ifndef FP64
#define FP64 0
#endif
#if FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#ifndef TB
#define TB TA
#endif
#ifndef TC
#define TC TA
#endif
#ifndef CT
#define CT TA
#endif
#ifndef KA
#define KA int
#endif
#ifndef KB
#define KB KA
#endif
#ifndef KC
#define KC KA
#endif
#ifndef KO
#define KO int
#endif
#ifndef UO
#define UO TO
#endif
#ifndef CT_INT
#define CT_INT 0
#endif
#ifndef CT_UNS
#define CT_UNS 0
#endif
#ifndef CT_DBL
#define CT_DBL 0
#endif
#ifndef GEN
#define GEN 0
#endif
#ifndef LO_T
#define LO_T 0
#endif
#ifndef HI_T
#define HI_T 0
#endif

#define CAT_(x, y) x##y
#define CAT(x, y) CAT_(x, y)
#define V4(T) CAT(T, 4)

/* t limited to [lo, hi], tested in this order; NaN stays NaN */
#define CLAMP(t, lo, hi) ((t) < (lo) ? (lo) : (t) > (hi) ? (hi) : (t))

/* a floating constant of CT's precision */
#if CT_DBL
#define LIT(x) x
#else
#define LIT(x) CAT(x, f)
#endif

/* ---- float16 and bfloat16 (elt_impl.h's conversions) ---------------------------------------- */

#include "half.cl"

/* ---- operands in, results out --------------------------------------------------------------- */

/* LD_<kind>(x): a stored element as CT. ST_<kind>(r): a CT result as TO. */
#if CT_INT
#define IW(x) CAT(as_, CT)(x)           /* a 64-bit integer as CT, bits unchanged */
#define LD_int(x) IW((long)(x))
#define LD_u64(x) IW(x)
#define LD_flt(x) IW(convert_long_sat_rtz(x))
#define LD_f16(x) IW(convert_long_sat_rtz(f16_to_f32(x)))
#define LD_bf16(x) IW(convert_long_sat_rtz(bf16_to_f32(x)))
#define ST_int(r) CAT(as_, TO)((UO)(r))
#define ST_u64(r) ((ulong)(r))
#else
#define LD_int(x) ((CT)(x))
#define LD_u64(x) ((CT)(x))
#define LD_flt(x) ((CT)(x))
#define LD_f16(x) ((CT)f16_to_f32(x))
#define LD_bf16(x) ((CT)bf16_to_f32(x))
#define ST_int(r) CAT(as_, TO)((UO)convert_long_sat_rtz(r))
#define ST_u64(r) ((r) >= 0x1p63f ? convert_ulong_sat_rtz(r) : as_ulong(convert_long_sat_rtz(r)))
#endif
#define LD_bool LD_int
#define ST_bool(r) ((uchar)((r) != 0))
#define ST_flt(r) ((TO)(r))
#define ST_f16(r) f32_to_f16((float)(r))
#define ST_bf16(r) f32_to_bf16((float)(r))

#define LA(x) CAT(LD_, KA)(x)
#define LB(x) CAT(LD_, KB)(x)
#define LC(x) CAT(LD_, KC)(x)
#define LO(x) CAT(LD_, KO)(x)
#define ST(r) CAT(ST_, KO)(r)

/* ---- helpers --------------------------------------------------------------------------------- */

#if CT_INT
/* wrapping arithmetic, in ulong */
#define WADD(a, b) IW(as_ulong(a) + as_ulong(b))
#define WSUB(a, b) IW(as_ulong(a) - as_ulong(b))
#define WMUL(a, b) IW(as_ulong(a) * as_ulong(b))
#define WNEG(a) IW(0UL - as_ulong(a))

/* truncating division; b = 0 was refused on the host (the CPU fails on it) */
CT
idiv(CT a, CT b)
{
#if CT_UNS
    return b == 0 ? 0 : a / b;
#else
    return b == 0 ? 0 : b == -1 ? WNEG(a) : a / b;
#endif
}

/* the remainder of idiv; with fmod_mode 0, the sign of the divisor */
CT
imod(CT a, CT b, float fmod_mode)
{
#if CT_UNS
    return b == 0 ? 0 : a % b;
#else
    CT r = b == 0 || b == -1 ? 0 : a % b;
    return fmod_mode == 0 && r != 0 && (r < 0) != (b < 0) ? r + b : r;
#endif
}

/* a^b by squaring, wrapping; a negative exponent gives the truncated quotient */
long
ipow(long a, long b)
{
    ulong r = 1, x = as_ulong(a);
    if (b < 0)
        return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
    for (; b; b >>= 1, x *= x)
        if (b & 1)
            r *= x;
    return as_long(r);
}
#else
/* fmod, and with fmod_mode 0 the sign of the divisor, like Python */
CT
mod_f(CT a, CT b, float fmod_mode)
{
    CT r = fmod(a, b);
    return fmod_mode == 0 && r != 0 && (r < 0) != (b < 0) ? r + b : r;
}
#endif

/* tanh(x) rounded to +-1 where the correctly rounded float is +-1 (|x| > 9.02): PoCL's tanh
 * stops 1 ulp short of it, which made Gelu's tanh form of -inf -inf where the CPU has NaN */
float
tanh_sat(float x)
{
    return fabs(x) > 9.02f ? copysign(1.0f, x) : tanh(x);
}

/* erf(x) as the CPU's float32 loops compute it (vmath.h's vm_erf, within 2e-7): Abramowitz and
 * Stegun's 7.1.26 for |x| >= 0.4, below it the Maclaurin series to x^9. PoCL's erf is a scalar
 * call some 40 times slower than exp, and this also follows the CPU more closely. */
float
erf_as(float x)
{
    float a = fabs(x), z = x * x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    p = p * t;
    float big = 1.0f - p * exp(-z);
    float q = 0.0052239776f;
    q = q * z - 0.0268661707f;
    q = q * z + 0.1128379167f;
    q = q * z - 0.3761263890f;
    q = q * z + 1.1283791671f;
    float small = a * q;
    float r = a < 0.4f ? small : big;
    return x < 0 ? -r : r;
}

/* the CPU's double forms (libm's erf and tanh) where it has no float32 loop */
#if CT_DBL
#define TANH(x) tanh(x)
#else
#define TANH(x) tanh_sat(x)
#endif
#if GEN
#define ERF(x) erf(x)
#else
#define ERF(x) erf_as(x)
#endif

/* ---- the ops: F(a, b, c), on CT values ------------------------------------------------------ */

/* Integer forms (CT_INT) exist for the ops that have them on the CPU: Abs, Neg, Sign, Relu, Not,
 * Ceil, Floor, Round, Clip and every binary op; the host computes the others in floats. */
#if defined(ELT_ABS)            /* integers wrap: |INT64_MIN| = INT64_MIN, as on the CPU */
#if CT_INT
#define F(a, b, c) ((a) < 0 ? WNEG(a) : (a))
#else
#define F(a, b, c) fabs(a)
#endif
#elif defined(ELT_ACOS)
#define F(a, b, c) acos(a)
#elif defined(ELT_ACOSH)
#define F(a, b, c) acosh(a)
#elif defined(ELT_ASIN)
#define F(a, b, c) asin(a)
#elif defined(ELT_ASINH)
#define F(a, b, c) asinh(a)
#elif defined(ELT_ATAN)
#define F(a, b, c) atan(a)
#elif defined(ELT_ATANH)
#define F(a, b, c) atanh(a)
#elif defined(ELT_CEIL)
#if CT_INT
#define F(a, b, c) (a)
#else
#define F(a, b, c) ceil(a)
#endif
#elif defined(ELT_CELU)         /* the double form gives 0 for NaN */
#if GEN
#define F(a, b, c) (fmax((CT)0, a) + fmin((CT)0, p0 * expm1((a) / p0)))
#else
#define F(a, b, c) ((a) > 0 ? (a) : p0 * expm1((a) / p0))
#endif
#elif defined(ELT_CLIP)         /* bounds in b, c (LO_T, HI_T): min(max(a, lo), hi), so that */
#define CLIP_LO(a, lo) (LO_T && (a) < (lo) ? (lo) : (a))        /* crossed bounds give hi */
#define F(a, b, c) (HI_T && CLIP_LO(a, b) > (c) ? (c) : CLIP_LO(a, b))
#elif defined(ELT_COS)
#define F(a, b, c) cos(a)
#elif defined(ELT_COSH)
#define F(a, b, c) cosh(a)
#elif defined(ELT_ELU)
#define F(a, b, c) ((a) < 0 ? p0 * expm1(a) : (a))
#elif defined(ELT_ERF)
#define F(a, b, c) ERF(a)
#elif defined(ELT_EXP)
#define F(a, b, c) exp(a)
#elif defined(ELT_FLOOR)
#if CT_INT
#define F(a, b, c) (a)
#else
#define F(a, b, c) floor(a)
#endif
#elif defined(ELT_GELU)         /* exact form */
#if GEN
#define F(a, b, c) (LIT(0.5) * (a) * (1 + ERF((a) * LIT(0.7071067811865476))))
#else
#define F(a, b, c) (0.5f * (a) * (1 + erf_as((a) * 0.70710678f)))
#endif
#elif defined(ELT_GELU_TANH)    /* approximate = "tanh" */
#if GEN
#define F(a, b, c)                                                                                 \
    (LIT(0.5) * (a) * (1 + TANH(LIT(0.7978845608028654) * ((a) + LIT(0.044715) * (a) * (a) * (a)))))
#else
#define F(a, b, c)                                                                                 \
    (0.5f * (a) * (1 + tanh_sat(0.7978845608f * ((a) + 0.044715f * (a) * (a) * (a)))))
#endif
#elif defined(ELT_HARDSIGMOID)
#define F(a, b, c) CLAMP(p0 * (a) + p1, 0, 1)
#elif defined(ELT_HARDSWISH)
#if GEN
#define F(a, b, c) ((a) * CLAMP((a) + 3, 0, 6) / 6)
#else
#define F(a, b, c) ((a) * CLAMP((a) + 3, 0, 6) * (1.0f / 6))
#endif
#elif defined(ELT_ISINF)        /* p0: detect +inf, p1: detect -inf */
#define F(a, b, c) (isinf(a) && (((a) > 0 && p0 != 0) || ((a) < 0 && p1 != 0)))
#elif defined(ELT_ISNAN)
#define F(a, b, c) isnan(a)
#elif defined(ELT_LEAKYRELU)
#if GEN
#define F(a, b, c) ((a) < 0 ? p0 * (a) : (a))
#else
#define F(a, b, c) (((a) < 0 ? 0 : (a)) + p0 * ((a) < 0 ? (a) : 0))
#endif
#elif defined(ELT_LOG)
#define F(a, b, c) log(a)
#elif defined(ELT_MISH)
#define F(a, b, c) ((a) * TANH(((a) > 0 ? (a) : 0) + log1p(exp(-fabs(a)))))
#elif defined(ELT_NEG)
#if CT_INT
#define F(a, b, c) WNEG(a)
#else
#define F(a, b, c) (-(a))
#endif
#elif defined(ELT_NOT)
#define F(a, b, c) ((a) == 0)
#elif defined(ELT_RECIPROCAL)
#define F(a, b, c) (1 / (a))
#elif defined(ELT_RELU)
#define F(a, b, c) ((a) < 0 ? 0 : (a))
#elif defined(ELT_ROUND)        /* halves to even */
#if CT_INT
#define F(a, b, c) (a)
#else
#define F(a, b, c) rint(a)
#endif
#elif defined(ELT_SELU)         /* alpha p0, gamma p2 */
#define F(a, b, c) ((a) <= 0 ? p2 * (p0 * exp(a) - p0) : p2 * (a))
#elif defined(ELT_SIGMOID)
#define F(a, b, c) (1 / (1 + exp(-(a))))
#elif defined(ELT_SIGN)         /* NaN stays; float32 keeps -0, the double form gives +0 */
#if CT_INT
#define F(a, b, c) ((CT)(((a) > 0) - ((a) < 0)))
#elif GEN
#define F(a, b, c) (isnan(a) ? (a) : (CT)(((a) > 0) - ((a) < 0)))
#else
#define F(a, b, c) ((a) > 0 ? 1.0f : (a) < 0 ? -1.0f : (a))
#endif
#elif defined(ELT_SIN)
#define F(a, b, c) sin(a)
#elif defined(ELT_SINH)
#define F(a, b, c) sinh(a)
#elif defined(ELT_SOFTPLUS)
#define F(a, b, c) (((a) > 0 ? (a) : 0) + log1p(exp(-fabs(a))))
#elif defined(ELT_SOFTSIGN)
#define F(a, b, c) ((a) / (1 + fabs(a)))
#elif defined(ELT_SQRT)
#define F(a, b, c) sqrt(a)
#elif defined(ELT_TAN)
#define F(a, b, c) tan(a)
#elif defined(ELT_TANH)
#define F(a, b, c) TANH(a)
#elif defined(ELT_THRESHOLDEDRELU)
#define F(a, b, c) ((a) > p0 ? (a) : 0)

/* binary; Sum and Mean are folds of ADD, Mean's last step MEAN_LAST stores the sum as the CPU
 * does (rounded or wrapped to the output's dtype), reads it back and divides by p0 = n */
#elif defined(ELT_ADD)
#if CT_INT
#define F(a, b, c) WADD(a, b)
#else
#define F(a, b, c) ((a) + (b))
#endif
#elif defined(ELT_MEAN_LAST)
#if CT_INT                      /* the CPU divides the int64 it reads back */
#define F(a, b, c) IW(as_long(LO(ST(WADD(a, b)))) / (long)p0)
#else
#define F(a, b, c) (LO(ST((a) + (b))) / p0)
#endif
#elif defined(ELT_SUB)
#if CT_INT
#define F(a, b, c) WSUB(a, b)
#else
#define F(a, b, c) ((a) - (b))
#endif
#elif defined(ELT_MUL)
#if CT_INT
#define F(a, b, c) WMUL(a, b)
#else
#define F(a, b, c) ((a) * (b))
#endif
#elif defined(ELT_DIV)
#if CT_INT
#define F(a, b, c) idiv(a, b)
#else
#define F(a, b, c) ((a) / (b))
#endif
#elif defined(ELT_POW)
#if CT_INT
#define F(a, b, c) IW(ipow(as_long(a), as_long(b)))
#else
#define F(a, b, c) pow(a, b)
#endif
#elif defined(ELT_MOD)          /* p0 = fmod */
#if CT_INT
#define F(a, b, c) imod(a, b, p0)
#else
#define F(a, b, c) mod_f(a, b, p0)
#endif
#elif defined(ELT_MAX)          /* floats: a NaN in either propagates */
#if CT_INT
#define F(a, b, c) ((a) < (b) ? (b) : (a))
#else
#define F(a, b, c) ((a) != (a) || (a) > (b) ? (a) : (b))
#endif
#elif defined(ELT_MIN)
#if CT_INT
#define F(a, b, c) ((b) < (a) ? (b) : (a))
#else
#define F(a, b, c) ((a) != (a) || (a) < (b) ? (a) : (b))
#endif
#elif defined(ELT_PRELU)
#if CT_INT
#define F(a, b, c) ((a) < 0 ? WMUL(a, b) : (a))
#elif GEN
#define F(a, b, c) ((a) < 0 ? (a) * (b) : (a))
#else
#define F(a, b, c) (((a) < 0 ? 0 : (a)) + (b) * ((a) < 0 ? (a) : 0))
#endif
#elif defined(ELT_BITSHIFT)     /* integers only; p0 != 0: right; shifting out every bit gives 0 */
#define F(a, b, c)                                                                                 \
    (as_ulong(b) > 63 ? (CT)0                                                                      \
     : p0 != 0        ? IW(as_ulong(a) >> as_ulong(b))                                             \
                      : IW(as_ulong(a) << as_ulong(b)))
#elif defined(ELT_EQUAL)
#define F(a, b, c) ((a) == (b))
#elif defined(ELT_GREATER)
#define F(a, b, c) ((a) > (b))
#elif defined(ELT_GREATEROREQUAL)
#define F(a, b, c) ((a) >= (b))
#elif defined(ELT_LESS)
#define F(a, b, c) ((a) < (b))
#elif defined(ELT_LESSOREQUAL)
#define F(a, b, c) ((a) <= (b))
#elif defined(ELT_AND)
#define F(a, b, c) ((a) != 0 && (b) != 0)
#elif defined(ELT_OR)
#define F(a, b, c) ((a) != 0 || (b) != 0)
#elif defined(ELT_XOR)
#define F(a, b, c) (((a) != 0) != ((b) != 0))

/* ternary: a is the condition, b and c any type of the same size, copied as bits */
#elif defined(ELT_WHERE)
#else
#error "eltwise.cl: no ELT_<op> option"
#endif

/* y's element from stored operands */
#ifdef ELT_WHERE
#define G(a, b, c) ((a) ? (b) : (c))
#else
#define G(a, b, c) ST(F(LA(a), LB(b), LC(c)))
#endif

/* ---- the kernels ---------------------------------------------------------------------------- */

/* Operand x's element i, counted from element ox of its buffer; sx = 1: x is dense along i,
 * 0: one element repeated. */
#define LOAD4(T, x, ox, sx, i) ((sx) ? vload4(0, (x) + (ox) + (i)) : (V4(T))((x)[ox]))
#define AT(x, ox, sx, i) ((x)[(ox) + ((sx) ? (i) : 0)])

/* Elements i .. i + 3 of a run of n elements of y (from yp) whose operands start at ka, kb, kc
 * with strides sa, sb, sc along the run: one vector, or the scalar tail of the run. */
#define RUN4(yp, n, i, ka, sa, kb, sb, kc, sc)                                                     \
    if ((i) + 4 <= (n)) {                                                                          \
        V4(TA) va = LOAD4(TA, a, ka, sa, i);                                                       \
        V4(TB) vb = LOAD4(TB, b, kb, sb, i);                                                       \
        V4(TC) vc = LOAD4(TC, c, kc, sc, i);                                                       \
        V4(TO) r = (V4(TO))(G(va.s0, vb.s0, vc.s0), G(va.s1, vb.s1, vc.s1),                        \
                            G(va.s2, vb.s2, vc.s2), G(va.s3, vb.s3, vc.s3));                       \
        vstore4(r, 0, (yp) + (i));                                                                 \
    } else {                                                                                       \
        for (IDX e = (i); e < (n); e++)                                                            \
            (yp)[e] = G(AT(a, ka, sa, e), AT(b, kb, sb, e), AT(c, kc, sc, e));                     \
    }

/* y and every operand dense (sx = 1) or one element (sx = 0); 4 elements per work-item. */
__kernel void
elt_flat(const IDX n, __global TO *y, const IDX oy, __global const TA *a, const IDX oa,
         const int sa, __global const TB *b, const IDX ob, const int sb, __global const TC *c,
         const IDX oc, const int sc, const float p0, const float p1, const float p2)
{
    const IDX i = (IDX)get_global_id(0) * 4;
    if (i < n) {
        RUN4(y + oy, n, i, oa, sa, ob, sb, oc, sc)
    }
}

/* Dim k (1..7) of the output, counted from the innermost: takes its coordinate off r and adds
 * its stride to each operand's offset. */
#define DIGIT(k)                                                                                   \
    if (k < rank) {                                                                                \
        IDX q = r / dim.s##k, x = r - q * dim.s##k;                                                \
        r = q;                                                                                     \
        ka += x * sa.s##k;                                                                         \
        kb += x * sb.s##k;                                                                         \
        kc += x * sc.s##k;                                                                         \
    }

/* The output has rank dims, dim.s0 innermost: n1 rows of n0 elements. Operand x's element
 * strides are sx, 0 where it is broadcast; along a row (sx.s0) they are 0 or 1. A work-item
 * computes 4 elements of row j0 + get_global_id(1), its offsets into the operands derived once
 * for them. */
__kernel void
elt_bcast(const IDX n0, const IDX n1, const IDX j0, const int rank, const CAT(IDX, 8) dim,
          __global TO *y, const IDX oy, __global const TA *a, const IDX oa,
          const CAT(IDX, 8) sa, __global const TB *b, const IDX ob, const CAT(IDX, 8) sb,
          __global const TC *c, const IDX oc, const CAT(IDX, 8) sc, const float p0,
          const float p1, const float p2)
{
    const IDX i = (IDX)get_global_id(0) * 4, j = j0 + (IDX)get_global_id(1);
    if (i >= n0 || j >= n1)
        return;
    IDX ka = oa, kb = ob, kc = oc, r = j;
    DIGIT(1) DIGIT(2) DIGIT(3) DIGIT(4) DIGIT(5) DIGIT(6) DIGIT(7)
    RUN4(y + oy + j * n0, n0, i, ka, sa.s0, kb, sb.s0, kc, sc.s0)
}
